import Foundation

/// The arithmetic the incomplete beta and gamma algorithms are written over: `Double` for
/// their values, `Jet` for their partial derivatives of any order. Evaluating an algorithm
/// on jets is forward-mode differentiation of the algorithm itself, as Stan Math evaluates
/// its special functions on `fvar` for higher-order derivatives; a convergent series or
/// continued fraction has convergent derivatives, so the loops run until those have
/// converged too.
protocol Taylor {
    /// The value, without its derivatives: what the algorithms branch on.
    var value: Double { get }
    /// A constant with the same layout.
    func constant(_ c: Double) -> Self
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Self, b: Self) -> Self
    static func / (a: Self, b: Self) -> Self
    static prefix func - (a: Self) -> Self
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func log1p(_ x: Self) -> Self
    static func lgamma(_ x: Self) -> Self
    /// Whether adding `self` to `total` changes no coefficient by more than `tolerance`
    /// relative to it (the derivatives' coefficients also relative to the value).
    func negligible(comparedTo total: Self, tolerance: Double) -> Bool
}

extension Taylor {
    static func + (a: Self, b: Double) -> Self { a + a.constant(b) }
    static func - (a: Self, b: Double) -> Self { a - a.constant(b) }
    static func - (a: Double, b: Self) -> Self { b.constant(a) - b }
    static func * (a: Self, b: Double) -> Self { a * a.constant(b) }
    static func / (a: Self, b: Double) -> Self { a / a.constant(b) }
    static func / (a: Double, b: Self) -> Self { b.constant(a) / b }
    static func + (a: Double, b: Self) -> Self { b.constant(a) + b }
    static func * (a: Double, b: Self) -> Self { b.constant(a) * b }
}

extension Double: Taylor {
    var value: Double { self }
    func constant(_ c: Double) -> Double { c }
    static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    static func log(_ x: Double) -> Double { Foundation.log(x) }
    static func log1p(_ x: Double) -> Double { Foundation.log1p(x) }
    static func lgamma(_ x: Double) -> Double { Foundation.lgamma(x) }
    func negligible(comparedTo total: Double, tolerance: Double) -> Bool { Swift.abs(self) <= tolerance * Swift.abs(total) }
}
