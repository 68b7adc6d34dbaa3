import PPLIR
import PPLSyntax

extension Elaborator {
    // MARK: - Calls

    func call(_ name: Identifier, _ argExprs: [Expr], conditional: Bool, span: SourceSpan) -> TV {
        let n = name.name
        for suffix in ["_lpdf", "_lpmf", "_lupdf", "_lupmf"] where n.hasSuffix(suffix) && n.count > suffix.count {
            let base = Identifier(String(n.dropLast(suffix.count)), span: name.span)
            return densityCall(base, suffix: suffix, argExprs, conditional: conditional, span: span)
        }
        if conditional {
            sink.error("'|' is only used in '_lpdf' and '_lpmf' calls", at: span)
            return errorValue()
        }
        let args = argExprs.map(expr)
        if args.contains(where: \.isError) { return errorValue() }
        if let def = fns[n] { return inlineFn(def, args, argSpans: argExprs.map(\.span), span: span) }
        if let b = Builtins.byName[n] {
            switch b.impl {
            case .unary(let f):
                guard args.count == 1 else { return arityError(n, expected: "1 argument", got: args.count, span) }
                return elementwise(.unary(f), args, span: span, opName: n)
            case .binary(let f):
                guard args.count == 2 else { return arityError(n, expected: "2 arguments", got: args.count, span) }
                return elementwise(.binary(f), args, span: span, opName: n)
            case .special(let s):
                return special(s, args, argSpans: argExprs.map(\.span), span: span)
            }
        }
        if dists[n] != nil {
            let discrete = dists[n]!.discrete
            sink.error("'\(n)' is a distribution, not a function", at: name.span,
                       help: "use it as 'x ~ \(n)(...)' or call '\(n)_\(discrete ? "lpmf" : "lpdf")(x | ...)'")
            return errorValue()
        }
        let candidates = Array(fns.keys) + Builtins.table.map(\.name)
            + dists.map { $0.key + ($0.value.discrete ? "_lpmf" : "_lpdf") }
        sink.error("unknown function '\(n)'", at: name.span, help: didYouMean(n, candidates))
        return errorValue()
    }

    private func arityError(_ name: String, expected: String, got: Int, _ span: SourceSpan) -> TV {
        sink.error("'\(name)' takes \(expected), got \(got)", at: span)
        return errorValue()
    }

    /// `d_lpdf(x | args)`: the log density of a distribution as a value.
    private func densityCall(_ distName: Identifier, suffix: String, _ argExprs: [Expr], conditional: Bool, span: SourceSpan) -> TV {
        guard let info = lookupDist(distName) else { return errorValue() }
        let wanted = info.discrete ? "_lpmf" : "_lpdf"
        if suffix.hasSuffix("pmf") != info.discrete {
            sink.error("'\(distName.name)' is \(info.discrete ? "discrete" : "continuous"): use '\(distName.name)\(wanted)'", at: span)
            return errorValue()
        }
        guard !argExprs.isEmpty else {
            sink.error("'\(distName.name)\(suffix)' needs the variate: '\(distName.name)\(suffix)(x | ...)'", at: span)
            return errorValue()
        }
        if !conditional && argExprs.count > 1 {
            sink.error("separate the variate with '|': '\(distName.name)\(suffix)(x | ...)'", at: span)
            return errorValue()
        }
        let values = argExprs.map(expr)
        if values.contains(where: \.isError) { return errorValue() }
        return distLogDensity(info, variate: values[0], variateSpan: argExprs[0].span, args: Array(values.dropFirst()),
                                  argSpans: argExprs.dropFirst().map(\.span), callSpan: span)
    }

    func lookupDist(_ name: Identifier) -> DistInfo? {
        if let d = dists[name.name] { return d }
        var help = didYouMean(name.name, Array(dists.keys))
        if help == nil, fns[name.name] != nil || Builtins.byName[name.name] != nil {
            help = "'\(name.name)' is a function; distributions are defined with 'dist'"
        }
        sink.error("unknown distribution '\(name.name)'", at: name.span, help: help)
        return nil
    }

    // MARK: - Signatures

