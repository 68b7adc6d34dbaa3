import PPLIR

/// An IR program compiled for evaluation: every value gets a preallocated buffer in one
/// arena, instructions become steps with their buffers resolved, and work that does not
/// depend on the varying inputs (data-only work) runs once, when the data are bound.
/// One evaluation runs `batch` particles at once.
public final class Executable {
    public let program: Program
    public let batch: Int
    /// Values that differ between particles (they depend on a varying input).
    private let varies: [Bool]
    /// Values recomputed on every evaluation (they depend on a varying or shared input).
    private let dynamic: [Bool]
    /// Inputs and values defined at the top level: fixed for a whole evaluation (values in
    /// a loop body change from one iteration to the next).
    private var topLevel: Set<Value> = []
    private var slots: [Slot?]
    /// Values living in another value's buffer (see `aliases`).
    private var views: [Alias?] = []
    private let arena: UnsafeMutablePointer<Double>
    private let arenaSize: Int
    private var steps: [Step] = []
    var failure: String?

    /// Compiles `program` for `batch` particles. `varying` names the inputs that differ per
    /// particle (their buffers hold `batch` copies); `shared` the inputs set before each
    /// evaluation but common to all particles (one copy); every other input must be in
    /// `data` and is fixed.
    public init(_ program: Program, varying: Set<String>, shared: Set<String> = [], data: [String: Tensor],
                batch: Int = 1) throws {
        self.program = program
        self.batch = max(1, batch)
        var varies = [Bool](repeating: false, count: program.types.count)
        for i in program.inputs where varying.contains(i.name) { varies[i.value.id] = true }
        Executable.markVarying(program.body, &varies)
        self.varies = varies
        var dynamic = [Bool](repeating: false, count: program.types.count)
        for i in program.inputs where varying.contains(i.name) || shared.contains(i.name) { dynamic[i.value.id] = true }
        Executable.markVarying(program.body, &dynamic)
        self.dynamic = dynamic

        // Sizes: int scalars among the inputs that are given.
        var env: [String: Int] = [:]
        for i in program.inputs where i.type == .int {
            if let t = data[i.name], t.count == 1 { env[i.name] = Int(t.values[0]) }
        }
        var counts = [Int](repeating: 0, count: program.types.count)
        var defined: [Value] = program.inputs.map(\.value)
        Executable.collect(program.body, &defined)
        var alias = Executable.aliases(program, dynamic: dynamic, varies: varies)
        for v in defined {
            guard let n = program.types[v.id].shape.count.evaluate({ env[$0] }) else {
                throw EngineError("the size \(program.types[v.id].shape.count) cannot be computed from the data")
            }
            counts[v.id] = max(0, n)
        }
        var total = 0
        for v in defined {
            // A segment that does not fit is left to the gather, which reports the index.
            if let a = alias[v.id], a.offset + counts[v.id] > counts[a.root.id] { alias[v.id] = nil }
            if alias[v.id] == nil { total += counts[v.id] * (varies[v.id] ? self.batch : 1) }
        }
        views = alias
        arenaSize = max(1, total)
        arena = .allocate(capacity: arenaSize)
        arena.initialize(repeating: 0, count: arenaSize)
        slots = [Slot?](repeating: nil, count: program.types.count)
        var offset = 0
        for v in defined {
            let copies = varies[v.id] ? self.batch : 1
            if let a = alias[v.id] {
                slots[v.id] = Slot(ptr: slots[a.root.id]!.ptr + a.offset, count: counts[v.id], copies: copies)
                continue
            }
            slots[v.id] = Slot(ptr: arena + offset, count: counts[v.id], copies: copies)
            offset += counts[v.id] * copies
        }
        for i in program.inputs where !varying.contains(i.name) && !shared.contains(i.name) {
            guard let t = data[i.name] else { throw EngineError("no value given for '\(i.name)'") }
            let s = slots[i.value.id]!
            guard t.count == s.count else {
                throw EngineError("'\(i.name)' has \(t.count) elements, expected \(s.count)")
            }
            t.values.withUnsafeBufferPointer { s.ptr.update(from: $0.baseAddress!, count: s.count) }
        }
        topLevel = Set(program.inputs.map(\.value)).union(program.body.instrs.flatMap(\.results))
        // Data-only instructions run now; the rest on every evaluation.
        var once: [Step] = []
        for instr in program.body.instrs {
            guard let step = try compile(instr) else { continue }
            if instr.results.contains(where: { dynamic[$0.id] }) { steps.append(step) } else { once.append(step) }
        }
        execute(once)
        if let failure { throw EngineError(failure) }
    }

