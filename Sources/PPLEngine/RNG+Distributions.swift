import Foundation
import PPLIR

/// Draws from the distributions the `random` op offers, for the `_rng` functions of the
/// standard library. A parameter outside its domain gives NaN.
extension RNG {
    /// The generator for one element of a `random` op: seeded by a hash of the op's site,
    /// its key values and the element's position, so that a draw depends on nothing else
    /// (not on the order in which elements or particles are computed).
    public init(site: Int, keys: [Double], element: Int) {
        var h = RNG.mix(UInt64(bitPattern: Int64(site)) &+ 0x6A09_E667_F3BC_C908)
        for k in keys { h = RNG.mix(h ^ k.bitPattern) }
        self.init(seed: RNG.mix(h ^ UInt64(element)))
    }

    /// SplitMix64's finaliser: a bijection of 64-bit words that mixes every bit into every other.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// One draw of `f` with parameters `p` (as many as `f.arity`).
    public mutating func draw(_ f: RandomFn, _ p: [Double]) -> Double {
        switch f {
        case .uniform: return p[0] + (p[1] - p[0]) * uniform()
        case .normal: return p[0] + p[1] * normal()
        case .gamma: return gamma(p[0])
        case .poisson: return poisson(p[0])
        case .binomial: return binomial(p[0], p[1])
        }
    }

    /// Gamma with shape a and rate 1: Marsaglia & Tsang (2000), "A simple method for generating
    /// gamma variables"; for a < 1, Gamma(a + 1) · U^(1/a) (their section 6).
    public mutating func gamma(_ a: Double) -> Double {
        guard a > 0, a.isFinite else { return .nan }
        if a < 1 {
            let g = gamma(a + 1)
            return g * exp(log(uniform()) / a)
        }
        let d = a - 1.0 / 3.0, c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double, v: Double
            repeat {
                x = normal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = uniform()
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }

    /// Poisson with mean λ: by inversion (multiplying uniforms) below 10, else the
    /// transformed rejection of Hörmann (1993), "The transformed rejection method for
    /// generating Poisson random variables" (PTRS). Means beyond 2^52 are not representable
    /// as counts: NaN.
    public mutating func poisson(_ lambda: Double) -> Double {
        guard lambda >= 0, lambda < 0x1p52 else { return .nan }
        if lambda < 10 {
            let limit = exp(-lambda)
            var k = 0.0, product = uniform()
            while product > limit {
                k += 1
                product *= uniform()
            }
            return k
        }
        let slam = lambda.squareRoot(), loglam = log(lambda)
        let b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b
        let invAlpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = uniform() - 0.5, v = uniform()
            let us = 0.5 - abs(u)
            let k = ((2 * a / us + b) * u + lambda + 0.43).rounded(.down)
            if us >= 0.07 && v <= vr { return k }
            if k < 0 || (us < 0.013 && v > us) { continue }
            if log(v) + log(invAlpha) - log(a / (us * us) + b) <= -lambda + k * loglam - lgamma(k + 1) { return k }
        }
    }

    /// Binomial with n trials of probability p: by inversion (a sequential search from 0)
    /// when n·min(p, 1−p) < 30; else the k-th order statistic of n uniforms is a
    /// Beta(k, n + 1 − k) draw, which splits the trials at the median into two smaller
    /// binomials (Devroye 1986, "Non-Uniform Random Variate Generation", X.4.3).
    public mutating func binomial(_ n: Double, _ p: Double) -> Double {
        guard n >= 0, n < 0x1p52, n == n.rounded(), p >= 0, p <= 1 else { return .nan }
        if n == 0 || p == 0 { return 0 }
        if p == 1 { return n }
        if p > 0.5 { return n - binomial(n, 1 - p) }
        if n * p < 30 {
            let q = 1 - p, s = p / q, a = (n + 1) * s
            var r = exp(n * log1p(-p)), u = uniform(), x = 0.0
            while u > r && x < n {
                u -= r
                x += 1
                r *= a / x - s
            }
            return x
        }
        let i = (n / 2).rounded(.down) + 1
        let g1 = gamma(i), g2 = gamma(n + 1 - i)
        let x = g1 / (g1 + g2)
        if x >= p { return binomial(i - 1, p / x) }
        return i + binomial(n - i, (p - x) / (1 - x))
    }
}
