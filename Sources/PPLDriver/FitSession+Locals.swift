import PPLEngine
import PPLInference
import PPLIR
import PPLSema
import PPLSyntax

extension FitSession {
    /// The local params of a fit — params with a row per row of the data, first dimension a
    /// data size N — which a diagonal Gaussian per row guides (`LocalLatents`): an amortized
    /// guide's `local`, or under minibatching along N every param with N rows, each row
    /// with its own parameters.
    struct Locals {
        /// The size their rows run along, and its value in the data.
        let size: String
        let rows: Int
        let names: [String]
        /// How the rows' Gaussians are parameterised, for a guide of R rows drawn at a batch's
        /// rows (`batched`) or at all of them.
        let guide: (_ batched: Bool) -> LocalLatents.Rows

        /// The local params of `options` for `runtime`'s model, nil where it has none; a
        /// misnamed `local` or `input`, or a param that cannot be local, is an error naming it.
        init?(_ options: FitOptions, runtime: ModelRuntime, minibatchLocals: [String]) throws(PPLError) {
            guard options.family == .amortized else {
                guard let m = options.minibatch, !minibatchLocals.isEmpty else { return nil }
                size = m.size
                rows = try Self.value(of: m.size, runtime)
                names = minibatchLocals
                guide = { _ in .perRow }
                return
            }
            let guideName = "amortized guide '\(options.guide)'"
            let params = runtime.model.params
            func rowsSize(_ shape: Shape) -> String? {
                Self.leadingSize(shape).flatMap { n in runtime.model.data.contains { $0.name == n && $0.type == .int } ? n : nil }
            }
            let localName = options.local.isEmpty ? params.first { rowsSize($0.type.shape) != nil }?.name : options.local
            guard let localName else {
                throw .user("the \(guideName) guides a local param, and the model has none: no param's first dimension is an "
                            + "int data (as vector[N] or matrix[N, K])")
            }
            guard let local = params.first(where: { $0.name == localName }) else {
                let help = closest(to: localName, in: params.map(\.name)).map { "; did you mean '\($0)'?" }
                    ?? "; the params are " + params.map(\.name).joined(separator: ", ")
                throw .user("'local' of the \(guideName) names '\(localName)', which is not a param of the model\(help)")
            }
            guard let n = rowsSize(local.type.shape) else {
                throw .user("'local' of the \(guideName) is '\(local.name)' (\(local.typeText)), whose first dimension is not "
                            + "an int data: a local param has a row per row of the data, as vector[N] or matrix[N, K]")
            }
            let density = runtime.space.density
            let readable = density.inputs.filter { $0.role == .data && Self.leadingSize($0.type.shape) == n }
            let inputName = options.input.isEmpty ? readable.first?.name : options.input
            guard let inputName, let input = density.inputs.first(where: { $0.name == inputName && $0.role == .data }) else {
                let names = readable.map(\.name).joined(separator: ", ")
                if options.input.isEmpty {
                    throw .user("the \(guideName) encodes the rows of data with a row per row of '\(n)', and the model's density "
                                + "reads none")
                }
                throw .user("'input' of the \(guideName) names '\(options.input)', which is not data the model's density reads"
                            + (readable.isEmpty ? "" : "; data with a row per row of \(n): " + names))
            }
            guard Self.leadingSize(input.type.shape) == n else {
                throw .user("'input' of the \(guideName) is '\(input.name)' (\(input.type)), which has no row per row of '\(n)', "
                            + "as '\(local.name)' (\(local.typeText)) has")
            }
            if let m = options.minibatch, m.size != n {
                throw .user("the \(guideName) encodes the rows of '\(n)', and minibatch draws the rows of '\(m.size)'")
            }
            if let other = minibatchLocals.first(where: { $0 != local.name }) {
                throw .user("minibatching along \(n): '\(other)' has a row per row of the data too, and the \(guideName) "
                            + "encodes '\(local.name)' alone")
            }
            if options.point.contains(local.name) {
                throw .user("'point' of the \(guideName) names '\(local.name)', its local param")
            }
            size = n
            rows = try Self.value(of: n, runtime)
            names = [local.name]
            let ints = runtime.values.compactMapValues { $0.count == 1 ? Int(exactly: $0.values[0]) : nil }
            var columns = 1
            if case .matrix(_, let c) = input.type.shape {
                guard let k = c.evaluate({ ints[$0] }) else {
                    throw .user("the columns of '\(input.name)' (\(input.type)) are not known from the data")
                }
                columns = k
            }
            let widths = options.hiddenWidths(columns), activation = options.activation, name = input.name
            guide = { batched in
                .amortized(Encoder(input: name, columns: columns, widths: widths, activation: activation,
                                   index: batched ? MinibatchedDensity.indexInput : nil))
            }
        }

