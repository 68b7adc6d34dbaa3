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
        for suffix in ["_lccdf", "_lcdf", "_cdf"] where n.hasSuffix(suffix) && n.count > suffix.count
            && fns[n] == nil && Builtins.byName[n] == nil {
            let base = Identifier(String(n.dropLast(suffix.count)), span: name.span)
            return cdfCall(base, suffix: suffix, argExprs, conditional: conditional, span: span)
        }
        if n.hasSuffix("_rng"), n.count > 4, fns[n] == nil, Builtins.byName[n] == nil, !conditional {
            let base = Identifier(String(n.dropLast(4)), span: name.span)
            guard let info = lookupDist(base) else { return errorValue() }
            let args = argExprs.map(expr)
            if args.contains(where: \.isError) { return errorValue() }
            return rngCall(info, name: name, args, argSpans: argExprs.map(\.span), span: span)
        }
        if n.hasPrefix("random_"), let f = RandomFn(rawValue: String(n.dropFirst(7))), fns[n] == nil, !conditional {
            let args = argExprs.map(expr)
            if args.contains(where: \.isError) { return errorValue() }
            return randomDraw(f, args, name: name, argSpans: argExprs.map(\.span), span: span)
        }
        if conditional {
            sink.error("'|' is only used in calls of distributions: '_lpdf', '_lpmf', '_lcdf', '_lccdf' and '_cdf'", at: span)
            return errorValue()
        }
        let args = argExprs.map(expr)
        if args.contains(where: \.isError) { return errorValue() }
        if let def = fns[n] { return inlineFn(def, args, argSpans: argExprs.map(\.span), span: span) }
        if let overloads = Builtins.byName[n] { return builtin(overloads, args, argSpans: argExprs.map(\.span), span: span) }
        if dists[n] != nil {
            let discrete = dists[n]!.discrete
            sink.error("'\(n)' is a distribution, not a function", at: name.span,
                       help: "use it as 'x ~ \(n)(...)' or call '\(n)_\(discrete ? "lpmf" : "lpdf")(x | ...)'")
            return errorValue()
        }
        // A definition that did not parse has had its error.
        if broken.contains(n) { return errorValue() }
        let candidates = Array(fns.keys) + Builtins.table.map(\.name)
            + dists.map { $0.key + ($0.value.discrete ? "_lpmf" : "_lpdf") }
        sink.error("unknown function '\(n)'", at: name.span, help: didYouMean(n, candidates))
        return errorValue()
    }

    func arityError(_ name: String, expected: [Int], got: Int, _ span: SourceSpan) -> TV {
        let counts = expected.map(String.init).joined(separator: " or ")
        sink.error("'\(name)' takes \(counts) argument\(expected == [1] ? "" : "s"), got \(got)", at: span)
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

    /// `d_lcdf(x | args)`, `d_lccdf(x | args)`: the log cdf or log ccdf summed over the
    /// elements; `d_cdf(x | args)`: the cdf, the product over the elements (as in Stan).
    private func cdfCall(_ distName: Identifier, suffix: String, _ argExprs: [Expr], conditional: Bool, span: SourceSpan) -> TV {
        guard let info = lookupDist(distName) else { return errorValue() }
        let call = distName.name + suffix
        guard info.hasCdf else {
            sink.error("'\(distName.name)' has no cdf, so no '\(call)'", at: span,
                       help: "a distribution has one when its 'dist' block defines 'lcdf(x) = ...' or 'lccdf(x) = ...'")
            return errorValue()
        }
        guard !argExprs.isEmpty else {
            sink.error("'\(call)' needs the variate: '\(call)(x | ...)'", at: span)
            return errorValue()
        }
        if !conditional && argExprs.count > 1 {
            sink.error("separate the variate with '|': '\(call)(x | ...)'", at: span)
            return errorValue()
        }
        let values = argExprs.map(expr)
        if values.contains(where: \.isError) { return errorValue() }
        let function: DistFunctionKind = suffix == "_lccdf" ? .lccdf : .lcdf
        let r = distLogDensity(info, variate: values[0], variateSpan: argExprs[0].span, args: Array(values.dropFirst()),
                               argSpans: argExprs.dropFirst().map(\.span), callSpan: span, function: function)
        if suffix != "_cdf" || r.isError { return r }
        return (try? apply(.unary(.exp), [r])) ?? errorValue()
    }

    func lookupDist(_ name: Identifier) -> DistInfo? {
        if let d = dists[name.name] { return d }
        if broken.contains(name.name) { return nil }
        var help = didYouMean(name.name, Array(dists.keys))
        if help == nil, fns[name.name] != nil || Builtins.byName[name.name] != nil {
            help = "'\(name.name)' is a function; distributions are defined with 'dist'"
        }
        sink.error("unknown distribution '\(name.name)'", at: name.span, help: help)
        return nil
    }

    // MARK: - Signatures

    /// Whether an argument fits a signature type. Distributions are vectorised: a scalar
    /// parameter also takes containers, elementwise. An array held as a matrix fits only an
    /// array type of its rank and element.
    func accepts(_ sig: TypeExpr, _ v: TV, vectorised: Bool) -> Bool {
        let t = v.type
        if let layout = v.layout, !layout.isVector {
            if !sig.isArray { return vectorised && !sig.isContainer }
            guard layout.dims.count == sig.arrayRank else { return false }
            return elementFits(sig, layout.element)
        }
        if sig.isArray, sig.arrayRank > 1 { return false }
        switch (sig.base, sig.isArray) {
        case (.int, false): return t.elem == .int && (t.isScalar || (vectorised && isArrayShape(t.shape)))
        case (.int, true): return t.elem == .int && isArrayShape(t.shape)
        case (.real, false): return t.isScalar || vectorised
        case (.real, true), (.vector, _), (.simplex, _), (.ordered, _), (.positive_ordered, _):
            if case .vector = t.shape { return !(sig.isArray && sig.base != .real) } else { return false }
        case (.row_vector, _): if case .rowVector = t.shape { return !sig.isArray } else { return false }
        case (.matrix, _), (.cholesky_factor_corr, _), (.cholesky_factor_cov, _), (.corr_matrix, _), (.cov_matrix, _):
            if case .matrix = t.shape { return !sig.isArray } else { return false }
        }
    }

    /// Whether an array's element type is the element of an array signature type.
    private func elementFits(_ sig: TypeExpr, _ element: IRType) -> Bool {
        switch (sig.base, element.shape) {
        case (.int, .scalar): return element.elem == .int
        case (.real, .scalar): return true
        case (.vector, .vector), (.simplex, .vector), (.ordered, .vector), (.positive_ordered, .vector),
             (.row_vector, .rowVector), (.matrix, .matrix): return element.elem == .real
        default: return false
        }
    }

    private func isArrayShape(_ s: Shape) -> Bool {
        if case .vector = s { return true } else { return false }
    }

    /// A placeholder value of a signature type, for checking a body at its definition.
    private func placeholder(_ sig: TypeExpr, name: String) -> TV {
        let n = Size(symbol: "len(\(name))")
        var element: IRType
        switch sig.base {
        case .int: element = .int
        case .real: element = .real
        case .vector, .simplex, .ordered, .positive_ordered: element = .vector(n)
        case .row_vector: element = .rowVector(n)
        case .matrix, .cholesky_factor_cov: element = .matrix(Size(symbol: "rows(\(name))"), Size(symbol: "cols(\(name))"))
        case .cholesky_factor_corr, .corr_matrix, .cov_matrix: element = .matrix(Size(symbol: "rows(\(name))"), Size(symbol: "rows(\(name))"))
        }
        var layout: ArrayLayout?
        if sig.isArray {
            if sig.arrayRank == 1, element.isScalar {
                element = IRType(element.elem, .vector(n))
            } else {
                let dims = (1...sig.arrayRank).map { Size(symbol: "dim\($0)(\(name))") }
                if case .vector = element.shape { element = .vector(Size(symbol: "len(\(name)[1])")) }
                if case .rowVector = element.shape { element = .rowVector(Size(symbol: "len(\(name)[1])")) }
                layout = ArrayLayout(dims: dims, element: element)
                element = layout!.irType
            }
        }
        // Int arguments can only come from data, so they may size containers and bound loops.
        let dep: Dep = element.elem == .int ? .data : .param
        return TV(value: builder.inputValue(element), type: element, dep: dep, size: element == .int ? Size(symbol: name) : nil,
                  layout: layout)
    }

    // MARK: - Definitions

    /// Registers a function, then checks its body. A function whose signature or body has
    /// errors stays registered as broken, so its calls add no further errors.
    func defineFn(_ def: FnDef) {
        if let clash = nameClash(def.name.name, span: def.name.span) { sink.report(clash); return }
        fns[def.name.name] = def
        let before = sink.errorCount
        if checkSignature(def.params, def.name.name), checksDefinitions {
            checkBody(name: def.name.name, nameSpan: def.name.span, params: def.params.map { ($0.name, $0.type) }, body: def.body,
                      result: def.result, isDist: false)
        }
        if sink.errorCount > before { broken.insert(def.name.name) }
    }

    func defineDist(_ def: DistDef) {
        if let clash = nameClash(def.name.name, span: def.name.span) { sink.report(clash); return }
        dists[def.name.name] = DistInfo(def: def, discrete: def.support.base == .int)
        let before = sink.errorCount
        if checkSignature(def.params, def.name.name), checksDefinitions {
            let functions = [(def.variate, def.body)] + [def.lcdf, def.lccdf].compactMap { $0.map { ($0.variate, $0.body) } }
            for (variate, body) in functions {
                if def.params.contains(where: { $0.name.name == variate.name }) {
                    sink.error("the variate '\(variate.name)' has the name of a parameter", at: variate.span)
                    continue
                }
                checkBody(name: def.name.name, nameSpan: def.name.span, params: [(variate, def.support)] + def.params.map { ($0.name, $0.type) },
                          body: body, result: nil, isDist: true)
            }
            if let rng = def.rng { checkRng(def, rng) }
        }
        if sink.errorCount > before { broken.insert(def.name.name) }
    }

    private func nameClash(_ name: String, span: SourceSpan) -> Diagnostic? {
        var previous: SourceSpan?
        if let f = fns[name] { previous = f.name.span }
        if let d = dists[name] { previous = d.def.name.span }
        // `normal_lpdf` names the density of `normal`: a fn of that name would never be called.
        for suffix in ["_lpdf", "_lpmf", "_lupdf", "_lupmf"] where name.hasSuffix(suffix) {
            let stem = String(name.dropLast(suffix.count))
            if dists[stem] != nil {
                return Diagnostic.error("'\(name)' is the log density of the distribution '\(stem)'", at: span, help: "choose another name")
            }
        }
        if name.hasSuffix("_rng"), let d = dists[String(name.dropLast(4))], d.def.rng != nil {
            return Diagnostic.error("'\(name)' draws from the distribution '\(d.def.name.name)'", at: span, help: "choose another name")
        }
        if name.hasPrefix("random_"), RandomFn(rawValue: String(name.dropFirst(7))) != nil {
            return Diagnostic.error("'\(name)' is a random draw of the language", at: span, help: "choose another name")
        }
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
    func checkBody(name: String, nameSpan: SourceSpan, params: [(Identifier, TypeExpr)], body: Body, result: TypeExpr?, isDist: Bool) {
        let args = params.map { placeholder($0.1, name: $0.0.name) }
        _ = builder.beginBlock(params: [])
        let savedTerms = targetTerms, savedAssumptions = builder.assumptions
        defer { builder.assumptions = savedAssumptions }
        let r = withFunctionScope(name: name, params: params.map(\.0), args: args) { self.functionBody(body, name: name, at: nameSpan) }
        targetTerms = savedTerms
        builder.abandonBlock()
        if !r.isError, let result, let bodySpan = bodyResultSpan(body) {
            if !accepts(result, r, vectorised: false) {
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
            return arityError(name, expected: [def.params.count], got: args.count, span)
        }
        for (k, (p, a)) in zip(def.params, args).enumerated() {
            if !accepts(p.type, a, vectorised: false) {
                let help = p.type.isArray ? "a vector or matrix is not an array; declare the value as 'array[...] \(p.type.base.rawValue)'"
                    : a.type.isScalar ? nil : "functions are not vectorised; call it in a loop, or declare the argument as a container"
                sink.error("argument \(k + 1) of '\(name)' must be \(typeName(p.type)), not \(a.typeName)", at: argSpans[k], help: help)
                return errorValue()
            }
        }
        // An int given where reals are declared is a real (as in Stan): `k / 2` in the body
        // must not be integer division because the caller passed an int.
        let promoted = zip(def.params, args).map { p, a in p.type.base == .int ? a : toReal(a) }
        let r = inline(name: name, params: def.params.map(\.name), args: promoted, body: def.body, span: span)
        // A function declared to return reals returns reals, even from an int expression.
        return def.result.base == .int ? r : toReal(r)
    }

    /// The body of a function or distribution with its arguments bound; an error in it is
    /// reported as an error of this call.
    func inline(name: String, params: [Identifier], args: [TV], body: Body, span: SourceSpan) -> TV {
        if callStack.contains(name) {
            sink.error("'\(name)' calls itself; recursive functions are not supported", at: span)
            return errorValue()
        }
        callSites.append((name, span))
        defer { callSites.removeLast() }
        let (r, failed) = sink.call(name, at: span) {
            withFunctionScope(name: name, params: params, args: args) { self.functionBody(body, name: name, at: span) }
        }
        return failed ? errorValue() : r
    }

    /// The log density of a distribution at `variate`, summed over elements as in Stan; with
    /// `function` `.lcdf` or `.lccdf`, the log cdf or log ccdf, summed the same way.
    func distLogDensity(_ info: DistInfo, variate: TV, variateSpan: SourceSpan, args: [TV], argSpans: [SourceSpan],
                        callSpan: SourceSpan, function: DistFunctionKind = .logpdf) -> TV {
        distElementSum(info, variates: [variate], variateSpans: [variateSpan], args: args, argSpans: argSpans, callSpan: callSpan) { xs, rest in
            self.distFunction(info, function, variate: xs[0], args: rest, span: callSpan)
        }
    }

    /// One element's log density, log cdf or log ccdf: the function's body inlined. A
    /// distribution that defines only one of lcdf and lccdf has the other as
    /// log1m_exp of it, element by element.
    func distFunction(_ info: DistInfo, _ function: DistFunctionKind, variate: TV, args: [TV], span: SourceSpan) -> TV {
        let def = info.def
        let params = def.params.map(\.name)
        switch function {
        case .logpdf:
            return inline(name: def.name.name, params: [def.variate] + params, args: [variate] + args, body: def.body, span: span)
        case .lcdf, .lccdf:
            let (own, other) = function == .lcdf ? (def.lcdf, def.lccdf) : (def.lccdf, def.lcdf)
            guard let f = own ?? other else { return errorValue() }
            let r = inline(name: def.name.name, params: [f.variate] + params, args: [variate] + args, body: f.body, span: span)
            if own != nil || r.isError { return r }
            return (try? apply(.unary(.log1m_exp), [toReal(r)])) ?? errorValue()
        }
    }

    /// The sum over elements of what `element` computes from one element of each variate
    /// (each of the distribution's support) and of each argument, checked as a call of the
    /// distribution.
    ///
    /// A function of a distribution is written for one element. Where a parameter declared
    /// `real` or `int` (or the variate of a scalar distribution) receives a vector, the
    /// element is lowered in a loop over the elements whose values are summed (which
    /// `Vectorize` turns into vector operations when the body allows).
    func distElementSum(_ info: DistInfo, variates: [TV], variateSpans: [SourceSpan], args: [TV], argSpans: [SourceSpan],
                        callSpan: SourceSpan, element: ([TV], [TV]) -> TV) -> TV {
        let def = info.def
        let name = def.name.name
        if broken.contains(name) { return errorValue() }
        guard args.count == def.params.count else {
            let ps = def.params.map(\.name.name).joined(separator: ", ")
            sink.error("'\(name)' takes \(def.params.count) argument\(def.params.count == 1 ? "" : "s") (\(ps)), got \(args.count)", at: callSpan)
            return errorValue()
        }
        for (variate, variateSpan) in zip(variates, variateSpans) where info.discrete && variate.type.elem == .real {
            sink.error("'\(name)' is a distribution over ints, but the variate is \(variate.type)", at: variateSpan)
            return errorValue()
        }
        let count = variates.count
        let sigs = variates.map { _ in def.support } + def.params.map(\.type)
        // Ints where reals are declared are reals: `k ~ normal(0, 2)` with int data k is
        // (k - 0) / 2 in reals, not integer division.
        var values = zip(sigs, variates + args).map { sig, v in sig.base == .int ? v : toReal(v) }
        let spans = variateSpans + argSpans
        // Arrays of what a container parameter takes (an array of vectors where a vector is
        // declared): these run element by element, as in Stan.
        let arrayed = values.indices.filter { i in
            guard !sigs[i].isArray, sigs[i].isContainer, let layout = values[i].layout, !layout.isVector else { return false }
            return elementFits(TypeExpr(base: sigs[i].base, bounds: [], sizes: [], arrayRank: 1, span: sigs[i].span), layout.element)
        }
        for (i, variate) in variates.enumerated() where !arrayed.contains(i) && !accepts(def.support, variate, vectorised: true) {
            sink.error("'\(name)' is a distribution on \(typeName(def.support)), but the variate is \(variate.typeName)", at: variateSpans[i])
            return errorValue()
        }
        for (k, (p, a)) in zip(def.params, args).enumerated() where !arrayed.contains(k + count) && !accepts(p.type, a, vectorised: true) {
            sink.error("argument '\(p.name.name)' of '\(name)' must be \(typeName(p.type)), not \(a.typeName)", at: argSpans[k])
            return errorValue()
        }
        func apply(_ values: [TV]) -> TV { element(Array(values.prefix(count)), Array(values.dropFirst(count))) }
        // Arguments where a scalar is declared and a vector is given: these run element-wise.
        let elementwise = values.indices.filter { i in
            sigs[i].isArray == false && (sigs[i].base == .real || sigs[i].base == .int) && values[i].type.shape.rank == 1
        }
        if !arrayed.isEmpty {
            return arrayedElementSum(info, values: values, arrayed: arrayed, elementwise: elementwise, spans: spans,
                                     compute: apply)
        }
        guard !elementwise.isEmpty, !values.contains(where: { $0.type.shape.rank == 2 }) else {
            let r = apply(values)
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
        // the log density carried beside. The bounds are the loop's own (not the block's
        // shared constants): once vectorised, nothing else uses them.
        let lo = builder.append(.const(1), [], type: .int)
        let hi = builder.append(.size(length!), [], type: .int)
        let loop = builder.beginBlock(params: [.int, .real, .real])
        for i in elementwise {
            let x = Emitter(builder).op(.at, values[i].value, loop[0])
            values[i] = TV(value: x, type: builder.type(of: x), dep: values[i].dep)
        }
        return closeDensityLoop(loop, lo: lo, hi: hi, args: values, compute: apply)
    }

    /// A distribution given arrays of its containers (`arrayed`), with perhaps vectors for
    /// its scalars (`elementwise`): the sum over the elements of the log densities, in a
    /// loop (`y ~ multi_normal_cholesky(mu, L)` with `y` an array of vectors).
    private func arrayedElementSum(_ info: DistInfo, values: [TV], arrayed: [Int], elementwise: [Int], spans: [SourceSpan],
                                   compute: ([TV]) -> TV) -> TV {
        let name = info.def.name.name
        var values = values
        func count(_ i: Int) -> Size {
            values[i].layout.map { $0.dims.reduce(Size(1), *) } ?? values[i].type.shape.count
        }
        let length = count(arrayed[0])
        for i in arrayed + elementwise where i != arrayed[0] {
            if compareSizes(length, count(i)) == .different {
                sink.error("arguments of '\(name)' have different sizes: '\(sourceText(spans[arrayed[0]]))' has \(length) elements, '\(sourceText(spans[i]))' has \(count(i))",
                           at: spans[i])
                return errorValue()
            }
            try? builder.assume(length, equals: count(i))
        }
        let lo = builder.append(.const(1), [], type: .int)
        let hi = builder.append(.size(length), [], type: .int)
        let loop = builder.beginBlock(params: [.int, .real, .real])
        let e = Emitter(builder)
        for i in arrayed {
            let layout = values[i].layout!
            let row = TV(value: e.op(.at, values[i].value, loop[0]), type: IRType(layout.element.elem, .vector(layout.columns)),
                         dep: values[i].dep)
            values[i] = element(row, as: layout.element, layout: nil)
        }
        for i in elementwise {
            let v = values[i].type.shape == .rowVector(values[i].type.shape.count) ? e.transpose(values[i].value) : values[i].value
            let x = e.op(.at, v, loop[0])
            values[i] = TV(value: x, type: builder.type(of: x), dep: values[i].dep)
        }
        return closeDensityLoop(loop, lo: lo, hi: hi, args: values, compute: compute)
    }

    /// The body of a loop over elements (`loop`, open): what `compute` makes of the element
    /// values `args`, summed, with the body's own additions to the log density carried
    /// beside; returns the sum over the loop and adds those additions to the target.
    private func closeDensityLoop(_ loop: [Value], lo: Value, hi: Value, args: [TV], compute: ([TV]) -> TV) -> TV {
        let savedTerms = targetTerms
        targetTerms = []
        loopKeys.append(loop[0])
        let r = compute(args)
        loopKeys.removeLast()
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

    // MARK: - Builtins

    /// A builtin call checked against its row of the table: the signature with as many
    /// arguments, each argument of its kind, vectors of one length where the row says so;
    /// then lowered. Every error about a builtin call is made here.
    func builtin(_ overloads: [Builtin], _ args: [TV], argSpans: [SourceSpan], span: SourceSpan) -> TV {
        let name = overloads[0].name
        guard let b = overloads.first(where: { $0.params.count == args.count }) else {
            return arityError(name, expected: overloads.map(\.params.count).sorted(), got: args.count, span)
        }
        var sizes: [Size] = []
        for (k, (p, a)) in zip(b.params, args).enumerated() {
            guard p.kind.accepts(a.type) else {
                let phrase = "\(p.kind.phrase), not \(a.type)"
                if let verb = p.verb {
                    sink.error("'\(name)' \(verb) \(phrase)", at: argSpans[k])
                } else if b.params.count == 1 {
                    sink.error("'\(name)' takes \(phrase)", at: argSpans[k])
                } else {
                    sink.error("argument \(k + 1) of '\(name)' must be \(phrase)", at: argSpans[k])
                }
                return errorValue()
            }
            if p.kind == .size {
                guard let s = a.size, a.dep <= .data else {
                    sink.error("the size given to '\(name)' must be built from int data and literals", at: argSpans[k])
                    return errorValue()
                }
                if !staticSize(s, at: argSpans[k]) { return errorValue() }
                sizes.append(s)
            }
        }
        let types = args.map(\.type.description)
        if b.equalLengths, let first = args.first {
            for a in args.dropFirst() {
                switch compareSizes(first.type.shape.count, a.type.shape.count) {
                case .equal: continue
                case .unknown: try? builder.assume(first.type.shape.count, equals: a.type.shape.count)
                case .different:
                    sink.error("cannot take \(name) of \(types.joined(separator: " and ")): sizes \(first.type.shape.count) and \(a.type.shape.count) differ",
                               at: span)
                    return errorValue()
                }
            }
        }
        do {
            switch b.impl {
            case .unary(let f): return try apply(.unary(f), args)
            case .binary(let f): return try apply(.binary(f), args)
            case .incomplete(let f): return try apply(.incomplete(f, orders: [Int](repeating: 0, count: f.arity)), args.map(toReal))
            case .special(let s): return try special(s, args, sizes: sizes)
            case .container(let f): return try containerFunction(f, args, sizes: sizes)
            case .composed(let f): return try composedFunction(f, args)
            }
        } catch {
            sink.error("'\(name)' cannot take \(types.joined(separator: " and ")): \(error.message)", at: span)
            return errorValue()
        }
    }

    /// The lowering of the builtins that are not one elementwise op; their arguments have
    /// the kinds their rows say (`sizes` are those of the `size` arguments).
    private func special(_ s: SpecialFn, _ args: [TV], sizes: [Size]) throws(ShapeError) -> TV {
        func constant(_ x: Double) -> TV { TV(value: builder.constant(x), type: .real, dep: .literal, constant: x) }
        func op(_ o: Op, _ vs: TV...) throws(ShapeError) -> TV { try apply(o, vs) }
        /// A reduction: a scalar is its own sum, log-sum-exp, minimum and maximum.
        func reduce(_ o: Op, _ x: TV) throws(ShapeError) -> TV {
            x.type.isScalar ? x : try op(o, x)
        }
        func count(_ x: TV) -> TV {
            let n = x.type.shape.count
            return TV(value: builder.append(.size(n), [], type: .int), type: .int, dep: .literal, size: n)
        }
        func mean(_ x: TV) throws(ShapeError) -> TV { try op(.binary(.div), toReal(try reduce(.sum, x)), count(x)) }
        func fill(_ x: TV, _ t: IRType) -> TV { TV(value: builder.append(.fill, [x.value], type: t), type: t, dep: x.dep) }
        switch s {
        case .pi: return constant(Double.pi)
        case .e: return constant(2.718281828459045)
        case .sqrt2: return constant(2.0.squareRoot())
        case .negative_infinity: return constant(-.infinity)
        case .positive_infinity: return constant(.infinity)
        case .not_a_number: return constant(.nan)
        case .inv_sqrt: return try op(.unary(.inv), try op(.unary(.sqrt), args[0]))
        case .sum: return try reduce(.sum, args[0])
        case .log_sum_exp: return try reduce(.logSumExp, args[0])
        case .min: return try reduce(.minElement, args[0])
        case .max: return try reduce(.maxElement, args[0])
        case .mean: return args[0].type.isScalar ? toReal(args[0]) : try mean(args[0])
        case .variance, .sd:
            let x = args[0]
            let dev = try op(.unary(.square), try op(.binary(.sub), x, try mean(x)))
            let n1 = try op(.binary(.sub), count(x), TV(value: builder.constant(1, .int), type: .int, dep: .literal))
            let variance = try op(.binary(.div), try reduce(.sum, dev), n1)
            return s == .sd ? try op(.unary(.sqrt), variance) : variance
        case .dot_product: return try op(.dot, args[0], args[1])
        case .dot_self: return try op(.dot, args[0], args[0])
        case .log_mix:
            let a = try op(.binary(.add), try op(.unary(.log), args[0]), args[1])
            let b = try op(.binary(.add), try op(.unary(.log1m), args[0]), args[2])
            return try op(.binary(.log_sum_exp), a, b)
        case .log_mix_vectors:
            return try reduce(.logSumExp, try op(.binary(.add), try op(.unary(.log), args[0]), args[1]))
        case .softmax, .log_softmax:
            let shifted = try op(.binary(.sub), args[0], try reduce(.logSumExp, args[0]))
            return s == .softmax ? try op(.unary(.exp), shifted) : shifted
        case .cumulative_sum: return try op(.cumulativeSum, args[0])
        case .rep_vector: return fill(args[0], .vector(sizes[0]))
        case .rep_row_vector: return fill(args[0], .rowVector(sizes[0]))
        case .rep_matrix: return fill(args[0], .matrix(sizes[0], sizes[1]))
        case .size:
            // The size of an array is its number of elements (its first dimension).
            if let first = args[0].layout?.dims.first {
                return TV(value: builder.append(.size(first), [], type: .int), type: .int, dep: .literal, size: first)
            }
            return count(args[0])
        case .num_elements: return count(args[0])
        case .rows, .cols:
            let n: Size
            switch args[0].type.shape {
            case .scalar: n = Size(1)
            case .vector(let k): n = s == .rows ? k : Size(1)
            case .rowVector(let k): n = s == .rows ? Size(1) : k
            case .matrix(let r, let c): n = s == .rows ? r : c
            }
            return TV(value: builder.append(.size(n), [], type: .int), type: .int, dep: .literal, size: n)
        case .diagonal: return try op(.diagonal, args[0])
        case .diag_matrix: return try op(.diagMatrix, args[0])
        case .mdivide_left_tri_low: return try op(.triSolveLower, args[0], args[1])
        case .diag_pre_multiply, .diag_post_multiply:
            // An outer product with ones spreads v over the columns (rows) of M: O(rows × cols).
            let pre = s == .diag_pre_multiply
            let (m, v) = pre ? (args[1], args[0]) : (args[0], args[1])
            guard case .matrix(let r, let c) = m.type.shape else { throw ShapeError("the matrix must be a matrix") }
            // v as a column for pre, as a row for post, whichever way it is given.
            let isColumn: Bool
            if case .vector = v.type.shape { isColumn = true } else { isColumn = false }
            let vector = pre == isColumn ? v : try op(.transpose, v)
            let spread = pre ? try op(.matmul, vector, fill(constant(1), .rowVector(c))) : try op(.matmul, fill(constant(1), .vector(r)), vector)
            return try op(.binary(.mul), spread, m)
        case .multiply_lower_tri_self_transpose: return try op(.matmul, args[0], try op(.transpose, args[0]))
        case .log_determinant_spd:
            guard case .matrix(let r, let c) = args[0].type.shape else { throw ShapeError("it takes a matrix") }
            try builder.assume(r, equals: c)
            let logDet = Emitter(builder).cholesky(args[0].value).logDeterminant
            return TV(value: logDet, type: .real, dep: args[0].dep)
        case .to_vector, .to_row_vector:
            var x = toReal(args[0])
            // A matrix column by column: the rows of its transpose, flattened.
            if case .matrix(let r, let c) = x.type.shape {
                let t = try op(.transpose, x)
                x = TV(value: builder.append(.reshape, [t.value], type: .vector(r * c)), type: .vector(r * c), dep: t.dep)
            }
            switch (s, x.type.shape) {
            case (.to_vector, .rowVector), (.to_row_vector, .vector): return try op(.transpose, x)
            default: return x
            }
        }
    }
}
