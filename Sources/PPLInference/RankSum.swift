/// The sum over the ranks of a sharded fit (MPI_Allreduce), in place: each rank computes its
/// part of a density's value and gradient — the same draws, its own rows — and the parts
/// are summed before anything reads them, so that every rank takes the same step.
public struct RankSum: @unchecked Sendable {
    public let sum: (UnsafeMutableBufferPointer<Double>) -> Void

    public init(_ sum: @escaping (UnsafeMutableBufferPointer<Double>) -> Void) { self.sum = sum }

    /// Sums `values` over the ranks.
    public func callAsFunction(_ values: inout [Double]) {
        values.withUnsafeMutableBufferPointer { sum($0) }
    }
}
