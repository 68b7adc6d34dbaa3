import PPLIR
import PPLSyntax

/// How a value depends on the model's inputs: a literal, data only, or params.
enum Dep: Int, Comparable {
    case literal, data, param
    static func < (a: Dep, b: Dep) -> Bool { a.rawValue < b.rawValue }
}

/// A checked expression: its IR value, its type per loop iteration, and what it depends on.
struct TV {
    var value: Value
    var type: IRType
    var dep: Dep
    /// For int scalars that can serve as sizes: the symbolic size.
    var size: Size?
    /// For literals (and their negations): the constant.
    var constant: Double?
    var isError = false
    /// For an array: its dimensions and element type (`type` is how the IR holds it).
    var layout: ArrayLayout?

    /// The type as the user wrote it: `array[N] vector[K]` rather than `matrix[N, K]`.
    var typeName: String { layout?.description ?? type.description }
}

/// A `let` declared with a type: filled by element assignment, or assigned again.
final class LocalVar {
    let name: String
    let span: SourceSpan
    var current: TV
    /// A top-level int computed from data, which sizes containers: it cannot change.
    let namesSize: Bool
    init(name: String, span: SourceSpan, current: TV, namesSize: Bool = false) {
        self.name = name
        self.span = span
        self.current = current
        self.namesSize = namesSize
    }
}

enum Binding {
    case value(TV, span: SourceSpan)
    case local(LocalVar)
}

/// Type-checks a program and lowers it to IR in one pass. Errors are reported to the
/// sink and replaced by error values, so checking goes on and reports every independent
/// error of a run. Loops are lowered as `loop` regions; the `Vectorize` pass then turns the
/// independent ones into vector operations.
public final class Elaborator {
    let sink: ErrorReporter
    let builder = Builder()
    let loader: SourceLoader

    var scopes: [[String: Binding]] = [[:]]
    var targetTerms: [TV] = []
    /// The statement each top-level term of `targetTerms` comes from, for messages about a term.
    var targetTermSpans: [SourceSpan] = []
    var fns: [String: FnDef] = [:]
    var dists: [String: DistInfo] = [:]
    var callStack: [String] = []
    /// Functions and distributions whose bodies index containers (see `mayIndex`).
    var indexingBodies: [String: Bool] = [:]
    /// Names of the loop indices in scope: sizes cannot depend on them.
    var loopIndices: Set<String> = []
    /// The calls being inlined, outermost first: where run-time errors in their bodies happen.
    var callSites: [(name: String, span: SourceSpan)] = []
    /// Functions and distributions whose definitions have errors: calls to them stay silent.
    var broken: Set<String> = []
    var inFunctionBody = false
    /// Whether definitions are checked where they are defined (with placeholder arguments),
    /// so that a function's errors are reported even if it is never called. Off for the
    /// standard library, which every compilation loads and whose every function the
    /// distribution tests call: there the checks cost more than the model's own.
    var checksDefinitions = true

    var dataDecls: [Declaration] = []
    var paramDecls: [Declaration] = []
    var inputs: [Input] = []
    var tdataOutputs: [(String, Value)] = []
    /// Bounds of params that depend on params: computed inside the density.
    var paramBoundOutputs: [(String, Value)] = []
    var computedBoundText: [String: String] = [:]
    var topLevelLets: [(name: String, binding: Binding)] = []
    /// The `let`s of the `generate` block, in order.
    var generatedLets: [(name: String, binding: Binding)] = []
    var generateBlockSpan: SourceSpan?
    /// Inside the `generate` block (and what it calls): random draws are allowed.
    var inGenerate = false
    /// The key of a posterior draw, an input of the generated quantities made at the
    /// first random draw.
    var drawKey: Value?
    /// The index of every loop around the code being elaborated: the keys of its random
    /// draws besides the posterior draw's, so that each iteration draws anew.
    var loopKeys: [Value] = []
    /// Random draws emitted so far: each is its own site.
    var randomSites = 0
    var guides: [GuideSpec] = []
    var importStack: [String] = []
    var imported: Set<String> = []
    /// The int values that sizes are written in: int data and named top-level int lets.
    var namedSizes: [Value: Size] = [:]

