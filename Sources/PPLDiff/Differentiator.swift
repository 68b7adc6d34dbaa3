import PPLIR

/// Symbolic reverse mode: a source-to-source transform from a program computing a scalar
/// to a program computing the same outputs and the gradient. The result uses only IR ops,
/// all of which have rules, so it can be differentiated again (Hessian-vector products).
public enum Differentiator {
    public struct Unsupported: Error, CustomStringConvertible {
        public let description: String
    }

    /// The program with extra outputs `PREFIX.NAME` (default `grad.NAME`): the gradient of
    /// output `output` with respect to each input in `wrt`.
    public static func gradient(_ p: Program, of output: String = "target", wrt: [String], prefix: String = "grad") throws -> Program {
        guard let k = p.outputNames.firstIndex(of: output) else {
            throw Unsupported(description: "no output named '\(output)'")
        }
        let seed = p.body.yields[k]
        guard p.type(of: seed).isScalar else { throw Unsupported(description: "'\(output)' is not a scalar") }
        let b = Builder(types: p.types)
        let e = Emitter(b)
        let wrtInputs = try wrt.map { name -> Input in
            guard let i = p.inputs.first(where: { $0.name == name }) else {
                throw Unsupported(description: "no input named '\(name)'")
            }
            return i
        }
        var active = Set(wrtInputs.map(\.value))
        markActive(p.body, &active)
        let sizes = SizeOf(p)
        // The loops the reverse pass will walk back record their states as they run, so
        // the forward pass is not run a second time to record them.
        var reversed: Set<Value> = [seed]
        for instr in p.body.instrs.reversed() where instr.results.contains(where: reversed.contains) {
            reversed.formUnion(instr.args)
            for r in instr.regions { reversed.formUnion(r.freeValues) }
        }
        reversed.formIntersection(active)
        var tapes: [Value: [Value]] = [:]
        for instr in p.body.instrs {
            if instr.op == .loop, instr.results.contains(where: reversed.contains), let tape = try? LoopTape(instr, e, sizes: sizes) {
                tapes[instr.result] = tape.record(keeping: instr.results)
            } else {
                b.appendInstrs([instr])
            }
        }
        var adjoints: [Value: Value] = [:]
        if active.contains(seed) {
            adjoints[seed] = b.constant(1)
            try reverse(p.body.instrs, e, active: active, adjoints: &adjoints, sizes: sizes, tapes: tapes)
        }
        var outputs = p.outputs.map { ($0.name, $0.value) }
        for i in wrtInputs {
            let g = adjoints[i.value].map { e.fit($0, to: i.type) } ?? e.zeros(i.type)
            outputs.append(("\(prefix).\(i.name)", g))
        }
        let (instrs, types) = b.finish()
        return Simplify.run(Program(name: p.name + ".grad", inputs: p.inputs, body: Block(instrs: instrs, yields: outputs.map(\.1)),
                                    outputNames: outputs.map(\.0), types: types))
    }

    /// A program computing the gradient and the Hessian-vector product H·v for a direction
    /// given as inputs `tangent.NAME`; its outputs are those of `gradient` plus `hvp.NAME`.
    public static func hessianVectorProduct(_ p: Program, of output: String = "target", wrt: [String]) throws -> Program {
        let grad = try gradient(p, of: output, wrt: wrt)
        let b = Builder(types: grad.types)
        let e = Emitter(b)
        b.appendInstrs(grad.body.instrs)
        var inputs = grad.inputs
        var total: Value?
        for name in wrt {
            let i = grad.inputs.first { $0.name == name }!
            let v = b.inputValue(i.type)
            inputs.append(Input(name: "tangent.\(name)", value: v, role: .param, type: i.type, constraint: .none))
            let gk = grad.body.yields[grad.outputNames.firstIndex(of: "grad.\(name)")!]
            let term = e.sum(e.mul(gk, v))
            total = total.map { e.add($0, term) } ?? term
        }
        var outputs = grad.outputs.map { ($0.name, $0.value) }
        outputs.append(("gv", total ?? b.constant(0)))
        let (instrs, types) = b.finish()
        let withDirection = Program(name: grad.name, inputs: inputs, body: Block(instrs: instrs, yields: outputs.map(\.1)),
                                    outputNames: outputs.map(\.0), types: types)
        // The gradient of g·v with respect to the inputs is H·v.
        var second = try gradient(withDirection, of: "gv", wrt: wrt, prefix: "hvp")
        second.name = p.name + ".hvp"
        return Simplify.run(second, keeping: second.outputNames.filter { $0 != "gv" })
    }

