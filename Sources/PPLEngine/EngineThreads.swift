import CKernels
import COpenBLAS
import Foundation

/// How many threads an evaluation may use, and where more than one pays.
///
/// OpenBLAS always runs on one thread: its threaded GEMV with a transposed matrix splits
/// the sum over rows between the threads, and its threaded GEMM gave other bits than one
/// thread on a 13×33·33×777 product (measured here, OpenBLAS 0.3.21), so results would
/// depend on the number of threads; and waking its thread team cost 1.4 ms per call on
/// this shared 2-core machine where a 5000×10 GEMV takes 30 µs alone. The engine splits
/// work on its own threads instead, into pieces fixed by the sizes alone (never by the
/// number of threads), each computed as it would be on one thread: results are
/// bit-identical whatever `limit` is.
public enum EngineThreads {
    /// The most threads one evaluation uses; 1 runs everything on the calling thread.
    nonisolated(unsafe) public static var limit = ProcessInfo.processInfo.activeProcessorCount

    /// OpenBLAS's own threads off, once for the process.
    static let blasSingleThreaded: Void = openblas_set_num_threads(1)

    /// Runs `body(c)` for every c in 0..<chunks, on up to `threads` threads (on the calling
    /// thread alone when another evaluation holds the helpers). Chunks must not share outputs.
    static func parallel(_ chunks: Int, threads: Int, _ body: (Int) -> Void) {
        guard chunks > 1, threads > 1 else {
            for c in 0..<chunks { body(c) }
            return
        }
        withoutActuallyEscaping(body) { body in
            var job = body
            withUnsafeMutablePointer(to: &job) { context in
                _ = ppl_parallel_for(chunks, Int32(threads), { context, c in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(c)
                }, context)
            }
        }
    }

    /// Elements per chunk of an elementwise step (a multiple of the widest SIMD vector, so
    /// every chunk takes the vector path and the remainder stays at the end).
    static let elementChunk = 4096
    /// Elements from which a libmvec function (exp, log1p, ...) is split: 16,384 of them
    /// take about 20 µs, against a few µs to hand chunks to a spinning helper.
    static let transcendentalThreshold = 16384
    /// Elements from which +, −, ×, ÷ are split (memory-bound: 1 ns an element or less).
    static let arithmeticThreshold = 131_072
    /// Multiply-adds from which a product is split over particles or row blocks.
    static let productThreshold = 65536
    /// Rows of a matrix–vector block (of a shared data matrix times one particle's vector).
    static let rowBlock = 2048
    /// Rows of the result per block of one large matrix product (a minibatch's rows through
    /// a network's layer), a multiple of OpenBLAS's micro-tile rows as `particleBlock` is.
    static let gemmRowBlock = 64
    /// Multiply-adds from which one matrix product is split into row blocks: 2²⁰ take about
    /// 50 µs, against a few µs to hand a block to a helper.
    static let gemmThreshold = 1 << 20
    /// Particles per GEMM of a shared matrix times every particle's vector (a multiple of
    /// OpenBLAS's 4-row micro-tile: splitting there gave the bits of the whole product).
    static let particleBlock = 8
}
