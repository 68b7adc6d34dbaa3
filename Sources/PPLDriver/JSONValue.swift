/// A parsed JSON value. Numbers keep whether they were written as integers.
/// Not `indirect`: arrays and objects hold their elements in their own storage, and a
/// number stays inline (a boxed one cost ~50 bytes more per value of a big data file).
public enum JSONValue: Equatable, Sendable {
    case int(Int)
    case real(Double)
    case string(String)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x == y
        case (.real(let x), .real(let y)): return x == y || (x.isNaN && y.isNaN)
        case (.string(let x), .string(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.null, .null): return true
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)): return x.map(\.0) == y.map(\.0) && x.map(\.1) == y.map(\.1)
        default: return false
        }
    }
}

/// A strict JSON reader whose errors say where: `line 3, column 14: expected ',' or '}'`.
public struct JSONReader {
    public struct Failure: Error, CustomStringConvertible {
        public let line: Int, column: Int, message: String
        public var description: String { "line \(line), column \(column): \(message)" }
    }

    private let bytes: [UInt8]
    private var pos = 0
    private var depth = 0

    public static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        var r = JSONReader(bytes: bytes)
        r.skipSpace()
        let v = try r.value()
        r.skipSpace()
        if r.pos < bytes.count { throw r.fail("unexpected text after the JSON value") }
        return v
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func fail(_ message: String) -> Failure {
        var line = 1, col = 1
        for b in bytes[..<min(pos, bytes.count)] {
            if b == 10 { line += 1; col = 1 } else { col += 1 }
        }
        return Failure(line: line, column: col, message: message)
    }

    private var peek: UInt8? { pos < bytes.count ? bytes[pos] : nil }

    private mutating func skipSpace() {
        while let c = peek, c == 32 || c == 9 || c == 10 || c == 13 { pos += 1 }
    }

    private mutating func expect(_ c: UInt8, _ what: String) throws {
        skipSpace()
        guard peek == c else { throw fail(peek == nil ? "the file ends early: expected \(what)" : "expected \(what)") }
        pos += 1
    }

    private mutating func value() throws -> JSONValue {
        skipSpace()
        guard let c = peek else { throw fail("the file ends early: expected a value") }
        depth += 1
        defer { depth -= 1 }
        if depth > 512 { throw fail("nested too deeply") }
        switch c {
        case UInt8(ascii: "{"):
            pos += 1
            var fields: [(String, JSONValue)] = []
            var keys: Set<String> = []
            skipSpace()
            if peek == UInt8(ascii: "}") { pos += 1; return .object(fields) }
            while true {
                skipSpace()
                guard peek == UInt8(ascii: "\"") else { throw fail(peek == nil ? "the file ends early: expected a key" : "expected a quoted key") }
                let keyStart = pos
                let key = try string()
                // Which of two values a reader takes differs between readers: neither.
                guard keys.insert(key).inserted else {
                    pos = keyStart
                    throw fail("the key \"\(key)\" appears twice in the same object")
                }
                try expect(UInt8(ascii: ":"), "':' after the key")
                fields.append((key, try value()))
                skipSpace()
                if peek == UInt8(ascii: ",") { pos += 1; continue }
                try expect(UInt8(ascii: "}"), "',' or '}'")
                return .object(fields)
            }
        case UInt8(ascii: "["):
            pos += 1
            var items: [JSONValue] = []
            skipSpace()
            if peek == UInt8(ascii: "]") { pos += 1; return .array(items) }
            while true {
                items.append(try value())
                skipSpace()
                if peek == UInt8(ascii: ",") { pos += 1; continue }
                try expect(UInt8(ascii: "]"), "',' or ']'")
                return .array(items)
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): try word("true"); return .bool(true)
        case UInt8(ascii: "f"): try word("false"); return .bool(false)
        case UInt8(ascii: "n"): try word("null"); return .null
        // Not JSON, but what Python's json module (and so cmdstanpy's write_stan_json)
        // writes for non-finite numbers, and what CmdStan reads.
        case UInt8(ascii: "I"): try word("Infinity"); return .real(.infinity)
        case UInt8(ascii: "N"): try word("NaN"); return .real(.nan)
        case UInt8(ascii: "-") where pos + 1 < bytes.count && bytes[pos + 1] == UInt8(ascii: "I"):
            try word("-Infinity"); return .real(-.infinity)
        default:
            return try number()
        }
    }

    private mutating func word(_ w: String) throws {
        let u = Array(w.utf8)
        guard pos + u.count <= bytes.count, Array(bytes[pos..<pos + u.count]) == u else { throw fail("invalid value") }
        pos += u.count
    }

    private mutating func string() throws -> String {
        pos += 1
        var out: [UInt8] = []
        while let c = peek {
            pos += 1
            if c == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            if c == UInt8(ascii: "\\") {
                guard let e = peek else { break }
                pos += 1
                switch e {
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "u"):
                    guard pos + 4 <= bytes.count, let code = UInt32(String(decoding: bytes[pos..<pos + 4], as: UTF8.self), radix: 16) else {
                        throw fail("invalid \\u escape")
                    }
                    pos += 4
                    out += Array(String(Character(Unicode.Scalar(code) ?? "?")).utf8)
                default: out.append(e)
                }
            } else {
                out.append(c)
            }
        }
        throw fail("the file ends inside a string")
    }

    private mutating func number() throws -> JSONValue {
        let start = pos
        var isReal = false
        if peek == UInt8(ascii: "-") { pos += 1 }
        while let c = peek, (c >= 48 && c <= 57) || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
            || ((c == UInt8(ascii: "+") || c == UInt8(ascii: "-")) && pos > start) {
            if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") { isReal = true }
            pos += 1
        }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        if text.isEmpty || text == "-" { pos = start; throw fail("invalid value") }
        if !isReal, let i = Int(text) { return .int(i) }
        guard let d = Double(text) else { pos = start; throw fail("invalid number '\(text)'") }
        return .real(d)
    }
}
