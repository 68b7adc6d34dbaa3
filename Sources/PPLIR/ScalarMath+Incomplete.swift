import Foundation

/// The regularised incomplete beta and gamma functions, written once over `Taylor`
/// arithmetic: on doubles for their values, on jets for their partial derivatives of any
/// order in every argument (the derivative rules of `Op.incomplete` ask for one order more
/// in the argument they differentiate, so the differentiator stays closed under itself).
extension ScalarMath {
    /// Steps of a series or continued fraction before giving up (NaN): the continued
    /// fractions take O(sqrt(max(a, b))) steps.
    static let maxSteps = 100_000
    static let tolerance = 1e-15

    /// The function `f` or, with orders not all zero, its partial derivative of those orders
    /// in each argument (a, b, x for inc_beta; a, x for gamma_p and gamma_q).
    public static func incomplete(_ f: IncompleteFn, _ args: [Double], orders: [Int]) -> Double {
        if orders.allSatisfy({ $0 == 0 }) {
            switch f {
            case .inc_beta: return incBeta(args[0], args[1], args[2])
            case .gamma_p: return incGamma(args[0], args[1], upper: false)
            case .gamma_q: return incGamma(args[0], args[1], upper: true)
            }
        }
        let o = (orders[0], orders[1], orders.count > 2 ? orders[2] : 0)
        let jets = args.indices.map { Jet.variable(args[$0], $0, orders: o) }
        switch f {
        case .inc_beta: return incBeta(jets[0], jets[1], jets[2]).derivative(o.0, o.1, o.2)
        case .gamma_p: return incGamma(jets[0], jets[1], upper: false).derivative(o.0, o.1, 0)
        case .gamma_q: return incGamma(jets[0], jets[1], upper: true).derivative(o.0, o.1, 0)
        }
    }

    /// I_x(a, b) = B(x; a, b) / B(a, b), by the continued fraction of Numerical Recipes
    /// (Press et al. 2007, §6.4), on whichever of I_x(a, b) = 1 − I_{1−x}(b, a) converges
    /// fast (x below the mean (a + 1) / (a + b + 2)). I_x(0, b) = 1, I_x(a, 0) = 0.
    static func incBeta<T: Taylor>(_ a: T, _ b: T, _ x: T) -> T {
        let (a0, b0, x0) = (a.value, b.value, x.value)
        guard a0 >= 0, b0 >= 0, a0 + b0 > 0, a0.isFinite, b0.isFinite, x0 >= 0, x0 <= 1 else { return x.constant(.nan) }
        if a0 == 0 || x0 == 1 { return x.constant(1) }
        if b0 == 0 || x0 == 0 { return x.constant(0) }
        let front = T.exp(a * T.log(x) + b * T.log1p(-x) - lbeta(a, b))
        if x0 < (a0 + 1) / (a0 + b0 + 2) {
            guard let f = betaFraction(a, b, x) else { return x.constant(.nan) }
            return front * f / a
        }
        guard let f = betaFraction(b, a, 1 - x) else { return x.constant(.nan) }
        return 1 - front * f / b
    }

    /// The continued fraction of I_x(a, b) x^(−a) (1 − x)^(−b) B(a, b) a, by Lentz's method.
    private static func betaFraction<T: Taylor>(_ a: T, _ b: T, _ x: T) -> T? {
        let qab = a + b, qap = a + 1, qam = a - 1
        var c = x.constant(1)
        var d = awayFromZero(1 - qab * x / qap)
        d = 1 / d
        var h = d
        for m in 1...maxSteps {
            let mm = Double(m), m2 = 2 * Double(m)
            var aa = mm * (b - mm) * x / ((qam + m2) * (a + m2))
            d = 1 / awayFromZero(1 + aa * d)
            c = awayFromZero(1 + aa / c)
            h = h * d * c
            aa = -(a + mm) * (qab + mm) * x / ((a + m2) * (qap + m2))
            d = 1 / awayFromZero(1 + aa * d)
            c = awayFromZero(1 + aa / c)
            let step = d * c
            h = h * step
            if (step - 1).negligible(comparedTo: step.constant(1), tolerance: tolerance) { return h }
        }
        return nil
    }

