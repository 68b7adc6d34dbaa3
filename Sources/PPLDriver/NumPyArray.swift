import Foundation

/// An array in NumPy's `.npy` format (numpy's `numpy/lib/format.py` documents it): the magic
/// bytes `\x93NUMPY`, the format's version, the length of the header (2 bytes in version 1,
/// 4 in versions 2 and 3), the header — a Python dict literal such as
/// `{'descr': '<f8', 'fortran_order': False, 'shape': (1000, 20), }` — and the elements,
/// here little-endian and in C (row-major) order, as ppl holds every value.
struct NumPyArray {
    /// The element types ppl reads; `descr` names them as `<f8`, `|u1`, `|b1`, ...
    enum DType: String {
        case float64 = "f8", float32 = "f4"
        case int64 = "i8", int32 = "i4", int16 = "i2", int8 = "i1"
        case uint64 = "u8", uint32 = "u4", uint16 = "u2", uint8 = "u1"
        case bool = "b1"

        var size: Int { Int(rawValue.dropFirst())! }
        var isInteger: Bool {
            switch self {
            case .float64, .float32: return false
            case .int64, .int32, .int16, .int8, .uint64, .uint32, .uint16, .uint8, .bool: return true
            }
        }
        /// numpy's name for it.
        var name: String { self == .bool ? "bool" : "\(String(describing: self))" }
    }

    let dtype: DType
    let shape: [Int]
    /// The number of elements.
    let count: Int

    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// `(1000, 20)`, as numpy prints a shape.
    static func shapeText(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(\(shape.map(String.init).joined(separator: ", ")))"
    }

