import Foundation
import PPLEngine
import PPLIR
import PPLSema

/// Stein variational gradient descent (Liu & Wang 2016): n particles x₁ … xₙ moved together
/// along the direction that most decreases KL(q‖p) in the unit ball of an RBF kernel's
/// reproducing-kernel Hilbert space,
///
///     φ(xᵢ) = (1/n) Σⱼ [ k(xⱼ, xᵢ) ∇log p(xⱼ) + ∇_{xⱼ} k(xⱼ, xᵢ) ],
///
/// with k(x, y) = exp(−‖x − y‖² / h) and h = med² / log n, med the median distance between
/// particles (the median heuristic, recomputed every step). The first term drives the
/// particles up the density, kernel-smoothed; the second keeps them apart. `SteinFitter`
/// runs the updates; the model's gradient and the kernel's come from the differentiator.
///
/// φ is the particles, row by row (n·d numbers). The particles are the draws: the
/// summary is over them. A draw here is a particle given as ε (z = ε, `PosteriorDraws`'s
/// `noise`); particles have no density, so log q is set to 0 and k̂ and log p(data) are not
/// defined (`GuideFamily.hasDensity`).
public struct SteinVariationalGradientDescent: NoiseMapFamily {
    public let family = GuideFamily.svgd
    let options: FitOptions

    public init(_ options: FitOptions) { self.options = options }

    public var particles: Int { options.particles }

    public func parameterCount(_ d: Int) -> Int { particles * d }

    /// Particles drawn from N(0, I): in the frame of the mode's curvature, the Laplace
    /// approximation; without one, spread as Stan's initial values are.
    public func initialParameters(_ d: Int) -> [Double] {
        var rng = RNG(seed: options.seed &+ 0x57E1)
        return (0..<(particles * d)).map { _ in rng.normal() }
    }

    public func sample(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value]) -> (z: Value, logq: Value) {
        (eps, e.c(0))
    }

    public func inverse(_ e: Emitter, phi: Value, z: Value, d: Int, constants: [String: Value]) -> Value? { z }

    /// The particles of φ, one array each.
    public func points(_ phi: [Double], _ d: Int) -> [[Double]] {
        (0..<particles).map { Array(phi[($0 * d)..<(($0 + 1) * d)]) }
    }
}