    public init(sink: DiagnosticSink, loader: SourceLoader) {
        self.sink = ErrorReporter(sink)
        self.loader = loader
    }

    // MARK: - Entry points

    /// Adds the `fn` and `dist` definitions of a library file (the standard library).
    public func loadLibrary(_ file: SourceFile) {
        imported.insert(loader.identity(of: file))
        let program = Parser.parse(file, sink: sink.sink)
        checksDefinitions = false
        defer { checksDefinitions = true }
        libraryItems(program)
    }

    /// Checks and lowers the model; nil when there were errors. With `vectorize` false every
    /// loop stays a loop (to compare the two).
    public func elaborate(_ program: SourceProgram, vectorize: Bool = true) -> CheckedModel? {
        importStack = [loader.identity(of: program.file)]
        imported.insert(importStack[0])
        broken.formUnion(program.unparsedDefinitions)
        for item in program.items { topLevel(item) }
        if paramDecls.isEmpty && !sink.hasErrors {
            let span = SourceSpan(file: program.file, start: 0, end: 0)
            sink.report(Diagnostic.error("the model declares no 'param': there is nothing to infer", at: span,
                                         help: "declare a latent variable, e.g. 'param mu: real'"))
        }
        if sink.hasErrors { return nil }
        return assemble(vectorize: vectorize)
    }

    private func topLevel(_ item: Stmt) {
        switch item.kind {
        case .data(let name, let t): declare(name, t, isParam: false)
        case .param(let name, let t): declare(name, t, isParam: true)
        case .fn(let def): defineFn(def)
        case .dist(let def): defineDist(def)
        case .guide(let g): defineGuide(g)
        case .import_(let path): importFile(path, span: item.span)
        case .generate(let body): generateBlock(body, span: item.span)
        case .let_(let name, _, _):
            topLevelStatement(item)
            if let b = lookup(name.name) { topLevelLets.append((name.name, b)) }
        default:
            topLevelStatement(item)
        }
    }

    private func topLevelStatement(_ item: Stmt) {
        let before = targetTerms.count
        statement(item)
        targetTermSpans += Array(repeating: item.span, count: targetTerms.count - before)
    }

    // MARK: - Scopes

    func lookup(_ name: String) -> Binding? {
        for scope in scopes.reversed() { if let b = scope[name] { return b } }
        return nil
    }

    func bind(_ name: Identifier, _ b: Binding) {
        if let previous = lookup(name.name) {
            let prevSpan: SourceSpan
            switch previous {
            case .value(_, let s): prevSpan = s
            case .local(let l): prevSpan = l.span
            }
            var d = Diagnostic.error("'\(name.name)' is already declared", at: name.span,
                                     help: "choose another name; names cannot be redeclared or shadowed")
            if prevSpan.file != nil {
                d.notes = [Diagnostic(.note, "'\(name.name)' was declared here", at: prevSpan)]
            }
            sink.report(d)
            return
        }
        scopes[scopes.count - 1][name.name] = b
    }

    /// Sorted per scope, so that a suggestion among names as near is always the same.
    var namesInScope: [String] { scopes.flatMap { $0.keys.sorted() } }

    // MARK: - Declarations

