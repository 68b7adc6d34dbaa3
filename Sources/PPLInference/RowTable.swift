import Foundation
import PPLSema

/// The per-row guide parameters of local latents in a minibatched fit
/// (`LocalLatents.Rows.perRow`). The fit keeps every row's (μ_n, log σ_n) in φ laid out for
/// the N rows; a step's program reads the batch's rows laid out for its M. Before a step the
/// batch's rows are copied in, after it they are updated, each row with its own Adam moments
/// and step count: a row moves only in the steps whose batch holds it (lazy Adam, as sparse
/// embeddings are trained), so a step costs O(M), not O(N).
public struct RowTable {
    /// The length of φ_g, at the start of both layouts.
    public let globals: Int
    /// The parameters of a row: 2 per local coordinate.
    public let width: Int
    public let rows: Int
    /// Per slot j of a row: its position for row 0, and the step to the next row, in each layout.
    private let fullStart: [Int], batchStart: [Int], stride: [Int]

    public init(full: LocalLatents, fullDimension: Int, batch: LocalLatents, batchDimension: Int) {
        globals = full.globalParameterCount(fullDimension)
        width = 2 * full.width
        rows = full.rows
        let starts = (0..<width).map { full.rowParameter(0, $0, dimension: fullDimension) }
        fullStart = starts
        batchStart = (0..<width).map { batch.rowParameter(0, $0, dimension: batchDimension) }
        stride = (0..<width).map { full.rowParameter(1, $0, dimension: fullDimension) - starts[$0] }
    }

    /// Slot j of row n in the full layout.
    public func full(_ n: Int, _ j: Int) -> Int { fullStart[j] + n * stride[j] }
    /// Slot j of the batch's b-th row in the batch's layout.
    public func batch(_ b: Int, _ j: Int) -> Int { batchStart[j] + b * stride[j] }
}

/// Adam over a `RowTable`'s rows, each with its own step count for the bias corrections.
struct RowAdam {
    let beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8
    /// The moments, at the full layout's positions.
    private var m: [Double], v: [Double]
    private var t: [Int32]

    init(count: Int, rows: Int) {
        m = [Double](repeating: 0, count: count)
        v = [Double](repeating: 0, count: count)
        t = [Int32](repeating: 0, count: rows)
    }

    /// Row n's step: `scale` × the batch's gradient at its b-th row, into `phi` (full layout).
    mutating func step(row n: Int, at b: Int, table: RowTable, phi: inout [Double], gradient g: UnsafeBufferPointer<Double>,
                       scale: Double, lr: Double) {
        t[n] += 1
        let a = lr / (1 - pow(beta1, Double(t[n]))), r = 1 / (1 - pow(beta2, Double(t[n])))
        for j in 0..<table.width {
            let i = table.full(n, j), gi = scale * g[table.batch(b, j)]
            m[i] = beta1 * m[i] + (1 - beta1) * gi
            v[i] = beta2 * v[i] + (1 - beta2) * gi * gi
            phi[i] += a * m[i] / ((v[i] * r).squareRoot() + epsilon)
        }
    }
}