    deinit {
        arena.deallocate()
        for c in constants { c.deallocate() }
    }

    // MARK: - Inputs and outputs

    /// The buffer of a varying input (`batch` particles × its size, particle-major) or of
    /// a shared input (one copy).
    public func input(_ name: String) -> UnsafeMutableBufferPointer<Double> {
        let i = program.inputs.first { $0.name == name }!
        let s = slots[i.value.id]!
        return UnsafeMutableBufferPointer(start: s.ptr, count: s.count * s.copies)
    }

    /// An output of particle `particle`.
    public func output(_ name: String, particle: Int = 0) -> UnsafeBufferPointer<Double> {
        output(handle(name), particle: particle)
    }

    /// The position of an output, looked up once for loops that read it every evaluation.
    public func handle(_ name: String) -> Int { program.outputNames.firstIndex(of: name)! }

    public func output(_ handle: Int, particle: Int = 0) -> UnsafeBufferPointer<Double> {
        let s = slots[program.body.yields[handle].id]!
        return UnsafeBufferPointer(start: s.base(particle), count: s.count)
    }

    /// The shape of an output: [] for a scalar, [n] for a vector, [rows, cols] for a matrix.
    public func outputShape(_ name: String) -> [Int] {
        dims(program.body.yields[program.outputNames.firstIndex(of: name)!])
    }

    public func outputSize(_ name: String) -> Int {
        slots[program.body.yields[program.outputNames.firstIndex(of: name)!].id]!.count
    }

    /// Evaluates the program for all particles.
    public func run() throws {
        failure = nil
        execute(steps)
        if let failure { throw EngineError(failure) }
    }

    // MARK: - Analysis

    private static func markVarying(_ b: Block, _ varies: inout [Bool]) {
        for instr in b.instrs {
            var v = instr.args.contains { varies[$0.id] }
            if !instr.regions.isEmpty {
                v = v || instr.regions.contains { $0.freeValues.contains { varies[$0.id] } }
                if instr.op == .loop {
                    // Carried values vary if their start or any iteration's update does.
                    let body = instr.regions[0]
                    for (k, p) in body.params.enumerated() where k > 0 { varies[p.id] = varies[instr.args[k + 1].id] }
                    var changed = true
                    while changed {
                        markVarying(body, &varies)
                        changed = false
                        for (k, y) in body.yields.enumerated() where varies[y.id] && !varies[body.params[k + 1].id] {
                            varies[body.params[k + 1].id] = true
                            changed = true
                        }
                    }
                    for (k, r) in instr.results.enumerated() { varies[r.id] = varies[body.params[k + 1].id] }
                    continue
                }
                for r in instr.regions { markVarying(r, &varies) }
                for (k, r) in instr.results.enumerated() {
                    varies[r.id] = v || instr.regions.contains { varies[$0.yields[k].id] }
                }
                continue
            }
            for r in instr.results { varies[r.id] = v }
        }
    }

    /// Where a value's buffer lives when it is not a buffer of its own: inside `root`'s,
    /// `offset` elements in.
    struct Alias {
        let root: Value, offset: Int
    }

