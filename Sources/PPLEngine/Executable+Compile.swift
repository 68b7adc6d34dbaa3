import PPLIR

/// Compilation: each instruction becomes a step over the buffers the plan gives its values;
/// views and pieces placed in an assembled vector become none.
extension Executable {
    private func slot(_ v: Value) -> Slot { slots[v.id]! }

    /// The shape of a value: [] for a scalar, [n] for a vector, [rows, cols] for a matrix.
    func dims(_ v: Value) -> [Int] {
        let s = slot(v)
        switch program.types[v.id].shape {
        case .scalar: return []
        case .vector, .rowVector: return [s.count]
        case .matrix(let r, let c):
            // The row count is the one size not fixed by the element count alone.
            let rows = evaluated(r) ?? (s.count / max(1, evaluated(c) ?? 1))
            return [rows, s.count / max(1, rows)]
        }
    }

    private var sizeEnv: [String: Int] {
        var env: [String: Int] = [:]
        for i in program.inputs where i.type == .int && !plan.isRecomputed(i.value) {
            env[i.name] = Int(slot(i.value).ptr[0])
        }
        return env
    }

    private func evaluated(_ s: Size) -> Int? {
        let env = sizeEnv
        return s.evaluate { env[$0] }
    }

    /// The steps of a top-level instruction: where it works on sums, first the sums over
    /// the particles of its per-particle arguments (each value summed once).
    func compileSumming(_ instr: Instr) throws -> [Step] {
        var steps: [Step] = []
        var args = instr.args.map(slot)
        for p in plan.summedArguments(of: instr) {
            let a = instr.args[p]
            let sum = sumSlots[a]!
            if summedSoFar.insert(a).inserted { steps.append(.particleSum(out: sum, a: slot(a))) }
            args[p] = sum
        }
        return steps + (try compile(instr, args: args).map { [$0] } ?? [])
    }