    /// Reads the header from the start of `stream`, which is left at the first element, and
    /// checks that the stream holds exactly the elements it describes.
    init(_ stream: any ByteStream) throws(DataFormatError) {
        guard stream.remaining >= 10 else { throw DataFormatError("not a .npy array: too short for its header") }
        let start = try stream.bytes(10)
        guard Array(start[0..<6]) == Self.magic else { throw DataFormatError("not a .npy array: no \\x93NUMPY at its start") }
        let length: Int
        switch start[6] {
        case 1: length = start.uint16(8)
        case 2, 3:
            let more = try stream.bytes(2)
            length = (start + more).uint32(8)
        default: throw DataFormatError("a .npy array of format version \(start[6]).\(start[7]), which ppl does not read (1.0 to 3.0)")
        }
        guard length <= stream.remaining else { throw DataFormatError("truncated: the file ends inside the .npy header") }
        var parser = HeaderParser(bytes: try stream.bytes(length))
        let fields = try parser.dict()
        guard case .string(let descr)? = fields["descr"] else {
            if case .list? = fields["descr"] {
                throw DataFormatError("a structured array (a record dtype), which ppl does not read: save each field as an array")
            }
            throw DataFormatError("the .npy header has no 'descr'")
        }
        guard case .bool(let fortran)? = fields["fortran_order"] else { throw DataFormatError("the .npy header has no 'fortran_order'") }
        guard case .tuple(let dims)? = fields["shape"] else { throw DataFormatError("the .npy header has no 'shape'") }
        dtype = try Self.dtype(descr)
        shape = dims
        if fortran && dims.filter({ $0 > 1 }).count > 1 {
            throw DataFormatError("an array in Fortran (column-major) order; save np.ascontiguousarray(x), in C order")
        }
        var n = 1
        for d in dims {
            let (product, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow else { throw DataFormatError("the shape \(Self.shapeText(dims)) has too many elements") }
            n = product
        }
        count = n
        let (bytes, overflow) = n.multipliedReportingOverflow(by: dtype.size)
        guard !overflow, bytes <= stream.remaining else {
            throw DataFormatError("truncated: a \(dtype.name) array of shape \(Self.shapeText(dims)) needs \(n) × \(dtype.size) bytes, "
                                  + "but only \(stream.remaining) follow its header")
        }
        guard bytes == stream.remaining else {
            throw DataFormatError("\(stream.remaining - bytes) bytes follow the data of a \(dtype.name) array of shape \(Self.shapeText(dims))")
        }
    }

    /// The dtype a `descr` names, or why ppl does not read it.
    private static func dtype(_ descr: String) throws(DataFormatError) -> DType {
        let order = descr.first
        let code = String(descr.dropFirst())
        let kinds = "float64, float32, int64, int32, int16, int8, uint64, uint32, uint16, uint8 or bool"
        switch code.first {
        case "O": throw DataFormatError("an object array (pickled Python objects), which ppl does not read; save a numeric array")
        case "U", "S", "a": throw DataFormatError("an array of strings ('\(descr)'), which ppl does not read")
        default: break
        }
        guard "<>|=".contains(order ?? " "), let type = DType(rawValue: code) else {
            throw DataFormatError("an array of dtype '\(descr)', which ppl does not read: it reads \(kinds)")
        }
        guard order != ">" || type.size == 1 else {
            throw DataFormatError("a big-endian array ('\(descr)'); save x.astype('<\(code)'), little-endian")
        }
        return type
    }

    /// The elements as doubles, read from `stream` straight into their storage (a float64
    /// array with no copy), and the first element of an int64 or uint64 array beyond ±2^53,
    /// which a double does not hold exactly: its index and its exact value.
    func values(_ stream: any ByteStream) throws(DataFormatError) -> (values: [Double], inexact: (index: Int, text: String)?) {
        var inexact: (index: Int, text: String)?
        var failure: DataFormatError?
        let values = [Double](unsafeUninitializedCapacity: count) { out, initialized in
            do throws(DataFormatError) {
                try read(stream, into: out, inexact: &inexact)
                initialized = count
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        try stream.finish()
        return (values, inexact)
    }

    /// The elements of the rows `rows` along the first dimension, as `values`: the other
    /// rows are gone past, never held.
    func values(_ stream: any ByteStream, rows: Range<Int>) throws(DataFormatError) -> (values: [Double], inexact: (index: Int, text: String)?) {
        let width = shape.dropFirst().reduce(1, *)
        try stream.skip(rows.lowerBound * width * dtype.size)
        let count = rows.count * width
        var inexact: (index: Int, text: String)?
        var failure: DataFormatError?
        let values = [Double](unsafeUninitializedCapacity: count) { out, initialized in
            do throws(DataFormatError) {
                try read(stream, into: out, count: count, inexact: &inexact)
                initialized = count
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        // A compressed member is inflated to its end, and its CRC-32 checked; a stored one's
        // rows after these are not read.
        try stream.skip(stream.remaining)
        try stream.finish()
        return (values, inexact)
    }

    private func read(_ stream: any ByteStream, into out: UnsafeMutableBufferPointer<Double>, count: Int? = nil,
                      inexact: inout (index: Int, text: String)?) throws(DataFormatError) {
        let count = count ?? self.count
        // ppl's hosts (x86-64, arm64) are little-endian, as the data are: the bytes are the doubles.
        if dtype == .float64 {
            try stream.read(into: UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: out[0..<count])))
            return
        }
        let chunk = 1 << 16
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: min(count, chunk) * dtype.size, alignment: 8)
        defer { buffer.deallocate() }
        var done = 0
        while done < count {
            let m = min(count - done, chunk)
            let bytes = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(m * dtype.size)])
            try stream.read(into: bytes)
            let into = out.baseAddress! + done
            let raw = UnsafeRawBufferPointer(bytes)
            switch dtype {
            case .float64: break
            case .float32:
                for k in 0..<m { into[k] = Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * k, as: UInt32.self)))) }
            case .int64: Self.convert(Int64.self, raw, m, into, done, &inexact)
            case .int32: Self.convert(Int32.self, raw, m, into, done, &inexact)
            case .int16: Self.convert(Int16.self, raw, m, into, done, &inexact)
            case .int8: Self.convert(Int8.self, raw, m, into, done, &inexact)
            case .uint64: Self.convert(UInt64.self, raw, m, into, done, &inexact)
            case .uint32: Self.convert(UInt32.self, raw, m, into, done, &inexact)
            case .uint16: Self.convert(UInt16.self, raw, m, into, done, &inexact)
            case .uint8: Self.convert(UInt8.self, raw, m, into, done, &inexact)
            case .bool:
                for k in 0..<m { into[k] = raw[k] == 0 ? 0 : 1 }
            }
            done += m
        }
    }

    /// Little-endian integers of type `T` to doubles, noting the first beyond ±2^53.
    private static func convert<T: FixedWidthInteger>(_: T.Type, _ raw: UnsafeRawBufferPointer, _ m: Int, _ into: UnsafeMutablePointer<Double>,
                                                      _ offset: Int, _ inexact: inout (index: Int, text: String)?) {
        let size = MemoryLayout<T>.size
        for k in 0..<m {
            let v = T(littleEndian: raw.loadUnaligned(fromByteOffset: size * k, as: T.self))
            into[k] = Double(v)
            if T.bitWidth > 53, inexact == nil, v.magnitude > 1 << 53 { inexact = (offset + k, String(v)) }
        }
    }
}