    /// Values that use their first argument's buffer instead of copying it:
    /// - views: `reshape`, `stopGradient`, and `at` of one copy with a constant contiguous
    ///   range (a segment of φ); they run no step at all;
    /// - in-place updates: `set`/`scatter_add` into an argument computed on every
    ///   evaluation in the same block whose only use is this instruction and whose buffer
    ///   no other value sees. A gradient assembled by a chain of scatter-adds then costs
    ///   the segments, not a copy of the whole vector at every link.
    /// Block parameters (loop-carried values) are never aliased: the loop overwrites them.
    private static func aliases(_ program: Program, dynamic: [Bool], varies: [Bool]) -> [Alias?] {
        var uses = [Int](repeating: 0, count: program.types.count)
        var definition: [Value: Instr] = [:]
        func count(_ b: Block) {
            for instr in b.instrs {
                for a in instr.args { uses[a.id] += 1 }
                for r in instr.results { definition[r] = instr }
                for r in instr.regions { count(r) }
            }
            for y in b.yields { uses[y.id] += 1 }
        }
        count(program.body)
        var alias = [Alias?](repeating: nil, count: program.types.count)
        // Whether no value other than this one reads its buffer from now on.
        var exclusive = [Bool](repeating: false, count: program.types.count)
        let inputs = Set(program.inputs.map(\.value))
        func constant(_ v: Value) -> Double? {
            if case .const(let x)? = definition[v]?.op { return x }
            return nil
        }
        func assign(_ b: Block) {
            var local = Set<Value>()
            for instr in b.instrs {
                for r in instr.regions { assign(r) }
                defer {
                    local.formUnion(instr.results)
                    for r in instr.results where alias[r.id] == nil { exclusive[r.id] = true }
                }
                guard let x = instr.args.first, let r = instr.results.first,
                      local.contains(x) || inputs.contains(x), varies[x.id] == varies[r.id] else { continue }
                let root = alias[x.id] ?? Alias(root: x, offset: 0)
                switch instr.op {
                case .reshape, .stopGradient:
                    alias[r.id] = root
                    exclusive[r.id] = exclusive[x.id] && uses[x.id] == 1
                case .at:
                    guard !varies[x.id], case .vector = program.types[x.id].shape,
                          let range = definition[instr.args[1]], range.op == .range,
                          let lo = constant(range.args[0]), lo >= 1 else { continue }
                    alias[r.id] = Alias(root: root.root, offset: root.offset + Int(lo) - 1)
                case .set, .scatterAdd, .set2, .scatterAdd2:
                    guard local.contains(x), exclusive[x.id], uses[x.id] == 1, dynamic[x.id] else { continue }
                    alias[r.id] = root
                    exclusive[r.id] = true
                default: continue
                }
            }
        }
        assign(program.body)
        return alias
    }

    private static func collect(_ b: Block, _ out: inout [Value]) {
        out += b.params
        for instr in b.instrs {
            out += instr.results
            for r in instr.regions { collect(r, &out) }
        }
    }

    // MARK: - Compilation

    private func slot(_ v: Value) -> Slot { slots[v.id]! }

    /// A value that is the same in every evaluation and every iteration: indices of such
    /// values are converted and checked once.
    private func fixed(_ v: Value) -> Bool { !dynamic[v.id] && topLevel.contains(v) }

    private func dims(_ v: Value) -> [Int] {
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
        for i in program.inputs where i.type == .int && !dynamic[i.value.id] {
            env[i.name] = Int(slot(i.value).ptr[0])
        }
        return env
    }

    private func evaluated(_ s: Size) -> Int? {
        let env = sizeEnv
        return s.evaluate { env[$0] }
    }

