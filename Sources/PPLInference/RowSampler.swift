import PPLEngine

/// The rows a minibatched fit reads at each step (`MinibatchedDensity`): each epoch a fresh
/// seeded permutation of the N rows (Fisher–Yates), cut into consecutive batches of M. A row
/// is in a batch at most once, and every row is in a step's batch with probability M/N, which
/// is what makes the N/M-scaled density of a batch unbiased; the N mod M rows left at the end
/// of an epoch wait for the next permutation.
public struct RowSampler {
    public let rows: Int
    public let batch: Int
    private var rng: RNG
    private var order: [Int32]
    private var position: Int

    public init(rows: Int, batch: Int, seed: UInt64) {
        precondition(batch >= 1 && batch <= rows && rows <= Int(Int32.max), "a batch is 1 to N rows")
        self.rows = rows
        self.batch = batch
        rng = RNG(seed: seed)
        order = (1...rows).map { Int32($0) }
        position = rows
    }

    /// The next batch's rows, 1-based, into `out` (M of them).
    public mutating func fill(_ out: UnsafeMutableBufferPointer<Double>) {
        if position + batch > rows {
            for i in stride(from: rows - 1, to: 0, by: -1) {
                order.swapAt(i, Int(rng.next() % UInt64(i + 1)))
            }
            position = 0
        }
        for k in 0..<batch { out[k] = Double(order[position + k]) }
        position += batch
    }
}
