import Foundation
import PPLDiff
import PPLEngine
import PPLIR
import PPLSema

/// Hamiltonian variational inference (Salimans, Kingma & Welling 2015, "Markov Chain Monte
/// Carlo and Variational Inference: Bridging the Gap", Alg. 2), run in the base's latent
/// space as NeuTra HMC runs in a flow's (Hoffman et al. 2019).
///
/// The base family draws z = f(ε), ε ~ N(0, I). Its pull-back of the posterior,
/// p̃(ε) = p(f(ε)) |det ∂f/∂ε|, has the same normaliser p(data), and the better the base the
/// closer p̃ is to N(0, I): a diagonal or full-rank base whitens the posterior's scales and
/// correlations, a flow also its curvature (a funnel's neck). The dynamics run on p̃:
/// ε₀ ~ N(0, I); for t = 1…T a momentum u′ₜ ~ N(0, I) and L leapfrog steps with learned
/// per-coordinate step sizes hₜ and a learned diagonal mass diag(exp(−2κ)),
///   u ← u + (h/2) ⊙ s ⊙ F(ε);  ε ← ε + h ⊙ s ⊙ u;  u ← u + (h/2) ⊙ s ⊙ F(ε),  s = exp(κ),
/// F = ∇ log p̃; no accept/reject, so the draw stays differentiable, and each step is a
/// composition of shears, so the map (ε₀, u′) → (ε_T, u) is volume-preserving. A learned
/// reverse model rₜ(uₜ | εₜ) scores the final momenta, and z = f(ε_T):
///
///   L̂ = log p̃(ε_T) − log N(ε₀) + Σₜ [ log rₜ(uₜ | εₜ) − log N(u′ₜ) ],
///
/// a lower bound on log p(data) whose exponential is an unbiased estimate of p(data), so k̂
/// and the importance-sampled evidence use it as they use log p − log q. Gradients flow
/// through the whole trajectory, the model's gradient included: the fit differentiates
/// ∇ log p̃ again (second derivatives, by the same differentiator).
///
/// The fit starts from a fitted base (`refines`) with small steps, so the bound starts at
/// the base's; r starts as the momentum's own distribution, so the first steps are the
/// plain Hamiltonian bound and its network learns corrections.
public struct HamiltonianVI: VariationalFamily {
    public let family = GuideFamily.hvi
    public var minimumExploration: Int { 5_000 }

    let base: VariationalFamily
    let transitions: Int
    let leapfrog: Int
    /// The reverse model's hidden widths (`hiddenWidths`).
    let options: FitOptions
    /// Every step size at the start of a fit (`step_size`).
    let startingStep: Double
    /// Uncorrected Hamiltonian annealing instead of a reverse model (`anneal`).
    let anneal: Bool

    init(_ options: FitOptions) {
        base = Families.make(FitOptions(family: options.base, under: options))
        transitions = options.transitions
        leapfrog = options.leapfrog
        startingStep = options.stepSize
        anneal = options.anneal
        self.options = options
    }

    /// Where each part of φ lives.
    struct Plan {
        var layout = ParameterLayout()
        var baseCount = 0
        var kappa = 0
        /// Per transition: the log step sizes and the reverse model (not when annealing).
        var steps: [Int] = []
        var reverse: [ReverseModel] = []
        /// When annealing: the schedule's logits, one a leapfrog step, and per transition
        /// the logit of the momentum's persistence.
        var schedule = 0
        var persistence: [Int] = []
    }

    /// The reverse model rₜ(u | ε) = N(a, diag exp(2b)). Its features are the latent position
    /// ε and the force there, ĝ = s ⊙ ∇ log p̃(ε) (computed anyway by the last leapfrog step,
    /// and a function of ε alone, so r stays a density of u given ε). The mean has direct
    /// per-coordinate terms in both, α ⊙ ε + β ⊙ ĝ: for a Gaussian target the final
    /// momentum's conditional mean is linear in them. A hidden layer of both then feeds both
    /// heads. Everything that shapes a and b starts at zero.
    struct ReverseModel {
        let hidden: [DenseLayer]
        let mean: DenseLayer, logScale: DenseLayer
        let alpha: Int, beta: Int

