import PPLDiff
import PPLEngine
import PPLIR
import PPLSema

/// The evidence lower bound as an IR program: per particle, with ε ~ N(0, I),
/// z = T(ε; φ) and target = log p(z) - log q(z) (Kingma & Welling 2014's
/// reparameterisation). Its gradient with respect to φ comes from the differentiator.
/// With sticking the landing (Roeder et al. 2017) log q's own dependence on φ is cut,
/// leaving the path derivative, whose variance vanishes as q approaches the posterior.
/// For a family with auxiliary variables (HVI), log q is the log density of everything it
/// drew minus its reverse model's, so target is the augmented bound and exp(target) is still
/// an unbiased estimate of p(data).
public struct ELBO {
    /// Outputs `target` (log p - log q), `z`, `logp`, `logq`; inputs the model's data,
    /// `phi` (shared by the particles) and `eps` (one per particle).
    public let program: Program
    /// The same outputs plus `grad.phi`.
    public let gradient: Program
    public let dimension: Int
    /// The family whose draw the program makes.
    public let family: VariationalFamily
    /// Standard-normal draws per particle (the length of `eps`).
    public let noiseCount: Int
    public let parameterCount: Int

    /// With a `frame`, the family draws z̃ and fits the density over it; `z` is m + P z̃.
    /// With `sizes` (the data's int values), the programs are specialised to them.
    ///
    /// With `discrete`, the model's discrete params (the density's input `discrete`, set per
    /// particle from `DiscreteLatents.draw`) have a categorical guide whose logits follow the
    /// family's parameters in φ. log q is then the family's plus theirs, `z` holds their
    /// values after the continuous part, and `target`'s gradient is the path derivative
    /// alone: the logits' gradient is the score function term, `scoreGradient`'s.
    ///
    /// With `scoreFunction` (`gradient = score`, a Gaussian family's), the draw is held fixed:
    /// `target`'s gradient is zero for the family's parameters too, and `scoreGradient`
    /// carries their score function term, c ∇ log q(z) at the particle's z.
    public init(density model: Program, family: VariationalFamily, dimension d: Int, stickingTheLanding: Bool,
                frame: Frame? = nil, sizes: [String: Int] = [:], discrete: DiscreteLatents? = nil,
                scoreFunction: Bool = false) throws {
        self.family = family
        self.discrete = discrete
        let gaussian = family as? any GaussianComponent
        if scoreFunction && gaussian == nil {
            throw EngineError("the score function gradient needs a guide whose density is known at any point (meanfield, fullrank)")
        }
        self.scoreFunction = scoreFunction
        let density = frame?.apply(to: model) ?? model
        let b = Builder(types: density.types)
        let e = Emitter(b)
        let familyCount = family.parameterCount(d)
        let p = familyCount + (discrete?.parameterCount ?? 0)
        let noise = family.noiseCount(d)
        let phiInput = b.inputValue(.vector(Size(p)))
        let livePhi = discrete == nil ? phiInput : e.segment(phiInput, 0, familyCount)
        let phi = scoreFunction ? e.op(.stopGradient, livePhi) : livePhi
        let densityPhi = stickingTheLanding ? e.op(.stopGradient, phi) : phi
        let eps = b.inputValue(.vector(Size(noise)))
        let fixed = family.constants(d)
        let (constantValues, constantInputs) = ELBO.constantInputs(b, fixed)
        let targetDensity = TargetDensity(density: density)
        // The family reads its own constants and, by name, the density's data (an encoder's input).
        let densityInputs = Dictionary(uniqueKeysWithValues: density.inputs.map { ($0.name, $0.value) })
        let readable = constantValues.merging(densityInputs) { a, _ in a }
        let drawn, familyLogq, logp: Value
        // A family's own estimate of E[log p − log q], where it is not that of its draw.
        var expected: Value?
        if let s = try family.expectedLogWeight(e, phi: phi, densityPhi: densityPhi, eps: eps, d: d, constants: readable,
                                                target: targetDensity) {
            (drawn, familyLogq, logp, expected) = (s.z, s.logq, s.logp, s.estimate)
        } else {
            (drawn, familyLogq) = try family.sample(e, phi: phi, densityPhi: densityPhi, eps: eps, d: d, constants: readable,
                                                    target: targetDensity)
            logp = targetDensity.logDensity(b, at: drawn)
        }
        var logq = familyLogq
        var z = frame?.place(e, drawn, inputs: densityInputs) ?? drawn
        // Each discrete element's log q, for its learning signal (`Fitter.addScoreTerm`).
        var elementLogq: Value?
        if let discrete, let values = densityInputs[UnconstrainedDensity.discreteInput] {
            let logits = e.op(.stopGradient, e.segment(phiInput, familyCount, discrete.parameterCount))
            elementLogq = discrete.logDensities(e, logits: logits, values: values)
            logq = e.add(logq, e.sum(elementLogq!))
            z = e.op(.concat, z, values)
        }
        // A rank's part of a sharded density (`MinibatchedDensity`) counts log q 1/R times, as
        // its other terms free of the rows: the ranks' targets add up to the ELBO's.
        var target = e.sub(logp, densityInputs[MinibatchedDensity.weightInput].map { e.mul(logq, $0) } ?? logq)
        if let expected { target = elementLogq.map { e.sub(expected, e.sum($0)) } ?? expected }
        let (instrs, types) = b.finish()
        let inputs = density.inputs.filter { $0.name != "theta" } + constantInputs + [
            Input(name: "phi", value: phiInput, role: .param, type: .vector(Size(p)), constraint: .none),
            Input(name: "eps", value: eps, role: .param, type: .vector(Size(noise)), constraint: .none),
        ]
        program = Simplify.run(Program(name: "elbo", inputs: inputs,
                                       body: Block(instrs: instrs, yields: [target, z, logp, logq] + (elementLogq.map { [$0] } ?? [])),
                                       outputNames: ["target", "z", "logp", "logq"] + (elementLogq == nil ? [] : [ELBO.elementLogqOutput]),
                                       types: types), sizes: sizes)
        // With the rows' terms weighted (`MinibatchedDensity.rowWeighted`), the gradient with
        // respect to the weights is each row's terms: its discrete elements' learning signal.
        let rowWeighted = discrete?.rowSignal != nil && densityInputs[MinibatchedDensity.rowWeightInput] != nil
        gradient = try Differentiator.gradient(program, of: "target", wrt: ["phi"] + (rowWeighted ? [MinibatchedDensity.rowWeightInput] : []))
        scoreGradient = discrete == nil && !scoreFunction ? nil
            : try ELBO.scoreGradient(discrete, continuous: scoreFunction ? gaussian : nil, dimension: d, noise: noise,
                                     parameters: p, offset: familyCount)
        dimension = d
        noiseCount = noise
        parameterCount = p
        constants = fixed.merging(frame?.constants ?? [:]) { a, _ in a }
        if rowWeighted, let rows = discrete?.rowSignal?.rows {
            constants[MinibatchedDensity.rowWeightInput] = Tensor(vector: [Double](repeating: 1, count: rows))
        }
        self.frame = frame
    }

