import PPLIR
import PPLSyntax

/// Indexing of arrays held as matrices (`ArrayLayout`): the leading indices choose rows of
/// the matrix, the others columns within a row.
extension Elaborator {
    /// Where an index list points in an array's matrix.
    struct ArrayPosition {
        /// One row (an int) or several (an int vector).
        var rows: LoweredIndex
        /// Indices into the element (into the last dimension for arrays of scalars).
        var columns: [LoweredIndex]
        /// The array without the dimensions the row indices used.
        var rest: ArrayLayout?
        var restType: IRType
        var dep: Dep
    }

    /// The rows and columns `idx` selects, or nil after reporting why it cannot.
    func arrayPosition(_ base: TV, _ layout: ArrayLayout, _ idx: [IndexArg], span: SourceSpan, assigned: Bool = false) -> ArrayPosition? {
        let dims = layout.componentDims
        if idx.count > dims.count {
            sink.error("too many indices for \(layout): \(idx.count) given, at most \(dims.count)", at: span)
            return nil
        }
        guard let lowered = lowerIndices(idx, dims: dims, span: span, assigned: assigned) else { return nil }
        let rowDims = layout.rowDims
        let leading = Array(lowered.prefix(rowDims.count))
        var singles: [TV] = []
        for l in leading { if case .single(let t) = l { singles.append(t) } }
        let rows: LoweredIndex
        if singles.count == leading.count {
            // Row (i1 - 1) * stride1 + ... + (ij - 1) * stridej + 1, strides the products of
            // the row dimensions that follow; the last index of a whole row counts itself.
            var row: TV?
            for (k, t) in singles.enumerated() {
                let stride = rowDims[(k + 1)...].reduce(Size(1), *)
                let term = k == rowDims.count - 1 ? t : arithmetic(.mul, offset(t, by: -1), sizeTV(stride))
                row = row.map { arithmetic(.add, $0, term) } ?? term
            }
            if singles.count == rowDims.count {
                rows = .single(row!)
            } else {
                let block = rowDims[singles.count...].reduce(Size(1), *)
                let first = row.map { offset($0, by: 1) } ?? sizeTV(Size(1))
                let last = offset(arithmetic(.add, first, sizeTV(block)), by: -1)
                let v = builder.append(.range, [first.value, last.value], type: .intArray(block))
                rows = .multi(TV(value: v, type: .intArray(block), dep: first.dep))
            }
        } else if rowDims.count == 1 {
            rows = leading[0]
        } else {
            sink.error("\(layout) can be sliced only one element at a time along its first \(rowDims.count) dimensions",
                       at: span, help: "index the leading dimensions with ints, or loop over them")
            return nil
        }
        let (rest, restType) = layout.dropping(min(idx.count, rowDims.count))
        return ArrayPosition(rows: rows, columns: Array(lowered.dropFirst(rowDims.count)), rest: rest, restType: restType,
                             dep: indexDep(base.dep, lowered))
    }

