import PPLIR
import PPLSyntax

extension Elaborator {
    func statements(_ stmts: [Stmt]) {
        for s in stmts { statement(s) }
    }

    func statement(_ s: Stmt) {
        switch s.kind {
        case .let_(let name, let t, let value): letStmt(name, t, value)
        case .assign(let name, let indices, let value): assign(name, indices, value, span: s.span)
        case .tilde where inGenerate, .targetPlus where inGenerate:
            sink.error("the 'generate' block draws values after the fit: it cannot add to the log density", at: s.span,
                       help: "move '~' and 'target +=' out of it; draw with '_rng' functions: 'let y_rep = normal_rng(mu, sigma)'")
        case .tilde(let lhs, let dist, let args, let truncation): tilde(lhs, dist, args, truncation, span: s.span)
        case .targetPlus(let e):
            let tv = expr(e)
            if tv.isError { return }
            addTarget(tv)
        case .for_(let v, let lo, let hi, let body): forLoop(v, lo, hi, body)
        case .block(let body):
            scopes.append([:])
            statements(body)
            scopes.removeLast()
        case .if_(let cond, let then, let otherwise): ifStmt(cond, then, otherwise ?? [])
        case .return_:
            sink.error(inFunctionBody ? "'return' must be the last statement of a function body" : "'return' outside of a function", at: s.span)
        case .data, .param, .fn, .dist, .guide, .import_:
            sink.error("declarations are only allowed at top level", at: s.span)
        case .generate:
            sink.error("a 'generate' block is only allowed at top level", at: s.span)
        }
    }

    /// Adds a real to the log density; containers add the sum of their elements.
    func addTarget(_ tv: TV) {
        var term = toReal(tv)
        if !tv.type.isScalar {
            term = TV(value: Emitter(builder).sum(term.value), type: .real, dep: tv.dep)
        }
        targetTerms.append(term)
    }

    // MARK: - let and assignment

    private func letStmt(_ name: Identifier, _ t: TypeExpr?, _ value: Expr?) {
        guard let value else {
            // Declared for element assignment.
            guard let t, let (shape, layout) = letShape(t) else { bind(name, .value(errorValue(), span: name.span)); return }
            let type = IRType(t.base == .int ? .int : .real, shape)
            let fillValue = builder.constant(type.elem == .int ? 0 : .nan, type.elem)
            let v = type.isScalar ? fillValue : builder.append(.fill, [fillValue], type: type)
            let local = LocalVar(name: name.name, span: name.span, current: TV(value: v, type: type, dep: .literal, layout: layout))
            bind(name, .local(local))
            return
        }
        var tv = expr(value)
        if let t, !tv.isError, let (shape, layout) = letShape(t) {
            let declared = IRType(t.base == .int ? .int : .real, shape)
            if let err = assignable(declared, from: tv.type) {
                sink.error("'\(name.name)' is declared \(layout?.description ?? declared.description) but the value is \(tv.typeName)\(err)",
                           at: value.span)
                tv = errorValue()
            } else {
                if declared.elem == .real, tv.type.elem == .int { tv = toReal(tv) }
                if layout != nil { tv.layout = layout }
            }
        }
        var namesSize = false
        if scopes.count == 1, !inFunctionBody, tv.type == .int, tv.dep == .data, tv.size == nil {
            // A top-level int computed from data is a transformed-data value: it can size containers.
            tv.size = Size(symbol: name.name)
            namedSizes[tv.value] = tv.size
            namesSize = true
        }
        if t != nil, !tv.isError {
            // Declared with a type: a local that may be assigned again, as in Stan.
            bind(name, .local(LocalVar(name: name.name, span: name.span, current: tv, namesSize: namesSize)))
        } else {
            bind(name, .value(tv, span: name.span))
        }
    }

    /// Shape of a `let` type. Bounds and constrained types are accepted, as in Stan's
    /// transformed parameters (where bounds may depend on params), and document the value;
    /// only the shapes are checked.
    private func letShape(_ t: TypeExpr) -> (shape: Shape, layout: ArrayLayout?)? {
        guard let s = elaborateShape(t) else { return nil }
        for b in t.bounds where boundExpr(b, declared: IRType(.real, s.shape)) == nil { return nil }
        return s
    }