    private func declare(_ name: Identifier, _ t: TypeExpr, isParam: Bool) {
        guard let (type, constraint, layout) = elaborateType(t, for: name.name, isParam: isParam) else {
            bind(name, .value(errorValue(), span: name.span))
            return
        }
        let v = builder.inputValue(type)
        var decl = Declaration(name: name.name, base: t.base, type: type, constraint: constraint, span: name.span,
                               layout: layout, arraySyntax: t.arraySyntax)
        decl.computedBoundText = computedBoundText.filter { $0.key.hasPrefix(name.name + ".") }
        let input = Input(name: name.name, value: v, role: isParam ? .param : .data, type: type, constraint: constraint)
        inputs.append(input)
        if isParam { paramDecls.append(decl) } else { dataDecls.append(decl) }
        var tv = TV(value: v, type: type, dep: isParam ? .param : .data, layout: layout)
        if !isParam, type == .int {
            tv.size = Size(symbol: name.name)
            namedSizes[v] = tv.size
        }
        bind(name, .value(tv, span: name.span))
    }

    /// The IR type, constraint and array layout of a declared `data`/`param` type.
    func elaborateType(_ t: TypeExpr, for name: String, isParam: Bool) -> (IRType, Constraint, ArrayLayout?)? {
        // A discrete latent variable: its guide is categorical over lower..upper per element.
        if isParam && t.base == .int {
            guard t.bounds.map(\.kind).sorted(by: { $0.rawValue < $1.rawValue }) == [.lower, .upper] else {
                sink.error("an int param needs both a lower and an upper bound", at: t.span,
                           help: "a discrete latent variable takes finitely many values: int<lower=a, upper=b>")
                return nil
            }
        }
        guard let (shape, layout) = elaborateShape(t) else { return nil }
        let elem: Elem = t.base == .int ? .int : .real
        let type = IRType(elem, shape)
        var constraint = Constraint.none
        switch t.base {
        case .simplex: constraint = .simplex
        case .ordered: constraint = .ordered
        case .positive_ordered: constraint = .positiveOrdered
        case .cholesky_factor_corr: constraint = .choleskyFactorCorr
        case .cholesky_factor_cov: constraint = .choleskyFactorCov
        case .corr_matrix: constraint = .corrMatrix
        case .cov_matrix: constraint = .covMatrix
        case .int, .real, .vector, .row_vector, .matrix: break
        }
        switch (layout, constraint) {
        case (.some, .choleskyFactorCorr), (.some, .choleskyFactorCov), (.some, .corrMatrix), (.some, .covMatrix):
            // An array is held as one matrix, a row per element: a matrix type's bijector
            // would take it for one matrix.
            sink.error("arrays of \(t.base.rawValue) are not supported", at: t.span,
                       help: "declare a \(t.base.rawValue) param for each element, or share one")
            return nil
        default: break
        }
        if t.bounds.isEmpty { return (type, constraint, layout) }
        if constraint != .none {
            sink.error("\(t.base.rawValue) cannot have bounds", at: t.bounds[0].span)
            return nil
        }
        var values: [Bound.Kind: BoundValue] = [:]
        for b in t.bounds {
            guard let bv = boundValue(b, name: name, declared: type, isParam: isParam) else { return nil }
            values[b.kind] = bv
        }
        let affine = t.bounds.filter { $0.kind == .offset || $0.kind == .multiplier }
        if let first = affine.first {
            if affine.count < t.bounds.count {
                sink.error("an offset or multiplier cannot be combined with lower and upper bounds", at: first.span,
                           help: "as in Stan, a type has either bounds or an offset and a multiplier")
                return nil
            }
            if elem == .int {
                sink.error("an int cannot have an offset or a multiplier", at: first.span)
                return nil
            }
            if case .constant(let m)? = values[.multiplier], !(m > 0) {
                sink.error("the multiplier must be positive, not \(BoundValue.constant(m))", at: t.bounds.first { $0.kind == .multiplier }!.value.span)
                return nil
            }
            return (type, .affine(offset: values[.offset] ?? .constant(0), multiplier: values[.multiplier] ?? .constant(1)), layout)
        }
        switch (values[.lower], values[.upper]) {
        case (let l?, let u?):
            if case .constant(let x) = l, case .constant(let y) = u, x >= y {
                sink.error("the lower bound \(l) is not below the upper bound \(u)", at: t.bounds[0].span.to(t.bounds[1].span))
                return nil
            }
            constraint = .lowerUpper(l, u)
        case (let l?, nil): constraint = .lower(l)
        case (nil, let u?): constraint = .upper(u)
        case (nil, nil): break
        }
        return (type, constraint, layout)
    }

