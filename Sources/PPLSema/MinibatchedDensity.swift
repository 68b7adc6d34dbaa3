import PPLIR
import PPLSyntax

/// A model's log density on a minibatch of M of the N rows along a data size N (stochastic
/// variational inference, Hoffman et al. 2013): every data value whose first dimension is N
/// is read at the batch's rows, and every sum over those rows counts N/M times, so that over
/// batches drawn uniformly the density and its gradient are unbiased for the full data's.
///
/// The scaling comes from the typed IR, never from the user. The program is the model's
/// `log_density` with the symbol N standing for M (types keep their sizes; the data bind N
/// to M), each N-rowed input replaced by its rows at `minibatch.index`, and each value the
/// IR computes as a sum over the rows — `sum` or `dot` of row-aligned vectors, a count
/// `size N` — multiplied by `minibatch.scale` = N/M. This is exact because the analysis
/// below proves the target is affine in those sums: a row-aligned value is an elementwise
/// map of row-aligned data, of values not depending on the rows and of gathers by row-aligned
/// indices (`mu[g]`, a matrix times a vector of the params); a sum of one enters the target
/// only through additions and products with values not depending on the rows. A local param
/// — one with a row per row of the data, first dimension N — is the batch's rows already
/// (its guide draws them, `LocalLatents`), row-aligned like the data read at them. Anything
/// else — a loop or branch over the rows, a row read at a given position (`y[1]`), a sum
/// inside a nonlinear function, a param with N in another dimension — is refused, with the
/// statement that does it.
public struct MinibatchedDensity {
    /// The batch's rows, 1-based (int vector of M): set before every evaluation.
    public static let indexInput = "minibatch.index"
    /// N, the rows of the full data (int).
    public static let rowsInput = "minibatch.rows"
    /// N/M (real).
    public static let scaleInput = "minibatch.scale"
    /// With `shard`: N summed over the ranks (int), which N read as a number means.
    public static let totalInput = "shard.total"
    /// With `shard`: 1/R (real), by which the rank's target is multiplied.
    public static let weightInput = "shard.weight"

    /// The log density over the batch, inputs as `log_density`'s plus the three above;
    /// the N-rowed data inputs keep their names and hold the full data.
    public let program: Program
    /// The data (and transformed data) read at the batch's rows, in order of declaration.
    public let gathered: [String]
    /// The local params, in order of declaration: those with a row per row of the data
    /// (first dimension N), whose batch's rows alone the density reads — the guide draws
    /// them (`LocalLatents`).
    public let locals: [String]

    /// Refuses a model where a minibatch's density is not an unbiased estimate of the full
    /// one; the diagnostic points at the statement (or declaration) at fault, or has no span
    /// where the option itself is wrong.
    public init(model: CheckedModel, minibatch: Minibatch) throws(Diagnostic) {
        try self.init(model: model, size: minibatch.size, gathering: true, shard: false)
    }