    /// Whether an argument fits a signature type. Distributions are vectorised: a scalar
    /// parameter also takes containers, elementwise.
    private func accepts(_ sig: TypeExpr, _ t: IRType, vectorised: Bool) -> Bool {
        switch (sig.base, sig.isArray) {
        case (.int, false): return t.elem == .int && (t.isScalar || (vectorised && isArrayShape(t.shape)))
        case (.int, true): return t.elem == .int && isArrayShape(t.shape)
        case (.real, false): return t.isScalar || vectorised
        case (.real, true), (.vector, _), (.simplex, _), (.ordered, _), (.positive_ordered, _):
            if case .vector = t.shape { return true } else { return false }
        case (.row_vector, _): if case .rowVector = t.shape { return true } else { return false }
        case (.matrix, _): if case .matrix = t.shape { return true } else { return false }
        }
    }

    private func isArrayShape(_ s: Shape) -> Bool {
        if case .vector = s { return true } else { return false }
    }

    /// A placeholder value of a signature type, for checking a body at its definition.
    private func placeholder(_ sig: TypeExpr, name: String) -> TV {
        let n = Size(symbol: "len(\(name))")
        let type: IRType
        switch (sig.base, sig.isArray) {
        case (.int, false): type = .int
        case (.real, false): type = .real
        case (.int, true): type = .intArray(n)
        case (.real, true), (.vector, _), (.simplex, _), (.ordered, _), (.positive_ordered, _): type = .vector(n)
        case (.row_vector, _): type = .rowVector(n)
        case (.matrix, _): type = .matrix(Size(symbol: "rows(\(name))"), Size(symbol: "cols(\(name))"))
        }
        // Int arguments can only come from data, so they may size containers and bound loops.
        let dep: Dep = type.elem == .int ? .data : .param
        return TV(value: builder.inputValue(type), type: type, dep: dep, size: type == .int ? Size(symbol: name) : nil)
    }

    // MARK: - Definitions

    /// Registers a function, then checks its body. A function whose signature or body has
    /// errors stays registered as broken, so its calls add no further errors.
    func defineFn(_ def: FnDef) {
        if let clash = nameClash(def.name.name, span: def.name.span) { sink.report(clash); return }
        fns[def.name.name] = def
        let before = sink.errorCount
        if checkSignature(def.params, def.name.name) {
            checkBody(name: def.name.name, nameSpan: def.name.span, params: def.params.map { ($0.name, $0.type) }, body: def.body,
                      result: def.result, isDist: false)
        }
        if sink.errorCount > before { broken.insert(def.name.name) }
    }

    func defineDist(_ def: DistDef) {
        if let clash = nameClash(def.name.name, span: def.name.span) { sink.report(clash); return }
        dists[def.name.name] = DistInfo(def: def, discrete: def.support.base == .int)
        let before = sink.errorCount
        if !checkSignature(def.params, def.name.name) {
        } else if def.params.contains(where: { $0.name.name == def.variate.name }) {
            sink.error("the variate '\(def.variate.name)' has the name of a parameter", at: def.variate.span)
        } else {
            checkBody(name: def.name.name, nameSpan: def.name.span, params: [(def.variate, def.support)] + def.params.map { ($0.name, $0.type) },
                      body: def.body, result: nil, isDist: true)
        }
        if sink.errorCount > before { broken.insert(def.name.name) }
    }

    private func nameClash(_ name: String, span: SourceSpan) -> Diagnostic? {
        var previous: SourceSpan?
        if let f = fns[name] { previous = f.name.span }
        if let d = dists[name] { previous = d.def.name.span }
        if previous == nil, Builtins.byName[name] == nil { return nil }
        var d = Diagnostic.error("'\(name)' is already defined", at: span, help: "choose another name")
        if let p = previous, p.file != nil { d.notes = [Diagnostic(.note, "the existing definition is here", at: p)] }
        return d
    }

    private func checkSignature(_ params: [Param], _ name: String) -> Bool {
        var seen = Set<String>()
        for p in params where !seen.insert(p.name.name).inserted {
            sink.error("parameter '\(p.name.name)' appears twice in '\(name)'", at: p.name.span)
            return false
        }
        return true
    }

