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
    /// Outputs asked for as sums over the particles (see `summedOutput`).
    private let summed: Set<Int>
    private var scratch = UnsafeMutableBufferPointer<Double>(start: nil, count: 0)
    /// Values recomputed on every evaluation (they depend on a varying or shared input).
    private let dynamic: [Bool]
    /// Inputs and values defined at the top level: fixed for a whole evaluation (values in
    /// a loop body change from one iteration to the next).
    private var topLevel: Set<Value> = []
    private var slots: [Slot?]
    /// Values living in another value's buffer (see `aliases`).
    private var views: [Alias?] = []
    /// The scatter-adds of vectors assembled in place, and their zeros (see `destinations`).
    private var assembly: [Value: Link] = [:]
    enum Link { case zeros, placed, assigned }
    /// Transposes of one-copy matrices used only as the left operand of products, which
    /// read the matrix transposed instead: transpose → its source.
    private var foldedTransposes: [Value: Value] = [:]
    /// Buffers holding the sum over the particles of a per-particle value used by a sum.
    private var particleSums: [Value: Slot] = [:]
    private var summedSoFar = Set<Value>()
    private let arena: UnsafeMutablePointer<Double>
    private let arenaSize: Int
    private var steps: [Step] = []
    var failure: String?

    /// Compiles `program` for `batch` particles. `varying` names the inputs that differ per
    /// particle (their buffers hold `batch` copies); `shared` the inputs set before each
    /// evaluation but common to all particles (one copy); every other input must be in
    /// `data` and is fixed. Outputs named in `summed` are only read as their sum over the
    /// particles, which lets the work that leads only to them be done on sums (one copy).
    public init(_ program: Program, varying: Set<String>, shared: Set<String> = [], data: [String: Tensor],
                batch: Int = 1, summed: Set<String> = []) throws {
        self.program = program
        self.batch = max(1, batch)
        var varies = [Bool](repeating: false, count: program.types.count)
        for i in program.inputs where varying.contains(i.name) { varies[i.value.id] = true }
        Executable.markVarying(program.body, &varies)
        self.varies = varies
        self.summed = Set(summed.compactMap { program.outputNames.firstIndex(of: $0) })
        // Values held as one copy: those that do not vary, and the sums (every value, for
        // one particle).
        var single = varies.map { [batch = self.batch] in !$0 || batch == 1 }
        if self.batch > 1 {
            for r in Executable.reducible(program, varies: varies, summed: self.summed) { single[r.id] = true }
        }
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
        var alias = Executable.aliases(program, dynamic: dynamic, single: single, sizes: env)
        for v in defined {
            guard let n = program.types[v.id].shape.count.evaluate({ env[$0] }) else {
                throw EngineError("the size \(program.types[v.id].shape.count) cannot be computed from the data")
            }
            guard n <= Int(Int32.max) / self.batch else {
                throw EngineError("the program needs a value of \(n) elements for each of \(self.batch) draws, more than "
                                  + "the engine holds (\(Int32.max) elements in all)")
            }
            counts[v.id] = max(0, n)
        }
        assembly = Executable.destinations(program, alias: &alias, dynamic: dynamic, single: single, counts: counts, sizes: env)
        var total = 0
        for v in defined {
            // A segment that does not fit is left to the gather, which reports the index.
            if let a = alias[v.id], a.offset + counts[v.id] > counts[a.root.id] { alias[v.id] = nil }
            if alias[v.id] == nil { total += counts[v.id] * (single[v.id] ? 1 : self.batch) }
        }
        views = alias
        foldedTransposes = Executable.foldableTransposes(program, single: single)
        // Per-particle arguments of the sums, summed into buffers of their own.
        var sums: [Value] = []
        for instr in program.body.instrs where instr.results.count == 1 && varies[instr.results[0].id] && single[instr.results[0].id] {
            for p in Executable.linearPositions(instr, varies: varies) ?? [] {
                let a = instr.args[p]
                guard !single[a.id], !sums.contains(a) else { continue }
                sums.append(a)
                total += counts[a.id]
            }
        }
        arenaSize = max(1, total)
        arena = .allocate(capacity: arenaSize)
        arena.initialize(repeating: 0, count: arenaSize)
        slots = [Slot?](repeating: nil, count: program.types.count)
        var offset = 0
        // Buffers first, then the values living in them (a root may be defined after them).
        for v in defined where alias[v.id] == nil {
            let copies = single[v.id] ? 1 : self.batch
            slots[v.id] = Slot(ptr: arena + offset, count: counts[v.id], copies: copies)
            offset += counts[v.id] * copies
        }
        for v in defined {
            guard let a = alias[v.id] else { continue }
            slots[v.id] = Slot(ptr: slots[a.root.id]!.ptr + a.offset, count: counts[v.id], copies: single[v.id] ? 1 : self.batch)
        }
        for a in sums {
            particleSums[a] = Slot(ptr: arena + offset, count: counts[a.id], copies: 1)
            offset += counts[a.id]
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
            let compiled = try compileSumming(instr)
            if instr.results.contains(where: { dynamic[$0.id] }) { steps += compiled } else { once += compiled }
        }
        execute(once)
        if let failure { throw EngineError(failure) }
    }

    deinit {
        arena.deallocate()
        scratch.deallocate()
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

    /// An output named in `summed` at construction: its sum over the particles.
    public func summedOutput(_ handle: Int) -> UnsafeBufferPointer<Double> {
        let y = program.body.yields[handle]
        let s = slots[y.id]!
        precondition(summed.contains(handle), "'\(program.outputNames[handle])' was not asked for as a sum")
        if s.copies == 1 && varies[y.id] { return UnsafeBufferPointer(start: s.ptr, count: s.count) }
        // Not reducible: add the particles' copies here (or scale a value they share).
        if scratch.count != s.count {
            scratch.deallocate()
            scratch = .allocate(capacity: s.count)
        }
        for i in 0..<s.count {
            var t = 0.0
            for k in 0..<batch { t += s.copies == 1 ? s.ptr[i] : s.base(k)[i] }
            scratch[i] = t
        }
        return UnsafeBufferPointer(scratch)
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
    /// - views: `reshape`, `stopGradient`, the transpose of a vector, and `at` of one copy with a constant contiguous
    ///   range (a segment of φ); they run no step at all;
    /// - in-place updates: `set`/`scatter_add` into an argument computed on every
    ///   evaluation in the same block whose only use is this instruction and whose buffer
    ///   no other value sees. A gradient assembled by a chain of scatter-adds then costs
    ///   the segments, not a copy of the whole vector at every link.
    /// Block parameters (loop-carried values) are never aliased: the loop overwrites them.
    private static func aliases(_ program: Program, dynamic: [Bool], single: [Bool], sizes: [String: Int]) -> [Alias?] {
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
        func constant(_ v: Value) -> Double? { constantValue(v, definition, sizes) }
        /// `carried`: for a loop body, each carried parameter and the position of the yield
        /// that becomes its next value.
        func assign(_ b: Block, carried: [Value: Int] = [:]) {
            var local = Set<Value>()
            for instr in b.instrs {
                for r in instr.regions {
                    var next: [Value: Int] = [:]
                    if instr.op == .loop { for (k, p) in r.params.enumerated() where k > 0 { next[p] = k - 1 } }
                    assign(r, carried: next)
                }
                defer {
                    local.formUnion(instr.results)
                    for r in instr.results where alias[r.id] == nil { exclusive[r.id] = true }
                }
                guard let x = instr.args.first, let r = instr.results.first, single[x.id] == single[r.id] else { continue }
                // A carried value updated in place and yielded as its own next value: the
                // loop's tapes and accumulators, which would otherwise be copied whole at
                // every iteration.
                if [.set, .scatterAdd, .set2, .scatterAdd2].contains(instr.op), let k = carried[x], b.yields[k] == r,
                   uses[x.id] == 1, uses[r.id] == 1 {
                    alias[r.id] = Alias(root: x, offset: 0)
                    exclusive[r.id] = true
                    continue
                }
                guard local.contains(x) || inputs.contains(x) else { continue }
                let root = alias[x.id] ?? Alias(root: x, offset: 0)
                switch instr.op {
                case .reshape, .stopGradient:
                    alias[r.id] = root
                    exclusive[r.id] = exclusive[x.id] && uses[x.id] == 1
                case .transpose where program.types[x.id].shape.rank == 1:
                    // A vector and its transpose have the same elements in the same order.
                    alias[r.id] = root
                    exclusive[r.id] = exclusive[x.id] && uses[x.id] == 1
                case .at:
                    guard single[x.id], case .vector = program.types[x.id].shape,
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

    /// The value of a constant or of a size computed from the data; nil for anything else.
    private static func constantValue(_ v: Value, _ definition: [Value: Instr], _ sizes: [String: Int]) -> Double? {
        switch definition[v]?.op {
        case .const(let x)?: return x
        case .size(let n)?: return n.evaluate { sizes[$0] }.map(Double.init)
        default: return nil
        }
    }

    /// Vectors assembled from disjoint pieces: a chain of scatter-adds at constant
    /// positions into zeros (a gradient collected from its segments). Adding a piece to
    /// zeros is writing it, so the zeros are never written again (the arena starts zeroed
    /// and no piece touches the rest: their fill runs no step) and each link either
    /// - `placed`: the piece is computed directly in its place in the result's buffer and
    ///   the link runs no step. The piece must be the buffer of its own top-level
    ///   instruction (read through views at most), recomputed on every evaluation, or a
    ///   vector assembled the same way (which moves with it); or
    /// - `assigned`: the piece is copied into its place.
    /// The chain is taken whole or not at all, and nothing may update the result in place
    /// afterwards. Returns what becomes of each link and of the zeros.
    private static func destinations(_ program: Program, alias: inout [Alias?], dynamic: [Bool], single: [Bool],
                                     counts: [Int], sizes: [String: Int]) -> [Value: Link] {
        let instrs = program.body.instrs
        var definition: [Value: Instr] = [:]
        var uses: [Value: [Instr]] = [:]
        for instr in instrs {
            for r in instr.results { definition[r] = instr }
            for a in instr.args { uses[a, default: []].append(instr) }
            for region in instr.regions {
                for v in region.freeValues { uses[v, default: []].append(instr) }
            }
        }
        let yielded = Set(program.body.yields)
        func constant(_ v: Value) -> Double? { constantValue(v, definition, sizes) }
        /// The 0-based first position and length a constant index covers.
        func segment(_ index: Value) -> (start: Int, count: Int)? {
            if let i = constant(index) { return (Int(i) - 1, 1) }
            guard let r = definition[index], r.op == .range, let lo = constant(r.args[0]), let hi = constant(r.args[1]),
                  lo >= 1, hi >= lo else { return nil }
            return (Int(lo) - 1, Int(hi - lo) + 1)
        }
        let updates: [Op] = [.set, .scatterAdd, .set2, .scatterAdd2]
        let viewOps: [Op] = [.reshape, .stopGradient, .transpose, .at]
        var plan: [Value: Link] = [:]
        for root in instrs where root.results.count == 1 {
            let zeros = root.results[0]
            guard case .fill = root.op, constant(root.args[0]) == 0, case .vector = program.types[zeros.id].shape
            else { continue }
            let length = counts[zeros.id]
            // Follow the chain of single-use scatter-adds.
            var links: [Instr] = []
            var current = zeros
            while !yielded.contains(current), let next = uses[current], next.count == 1, next[0].op == .scatterAdd,
                  next[0].args[0] == current {
                links.append(next[0])
                current = next[0].results[0]
            }
            guard !links.isEmpty, !(uses[current] ?? []).contains(where: { updates.contains($0.op) && $0.args[0] == current })
            else { continue }
            var covered = [Bool](repeating: false, count: length)
            var segments: [(start: Int, count: Int)] = []
            for link in links {
                guard let seg = segment(link.args[1]), seg.start + seg.count <= length,
                      !covered[seg.start..<(seg.start + seg.count)].contains(true), counts[link.args[2].id] == seg.count,
                      single[link.args[2].id] == single[zeros.id], single[link.results[0].id] == single[zeros.id] else { break }
                for k in seg.start..<(seg.start + seg.count) { covered[k] = true }
                segments.append(seg)
            }
            guard segments.count == links.count else { continue }
            var placements: [(owner: Value, offset: Int)] = []
            for (link, seg) in zip(links, segments) {
                alias[link.results[0].id] = Alias(root: zeros, offset: 0)
                let piece = link.args[2]
                // The buffer the piece is read from: its own, or the one it is a whole view of.
                let owner = alias[piece.id].map(\.root) ?? piece
                var placeable = false
                if alias[piece.id]?.offset ?? 0 == 0, let made = definition[owner], made.regions.isEmpty,
                   dynamic[owner.id] || plan[owner] == .zeros, single[owner.id] == single[zeros.id], counts[owner.id] == seg.count,
                   !updates.contains(made.op), !viewOps.contains(made.op), !placements.contains(where: { $0.owner == owner }) {
                    // Whatever lives in the owner's buffer must only read it, unless the
                    // owner is itself assembled from pieces (which move with it).
                    placeable = plan[owner] == .zeros || program.types.indices.allSatisfy { id in
                        alias[id]?.root != owner || definition[Value(id)].map { viewOps.contains($0.op) } == true
                    }
                }
                if placeable { placements.append((owner, seg.start)) }
                plan[link.results[0]] = placeable ? .placed : .assigned
            }
            for (owner, offset) in placements {
                for id in program.types.indices where alias[id]?.root == owner {
                    alias[id] = Alias(root: zeros, offset: offset + alias[id]!.offset)
                }
                alias[owner.id] = Alias(root: zeros, offset: offset)
            }
            plan[zeros] = .zeros
        }
        return plan
    }

    /// The values that can be computed as their sum over the particles: top-level values
    /// whose every use is linear and leads only to summed outputs, and whose own operation
    /// gives the sum of the results from the sums of its linear arguments (the others not
    /// varying). Where the chain starts from per-particle values it is an outer product,
    /// adj ⊗ x, whose sum over particles is one matrix-matrix product (the gradient of a
    /// weight matrix summed over the batch). A linear argument that is not itself a sum
    /// (it has other uses per particle) is summed over the particles where it is used; one
    /// that does not vary must be a zero fill (a shared value would have to count S times).
    static func reducible(_ program: Program, varies: [Bool], summed: Set<Int>) -> Set<Value> {
        let instrs = program.body.instrs
        var definition: [Value: Int] = [:]
        var uses: [Value: [(instr: Int, position: Int)]] = [:]
        var escapes = Set<Value>()
        for (k, instr) in instrs.enumerated() {
            for r in instr.results { definition[r] = k }
            for (p, a) in instr.args.enumerated() { uses[a, default: []].append((k, p)) }
            for region in instr.regions { escapes.formUnion(region.freeValues) }
        }
        for (k, y) in program.body.yields.enumerated() where !summed.contains(k) { escapes.insert(y) }
        let outputs = Set(summed.map { program.body.yields[$0] })
        func zero(_ v: Value) -> Bool {
            guard let k = definition[v] else { return false }
            switch instrs[k].op {
            case .const(let x): return x == 0
            case .fill: return zero(instrs[k].args[0])
            default: return false
            }
        }
        func linear(_ instr: Instr) -> [Int]? { linearPositions(instr, varies: varies) }
        var candidates = Set(instrs.filter { linear($0) != nil && $0.results.count == 1 && varies[$0.results[0].id] }
            .map { $0.results[0] })
        var changed = true
        while changed {
            changed = false
            for r in candidates {
                let instr = instrs[definition[r]!]
                let positions = linear(instr)!
                let produces = instr.args.indices.allSatisfy { p in
                    let a = instr.args[p]
                    // A per-particle value in a linear position is summed first.
                    if positions.contains(p) { return varies[a.id] || zero(a) }
                    // Per-particle factors only in an outer product.
                    return !varies[a.id] || (instr.op == .matmul && positions.isEmpty)
                }
                let consumed = !escapes.contains(r) && (outputs.contains(r) || !(uses[r] ?? []).isEmpty)
                    && (uses[r] ?? []).allSatisfy { u in
                        let user = instrs[u.instr]
                        return user.results.count == 1 && candidates.contains(user.results[0])
                            && linear(user)!.contains(u.position)
                    }
                if !produces || !consumed {
                    candidates.remove(r)
                    changed = true
                }
            }
        }
        return candidates
    }

    /// Matrix transposes (top level, of one-copy matrices) whose every use is as the left
    /// operand of a top-level matrix product.
    private static func foldableTransposes(_ program: Program, single: [Bool]) -> [Value: Value] {
        var candidates: [Value: Value] = [:]
        for instr in program.body.instrs where instr.op == .transpose {
            let x = instr.args[0]
            if program.types[x.id].shape.rank == 2, single[x.id] { candidates[instr.results[0]] = x }
        }
        func disqualify(_ b: Block, top: Bool) {
            for instr in b.instrs {
                for (p, a) in instr.args.enumerated() where candidates[a] != nil {
                    if !(top && instr.op == .matmul && p == 0 && program.types[instr.args[1].id].shape.rank >= 1) {
                        candidates[a] = nil
                    }
                }
                for r in instr.regions { disqualify(r, top: false) }
            }
            for y in b.yields { candidates[y] = nil }
        }
        disqualify(program.body, top: true)
        return candidates
    }

    /// The argument positions in which an operation is linear, so that it gives the sum of
    /// its results from the sums of those arguments; nil if it cannot. An outer product of
    /// two per-particle values has none: it is summed as a whole.
    static func linearPositions(_ instr: Instr, varies: [Bool]) -> [Int]? {
        let v = instr.args.map { varies[$0.id] }
        switch instr.op {
        case .binary(.add), .binary(.sub), .concat: return [0, 1]
        case .unary(.neg), .reshape, .stopGradient, .transpose, .sum: return [0]
        case .binary(.mul): return v[0] && v[1] ? nil : [v[0] ? 0 : 1]
        case .binary(.div): return v[1] ? nil : [0]
        case .matmul: return v[0] && v[1] ? [] : [v[0] ? 0 : 1]
        case .scatterAdd: return [0, 2]
        case .scatterAdd2: return [0, 3]
        default: return nil
        }
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

    /// The steps of a top-level instruction: where it works on sums, first the sums over
    /// the particles of its per-particle arguments (each value summed once).
    private func compileSumming(_ instr: Instr) throws -> [Step] {
        guard let r = instr.results.first, slot(r).copies == 1, varies[r.id] else { return try compile(instr).map { [$0] } ?? [] }
        var steps: [Step] = []
        var args = instr.args.map(slot)
        for p in Executable.linearPositions(instr, varies: varies) ?? [] {
            let a = instr.args[p]
            guard let sum = particleSums[a] else { continue }
            if summedSoFar.insert(a).inserted { steps.append(.particleSum(out: sum, a: slot(a))) }
            args[p] = sum
        }
        return steps + (try compile(instr, args: args).map { [$0] } ?? [])
    }

    /// The step of an instruction; nil for a view, which needs none.
    private func compile(_ instr: Instr, args: [Slot]? = nil) throws -> Step? {
        let out = instr.results.map(slot)
        let a = args ?? instr.args.map(slot)
        if let r = instr.results.first, views[r.id] != nil, [.reshape, .stopGradient, .at, .transpose].contains(instr.op) {
            return nil
        }
        if let r = instr.results.first, [.zeros, .placed].contains(assembly[r]) { return nil }
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
            if let source = foldedTransposes[instr.args[0]] {
                return .matmul(MatMul(out: out[0], a: slot(source), b: a[1], m: m, k: k, n: n, transposedA: true))
            }
            return .matmul(MatMul(out: out[0], a: a[0], b: a[1], m: m, k: k, n: n))
        case .transpose:
            if foldedTransposes[instr.results[0]] != nil { return nil }
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
        case .pack: return .pack(out: out[0], items: keep(SlotList(a)))
        case .range: return .range(out: out[0], lo: a[0])
        case .concat: return .concat(out: out[0], a: a[0], b: a[1])
        case .reshape, .stopGradient: return .copy(out: out[0], a: a[0])
        case .at:
            let row: Int
            if case .matrix = program.types[instr.args[0].id].shape { row = dims(instr.args[0])[1] } else { row = 1 }
            return .at(out: out[0], x: a[0], index: a[1], row: row,
                       cache: keep(IndexCache(what: name, constant: fixed(instr.args[1]))))
        case .at2:
            let d = dims(instr.args[0])
            let outer = program.types[instr.args[1].id].shape != .scalar && program.types[instr.args[2].id].shape != .scalar
            return .at2(out: out[0], x: a[0], i: a[1], j: a[2], rows: d[0], cols: d[1], outer: outer)
        case .set, .scatterAdd:
            let row: Int
            if case .matrix = program.types[instr.args[0].id].shape { row = dims(instr.args[0])[1] } else { row = 1 }
            let add = instr.op == .scatterAdd && assembly[instr.results[0]] != .assigned
            return .set(out: out[0], x: a[0], index: a[1], v: a[2], row: row, add: add,
                        cache: keep(IndexCache(what: "the assigned value", constant: fixed(instr.args[1]))))
        case .set2, .scatterAdd2:
            let d = dims(instr.args[0])
            let outer = program.types[instr.args[1].id].shape != .scalar && program.types[instr.args[2].id].shape != .scalar
            return .set2(out: out[0], x: a[0], i: a[1], j: a[2], v: a[3], rows: d[0], cols: d[1], outer: outer,
                         add: instr.op == .scatterAdd2)
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

    /// The objects steps refer to unmanaged, kept alive as long as the executable.
    private var objects: [AnyObject] = []

    private func keep<T: AnyObject>(_ object: T) -> Unmanaged<T> {
        objects.append(object)
        return .passUnretained(object)
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