        private static func value(of size: String, _ runtime: ModelRuntime) throws(PPLError) -> Int {
            guard let n = runtime.values[size].flatMap({ Int(exactly: $0.values[0]) }) else {
                throw .user("'\(size)' has no value in the data")
            }
            return n
        }

        /// The symbol a vector's length or a matrix's rows is exactly, nil otherwise.
        static func leadingSize(_ shape: Shape) -> String? {
            let first: Size
            switch shape {
            case .vector(let s): first = s
            case .matrix(let r, _): first = r
            case .scalar, .rowVector: return nil
            }
            guard first.constant == nil, let n = first.terms.keys.first?.first, first == Size(symbol: n) else { return nil }
            if case .matrix(_, let c) = shape, c.terms.keys.contains(where: { $0.contains(n) }) { return nil }
            return n
        }

        /// The local params' coordinates in z with their size bound to `r` rows.
        func blocks(_ runtime: ModelRuntime, rows r: Int) throws(PPLError) -> [LocalLatents.Block] {
            try runtime.space.layout.filter { names.contains($0.name) }.map { l throws(PPLError) in
                let env = bound(runtime, rows: r)
                guard let offset = l.offset.evaluate(env), let length = l.length.evaluate(env) else {
                    throw PPLError(InternalError("the unconstrained coordinates of '\(l.name)' are not known from the data"),
                                   otherwise: .internal)
                }
                return LocalLatents.Block(name: l.name, range: offset..<(offset + length), columns: length / r)
            }
        }

        /// The dimension of z with the size bound to `r` rows.
        func dimension(_ runtime: ModelRuntime, rows r: Int) -> Int? {
            runtime.space.dimension.evaluate(bound(runtime, rows: r))
        }

        /// The global coordinates (z without the local ones) of each param named in `points`.
        func globalRanges(of points: [String], _ runtime: ModelRuntime) throws(PPLError) -> [(name: String, range: Range<Int>)] {
            var at = 0, ranges: [(name: String, range: Range<Int>)] = []
            let env = bound(runtime, rows: rows)
            for l in runtime.space.layout where !names.contains(l.name) {
                guard let length = l.length.evaluate(env) else {
                    throw PPLError(InternalError("the unconstrained coordinates of '\(l.name)' are not known from the data"),
                                   otherwise: .internal)
                }
                if points.contains(l.name) { ranges.append((l.name, at..<(at + length))) }
                at += length
            }
            return ranges
        }

        private func bound(_ runtime: ModelRuntime, rows r: Int) -> (String) -> Int? {
            let ints = runtime.values.compactMapValues { $0.count == 1 ? Int(exactly: $0.values[0]) : nil }
            return { $0 == size ? r : ints[$0] }
        }

        /// The local coordinates of z over all N rows.
        func count(_ runtime: ModelRuntime) throws(PPLError) -> Int {
            try blocks(runtime, rows: rows).reduce(0) { $0 + $1.range.count }
        }

        /// The guide over all N rows, beside `base` over the global coordinates; and with a
        /// batch of rows, the guide of a step over them, the dimension of its z and, for rows
        /// with their own parameters, their table.
        func families(base: any NoiseMapFamily, _ options: FitOptions, _ runtime: ModelRuntime,
                      batch: Int?) throws(PPLError) -> (LocalLatents, (family: VariationalFamily, dimension: Int, table: RowTable?)?) {
            func family(rows r: Int, batched: Bool) throws(PPLError) -> LocalLatents {
                LocalLatents(base: base, family: options.family, blocks: try blocks(runtime, rows: r), rows: r,
                             scale: Double(rows) / Double(r), guide: guide(batched), refinement: options.refine)
            }
            let whole = try family(rows: rows, batched: false)
            guard let batch else { return (whole, nil) }
            let part = try family(rows: batch, batched: true)
            guard let d = dimension(runtime, rows: batch) else {
                throw PPLError(InternalError("the dimension of a batch is not known from the data"), otherwise: .internal)
            }
            guard case .perRow = part.guide else { return (whole, (part, d, nil)) }
            return (whole, (part, d, RowTable(full: whole, fullDimension: runtime.dimension, batch: part, batchDimension: d)))
        }
    }
}