    /// Checks a body once with placeholder arguments of the declared types, so errors in a
    /// function are reported even if it is never called.
    private func checkBody(name: String, nameSpan: SourceSpan, params: [(Identifier, TypeExpr)], body: Body, result: TypeExpr?, isDist: Bool) {
        let args = params.map { placeholder($0.1, name: $0.0.name) }
        _ = builder.beginBlock(params: [])
        let savedTerms = targetTerms, savedAssumptions = builder.assumptions
        defer { builder.assumptions = savedAssumptions }
        let r = withFunctionScope(name: name, params: params.map(\.0), args: args) { self.functionBody(body, name: name, at: nameSpan) }
        targetTerms = savedTerms
        builder.abandonBlock()
        if !r.isError, let result, let bodySpan = bodyResultSpan(body) {
            if !accepts(result, r.type, vectorised: false) {
                sink.error("'\(name)' is declared to return \(typeName(result)) but returns \(kindName(r.type))", at: bodySpan)
            }
        }
    }

    private func bodyResultSpan(_ body: Body) -> SourceSpan? {
        switch body {
        case .expr(let e): return e.span
        case .block(let stmts):
            if case .return_(let e)? = stmts.last?.kind { return e.span }
            return nil
        }
    }

    /// Runs `f` with only the function's parameters in scope (bodies cannot see model variables).
    private func withFunctionScope(name: String, params: [Identifier], args: [TV], _ f: () -> TV) -> TV {
        let savedScopes = scopes, savedInBody = inFunctionBody
        scopes = [[:]]
        inFunctionBody = true
        callStack.append(name)
        defer {
            scopes = savedScopes
            inFunctionBody = savedInBody
            callStack.removeLast()
        }
        for (p, a) in zip(params, args) { bind(p, .value(a, span: p.span)) }
        return f()
    }

    /// `= expr`, or a block whose last statement is `return expr`.
    private func functionBody(_ body: Body, name: String, at callSpanForBody: SourceSpan) -> TV {
        switch body {
        case .expr(let e): return expr(e)
        case .block(let stmts):
            guard case .return_(let e)? = stmts.last?.kind else {
                sink.error("the body of '\(name)' must end with 'return EXPR'", at: stmts.last?.span ?? callSpanForBody)
                return errorValue()
            }
            statements(Array(stmts.dropLast()))
            return expr(e)
        }
    }

    // MARK: - Inlining

    func inlineFn(_ def: FnDef, _ args: [TV], argSpans: [SourceSpan], span: SourceSpan) -> TV {
        let name = def.name.name
        if broken.contains(name) { return errorValue() }
        guard args.count == def.params.count else {
            return arityError(name, expected: "\(def.params.count) argument\(def.params.count == 1 ? "" : "s")", got: args.count, span)
        }
        for (k, (p, a)) in zip(def.params, args).enumerated() {
            if !accepts(p.type, a.type, vectorised: false) {
                sink.error("argument \(k + 1) of '\(name)' must be \(typeName(p.type)), not \(a.type)", at: argSpans[k],
                           help: a.type.isScalar ? nil : "functions are not vectorised; call it in a loop, or declare the argument as a container")
                return errorValue()
            }
        }
        return inline(name: name, params: def.params.map(\.name), args: args, body: def.body, span: span)
    }

    /// The body of a function or distribution with its arguments bound; an error in it is
    /// reported as an error of this call.
    private func inline(name: String, params: [Identifier], args: [TV], body: Body, span: SourceSpan) -> TV {
        if callStack.contains(name) {
            sink.error("'\(name)' calls itself; recursive functions are not supported", at: span)
            return errorValue()
        }
        let (r, failed) = sink.call(name, at: span) {
            withFunctionScope(name: name, params: params, args: args) { self.functionBody(body, name: name, at: span) }
        }
        return failed ? errorValue() : r
    }

