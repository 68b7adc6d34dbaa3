import PPLIR
import PPLSyntax

extension Elaborator {
    func statements(_ stmts: [Stmt]) throws {
        for s in stmts { try statement(s) }
    }

    func statement(_ s: Stmt) throws {
        switch s.kind {
        case .let_(let name, let t, let value): try letStmt(name, t, value)
        case .assign(let name, let indices, let value): try assign(name, indices, value, span: s.span)
        case .tilde(let lhs, let dist, let args): try tilde(lhs, dist, args, span: s.span)
        case .targetPlus(let e):
            let tv = try expr(e)
            if tv.isError { return }
            addTarget(tv, span: e.span)
        case .for_(let v, let lo, let hi, let body): try forLoop(v, lo, hi, body, span: s.span)
        case .if_(let cond, let then, let otherwise): try ifStmt(cond, then, otherwise ?? [], span: s.span)
        case .return_:
            sink.error(inFunctionBody ? "'return' must be the last statement of a function body" : "'return' outside of a function", at: s.span)
        case .data, .param, .fn, .dist, .guide, .import_:
            sink.error("declarations are only allowed at top level", at: s.span)
        }
    }

    /// Adds a real to the log density; containers add the sum of their elements.
    func addTarget(_ tv: TV, span: SourceSpan) {
        var term = toReal(tv)
        if tv.batched || !tv.type.isScalar {
            term = TV(value: try! builder.emit(.sum, [term.value]), type: .real, dep: tv.dep)
        }
        if let b = batch, !tv.batched {
            // The same amount is added on every iteration (none for an empty range).
            var n = builder.append(.size(b.count), [], type: .int)
            if b.count.constant == nil { n = try! builder.emit(.binary(.fmax), [n, builder.constant(0, .int)]) }
            term.value = try! builder.emit(.binary(.mul), [term.value, n])
        }
        targetTerms.append(term)
    }

    // MARK: - let and assignment

    private func letStmt(_ name: Identifier, _ t: TypeExpr?, _ value: Expr?) throws {
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
        var tv = try expr(value)
        if let t, !tv.isError, let shape = letShape(t) {
            let declared = IRType(t.base == .int ? .int : .real, shape)
            if let err = assignable(declared, from: tv.type) {
                sink.error("'\(name.name)' is declared \(declared) but the value is \(tv.type)\(err)", at: value.span)
                tv = errorValue()
            } else if declared.elem == .real, tv.type.elem == .int {
                tv = toReal(tv)
            }
        }
        if scopes.count == 1, !inFunctionBody, tv.type == .int, tv.dep == .data, tv.size == nil, !tv.batched {
            // A top-level int computed from data is a transformed-data value: it can size containers.
            tv.size = Size(symbol: name.name)
        }
        bind(name, .value(tv, span: name.span))
    }