    /// A rank's part of the density of a fit sharded over R ranks along N (`ppl fit --shard
    /// N` under MPI), each rank holding its own rows of the N-rowed data: the same program,
    /// with each sum over the rows scaled by `minibatch.scale` = R (or R·n/M with a batch of
    /// M of the rank's n rows, `gathering`) and the whole target by `shard.weight` = 1/R.
    /// The target being affine in those sums, a + Σ c·S_r summed over the ranks is then
    /// a + c·S: the terms not over the rows (priors, N read as a number, which is
    /// `shard.total`) count once, and each row once. A param with N in its shape (a local
    /// one) is refused: its rows would live on the rank of theirs.
    public init(model: CheckedModel, size n: String, gathering: Bool, shard: Bool) throws(Diagnostic) {
        precondition(gathering || shard, "a density over the whole data is the model's own")
        let doing = shard ? "sharding along \(n) over the ranks" : "minibatching along \(n)"
        let without = shard ? "fit without --shard" : "fit without --minibatch"
        let ld = model.logDensity
        guard let sizeInput = ld.inputs.first(where: { $0.name == n && $0.role == .data && $0.type == .int }) else {
            let ints = model.data.filter { $0.type == .int }.map(\.name)
            throw Diagnostic.error("\(shard ? "--shard" : "minibatch") names '\(n)', which is not an int data of the model", at: .none,
                                   help: ints.isEmpty ? "the model has no int data to \(shard ? "shard" : "minibatch") along"
                                       : "its int data are " + ints.map { "'\($0)'" }.joined(separator: ", "))
        }
        let declaration = model.data.first { $0.name == n }?.span ?? .none
        let symbol = Size(symbol: n)
        var locals: [String] = []
        for p in model.params where p.type.shape.mentions(n) {
            if shard {
                throw Diagnostic.error("\(doing): param '\(p.name)' has \(n) in its shape (\(p.typeText)), and its rows "
                                       + "would live on the ranks apart", at: p.span,
                                       help: "a sharded fit's params are global; fit a model with local params without --shard")
            }
            guard p.type.shape.withLeadingRows(n, replacedBy: symbol) != nil else {
                throw Diagnostic.error("\(doing): param '\(p.name)' has \(n) in its shape (\(p.typeText)) "
                                       + "other than as its first dimension, and a batch draws rows", at: p.span,
                                       help: "a local param has one row per row of the data: vector[\(n)] or matrix[\(n), K]")
            }
            guard p.constraint.bounds.allSatisfy({ if case .constant = $0 { return true } else { return false } }) else {
                throw Diagnostic.error("\(doing): local param '\(p.name)' has bounds that are not constants "
                                       + "(\(p.typeText)), which a batch would read at all the rows", at: p.span,
                                       help: "give it constant bounds, or \(without)")
            }
            locals.append(p.name)
        }
        var types = ld.types
        func fresh(_ t: IRType) -> Value {
            types.append(t)
            return Value(types.count - 1)
        }
        let rows = fresh(.int), scale = fresh(.real), index = fresh(.intArray(symbol))
        let total = fresh(.int), weight = fresh(.real)
        var inputs: [Input] = []
        var gathers: [Instr] = []
        var kinds: [Value: Kind] = [rows: .free, scale: .free, index: .rows, total: .free, weight: .free]
        var gathered: [String] = []
        for i in ld.inputs {
            if i.value == sizeInput.value { inputs.append(i); continue }
            // A local param is the batch's rows already: its guide draws them alone.
            if i.role == .param, locals.contains(i.name) {
                kinds[i.value] = .rows
                inputs.append(i)
                continue
            }
            guard i.type.shape.mentions(n) else {
                kinds[i.value] = .free
                inputs.append(i)
                continue
            }
            guard let full = i.type.shape.withLeadingRows(n, replacedBy: Size(symbol: Self.rowsInput)) else {
                kinds[i.value] = .bad("reads '\(i.name)' (\(i.type)), which has \(n) in a dimension other than its first, "
                                      + "and \(shard ? "the ranks hold rows" : "a batch draws rows")")
                inputs.append(i)
                continue
            }
            kinds[i.value] = .rows
            gathered.append(i.name)
            guard gathering else {
                inputs.append(i)
                continue
            }
            let whole = fresh(i.type.with(shape: full))
            var moved = i
            moved.value = whole
            inputs.append(moved)
            gathers.append(Instr(results: [i.value], op: .at, args: [whole, index], regions: []))
        }
        // N read as a number (`10 / sqrt(N)`) means the data's N; only sizes mean the batch's.
        let body = ld.body.renaming(sizeInput.value, to: shard ? total : rows)
        var analysis = Analysis(size: n, types: types, kinds: kinds)
        for instr in body.instrs { analysis.visit(instr) }
        let targetKind = analysis.kinds[body.yields[0]] ?? .free
        if case .bad = targetKind {
            for term in model.densityTerms {
                guard case .bad(let why) = analysis.kinds[term.value] ?? .free else { continue }
                throw Diagnostic.error("\(doing): this term \(why)", at: term.span,
                                       help: "\(shard ? "the ranks' parts add up to the density" : "a batch's density is unbiased") "
                                           + "only for a sum over the rows of an elementwise function of them; \(without)")
            }
            guard case .bad(let why) = targetKind else { preconditionFailure() }
            throw Diagnostic.error("\(doing): the log density \(why)", at: declaration)
        }
        guard !analysis.leaves.isEmpty else {
            throw Diagnostic.error("\(doing): no term of the log density sums over the rows of \(n)",
                                   at: declaration, help: "\(shard ? "shard" : "minibatch") along the size of the observations")
        }
        // Each sum over the rows, scaled where it is computed.
        var instrs = gathers
        for instr in body.instrs {
            guard analysis.leaves.contains(instr.result) else {
                instrs.append(instr)
                continue
            }
            var unscaled = instr
            unscaled.results = [fresh(analysis.types[instr.result.id])]
            instrs.append(unscaled)
            types[instr.result.id] = .real
            instrs.append(Instr(results: [instr.result], op: .binary(.mul), args: [unscaled.result, scale], regions: []))
        }
        var yields = body.yields
        if shard {
            let t = ld.outputNames.firstIndex(of: "target")!
            let weighted = fresh(.real)
            instrs.append(Instr(results: [weighted], op: .binary(.mul), args: [yields[t], weight], regions: []))
            yields[t] = weighted
        }
        var extra = [Input(name: Self.scaleInput, value: scale, role: .data, type: .real, constraint: .none)]
        if gathering {
            extra.insert(Input(name: Self.rowsInput, value: rows, role: .data, type: .int, constraint: .none), at: 0)
            extra.append(Input(name: Self.indexInput, value: index, role: .data, type: .intArray(symbol), constraint: .none))
        }
        if shard {
            extra.append(Input(name: Self.totalInput, value: total, role: .data, type: .int, constraint: .none))
            extra.append(Input(name: Self.weightInput, value: weight, role: .data, type: .real, constraint: .none))
        }
        let draft = Program(name: shard ? "shard_log_density" : "minibatch_log_density", inputs: inputs + extra,
                            body: Block(instrs: instrs, yields: yields), outputNames: ld.outputNames, types: types)
        // Data the density does not read are left out: one with N elsewhere than first would
        // not fit the batch's N. Int scalars stay, since they name the sizes.
        let read = draft.inputsRead()
        program = Program(name: draft.name,
                          inputs: draft.inputs.filter { $0.role == .param || $0.type == .int || read.contains($0.name) },
                          body: draft.body, outputNames: draft.outputNames, types: types)
        self.gathered = gathered
        self.locals = locals
    }
}