    /// The log density of a distribution at `variate`, summed over elements as in Stan.
    ///
    /// A logpdf is written for one element. Where a parameter declared `real` or `int`
    /// (or the variate of a scalar distribution) receives a vector, the body is lowered in
    /// a loop over the elements whose log densities are summed (which `Vectorize` turns
    /// into vector operations when the body allows).
    func distLogDensity(_ info: DistInfo, variate: TV, variateSpan: SourceSpan, args: [TV], argSpans: [SourceSpan],
                        callSpan: SourceSpan) -> TV {
        let def = info.def
        let name = def.name.name
        if broken.contains(name) { return errorValue() }
        guard args.count == def.params.count else {
            let ps = def.params.map(\.name.name).joined(separator: ", ")
            sink.error("'\(name)' takes \(def.params.count) argument\(def.params.count == 1 ? "" : "s") (\(ps)), got \(args.count)", at: callSpan)
            return errorValue()
        }
        if info.discrete && variate.type.elem == .real {
            sink.error("'\(name)' is a distribution over ints, but the variate is \(variate.type)", at: variateSpan)
            return errorValue()
        }
        if !accepts(def.support, variate.type, vectorised: true) {
            sink.error("'\(name)' is a distribution on \(typeName(def.support)), but the variate is \(variate.type)", at: variateSpan)
            return errorValue()
        }
        for (k, (p, a)) in zip(def.params, args).enumerated() where !accepts(p.type, a.type, vectorised: true) {
            sink.error("argument '\(p.name.name)' of '\(name)' must be \(typeName(p.type)), not \(a.type)", at: argSpans[k])
            return errorValue()
        }
        let sigs = [def.support] + def.params.map(\.type)
        var values = [variate] + args
        let spans = [variateSpan] + argSpans
        let params = [def.variate] + def.params.map(\.name)
        // Arguments where a scalar is declared and a vector is given: these run element-wise.
        let elementwise = values.indices.filter { i in
            sigs[i].isArray == false && (sigs[i].base == .real || sigs[i].base == .int) && values[i].type.shape.rank == 1
        }
        guard !elementwise.isEmpty, !values.contains(where: { $0.type.shape.rank == 2 }) else {
            let r = inline(name: name, params: params, args: values, body: def.body, span: callSpan)
            return r.isError ? r : summed(r)
        }
        var length: Size?
        var first = 0
        for i in elementwise {
            var v = values[i]
            if case .rowVector = v.type.shape { v.value = Emitter(builder).transpose(v.value) }
            let n = v.type.shape.count
            if let l = length {
                if compareSizes(l, n) == .different {
                    sink.error("arguments of '\(name)' have different sizes: '\(sourceText(spans[first]))' has \(l) elements, '\(sourceText(spans[i]))' has \(n)",
                               at: spans[i])
                    return errorValue()
                }
                try? builder.assume(l, equals: n)
            } else {
                length = n
                first = i
            }
            values[i] = v
        }
        // for i in 1:length { lp += logpdf(x[i] | ...) }, with the body's own additions to
        // the log density carried beside.
        let lo = builder.append(.const(1), [], type: .int)
        let hi = builder.append(.size(length!), [], type: .int)
        let loop = builder.beginBlock(params: [.int, .real, .real])
        for i in elementwise {
            let x = Emitter(builder).op(.at, values[i].value, loop[0])
            values[i] = TV(value: x, type: builder.type(of: x), dep: values[i].dep)
        }
        let savedTerms = targetTerms
        targetTerms = []
        let r = inline(name: name, params: params, args: values, body: def.body, span: callSpan)
        let bodyTerms = targetTerms
        targetTerms = savedTerms
        if r.isError {
            builder.abandonBlock()
            return r
        }
        let results = closeLoop(loop, lo: lo, hi: hi, sums: [[summed(r)], bodyTerms], sharedZero: false, yields: [], initial: [])
        if let increment = results.sums[1] { targetTerms.append(increment) }
        return results.sums[0]!
    }

    /// A log density as one real: the sum of a container's elements.
    private func summed(_ r: TV) -> TV {
        let x = toReal(r)
        return x.type.isScalar ? x : TV(value: Emitter(builder).sum(x.value), type: .real, dep: x.dep)
    }

    /// An int value as a real (`n + 0.0`), where a real is declared or expected.
    func toReal(_ tv: TV) -> TV {
        if tv.type.elem == .real || tv.isError { return tv }
        if let c = tv.constant {
            return TV(value: builder.constant(c), type: tv.type.with(elem: .real), dep: tv.dep, constant: c)
        }
        let v = Emitter(builder).add(tv.value, builder.constant(0))
        return TV(value: v, type: tv.type.with(elem: .real), dep: tv.dep)
    }

    // MARK: - Builtins with their own lowering

