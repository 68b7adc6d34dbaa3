import Foundation

/// A truncated Taylor polynomial in three variables: the value of a function and its
/// partial derivatives up to given orders in each variable, at one point.
///
/// Coefficients are kept for the monomials u^i v^j w^k with i ≤ n₁, j ≤ n₂, k ≤ n₃ (a box,
/// which products keep closed: the coefficient of a monomial only depends on those of its
/// divisors), normalised so that c[i, j, k] = ∂^(i+j+k) f / ∂u^i ∂v^j ∂w^k / (i! j! k!).
/// Products are convolutions over the box; a function of a jet is its Taylor series at the
/// value, f(x₀ + h) = Σₙ f⁽ⁿ⁾(x₀) hⁿ / n!, which ends at the total order since h has no
/// constant term (Griewank & Walther 2008, ch. 13).
struct Jet {
    /// The highest order kept in each of the three variables.
    let orders: (Int, Int, Int)
    /// Coefficients, row-major over the box.
    var c: [Double]

    /// A constant.
    init(_ value: Double, orders: (Int, Int, Int)) {
        self.orders = orders
        c = [Double](repeating: 0, count: (orders.0 + 1) * (orders.1 + 1) * (orders.2 + 1))
        c[0] = value
    }

    /// Variable number `k` (0, 1 or 2) at `value`: the value plus one unit in direction k.
    static func variable(_ value: Double, _ k: Int, orders: (Int, Int, Int)) -> Jet {
        var j = Jet(value, orders: orders)
        let s = j.strides
        switch k {
        case 0: if orders.0 > 0 { j.c[s.0] = 1 }
        case 1: if orders.1 > 0 { j.c[s.1] = 1 }
        default: if orders.2 > 0 { j.c[1] = 1 }
        }
        return j
    }

    /// The partial derivative of orders (i, j, k), each at most the jet's.
    func derivative(_ i: Int, _ j: Int, _ k: Int) -> Double {
        let s = strides
        func factorial(_ n: Int) -> Double { n < 2 ? 1 : (2...n).reduce(1.0) { $0 * Double($1) } }
        return c[i * s.0 + j * s.1 + k] * factorial(i) * factorial(j) * factorial(k)
    }

    /// Row-major strides of the first two variables (the third's is 1).
    private var strides: (Int, Int) { ((orders.1 + 1) * (orders.2 + 1), orders.2 + 1) }

    /// The total order: how often a function composed with this jet is differentiated.
    private var totalOrder: Int { orders.0 + orders.1 + orders.2 }

    /// Σₙ d[n] hⁿ / n! with h = self − value.
    private func compose(_ d: [Double]) -> Jet {
        var h = self
        h.c[0] = 0
        var out = Jet(d[0], orders: orders)
        var power = Jet(1, orders: orders)
        var factorial = 1.0
        for n in stride(from: 1, through: totalOrder, by: 1) {
            power = power * h
            factorial *= Double(n)
            let scale = d[n] / factorial
            for i in out.c.indices { out.c[i] += scale * power.c[i] }
        }
        return out
    }

    /// log of (`at` + h): derivatives (−1)^(n−1) (n−1)! / atⁿ.
    private static func logarithm(_ x: Jet, at a: Double, _ value: Double) -> Jet {
        var d = [value]
        var term = 1 / a
        for k in stride(from: 1, through: x.totalOrder, by: 1) {
            d.append(term)
            term *= -Double(k) / a
        }
        return x.compose(d)
    }
}

extension Jet: Taylor {
    var value: Double { c[0] }
    func constant(_ x: Double) -> Jet { Jet(x, orders: orders) }

    static func + (a: Jet, b: Jet) -> Jet {
        var r = a
        for i in r.c.indices { r.c[i] += b.c[i] }
        return r
    }

    static func - (a: Jet, b: Jet) -> Jet {
        var r = a
        for i in r.c.indices { r.c[i] -= b.c[i] }
        return r
    }

    static prefix func - (a: Jet) -> Jet {
        var r = a
        for i in r.c.indices { r.c[i] = -r.c[i] }
        return r
    }

    /// r[i, j, k] = Σ a[p, q, s] b[i − p, j − q, k − s] over p ≤ i, q ≤ j, s ≤ k.
    static func * (a: Jet, b: Jet) -> Jet {
        var r = Jet(0, orders: a.orders)
        let (n1, n2, n3) = a.orders
        let (s1, s2) = a.strides
        for i in 0...n1 {
            for j in 0...n2 {
                for k in 0...n3 {
                    var t = 0.0
                    for p in 0...i {
                        for q in 0...j {
                            for s in 0...k { t += a.c[p * s1 + q * s2 + s] * b.c[(i - p) * s1 + (j - q) * s2 + k - s] }
                        }
                    }
                    r.c[i * s1 + j * s2 + k] = t
                }
            }
        }
        return r
    }

    /// a times the series of 1/b: derivatives (−1)ⁿ n! / b₀^(n+1).
    static func / (a: Jet, b: Jet) -> Jet {
        let x = b.value
        var d = [1 / x]
        for k in stride(from: 1, through: b.totalOrder, by: 1) { d.append(-d[k - 1] * Double(k) / x) }
        return a * b.compose(d)
    }

    static func exp(_ x: Jet) -> Jet {
        x.compose([Double](repeating: Foundation.exp(x.value), count: x.totalOrder + 1))
    }

    static func log(_ x: Jet) -> Jet { logarithm(x, at: x.value, Foundation.log(x.value)) }

    static func log1p(_ x: Jet) -> Jet { logarithm(x, at: 1 + x.value, Foundation.log1p(x.value)) }

    /// Derivatives of lgamma: the polygamma functions.
    static func lgamma(_ x: Jet) -> Jet {
        let value: Double = Foundation.lgamma(x.value)
        var d = [value]
        for k in stride(from: 1, through: x.totalOrder, by: 1) { d.append(ScalarMath.polygamma(k - 1, x.value)) }
        return x.compose(d)
    }

    func negligible(comparedTo total: Jet, tolerance: Double) -> Bool {
        for i in c.indices {
            let scale = Swift.abs(total.c[i]) + (i == 0 ? 0 : Swift.abs(total.c[0]))
            if !(Swift.abs(c[i]) <= tolerance * scale) { return false }
        }
        return true
    }
}