        init(_ layout: inout ParameterLayout, d: Int, widths: [Int]) {
            var fanIn = 2 * d
            var hidden: [DenseLayer] = []
            for w in widths {
                hidden.append(DenseLayer(&layout, rows: w, cols: fanIn, scale: 1 / Double(fanIn).squareRoot()))
                fanIn = w
            }
            self.hidden = hidden
            mean = DenseLayer(&layout, rows: d, cols: fanIn, scale: 0)
            logScale = DenseLayer(&layout, rows: d, cols: fanIn, scale: 0)
            alpha = layout.constant(d, 0)
            beta = layout.constant(d, 0)
        }

        /// log r(u | ε, ĝ), x = ε.
        func logDensity(_ e: Emitter, _ phi: Value, u: Value, x: Value, force: Value, d: Int) -> Value {
            var h = e.op(.concat, x, force)
            for layer in hidden { h = e.un(.tanh, layer.apply(e, phi, h, [:])) }
            let direct = e.add(e.mul(e.segment(phi, alpha, d), x), e.mul(e.segment(phi, beta, d), force))
            let a = e.add(mean.apply(e, phi, h, [:]), direct), b = logScale.apply(e, phi, h, [:])
            let r = e.mul(e.sub(u, a), e.un(.exp, e.neg(b)))
            return e.sub(e.standardNormalLogDensity(r, d), e.sum(b))
        }
    }

    func plan(_ d: Int) -> Plan {
        var p = Plan()
        p.baseCount = base.parameterCount(d)
        _ = p.layout.values(base.initialParameters(d))
        p.kappa = p.layout.constant(d, 0)
        for _ in 0..<transitions {
            p.steps.append(p.layout.constant(d, log(startingStep)))
            if anneal {
                p.persistence.append(p.layout.constant(1, log(Self.persistence / (1 - Self.persistence))))
            } else {
                p.reverse.append(ReverseModel(&p.layout, d: d, widths: options.hiddenWidths(d)))
            }
        }
        if anneal { p.schedule = p.layout.constant(transitions * leapfrog, 0) }
        return p
    }

    public func parameterCount(_ d: Int) -> Int { plan(d).layout.count }
    public func initialParameters(_ d: Int) -> [Double] { plan(d).layout.initial }
    public var refines: VariationalFamily? { base }

    /// The fitted base, with the transitions at their start: small steps (0.01 by default),
    /// so the bound starts at about the base's (with r the momentum's own distribution, L̂
    /// is the base's bound minus the trajectory's energy error) and the fit grows them.
    /// Starting larger, where a funnel's neck makes the dynamics stiff, led the fit to
    /// worse bounds than its base (funnel, iaf base: ELBO −0.09 from 0.01, −0.19 from 0.1).
    public func initialParameters(_ d: Int, refining fitted: [Double]) -> [Double] {
        fitted + plan(d).layout.initial.dropFirst(fitted.count)
    }

    /// Every leapfrog step size halved (their logs lowered by log 2): a trajectory that
    /// diverges, its energy error exploding, is one whose steps are too long for the
    /// curvature it meets.
    public func steadied(_ phi: [Double], d: Int) -> [Double]? {
        var out = phi
        for offset in plan(d).steps {
            for i in offset..<(offset + d) { out[i] -= log(2.0) }
        }
        return out
    }

    public func constants(_ d: Int) -> [String: Tensor] { base.constants(d) }
    /// ε₀ and a momentum per transition; annealing draws a fresh part of the momentum at
    /// every leapfrog step but the first.
    public func noiseCount(_ d: Int) -> Int { d * (1 + (anneal ? transitions * leapfrog : transitions)) }