extension MinibatchedDensity {
    /// The input of `rowWeighted`'s program: a weight per row of N.
    public static let rowWeightInput = "rows.weight"

    /// The model's log density with each row's terms weighted: every sum over the rows of
    /// the data size `n` that the analysis above finds — `sum(v)`, `dot(a, b)`, a count
    /// `size c·N` — becomes Σ_r w_r v_r, Σ_r w_r a_r b_r, (c·N/N) Σ_r w_r, with w the input
    /// `rows.weight` (vector[N]). At w = 1 it is the model's density, and its gradient with
    /// respect to w is each row's own terms: the part of the density that row r's data and
    /// local params (those with first dimension N, `int` ones included) enter, which the
    /// score function gradient of a discrete local param reads as its element's learning
    /// signal (Rao-Blackwellisation over the other rows, Ranganath et al. 2014). A model
    /// the analysis refuses throws its diagnostic.
    public static func rowWeighted(model: CheckedModel, size n: String) throws(Diagnostic) -> Program {
        let ld = model.logDensity
        guard let sizeInput = ld.inputs.first(where: { $0.name == n && $0.role == .data && $0.type == .int }) else {
            throw Diagnostic.error("'\(n)' is not an int data of the model", at: .none)
        }
        let symbol = Size(symbol: n)
        var types = ld.types
        func fresh(_ t: IRType) -> Value {
            types.append(t)
            return Value(types.count - 1)
        }
        let weight = fresh(.vector(symbol))
        var kinds: [Value: Kind] = [sizeInput.value: .free]
        for i in ld.inputs where i.value != sizeInput.value {
            guard i.type.shape.mentions(n) else {
                kinds[i.value] = .free
                continue
            }
            kinds[i.value] = i.type.shape.withLeadingRows(n, replacedBy: symbol) != nil ? .rows
                : .bad("reads '\(i.name)' (\(i.type)), which has \(n) in a dimension other than its first")
        }
        var analysis = Analysis(size: n, types: types, kinds: kinds)
        analysis.everyRow = true
        for instr in ld.body.instrs { analysis.visit(instr) }
        if case .bad(let why) = analysis.kind(ld.body.yields[0]) {
            for term in model.densityTerms {
                guard case .bad(let reason) = analysis.kind(term.value) else { continue }
                throw Diagnostic.error("this term \(reason)", at: term.span)
            }
            throw Diagnostic.error("the log density \(why)", at: .none)
        }
        var instrs: [Instr] = []
        func emit(_ op: Op, _ args: [Value], _ type: IRType, into result: Value? = nil) -> Value {
            let v = result ?? fresh(type)
            instrs.append(Instr(results: [v], op: op, args: args, regions: []))
            return v
        }
        /// Σ_r w_r x_r for a row-aligned vector or matrix x (a matrix's rows summed first),
        /// into the leaf's own value.
        func weighted(_ x: Value, into result: Value) {
            var rows = x
            if case .matrix(_, let c) = analysis.types[x.id].shape {
                let ones = emit(.fill, [emit(.const(1), [], .real)], .vector(c))
                rows = emit(.matmul, [emit(.reshape, [x], analysis.types[x.id].with(elem: .real)), ones], .vector(symbol))
            }
            _ = emit(.sum, [emit(.binary(.mul), [weight, rows], .vector(symbol))], .real, into: result)
        }
        for instr in ld.body.instrs {
            guard analysis.leaves.contains(instr.result) else {
                instrs.append(instr)
                continue
            }
            types[instr.result.id] = .real
            switch instr.op {
            case .sum: weighted(instr.args[0], into: instr.result)
            case .dot: weighted(emit(.binary(.mul), instr.args, analysis.types[instr.args[0].id].with(elem: .real)), into: instr.result)
            case .size(let count):
                let perRow = emit(.binary(.div), [emit(.size(count), [], .int), emit(.size(symbol), [], .int)], .real)
                _ = emit(.binary(.mul), [perRow, emit(.sum, [weight], .real)], .real, into: instr.result)
            default: preconditionFailure("a sum over the rows is a sum, a dot or a count")
            }
        }
        return Program(name: "row_weighted_log_density",
                       inputs: ld.inputs + [Input(name: rowWeightInput, value: weight, role: .data, type: .vector(symbol), constraint: .none)],
                       body: Block(instrs: instrs, yields: ld.body.yields), outputNames: ld.outputNames, types: types)
    }
}