    /// Adds the values that depend on the active ones: through every op that has a
    /// derivative.
    static func markActive(_ b: Block, _ active: inout Set<Value>) {
        b.markDependents(&active) { $0.isDifferentiable }
    }

    // MARK: - Reverse pass

    /// `tapes` holds what `LoopTape.record` returned for the loops among `instrs` the forward
    /// pass recorded, by the loop's first result.
    static func reverse(_ instrs: [Instr], _ e: Emitter, active: Set<Value>, adjoints: inout [Value: Value],
                        sizes: SizeOf, tapes: [Value: [Value]] = [:]) throws {
        func accumulate(_ v: Value, _ c: Value) {
            guard active.contains(v), e.type(v).elem == .real else { return }
            let fitted = e.fit(c, to: e.type(v))
            adjoints[v] = adjoints[v].map { e.add($0, fitted) } ?? fitted
        }
        for instr in instrs.reversed() {
            guard instr.results.contains(where: { adjoints[$0] != nil }) else { continue }
            switch instr.op {
            case .loop:
                for (v, g) in try reverseLoop(instr, e, active: active, seeds: instr.results.map { adjoints[$0] }, sizes: sizes,
                                              tapes: tapes[instr.result]) {
                    accumulate(v, g)
                }
            case .cond:
                for (v, g) in try reverseCond(instr, e, active: active, seeds: instr.results.map { adjoints[$0] }, sizes: sizes) {
                    accumulate(v, g)
                }
            default:
                let g = adjoints[instr.result]!
                let contributions = DerivativeRules.pullback(instr, adjoint: g, e)
                for (arg, c) in zip(instr.args, contributions) {
                    if let c { accumulate(arg, c) }
                }
            }
        }
    }

    /// A branch on data: the reverse is a branch on the same condition whose arms run the
    /// reverse of the matching forward arm and yield the adjoints of the outer values it used.
    private static func reverseCond(_ instr: Instr, _ e: Emitter, active: Set<Value>, seeds: [Value?],
                                    sizes: SizeOf) throws -> [(Value, Value)] {
        let free = instr.regions.reduce(Set<Value>()) { $0.union($1.freeValues) }
            .filter { active.contains($0) && e.type($0).elem == .real }.sorted()
        var arms: [Block] = []
        for region in instr.regions {
            _ = e.b.beginBlock(params: [])
            // The forward arm again, with fresh values, so the reverse can use its intermediates.
            let copy = e.b.clone(region, types: e.b.types, mapping: [:])
            var activeCopy = active
            markActive(Block(instrs: copy.instrs), &activeCopy)
            var inner: [Value: Value] = [:]
            for (y, s) in zip(copy.yields, seeds) {
                if let s, activeCopy.contains(y) { inner[y] = inner[y].map { e.add($0, s) } ?? s }
            }
            try reverse(copy.instrs, e, active: activeCopy, adjoints: &inner, sizes: sizes)
            let yields = free.map { v in inner[v].map { e.fit($0, to: e.type(v)) } ?? e.zeros(e.type(v)) }
            arms.append(e.b.endBlock(params: [], yields: yields))
        }
        let results = e.b.appendRegion(.cond, [instr.args[0]], regions: arms, resultTypes: free.map { e.type($0) })
        return Array(zip(free, results))
    }