    public func sample(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value],
                       target: TargetDensity) throws -> (z: Value, logq: Value) {
        if anneal { return try annealedSample(e, phi: phi, eps: eps, d: d, constants: constants, target: target) }
        let p = plan(d)
        let pulled = try PulledBack(base, target: target, d: d)
        let basePhi = e.segment(phi, 0, p.baseCount)
        let start = e.segment(eps, 0, d)
        var position = start
        var (logDensity, z, force) = pulled.evaluate(e, phi: basePhi, at: position, constants: constants)
        let s = e.un(.exp, e.segment(phi, p.kappa, d))
        var logq = e.standardNormalLogDensity(start, d)
        for t in 0..<transitions {
            let momentum = e.segment(eps, d * (t + 1), d)
            logq = e.add(logq, e.standardNormalLogDensity(momentum, d))
            let h = e.un(.exp, e.segment(phi, p.steps[t], d))
            var u = momentum
            for _ in 0..<leapfrog {
                let halfStep = e.mul(e.c(0.5), h)
                u = e.add(u, e.mul(halfStep, HamiltonianVI.bounded(e, e.mul(s, force))))
                position = e.add(position, e.mul(e.mul(h, s), u))
                (logDensity, z, force) = pulled.evaluate(e, phi: basePhi, at: position, constants: constants)
                u = e.add(u, e.mul(halfStep, HamiltonianVI.bounded(e, e.mul(s, force))))
            }
            logq = e.sub(logq, p.reverse[t].logDensity(e, phi, u: u, x: position, force: e.mul(s, force), d: d))
        }
        // target = log p(z) − logq must be L̂, whose first term is log p̃(ε_T), not log p(z).
        return (z, e.add(logq, e.sub(target.logDensity(e.b, at: z), logDensity)))
    }

    /// log p̃(ε) = log p(f(ε)) + log N(ε) − log q(f(ε)) for the base's draw map f, with
    /// f(ε) and ∇ log p̃(ε), as a program that `evaluate` inlines at each point of a
    /// trajectory (with the base's parameters and constants of the program being built).
    struct PulledBack {
        let gradient: Program
        let phi: Value, eps: Value
        let constantInputs: [Input]

        init(_ base: VariationalFamily, target: TargetDensity, d: Int) throws {
            let b = Builder(types: target.density.types)
            let e = Emitter(b)
            let n = base.parameterCount(d)
            phi = b.inputValue(.vector(Size(n)))
            eps = b.inputValue(.vector(Size(d)))
            let (constants, constantInputs) = ELBO.constantInputs(b, base.constants(d))
            self.constantInputs = constantInputs
            let (z, logq) = try base.sample(e, phi: phi, densityPhi: phi, eps: eps, d: d, constants: constants, target: target)
            let pulled = e.sub(e.add(target.logDensity(b, at: z), e.standardNormalLogDensity(eps, d)), logq)
            let (instrs, types) = b.finish()
            let inputs = target.dataInputs + constantInputs + [
                Input(name: "phi", value: phi, role: .param, type: .vector(Size(n)), constraint: .none),
                Input(name: "eps", value: eps, role: .param, type: .vector(Size(d)), constraint: .none),
            ]
            let program = Program(name: "pulled_back", inputs: inputs, body: Block(instrs: instrs, yields: [pulled, z]),
                                  outputNames: ["target", "z"], types: types)
            gradient = try Differentiator.gradient(program, of: "target", wrt: ["eps"])
        }

        /// log p̃(ε), f(ε) and ∇ log p̃(ε), inlined into the program `e` builds.
        func evaluate(_ e: Emitter, phi basePhi: Value, at position: Value,
                      constants: [String: Value]) -> (logDensity: Value, z: Value, gradient: Value) {
            var mapping = [phi: basePhi, eps: position]
            for i in constantInputs { mapping[i.value] = constants[i.name]! }
            let out = e.b.inline(gradient.body, types: gradient.types, mapping: mapping)
            func output(_ name: String) -> Value { out[gradient.outputNames.firstIndex(of: name)!] }
            return (output("target"), output("z"), output("grad.eps"))
        }
    }

    /// The kick's force in the mass's units, soft-limited to ±c: c tanh(g / c). Any kick that
    /// depends on the position alone is a shear with unit Jacobian, so the bound stays exact;
    /// the limit only bends the dynamics where |g| is many sds' worth (within 1% of
    /// Hamiltonian for |g| < 0.17 c), where a trajectory would otherwise diverge.
    static func bounded(_ e: Emitter, _ g: Value) -> Value {
        let c = 20.0
        return e.mul(e.c(c), e.un(.tanh, e.mul(g, e.c(1 / c))))
    }
}