    /// The guide of the model's discrete params, if it has any.
    public let discrete: DiscreteLatents?
    /// With discrete params or `gradient = score` (else nil): the gradient, output
    /// `grad.phi`, of the score function surrogate (`scoreGradient(_:continuous:...)`), whose
    /// coefficients are each element's learning signal less its baseline over the particles.
    /// Summed over the particles and added to `gradient`'s path derivative, it is the score
    /// function estimator's gradient.
    public let scoreGradient: Program?
    /// The output of `program` and `gradient` with each discrete element's log q.
    public static let elementLogqOutput = "logq.discrete"
    /// The input of `scoreGradient` holding each element's coefficient.
    public static let scoreWeightsInput = "score.weights"

    /// φ at the start of a fit: the family's start, then every discrete element's logits at
    /// 0 (uniform over its values).
    public func initialParameters() -> [Double] {
        family.initialParameters(dimension) + [Double](repeating: 0, count: discrete?.parameterCount ?? 0)
    }

    /// The inputs that differ per particle: `eps`, and with discrete params their values.
    public var varying: Set<String> { discrete == nil ? ["eps"] : ["eps", UnconstrainedDensity.discreteInput] }

    /// The length of the `z` output: the continuous dimension and the discrete params' values.
    public var drawDimension: Int { dimension + (discrete?.count ?? 0) }

    /// Whether the family's own parameters get the score function gradient (`gradient = score`).
    public let scoreFunction: Bool