    /// A loop with carried state. The forward loop records the state at the start of every
    /// iteration (a tape: one element or row per iteration; `tapes`, when the forward pass
    /// already did, else the loop is run again to record it); then a reverse loop walks the
    /// iterations backwards, recomputes each body from its recorded state and runs the
    /// body's reverse, carrying the state's adjoint and accumulating the adjoints of the
    /// outer values the body uses.
    private static func reverseLoop(_ instr: Instr, _ e: Emitter, active: Set<Value>, seeds: [Value?],
                                    sizes: SizeOf, tapes: [Value]?) throws -> [(Value, Value)] {
        let b = e.b
        let body = instr.regions[0]
        let (lo, hi) = (instr.args[0], instr.args[1])
        let inits = Array(instr.args.dropFirst(2))
        let tape = try LoopTape(instr, e, sizes: sizes)
        let stateTypes = tape.stateTypes
        let recorded = tapes ?? tape.record(keeping: nil)

        let free = body.freeValues.filter { active.contains($0) && e.type($0).elem == .real }.sorted()
        let stateAdjointTypes = stateTypes.map { $0.with(elem: .real) }
        let seedValues = zip(seeds, stateAdjointTypes).map { s, t in s.map { e.fit($0, to: t) } ?? e.zeros(t) }
        let freeZeros = free.map { e.zeros(e.type($0)) }
        let params = b.beginBlock(params: [.int] + stateAdjointTypes + free.map { e.type($0) })
        let j = params[0]
        let stateAdjoint = Array(params[1...stateTypes.count])
        let accumulated = Array(params[(1 + stateTypes.count)...])
        let i = e.sub(e.add(lo, hi), j)
        var replay: [Value: Value] = [body.params[0]: i]
        for (k, p) in body.params.dropFirst().enumerated() {
            replay[p] = tape.fromResult[k] ? recorded[k]
                : tape.unflat(e.op(.at, recorded[k], tape.slot(i, stateTypes[k])), as: stateTypes[k])
        }
        let copy = b.clone(body, types: b.types, mapping: replay)
        var activeCopy = active
        for p in body.params.dropFirst() { activeCopy.insert(replay[p]!) }
        markActive(Block(instrs: copy.instrs), &activeCopy)
        var inner: [Value: Value] = [:]
        for (y, a) in zip(copy.yields, stateAdjoint) where activeCopy.contains(y) {
            inner[y] = inner[y].map { e.add($0, a) } ?? a
        }
        try reverse(copy.instrs, e, active: activeCopy, adjoints: &inner, sizes: sizes)
        let nextState = zip(body.params.dropFirst(), stateAdjointTypes).map { p, t in
            inner[replay[p]!].map { e.fit($0, to: t) } ?? e.zeros(t)
        }
        let nextAccumulated = zip(free, accumulated).map { v, acc in
            inner[v].map { e.add(acc, e.fit($0, to: e.type(v))) } ?? acc
        }
        let reverseBlock = b.endBlock(params: params, yields: nextState + nextAccumulated)
        let results = b.appendRegion(.loop, [lo, hi] + seedValues + freeZeros, regions: [reverseBlock],
                                     resultTypes: stateAdjointTypes + free.map { e.type($0) }, tripBound: instr.tripBound)
        let initAdjoints = Array(zip(inits, results.prefix(stateTypes.count)))
        let freeAdjoints = Array(zip(free, results.dropFirst(stateTypes.count)))
        return initAdjoints + freeAdjoints
    }
}

/// The tape of a loop with carried state: its states at the start of every iteration,
/// each recorded flat, `count` elements per iteration in one vector; or, for a state the
/// reverse pass can read from its value at the end of the loop (`writtenOnce`), nothing.
struct LoopTape {
    let instr: Instr
    let e: Emitter
    let stateTypes: [IRType]
    let tapeTypes: [IRType]
    /// The states read back from the loop's result instead of a tape (see `writtenOnce`).
    let fromResult: [Bool]

    init(_ instr: Instr, _ e: Emitter, sizes: SizeOf) throws {
        let (lo, hi) = (instr.args[0], instr.args[1])
        let trips: Size
        if let loSize = sizes[lo], let hiSize = sizes[hi] {
            trips = hiSize - loSize + Size(1)
        } else if let bound = instr.tripBound {
            trips = bound
        } else {
            throw Differentiator.Unsupported(description: "differentiating a loop whose trip count is neither a size of the data nor bounded")
        }
        self.instr = instr
        self.e = e
        stateTypes = instr.args.dropFirst(2).map { e.type($0) }
        tapeTypes = stateTypes.map { IRType($0.elem, .vector(trips * $0.shape.count)) }
        fromResult = stateTypes.indices.map { Self.writtenOnce(instr.regions[0], state: $0, sizes: sizes, type: e.type) }
    }

