import PPLIR

/// Where every value of a program lives while an executable runs it, decided from the
/// program before anything runs: which values differ between the particles and which are
/// recomputed on every evaluation, a buffer for each value in one arena (`batch` copies
/// particle-major, or one), the values that live in another value's buffer (views, updates
/// in place, vectors assembled in place from their pieces), the transposes folded into the
/// products that read them, and the values computed as their sum over the particles.
/// The analyses read one `DefUseIndex` of the program.
public struct BufferPlan {
    public let batch: Int
    /// The inputs and every value the program defines, in the order their buffers are laid
    /// out.
    let values: [Value]
    /// Outputs read only as their sum over the particles (their positions).
    let summedOutputs: Set<Int>
    /// Values that differ between particles (they depend on a varying input), by id.
    private let varyingValues: [Bool]
    /// Values recomputed on every evaluation (they depend on a varying or shared input).
    private let recomputedValues: [Bool]
    /// Values held as one copy: those that do not vary, and the sums (every value, for one
    /// particle).
    private let single: [Bool]
    /// Elements of each value, for one particle.
    private let counts: [Int]
    /// Values living in another value's buffer (see `views`).
    private let aliases: [Alias?]
    /// The scatter-adds of vectors assembled in place, and their zeros (see `assembly`).
    private let links: [Value: Link]
    /// Transposes read transposed by the products that use them: transpose → its source
    /// (see `foldableTransposes`).
    private let transposes: [Value: Value]
    /// The per-particle values summed over the particles into buffers of their own, where
    /// a sum reads them (see `reducible`).
    public let particleSums: [Value]
    /// Where each value's elements start in the arena (a view: inside its root's buffer).
    private let starts: [Int?]
    private let sumStarts: [Value: Int]
    /// Doubles in the arena.
    public let arenaSize: Int
    private let index: DefUseIndex
    private let inputs: Set<Value>

    /// Where a value's elements are when it has no buffer of its own: inside `root`'s,
    /// `offset` elements in.
    public struct Alias: Hashable, Sendable {
        public let root: Value, offset: Int
        public init(root: Value, offset: Int) {
            self.root = root
            self.offset = offset
        }
    }

    /// What becomes of a link of a vector assembled in place (see `assembly`).
    public enum Link: Sendable {
        /// The zeros the vector starts from: never written again.
        case zeros
        /// The piece is computed in its place in the vector's buffer: the link runs no step.
        case placed
        /// The piece is copied into its place.
        case assigned
    }

    /// The plan for `batch` particles. `varying` names the inputs that differ per particle,
    /// `shared` those set before each evaluation but common to all particles; `sizes` gives
    /// the int data that sizes depend on. Outputs named in `summed` are only read as their
    /// sum over the particles, which lets the work that leads only to them be done on sums.
    public init(_ program: Program, varying: Set<String>, shared: Set<String> = [], sizes: [String: Int],
                batch: Int = 1, summed: Set<String> = []) throws {
        let batch = max(1, batch)
        let index = DefUseIndex(program)
        func dependents(_ names: Set<String>) -> [Bool] {
            var marked = Set(program.inputs.filter { names.contains($0.name) }.map(\.value))
            program.body.markDependents(&marked, wholeInstructions: true)
            var flags = [Bool](repeating: false, count: program.types.count)
            for v in marked { flags[v.id] = true }
            return flags
        }
        let varies = dependents(varying)
        let recomputed = dependents(varying.union(shared))
        let summedOutputs = Set(summed.compactMap { program.outputNames.firstIndex(of: $0) })
        var single = varies.map { !$0 || batch == 1 }
        if batch > 1 {
            for r in Self.reducible(program, index, varies: varies, summed: summedOutputs) { single[r.id] = true }
        }
        let values = program.inputs.map(\.value) + index.values
        var counts = [Int](repeating: 0, count: program.types.count)
        for v in values {
            guard let n = program.types[v.id].shape.count.evaluate({ sizes[$0] }) else {
                throw EngineError("the size \(program.types[v.id].shape.count) cannot be computed from the data")
            }
            // Values shared by the particles (the data) are held once.
            guard n <= Int(Int32.max) / (single[v.id] ? 1 : batch) else {
                throw EngineError("the program needs a value of \(n) elements for each of \(batch) draws, more than "
                                  + "the engine holds (\(Int32.max) elements in all)")
            }
            counts[v.id] = max(0, n)
        }
        var aliases = Self.views(program, index, recomputed: recomputed, single: single, sizes: sizes)
        let links = Self.assembly(program, index, aliases: &aliases, recomputed: recomputed, single: single, counts: counts,
                                  sizes: sizes)
        for v in values {
            // A segment that does not fit is left to the gather, which reports the index.
            if let a = aliases[v.id], a.offset + counts[v.id] > counts[a.root.id] { aliases[v.id] = nil }
        }
        // Buffers first, then the values living in them (a root may be defined after them),
        // then the sums over the particles.
        var starts = [Int?](repeating: nil, count: program.types.count)
        var offset = 0
        for v in values where aliases[v.id] == nil {
            starts[v.id] = offset
            offset += counts[v.id] * (single[v.id] ? 1 : batch)
        }
        for v in values {
            guard let a = aliases[v.id] else { continue }
            starts[v.id] = starts[a.root.id]! + a.offset
        }
        var particleSums: [Value] = []
        var sumStarts: [Value: Int] = [:]
        for instr in program.body.instrs where instr.results.count == 1 && varies[instr.results[0].id] && single[instr.results[0].id] {
            for p in Self.linearPositions(instr, varies: varies) ?? [] {
                let a = instr.args[p]
                guard !single[a.id], sumStarts[a] == nil else { continue }
                particleSums.append(a)
                sumStarts[a] = offset
                offset += counts[a.id]
            }
        }
        self.batch = batch
        self.values = values
        self.summedOutputs = summedOutputs
        varyingValues = varies
        recomputedValues = recomputed
        self.single = single
        self.counts = counts
        self.aliases = aliases
        self.links = links
        transposes = Self.foldableTransposes(program, index, single: single)
        self.particleSums = particleSums
        self.starts = starts
        self.sumStarts = sumStarts
        arenaSize = max(1, offset)
        self.index = index
        inputs = Set(program.inputs.map(\.value))
    }

