import Foundation
import PPLIR
import PPLSema

/// The Laplace approximation (Laplace 1774; as a variational family, e.g. Bishop 2006,
/// §4.4): the Gaussian at the posterior mode m with covariance the inverse of the Hessian
/// of −log p there (in the unconstrained space), q = N(m, H⁻¹). Nothing is optimised: the
/// fit is the mode search (`ModeSearch`, Newton's method), whose frame z = m + L⁻ᵀ z̃ with
/// H = L Lᵀ (`Frame`) makes the guide over z̃ the standard normal, with no parameters:
/// z̃ = ε, log q(z̃) = log N(ε | 0, I), and the frame's log-determinant makes the importance
/// weights those of z. Its draws, k̂ and log p(data) are then as for every family.
public struct Laplace: NoiseMapFamily {
    public let family = GuideFamily.laplace
    public init() {}

    public func parameterCount(_ d: Int) -> Int { 0 }

    public func initialParameters(_ d: Int) -> [Double] { [] }

    public func sample(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value]) -> (z: Value, logq: Value) {
        (eps, e.standardNormalLogDensity(eps, d))
    }

    public func inverse(_ e: Emitter, phi: Value, z: Value, d: Int, constants: [String: Value]) -> Value? { z }
}
