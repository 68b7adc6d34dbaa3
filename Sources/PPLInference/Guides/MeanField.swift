import Foundation
import PPLIR
import PPLSema

/// Mean-field Gaussian on the unconstrained space (Kucukelbir et al. 2017, ADVI):
/// z = μ + σ ⊙ ε with σ = exp(ω); φ = (μ, ω), 2d parameters;
/// log q(z) = Σ_i log N(z_i | μ_i, σ_i).
public struct MeanField: NoiseMapFamily {
    public let family = GuideFamily.meanfield
    public init() {}

    public func parameterCount(_ d: Int) -> Int { 2 * d }

    public func initialParameters(_ d: Int) -> [Double] {
        [Double](repeating: 0, count: d) + [Double](repeating: log(0.1), count: d)
    }

    public func sample(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value]) -> (z: Value, logq: Value) {
        let z = e.add(e.segment(phi, 0, d), e.mul(e.un(.exp, e.segment(phi, d, d)), eps))
        let mu = e.segment(densityPhi, 0, d), omega = e.segment(densityPhi, d, d)
        let r = e.mul(e.sub(z, mu), e.un(.exp, e.neg(omega)))
        return (z, e.sub(e.standardNormalLogDensity(r, d), e.sum(omega)))
    }

    public func inverse(_ e: Emitter, phi: Value, z: Value, d: Int, constants: [String: Value]) -> Value? {
        e.mul(e.sub(z, e.segment(phi, 0, d)), e.un(.exp, e.neg(e.segment(phi, d, d))))
    }
}
