import CMPI
import PPLEngine
import PPLInference
import PPLSema

/// A fit's data split over the R ranks of an MPI job along the size N (`ppl fit --shard N`
/// under `mpirun -np R`), as Stan's map_rect splits its shards: rank k holds rows
/// [k⌊N/R⌋ + min(k, N mod R), …) — ⌊N/R⌋ or one more — read alone from the data file.
public struct Shard: Sendable {
    /// The int data whose rows are split.
    public let size: String
    public let rank: Int
    public let ranks: Int

    public init(size: String, rank: Int, ranks: Int) {
        (self.size, self.rank, self.ranks) = (size, rank, ranks)
    }

    /// This rank's rows of `total`; fewer rows than ranks is the data's error (`file`).
    func rows(of total: Int, file: String) throws(PPLError) -> Range<Int> {
        guard total >= ranks else {
            throw .user("\(file): --shard \(size): '\(size)' is \(total), too few rows for \(ranks) ranks (each needs one at least)")
        }
        let (share, extra) = total.quotientAndRemainder(dividingBy: ranks)
        func start(_ k: Int) -> Int { k * share + min(k, extra) }
        return start(rank)..<start(rank + 1)
    }
}

/// The ranks of the MPI job a sharded fit runs in (Open MPI, loaded at run time: `ppl_mpi.h`).
public final class Ranks: @unchecked Sendable {
    public let rank: Int
    public let count: Int

    /// Joins the job (MPI_Init); a library that cannot be loaded or started is the user's
    /// error, with what to install.
    public init() throws(PPLError) {
        var why = [CChar](repeating: 0, count: 1024)
        guard ppl_mpi_start(&why, why.count) == 0 else {
            throw .user("--shard runs under MPI, which did not start: " + String(cString: why))
        }
        rank = Int(ppl_mpi_rank())
        count = Int(ppl_mpi_size())
    }

    /// Sums `values` over the ranks, in place; every rank gets the same sums. An MPI failure
    /// ends the job (Open MPI's default handler aborts every rank before this returns).
    public func sum(_ values: UnsafeMutableBufferPointer<Double>) {
        guard count > 1, values.count > 0 else { return }
        let status = ppl_mpi_sum(values.baseAddress, values.count)
        if status != 0 { abort("MPI_Allreduce failed (error \(status))", code: PPLError.Kind.internal.exitCode) }
    }

    /// The sum over the ranks as the fitting code reads it.
    public var rankSum: RankSum { RankSum { [self] in self.sum($0) } }

    /// Each rank's `value` (one slot per rank), on every rank.
    public func gather(_ value: Double) -> [Double] {
        var slots = [Double](repeating: 0, count: count)
        slots[rank] = value
        slots.withUnsafeMutableBufferPointer { sum($0) }
        return slots
    }

    /// Ends every rank of the job, after `message` on standard error.
    public func abort(_ message: String, code: Int32) -> Never {
        _ = OutputFile.writeToDescriptor(2, "ppl: rank \(rank) of \(count): \(message)\n")
        ppl_mpi_abort(code)
        fatalError("MPI_Abort returned")
    }

    /// MPI_Finalize, at the end of a sharded command on every rank.
    public func finish() { ppl_mpi_finish() }
}