    /// A checked bound (or offset, multiplier) expression: a scalar, or a value of the
    /// declared shape (elementwise bounds, as in Stan).
    func boundExpr(_ b: Bound, declared: IRType) -> TV? {
        let tv = expr(b.value)
        if tv.isError { return nil }
        if tv.type.isScalar { return tv }
        if !declared.isScalar, assignable(declared.with(elem: .real), from: tv.type.with(elem: .real)) == nil {
            switch declared.shape {
            case .vector(let n), .rowVector(let n): try? builder.assume(n, equals: tv.type.shape.count)
            case .matrix(let r, let c):
                if case .matrix(let r2, let c2) = tv.type.shape {
                    try? builder.assume(r, equals: r2)
                    try? builder.assume(c, equals: c2)
                }
            case .scalar: break
            }
            return tv
        }
        let like = declared.isScalar ? "" : " or \(declared.with(elem: .real)) like the declared type"
        sink.error("a bound must be a scalar\(like), not \(tv.type)", at: b.value.span)
        return nil
    }

    /// A bound of a declared `data` or `param`: a constant, a data value, a value computed
    /// once from the data (a transformed-data output `NAME.lower`), or for a param a value
    /// computed from the params declared before it (a `param_bounds` output `NAME.lower`).
    private func boundValue(_ b: Bound, name: String, declared: IRType, isParam: Bool) -> BoundValue? {
        guard let tv = boundExpr(b, declared: declared) else { return nil }
        let outName = "\(name).\(b.kind.rawValue)"
        if tv.dep == .param {
            if declared.elem == .int {
                sink.error("a bound of an int param may depend on data only", at: b.value.span,
                           help: "its guide is categorical over values fixed before the fit")
                return nil
            }
            guard isParam else {
                sink.error("a bound of data may depend on data only", at: b.value.span,
                           help: "data are checked against their bounds once, when they are loaded")
                return nil
            }
            paramBoundOutputs.append((outName, tv.value))
            computedBoundText[outName] = sourceText(b.value.span)
            return .computed(outName)
        }
        if let c = tv.constant { return .constant(c) }
        if let input = inputs.first(where: { $0.value == tv.value }) { return .named(input.name) }
        tdataOutputs.append((outName, tv.value))
        return .named(outName)
    }

    /// Shape of a declared type (for an array, of the IR value holding it) and, for an array,
    /// its layout; sizes must be int expressions of data.
    func elaborateShape(_ t: TypeExpr) -> (shape: Shape, layout: ArrayLayout?)? {
        guard let element = elementShape(t) else { return nil }
        if !t.isArray { return (element, nil) }
        var dims: [Size] = []
        for e in t.arrayDims {
            guard let s = sizeExpr(e) else { return nil }
            dims.append(s)
        }
        // `real[N]` is a vector, as it always was.
        if !t.arraySyntax, t.base == .real, dims.count == 1 { return (.vector(dims[0]), nil) }
        let layout = ArrayLayout(dims: dims, element: IRType(t.base == .int ? .int : .real, element))
        return (layout.irType.shape, layout)
    }

