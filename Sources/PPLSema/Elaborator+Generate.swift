import PPLIR
import PPLSyntax

extension Elaborator {
    // MARK: - The generate block

    /// `generate { ... }`: statements run once per posterior draw, after the fit; the
    /// `let`s declared directly in it are reported with the draws. Random draws (`_rng`
    /// calls) are allowed here and only here; adding to the log density is not.
    func generateBlock(_ body: [Stmt], span: SourceSpan) {
        if let first = generateBlockSpan {
            var d = Diagnostic.error("a model has one 'generate' block", at: span, help: "put all its statements in the first")
            d.notes = [Diagnostic(.note, "the first is here", at: first)]
            sink.report(d)
            return
        }
        generateBlockSpan = span
        inGenerate = true
        scopes.append([:])
        defer {
            scopes.removeLast()
            inGenerate = false
        }
        for s in body {
            statement(s)
            if case .let_(let name, _, _) = s.kind, let b = scopes[scopes.count - 1][name.name] {
                generatedLets.append((name.name, b))
            }
        }
    }

    // MARK: - Random draws

    /// `random_uniform(a, b)`, `random_normal(mu, sigma)`, `random_gamma(alpha)`,
    /// `random_poisson(lambda)`, `random_binomial(n, p)`: the draws the `rng` functions of
    /// distributions are written in, elementwise over their arguments (a scalar draw for
    /// scalar arguments); `random_uniform()` is on (0, 1) and `random_normal()` standard.
    func randomDraw(_ f: RandomFn, _ args: [TV], name: Identifier, argSpans: [SourceSpan], span: SourceSpan) -> TV {
        guard allowsRandom(name.name, at: span) else { return errorValue() }
        let standard = (f == .uniform || f == .normal) && args.isEmpty
        guard args.count == f.arity || standard else {
            return arityError(name.name, expected: f == .uniform || f == .normal ? [0, 2] : [f.arity], got: args.count, span)
        }
        var params = standard ? [0.0, 1.0].map { TV(value: builder.constant($0), type: .real, dep: .literal, constant: $0) }
            : args.map(toReal)
        if f == .binomial {
            guard args[0].type.elem == .int else {
                sink.error("the number of trials given to '\(name.name)' must be an int, not \(args[0].type)", at: argSpans[0])
                return errorValue()
            }
            params[0] = args[0]
        }
        if let k = params.firstIndex(where: { $0.type.shape.rank > 1 }) {
            sink.error("'\(name.name)' takes scalars or vectors, not \(params[k].type)", at: argSpans[k])
            return errorValue()
        }
        randomSites += 1
        let keys = [keyOfDraw()] + loopKeys.map { TV(value: $0, type: .int, dep: .data) }
        do {
            return try apply(.random(f, site: randomSites, keys: keys.count), keys + params)
        } catch {
            sink.error("'\(name.name)' cannot take \(args.map(\.type.description).joined(separator: " and ")): \(error.message)", at: span)
            return errorValue()
        }
    }

    /// Whether random numbers may be drawn here; reports it when not.
    func allowsRandom(_ name: String, at span: SourceSpan) -> Bool {
        if inGenerate { return true }
        sink.error("'\(name)' draws random numbers: it can only be called in the 'generate' block", at: span,
                   help: "the model's density must be a function of its data and params; draw in 'generate { ... }'")
        return false
    }

    /// The key of the posterior draw being generated (an input of the generated quantities).
    private func keyOfDraw() -> TV {
        if drawKey == nil { drawKey = builder.inputValue(.real) }
        return TV(value: drawKey!, type: .real, dep: .param)
    }

    // MARK: - _rng calls

    /// The parameters of `NAME_rng`, in order: the distribution's own (with their declared
    /// types) and the extra ones of its `rng` clause; nil (reported) when the clause names a
    /// parameter the distribution does not have, or leaves one out.
    func rngSignature(_ def: DistDef, _ rng: DistRng) -> [Param]? {
        if rng.params.isEmpty { return def.params }
        var out: [Param] = [], seen = Set<String>()
        for (p, own) in zip(rng.params, rng.own) {
            guard seen.insert(p.name.name).inserted else {
                sink.error("parameter '\(p.name.name)' appears twice in the 'rng' of '\(def.name.name)'", at: p.name.span)
                return nil
            }
            if !own {
                if def.params.contains(where: { $0.name.name == p.name.name }) {
                    sink.error("'\(p.name.name)' is a parameter of '\(def.name.name)': name it without a type", at: p.name.span)
                    return nil
                }
                out.append(p)
                continue
            }
            guard let declared = def.params.first(where: { $0.name.name == p.name.name }) else {
                sink.error("'\(p.name.name)' is not a parameter of '\(def.name.name)'", at: p.name.span,
                           help: "an extra parameter of 'rng' is declared with its type: '\(p.name.name): int'")
                return nil
            }
            out.append(declared)
        }
        if let missing = def.params.first(where: { !seen.contains($0.name.name) }) {
            sink.error("the 'rng' of '\(def.name.name)' leaves out its parameter '\(missing.name.name)'", at: rng.span,
                       help: "list every parameter of the distribution, in the order 'NAME_rng' takes them")
            return nil
        }
        return out
    }

