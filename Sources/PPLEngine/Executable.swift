import CKernels
import Foundation
import PPLIR

/// An IR program compiled for evaluation: it lays out its memory as its `BufferPlan` says
/// (one arena), turns instructions into steps with their buffers resolved, and runs the
/// work that does not depend on the varying inputs (data-only work) once, when the data
/// are bound. One evaluation runs `batch` particles at once.
public final class Executable {
    public let program: Program
    public let batch: Int
    let plan: BufferPlan
    private var scratch = UnsafeMutableBufferPointer<Double>(start: nil, count: 0)
    /// The parts of a matrix–vector product summed over blocks of rows.
    var rowScratch = UnsafeMutableBufferPointer<Double>(start: nil, count: 0)
    /// Where each value lives in the arena, by id.
    var slots: [Slot?]
    /// The buffers of the plan's `particleSums`.
    var sumSlots: [Value: Slot] = [:]
    /// The particle sums a compiled step already computes.
    var summedSoFar = Set<Value>()
    private let arena: UnsafeMutablePointer<Double>
    private var steps: [Step] = []
    var failure: String?
    /// The threads this evaluation may use: `EngineThreads.limit` when it is the only one
    /// running in the process, else 1 (parallel fits already have the cores busy).
    var threads = 1
    /// The objects steps refer to unmanaged, kept alive as long as the executable.
    var objects: [AnyObject] = []
    /// Constants live in a small side table that is never freed before the executable.
    var constants: [UnsafeMutablePointer<Double>] = []

    /// Compiles `program` for `batch` particles. `varying` names the inputs that differ per
    /// particle (their buffers hold `batch` copies); `shared` the inputs set before each
    /// evaluation but common to all particles (one copy); every other input must be in
    /// `data` and is fixed. Outputs named in `summed` are only read as their sum over the
    /// particles, which lets the work that leads only to them be done on sums (one copy).
    public init(_ program: Program, varying: Set<String>, shared: Set<String> = [], data: [String: Tensor],
                batch: Int = 1, summed: Set<String> = []) throws {
        _ = EngineThreads.blasSingleThreaded
        self.program = program
        plan = try BufferPlan(program, varying: varying, shared: shared, sizes: Executable.sizes(program, data), batch: batch,
                              summed: summed)
        self.batch = plan.batch
        // calloc, not allocate: an arena the system cannot give is an error, not a trap.
        guard let memory = calloc(plan.arenaSize, MemoryLayout<Double>.stride) else {
            throw EngineError("the program's buffers for \(plan.batch) particle\(plan.batch == 1 ? "" : "s") need "
                              + "\(Executable.bytesText(plan.arenaSize * 8)), more memory than the system gives")
        }
        arena = memory.assumingMemoryBound(to: Double.self)
        slots = [Slot?](repeating: nil, count: program.types.count)
        for v in plan.values {
            slots[v.id] = Slot(ptr: arena + plan.start(of: v)!, count: plan.count(of: v), copies: plan.copies(of: v))
        }
        for a in plan.particleSums {
            sumSlots[a] = Slot(ptr: arena + plan.sumStart(of: a)!, count: plan.count(of: a), copies: 1)
        }
        for i in program.inputs where !varying.contains(i.name) && !shared.contains(i.name) {
            guard let t = data[i.name] else { throw EngineError("no value given for '\(i.name)'") }
            let s = slots[i.value.id]!
            guard t.count == s.count else {
                throw EngineError("'\(i.name)' has \(t.count) elements, expected \(s.count)")
            }
            t.values.withUnsafeBufferPointer { s.ptr.update(from: $0.baseAddress!, count: s.count) }
        }
        // Data-only instructions run now; the rest on every evaluation.
        var once: [Step] = []
        for instr in program.body.instrs {
            let compiled = try compileSumming(instr)
            if instr.results.contains(where: plan.isRecomputed) { steps += compiled } else { once += compiled }
        }
        steps = fusingArithmetic(fusingRowBlocks(steps))
        execute(once)
        if let failure { throw EngineError(failure) }
    }

    /// The int scalars among the program's inputs that `data` gives: the sizes.
    static func sizes(_ program: Program, _ data: [String: Tensor]) -> [String: Int] {
        var sizes: [String: Int] = [:]
        for i in program.inputs where i.type == .int {
            if let t = data[i.name], t.count == 1, let n = Int(exactly: t.values[0]) { sizes[i.name] = n }
        }
        return sizes
    }

    /// The largest batch up to `limit` whose buffers take at most `bytes` (at least 1), for a
    /// program run over many draws in chunks: its memory then follows the size of the data,
    /// not the data times the draws (a million observations by 1,000 draws of the frame's
    /// check would be 32 GB at once).
    public static func batch(_ program: Program, varying: Set<String>, shared: Set<String> = [], data: [String: Tensor],
                             upTo limit: Int, bytes: Int = 256 << 20) throws -> Int {
        let sizes = Executable.sizes(program, data)
        let one = try BufferPlan(program, varying: varying, shared: shared, sizes: sizes, batch: 1, summed: []).arenaSize
        let two = try BufferPlan(program, varying: varying, shared: shared, sizes: sizes, batch: 2, summed: []).arenaSize
        let perParticle = max(1, two - one), fixed = max(0, one - perParticle)
        return max(1, min(limit, (bytes / 8 - fixed) / perParticle))
    }

    static func bytesText(_ bytes: Int) -> String {
        let gb = Double(bytes) / Double(1 << 30)
        return gb >= 1 ? String(format: "%.1f GB", gb) : String(format: "%.0f MB", Double(bytes) / Double(1 << 20))
    }

    deinit {
        free(arena)
        scratch.deallocate()
        rowScratch.deallocate()
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
        precondition(plan.summedOutputs.contains(handle), "'\(program.outputNames[handle])' was not asked for as a sum")
        if s.copies == 1 && plan.varies(y) { return UnsafeBufferPointer(start: s.ptr, count: s.count) }
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
        threads = ppl_evaluations(1) == 1 ? EngineThreads.limit : 1
        defer { _ = ppl_evaluations(-1) }
        execute(steps)
        if let failure { throw EngineError(failure) }
    }
}