    /// The step of an instruction; nil for a view, which needs none.
    private func compile(_ instr: Instr) throws -> Step? {
        let out = instr.results.map(slot)
        let a = instr.args.map(slot)
        if let r = instr.results.first, views[r.id] != nil, [.reshape, .stopGradient, .at].contains(instr.op) {
            return nil
        }
        let name = instr.args.first.flatMap { v in program.inputs.first { $0.value == v }?.name } ?? "a value"
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
            return .matmul(MatMul(out: out[0], a: a[0], b: a[1], m: m, k: k, n: n))
        case .transpose:
            let d = dims(instr.args[0])
            if d.count == 2 { return .transpose(out: out[0], a: a[0], rows: d[0], cols: d[1]) }
            return .copy(out: out[0], a: a[0])
        case .triSolveLower, .triSolveLowerT:
            let n = dims(instr.args[0])[0]
            let k = max(1, a[1].count / max(1, n))
            return .triSolve(out: out[0], l: a[0], b: a[1], n: n, k: k, transposed: instr.op == .triSolveLowerT)
        case .tril: return .tril(out: out[0], a: a[0], n: dims(instr.args[0])[0])
        case .diagonal: return .diagonal(out: out[0], a: a[0], n: dims(instr.args[0])[0])
        case .diagMatrix: return .diagMatrix(out: out[0], a: a[0], n: a[0].count)
        case .fill: return .fill(out: out[0], a: a[0])
        case .pack: return .pack(out: out[0], items: a)
        case .range: return .range(out: out[0], lo: a[0])
        case .concat: return .concat(out: out[0], a: a[0], b: a[1])
        case .reshape, .stopGradient: return .copy(out: out[0], a: a[0])
        case .at:
            let row: Int
            if case .matrix = program.types[instr.args[0].id].shape { row = dims(instr.args[0])[1] } else { row = 1 }
            return .at(out: out[0], x: a[0], index: a[1], row: row,
                       cache: IndexCache(what: name, constant: fixed(instr.args[1])))
        case .at2:
            let d = dims(instr.args[0])
            let outer = program.types[instr.args[1].id].shape != .scalar && program.types[instr.args[2].id].shape != .scalar
            return .at2(out: out[0], x: a[0], i: a[1], j: a[2], rows: d[0], cols: d[1], outer: outer)
        case .set, .scatterAdd:
            let row: Int
            if case .matrix = program.types[instr.args[0].id].shape { row = dims(instr.args[0])[1] } else { row = 1 }
            return .set(out: out[0], x: a[0], index: a[1], v: a[2], row: row, add: instr.op == .scatterAdd,
                        cache: IndexCache(what: "the assigned value", constant: fixed(instr.args[1])))
        case .set2, .scatterAdd2:
            let d = dims(instr.args[0])
            let outer = program.types[instr.args[1].id].shape != .scalar && program.types[instr.args[2].id].shape != .scalar
            return .set2(out: out[0], x: a[0], i: a[1], j: a[2], v: a[3], rows: d[0], cols: d[1], outer: outer,
                         add: instr.op == .scatterAdd2)
        case .loop:
            let body = instr.regions[0]
            let loop = Loop(lo: a[0], hi: a[1], index: slot(body.params[0]), carried: body.params.dropFirst().map(slot),
                            inits: Array(a.dropFirst(2)), yields: body.yields.map(slot), results: out)
            loop.body = try body.instrs.compactMap(compile)
            return .loop(loop)
        case .cond:
            let cond = Cond(condition: a[0], results: out)
            for k in 0..<2 {
                cond.branches[k] = try instr.regions[k].instrs.compactMap(compile)
                cond.yields[k] = instr.regions[k].yields.map(slot)
            }
            return .cond(cond)
        }
    }

    /// Constants live in a small side table that is never freed before the executable.
    private var constants: [UnsafeMutablePointer<Double>] = []

    private func constantSlot(_ x: Double) -> Slot {
        let p = UnsafeMutablePointer<Double>.allocate(capacity: 1)
        p.initialize(to: x)
        constants.append(p)
        return Slot(ptr: p, count: 1, copies: 1)
    }
}
