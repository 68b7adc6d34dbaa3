import Foundation
import PPLIR
import PPLSema

/// Full-rank Gaussian (Kucukelbir et al. 2017): z = μ + L ε with L = diag(exp(ω)) C, C
/// unit lower-triangular. φ = (μ, M) with M a d×d matrix: ω is its diagonal and C's
/// entries below the diagonal are M's (the upper triangle is unused). Scaling the rows by
/// exp(ω) keeps the off-diagonal parameters relative: a correlation needs the same step
/// whether the posterior sd is 10 or 0.01, which keeps L well conditioned under Adam.
/// log q(z) = log N(L⁻¹(z - μ) | 0, I) - Σ_i ω_i.
public struct FullRank: NoiseMapFamily {
    public let family = GuideFamily.fullrank
    public init() {}

    public func parameterCount(_ d: Int) -> Int { d + d * d }

    public func initialParameters(_ d: Int) -> [Double] {
        var m = [Double](repeating: 0, count: d * d)
        for i in 0..<d { m[i * d + i] = log(0.1) }
        return [Double](repeating: 0, count: d) + m
    }

    /// L from the d×d block of φ starting at `offset`, and its log-diagonal ω.
    static func factor(_ e: Emitter, _ phi: Value, offset: Int, _ d: Int) -> (l: Value, omega: Value) {
        let m = e.b.append(.reshape, [e.segment(phi, offset, d * d)], type: .matrix(Size(d), Size(d)))
        let omega = e.op(.diagonal, m)
        let ones = e.fill(e.c(1), .vector(Size(d)))
        let unit = e.add(e.sub(e.op(.tril, m), e.op(.diagMatrix, omega)), e.op(.diagMatrix, ones))
        return (e.matmul(e.op(.diagMatrix, e.un(.exp, omega)), unit), omega)
    }

    public func sample(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value]) -> (z: Value, logq: Value) {
        let (l, _) = FullRank.factor(e, phi, offset: d, d)
        let z = e.add(e.segment(phi, 0, d), e.matmul(l, eps))
        let (ld, omega) = FullRank.factor(e, densityPhi, offset: d, d)
        let r = e.op(.triSolveLower, ld, e.sub(z, e.segment(densityPhi, 0, d)))
        return (z, e.sub(e.standardNormalLogDensity(r, d), e.sum(omega)))
    }

    public func inverse(_ e: Emitter, phi: Value, z: Value, d: Int, constants: [String: Value]) -> Value? {
        e.op(.triSolveLower, FullRank.factor(e, phi, offset: d, d).l, e.sub(z, e.segment(phi, 0, d)))
    }
}