    /// nil when a value of type `from` fits a declared `to`, else a reason.
    func assignable(_ to: IRType, from: IRType) -> String? {
        if to.elem == .int && from.elem == .real { return "" }
        switch (to.shape, from.shape) {
        case (.scalar, .scalar): return nil
        case (.vector(let a), .vector(let b)), (.rowVector(let a), .rowVector(let b)):
            return compareSizes(a, b) == .different ? " (sizes differ)" : nil
        case (.matrix(let r1, let c1), .matrix(let r2, let c2)):
            return compareSizes(r1, r2) == .different || compareSizes(c1, c2) == .different ? " (sizes differ)" : nil
        default: return ""
        }
    }

    private func assign(_ name: Identifier, _ indexLists: [[IndexArg]], _ value: Expr, span: SourceSpan) {
        guard let binding = lookup(name.name) else {
            sink.error("'\(name.name)' is not declared", at: name.span, help: didYouMean(name.name, namesInScope))
            return
        }
        guard case .local(let local) = binding else {
            sink.error("'\(name.name)' cannot be assigned", at: name.span,
                       help: "only a 'let' declared with a type (e.g. 'let s: real = 0' or 'let h: vector[N]') can be assigned")
            return
        }
        if local.namesSize {
            sink.error("'\(name.name)' sizes containers and cannot be assigned", at: name.span,
                       help: "declare a new local for the changing value")
            return
        }
        let rhs = expr(value)
        if rhs.isError || local.current.isError { return }
        // `h[i][j]` is `h[i, j]`: every list but the last must hold single indices.
        for list in indexLists.dropLast() where list.contains(where: { if case .range = $0 { return true } else { return false } }) {
            sink.error("assign one element at a time: write '\(name.name)[i, j] = ...'", at: span)
            return
        }
        let idx = indexLists.flatMap { $0 }
        let cur = local.current
        let dep = max(cur.dep, rhs.dep, .data)
        guard !idx.isEmpty else {
            if let err = assignable(cur.type, from: rhs.type) {
                sink.error("cannot assign \(rhs.typeName) to '\(name.name)' of type \(cur.typeName)\(err)", at: value.span)
                return
            }
            // An int assigned to a real is a real (as in Stan): the value carried on, through a
            // loop or a branch, has the declared type and keeps its derivative.
            let v = cur.type.elem == .real ? toReal(rhs) : rhs
            local.current = TV(value: v.value, type: cur.type, dep: dep, layout: cur.layout)
            return
        }
        let updated: Value?
        if let layout = cur.layout, !layout.isVector {
            updated = assignArray(name, cur, layout, idx, rhs, valueSpan: value.span, span: span)
        } else {
            updated = assignPlain(name, cur, idx, rhs, valueSpan: value.span, span: span)
        }
        if let updated { local.current = TV(value: updated, type: cur.type, dep: dep, layout: cur.layout) }
    }

    /// `x[i] = v`, `X[i, j] = v`, and slices (`X[:, j] = v`) of a vector, row vector or matrix.
    private func assignPlain(_ name: Identifier, _ cur: TV, _ idx: [IndexArg], _ rhs: TV, valueSpan: SourceSpan,
                             span: SourceSpan) -> Value? {
        let dims: [Size]
        switch cur.type.shape {
        case .scalar: dims = []
        case .vector(let n), .rowVector(let n): dims = [n]
        case .matrix(let r, let c): dims = [r, c]
        }
        if idx.count > dims.count {
            sink.error("'\(name.name)' is \(cur.typeName) and cannot take \(idx.count) ind\(idx.count == 1 ? "ex" : "ices")", at: span)
            return nil
        }
        guard let lowered = lowerIndices(idx, dims: dims, span: span, assigned: true) else { return nil }
        return withSite(span, name.span) {
            let args = [cur.value] + zip(lowered, dims).map { indexValue($0, $1) }
            return store(name, cur, op: lowered.count == 1 ? .set : .set2, args: args, rhs, valueSpan: valueSpan,
                         slice: lowered.contains { if case .single = $0 { return false } else { return true } })
        }
    }

