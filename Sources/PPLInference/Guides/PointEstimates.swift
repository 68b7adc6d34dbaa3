import PPLEngine
import PPLIR
import PPLSema

/// Some params as point estimates inside a family whose draw is a map of its noise: their
/// unconstrained coordinates θ are plain entries of φ, a delta guide q(θ) = δ(θ − φ_θ), and
/// the family draws the other coordinates, w = T(ε; φ_T), so z = (w, θ) in the layout's
/// order and log q(z) = log q_T(w). The ELBO, E_q[log p(w, θ, data) − log q_T(w)], is then
/// a lower bound on log p(θ, data) that the fit maximises over θ with the rest: θ's maximum
/// marginal likelihood where it has no prior, its MAP where it has one — the M-step of
/// variational EM (Neal & Hinton 1998), a VAE's learned decoder (Kingma & Welling 2014).
public struct PointEstimates: NoiseMapFamily {
    public let base: any NoiseMapFamily
    /// The coordinates of z held as points, one range per param, in order and disjoint.
    public let points: [Range<Int>]

    /// The sd of each point's seeded start (as `points`).
    public let starts: [Double]

    public init(base: any NoiseMapFamily, points: [Range<Int>], starts: [Double]? = nil) {
        self.base = base
        self.points = points
        self.starts = starts ?? points.map { _ in 0.01 }
    }

    public var family: GuideFamily { base.family }
    var pointCount: Int { points.reduce(0) { $0 + $1.count } }

    /// φ = (φ_T, θ).
    public func parameterCount(_ d: Int) -> Int { base.parameterCount(d - pointCount) + pointCount }

    /// The family's start, and θ near 0 (each param near the centre of its unconstrained
    /// space): seeded normal draws of sd `starts` (0.01 unless given), since at θ = 0
    /// exactly the hidden units of a learned decoder are alike and get alike gradients —
    /// they would stay one unit copied.
    public func initialParameters(_ d: Int) -> [Double] {
        var rng = RNG(seed: 0x9017)
        return base.initialParameters(d - pointCount) + zip(points, starts).flatMap { range, sd in range.map { _ in sd * rng.normal() } }
    }

    public func sample(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value]) -> (z: Value, logq: Value) {
        let free = d - pointCount, n = base.parameterCount(free)
        // Every coordinate a point (the others local, `LocalLatents`): a delta guide alone.
        if free == 0 { return (e.segment(phi, n, pointCount), e.c(0)) }
        let (w, logq) = base.sample(e, phi: e.segment(phi, 0, n), densityPhi: e.segment(densityPhi, 0, n), eps: eps, d: free,
                                    constants: constants)
        return (interleave(e, w, e.segment(phi, n, pointCount), d), logq)
    }

    public func constants(_ d: Int) -> [String: Tensor] { base.constants(d - pointCount) }
    public var minimumExploration: Int { base.minimumExploration }
    public func noiseCount(_ d: Int) -> Int { base.noiseCount(d - pointCount) }

    /// 0..<d cut into runs of point and free coordinates, in order.
    private func pieces(_ d: Int) -> [(range: Range<Int>, point: Bool)] {
        var out: [(Range<Int>, Bool)] = []
        var at = 0
        for r in points {
            if r.lowerBound > at { out.append((at..<r.lowerBound, false)) }
            out.append((r, true))
            at = r.upperBound
        }
        if at < d { out.append((at..<d, false)) }
        return out
    }

    /// z from the free coordinates w and the points θ, each consumed in order.
    private func interleave(_ e: Emitter, _ w: Value, _ theta: Value, _ d: Int) -> Value {
        var (fromW, fromTheta) = (0, 0)
        let parts = pieces(d).map { piece -> Value in
            defer { if piece.point { fromTheta += piece.range.count } else { fromW += piece.range.count } }
            return piece.point ? e.segment(theta, fromTheta, piece.range.count) : e.segment(w, fromW, piece.range.count)
        }
        return concatenate(e, parts)
    }

    private func concatenate(_ e: Emitter, _ parts: [Value]) -> Value {
        parts.dropFirst().reduce(parts[0]) { e.op(.concat, $0, $1) }
    }
}
