import PPLIR
import PPLSyntax

extension Elaborator {
    func expr(_ e: Expr) -> TV {
        switch e.kind {
        case .intLiteral(let v):
            return TV(value: builder.constant(Double(v), .int), type: .int, dep: .literal, size: Size(v), constant: Double(v))
        case .realLiteral(let v):
            return TV(value: builder.constant(v), type: .real, dep: .literal, constant: v)
        case .name(let n):
            guard let b = lookup(n) else {
                var help = didYouMean(n, namesInScope)
                if help == nil, Builtins.byName[n] != nil || fns[n] != nil { help = "'\(n)' is a function: call it as '\(n)(...)'" }
                sink.error("'\(n)' is not declared", at: e.span, help: help)
                return errorValue()
            }
            switch b {
            case .value(let tv, _): return tv
            case .local(let l): return l.current
            }
        case .unary(let op, let a):
            let x = expr(a)
            if x.isError { return x }
            switch op {
            case .plus:
                return x
            case .neg:
                if let c = x.constant, x.type.isScalar {
                    var r = TV(value: builder.constant(-c, x.type.elem), type: x.type, dep: .literal, constant: -c)
                    if x.type.elem == .int { r.size = Size(Int(-c)) }
                    return r
                }
                var r = elementwise(.unary(.neg), [x], span: e.span, opName: "-")
                r.size = x.size.map { Size(0) - $0 }
                return r
            case .not:
                return elementwise(.unary(.not), [x], span: e.span, opName: "!")
            }
        case .binary(let op, let a, let b):
            let x = expr(a), y = expr(b)
            if x.isError || y.isError { return errorValue() }
            return binary(op, x, y, span: e.span, lhsSpan: a.span, rhsSpan: b.span)
        case .ternary(let c, let a, let b):
            let cv = expr(c), x = expr(a), y = expr(b)
            if cv.isError || x.isError || y.isError { return errorValue() }
            guard cv.type.isScalar, cv.type.elem == .int || cv.type.elem == .real else {
                sink.error("the condition of '? :' must be a scalar, not \(cv.type)", at: c.span)
                return errorValue()
            }
            return elementwise(.select, [cv, x, y], span: e.span, opName: "? :")
        case .call(let name, let args, let conditional):
            return call(name, args, conditional: conditional, span: e.span)
        case .index(let base, let idx):
            let b = expr(base)
            if b.isError { return b }
            return index(b, idx, span: e.span, baseSpan: base.span)
        case .transpose(let a):
            let x = expr(a)
            if x.isError { return x }
            if x.type.isScalar { return x }
            return TV(value: try! builder.emit(.transpose, [x.value]), type: try! resultType(.transpose, [x.type]), dep: x.dep)
        case .array(let items):
            var values: [TV] = []
            for i in items { values.append(expr(i)) }
            if values.contains(where: \.isError) { return errorValue() }
            let t: IRType
            if case .rowVector(let n) = values[0].type.shape {
                // Rows stacked into a matrix, as in Stan.
                for (v, i) in zip(values, items) {
                    guard case .rowVector(let m) = v.type.shape, compareSizes(m, n) != .different else {
                        sink.error("rows of '[...]' must all be row_vector[\(n)], not \(v.type)", at: i.span)
                        return errorValue()
                    }
                }
                t = .matrix(Size(values.count), n)
            } else {
                for (v, i) in zip(values, items) where !v.type.isScalar {
                    sink.error("elements of '[...]' must be scalars (or row_vectors, for a matrix), not \(v.type)", at: i.span)
                    return errorValue()
                }
                t = .rowVector(Size(values.count))
            }
            let v = builder.append(.pack, values.map(\.value), type: t)
            return TV(value: v, type: t, dep: values.map(\.dep).max() ?? .literal)
        }
    }

    func resultType(_ op: Op, _ types: [IRType]) throws -> IRType {
        var assume: [SizeAssumption] = []
        return try ShapeRules.resultType(op, types, assume: &assume)
    }

    // MARK: - Elementwise ops

    /// An op on checked values (elementwise ops on literals folded); what its shape rules
    /// reject is thrown for the caller to report.
    func apply(_ op: Op, _ args: [TV]) throws(ShapeError) -> TV {
        if let folded = fold(op, args) { return folded }
        let v = try builder.emit(op, args.map(\.value))
        return TV(value: v, type: builder.type(of: v), dep: args.map(\.dep).max() ?? .literal)
    }

