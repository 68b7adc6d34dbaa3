import Foundation
import PPLIR
import PPLSema

/// Gaussian with a diagonal plus low-rank covariance (Ong, Bonilla & Nott 2018):
/// Σ = D² + B Bᵀ with D = diag(exp ω) and B = D B̃ (d × r), so Σ = D (I + B̃ B̃ᵀ) D and, as
/// in `FullRank`, the factor's entries are relative to the scale. Reparameterised with
/// d + r standard normals: z = μ + D (ε₁ + B̃ ε₂). φ = (μ, ω, B̃ row-major), 2d + d r.
///
/// log q by the Woodbury identity and the matrix determinant lemma, with only an r × r
/// Cholesky factor: u = D⁻¹ (z − μ), C = I_r + B̃ᵀ B̃ = L Lᵀ, v = L⁻¹ B̃ᵀ u;
/// log q(z) = −½ (uᵀu − vᵀv) − (d/2) log 2π − Σ_i ω_i − Σ_j log L_jj.
/// The cost per draw is O(d r²) where a full-rank guide's is O(d²).
public struct LowRank: NoiseMapFamily {
    public let family = GuideFamily.lowrank
    let options: FitOptions

    public init(_ options: FitOptions) { self.options = options }

    /// The columns of B for dimension d.
    public func rank(_ d: Int) -> Int { options.rank(d) }

    public func parameterCount(_ d: Int) -> Int { 2 * d + d * rank(d) }

    public func noiseCount(_ d: Int) -> Int { d + rank(d) }

    /// B̃ starts small and with its columns on disjoint coordinates: at B̃ = 0 the expected
    /// gradient with respect to B̃ vanishes (the ELBO is even in B̃), so the fit would only
    /// leave it by noise.
    public func initialParameters(_ d: Int) -> [Double] {
        let r = rank(d)
        var factor = [Double](repeating: 0, count: d * r)
        for i in 0..<d { factor[i * r + i % r] = 0.1 }
        return [Double](repeating: 0, count: d) + [Double](repeating: log(0.1), count: d) + factor
    }

    /// B̃ from φ.
    func factor(_ e: Emitter, _ phi: Value, _ d: Int) -> Value {
        let r = rank(d)
        return e.b.append(.reshape, [e.segment(phi, 2 * d, d * r)], type: .matrix(Size(d), Size(r)))
    }

    public func sample(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value]) -> (z: Value, logq: Value) {
        let r = rank(d)
        let eps1 = e.segment(eps, 0, d), eps2 = e.segment(eps, d, r)
        let scaled = e.add(eps1, e.matmul(factor(e, phi, d), eps2))
        let z = e.add(e.segment(phi, 0, d), e.mul(e.un(.exp, e.segment(phi, d, d)), scaled))
        let mu = e.segment(densityPhi, 0, d), omega = e.segment(densityPhi, d, d)
        let b = factor(e, densityPhi, d), bt = e.transpose(b)
        let u = e.mul(e.sub(z, mu), e.un(.exp, e.neg(omega)))
        let capacitance = e.add(e.op(.diagMatrix, e.fill(e.c(1), .vector(Size(r)))), e.matmul(bt, b))
        let l = e.op(.cholesky, capacitance)
        let v = e.op(.triSolveLower, l, e.matmul(bt, u))
        let quadratic = e.sub(e.op(.dot, u, u), e.op(.dot, v, v))
        let logNormaliser = e.add(e.c(0.5 * Double(d) * log(2 * Double.pi)),
                                  e.add(e.sum(omega), e.sum(e.un(.log, e.op(.diagonal, l)))))
        return (z, e.sub(e.mul(e.c(-0.5), quadratic), logNormaliser))
    }
}