extension MinibatchedDensity {
    /// How a value depends on the rows of the batch.
    enum Kind {
        /// Not at all.
        case free
        /// Its first dimension is N, and its row i depends on row i of the data alone.
        case rows
        /// A scalar affine in sums over the rows, with coefficients free of them.
        case linear
        /// In a way a batch cannot estimate without bias: why, as the rest of a sentence
        /// "this term ...".
        case bad(String)
    }

    struct Analysis {
        let size: String
        var types: [IRType]
        var kinds: [Value: Kind]
        /// The values that are sums over the rows: each is scaled by N/M.
        var leaves: Set<Value> = []
        /// Every row is present, in order (`rowWeighted`), not a batch drawn at random: a
        /// range over the rows (a loop's index, vectorised) is then row by row too.
        var everyRow = false

        init(size: String, types: [IRType], kinds: [Value: Kind]) {
            self.size = size
            self.types = types
            self.kinds = kinds
        }

        func kind(_ v: Value) -> Kind { kinds[v] ?? .free }

        mutating func visit(_ instr: Instr) {
            let k = classify(instr)
            for r in instr.results { kinds[r] = k }
        }

        private func shape(_ v: Value) -> Shape { types[v.id].shape }

        private mutating func classify(_ instr: Instr) -> Kind {
            let args = instr.args.map(kind)
            for a in args { if case .bad = a { return a } }
            let free = args.allSatisfy { if case .free = $0 { return true } else { return false } }
            let isRows = args.map { if case .rows = $0 { return true } else { return false } }
            let isLinear = args.map { if case .linear = $0 { return true } else { return false } }
            let result = types[instr.result.id]
            switch instr.op {
            case .loop, .cond:
                let inner = instr.regions.flatMap { $0.freeValues }
                let reads = !free || inner.contains { if case .free = kind($0) { return false } else { return true } }
                    || instr.regions.contains { countsRows($0) }
                guard reads else { return .free }
                if instr.op == .cond { return .bad("branches on the rows of \(size)") }
                let carries = (instr.regions.first?.params.count ?? 0) > 2
                return .bad(carries ? "runs a loop over the rows of \(size) that carries state from one row to the next, "
                                + "which a batch of rows drawn at random cannot follow"
                            : "runs a loop over the rows of \(size) that the compiler could not turn into an elementwise "
                                + "map then a sum (it reads other rows than its own, as y[n - 1] does)")
            case .size(let s):
                guard s.mentionsSymbol(size) else { return .free }
                guard s.terms.keys.allSatisfy({ m in m.filter { $0 == size }.count == 1 }), s.denominator == 1 else {
                    return .bad("counts the rows as \(s), which is not proportional to \(size)")
                }
                leaves.insert(instr.result)
                return .linear
            default: break
            }
            if free { return result.shape.mentions(size) ? rowsOrBad(instr, result) : .free }
            if isLinear.contains(true) { return linearUse(instr, isLinear, args) }
            switch instr.op {
            case .unary, .binary, .select, .polygamma, .incomplete, .stopGradient, .random:
                if zip(instr.args, isRows).contains(where: { !$1 && shape($0) != .scalar }) {
                    return .bad("combines the rows of \(size) with a value of another shape")
                }
                return .rows
            case .matmul:
                if isRows[0], !isRows[1], case .matrix = shape(instr.args[0]) { return .rows }
                // An outer product v wᵀ: row i is v_i wᵀ.
                if isRows[0], !isRows[1], case .vector = shape(instr.args[0]) { return .rows }
                return .bad("multiplies across the rows of \(size) (a matrix product over them)")
            case .dot:
                guard isRows[0], isRows[1] else { return .bad("multiplies across the rows of \(size)") }
                leaves.insert(instr.result)
                return .linear
            case .sum:
                leaves.insert(instr.result)
                return .linear
            case .at:
                if !isRows[0], isRows[1] { return .rows }
                return .bad("reads the rows of \(size) at given positions (as y[1] does), where a batch holds rows drawn at random")
            case .at2:
                if !isRows[0], isRows[1] != isRows[2] { return .rows }
                return .bad("reads the rows of \(size) at given positions, where a batch holds rows drawn at random")
            case .logSumExp: return .bad("takes a log_sum_exp over the rows of \(size), which is not a sum")
            case .minElement, .maxElement: return .bad("takes a min or max over the rows of \(size), which is not a sum")
            case .cumulativeSum: return .bad("takes a cumulative sum over the rows of \(size)")
            case .set, .set2, .scatterAdd, .scatterAdd2: return .bad("assigns to the rows of \(size) at given positions")
            case .fill, .transpose, .triSolveLower, .triSolveLowerT, .tril, .cholesky, .diagonal, .diagMatrix, .pack,
                 .range, .concat, .reshape, .const, .input, .size, .loop, .cond:
                return .bad("uses the rows of \(size) in '\(instr.op.mnemonic)', not in an elementwise map then a sum")
            }
        }