    /// `x[...]` of an array held as a matrix.
    func arrayIndex(_ base: TV, _ layout: ArrayLayout, _ idx: [IndexArg], span: SourceSpan, baseSpan: SourceSpan) -> TV {
        guard let p = arrayPosition(base, layout, idx, span: span) else { return errorValue() }
        let rowCount = layout.rowDims.reduce(Size(1), *)
        return withSite(span, baseSpan) {
            let e = Emitter(builder)
            let rowsValue = indexValue(p.rows, rowCount)
            guard !p.columns.isEmpty else {
                let v = e.op(.at, base.value, rowsValue)
                if case .multi = p.rows { return TV(value: v, type: builder.type(of: v), dep: p.dep, layout: p.rest) }
                return element(TV(value: v, type: builder.type(of: v), dep: p.dep), as: p.restType, layout: p.rest)
            }
            if case .matrix(let r, let c) = layout.element.shape {
                guard case .single = p.rows else {
                    sink.error("index the array of matrices with an int before indexing its matrices", at: span)
                    return errorValue()
                }
                let m = element(TV(value: e.op(.at, base.value, rowsValue), type: .vector(r * c), dep: p.dep),
                                as: layout.element, layout: nil)
                return emitIndex(m, p.columns, dims: [r, c])
            }
            let v = e.op(.at2, base.value, rowsValue, indexValue(p.columns[0], layout.columns))
            var result = TV(value: v, type: builder.type(of: v), dep: p.dep)
            switch (p.rows, builder.type(of: v).shape) {
            case (.single, .vector):
                if case .rowVector = layout.element.shape { result = transposed(result) }
            case (_, .matrix(let m, let n)):
                let elem = layout.element.elem
                switch layout.element.shape {
                case .scalar: result.layout = ArrayLayout(dims: [m, n], element: IRType(elem, .scalar))
                case .rowVector: result.layout = ArrayLayout(dims: [m], element: IRType(elem, .rowVector(n)))
                default: result.layout = ArrayLayout(dims: [m], element: IRType(elem, .vector(n)))
                }
            default: break
            }
            return result
        }
    }

    /// A row of an array's matrix as its element (or sub-array): a vector as it is, a row
    /// vector transposed, a matrix reshaped.
    func element(_ row: TV, as type: IRType, layout: ArrayLayout?) -> TV {
        switch type.shape {
        case .rowVector: return transposed(row)
        case .matrix:
            let v = builder.append(.reshape, [row.value], type: type)
            return TV(value: v, type: type, dep: row.dep, layout: layout)
        default:
            var r = row
            r.layout = layout
            return r
        }
    }

    /// An element or sub-array as a row of an array's matrix: the inverse of `element`.
    func row(_ value: TV, of type: IRType) -> Value {
        switch (value.type.shape, type.shape) {
        case (.rowVector, .vector): return Emitter(builder).transpose(value.value)
        case (.matrix, .vector(let n)): return builder.append(.reshape, [value.value], type: IRType(value.type.elem, .vector(n)))
        default: return value.value
        }
    }

    private func transposed(_ x: TV) -> TV {
        let v = Emitter(builder).transpose(x.value)
        return TV(value: v, type: builder.type(of: v), dep: x.dep)
    }

    /// `t + k` for an int index.
    func offset(_ t: TV, by k: Int) -> TV {
        arithmetic(.add, t, TV(value: builder.constant(Double(k), .int), type: .int, dep: .literal, size: Size(k), constant: Double(k)))
    }

    func sizeTV(_ s: Size) -> TV {
        if let c = s.constant {
            return TV(value: builder.constant(Double(c), .int), type: .int, dep: .literal, size: s, constant: Double(c))
        }
        return TV(value: builder.append(.size(s), [], type: .int), type: .int, dep: .literal, size: s)
    }

    /// Int index arithmetic, literals folded.
    private func arithmetic(_ f: BinaryFn, _ a: TV, _ b: TV) -> TV {
        do { return try apply(.binary(f), [a, b]) } catch {
            preconditionFailure("index arithmetic is ill-typed: \(error.message)")
        }
    }

    /// Runs `body` with the gathers and scatters it emits marked with the source of `span`
    /// (its line) and the indexed expression (`baseSpan`), for run-time messages.
    func withSite<T>(_ span: SourceSpan, _ baseSpan: SourceSpan, _ body: () -> T) -> T {
        let saved = builder.site
        defer { builder.site = saved }
        builder.site = site(span, subject: "'\(sourceText(baseSpan))'")
        return body()
    }

    /// `model.ppl:12`, and for code inlined from a function, where the outermost call is.
    func site(_ span: SourceSpan, subject: String) -> SourceSite? {
        guard let file = span.file else { return nil }
        var location = "\(file.path):\(file.location(of: span.start).line)"
        if let (name, call) = callSites.first, let callFile = call.file {
            location += " (in '\(name)', called at \(callFile.path):\(callFile.location(of: call.start).line))"
        }
        return SourceSite(location: location, subject: subject)
    }
}