    /// Shape of the base type of a declared type (the element of an array).
    private func elementShape(_ t: TypeExpr) -> Shape? {
        let expected: [Int]
        switch t.base {
        case .int, .real: expected = [0]
        case .vector, .row_vector, .simplex, .ordered, .positive_ordered: expected = [1]
        case .cholesky_factor_corr, .corr_matrix, .cov_matrix: expected = [1]
        case .cholesky_factor_cov: expected = [1, 2]
        case .matrix: expected = [2]
        }
        if !expected.contains(t.sizes.count) {
            let what = expected == [0] ? "no size" : expected == [1] ? "one size" : expected == [2] ? "two sizes (rows, columns)"
                : "one or two sizes (rows, columns)"
            let example: String
            switch t.base {
            case .int, .real: example = t.base.rawValue
            case .matrix: example = "matrix[N, K]"
            case .cholesky_factor_cov: example = "cholesky_factor_cov[M, N]' or 'cholesky_factor_cov[K]"
            case .vector, .row_vector, .simplex, .ordered, .positive_ordered: example = "\(t.base.rawValue)[N]"
            case .cholesky_factor_corr, .corr_matrix, .cov_matrix: example = "\(t.base.rawValue)[K]"
            }
            sink.error("\(t.base.rawValue) takes \(what), got \(t.sizes.count)", at: t.span,
                       help: "write '\(example)'")
            return nil
        }
        var sizes: [Size] = []
        for e in t.sizes {
            guard let s = sizeExpr(e) else { return nil }
            sizes.append(s)
        }
        switch t.base {
        case .int, .real: return .scalar
        case .vector, .simplex, .ordered, .positive_ordered: return .vector(sizes[0])
        case .row_vector: return .rowVector(sizes[0])
        case .matrix: return .matrix(sizes[0], sizes[1])
        case .cholesky_factor_corr, .corr_matrix, .cov_matrix: return .matrix(sizes[0], sizes[0])
        case .cholesky_factor_cov:
            let (rows, cols) = (sizes[0], sizes.count == 2 ? sizes[1] : sizes[0])
            if let m = rows.constant, let n = cols.constant, m < n {
                sink.error("cholesky_factor_cov[\(m), \(n)] has fewer rows than columns", at: t.span,
                           help: "a Cholesky factor of a covariance matrix is M×N with M ≥ N")
                return nil
            }
            return .matrix(rows, cols)
        }
    }

    /// A size: an int expression of data built from literals, int data, `+`, `-`, `*` and `size(...)`.
    func sizeExpr(_ e: Expr) -> Size? {
        let tv = expr(e)
        if tv.isError { return nil }
        guard tv.type == .int else {
            sink.error("a size must be an int, not \(tv.type)", at: e.span)
            return nil
        }
        guard tv.dep <= .data else {
            sink.error("a size may depend on data only", at: e.span)
            return nil
        }
        guard let s = tv.size else {
            sink.error("a size must be built from int literals, int data, '+', '-' and '*'", at: e.span,
                       help: "compute it first: 'let M = ...' at top level, then use 'M'")
            return nil
        }
        if let c = s.constant, c < 0 {
            sink.error("a size cannot be negative (\(c))", at: e.span)
            return nil
        }
        return staticSize(s, at: e.span) ? s : nil
    }

    /// Whether a size is fixed for the whole program: not one that changes with a loop index
    /// (every value has one size). Reports it when it is not.
    func staticSize(_ s: Size, at span: SourceSpan) -> Bool {
        guard let i = s.terms.keys.joined().first(where: loopIndices.contains) else { return true }
        sink.error("a size cannot depend on the loop index '\(i)': here it is \(s)", at: span,
                   help: "every value has one size for the whole program; loop over the elements instead")
        return false
    }

    // MARK: - Guides