        /// Whether a block (or one nested in it) has a value whose shape, or a count it takes,
        /// depends on N: inside a region it would be the batch's M.
        private func countsRows(_ block: Block) -> Bool {
            block.instrs.contains { instr in
                if case .size(let s) = instr.op, s.mentionsSymbol(size) { return true }
                return instr.results.contains { types[$0.id].shape.mentions(size) } || instr.regions.contains { countsRows($0) }
            }
        }

        /// A value whose shape has N computed from no row: a fill is the same in every row.
        private func rowsOrBad(_ instr: Instr, _ result: IRType) -> Kind {
            if instr.op == .fill, result.shape.withLeadingRows(size, replacedBy: Size(1)) != nil { return .rows }
            if everyRow, instr.op == .range, result.shape == .vector(Size(symbol: size)) { return .rows }
            return .bad("works on a part or a rearrangement of the rows of \(size) (a value of \(result)), as a loop over "
                        + "(K + 1):\(size) or a read of y[n - 1] does, where a batch holds whole rows drawn at random")
        }

        /// An operation on a sum over the rows: it stays a sum where it is linear in it.
        private func linearUse(_ instr: Instr, _ isLinear: [Bool], _ args: [Kind]) -> Kind {
            let otherFree = zip(isLinear, args).allSatisfy { linear, k in
                if linear { return true }
                if case .free = k { return true }
                return false
            }
            let scalars = instr.args.allSatisfy { shape($0) == .scalar }
            let linear = otherFree && scalars && types[instr.result.id].elem == .real
            switch instr.op {
            case .unary(.neg), .stopGradient, .sum: if linear { return .linear }
            case .binary(.add), .binary(.sub): if linear { return .linear }
            case .binary(.mul): if linear, isLinear.filter({ $0 }).count == 1 { return .linear }
            case .binary(.div): if linear, !isLinear[1] { return .linear }
            default: break
            }
            return .bad("puts a sum over the rows of \(size) inside '\(instr.op.mnemonic)', where only sums of "
                        + "elementwise terms (added, or scaled by what does not depend on the rows) can be scaled by N/M")
        }
    }
}

