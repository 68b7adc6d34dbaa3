import Foundation
import PPLIR
import PPLSema

/// The maximum a posteriori estimate: a point at the posterior mode m of the unconstrained
/// density (found by `ModeSearch`), placed by a frame shifted to m, so the guide over z̃ is
/// the point z̃ = 0, with no parameters. Its draws are all m. A point has no density: log q
/// is set to 0, so log p − log q is log p(m), and k̂, PSIS and the importance-sampling
/// estimate of log p(data) are not defined (`GuideFamily.hasDensity`). The mode is not
/// invariant under reparameterisation: it is the mode in the unconstrained space, whose
/// transforms' Jacobians are part of the density.
public struct MaximumAPosteriori: NoiseMapFamily {
    public let family = GuideFamily.map
    public init() {}

    public func parameterCount(_ d: Int) -> Int { 0 }

    public func initialParameters(_ d: Int) -> [Double] { [] }

    public func sample(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value]) -> (z: Value, logq: Value) {
        (e.zeros(.vector(Size(d))), e.c(0))
    }
}