    /// The surrogate's gradient: inputs `phi`; `discrete` and with `continuous` `eps`, a
    /// particle's draw; and `score.weights`, a coefficient per discrete element, then one for
    /// the continuous draw. The surrogate is Σ_n c_n log q(z_n) + c log q(z), each log q with
    /// its parameters live and its draw fixed.
    static func scoreGradient(_ discrete: DiscreteLatents?, continuous: (any GaussianComponent)?, dimension d: Int, noise: Int,
                              parameters p: Int, offset: Int) throws -> Program {
        let b = Builder()
        let e = Emitter(b)
        let m = discrete?.count ?? 0
        let width = m + (continuous == nil ? 0 : 1)
        let phi = b.inputValue(.vector(Size(p)))
        let weights = b.inputValue(.vector(Size(width)))
        var inputs = [Input(name: "phi", value: phi, role: .param, type: .vector(Size(p)), constraint: .none)]
        var surrogate: Value?
        if let discrete {
            let values = b.inputValue(.vector(Size(m)))
            inputs.append(Input(name: UnconstrainedDensity.discreteInput, value: values, role: .data, type: .vector(Size(m)), constraint: .none))
            let logq = discrete.logDensities(e, logits: e.segment(phi, offset, discrete.parameterCount), values: values)
            surrogate = e.op(.dot, e.segment(weights, 0, m), logq)
        }
        if let continuous {
            let eps = b.inputValue(.vector(Size(noise)))
            inputs.append(Input(name: "eps", value: eps, role: .data, type: .vector(Size(noise)), constraint: .none))
            let own = e.segment(phi, 0, offset), fixed = e.op(.stopGradient, own)
            let z = continuous.sample(e, phi: fixed, densityPhi: fixed, eps: eps, d: d, constants: [:]).z
            let term = e.mul(e.op(.at, weights, e.int(width)), continuous.logDensity(e, phi: own, z: z, d: d))
            surrogate = surrogate.map { e.add($0, term) } ?? term
        }
        inputs.append(Input(name: scoreWeightsInput, value: weights, role: .data, type: .vector(Size(width)), constraint: .none))
        let (instrs, types) = b.finish()
        let program = Program(name: "score_surrogate", inputs: inputs, body: Block(instrs: instrs, yields: [surrogate!]),
                              outputNames: ["surrogate"], types: types)
        return try Differentiator.gradient(Simplify.run(program), of: "surrogate", wrt: ["phi"])
    }

    /// Fills the `discrete` input of `executable` (an ELBO program's) for its particles with
    /// draws from the categoricals of the logits in φ; nothing without discrete params.
    public func drawDiscrete(_ executable: Executable, phi: UnsafeBufferPointer<Double>, rng: inout RNG) {
        guard let discrete else { return }
        let logits = UnsafeBufferPointer(rebasing: phi[(parameterCount - discrete.parameterCount)..<parameterCount])
        discrete.draw(logits: logits, into: executable.input(UnconstrainedDensity.discreteInput), particles: executable.batch, rng: &rng)
    }

    /// The frame the guide is fitted in, if any.
    public private(set) var frame: Frame?

    /// The same programs in the frame moved to `location` (its factor kept): they read the
    /// frame's location as data, so only that changes. Independent runs start apart so.
    public func moved(to location: [Double]) -> ELBO {
        guard let frame else { preconditionFailure("only an ELBO with a frame can move it") }
        var copy = self
        copy.frame = Frame(location: location, curvatureFactor: frame.curvatureFactor)
        copy.constants["frame.location"] = Tensor(vector: location)
        return copy
    }

    /// Data inputs, in the program `b` builds, for a family's fixed arrays: name → value, and
    /// the inputs to declare.
    public static func constantInputs(_ b: Builder, _ fixed: [String: Tensor]) -> (values: [String: Value], inputs: [Input]) {
        var values: [String: Value] = [:]
        var inputs: [Input] = []
        for (name, t) in fixed.sorted(by: { $0.key < $1.key }) {
            let type: IRType = t.shape.count == 2 ? .matrix(Size(t.shape[0]), Size(t.shape[1])) : .vector(Size(t.count))
            let v = b.inputValue(type)
            values[name] = v
            inputs.append(Input(name: name, value: v, role: .data, type: type, constraint: .none))
        }
        return (values, inputs)
    }

    /// The family's fixed arrays and the frame's, to bind with the model's data.
    public private(set) var constants: [String: Tensor]

    /// The model's data and the family's constants together.
    public func data(_ model: [String: Tensor]) -> [String: Tensor] {
        model.merging(constants) { a, _ in a }
    }
}