    /// `x[...] = v` for an array held as a matrix: whole elements (rows), blocks of them, or
    /// parts of one element.
    private func assignArray(_ name: Identifier, _ cur: TV, _ layout: ArrayLayout, _ idx: [IndexArg], _ rhs: TV,
                             valueSpan: SourceSpan, span: SourceSpan) -> Value? {
        guard let p = arrayPosition(cur, layout, idx, span: span, assigned: true) else { return nil }
        let rows = indexValue(p.rows, layout.rowDims.reduce(Size(1), *))
        return withSite(span, name.span) { () -> Value? in
            guard !p.columns.isEmpty else {
                // Whole elements: the value as the rows it is held in.
                var v = rhs
                if case .single = p.rows, layout.element.shape.rank > 0 || layout.dims.count > 1 {
                    if let err = assignable(p.restType, from: rhs.type) {
                        sink.error("cannot assign \(rhs.typeName) to an element of '\(name.name)', which is \(p.rest?.description ?? p.restType.description)\(err)",
                                   at: valueSpan)
                        return nil
                    }
                    v = TV(value: row(rhs, of: .vector(layout.columns)), type: IRType(rhs.type.elem, .vector(layout.columns)), dep: rhs.dep)
                }
                return store(name, cur, op: .set, args: [cur.value, rows], v, valueSpan: valueSpan, slice: true)
            }
            var columns = p.columns
            if case .matrix(_, let c) = layout.element.shape {
                guard case .single = p.rows, columns.count == 2, case .single(let i) = columns[0], case .single(let j) = columns[1] else {
                    sink.error("assign a whole matrix of '\(name.name)', or one of its elements", at: span)
                    return nil
                }
                columns = [.single(arithmeticIndex(i, j, columns: c))]
            }
            let column = indexValue(columns[0], layout.columns)
            let slice = columns.contains { if case .single = $0 { return false } else { return true } }
            return store(name, cur, op: .set2, args: [cur.value, rows, column], rhs, valueSpan: valueSpan,
                         slice: slice || { if case .single = p.rows { return false } else { return true } }())
        }
    }

    /// Element (i, j) of a matrix of `columns` columns held as one row: (i - 1) * columns + j.
    private func arithmeticIndex(_ i: TV, _ j: TV, columns: Size) -> TV {
        let e = Emitter(builder)
        let v = e.add(e.mul(e.sub(i.value, builder.constant(1, .int)), sizeTV(columns).value), j.value)
        return TV(value: v, type: .int, dep: max(i.dep, j.dep))
    }

    /// Emits the update `op` (`set` or `set2`) of `cur` with `rhs` at `args`, after checking
    /// that the value fits the part it replaces.
    private func store(_ name: Identifier, _ cur: TV, op: Op, args: [Value], _ rhs: TV, valueSpan: SourceSpan, slice: Bool) -> Value? {
        let part: IRType
        var assume: [SizeAssumption] = []
        do { part = try ShapeRules.resultType(op == .set ? .at : .at2, args.map { builder.type(of: $0) }, assume: &assume) } catch {
            sink.error("cannot assign to '\(name.name)': \(error.message)", at: valueSpan)
            return nil
        }
        var value = rhs.value
        switch (part.shape, rhs.type.shape) {
        case (.vector, .rowVector), (.rowVector, .vector): value = Emitter(builder).transpose(value)
        default: break
        }
        if let err = assignable(part.with(elem: .real), from: IRType(.real, builder.type(of: value).shape)) {
            let what = slice ? "part" : "an element"
            sink.error("cannot assign \(rhs.typeName) to \(what) of '\(name.name)', which is \(part)\(err)", at: valueSpan)
            return nil
        }
        if cur.type.elem == .int, rhs.type.elem == .real {
            sink.error("cannot assign a real to an element of the int '\(name.name)'", at: valueSpan)
            return nil
        }
        do {
            return try builder.emit(op, args + [value])
        } catch {
            sink.error("cannot assign \(rhs.typeName) to '\(name.name)' of \(cur.typeName): \(error.message)", at: valueSpan)
            return nil
        }
    }

