import PPLEngine
import PPLSema
import PPLSyntax

/// NumPy data: an `.npz` archive of arrays named as the data (`np.savez("d.npz", N=N, X=X,
/// y=y)`, a scalar as a 0-d array), or one `.npy` array for a model of one data value. Each
/// array's shape is its declared one (`matrix[N, K]` is an (N, K) array, `array[J]
/// vector[K]` a (J, K) one); an int takes an array of ints or bools, or of floats that are
/// integers, as JSON data do.
extension DataLoader {
    static func numpy(_ source: ByteSource, file: String, model: CheckedModel, optional: Set<String>,
                      absent: inout Set<String>, shard: Shard? = nil) throws -> [String: Tensor] {
        /// Each array's bytes, by data name, and how to name the array in messages.
        var arrays: [String: (stream: () throws(DataFormatError) -> any ByteStream, label: String)] = [:]
        if (try? source.bytes(at: 0, count: 6, "")) == NumPyArray.magic {
            guard model.data.count == 1 else {
                let names = model.data.map(\.name)
                let call = names.isEmpty ? "" : " with np.savez(\"data.npz\", " + names.map { "\($0)=\($0)" }.joined(separator: ", ") + ")"
                throw PPLError.user("\(file): a .npy file holds one array, but the model declares \(names.count) data values"
                                    + (names.isEmpty ? "" : " (\(names.joined(separator: ", ")))") + "; save them in an .npz archive\(call)")
            }
            arrays[model.data[0].name] = ({ SliceStream(source, offset: 0, count: source.count) }, file)
        } else {
            let zip = try formatted(file) { () throws(DataFormatError) in try ZipArchive(source) }
            for member in zip.members where member.name.hasSuffix(".npy") {
                let name = String(member.name.dropLast(4))
                guard arrays[name] == nil else { throw PPLError.user("\(file): the archive holds '\(member.name)' twice") }
                arrays[name] = ({ () throws(DataFormatError) in try zip.stream(member) }, "\(file): '\(member.name)'")
            }
            if let missing = model.data.first(where: { arrays[$0.name] == nil && !optional.contains($0.name) }) {
                let near = closest(to: missing.name, in: arrays.keys).map { "; the archive has '\($0)'" } ?? ""
                throw PPLError.user("\(file): missing data '\(missing.name)' (\(missing.typeText))\(near)")
            }
        }
        return try tensors(model: model, file: file, optional: optional, absent: &absent, given: { arrays[$0] != nil },
                           shard: shard) { d, dims, rows in
            let (open, label) = arrays[d.name]!
            let stream = try formatted(label, open)
            let array = try formatted(label) { () throws(DataFormatError) in try NumPyArray(stream) }
            // A rank reads its rows of an array of them all.
            let fileDims = rows.map { [$0.total] + dims.dropFirst() } ?? dims
            guard array.shape == fileDims else {
                throw PPLError.user("\(file): '\(d.name)' is an array of shape \(NumPyArray.shapeText(array.shape)), but its type "
                                    + "\(d.typeText) needs \(NumPyArray.shapeText(fileDims))")
            }
            try MemoryBudget.check(Double(dims.reduce(1, *)), for: "'\(d.name)' in \(file)")
            let (values, inexact) = try formatted(label) { () throws(DataFormatError) in
                if let rows { return try array.values(stream, rows: rows.range) }
                return try array.values(stream)
            }
            // Messages name a component by its index in the file.
            let skipped = (rows?.range.lowerBound ?? 0) * dims.dropFirst().reduce(1, *)
            func componentName(_ name: String, _ k: Int, _: [Int]) -> String { DataLoader.componentName(name, skipped + k, fileDims) }
            if d.type.elem == .int {
                if let (k, text) = inexact {
                    throw PPLError.user("\(file): '\(componentName(d.name, k, dims))' is \(text), beyond ±2^53 (9007199254740992), "
                                        + "the largest integers held exactly")
                }
                if !array.dtype.isInteger, let k = values.firstIndex(where: { !($0.isFinite && $0.rounded() == $0 && $0.magnitude <= 0x1p53) }) {
                    throw PPLError.user("\(file): '\(componentName(d.name, k, dims))' is \(values[k]), but '\(d.name)' is \(d.typeText): "
                                        + "an integer is needed")
                }
            }
            return Tensor(shape: dims, values: values)
        }
    }

    /// `body`'s value, its format error the user's, after `label` (the file, or the file and the member).
    private static func formatted<T>(_ label: String, _ body: () throws(DataFormatError) -> T) throws(PPLError) -> T {
        do {
            return try body()
        } catch {
            throw .user("\(label): \(error.message)")
        }
    }
}
