/// A symbolic size: a polynomial with integer coefficients over named int data
/// (`N`, `2*K`, `N - 1`, `N*K`). Kept in canonical form so equal sizes compare equal.
/// Anything that is not a polynomial (`N / 2`, a size only known at run time) is an
/// opaque atom.
public struct Size: Hashable, Sendable, CustomStringConvertible {
    /// Monomial (sorted atom names; empty for the constant term) → coefficient, no zeros.
    public private(set) var terms: [[String]: Int]

    public init(_ c: Int) { terms = c == 0 ? [:] : [[]: c] }
    public init(symbol: String) { terms = [[symbol]: 1] }
    private init(terms: [[String]: Int]) { self.terms = terms.filter { $0.value != 0 } }

    /// The constant value, when the size does not depend on data.
    public var constant: Int? {
        if terms.isEmpty { return 0 }
        if terms.count == 1, let c = terms[[]] { return c }
        return nil
    }

    public static func + (a: Size, b: Size) -> Size {
        var t = a.terms
        for (k, v) in b.terms { t[k, default: 0] &+= v }
        return Size(terms: t)
    }
    public static func - (a: Size, b: Size) -> Size { a + b * Size(-1) }
    public static func * (a: Size, b: Size) -> Size {
        var t: [[String]: Int] = [:]
        for (ka, va) in a.terms { for (kb, vb) in b.terms { t[(ka + kb).sorted(), default: 0] &+= va &* vb } }
        return Size(terms: t)
    }
    /// Integer division; folded when both are constants, otherwise an atom.
    public static func / (a: Size, b: Size) -> Size {
        if let x = a.constant, let y = b.constant, y != 0 { return Size(x / y) }
        if b.constant == 1 { return a }
        return Size(symbol: "(\(a) / \(b))")
    }

    public func evaluate(_ env: (String) -> Int?) -> Int? {
        var total = 0
        for (k, v) in terms {
            var m = v
            for atom in k {
                guard let x = env(atom) else { return nil }
                m = m &* x
            }
            total = total &+ m
        }
        return total
    }

    public var description: String {
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