    // MARK: - ~

    private func tilde(_ lhs: Expr, _ distName: Identifier, _ args: [Expr], _ truncation: Truncation?, span: SourceSpan) {
        guard let info = lookupDist(distName) else {
            for a in args { _ = expr(a) }
            return
        }
        let x = expr(lhs)
        let argValues = args.map(expr)
        if x.isError || argValues.contains(where: \.isError) { return }
        let lp: TV
        if let truncation {
            lp = truncated(info, x, variateSpan: lhs.span, args: argValues, argSpans: args.map(\.span), truncation, callSpan: span)
        } else {
            lp = distLogDensity(info, variate: x, variateSpan: lhs.span, args: argValues, argSpans: args.map(\.span), callSpan: span)
        }
        if lp.isError { return }
        addTarget(lp)
    }

    /// `x ~ d(args) T[L, U]`: per element, the log density less log(F(U) − F(L)) (or
    /// log(1 − F(L)), log F(U) with one bound), and −∞ outside [L, U], as in Stan. For a
    /// discrete d the lower bound counts: P(L ≤ n ≤ U) = F(U) − F(L − 1).
    private func truncated(_ info: DistInfo, _ x: TV, variateSpan: SourceSpan, args: [TV], argSpans: [SourceSpan],
                           _ truncation: Truncation, callSpan: SourceSpan) -> TV {
        let name = info.def.name.name
        guard info.hasCdf else {
            sink.error("'\(name)' has no cdf, so it cannot be truncated", at: truncation.span,
                       help: "a distribution has one when its 'dist' block defines 'lcdf(x) = ...' or 'lccdf(x) = ...'")
            return errorValue()
        }
        let bounds = [truncation.lower, truncation.upper].compactMap { $0 }
        let values = bounds.map(expr)
        if values.contains(where: \.isError) { return errorValue() }
        for (v, e) in zip(values, bounds) where !v.type.isScalar && x.type.isScalar {
            sink.error("a bound of a truncation of a scalar must be a scalar, not \(v.type)", at: e.span)
            return errorValue()
        }
        let hasLower = truncation.lower != nil, hasUpper = truncation.upper != nil
        let span = truncation.span
        return distElementSum(info, variates: [x] + values, variateSpans: [variateSpan] + bounds.map(\.span), args: args,
                              argSpans: argSpans, callSpan: callSpan) { xs, rest in
            func op(_ o: Op, _ a: TV...) -> TV { (try? self.apply(o, a)) ?? self.errorValue() }
            func cdf(_ f: DistFunctionKind, _ at: TV) -> TV { self.distFunction(info, f, variate: at, args: rest, span: span) }
            let one = TV(value: self.builder.constant(1, .int), type: .int, dep: .literal, constant: 1)
            let y = xs[0]
            let lower = hasLower ? xs[1] : nil, upper = hasUpper ? xs.last : nil
            // Just below the lower bound, for a discrete distribution.
            let below = lower.map { info.discrete ? op(.binary(.sub), $0, one) : $0 }
            var inside: TV?
            if let lower { inside = op(.binary(.ge), y, lower) }
            if let upper {
                let le = op(.binary(.le), y, upper)
                inside = inside.map { op(.binary(.and), $0, le) } ?? le
            }
            let normaliser: TV
            switch (below, upper) {
            case (let l?, let u?): normaliser = op(.binary(.log_diff_exp), cdf(.lcdf, u), cdf(.lcdf, l))
            case (let l?, nil): normaliser = cdf(.lccdf, l)
            case (nil, let u?): normaliser = cdf(.lcdf, u)
            case (nil, nil): return self.errorValue()
            }
            let density = self.distFunction(info, .logpdf, variate: y, args: rest, span: callSpan)
            if density.isError || normaliser.isError { return self.errorValue() }
            return op(.binary(.add), op(.binary(.sub), density, normaliser), op(.unary(.log), inside!))
        }
    }