    /// Shape of a `let` type. Bounds and constrained types are accepted, as in Stan's
    /// transformed parameters, and document the value; only the shape is checked.
    private func letShape(_ t: TypeExpr) -> Shape? {
        for b in t.bounds {
            let v = scalarExpr(b.value)
            if !v.isError, v.dep == .param {
                sink.error("a bound may depend on data only", at: b.value.span)
                return nil
            }
        }
        return elaborateShape(t)
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

    private func assign(_ name: Identifier, _ indices: [[IndexArg]], _ value: Expr, span: SourceSpan) throws {
        guard let binding = lookup(name.name) else {
            sink.error("'\(name.name)' is not declared", at: name.span, help: didYouMean(name.name, namesInScope))
            return
        }
        guard case .local(let local) = binding else {
            sink.error("'\(name.name)' cannot be assigned", at: name.span,
                       help: "only a 'let' declared with a type and no value (e.g. 'let h: vector[N]') can be assigned")
            return
        }
        let rhs = try expr(value)
        if rhs.isError || local.current.isError { return }
        if indices.count > 1 {
            sink.error("assign one element at a time: write '\(name.name)[i, j] = ...'", at: span)
            return
        }
        if rhs.batched && !(indices.first?.count == 1) { throw CannotVectorize() }
        let cur = local.current
        let dep = max(cur.dep, rhs.dep, .data)
        guard let idx = indices.first else {
            if let err = assignable(cur.type, from: rhs.type) {
                sink.error("cannot assign \(rhs.type) to '\(name.name)' of type \(cur.type)\(err)", at: value.span)
                return
            }
            local.current = TV(value: rhs.value, type: cur.type, dep: dep)
            return
        }
        var args: [Value] = [cur.value]
        for i in idx {
            guard case .single(let e) = i else {
                sink.error("assign one element or row at a time, not a slice", at: span)
                return
            }
            let it = try expr(e)
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
            sink.error("cannot assign \(rhs.batched ? "real" : rhs.type.description) to '\(name.name)\(idx.count == 1 ? "[i]" : "[i, j]")' of \(cur.type): \(error.message)", at: value.span)
        }
    }

    // MARK: - ~

    private func tilde(_ lhs: Expr, _ distName: Identifier, _ args: [Expr], span: SourceSpan) throws {
        guard let info = lookupDist(distName) else {
            for a in args { _ = try expr(a) }
            return
        }
        let x = try expr(lhs)
        var argValues: [TV] = []
        for a in args { argValues.append(try expr(a)) }
        if x.isError || argValues.contains(where: \.isError) { return }
        let lp = try distLogDensity(info, variate: x, variateSpan: lhs.span, args: argValues, argSpans: args.map(\.span), callSpan: span)
        if lp.isError { return }
        addTarget(lp, span: span)
    }

    // MARK: - for

    private func forLoop(_ v: Identifier, _ loExpr: Expr, _ hiExpr: Expr, _ body: [Stmt], span: SourceSpan) throws {
        if batch != nil { throw CannotVectorize() }
        let lo = try expr(loExpr), hi = try expr(hiExpr)
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
        if canVectorize(body, variable: v.name), let l = lo.size, let h = hi.size, (h - l + Size(1)).constant.map({ $0 > 0 }) ?? true {
            let savedSink = sink, savedTerms = targetTerms
            let locals = assignedLocals(body)
            let savedCurrents = locals.map(\.current)
            let scratch = DiagnosticSink()
            sink = scratch
            _ = builder.beginBlock(params: [])
            let count = h - l + Size(1)
            let index = builder.append(.range, [lo.value, hi.value], type: .intArray(count))
            batch = (index, l, count, v.name)
            scopes.append([:])
            var ok = true
            do {
                bind(v, .value(TV(value: index, type: .int, dep: .data, batched: true), span: v.span))
                try statements(body)
            } catch {
                ok = false
            }
            scopes.removeLast()
            batch = nil
            sink = savedSink
            if ok && !scratch.hasErrors {
                let block = builder.endBlock(params: [], yields: [])
                builder.appendInstrs(block.instrs)
                return
            }
            builder.abandonBlock()
            targetTerms = savedTerms
            for (local, cur) in zip(locals, savedCurrents) { local.current = cur }
        }
        try sequentialLoop(v, lo, hi, body)
    }

    /// A real loop: an IR `loop` op carrying the log-density increment and every outer
    /// local the body assigns.
    private func sequentialLoop(_ v: Identifier, _ lo: TV, _ hi: TV, _ body: [Stmt]) throws {
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
        try statements(body)
        scopes.removeLast()
        let addsTarget = !targetTerms.isEmpty
        var acc = params[1]
        for t in targetTerms { acc = try! builder.emit(.binary(.add), [acc, t.value]) }
        let termDep = targetTerms.map(\.dep).max() ?? .literal
        // The accumulator is carried only when the body adds to the log density.
        let blockParams = addsTarget ? params : [params[0]] + params.dropFirst(2)
        let yields = (addsTarget ? [acc] : []) + carried.map(\.current.value)
        let block = builder.endBlock(params: blockParams, yields: yields)
        targetTerms = savedTerms
        let inits = (addsTarget ? [builder.constant(0)] : []) + initial.map(\.value)
        let results = builder.appendRegion(.loop, [lo.value, hi.value] + inits, regions: [block],
                                           resultTypes: (addsTarget ? [.real] : []) + initial.map { builder.type(of: $0.value) })
        if addsTarget { targetTerms.append(TV(value: results[0], type: .real, dep: termDep)) }
        let offset = addsTarget ? 1 : 0
        for (k, local) in carried.enumerated() {
            local.current = TV(value: results[offset + k], type: initial[k].type, dep: local.current.dep)
        }
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

    /// A body can run as vector operations when it has no nested control flow and each
    /// assignment writes element `[i]` of an outer local that the body never reads.
    private func canVectorize(_ body: [Stmt], variable: String) -> Bool {
        var assigned = Set<String>()
        for s in body {
            switch s.kind {
            case .for_, .if_, .return_: return false
            case .let_(_, _, let value): if value == nil { return false }
            case .assign(let n, let idx, _):
                guard idx.count == 1, idx[0].count == 1, case .single(let e) = idx[0][0],
                      case .name(variable) = e.kind else { return false }
                assigned.insert(n.name)
            default: break
            }
        }
        if assigned.isEmpty { return true }
        return !body.contains { s in mentions(s, assigned) }
    }

    private func mentions(_ s: Stmt, _ names: Set<String>) -> Bool {
        switch s.kind {
        case .let_(_, _, let v): return v.map { mentions($0, names) } ?? false
        case .assign(_, let idx, let v):
            return mentions(v, names) || idx.joined().contains { mentions($0, names) }
        case .tilde(let l, _, let args): return mentions(l, names) || args.contains { mentions($0, names) }
        case .targetPlus(let e): return mentions(e, names)
        default: return true
        }
    }

    private func mentions(_ i: IndexArg, _ names: Set<String>) -> Bool {
        switch i {
        case .single(let e): return mentions(e, names)
        case .range(let a, let b): return (a.map { mentions($0, names) } ?? false) || (b.map { mentions($0, names) } ?? false)
        }
    }

    func mentions(_ e: Expr, _ names: Set<String>) -> Bool {
        switch e.kind {
        case .intLiteral, .realLiteral: return false
        case .name(let n): return names.contains(n)
        case .unary(_, let a), .transpose(let a): return mentions(a, names)
        case .binary(_, let a, let b): return mentions(a, names) || mentions(b, names)
        case .ternary(let a, let b, let c): return mentions(a, names) || mentions(b, names) || mentions(c, names)
        case .call(_, let args, _), .array(let args): return args.contains { mentions($0, names) }
        case .index(let b, let idx): return mentions(b, names) || idx.contains { mentions($0, names) }
        }
    }

    // MARK: - if

    private func ifStmt(_ condExpr: Expr, _ then: [Stmt], _ otherwise: [Stmt], span: SourceSpan) throws {
        if batch != nil { throw CannotVectorize() }
        let c = try expr(condExpr)
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
            try statements(branch)
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
