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
            let cv = expr(c)
            // As in Stan only the chosen branch is evaluated, where that matters: where a
            // branch indexes (`i == 1 ? p[1] : c[i - 1]` must not fail at i = 1). Others are
            // computed both and selected, elementwise and per draw.
            if !cv.isError, cv.type.isScalar, cv.dep <= .data, mayIndex(a) || mayIndex(b) {
                return lazyTernary(cv, a, b, span: e.span)
            }
            let x = expr(a), y = expr(b)
            if cv.isError || x.isError || y.isError { return errorValue() }
            guard cv.type.isScalar, cv.type.elem == .int || cv.type.elem == .real else {
                sink.error("the condition of '? :' must be a scalar, not \(cv.type)", at: c.span)
                return errorValue()
            }
            return elementwise(.select, [cv, x, y], span: e.span, opName: "? :")
        case .call(let name, let args, let conditional):
            return call(name, args, conditional: conditional, span: e.span)
        case .index(let base, let idx):
            // x[i][j] is x[i, j] (one gather, which loops vectorise) when x[i] is one element.
            if case .index(let inner, let first) = base.kind, first.allSatisfy({ if case .single = $0 { true } else { false } }) {
                return expr(Expr(.index(inner, first + idx), span: e.span))
            }
            let b = expr(base)
            if b.isError { return b }
            return index(b, idx, span: e.span, baseSpan: base.span)
        case .transpose(let a):
            let x = expr(a)
            if x.isError { return x }
            if x.type.isScalar { return x }
            guard let t = try? resultType(.transpose, [x.type]), let v = try? builder.emit(.transpose, [x.value]) else {
                sink.error("cannot transpose a \(x.type)", at: e.span)
                return errorValue()
            }
            return TV(value: v, type: t, dep: x.dep)
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

    /// `c ? a : b` on a data condition as a branch: a `cond` region whose arms compute
    /// one of the values each, converted to the type of both.
    private func lazyTernary(_ c: TV, _ a: Expr, _ b: Expr, span: SourceSpan) -> TV {
        var arms: [(block: Block, value: TV)] = []
        for branch in [a, b] {
            _ = builder.beginBlock(params: [])
            let v = expr(branch)
            arms.append((builder.endBlock(params: [], yields: []), v))
        }
        if arms.contains(where: \.value.isError) { return errorValue() }
        let t: IRType
        var assume = builder.assumptions
        do {
            t = try ShapeRules.resultType(.select, [c.type, arms[0].value.type, arms[1].value.type], assume: &assume)
        } catch {
            sink.error("cannot apply '? :' to \(arms[0].value.type) and \(arms[1].value.type): \(error.message)", at: span)
            return errorValue()
        }
        builder.assumptions = assume
        let regions = arms.map { arm -> Block in
            _ = builder.beginBlock(params: [])
            builder.appendInstrs(arm.block.instrs)
            var v = arm.value.type.elem == t.elem ? arm.value : toReal(arm.value)
            if v.type.shape != t.shape { v.value = builder.append(.fill, [v.value], type: t) }
            return builder.endBlock(params: [], yields: [v.value])
        }
        let r = builder.appendRegion(.cond, [c.value], regions: regions, resultTypes: [t])
        return TV(value: r[0], type: t, dep: max(c.dep, arms[0].value.dep, arms[1].value.dep))
    }

    /// Whether evaluating `e` may index a container: it holds `x[...]`, or calls a function
    /// or distribution whose body does.
    func mayIndex(_ e: Expr) -> Bool {
        switch e.kind {
        case .intLiteral, .realLiteral, .name: return false
        case .index: return true
        case .unary(_, let a), .transpose(let a): return mayIndex(a)
        case .binary(_, let a, let b): return mayIndex(a) || mayIndex(b)
        case .ternary(let c, let a, let b): return mayIndex(c) || mayIndex(a) || mayIndex(b)
        case .array(let items): return items.contains(where: mayIndex)
        case .call(let name, let args, _):
            if args.contains(where: mayIndex) { return true }
            var n = name.name
            for suffix in ["_lpdf", "_lpmf", "_lupdf", "_lupmf"] where n.hasSuffix(suffix) { n = String(n.dropLast(suffix.count)) }
            if let def = fns[n] { return bodyMayIndex(n, def.body) }
            if let d = dists[n] { return bodyMayIndex(n, d.def.body) }
            return false
        }
    }

    private func bodyMayIndex(_ name: String, _ body: Body) -> Bool {
        if let known = indexingBodies[name] { return known }
        indexingBodies[name] = false
        let result: Bool
        switch body {
        case .expr(let e): result = mayIndex(e)
        case .block(let stmts): result = stmts.contains(where: stmtMayIndex)
        }
        indexingBodies[name] = result
        return result
    }

    private func stmtMayIndex(_ s: Stmt) -> Bool {
        switch s.kind {
        case .let_(_, _, let v): return v.map(mayIndex) ?? false
        case .assign(_, let idx, let v): return !idx.isEmpty || mayIndex(v)
        case .tilde(let x, _, let args, let t):
            return mayIndex(x) || args.contains(where: mayIndex) || [t?.lower, t?.upper].contains { $0.map(mayIndex) ?? false }
        case .targetPlus(let e), .return_(let e): return mayIndex(e)
        case .for_(_, let lo, let hi, let body): return mayIndex(lo) || mayIndex(hi) || body.contains(where: stmtMayIndex)
        case .if_(let c, let a, let b): return mayIndex(c) || (a + (b ?? [])).contains(where: stmtMayIndex)
        case .block(let body), .generate(let body): return body.contains(where: stmtMayIndex)
        case .data, .param, .fn, .dist, .guide, .import_: return false
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
        if fn == .div, x.type.elem == .int, y.type.elem == .int, y.constant == 0 {
            sink.error("integer division by zero", at: span)
            return errorValue()
        }
        if x.type.isScalar, y.type.isScalar, let a = x.constant, let b = y.constant,
           let folded = fold(fn, a, b, int: x.type.elem == .int && y.type.elem == .int) {
            // Ints are held as doubles: exact up to 2^53, and sizes must fit an Int.
            if folded.1 == .int, !(abs(folded.0) <= 0x1p53) {
                sink.error("integer overflow: the result is beyond ±2^53 (9007199254740992), the largest integers held exactly",
                           at: span)
                return errorValue()
            }
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
    enum LoweredIndex { case single(TV), multi(TV), all }

    func index(_ base: TV, _ idx: [IndexArg], span: SourceSpan, baseSpan: SourceSpan) -> TV {
        if let layout = base.layout, !layout.isVector {
            return arrayIndex(base, layout, idx, span: span, baseSpan: baseSpan)
        }
        let dims: [Size]
        switch base.type.shape {
        case .scalar:
            sink.error("cannot index a \(base.type), which is a scalar", at: span)
            return errorValue()
        case .vector(let n), .rowVector(let n): dims = [n]
        case .matrix(let r, let c): dims = [r, c]
        }
        if idx.count > dims.count {
            sink.error("too many indices for \(base.typeName): \(idx.count) given, at most \(dims.count)", at: span)
            return errorValue()
        }
        guard let lowered = lowerIndices(idx, dims: dims, span: span) else { return errorValue() }
        return withSite(span, baseSpan) { emitIndex(base, lowered, dims: dims) }
    }

    /// The indices checked and lowered; `assigned` for the left side of an assignment.
    func lowerIndices(_ idx: [IndexArg], dims: [Size], span: SourceSpan, assigned: Bool = false) -> [LoweredIndex]? {
        var lowered: [LoweredIndex] = []
        for (k, i) in idx.enumerated() {
            guard let l = lowerIndex(i, dim: dims[k], span: span, assigned: assigned) else { return nil }
            lowered.append(l)
        }
        return lowered
    }

    /// The int value of an index: `:` is the whole range of its dimension.
    func indexValue(_ l: LoweredIndex, _ dim: Size) -> Value {
        switch l {
        case .single(let t), .multi(let t): return t.value
        case .all:
            let one = builder.constant(1, .int), n = builder.append(.size(dim), [], type: .int)
            return builder.append(.range, [one, n], type: .intArray(dim))
        }
    }

    func indexDep(_ base: Dep, _ lowered: [LoweredIndex]) -> Dep {
        lowered.reduce(base) { d, l in
            switch l {
            case .single(let t), .multi(let t): return max(d, t.dep)
            case .all: return d
            }
        }
    }

    /// Indexing of a vector, row vector or matrix whose `dims` the indices run over.
    func emitIndex(_ base: TV, _ lowered: [LoweredIndex], dims: [Size]) -> TV {
        let dep = indexDep(base.dep, lowered)
        let e = Emitter(builder)
        if lowered.count == 2 {
            if case .all = lowered[0], case .all = lowered[1] { return base }
            let v = e.op(.at2, base.value, indexValue(lowered[0], dims[0]), indexValue(lowered[1], dims[1]))
            return TV(value: v, type: builder.type(of: v), dep: dep)
        }
        if case .all = lowered[0] { return base }
        let v = e.op(.at, base.value, indexValue(lowered[0], dims[0]))
        return TV(value: v, type: builder.type(of: v), dep: dep)
    }

    private func lowerIndex(_ i: IndexArg, dim: Size, span: SourceSpan, assigned: Bool) -> LoweredIndex? {
        switch i {
        case .single(let e):
            let t = expr(e)
            if t.isError { return nil }
            guard t.type.elem == .int else {
                sink.error(assigned ? "an assigned index must be an int, not \(t.type)" : "an index must be an int or int[], not \(t.type)",
                           at: e.span)
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
                if !staticSize(count, at: span) { return nil }
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