    /// Whether every element of state `k` that an iteration reads holds, when it reads it,
    /// its value at the end of the loop: a state the loop never changes, or a vector written
    /// one element per iteration at the index (`h[t] = ...`) and otherwise read only at the
    /// elements of earlier iterations (`h[t - 1]`), which no later iteration writes again.
    /// Its tape would cost a copy of the whole vector per iteration.
    static func writtenOnce(_ body: Block, state k: Int, sizes: SizeOf, type: (Value) -> IRType) -> Bool {
        let index = body.params[0], p = body.params[k + 1]
        if body.yields[k] == p { return true }
        var readers: [Value: [Instr]] = [:]
        var definitions: [Value: Instr] = [:]
        for i in body.instrs {
            for a in Set(i.args) { readers[a, default: []].append(i) }
            if i.results.count == 1 { definitions[i.result] = i }
        }
        let nestedReads = body.instrs.flatMap { $0.regions }.reduce(Set<Value>()) { $0.union($1.freeValues) }
        /// `at(p, t - c)` for a constant c >= 1.
        func readsEarlier(_ i: Instr) -> Bool {
            guard i.op == .at, i.args[0] == p, i.args[1] != p, let d = definitions[i.args[1]], d.args.first == index,
                  let c = sizes[d.args[1]]?.constant else { return false }
            return (d.op == .binary(.sub) && c >= 1) || (d.op == .binary(.add) && c <= -1)
        }
        guard body.yields.filter({ $0 == p }).isEmpty else { return false }
        var v = p
        while v != body.yields[k] {
            let users = readers[v] ?? []
            let writes = users.filter { $0.op == .set && $0.args[0] == v }
            guard writes.count == 1, let write = writes.first, write.args[1] == index, write.args[2] != v,
                  type(v).shape.rank == 1, type(write.args[2]).isScalar, !nestedReads.contains(v) else { return false }
            let others = users.filter { $0.results != write.results }
            guard v == p ? others.allSatisfy(readsEarlier) : others.isEmpty else { return false }
            v = write.result
        }
        return (readers[v] ?? []).isEmpty && body.yields.filter({ $0 == v }).count == 1 && !nestedReads.contains(v)
    }
    /// The tape indices of iteration i for a state of type t: an int, or an int range.
    func slot(_ i: Value, _ t: IRType) -> Value {
        let lo = instr.args[0], one = e.int(1)
        if t.isScalar { return e.add(e.sub(i, lo), one) }
        let n = t.shape.count
        let start = e.add(e.mul(e.sub(i, lo), e.size(n)), one)
        let end = e.add(start, e.sub(e.size(n), one))
        return e.b.append(.range, [start, end], type: .intArray(n))
    }

    func flat(_ v: Value) -> Value {
        let t = e.type(v)
        switch t.shape {
        case .scalar, .vector: return v
        case .rowVector: return e.transpose(v)
        case .matrix: return e.b.append(.reshape, [v], type: t.with(shape: .vector(t.shape.count)))
        }
    }

    func unflat(_ v: Value, as t: IRType) -> Value {
        switch t.shape {
        case .scalar, .vector: return v
        case .rowVector: return e.transpose(v)
        case .matrix: return e.b.append(.reshape, [v], type: t)
        }
    }

    /// Emits the loop again, recording its states; returns, for each state, what the reverse
    /// pass reads it from: its tape, or the loop's result (`fromResult`). With `results`,
    /// the loop's own results: the recording loop then stands for the loop itself.
    func record(keeping results: [Value]?) -> [Value] {
        let b = e.b
        let body = instr.regions[0]
        let taped = stateTypes.indices.filter { !fromResult[$0] }
        let types = taped.map { tapeTypes[$0] }
        let emptyTapes = types.map { b.append(.fill, [b.constant(0, $0.elem)], type: $0) }
        let tapeParams = b.beginBlock(params: [.int] + stateTypes + types)
        let index = tapeParams[0]
        let state = Array(tapeParams[1...stateTypes.count])
        let tapes = Array(tapeParams[(1 + stateTypes.count)...])
        var map: [Value: Value] = [body.params[0]: index]
        for (p, v) in zip(body.params.dropFirst(), state) { map[p] = v }
        let forward = b.clone(body, types: b.types, mapping: map)
        let recorded = zip(tapes, taped).map { tape, k in e.op(.set, tape, slot(index, stateTypes[k]), flat(state[k])) }
        let tapeBlock = b.endBlock(params: tapeParams, yields: forward.yields + recorded)
        let args = Array(instr.args.prefix(2)) + instr.args.dropFirst(2) + emptyTapes
        let finals: [Value], finalTapes: [Value]
        if let results {
            finals = results
            finalTapes = types.map { b.inputValue($0) }
            b.appendInstrs([Instr(results: results + finalTapes, op: .loop, args: args, regions: [tapeBlock],
                                  tripBound: instr.tripBound)])
        } else {
            let all = b.appendRegion(.loop, args, regions: [tapeBlock], resultTypes: stateTypes + types, tripBound: instr.tripBound)
            finals = Array(all.prefix(stateTypes.count))
            finalTapes = Array(all.dropFirst(stateTypes.count))
        }
        var next = finalTapes.makeIterator()
        return stateTypes.indices.map { fromResult[$0] ? finals[$0] : next.next()! }
    }
}
