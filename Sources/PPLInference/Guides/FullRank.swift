import Foundation
import PPLIR
import PPLSema

/// Full-rank Gaussian (Kucukelbir et al. 2017): z = μ + L ε with L lower-triangular,
/// L_ii = exp(M_ii) and L_ij = M_ij below the diagonal; φ = (μ, M) with M a d×d matrix
/// (its upper triangle is unused). log q(z) = log N(L⁻¹(z - μ) | 0, I) - Σ_i log L_ii.
public struct FullRank: VariationalFamily {
    public let family = GuideFamily.fullrank
    public init() {}

    public func parameterCount(_ d: Int) -> Int { d + d * d }

    public func initialParameters(_ d: Int) -> [Double] {
        var m = [Double](repeating: 0, count: d * d)
        for i in 0..<d { m[i * d + i] = log(0.1) }
        return [Double](repeating: 0, count: d) + m
    }

    /// L from the flat parameters: strict lower triangle as is, exp on the diagonal.
    private func factor(_ e: Emitter, _ phi: Value, _ d: Int) -> (l: Value, logDiagonal: Value) {
        let m = e.b.append(.reshape, [e.segment(phi, d, d * d)], type: .matrix(Size(d), Size(d)))
        let diag = e.op(.diagonal, m)
        let l = e.add(e.sub(e.op(.tril, m), e.op(.diagMatrix, diag)), e.op(.diagMatrix, e.un(.exp, diag)))
        return (l, diag)
    }

    public func sample(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int) -> (z: Value, logq: Value) {
        let (l, _) = factor(e, phi, d)
        let z = e.add(e.segment(phi, 0, d), e.matmul(l, eps))
        let (ld, logDiagonal) = factor(e, densityPhi, d)
        let r = e.op(.triSolveLower, ld, e.sub(z, e.segment(densityPhi, 0, d)))
        return (z, e.sub(e.standardNormalLogDensity(r, d), e.sum(logDiagonal)))
    }
}