    /// The step of an instruction; nil for a view, which needs none.
    private func compile(_ instr: Instr, args: [Slot]? = nil) throws -> Step? {
        let out = instr.results.map(slot)
        let a = args ?? instr.args.map(slot)
        if let r = instr.results.first, plan.alias(of: r) != nil, [.reshape, .stopGradient, .at, .transpose].contains(instr.op) {
            return nil
        }
        if let r = instr.results.first, [.zeros, .placed].contains(plan.link(of: r)) { return nil }
        /// What an index error reports: the source, or else the input indexed.
        func cache() -> Unmanaged<IndexCache> {
            let input = instr.args.first.flatMap { v in program.inputs.first { $0.value == v }?.name }
            let site = instr.site ?? SourceSite(location: "", subject: input.map { "'\($0)'" } ?? "a value")
            return keep(IndexCache(site: site, constant: plan.isFixed(instr.args[1])))
        }
        switch instr.op {
        case .const(let x):
            return .fill(out: out[0], a: constantSlot(x))
        case .input(let n):
            throw EngineError("unexpected input instruction for '\(n)'")
        case .size(let s):
            guard let n = evaluated(s) else { throw EngineError("the size \(s) cannot be computed from the data") }
            return .fill(out: out[0], a: constantSlot(Double(n)))
        case .unary(let f): return .unary(f, out: out[0], a: a[0])
        case .polygamma(let n): return .polygamma(n, out: out[0], a: a[0])
        case .binary(.div) where program.types[instr.result.id].elem == .int:
            return .intDivide(out: out[0], a: a[0], b: a[1])
        case .binary(let f): return .binary(f, out: out[0], a: a[0], b: a[1])
        case .select: return .select(out: out[0], c: a[0], a: a[1], b: a[2])
        case .sum: return .sum(out: out[0], a: a[0])
        case .logSumExp: return .logSumExp(out: out[0], a: a[0])
        case .minElement: return .minElement(out: out[0], a: a[0])
        case .maxElement: return .maxElement(out: out[0], a: a[0])
        case .cumulativeSum: return .cumulativeSum(out: out[0], a: a[0])
        case .dot: return .dot(out: out[0], a: a[0], b: a[1])
        case .matmul:
            let ta = program.types[instr.args[0].id].shape, tb = program.types[instr.args[1].id].shape
            let da = dims(instr.args[0]), db = dims(instr.args[1])
            let m: Int, k: Int, n: Int
            switch (ta, tb) {
            case (.matrix, .vector): (m, k, n) = (da[0], da[1], 1)
            case (.matrix, .matrix): (m, k, n) = (da[0], da[1], db[1])
            case (.rowVector, .matrix): (m, k, n) = (1, db[0], db[1])
            case (.rowVector, .vector): (m, k, n) = (1, da[0], 1)
            case (.vector, .rowVector): (m, k, n) = (da[0], 1, db[0])
            default: throw EngineError("matmul of \(ta) and \(tb)")
            }
            if let source = plan.foldedTranspose(instr.args[0]) {
                return .matmul(MatMul(out: out[0], a: slot(source), b: a[1], m: m, k: k, n: n, transposedA: true))
            }
            return .matmul(MatMul(out: out[0], a: a[0], b: a[1], m: m, k: k, n: n))
        case .transpose:
            if plan.foldedTranspose(instr.results[0]) != nil { return nil }
            let d = dims(instr.args[0])
            if d.count == 2 { return .transpose(out: out[0], a: a[0], rows: d[0], cols: d[1]) }
            return .copy(out: out[0], a: a[0])
        case .triSolveLower, .triSolveLowerT:
            let n = dims(instr.args[0])[0]
            let k = max(1, a[1].count / max(1, n))
            return .triSolve(out: out[0], l: a[0], b: a[1], n: n, k: k, transposed: instr.op == .triSolveLowerT)
        case .tril: return .tril(out: out[0], a: a[0], n: dims(instr.args[0])[0])
        case .cholesky: return .cholesky(out: out[0], a: a[0], n: dims(instr.args[0])[0])
        case .incomplete(let f, let orders): return .incomplete(keep(Incomplete(f, orders: orders, out: out[0], args: a)))
        case .random(let f, let site, let keys): return .random(keep(RandomDraw(f, site: site, keys: keys, out: out[0], args: a)))
        case .diagonal: return .diagonal(out: out[0], a: a[0], n: dims(instr.args[0])[0])
        case .diagMatrix: return .diagMatrix(out: out[0], a: a[0], n: a[0].count)
        case .fill: return .fill(out: out[0], a: a[0])
        case .pack: return .pack(out: out[0], items: keep(SlotList(a)))
        case .range: return .range(out: out[0], lo: a[0])
        case .concat: return .concat(out: out[0], a: a[0], b: a[1])
        case .reshape, .stopGradient: return .copy(out: out[0], a: a[0])
        case .at:
            let row: Int
            if case .matrix = program.types[instr.args[0].id].shape { row = dims(instr.args[0])[1] } else { row = 1 }
            return .at(out: out[0], x: a[0], index: a[1], row: row, cache: cache())
        case .at2:
            let d = dims(instr.args[0])
            let outer = program.types[instr.args[1].id].shape != .scalar && program.types[instr.args[2].id].shape != .scalar
            return .at2(out: out[0], x: a[0], i: a[1], j: a[2], rows: d[0], cols: d[1], outer: outer, cache: cache())
        case .set, .scatterAdd:
            let row: Int
            if case .matrix = program.types[instr.args[0].id].shape { row = dims(instr.args[0])[1] } else { row = 1 }
            let add = instr.op == .scatterAdd && plan.link(of: instr.results[0]) != .assigned
            return .set(out: out[0], x: a[0], index: a[1], v: a[2], row: row, add: add, cache: cache())
        case .set2, .scatterAdd2:
            let d = dims(instr.args[0])
            let outer = program.types[instr.args[1].id].shape != .scalar && program.types[instr.args[2].id].shape != .scalar
            return .set2(out: out[0], x: a[0], i: a[1], j: a[2], v: a[3], rows: d[0], cols: d[1], outer: outer,
                         add: instr.op == .scatterAdd2, cache: cache())
        case .loop:
            let body = instr.regions[0]
            let loop = Loop(lo: a[0], hi: a[1], index: slot(body.params[0]), carried: body.params.dropFirst().map(slot),
                            inits: Array(a.dropFirst(2)), yields: body.yields.map(slot), results: out)
            loop.body = try body.instrs.compactMap { try compile($0) }
            return .loop(keep(loop))
        case .cond:
            let cond = Cond(condition: a[0], results: out)
            for k in 0..<2 {
                cond.branches[k] = try instr.regions[k].instrs.compactMap { try compile($0) }
                cond.yields[k] = instr.regions[k].yields.map(slot)
            }
            return .cond(keep(cond))
        }
    }

    /// An object a step refers to unmanaged, kept alive as long as the executable.
    func keep<T: AnyObject>(_ object: T) -> Unmanaged<T> {
        objects.append(object)
        return .passUnretained(object)
    }

    /// A constant's slot, in a small side table freed with the executable.
    private func constantSlot(_ x: Double) -> Slot {
        let p = UnsafeMutablePointer<Double>.allocate(capacity: 1)
        p.initialize(to: x)
        constants.append(p)
        return Slot(ptr: p, count: 1, copies: 1)
    }
}