    /// An elementwise operator with scalar broadcasting.
    func elementwise(_ op: Op, _ args: [TV], span: SourceSpan, opName: String) -> TV {
        if args.contains(where: \.isError) { return errorValue() }
        do {
            return try apply(op, args)
        } catch {
            let types = args.map(\.type.description)
            let what = args.count == 1 ? "'\(opName)' to \(types[0])"
                : args.count == 2 ? "'\(opName)' to \(types[0]) and \(types[1])"
                : "'\(opName)' to " + types.joined(separator: ", ")
            sink.error("cannot apply \(what): \(error.message)", at: span)
            return errorValue()
        }
    }

    private func binary(_ op: BinaryOp, _ x: TV, _ y: TV, span: SourceSpan, lhsSpan: SourceSpan, rhsSpan: SourceSpan) -> TV {
        let fn: BinaryFn
        switch op {
        case .add: fn = .add
        case .sub: fn = .sub
        case .elemMul: fn = .mul
        case .elemDiv: fn = .div
        case .pow: fn = .pow
        case .eq: fn = .eq
        case .ne: fn = .ne
        case .lt: fn = .lt
        case .le: fn = .le
        case .gt: fn = .gt
        case .ge: fn = .ge
        case .and: fn = .and
        case .or: fn = .or
        case .mul:
            if x.type.isScalar || y.type.isScalar {
                fn = .mul
            } else {
                return matmul(x, y, span: span)
            }
        case .div:
            guard y.type.isScalar else {
                sink.error("cannot divide \(x.type) by \(y.type)", at: span, help: "use './' for elementwise division")
                return errorValue()
            }
            fn = .div
        }
        if op == .and || op == .or, !(x.type.isScalar && y.type.isScalar) {
            sink.error("'\(op.rawValue)' takes scalars, not \(x.type) and \(y.type)", at: span)
            return errorValue()
        }
        if x.type.isScalar, y.type.isScalar, let a = x.constant, let b = y.constant,
           let folded = fold(fn, a, b, int: x.type.elem == .int && y.type.elem == .int) {
            let t = builder.constant(folded.0, folded.1)
            return TV(value: t, type: IRType(folded.1, .scalar), dep: .literal,
                      size: folded.1 == .int ? Size(Int(folded.0)) : nil, constant: folded.0)
        }
        if let same = identity(fn, x, y) { return same }
        var r = elementwise(.binary(fn), [x, y], span: span, opName: op.rawValue)
        if r.type == .int, let a = x.size, let b = y.size {
            switch fn {
            case .add: r.size = a + b
            case .sub: r.size = a - b
            case .mul: r.size = a * b
            default: break
            }
        }
        return r
    }

    /// Evaluates elementwise functions of literals: `log(2 * pi())` becomes one constant.
    private func fold(_ op: Op, _ args: [TV]) -> TV? {
        guard args.allSatisfy({ $0.constant != nil && $0.type.isScalar }),
              let t = try? resultType(op, args.map(\.type)) else { return nil }
        var x: Double
        switch op {
        case .unary(let f): x = ScalarMath.apply(f, args[0].constant!)
        case .binary(let f): x = ScalarMath.apply(f, args[0].constant!, args[1].constant!)
        default: return nil
        }
        if t.elem == .int {
            guard x.isFinite, abs(x) < 1e15 else { return nil }
            x.round(.towardZero)
        }
        return TV(value: builder.constant(x, t.elem), type: t, dep: .literal,
                  size: t.elem == .int ? Size(Int(x)) : nil, constant: x)
    }

    /// `x + 0`, `x - 0`, `x * 1`, `x / 1` are `x` when that keeps the type.
    private func identity(_ fn: BinaryFn, _ x: TV, _ y: TV) -> TV? {
        guard let t = try? resultType(.binary(fn), [x.type, y.type]) else { return nil }
        switch fn {
        case .add:
            if x.constant == 0, y.type == t { return y }
            if y.constant == 0, x.type == t { return x }
        case .sub:
            if y.constant == 0, x.type == t { return x }
        case .mul:
            if x.constant == 1, y.type == t { return y }
            if y.constant == 1, x.type == t { return x }
        case .div:
            if y.constant == 1, x.type == t { return x }
        default: break
        }
        return nil
    }

    /// Folds arithmetic on literals so that `-1`, `2 * 3` and `N + 1` stay sizes and constants.
    private func fold(_ fn: BinaryFn, _ a: Double, _ b: Double, int: Bool) -> (Double, Elem)? {
        switch fn {
        case .add: return (a + b, int ? .int : .real)
        case .sub: return (a - b, int ? .int : .real)
        case .mul: return (a * b, int ? .int : .real)
        case .div:
            if b == 0 { return nil }
            return int ? ((a / b).rounded(.towardZero), .int) : (a / b, .real)
        default: return nil
        }
    }