    private func defineGuide(_ g: GuideDecl) {
        let familyName = g.family ?? g.name
        guard let family = GuideFamily(rawValue: familyName.name) else {
            let names = GuideFamily.allCases.map(\.rawValue)
            let help = closest(to: familyName.name, in: names).map { "did you mean '\($0)'?" }
                ?? "families are " + names.joined(separator: ", ")
            if g.family == nil {
                sink.error("'\(familyName.name)' is not a guide family", at: familyName.span,
                           help: help + (closest(to: familyName.name, in: names) == nil ? "; or name one: 'guide \(familyName.name) = meanfield'" : ""))
            } else {
                sink.error("unknown guide family '\(familyName.name)'", at: familyName.span, help: help)
            }
            return
        }
        if let previous = guides.first(where: { $0.name == g.name.name }) {
            var d = Diagnostic.error("guide '\(g.name.name)' is already declared", at: g.name.span)
            d.notes = [Diagnostic(.note, "the first declaration is here", at: previous.span)]
            sink.report(d)
            return
        }
        var options = FitOptions(guide: g.name.name, family: family)
        for entry in g.entries {
            guard let key = FitOptions.Key(rawValue: entry.key.name) else {
                let e = FitOptions.Invalid.key(entry.key.name, family: family)
                sink.error(e.message, at: entry.key.span, help: e.help)
                continue
            }
            if options.given.contains(key) {
                sink.error("guide key '\(key.rawValue)' is given twice", at: entry.key.span)
                continue
            }
            do {
                try options.set(key, entry.value)
            } catch {
                sink.error(error.message, at: error.aboutKey ? entry.key.span : entry.valueSpan, help: error.help)
            }
        }
        guides.append(GuideSpec(options: options, span: g.name.span))
    }

    // MARK: - Imports

    private func importFile(_ path: String, span: SourceSpan) {
        guard let file = loader.load(path, relativeTo: span.file) else {
            sink.error("cannot read '\(path)'", at: span, help: "paths are relative to the importing file")
            return
        }
        let id = loader.identity(of: file)
        if let i = importStack.firstIndex(of: id) {
            let cycle = (importStack[i...] + [id]).map { lastComponent($0) }.joined(separator: " -> ")
            sink.error("import cycle: \(cycle)", at: span)
            return
        }
        if imported.contains(id) { return }
        imported.insert(id)
        importStack.append(id)
        defer { importStack.removeLast() }
        libraryItems(Parser.parse(file, sink: sink.sink))
    }

    private func libraryItems(_ program: SourceProgram) {
        broken.formUnion(program.unparsedDefinitions)
        for item in program.items {
            switch item.kind {
            case .fn(let def): defineFn(def)
            case .dist(let def): defineDist(def)
            case .import_(let path): importFile(path, span: item.span)
            default:
                sink.error("an imported file may only define functions and distributions", at: item.span,
                           help: "move data, params and statements into the model file")
            }
        }
    }

    // MARK: - Assembly

