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
        case .tilde(let lhs, let dist, let args): tilde(lhs, dist, args, span: s.span)
        case .targetPlus(let e):
            let tv = expr(e)
            if tv.isError { return }
            addTarget(tv)
        case .for_(let v, let lo, let hi, let body): forLoop(v, lo, hi, body)
        case .if_(let cond, let then, let otherwise): ifStmt(cond, then, otherwise ?? [])
        case .return_:
            sink.error(inFunctionBody ? "'return' must be the last statement of a function body" : "'return' outside of a function", at: s.span)
        case .data, .param, .fn, .dist, .guide, .import_:
            sink.error("declarations are only allowed at top level", at: s.span)
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
            guard let t, let shape = letShape(t) else { bind(name, .value(errorValue(), span: name.span)); return }
            let type = IRType(t.base == .int ? .int : .real, shape)
            let fillValue = builder.constant(type.elem == .int ? 0 : .nan, type.elem)
            let v = type.isScalar ? fillValue : builder.append(.fill, [fillValue], type: type)
            let local = LocalVar(name: name.name, span: name.span, current: TV(value: v, type: type, dep: .literal))
            bind(name, .local(local))
            return
        }
        var tv = expr(value)
        if let t, !tv.isError, let shape = letShape(t) {
            let declared = IRType(t.base == .int ? .int : .real, shape)
            if let err = assignable(declared, from: tv.type) {
                sink.error("'\(name.name)' is declared \(declared) but the value is \(tv.type)\(err)", at: value.span)
                tv = errorValue()
            } else if declared.elem == .real, tv.type.elem == .int {
                tv = toReal(tv)
            }
        }
        if scopes.count == 1, !inFunctionBody, tv.type == .int, tv.dep == .data, tv.size == nil {
            // A top-level int computed from data is a transformed-data value: it can size containers.
            tv.size = Size(symbol: name.name)
            namedSizes[tv.value] = tv.size
        }
        bind(name, .value(tv, span: name.span))
    }

    /// Shape of a `let` type. Bounds and constrained types are accepted, as in Stan's
    /// transformed parameters (where bounds may depend on params), and document the value;
    /// only the shapes are checked.
    private func letShape(_ t: TypeExpr) -> Shape? {
        guard let shape = elaborateShape(t) else { return nil }
        for b in t.bounds where boundExpr(b, declared: IRType(.real, shape)) == nil { return nil }
        return shape
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

    private func assign(_ name: Identifier, _ indices: [[IndexArg]], _ value: Expr, span: SourceSpan) {
        guard let binding = lookup(name.name) else {
            sink.error("'\(name.name)' is not declared", at: name.span, help: didYouMean(name.name, namesInScope))
            return
        }
        guard case .local(let local) = binding else {
            sink.error("'\(name.name)' cannot be assigned", at: name.span,
                       help: "only a 'let' declared with a type and no value (e.g. 'let h: vector[N]') can be assigned")
            return
        }
        let rhs = expr(value)
        if rhs.isError || local.current.isError { return }
        if indices.count > 1 {
            sink.error("assign one element at a time: write '\(name.name)[i, j] = ...'", at: span)
            return
        }
        let cur = local.current
        let dep = max(cur.dep, rhs.dep, .data)
        guard let idx = indices.first else {
            if let err = assignable(cur.type, from: rhs.type) {
                sink.error("cannot assign \(rhs.type) to '\(name.name)' of type \(cur.type)\(err)", at: value.span)
                return
            }
            // An int assigned to a real is a real (as in Stan): the value carried on, through a
            // loop or a branch, has the declared type and keeps its derivative.
            let v = cur.type.elem == .real ? toReal(rhs) : rhs
            local.current = TV(value: v.value, type: cur.type, dep: dep)
            return
        }
        var args: [Value] = [cur.value]
        for i in idx {
            guard case .single(let e) = i else {
                sink.error("assign one element or row at a time, not a slice", at: span)
                return
            }
            let it = expr(e)
            if it.isError { return }
            if it.type.elem != .int || !it.type.isScalar {
                sink.error("an assigned index must be an int, not \(it.type)", at: e.span)
                return
            }
            args.append(it.value)
        }
        // The value must fit one element (or one row) of the local, per iteration.
        let element: IRType
        switch (cur.type.shape, idx.count) {
        case (.vector, 1), (.rowVector, 1): element = IRType(cur.type.elem, .scalar)
        case (.matrix(_, let c), 1): element = IRType(cur.type.elem, .vector(c))
        case (.matrix, 2): element = IRType(cur.type.elem, .scalar)
        default:
            sink.error("'\(name.name)' is \(cur.type) and cannot take \(idx.count) ind\(idx.count == 1 ? "ex" : "ices")", at: span)
            return
        }
        if let err = assignable(element, from: rhs.type), rhs.type.elem == element.elem || err != "" {
            sink.error("cannot assign \(rhs.type) to an element of '\(name.name)', which is \(element)", at: value.span)
            return
        }
        args.append(rhs.value)
        let op: Op = idx.count == 1 ? .set : .set2
        if cur.type.elem == .int, rhs.type.elem == .real {
            sink.error("cannot assign a real to an element of the int '\(name.name)'", at: value.span)
            return
        }
        do {
            let v = try builder.emit(op, args)
            local.current = TV(value: v, type: cur.type, dep: dep)
        } catch {
            sink.error("cannot assign \(rhs.type) to '\(name.name)\(idx.count == 1 ? "[i]" : "[i, j]")' of \(cur.type): \(error.message)", at: value.span)
        }
    }

    // MARK: - ~

    private func tilde(_ lhs: Expr, _ distName: Identifier, _ args: [Expr], span: SourceSpan) {
        guard let info = lookupDist(distName) else {
            for a in args { _ = expr(a) }
            return
        }
        let x = expr(lhs)
        let argValues = args.map(expr)
        if x.isError || argValues.contains(where: \.isError) { return }
        let lp = distLogDensity(info, variate: x, variateSpan: lhs.span, args: argValues, argSpans: args.map(\.span), callSpan: span)
        if lp.isError { return }
        addTarget(lp)
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
        let params = builder.beginBlock(params: [.int, .real] + initial.map { builder.type(of: $0.value) })
        let savedTerms = targetTerms
        targetTerms = []
        scopes.append([:])
        bind(v, .value(TV(value: params[0], type: .int, dep: .data, size: Size(symbol: v.name)), span: v.span))
        for (k, local) in carried.enumerated() {
            local.current = TV(value: params[2 + k], type: initial[k].type, dep: max(initial[k].dep, .data))
        }
        statements(body)
        scopes.removeLast()
        let terms = targetTerms
        targetTerms = savedTerms
        let results = closeLoop(params, lo: lo.value, hi: hi.value, sums: [terms], sharedZero: true,
                                yields: carried.map(\.current.value), initial: initial.map(\.value))
        if let increment = results.sums[0] { targetTerms.append(increment) }
        for (k, local) in carried.enumerated() {
            local.current = TV(value: results.carried[k], type: initial[k].type, dep: local.current.dep)
        }
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
                case .for_(_, _, _, let b): walk(b)
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
            local.current = TV(value: results[1 + k], type: initial[k].type, dep: deps[k + 1])
        }
    }
}

func didYouMean(_ name: String, _ candidates: [String]) -> String? {
    closest(to: name, in: candidates).map { "did you mean '\($0)'?" }
}