    func special(_ s: SpecialFn, _ args: [TV], argSpans: [SourceSpan], span: SourceSpan) -> TV {
        let name = s.rawValue
        func want(_ n: Int) -> Bool {
            if args.count == n { return true }
            sink.error("'\(name)' takes \(n) argument\(n == 1 ? "" : "s"), got \(args.count)", at: span)
            return false
        }
        func constant(_ x: Double) -> TV { TV(value: builder.constant(x), type: .real, dep: .literal, constant: x) }
        func emit(_ op: Op, _ vs: [TV]) -> TV { elementwise(op, vs, span: span, opName: name) }
        func reduce(_ op: Op, _ x: TV) -> TV {
            if x.type.isScalar, op == .sum || op == .logSumExp || op == .minElement || op == .maxElement { return x }
            let v = Emitter(builder).op(op, x.value)
            return TV(value: v, type: builder.type(of: v), dep: x.dep)
        }
        func count(_ x: TV) -> TV {
            let n = x.type.shape.count
            return TV(value: builder.append(.size(n), [], type: .int), type: .int, dep: .literal, size: n)
        }
        func requireVector(_ x: TV, _ i: Int) -> Bool {
            if x.type.shape.rank == 1, x.type.elem == .real || name == "size" { return true }
            sink.error("'\(name)' takes a vector, not \(x.type)", at: argSpans[i])
            return false
        }
        func sizeArg(_ i: Int) -> Size? {
            let t = args[i]
            guard t.type == .int else {
                sink.error("argument \(i + 1) of '\(name)' must be an int size, not \(t.type)", at: argSpans[i])
                return nil
            }
            guard let s = t.size, t.dep <= .data else {
                sink.error("the size given to '\(name)' must be built from int data and literals", at: argSpans[i])
                return nil
            }
            return s
        }
        switch s {
        case .pi: return want(0) ? constant(Double.pi) : errorValue()
        case .e: return want(0) ? constant(2.718281828459045) : errorValue()
        case .sqrt2: return want(0) ? constant(2.0.squareRoot()) : errorValue()
        case .negative_infinity: return want(0) ? constant(-.infinity) : errorValue()
        case .positive_infinity: return want(0) ? constant(.infinity) : errorValue()
        case .not_a_number: return want(0) ? constant(.nan) : errorValue()
        case .pow: return want(2) ? emit(.binary(.pow), args) : errorValue()
        case .inv_sqrt:
            guard want(1) else { return errorValue() }
            return emit(.unary(.inv), [emit(.unary(.sqrt), args)])
        case .sum: return want(1) ? reduce(.sum, args[0]) : errorValue()
        case .log_sum_exp:
            if args.count == 2 { return emit(.binary(.log_sum_exp), args) }
            return want(1) ? reduce(.logSumExp, args[0]) : errorValue()
        case .min, .max:
            if args.count == 2 { return emit(.binary(s == .min ? .fmin : .fmax), args) }
            return want(1) ? reduce(s == .min ? .minElement : .maxElement, args[0]) : errorValue()
        case .mean:
            guard want(1) else { return errorValue() }
            if args[0].type.isScalar { return args[0] }
            return emit(.binary(.div), [reduce(.sum, args[0]), count(args[0])])
        case .variance, .sd:
            guard want(1) else { return errorValue() }
            if args[0].type.isScalar {
                sink.error("'\(name)' takes a container, not a scalar", at: argSpans[0])
                return errorValue()
            }
            let x = args[0]
            let mean = emit(.binary(.div), [reduce(.sum, x), count(x)])
            let dev = emit(.unary(.square), [emit(.binary(.sub), [x, mean])])
            let n1 = emit(.binary(.sub), [count(x), TV(value: builder.constant(1, .int), type: .int, dep: .literal)])
            let variance = emit(.binary(.div), [reduce(.sum, dev), n1])
            return s == .sd ? emit(.unary(.sqrt), [variance]) : variance
        case .dot_product:
            guard want(2), requireVector(args[0], 0), requireVector(args[1], 1) else { return errorValue() }
            do {
                let v = try builder.emit(.dot, [args[0].value, args[1].value])
                return TV(value: v, type: .real, dep: max(args[0].dep, args[1].dep))
            } catch {
                sink.error("cannot take dot_product of \(args[0].type) and \(args[1].type): \(error.message)", at: span)
                return errorValue()
            }
        case .dot_self:
            guard want(1), requireVector(args[0], 0) else { return errorValue() }
            return TV(value: try! builder.emit(.dot, [args[0].value, args[0].value]), type: .real, dep: args[0].dep)
        case .log_mix:
            if args.count == 3 {
                let theta = args[0]
                let a = emit(.binary(.add), [emit(.unary(.log), [theta]), args[1]])
                let b = emit(.binary(.add), [emit(.unary(.log1m), [theta]), args[2]])
                return emit(.binary(.log_sum_exp), [a, b])
            }
            guard want(2), requireVector(args[0], 0), requireVector(args[1], 1) else { return errorValue() }
            return reduce(.logSumExp, emit(.binary(.add), [emit(.unary(.log), [args[0]]), args[1]]))
        case .softmax, .log_softmax:
            guard want(1), requireVector(args[0], 0) else { return errorValue() }
            let lse = reduce(.logSumExp, args[0])
            let shifted = emit(.binary(.sub), [args[0], lse])
            return s == .softmax ? emit(.unary(.exp), [shifted]) : shifted
        case .cumulative_sum:
            guard want(1), requireVector(args[0], 0) else { return errorValue() }
            return reduce(.cumulativeSum, args[0])
        case .rep_vector, .rep_row_vector:
            guard want(2), let n = sizeArg(1) else { return errorValue() }
            guard args[0].type.isScalar else {
                sink.error("'\(name)' repeats a scalar, not \(args[0].type)", at: argSpans[0])
                return errorValue()
            }
            let t = s == .rep_vector ? IRType.vector(n) : IRType.rowVector(n)
            return TV(value: builder.append(.fill, [args[0].value], type: t), type: t, dep: args[0].dep)
        case .rep_matrix:
            guard want(3), let r = sizeArg(1), let c = sizeArg(2) else { return errorValue() }
            guard args[0].type.isScalar else {
                sink.error("'rep_matrix' repeats a scalar, not \(args[0].type)", at: argSpans[0])
                return errorValue()
            }
            let t = IRType.matrix(r, c)
            return TV(value: builder.append(.fill, [args[0].value], type: t), type: t, dep: args[0].dep)
        case .size, .num_elements:
            guard want(1) else { return errorValue() }
            return count(args[0])
        case .rows, .cols:
            guard want(1) else { return errorValue() }
            let n: Size
            switch args[0].type.shape {
            case .scalar: n = Size(1)
            case .vector(let k): n = s == .rows ? k : Size(1)
            case .rowVector(let k): n = s == .rows ? Size(1) : k
            case .matrix(let r, let c): n = s == .rows ? r : c
            }
            return TV(value: builder.append(.size(n), [], type: .int), type: .int, dep: .literal, size: n)
        case .diagonal, .diag_matrix, .to_vector, .to_row_vector:
            guard want(1) else { return errorValue() }
            let x = args[0]
            let op: Op
            switch s {
            case .diagonal: op = .diagonal
            case .diag_matrix: op = .diagMatrix
            case .to_vector:
                if case .vector = x.type.shape {
                    if x.type.elem == .real { return x }
                    let zero = TV(value: builder.constant(0), type: .real, dep: .literal)
                    return emit(.binary(.add), [x, zero])
                }
                guard case .rowVector = x.type.shape else {
                    sink.error("'to_vector' takes a vector, row_vector or int[], not \(x.type)", at: argSpans[0])
                    return errorValue()
                }
                op = .transpose
            default:
                if case .rowVector = x.type.shape { return x }
                guard case .vector = x.type.shape else {
                    sink.error("'to_row_vector' takes a vector or row_vector, not \(x.type)", at: argSpans[0])
                    return errorValue()
                }
                op = .transpose
            }
            do {
                let v = try builder.emit(op, [x.value])
                return TV(value: v, type: builder.type(of: v), dep: x.dep)
            } catch {
                sink.error("'\(name)' cannot take \(x.type): \(error.message)", at: span)
                return errorValue()
            }
        case .mdivide_left_tri_low:
            guard want(2) else { return errorValue() }
            do {
                let v = try builder.emit(.triSolveLower, [args[0].value, args[1].value])
                return TV(value: v, type: builder.type(of: v), dep: max(args[0].dep, args[1].dep))
            } catch {
                sink.error("'mdivide_left_tri_low' cannot take \(args[0].type) and \(args[1].type): \(error.message)", at: span)
                return errorValue()
            }
        }
    }
}
