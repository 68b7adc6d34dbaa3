import PPLEngine
import PPLIR
import PPLSema

/// A 64-bit FNV-1a hash (Fowler, Noll, Vo): h ← (h ⊕ byte) · 1099511628211 from
/// 14695981039346656037. It tells a saved fit's model or data from changed ones; it is
/// not meant to resist someone crafting a collision.
struct ContentHash {
    private(set) var value: UInt64 = 14_695_981_039_346_656_037

    mutating func add<S: Sequence<UInt8>>(_ bytes: S) {
        for b in bytes { value = (value ^ UInt64(b)) &* 1_099_511_628_211 }
    }

    mutating func add(_ text: String) {
        add(text.utf8)
        add([0])
    }

    mutating func add(_ x: UInt64) {
        for k in 0..<8 { add([UInt8(truncatingIfNeeded: x >> (8 * k))]) }
    }

    var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The model as it will run, imports and the standard library included: the
    /// declarations and the printed programs. Comments and layout do not count.
    static func model(_ m: CheckedModel) -> String {
        var h = ContentHash()
        for d in m.data + m.params { h.add("\(d.name): \(d.typeText)") }
        for p in [m.transformedData, m.logDensity, m.derived, m.paramBounds] { h.add(Printer.print(p)) }
        return h.hex
    }

    /// The data the model reads, by name: shapes and values, bit for bit.
    static func data(_ m: CheckedModel, _ values: [String: Tensor]) -> String {
        var h = ContentHash()
        for d in m.data {
            h.add(d.name)
            guard let t = values[d.name] else { continue }
            for n in t.shape { h.add(UInt64(bitPattern: Int64(n))) }
            for x in t.values { h.add(x.bitPattern) }
        }
        return h.hex
    }
}