    // MARK: - The plan of a value

    /// Whether `v` differs between particles.
    public func varies(_ v: Value) -> Bool { varyingValues[v.id] }

    /// Whether `v` is recomputed on every evaluation (else it is computed once, when the data
    /// are bound).
    public func isRecomputed(_ v: Value) -> Bool { recomputedValues[v.id] }

    /// A value that is the same in every evaluation and every iteration (an input or a
    /// top-level value not recomputed): indices of such values are converted and checked once.
    public func isFixed(_ v: Value) -> Bool {
        !recomputedValues[v.id] && (inputs.contains(v) || index.isTopLevelResult(v))
    }

    /// Copies of `v` in the arena: `batch`, or 1 for a value common to all particles or
    /// computed as its sum over them.
    public func copies(of v: Value) -> Int { single[v.id] ? 1 : batch }

    /// Elements of `v`, for one particle.
    public func count(of v: Value) -> Int { counts[v.id] }

    /// The buffer `v` lives in when it is not its own.
    public func alias(of v: Value) -> Alias? { aliases[v.id] }

    /// What becomes of `v` if it is a link of a vector assembled in place or its zeros.
    public func link(of v: Value) -> Link? { links[v] }

    /// The matrix whose transpose `v` is, when products read the matrix transposed instead.
    public func foldedTranspose(_ v: Value) -> Value? { transposes[v] }

    /// Where the elements of `v` start in the arena; nil for a value no buffer holds.
    public func start(of v: Value) -> Int? { starts[v.id] }

    /// Where the sum over the particles of `v` (one of `particleSums`) starts in the arena.
    public func sumStart(of v: Value) -> Int? { sumStarts[v] }

    /// The argument positions of a top-level instruction where it reads the sum over the
    /// particles of a per-particle value instead of the value (see `particleSums`).
    func summedArguments(of instr: Instr) -> [Int] {
        guard let r = instr.results.first, varyingValues[r.id], single[r.id] else { return [] }
        return (Self.linearPositions(instr, varies: varyingValues) ?? []).filter { sumStarts[instr.args[$0]] != nil }
    }

    // MARK: - Folded transposes

    /// Matrix transposes (top level, of one-copy matrices) whose every use is as the left
    /// operand of a top-level matrix product.
    private static func foldableTransposes(_ program: Program, _ index: DefUseIndex, single: [Bool]) -> [Value: Value] {
        var folded: [Value: Value] = [:]
        for instr in program.body.instrs where instr.op == .transpose {
            let x = instr.args[0]
            guard program.types[x.id].shape.rank == 2, single[x.id] else { continue }
            let onlyLeftOperand = index.uses(of: instr.results[0]).allSatisfy { use in
                guard use.block == 0, let k = use.instr else { return false }
                let product = index.instrs[k]
                return product.op == .matmul && use.position == 0 && program.types[product.args[1].id].shape.rank >= 1
            }
            if onlyLeftOperand { folded[instr.results[0]] = x }
        }
        return folded
    }

    /// The value of a constant or of a size computed from the data; nil for anything else.
    static func constantValue(_ v: Value, _ index: DefUseIndex, _ sizes: [String: Int]) -> Double? {
        switch index.definition(of: v)?.op {
        case .const(let x)?: return x
        case .size(let n)?: return n.evaluate { sizes[$0] }.map(Double.init)
        default: return nil
        }
    }
}
