import Foundation

/// Scalar definitions of the elementwise functions, shared by constant folding and the engine.
public enum ScalarMath {
    public static func apply(_ f: UnaryFn, _ x: Double) -> Double {
        switch f {
        case .neg: return -x
        case .not: return x == 0 ? 1 : 0
        case .exp: return Foundation.exp(x)
        case .log: return Foundation.log(x)
        case .log1p: return Foundation.log1p(x)
        case .expm1: return Foundation.expm1(x)
        case .log1m: return Foundation.log1p(-x)
        case .sqrt: return x.squareRoot()
        case .square: return x * x
        case .inv: return 1 / x
        case .inv_logit: return x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
        case .logit: return Foundation.log(x / (1 - x))
        case .log_inv_logit: return -log1pExp(-x)
        case .log1m_inv_logit: return -log1pExp(x)
        case .log1p_exp: return log1pExp(x)
        case .log1m_exp: return x > -0.693147 ? Foundation.log(-Foundation.expm1(x)) : Foundation.log1p(-Foundation.exp(x))
        case .lgamma: return Foundation.lgamma(x)
        case .digamma: return digamma(x)
        case .trigamma: return trigamma(x)
        case .sin: return Foundation.sin(x)
        case .cos: return Foundation.cos(x)
        case .tan: return Foundation.tan(x)
        case .tanh: return Foundation.tanh(x)
        case .abs: return Swift.abs(x)
        case .sign: return x > 0 ? 1 : x < 0 ? -1 : 0
        case .erf: return Foundation.erf(x)
        case .erfc: return Foundation.erfc(x)
        case .Phi: return 0.5 * Foundation.erfc(-x / 2.0.squareRoot())
        case .floor: return Foundation.floor(x)
        case .ceil: return Foundation.ceil(x)
        case .log_erfc: return logErfc(x)
        case .atan: return Foundation.atan(x)
        }
    }

    /// Real-valued binary functions; int division is handled by the caller.
    public static func apply(_ f: BinaryFn, _ a: Double, _ b: Double) -> Double {
        switch f {
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return a / b
        case .pow: return Foundation.pow(a, b)
        case .fmin: return Swift.min(a, b)
        case .fmax: return Swift.max(a, b)
        case .log_sum_exp:
            // Swift.max returns either argument when one is NaN: NaN is checked first.
            if a.isNaN || b.isNaN { return .nan }
            let m = Swift.max(a, b)
            if m.isInfinite { return m }
            return m + Foundation.log1p(Foundation.exp(-Swift.abs(a - b)))
        case .log_diff_exp:
            if b == -.infinity { return a }
            return a + apply(.log1m_exp, b - a)
        case .lbeta: return Foundation.lgamma(a) + Foundation.lgamma(b) - Foundation.lgamma(a + b)
        case .lchoose: return Foundation.lgamma(a + 1) - Foundation.lgamma(b + 1) - Foundation.lgamma(a - b + 1)
        case .atan2: return Foundation.atan2(a, b)
        case .lt: return a < b ? 1 : 0
        case .le: return a <= b ? 1 : 0
        case .gt: return a > b ? 1 : 0
        case .ge: return a >= b ? 1 : 0
        case .eq: return a == b ? 1 : 0
        case .ne: return a != b ? 1 : 0
        case .and: return a != 0 && b != 0 ? 1 : 0
        case .or: return a != 0 || b != 0 ? 1 : 0
        }
    }

