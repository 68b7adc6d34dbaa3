import Foundation
import PPLEngine
import PPLIR
import PPLSema

/// A mixture of K Gaussians (mean-field or full-rank): q(z) = Σ_k π_k q_k(z), π the
/// softmax of K free logits, for a posterior with several modes that one Gaussian would
/// straddle or pick one of. φ = (logits, φ_1, ..., φ_K).
///
/// Which component a draw comes from is discrete, and its choice would need the score
/// function. The fit avoids it with the stratified ELBO (Morningstar, Vikram, Ham, Gallagher
/// & Dillon 2021, "Automatic Differentiation Variational Inference with Mixtures"): each
/// particle draws once from every component, z_k = T_k(ε_k), and the estimate is
/// Σ_k π_k (log p(z_k) − log q(z_k)), whose gradient reaches π through the weights and each
/// component through its reparameterised draw. log q(z_k) is the mixture's density,
/// log Σ_j π_j q_j(z_k), so the components are pushed apart where they overlap. A particle
/// costs K evaluations of the density.
///
/// The draw the diagnostics read (k̂, log p(data), the summary) is one of the z_k, chosen
/// by the last noise coordinate with probabilities π, with its log q and log p.
public struct Mixture: VariationalFamily {
    public let family = GuideFamily.mixture
    public let components: Int
    let component: any GaussianComponent

    /// Seeds the components' starting places.
    let seed: UInt64

    public init(_ options: FitOptions) {
        components = options.components
        component = options.of == .fullrank ? FullRank() : MeanField()
        seed = options.seed
    }

    public func parameterCount(_ d: Int) -> Int { components + components * component.parameterCount(d) }

    /// One noise vector per component, then the one that chooses the draw.
    public func noiseCount(_ d: Int) -> Int { components * component.noiseCount(d) + 1 }

    /// Equal weights; each component the family's own start with its mean moved apart from
    /// the others': per coordinate, the components' offsets are seeded normal draws centred
    /// and scaled to sd 1 over the components (K = 2: ±1), so that they start on every side
    /// of the bulk. Components started at one point would get one gradient and never part.
    /// In the frame of the mode's curvature the posterior's bulk is of unit scale around 0.
    /// Measured: ±1 finds both modes of 0.3 N(−3, 1) + 0.7 N(3, 0.5²) at every seed tried,
    /// ±0.5 none; ±2 leaves the components of a 105-dimensional hierarchical model far in
    /// its tails, still moving after 20,000 steps (±1: 14,000).
    public func initialParameters(_ d: Int) -> [Double] {
        var rng = RNG(seed: seed ^ 0x6D1C_7E00)
        let draws = (0..<components).map { _ in (0..<d).map { _ in rng.normal() } }
        var offsets = draws
        for i in 0..<d {
            let column = draws.map { $0[i] }
            let mean = column.reduce(0, +) / Double(components)
            let sd = (column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(components)).squareRoot()
            for k in 0..<components { offsets[k][i] = sd > 0 ? (column[k] - mean) / sd : 0 }
        }
        var phi = [Double](repeating: 0, count: components)
        for k in 0..<components {
            var start = component.initialParameters(d)
            for i in 0..<d { start[i] += offsets[k][i] }
            phi += start
        }
        return phi
    }

    /// φ_k.
    func part(_ e: Emitter, _ phi: Value, _ k: Int, _ d: Int) -> Value {
        let n = component.parameterCount(d)
        return e.segment(phi, components + k * n, n)
    }

    /// log π, from the logits at the head of φ.
    func logWeights(_ e: Emitter, _ phi: Value) -> Value {
        let logits = e.segment(phi, 0, components)
        return e.sub(logits, e.fill(e.op(.logSumExp, logits), .vector(Size(components))))
    }

    public func sample(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value],
                       target: TargetDensity) throws -> (z: Value, logq: Value) {
        let s = stratified(e, phi: phi, densityPhi: densityPhi, eps: eps, d: d, target: nil)
        return (s.z, s.logq)
    }

    public func expectedLogWeight(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value],
                                  target: TargetDensity) throws -> (z: Value, logq: Value, logp: Value, estimate: Value)? {
        let s = stratified(e, phi: phi, densityPhi: densityPhi, eps: eps, d: d, target: target)
        return (s.z, s.logq, s.logp!, s.estimate!)
    }

    /// Every component's draw and the mixture's log q there; with `target`, their log p and
    /// the stratified estimate too. Then the draw chosen by the last noise coordinate.
    private func stratified(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, target: TargetDensity?)
        -> (z: Value, logq: Value, logp: Value?, estimate: Value?) {
        let n = component.noiseCount(d)
        func vector(_ scalars: [Value]) -> Value { e.b.append(.pack, scalars, type: .vector(Size(scalars.count))) }
        let logPi = logWeights(e, phi), densityLogPi = logWeights(e, densityPhi)
        var draws: [Value] = [], logqs: [Value] = [], logps: [Value] = []
        for k in 0..<components {
            let (z, _) = component.sample(e, phi: part(e, phi, k, d), densityPhi: part(e, densityPhi, k, d),
                                          eps: e.segment(eps, k * n, n), d: d, constants: [:])
            draws.append(z)
        }
        for z in draws {
            // log Σ_j π_j q_j(z), with log q's own parameters (stopped under sticking the landing).
            let terms = (0..<components).map { j in
                e.add(e.op(.at, densityLogPi, e.int(j + 1)), component.logDensity(e, phi: part(e, densityPhi, j, d), z: z, d: d))
            }
            logqs.append(e.op(.logSumExp, vector(terms)))
            if let target { logps.append(target.logDensity(e.b, at: z)) }
        }
        let estimate = target == nil ? nil : e.op(.dot, e.un(.exp, logPi), e.sub(vector(logps), vector(logqs)))
        // The chosen component: the count of cumulative weights below u = Φ(ε_last).
        let u = e.un(.Phi, e.op(.at, eps, e.int(components * n + 1)))
        let cumulative = e.op(.cumulativeSum, e.un(.exp, e.op(.stopGradient, logPi)))
        var z = draws[0], logq = logqs[0], logp = logps.first
        for k in 1..<components {
            let chosen = e.op(.binary(.gt), u, e.op(.at, cumulative, e.int(k)))
            z = e.op(.select, chosen, draws[k], z)
            logq = e.op(.select, chosen, logqs[k], logq)
            logp = logp.map { e.op(.select, chosen, logps[k], $0) }
        }
        return (z, logq, logp, estimate)
    }
}

/// A Gaussian family whose density has a closed form at any point, for a mixture's
/// components.
protocol GaussianComponent: NoiseMapFamily {
    /// log q(z) at a given z.
    func logDensity(_ e: Emitter, phi: Value, z: Value, d: Int) -> Value
}

extension MeanField: GaussianComponent {
    func logDensity(_ e: Emitter, phi: Value, z: Value, d: Int) -> Value {
        let omega = e.segment(phi, d, d)
        let r = e.mul(e.sub(z, e.segment(phi, 0, d)), e.un(.exp, e.neg(omega)))
        return e.sub(e.standardNormalLogDensity(r, d), e.sum(omega))
    }
}

extension FullRank: GaussianComponent {
    func logDensity(_ e: Emitter, phi: Value, z: Value, d: Int) -> Value {
        let (l, omega) = FullRank.factor(e, phi, offset: d, d)
        let r = e.op(.triSolveLower, l, e.sub(z, e.segment(phi, 0, d)))
        return e.sub(e.standardNormalLogDensity(r, d), e.sum(omega))
    }
}