    /// Checks an `rng` clause where it is defined, with placeholder arguments.
    func checkRng(_ def: DistDef, _ rng: DistRng) {
        guard let params = rngSignature(def, rng) else { return }
        let saved = inGenerate
        inGenerate = true
        defer { inGenerate = saved }
        checkBody(name: def.name.name, nameSpan: def.name.span, params: params.map { ($0.name, $0.type) }, body: rng.body,
                  result: nil, isDist: true)
    }

    /// `NAME_rng(args)`: a draw of the distribution. Where a parameter declared `real` or
    /// `int` receives a vector, one draw per element, in a loop (as Stan's vectorised `_rng`
    /// functions): a vector of reals, or ints for a discrete distribution.
    func rngCall(_ info: DistInfo, name: Identifier, _ args: [TV], argSpans: [SourceSpan], span: SourceSpan) -> TV {
        let def = info.def, call = name.name
        guard let rng = def.rng else {
            sink.error("'\(def.name.name)' has no random-number generator, so no '\(call)'", at: name.span,
                       help: "a distribution has one when its 'dist' block defines 'rng() = ...'")
            return errorValue()
        }
        guard allowsRandom(call, at: span) else { return errorValue() }
        if broken.contains(def.name.name) { return errorValue() }
        guard let sigs = rngSignature(def, rng) else { return errorValue() }
        guard args.count == sigs.count else {
            let ps = sigs.map(\.name.name).joined(separator: ", ")
            sink.error("'\(call)' takes \(sigs.count) argument\(sigs.count == 1 ? "" : "s") (\(ps)), got \(args.count)", at: span)
            return errorValue()
        }
        let extra = Set(zip(rng.params, rng.own).filter { !$0.1 }.map(\.0.name.name))
        var values: [TV] = []
        for (k, (p, a)) in zip(sigs, args).enumerated() {
            if !accepts(p.type, a, vectorised: !extra.contains(p.name.name)) || (a.layout.map { !$0.isVector } ?? false) {
                sink.error("argument '\(p.name.name)' of '\(call)' must be \(typeName(p.type)), not \(a.typeName)", at: argSpans[k])
                return errorValue()
            }
            values.append(p.type.base == .int ? a : toReal(a))
        }
        func draw(_ values: [TV]) -> TV {
            let r = inline(name: def.name.name, params: sigs.map(\.name), args: values, body: rng.body, span: span)
            return info.discrete || r.isError ? r : toReal(r)
        }
        let elementwise = values.indices.filter { i in
            !sigs[i].type.isArray && (sigs[i].type.base == .real || sigs[i].type.base == .int) && !values[i].type.isScalar
        }
        if elementwise.isEmpty { return draw(values) }
        var length: Size?
        for i in elementwise {
            if case .matrix = values[i].type.shape {
                sink.error("argument '\(sigs[i].name.name)' of '\(call)' must be a scalar or a vector, not \(values[i].type)", at: argSpans[i])
                return errorValue()
            }
            if case .rowVector = values[i].type.shape { values[i].value = Emitter(builder).transpose(values[i].value) }
            let n = values[i].type.shape.count
            if let l = length {
                if compareSizes(l, n) == .different {
                    sink.error("arguments of '\(call)' have different sizes: \(l) and \(n) elements", at: argSpans[i])
                    return errorValue()
                }
                try? builder.assume(l, equals: n)
            } else {
                length = n
            }
        }
        // for i in 1:length { out[i] = draw(args[i]) }
        let elem: Elem = info.discrete ? .int : .real
        let type = IRType(elem, .vector(length!))
        let lo = builder.append(.const(1), [], type: .int)
        let hi = builder.append(.size(length!), [], type: .int)
        let initial = builder.append(.fill, [builder.constant(elem == .int ? 0 : .nan, elem)], type: type)
        let loop = builder.beginBlock(params: [.int, type])
        for i in elementwise {
            let x = Emitter(builder).op(.at, values[i].value, loop[0])
            values[i] = TV(value: x, type: builder.type(of: x), dep: values[i].dep)
        }
        loopKeys.append(loop[0])
        let r = draw(values)
        loopKeys.removeLast()
        if r.isError {
            builder.abandonBlock()
            return r
        }
        guard r.type.isScalar else {
            builder.abandonBlock()
            sink.error("'\(call)' draws a \(r.type) for each element: give it scalar arguments, in a loop", at: span)
            return errorValue()
        }
        let next = Emitter(builder).op(.set, loop[1], loop[0], r.type.elem == elem ? r.value : toReal(r).value)
        let block = builder.endBlock(params: [loop[0], loop[1]], yields: [next])
        let results = builder.appendRegion(.loop, [lo, hi, initial], regions: [block], resultTypes: [type])
        return TV(value: results[0], type: type, dep: .param)
    }
}