    private func assemble(vectorize: Bool) -> CheckedModel {
        let target = sumTerms(targetTerms)
        var derivedOutputs: [(String, Value)] = []
        var layouts: [String: ArrayLayout] = [:]
        for d in paramDecls { layouts[d.name] = d.layout }
        for (name, binding) in topLevelLets {
            let tv: TV
            switch binding {
            case .value(let v, _): tv = v
            case .local(let l): tv = l.current
            }
            if tv.isError { continue }
            if tv.dep == .param { layouts[name] = tv.layout }
            if tv.dep == .param { derivedOutputs.append((name, tv.value)) } else { tdataOutputs.append((name, tv.value)) }
        }
        var generatedOutputs: [(String, Value)] = []
        for (name, binding) in generatedLets {
            switch binding {
            case .value(let v, _): if !v.isError { generatedOutputs.append((name, v.value)); layouts[name] = v.layout }
            case .local(let l): if !l.current.isError { generatedOutputs.append((name, l.current.value)); layouts[name] = l.current.layout }
            }
        }
        let (lowered, loweredTypes) = builder.finish()
        var body = Block(instrs: lowered, yields: [target] + tdataOutputs.map(\.1) + derivedOutputs.map(\.1) + paramBoundOutputs.map(\.1)
                            + generatedOutputs.map(\.1) + targetTerms.map(\.value))
        var types = loweredTypes
        var assumptions = builder.assumptions
        if vectorize {
            (body, types) = Vectorize.run(body, types: types, sizes: namedSizes, assumptions: &assumptions)
        }
        let outputs = body.yields
        derivedOutputs = zip(derivedOutputs, outputs.dropFirst(1 + tdataOutputs.count)).map { ($0.0, $1) }
        paramBoundOutputs = zip(paramBoundOutputs, outputs.dropFirst(1 + tdataOutputs.count + derivedOutputs.count)).map { ($0.0, $1) }
        generatedOutputs = zip(generatedOutputs, outputs.dropFirst(1 + tdataOutputs.count + derivedOutputs.count + paramBoundOutputs.count))
            .map { ($0.0, $1) }
        tdataOutputs = zip(tdataOutputs, outputs.dropFirst()).map { ($0.0, $1) }
        let terms = zip(outputs.suffix(targetTerms.count), targetTermSpans).map { DensityTerm(value: $0, span: $1) }
        let dataInputs = inputs.filter { $0.role == .data }
        let paramInputs = inputs.filter { $0.role == .param }
        let drawInputs = drawKey.map { [Input(name: "draw.key", value: $0, role: .draw, type: .real, constraint: .none)] } ?? []
        let perDraw = Set((paramInputs + drawInputs).map(\.value))
        let bounds = TripBounds.run(body.instrs, types: types, sizes: namedSizes, active: perDraw)
        let instrs = bounds.instrs
        types = bounds.types
        tdataOutputs += bounds.outputs
        // A data-only value computed by a loop that also computes from the params (a local
        // filled in a loop that adds to the log density) cannot be transformed data: the
        // programs that need it compute it.
        var fromParams = perDraw
        for instr in instrs where instr.args.contains(where: fromParams.contains)
            || instr.regions.contains(where: { !$0.freeValues.isDisjoint(with: fromParams) }) {
            fromParams.formUnion(instr.results)
        }
        tdataOutputs.removeAll { fromParams.contains($0.1) }
        // Results of multi-result region ops are recomputed rather than passed in, so
        // no value is both an input and the result of an instruction that is kept.
        var seen = Set(dataInputs.map(\.value))
        for instr in instrs where instr.results.count > 1 { seen.formUnion(instr.results) }
        var tdataInputs: [Input] = []
        for (name, v) in tdataOutputs where seen.insert(v).inserted {
            tdataInputs.append(Input(name: name, value: v, role: .tdata, type: types[v.id], constraint: .none))
        }
        let all = dataInputs + tdataInputs + paramInputs
        let td = Program.extract(name: "transformed_data", from: instrs, types: types, inputs: dataInputs, outputs: tdataOutputs)
        let ld = Program.extract(name: "log_density", from: instrs, types: types, inputs: all, outputs: [("target", outputs[0])])
        let dv = Program.extract(name: "derived", from: instrs, types: types, inputs: all, outputs: derivedOutputs)
        let pb = Program.extract(name: "param_bounds", from: instrs, types: types, inputs: all, outputs: paramBoundOutputs)
        let gq = Program.extract(name: "generated", from: instrs, types: types, inputs: all + drawInputs, outputs: generatedOutputs)
        return CheckedModel(data: dataDecls, params: paramDecls, guides: guides, transformedData: td, logDensity: ld,
                            derived: dv, paramBounds: pb, generated: gq, assumptions: assumptions, distributions: dists,
                            layouts: layouts, densityTerms: terms)
    }

    func sumTerms(_ terms: [TV]) -> Value {
        guard var acc = terms.first?.value else { return builder.constant(0) }
        for t in terms.dropFirst() { acc = (try? builder.emit(.binary(.add), [acc, t.value])) ?? acc }
        return acc
    }

    func errorValue() -> TV {
        TV(value: Value(0), type: .real, dep: .literal, isError: true)
    }
}

func lastComponent(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
}

/// Finds imported files. The driver's implementation reads the file system.
public protocol SourceLoader {
    /// The file at `path` relative to the importing file; nil if unreadable.
    func load(_ path: String, relativeTo: SourceFile?) -> SourceFile?
    /// One name per file however it was reached (an absolute, normalised path).
    func identity(of file: SourceFile) -> String
}
