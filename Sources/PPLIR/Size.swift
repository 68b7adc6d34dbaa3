/// A symbolic size: a polynomial with integer coefficients over named int data
/// (`N`, `2*K`, `N - 1`, `N*K`), possibly over a constant denominator where a count is
/// known to divide exactly (`(K*K - K)/2`, the strictly lower triangle of a K×K matrix).
/// Kept in canonical form so equal sizes compare equal. Anything that is not a polynomial
/// (`N / 2`, a size only known at run time) is an opaque atom.
public struct Size: Hashable, Sendable, CustomStringConvertible {
    /// Monomial (sorted atom names; empty for the constant term) → coefficient, no zeros.
    public private(set) var terms: [[String]: Int]
    /// Positive, and coprime with the coefficients (1 for a plain polynomial).
    public private(set) var denominator: Int

    public init(_ c: Int) { self.init(terms: [[]: c]) }
    public init(symbol: String) { self.init(terms: [[symbol]: 1]) }
    private init(terms: [[String]: Int], denominator: Int = 1) {
        var t = terms.filter { $0.value != 0 }
        var d = denominator
        let common = t.values.reduce(d) { gcd($0, $1) }
        if common > 1 {
            t = t.mapValues { $0 / common }
            d /= common
        }
        self.terms = t
        self.denominator = t.isEmpty ? 1 : d
    }

    /// The constant value, when the size does not depend on data.
    public var constant: Int? {
        if terms.isEmpty { return 0 }
        if terms.count == 1, let c = terms[[]], denominator == 1 { return c }
        return nil
    }

    public static func + (a: Size, b: Size) -> Size {
        var t = a.terms.mapValues { $0 &* b.denominator }
        for (k, v) in b.terms { t[k, default: 0] &+= v &* a.denominator }
        return Size(terms: t, denominator: a.denominator &* b.denominator)
    }
    public static func - (a: Size, b: Size) -> Size { a + b * Size(-1) }
    public static func * (a: Size, b: Size) -> Size {
        var t: [[String]: Int] = [:]
        for (ka, va) in a.terms { for (kb, vb) in b.terms { t[(ka + kb).sorted(), default: 0] &+= va &* vb } }
        return Size(terms: t, denominator: a.denominator &* b.denominator)
    }
    /// Exact division by a positive constant, for counts the divisor is known to divide for
    /// every value of the data (`K*(K - 1)` by 2); unlike `/`, the result stays a polynomial.
    public func dividedExactly(by d: Int) -> Size {
        precondition(d > 0, "a size is divided by a positive constant")
        return Size(terms: terms, denominator: denominator &* d)
    }
    /// Integer division; folded when both are constants, otherwise an atom.
    public static func / (a: Size, b: Size) -> Size {
        if let x = a.constant, let y = b.constant, y != 0 { return Size(x / y) }
        if b.constant == 1 { return a }
        return Size(symbol: "(\(a) / \(b))")
    }

    /// What a size comes to with the data's ints: its value, or none because an atom is not
    /// known, or because it overflows Int (`N*N*N` with N = 3,000,000).
    public enum Evaluation: Equatable, Sendable {
        case value(Int)
        case unknown
        case overflow
    }

    /// The value with the ints `env` gives, in checked arithmetic.
    public func evaluation(_ env: (String) -> Int?) -> Evaluation {
        var total = 0
        for (k, v) in terms {
            var m = v
            for atom in k {
                guard let x = env(atom) else { return .unknown }
                let (p, overflow) = m.multipliedReportingOverflow(by: x)
                if overflow { return .overflow }
                m = p
            }
            let (t, overflow) = total.addingReportingOverflow(m)
            if overflow { return .overflow }
            total = t
        }
        return .value(total / denominator)
    }

    /// The value, nil when it is not known or overflows.
    public func evaluate(_ env: (String) -> Int?) -> Int? {
        if case .value(let n) = evaluation(env) { return n }
        return nil
    }

    public var description: String {
        if denominator != 1 { return "(\(Size(terms: terms)))/\(denominator)" }
        if terms.isEmpty { return "0" }
        let keys = terms.keys.sorted { a, b in
            if a.isEmpty != b.isEmpty { return !a.isEmpty }
            if a.count != b.count { return a.count > b.count }
            return a.lexicographicallyPrecedes(b)
        }
        var s = ""
        for k in keys {
            let c = terms[k]!
            let mono = k.joined(separator: "*")
            let mag = abs(c)
            let body = k.isEmpty ? "\(mag)" : (mag == 1 ? mono : "\(mag)*\(mono)")
            if s.isEmpty { s = c < 0 ? "-\(body)" : body } else { s += c < 0 ? " - \(body)" : " + \(body)" }
        }
        return s
    }
}

private func gcd(_ a: Int, _ b: Int) -> Int {
    var (x, y) = (abs(a), abs(b))
    while y != 0 { (x, y) = (y, x % y) }
    return x
}