    /// The n-th derivative of digamma: recurrence up to x ≥ 15, then the asymptotic
    /// series psi^(n)(x) ~ (-1)^(n+1) [ (n-1)!/x^n + n!/(2 x^(n+1)) + sum_k B_2k (2k+n-1)!/((2k)! x^(2k+n)) ].
    public static func polygamma(_ n: Int, _ x: Double) -> Double {
        if n == 0 { return digamma(x) }
        if n == 1 { return trigamma(x) }
        // The recurrence below holds for every x but the poles 0, -1, -2, ...
        if x.isNaN || x <= 0 && x == x.rounded() { return .nan }
        let sign: Double = n % 2 == 1 ? 1 : -1
        var x = x, r = 0.0
        let nFact = Foundation.tgamma(Double(n + 1))
        while x < 15 { r += nFact / Foundation.pow(x, Double(n + 1)); x += 1 }
        let bernoulli: [Double] = [1.0 / 6, -1.0 / 30, 1.0 / 42, -1.0 / 30, 5.0 / 66, -691.0 / 2730, 7.0 / 6]
        var series = Foundation.tgamma(Double(n)) / Foundation.pow(x, Double(n)) + nFact / (2 * Foundation.pow(x, Double(n + 1)))
        for (k, b) in bernoulli.enumerated() {
            let twoK = Double(2 * (k + 1))
            series += b * Foundation.exp(Foundation.lgamma(twoK + Double(n)) - Foundation.lgamma(twoK + 1)) / Foundation.pow(x, twoK + Double(n))
        }
        return sign * (r + series)
    }

    /// log(erfc(x)). Below 26, where glibc's erfc is accurate and does not underflow, the
    /// logarithm of it; above, the asymptotic series erfc(x) = exp(−x²) / (x √π) ·
    /// Σₖ (−1)ᵏ (2k − 1)!! / (2x²)ᵏ (Abramowitz & Stegun 7.1.23), whose twelfth term is
    /// below 1e-30 there.
    public static func logErfc(_ x: Double) -> Double {
        if !(x >= 26) { return Foundation.log(Foundation.erfc(x)) }
        if x == .infinity { return -.infinity }
        let y = 1 / (2 * x * x)
        var term = 1.0, sum = 1.0
        for k in 1...12 {
            term *= -Double(2 * k - 1) * y
            sum += term
        }
        return -x * x - Foundation.log(x) - 0.5 * Foundation.log(Double.pi) + Foundation.log(sum)
    }

    /// log(1 + exp(x)) without overflow.
    public static func log1pExp(_ x: Double) -> Double {
        x > 0 ? x + Foundation.log1p(Foundation.exp(-x)) : Foundation.log1p(Foundation.exp(x))
    }

    /// Digamma by recurrence up to x ≥ 10 and the asymptotic series (error below 1e-14);
    /// reflection psi(x) = psi(1 - x) - pi / tan(pi x) for x < 0.
    public static func digamma(_ x: Double) -> Double {
        if x.isNaN || x == -.infinity { return .nan }
        if x <= 0 && x == x.rounded() { return .nan }
        if x < 0 { return digamma(1 - x) - Double.pi / Foundation.tan(Double.pi * x) }
        var x = x, r = 0.0
        while x < 10 { r -= 1 / x; x += 1 }
        let f = 1 / (x * x)
        let series = f * (-1.0 / 12 + f * (1.0 / 120 + f * (-1.0 / 252 + f * (1.0 / 240 + f * (-1.0 / 132
            + f * (691.0 / 32760 + f * (-1.0 / 12)))))))
        return r + Foundation.log(x) - 0.5 / x + series
    }

    /// Trigamma by recurrence up to x ≥ 10 and the asymptotic series (error below 1e-14);
    /// reflection for x < 0.
    public static func trigamma(_ x: Double) -> Double {
        if x.isNaN || x == -.infinity { return .nan }
        if x <= 0 && x == x.rounded() { return .nan }
        if x < 0 {
            let s = Foundation.sin(Double.pi * x)
            return -trigamma(1 - x) + Double.pi * Double.pi / (s * s)
        }
        var x = x, r = 0.0
        while x < 10 { r += 1 / (x * x); x += 1 }
        let f = 1 / (x * x)
        let series = 1 / x + f / 2 + f / x * (1.0 / 6 + f * (-1.0 / 30 + f * (1.0 / 42 + f * (-1.0 / 30
            + f * (5.0 / 66 + f * (-691.0 / 2730))))))
        return r + series
    }
}