extension Shape {
    /// Whether a dimension depends on the size named `n`.
    func mentions(_ n: String) -> Bool {
        switch self {
        case .scalar: return false
        case .vector(let s), .rowVector(let s): return s.mentionsSymbol(n)
        case .matrix(let r, let c): return r.mentionsSymbol(n) || c.mentionsSymbol(n)
        }
    }

    /// The shape with its first dimension `replacement`, when that dimension is exactly N
    /// and no other depends on it; nil otherwise.
    func withLeadingRows(_ n: String, replacedBy replacement: Size) -> Shape? {
        let rows = Size(symbol: n)
        switch self {
        case .vector(let s) where s == rows: return .vector(replacement)
        case .matrix(let r, let c) where r == rows && !c.mentionsSymbol(n): return .matrix(replacement, c)
        default: return nil
        }
    }
}

extension Size {
    /// Whether the size depends on the size named `n`.
    public func mentionsSymbol(_ n: String) -> Bool { terms.keys.contains { $0.contains(n) } }
}

extension Block {
    /// The block with every use of `old` (in nested blocks too) reading `new` instead.
    func renaming(_ old: Value, to new: Value) -> Block {
        func swap(_ v: Value) -> Value { v == old ? new : v }
        var copy = self
        copy.instrs = instrs.map { instr in
            var i = instr
            i.args = i.args.map(swap)
            i.regions = i.regions.map { $0.renaming(old, to: new) }
            return i
        }
        copy.yields = yields.map(swap)
        return copy
    }
}

extension MinibatchedDensity {
    /// Refuses, for a fit sharded along `n`, a program run on each rank's rows alone — the
    /// transformed data, the derived values, the generated quantities — whose output would
    /// differ from the whole data's: one computed from the rows other than row by row (a
    /// mean, a sum, a row read at a given position) or from N read as a number; `what` names
    /// the program's part. Outputs free of the rows are the same on every rank; row-by-row
    /// ones (`log(x)`) are each rank's own rows where `rowsAllowed` (transformed data, which
    /// the rank's density reads at its rows).
    public static func checkRowwise(_ program: Program, size n: String, what: String, rowsAllowed: Bool,
                                    help: String) throws(Diagnostic) {
        // What makes an input wrong on a rank, said as it is; the analysis's own reasons are
        // a batch's, and the message says the rank's instead.
        var inputReasons: Set<String> = []
        var kinds: [Value: Kind] = [:]
        for i in program.inputs where i.type.shape.mentions(n) && i.type.shape.withLeadingRows(n, replacedBy: Size(symbol: n)) == nil {
            let reason = "reads '\(i.name)' (\(i.type)), which has \(n) in a dimension other than its first"
            kinds[i.value] = .bad(reason)
            inputReasons.insert(reason)
        }
        for i in program.inputs where i.type.shape.withLeadingRows(n, replacedBy: Size(symbol: n)) != nil { kinds[i.value] = .rows }
        // As a number, N on a rank is its own count of rows.
        for i in program.inputs where i.name == n && i.type == .int {
            let reason = "reads \(n) as a number, which on each rank is its count of rows"
            kinds[i.value] = .bad(reason)
            inputReasons.insert(reason)
        }
        var analysis = Analysis(size: n, types: program.types, kinds: kinds)
        for instr in program.body.instrs { analysis.visit(instr) }
        for (name, value) in zip(program.outputNames, program.body.yields) {
            let why: String
            switch analysis.kind(value) {
            case .free: continue
            case .rows where rowsAllowed && program.types[value.id].shape.withLeadingRows(n, replacedBy: Size(symbol: n)) != nil:
                continue
            case .bad(let reason) where inputReasons.contains(reason): why = reason
            case .rows, .linear, .bad: why = "is computed from the rows of \(n), which each rank holds a part of"
            }
            throw Diagnostic.error("sharding along \(n) over the ranks: \(what) '\(name)' \(why)", at: .none, help: help)
        }
    }
}