    // MARK: - for

    /// A loop as an IR `loop` region carrying the log-density increment and every outer
    /// local the body assigns. Independent iterations become vector operations later, in
    /// the `Vectorize` pass.
    private func forLoop(_ v: Identifier, _ loExpr: Expr, _ hiExpr: Expr, _ body: [Stmt]) {
        let lo = expr(loExpr), hi = expr(hiExpr)
        if lo.isError || hi.isError { return }
        for (tv, e) in [(lo, loExpr), (hi, hiExpr)] {
            if tv.type != .int {
                sink.error("loop bounds must be ints, not \(tv.type)", at: e.span)
                return
            }
            if tv.dep == .param {
                sink.error("loop bounds may depend on data only", at: e.span)
                return
            }
        }
        let carried = assignedLocals(body)
        let initial = carried.map(\.current)
        // A carried local may come to depend on params through an assignment later in the
        // body, and then does from the second iteration on: its dependence at the start of an
        // iteration is found by elaborating the body on trial until it no longer grows.
        var deps = initial.map { max($0.dep, .data) }
        while deps.contains(where: { $0 < .param }) {
            let after = onTrial {
                _ = loopBody(v, body, carried, initial: initial, deps: deps)
                builder.abandonBlock()
                return carried.map(\.current.dep)
            }
            for (k, local) in carried.enumerated() { local.current = initial[k] }
            let next = zip(deps, after).map { max($0, $1) }
            if next == deps { break }
            deps = next
        }
        let (params, terms) = loopBody(v, body, carried, initial: initial, deps: deps)
        let results = closeLoop(params, lo: lo.value, hi: hi.value, sums: [terms], sharedZero: true,
                                yields: carried.map(\.current.value), initial: initial.map(\.value))
        if let increment = results.sums[0] { targetTerms.append(increment) }
        for (k, local) in carried.enumerated() {
            local.current = TV(value: results.carried[k], type: initial[k].type, dep: local.current.dep, layout: initial[k].layout)
        }
    }

    /// Opens a loop body with params (index, log-density increment, carried...), the carried
    /// locals starting with dependences `deps`, and elaborates it; returns the params and the
    /// body's terms of the log density.
    private func loopBody(_ v: Identifier, _ body: [Stmt], _ carried: [LocalVar], initial: [TV], deps: [Dep])
        -> (params: [Value], terms: [TV]) {
        let params = builder.beginBlock(params: [.int, .real] + initial.map { builder.type(of: $0.value) })
        let savedTerms = targetTerms
        targetTerms = []
        scopes.append([:])
        loopIndices.insert(v.name)
        loopKeys.append(params[0])
        defer { loopKeys.removeLast() }
        bind(v, .value(TV(value: params[0], type: .int, dep: .data, size: Size(symbol: v.name)), span: v.span))
        for (k, local) in carried.enumerated() {
            local.current = TV(value: params[2 + k], type: initial[k].type, dep: deps[k], layout: initial[k].layout)
        }
        statements(body)
        scopes.removeLast()
        loopIndices.remove(v.name)
        let terms = targetTerms
        targetTerms = savedTerms
        return (params, terms)
    }

    /// Runs `body` elaborating code that is then thrown away, its errors unreported.
    func onTrial<T>(_ body: () -> T) -> T {
        sink.muted += 1
        let savedAssumptions = builder.assumptions
        _ = builder.beginBlock(params: [])
        defer {
            builder.abandonBlock()
            builder.assumptions = savedAssumptions
            sink.muted -= 1
        }
        return body()
    }