    /// P(a, x) = γ(a, x) / Γ(a), or Q(a, x) = 1 − P(a, x): the series of P below x = a + 1,
    /// the continued fraction of Q above (Press et al. 2007, §6.2).
    static func incGamma<T: Taylor>(_ a: T, _ x: T, upper: Bool) -> T {
        let (a0, x0) = (a.value, x.value)
        guard a0 > 0, a0.isFinite, x0 >= 0 else { return x.constant(.nan) }
        if x0 == 0 { return x.constant(upper ? 1 : 0) }
        if x0 == .infinity { return x.constant(upper ? 0 : 1) }
        let front = T.exp(a * T.log(x) - x - T.lgamma(a))
        if x0 < a0 + 1 {
            var ap = a, term = 1 / a, sum = term
            var converged = false
            for _ in 1...maxSteps {
                ap = ap + 1
                term = term * x / ap
                sum = sum + term
                if term.negligible(comparedTo: sum, tolerance: tolerance / 10) { converged = true; break }
            }
            guard converged else { return x.constant(.nan) }
            let p = front * sum
            return upper ? 1 - p : p
        }
        var bb = x + 1 - a
        var c = x.constant(1 / tiny)
        var d = 1 / bb
        var h = d
        for i in 1...maxSteps {
            let an = -Double(i) * (Double(i) - a)
            bb = bb + 2
            d = 1 / awayFromZero(an * d + bb)
            c = awayFromZero(bb + an / c)
            let step = d * c
            h = h * step
            if (step - 1).negligible(comparedTo: step.constant(1), tolerance: tolerance) {
                let q = front * h
                return upper ? q : 1 - q
            }
        }
        return x.constant(.nan)
    }

    private static let tiny = 1e-300

    /// Lentz's guard: a denominator that vanishes is replaced by a tiny one.
    private static func awayFromZero<T: Taylor>(_ v: T) -> T {
        Swift.abs(v.value) < tiny ? v.constant(tiny) : v
    }

    /// log B(a, b). Where an argument is large, lgamma's of nearly equal size would cancel:
    /// Stirling's series lgamma(x) = (x − 1/2) log x − x + log(2π)/2 + δ(x) is used for the
    /// large ones and the logarithms are combined first, so no digits are lost.
    static func lbeta<T: Taylor>(_ a: T, _ b: T) -> T {
        let (small, large) = a.value <= b.value ? (a, b) : (b, a)
        let sum = a + b
        if large.value < 10 { return T.lgamma(a) + T.lgamma(b) - T.lgamma(sum) }
        // lgamma(large) − lgamma(large + small), both by Stirling's series.
        let ratio: T = small / large
        let shift: T = (large - 0.5) * T.log1p(ratio)
        let tail: T = stirlingRemainder(large) - stirlingRemainder(sum) - shift
        let logSum: T = T.log(sum)
        if small.value < 10 {
            let rest: T = small - small * logSum
            return T.lgamma(small) + tail + rest
        }
        let halfLog2Pi: Double = 0.5 * Foundation.log(2 * Double.pi)
        let first: T = (small - 0.5) * T.log(small / sum)
        let second: T = stirlingRemainder(small) + tail
        return first + second - logSum * 0.5 + halfLog2Pi
    }

    /// δ(x) = lgamma(x) − (x − 1/2) log x + x − log(2π)/2 = Σ B₂ₖ / (2k (2k − 1) x^(2k−1)),
    /// eight terms: below 1e-16 for x ≥ 10.
    private static func stirlingRemainder<T: Taylor>(_ x: T) -> T {
        let coefficients: [Double] = [1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360_360, 1 / 156, -3617 / 122_400]
        let inverse = 1 / x, inverse2 = inverse * inverse
        var sum = x.constant(coefficients.last!)
        for k in stride(from: coefficients.count - 2, through: 0, by: -1) { sum = sum * inverse2 + coefficients[k] }
        return sum * inverse
    }
}
