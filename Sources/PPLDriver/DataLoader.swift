import Foundation
import PPLEngine
import PPLIR
import PPLSema
import PPLSyntax

/// `path/model.ppl` reads `path/model.data.json` when it exists, else `path/model.data.npz`.
public func defaultDataPath(_ model: String) -> String? {
    let base = model.hasSuffix(".ppl") ? String(model.dropLast(4)) : model
    return [".data.json", ".data.npz"].map { base + $0 }.first { FileManager.default.fileExists(atPath: $0) }
}

/// Reads a model's data and checks types, sizes and bounds (`ModelRuntime` is the entry):
/// Stan-style JSON, where reals may be written as numbers or as "NaN", "Inf", "-Inf"; or
/// NumPy's `.npz` archives (`np.savez`, `np.savez_compressed`), whose array names are the
/// data's names, and `.npy` files, one array for a model of one data value. The format is
/// told by the file's first bytes. Every error is the user's, naming the file or the
/// variable and the index.
enum DataLoader {
    /// The data of `model` in the file at `path`. Data named in `optional` may be left
    /// out: they are then zeros of their declared shape, unchecked, and named in `absent`.
    ///
    /// With `shard`, only this rank's rows of the data whose first dimension is the shard's
    /// size are read (`Shard`), from an `.npz` archive or a `.npy` array.
    static func load(path: String, model: CheckedModel, optional: Set<String> = [],
                     absent: inout Set<String>, shard: Shard? = nil) throws -> [String: Tensor] {
        // A regular file is read by offset; a pipe or a device whole.
        guard let source = ByteSource(path: path) ?? FileManager.default.contents(atPath: path).map({ ByteSource(bytes: [UInt8]($0)) }) else {
            throw PPLError.user("cannot read the data file '\(path)'")
        }
        return try load(source, file: path, model: model, optional: optional, absent: &absent, shard: shard)
    }

    /// The data of `model` in the file whose contents are `bytes`; `file` names it in messages.
    static func load(bytes: [UInt8], file: String, model: CheckedModel, optional: Set<String> = [],
                     absent: inout Set<String>) throws -> [String: Tensor] {
        try load(ByteSource(bytes: bytes), file: file, model: model, optional: optional, absent: &absent)
    }