    /// Closes a loop body opened with params (index, one per sum, carried...) and appends
    /// the loop. A sum is carried only when it has terms (its result is nil otherwise),
    /// starting from the block's zero constant, or with `sharedZero` false from a zero of
    /// its own that nothing else uses (so that the loop leaves no constant behind when it
    /// is vectorised).
    func closeLoop(_ params: [Value], lo: Value, hi: Value, sums: [[TV]], sharedZero: Bool, yields: [Value], initial: [Value])
        -> (sums: [TV?], carried: [Value]) {
        var blockParams = [params[0]], blockYields: [Value] = []
        for (k, terms) in sums.enumerated() where !terms.isEmpty {
            blockParams.append(params[1 + k])
            blockYields.append(terms.reduce(params[1 + k]) { Emitter(builder).add($0, $1.value) })
        }
        let block = builder.endBlock(params: blockParams + params.dropFirst(1 + sums.count), yields: blockYields + yields)
        let zeros = blockYields.map { _ in sharedZero ? builder.constant(0) : builder.append(.const(0), [], type: .real) }
        let results = builder.appendRegion(.loop, [lo, hi] + zeros + initial, regions: [block],
                                           resultTypes: zeros.map { _ in .real } + initial.map { builder.type(of: $0) })
        var next = 0
        let totals = sums.map { terms -> TV? in
            if terms.isEmpty { return nil }
            next += 1
            return TV(value: results[next - 1], type: .real, dep: terms.map(\.dep).max() ?? .literal)
        }
        return (totals, Array(results.dropFirst(zeros.count)))
    }

    /// Outer locals assigned anywhere in `body` (not those it declares itself).
    func assignedLocals(_ body: [Stmt]) -> [LocalVar] {
        var names: [String] = []
        func walk(_ stmts: [Stmt]) {
            for s in stmts {
                switch s.kind {
                case .assign(let n, _, _): if !names.contains(n.name) { names.append(n.name) }
                case .for_(_, _, _, let b), .block(let b): walk(b)
                case .if_(_, let a, let b): walk(a); walk(b ?? [])
                default: break
                }
            }
        }
        walk(body)
        return names.compactMap { if case .local(let l)? = lookup($0) { return l } else { return nil } }
    }

    // MARK: - if

    private func ifStmt(_ condExpr: Expr, _ then: [Stmt], _ otherwise: [Stmt]) {
        let c = expr(condExpr)
        if c.isError { return }
        guard c.type == .int || c.type == .real, c.type.isScalar else {
            sink.error("an 'if' condition must be a scalar, not \(c.type)", at: condExpr.span)
            return
        }
        if c.dep == .param {
            sink.error("an 'if' condition may depend on data only", at: condExpr.span,
                       help: "a branch on params makes the density discontinuous; use 'c ? a : b' for values")
            return
        }
        let carried = assignedLocals(then + otherwise)
        let initial = carried.map(\.current)
        let savedTerms = targetTerms
        var blocks: [Block] = []
        var deps: [Dep] = Array(repeating: .literal, count: carried.count + 1)
        for branch in [then, otherwise] {
            _ = builder.beginBlock(params: [])
            targetTerms = []
            scopes.append([:])
            statements(branch)
            scopes.removeLast()
            let inc = sumTerms(targetTerms)
            deps[0] = max(deps[0], targetTerms.map(\.dep).max() ?? .literal)
            for (k, l) in carried.enumerated() { deps[k + 1] = max(deps[k + 1], l.current.dep) }
            blocks.append(builder.endBlock(params: [], yields: [inc] + carried.map(\.current.value)))
            for (local, cur) in zip(carried, initial) { local.current = cur }
        }
        targetTerms = savedTerms
        let results = builder.appendRegion(.cond, [c.value], regions: blocks,
                                           resultTypes: [.real] + initial.map { builder.type(of: $0.value) })
        targetTerms.append(TV(value: results[0], type: .real, dep: deps[0]))
        for (k, local) in carried.enumerated() {
            local.current = TV(value: results[1 + k], type: initial[k].type, dep: deps[k + 1], layout: initial[k].layout)
        }
    }
}

func didYouMean(_ name: String, _ candidates: [String]) -> String? {
    closest(to: name, in: candidates).map { "did you mean '\($0)'?" }
}