    private func matmul(_ x: TV, _ y: TV, span: SourceSpan) -> TV {
        do {
            let v = try builder.emit(.matmul, [x.value, y.value])
            return TV(value: v, type: builder.type(of: v), dep: max(x.dep, y.dep))
        } catch {
            var help: String?
            if x.type.shape.rank == 1, y.type.shape.rank == 1, x.type.shape == y.type.shape {
                help = "use '.*' for the elementwise product or dot_product(a, b) for the inner product"
            } else if case .vector = x.type.shape, case .matrix = y.type.shape {
                help = "transpose the vector: '\(x.type.shape == .scalar ? "" : "v'") * M' gives a row_vector"
            }
            sink.error("cannot multiply \(x.type) by \(y.type): \(error.message)", at: span, help: help)
            return errorValue()
        }
    }

    // MARK: - Indexing

    /// One index after lowering: a single int, an int vector (multi-index or slice), or all.
    private enum Lowered { case single(TV), multi(TV), all }

    func index(_ base: TV, _ idx: [IndexArg], span: SourceSpan, baseSpan: SourceSpan) -> TV {
        let dims: [Size]
        switch base.type.shape {
        case .scalar:
            sink.error("cannot index a \(base.type), which is a scalar", at: span)
            return errorValue()
        case .vector(let n), .rowVector(let n): dims = [n]
        case .matrix(let r, let c): dims = [r, c]
        }
        if idx.count > dims.count {
            sink.error("too many indices for \(base.type): \(idx.count) given, at most \(dims.count)", at: span)
            return errorValue()
        }
        var lowered: [Lowered] = []
        for (k, i) in idx.enumerated() {
            guard let l = lowerIndex(i, dim: dims[k], span: span) else { return errorValue() }
            lowered.append(l)
        }
        let dep = lowered.reduce(base.dep) { d, l in
            switch l {
            case .single(let t), .multi(let t): return max(d, t.dep)
            case .all: return d
            }
        }
        func value(_ l: Lowered, _ dim: Size) -> Value {
            switch l {
            case .single(let t), .multi(let t): return t.value
            case .all:
                let one = builder.constant(1, .int), n = builder.append(.size(dim), [], type: .int)
                return builder.append(.range, [one, n], type: .intArray(dim))
            }
        }
        let e = Emitter(builder)
        if lowered.count == 2 {
            if case .all = lowered[0], case .all = lowered[1] { return base }
            let v = e.op(.at2, base.value, value(lowered[0], dims[0]), value(lowered[1], dims[1]))
            return TV(value: v, type: builder.type(of: v), dep: dep)
        }
        if case .all = lowered[0] { return base }
        let v = e.op(.at, base.value, value(lowered[0], dims[0]))
        return TV(value: v, type: builder.type(of: v), dep: dep)
    }

    private func lowerIndex(_ i: IndexArg, dim: Size, span: SourceSpan) -> Lowered? {
        switch i {
        case .single(let e):
            let t = expr(e)
            if t.isError { return nil }
            guard t.type.elem == .int else {
                sink.error("an index must be an int or int[], not \(t.type)", at: e.span)
                return nil
            }
            if t.type.isScalar {
                if let c = t.constant, c < 1 || dim.constant.map({ Int(c) > $0 }) == true {
                    let range = dim.constant.map { "1 to \($0)" } ?? "1 to \(dim)"
                    sink.error("index \(Int(c)) is out of range: indices run from \(range)", at: e.span)
                    return nil
                }
                return .single(t)
            }
            guard case .vector = t.type.shape else {
                sink.error("a multi-index must be an int[], not \(t.type)", at: e.span)
                return nil
            }
            return .multi(t)
        case .range(nil, nil):
            return .all
        case .range(let a, let b):
            let lo = a.map { expr($0) }
            let hi = b.map { expr($0) }
            if lo?.isError == true || hi?.isError == true { return nil }
            for (t, e) in [(lo, a), (hi, b)] {
                if let t, let e, t.type != .int {
                    sink.error("slice bounds must be ints, not \(t.type)", at: e.span)
                    return nil
                }
            }
            let loSize = lo.map { $0.size } ?? Size(1)
            let hiSize = hi.map { $0.size } ?? dim
            let loValue = lo?.value ?? builder.constant(1, .int)
            let hiValue = hi?.value ?? builder.append(.size(dim), [], type: .int)
            let count: Size
            if let l = loSize, let h = hiSize {
                count = h - l + Size(1)
            } else {
                count = Size(symbol: "len(\(sourceText(span)))")
            }
            let v = builder.append(.range, [loValue, hiValue], type: .intArray(count))
            return .multi(TV(value: v, type: .intArray(count), dep: max(lo?.dep ?? .literal, hi?.dep ?? .literal)))
        }
    }

    func sourceText(_ span: SourceSpan) -> String {
        span.file?.text(span) ?? "?"
    }
}