    private static func load(_ source: ByteSource, file: String, model: CheckedModel, optional: Set<String>,
                             absent: inout Set<String>, shard: Shard? = nil) throws -> [String: Tensor] {
        let head = try PPLError.during(.user) { () throws(DataFormatError) in try source.bytes(at: 0, count: min(6, source.count), "") }
        if head == NumPyArray.magic || head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            return try numpy(source, file: file, model: model, optional: optional, absent: &absent, shard: shard)
        }
        if let shard {
            throw PPLError.user("\(file): --shard \(shard.size) reads each rank's rows of an .npz archive, not of JSON; save the data "
                                + "with np.savez(\"data.npz\", ...)")
        }
        let bytes = try PPLError.during(.user) { () throws(DataFormatError) in try source.bytes(at: 0, count: source.count, "") }
        let json: JSONValue
        do {
            json = try JSONReader.parse(bytes)
        } catch let f as JSONReader.Failure {
            throw PPLError.user("\(file): invalid JSON at \(f)")
        }
        guard case .object(let fields) = json else {
            throw PPLError.user("\(file): the data must be a JSON object with one key per data variable")
        }
        return try tensors(Dictionary(fields, uniquingKeysWith: { a, _ in a }), model: model, file: file, optional: optional,
                           absent: &absent)
    }

    static func tensors(_ fields: [String: JSONValue], model: CheckedModel, file: String, optional: Set<String>,
                        absent: inout Set<String>) throws -> [String: Tensor] {
        try tensors(model: model, file: file, optional: optional, absent: &absent, given: { fields[$0] != nil }) { d, dims, _ in
            let v = fields[d.name]!
            // Nested JSON arrays, one level per dimension (an array's dimensions, then its
            // element's), read row-major: how the IR holds every value.
            var values: [Double] = []
            func read(_ v: JSONValue, _ level: Int, _ name: String) throws {
                guard level < dims.count else {
                    values.append(try number(v, d, name, file))
                    return
                }
                let items = try array(v, dims[level], d, name, file)
                let prefix = level == 0 ? "\(name)[" : "\(name.dropLast()),"
                for (k, item) in items.enumerated() { try read(item, level + 1, "\(prefix)\(k + 1)]") }
            }
            try read(v, 0, d.name)
            return Tensor(shape: dims, values: values)
        }
    }

    /// The data of `model`, declaration by declaration: `value` reads one the file has
    /// (`given`), of the dimensions its type gives with the ints read before it.
    /// With `shard`, the size it names is this rank's count of rows, its total is
    /// `MinibatchedDensity.totalInput`, and `value` reads the rank's rows of the data whose
    /// first dimension it is (given the range of them, else nil).
    static func tensors(model: CheckedModel, file: String, optional: Set<String>, absent: inout Set<String>,
                        given: (String) -> Bool, shard: Shard? = nil,
                        value: (Declaration, [Int], (range: Range<Int>, total: Int)?) throws -> Tensor) throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        var ints: [String: Int] = [:]
        var rows: (range: Range<Int>, total: Int)?
        for d in model.data {
            guard given(d.name) || optional.contains(d.name) else {
                throw PPLError.user("\(file): missing data '\(d.name)' (\(d.typeText))")
            }
            func size(_ s: Size) throws -> Int {
                switch s.evaluation({ ints[$0] }) {
                case .value(let n) where n >= 0: return n
                case .value(let n): throw PPLError.user("\(file): the size \(s) of '\(d.name)' is \(n) with these data: negative")
                case .overflow: throw PPLError.user("\(file): the size \(s) of '\(d.name)' overflows with these data")
                case .unknown: throw PPLError.user("\(file): the size \(s) of '\(d.name)' is not known from the data")
                }
            }
            let dims = try d.componentDims.map(size)
            // Past the shard's size, the data with it as their first dimension are split.
            var sharded = false
            if let shard, rows != nil {
                sharded = d.componentDims.first == Size(symbol: shard.size)
                if !sharded, d.componentDims.contains(where: { $0.mentionsSymbol(shard.size) }) {
                    throw PPLError.user("\(file): --shard \(shard.size): '\(d.name)' (\(d.typeText)) has \(shard.size) in a dimension "
                                        + "other than its first, and each rank reads whole rows")
                }
                if sharded, !given(d.name) {
                    throw PPLError.user("\(file): missing data '\(d.name)' (\(d.typeText)), which --shard \(shard.size) splits over the ranks")
                }
            }
            guard given(d.name) else {
                out[d.name] = Tensor(shape: dims, values: [Double](repeating: 0, count: dims.reduce(1, *)))
                absent.insert(d.name)
                continue
            }
            let t = try value(d, dims, sharded ? rows : nil)
            if dims.isEmpty, d.type.elem == .int { ints[d.name] = Int(exactly: t.values[0]) }
            try checkStructure(t, d, file)
            out[d.name] = t
            if let shard, d.name == shard.size, d.type == .int, let total = ints[d.name] {
                let mine = try shard.rows(of: total, file: file)
                rows = (mine, total)
                ints[d.name] = mine.count
                out[d.name] = Tensor(scalar: Double(mine.count))
                out[MinibatchedDensity.totalInput] = Tensor(scalar: Double(total))
            }
        }
        if let shard, rows == nil {
            throw PPLError.user("\(file): --shard names '\(shard.size)', which is not an int data of the model"
                                + (closest(to: shard.size, in: model.data.filter { $0.type == .int }.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""))
        }
        return out
    }

    private static func array(_ v: JSONValue, _ n: Int, _ d: Declaration, _ name: String, _ file: String) throws -> [JSONValue] {
        guard case .array(let items) = v else {
            throw PPLError.user("\(file): '\(name)' must be an array (\(d.typeText))")
        }
        guard items.count == n else {
            throw PPLError.user("\(file): '\(name)' has \(items.count) elements, but its type \(d.typeText) needs \(n)")
        }
        return items
    }

    private static func number(_ v: JSONValue, _ d: Declaration, _ name: String, _ file: String) throws -> Double {
        switch v {
        case .int(let i):
            // Data are held as doubles, exact for integers up to 2^53 only.
            guard i.magnitude <= 1 << 53 || d.type.elem == .real else {
                throw PPLError.user("\(file): '\(name)' is \(i), beyond ±2^53 (9007199254740992), the largest integers held exactly")
            }
            return Double(i)
        case .real(let x):
            // An integral real is an int, as CmdStan reads it (cmdstanpy writes `3.0` for an
            // int held in a float array).
            if d.type.elem == .int && !(x.isFinite && x.rounded() == x && x.magnitude <= 0x1p53) {
                throw PPLError.user("\(file): '\(name)' is \(x), but '\(d.name)' is \(d.typeText): an integer is needed")
            }
            return x
        case .string(let s) where d.type.elem == .real:
            switch s {
            case "NaN", "nan": return .nan
            case "Inf", "inf", "Infinity", "+Inf": return .infinity
            case "-Inf", "-inf", "-Infinity": return -.infinity
            default: break
            }
            throw PPLError.user("\(file): '\(name)' is the string \"\(s)\", not a number")
        default:
            let what = d.type.isScalar ? "a number" : "a number in \(d.typeText)"
            throw PPLError.user("\(file): '\(name)' must be \(what)")
        }
    }

    /// The structure of the constrained types, which bounds do not express.
    private static func checkStructure(_ t: Tensor, _ d: Declaration, _ file: String) throws {
        switch d.constraint {
        case .simplex, .ordered, .positiveOrdered: try checkEachVector(t, d, file)
        case .covMatrix, .corrMatrix:
            try checkSymmetricPositiveDefinite(t, d, file)
            if d.constraint == .corrMatrix {
                let k = t.shape[0]
                for i in 0..<k where abs(t.values[i * k + i] - 1) > tolerance {
                    throw PPLError.user("\(file): '\(d.name)[\(i + 1),\(i + 1)]' is \(t.values[i * k + i]), but a correlation matrix has ones on its diagonal")
                }
            }
        case .choleskyFactorCov, .choleskyFactorCorr:
            let (m, n) = (t.shape[0], t.shape[1])
            if m < n {
                throw PPLError.user("\(file): '\(d.name)' is \(m)×\(n), but a Cholesky factor has at least as many rows as columns")
            }
            for i in 0..<m {
                for j in 0..<n where j > i && t.values[i * n + j] != 0 {
                    throw PPLError.user("\(file): '\(d.name)[\(i + 1),\(j + 1)]' is \(t.values[i * n + j]), but a Cholesky factor is zero above its diagonal")
                }
                if i < n, !(t.values[i * n + i] > 0) {
                    throw PPLError.user("\(file): '\(d.name)[\(i + 1),\(i + 1)]' is \(t.values[i * n + i]), but a Cholesky factor has a positive diagonal")
                }
                if d.constraint == .choleskyFactorCorr {
                    let norm = t.values[(i * n)..<(i * n + n)].reduce(0) { $0 + $1 * $1 }
                    if abs(norm - 1) > tolerance {
                        throw PPLError.user("\(file): row \(i + 1) of '\(d.name)' has squared length \(norm), but the rows of the Cholesky factor of a correlation matrix have length 1")
                    }
                }
            }
        case .none, .lower, .upper, .lowerUpper, .affine: break
        }
    }

    /// A simplex sums to one, an ordered vector increases: each one, in an array of them.
    private static func checkEachVector(_ t: Tensor, _ d: Declaration, _ file: String) throws {
        let k = t.shape.last ?? 1
        for start in stride(from: 0, to: t.count, by: max(1, k)) {
            let x = t.values[start..<min(t.count, start + k)]
            let name = componentName(d.name, start / max(1, k), Array(t.shape.dropLast()))
            func at(_ i: Int) -> String { componentName(d.name, start + i, t.shape) }
            switch d.constraint {
            case .simplex:
                for (i, v) in x.enumerated() where v < 0 {
                    throw PPLError.user("\(file): '\(at(i))' is \(v), but a simplex is non-negative")
                }
                let s = x.reduce(0, +)
                if abs(s - 1) > 1e-8 { throw PPLError.user("\(file): '\(name)' sums to \(s), but a simplex sums to 1") }
            case .ordered, .positiveOrdered:
                for i in 1..<max(1, x.count) where !(x[start + i] > x[start + i - 1]) {
                    throw PPLError.user("\(file): '\(name)' is not strictly increasing at element \(i + 1)")
                }
                if d.constraint == .positiveOrdered, let first = x.first, !(first > 0) {
                    throw PPLError.user("\(file): '\(at(0))' is \(first), but positive_ordered values are positive")
                }
            default: return
            }
        }
    }

    /// Stan's tolerance for the equalities of constrained types (symmetry, unit diagonal, unit rows).
    static let tolerance = 1e-8

    /// Symmetric (to `tolerance`, relative) and positive definite (a Cholesky factorisation exists).
    private static func checkSymmetricPositiveDefinite(_ t: Tensor, _ d: Declaration, _ file: String) throws {
        let k = t.shape[0]
        let a = t.values
        for i in 0..<k {
            for j in 0..<i where abs(a[i * k + j] - a[j * k + i]) > tolerance * max(1, abs(a[i * k + j])) {
                throw PPLError.user("\(file): '\(d.name)' is not symmetric: '\(d.name)[\(i + 1),\(j + 1)]' is \(a[i * k + j]) but '\(d.name)[\(j + 1),\(i + 1)]' is \(a[j * k + i])")
            }
        }
        var l = [Double](repeating: 0, count: k * k)
        for j in 0..<k {
            var pivot = a[j * k + j]
            for m in 0..<j { pivot -= l[j * k + m] * l[j * k + m] }
            guard pivot > 0, pivot.isFinite else {
                throw PPLError.user("\(file): '\(d.name)' is not positive definite (its leading \(j + 1)×\(j + 1) block is singular or indefinite)")
            }
            l[j * k + j] = pivot.squareRoot()
            for i in (j + 1)..<max(j + 1, k) {
                var v = a[i * k + j]
                for m in 0..<j { v -= l[i * k + m] * l[j * k + m] }
                l[i * k + j] = v / l[j * k + j]
            }
        }
    }

    /// `x[2,3]`: the name of element `k` (0-based, row-major) of a value of these dimensions.
    static func componentName(_ name: String, _ k: Int, _ dims: [Int]) -> String {
        if dims.isEmpty { return name }
        var rest = k
        var indices: [Int] = []
        for n in dims.reversed() {
            indices.append(rest % max(1, n) + 1)
            rest /= max(1, n)
        }
        return "\(name)[\(indices.reversed().map(String.init).joined(separator: ","))]"
    }

    /// Checks the bounds of every data variable; bounds may use transformed data. With
    /// `rows`, the data hold a rank's rows of a sharded fit from row `first` of `total`
    /// along `size`, and an element is named by its index in the file.
    static func checkBounds(_ data: [String: Tensor], model: CheckedModel, file: String, absent: Set<String> = [],
                            rows: (size: String, first: Int, total: Int)? = nil) throws {
        for d in model.data where !absent.contains(d.name) {
            guard let t = data[d.name] else { continue }
            var componentName = { (name: String, k: Int, dims: [Int]) in DataLoader.componentName(name, k, dims) }
            if let rows, d.componentDims.first == Size(symbol: rows.size) {
                componentName = { name, k, dims in
                    DataLoader.componentName(name, rows.first * dims.dropFirst().reduce(1, *) + k, [rows.total] + dims.dropFirst())
                }
            }
            /// The bound for element k: a scalar bound, or its element k.
            func value(_ b: BoundValue, _ k: Int) -> Double? {
                switch b {
                case .constant(let c): return c
                case .named(let n), .computed(let n):
                    guard let v = data[n]?.values else { return nil }
                    return v.count == 1 ? v[0] : k < v.count ? v[k] : nil
                }
            }
            var lower: BoundValue?, upper: BoundValue?
            switch d.constraint {
            case .lower(let l): lower = l
            case .upper(let u): upper = u
            case .lowerUpper(let l, let u): (lower, upper) = (l, u)
            default: continue
            }
            for (k, x) in t.values.enumerated() {
                if let l = lower, let lv = value(l, k), !(x >= lv) {
                    throw PPLError.user("\(file): '\(componentName(d.name, k, t.shape))' is \(format(x)), below the lower bound \(format(lv)) of \(d.typeText)")
                }
                if let u = upper, let uv = value(u, k), !(x <= uv) {
                    throw PPLError.user("\(file): '\(componentName(d.name, k, t.shape))' is \(format(x)), above the upper bound \(format(uv)) of \(d.typeText)")
                }
            }
        }
    }

    static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }
}