/// The Python literals of a `.npy` header: a dict of strings, booleans, ints and tuples.
private struct HeaderParser {
    enum Value {
        case string(String), bool(Bool), int(Int), tuple([Int]), list, none
    }

    let bytes: [UInt8]
    var at = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    private func failure() -> DataFormatError {
        DataFormatError("the .npy header is not a Python dict literal: '\(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).prefix(200))'")
    }

    private mutating func skipSpace() {
        while at < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[at]) { at += 1 }
    }

    /// Skips space, then consumes `c` if it is next.
    private mutating func take(_ c: Character) -> Bool {
        skipSpace()
        guard at < bytes.count, bytes[at] == c.asciiValue! else { return false }
        at += 1
        return true
    }

    mutating func dict() throws(DataFormatError) -> [String: Value] {
        guard take("{") else { throw failure() }
        var fields: [String: Value] = [:]
        while !take("}") {
            guard case .string(let key) = try value(), take(":") else { throw failure() }
            fields[key] = try value()
            if !take(",") {
                guard take("}") else { throw failure() }
                break
            }
        }
        return fields
    }

    private mutating func value() throws(DataFormatError) -> Value {
        skipSpace()
        guard at < bytes.count else { throw failure() }
        let c = bytes[at]
        if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
            at += 1
            let start = at
            while at < bytes.count, bytes[at] != c { at += 1 }
            guard at < bytes.count else { throw failure() }
            at += 1
            return .string(String(decoding: bytes[start..<(at - 1)], as: UTF8.self))
        }
        if c == UInt8(ascii: "(") || c == UInt8(ascii: "[") {
            let close: Character = c == UInt8(ascii: "(") ? ")" : "]"
            at += 1
            var items: [Int] = []
            var nested = false
            while !take(close) {
                switch try value() {
                case .int(let n): items.append(n)
                default: nested = true
                }
                if !take(",") {
                    guard take(close) else { throw failure() }
                    break
                }
            }
            if close == "]" { return .list }
            guard !nested else { throw failure() }
            return .tuple(items)
        }
        let start = at
        while at < bytes.count, bytes[at].isLetterOrDigit { at += 1 }
        switch String(decoding: bytes[start..<at], as: UTF8.self) {
        case "True": return .bool(true)
        case "False": return .bool(false)
        case "None": return .none
        case let word:
            // Python 2 wrote long ints with an L.
            guard let n = Int(word.hasSuffix("L") ? String(word.dropLast()) : word), n >= 0 else { throw failure() }
            return .int(n)
        }
    }
}

private extension UInt8 {
    var isLetterOrDigit: Bool {
        (0x30...0x39).contains(self) || (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self)
    }
}
