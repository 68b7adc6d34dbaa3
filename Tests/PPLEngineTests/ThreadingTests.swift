import Foundation
import PPLDriver
@testable import PPLEngine
import PPLIR
import XCTest

/// The engine's threads (`EngineThreads`) and the row-blocked GLM gradients: results are
/// bit for bit the same on one thread and on several, and the one-pass gradient is the
/// gradient.
final class ThreadingTests: XCTestCase {
    static let bench = ModelGradientTests.bench

    func runtime(_ name: String) throws -> ModelRuntime {
        try ModelRuntime(modelPath: Self.bench + "/models/\(name).ppl", dataPath: Self.bench + "/data/\(name).json")
    }

    /// The gradient program's outputs at `batch` random points, with `threads` threads.
    func gradients(_ runtime: ModelRuntime, batch: Int, threads: Int) throws -> [[Double]] {
        let saved = EngineThreads.limit
        defer { EngineThreads.limit = saved }
        EngineThreads.limit = threads
        let program = try runtime.gradientProgram()
        let e = try runtime.executable(program, batch: batch)
        var rng = RNG(seed: 7)
        let theta = e.input("theta")
        for i in 0..<theta.count { theta[i] = 0.3 * rng.normal() }
        try e.run()
        return (0..<batch).flatMap { s in program.outputNames.map { Array(e.output($0, particle: s)) } }
    }

    /// logistic (20,000 rows: row blocks, split elementwise steps, particle blocks of a GEMM)
    /// and hier_linear (per-particle products) give the same bits on 1, 2 and 3 threads.
    func testGradientsAreBitIdenticalWhateverTheNumberOfThreads() throws {
        for name in ["logistic", "hier_linear"] {
            let r = try runtime(name)
            for batch in [1, 32] {
                let one = try gradients(r, batch: batch, threads: 1)
                for threads in [2, 3] {
                    let many = try gradients(r, batch: batch, threads: threads)
                    XCTAssertEqual(one.count, many.count)
                    for (a, b) in zip(one, many) {
                        XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "\(name), S = \(batch), \(threads) threads")
                    }
                }
            }
        }
    }

    /// Jobs back to back on the helper threads, of varying sizes: each chunk runs once, in
    /// its own job. (A helper that read one job's ticket and the next job's fields once ran
    /// a chunk of the next job early, and twice: about one VAE fit in six trapped on the
    /// task's context outliving the job.)
    func testEveryChunkOfEveryJobRunsOnce() {
        let saved = EngineThreads.limit
        defer { EngineThreads.limit = saved }
        EngineThreads.limit = 2
        var counts = [Int](repeating: 0, count: 64)
        var wrong = 0
        counts.withUnsafeMutableBufferPointer { slots in
            for job in 0..<50_000 {
                let chunks = 2 + job % 7
                EngineThreads.parallel(chunks, threads: 2) { c in slots[c] += job + 1 }
                for c in 0..<chunks where slots[c] != job + 1 { wrong += 1 }
                for c in 0..<chunks { slots[c] = 0 }
            }
        }
        XCTAssertEqual(wrong, 0)
    }

    /// One large matrix product split into blocks of rows (a network's layer over a batch),
    /// forward X·W (512×256·256×128) and in the gradient Xᵀ G (256 rows): the same bits on
    /// one thread and on two, and the gradient is Xᵀ(−X W) computed here.
    func testRowBlockedMatrixProductsAreBitIdentical() throws {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("ppl-gemm-\(getpid())").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        try """
            data N: int<lower=1>
            data X: matrix[N, 256]
            param W: matrix[256, 128]
            target += -0.5 * sum(square(X * W))

            """.write(toFile: d + "/m.ppl", atomically: true, encoding: .utf8)
        var rng = RNG(seed: 3)
        let x = (0..<512).map { _ in (0..<256).map { _ in rng.normal() } }
        try ("{\"N\": 512, \"X\": [" + x.map { "[" + $0.map { String($0) }.joined(separator: ", ") + "]" }.joined(separator: ", ") + "]}")
            .write(toFile: d + "/m.json", atomically: true, encoding: .utf8)
        let r = try ModelRuntime(modelPath: d + "/m.ppl", dataPath: d + "/m.json")
        let one = try gradients(r, batch: 1, threads: 1), two = try gradients(r, batch: 1, threads: 2)
        XCTAssertEqual(one.map { $0.map(\.bitPattern) }, two.map { $0.map(\.bitPattern) })
        // θ is W row-major, drawn as `gradients` draws it.
        var draw = RNG(seed: 7)
        let w = (0..<(256 * 128)).map { _ in 0.3 * draw.normal() }
        let xw = x.map { row in (0..<128).map { j in (0..<256).reduce(0.0) { $0 + row[$1] * w[$1 * 128 + j] } } }
        let grad = try XCTUnwrap(one.first { $0.count == 256 * 128 })
        for (i, j) in [(0, 0), (17, 99), (255, 127)] {
            let expected = -(0..<512).reduce(0.0) { $0 + x[$1][i] * xw[$1][j] }
            XCTAssertEqual(grad[i * 128 + j], expected, accuracy: 1e-9 * max(1, abs(expected)))
        }
    }

    /// The one-pass gradient of logistic regression against its formula computed here row
    /// by row: ∂/∂α = Σ (y − p) − α/25, ∂/∂β = Xᵀ(y − p) − β, p = inv_logit(α + Xβ); and its
    /// log density against the program without the gradient (which has no row blocks).
    func testRowBlockedLogisticGradientIsTheGradient() throws {
        let r = try runtime("logistic")
        let data = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.bench + "/data/logistic.json")))
            as! [String: Any]
        let X = (data["X"] as! [[Double]]), y = (data["y"] as! [Int]).map(Double.init)
        let K = X[0].count
        let program = try r.gradientProgram()
        let density = try r.executable(r.space.density, batch: 3)
        let e = try r.executable(program, batch: 3)
        var rng = RNG(seed: 3)
        let theta = e.input("theta")
        for i in 0..<theta.count { theta[i] = 0.2 * rng.normal() }
        _ = density.input("theta").update(fromContentsOf: theta)
        try e.run()
        try density.run()
        for s in 0..<3 {
            let t = Array(theta[(s * (K + 1))..<((s + 1) * (K + 1))])
            var g = [Double](repeating: 0, count: K + 1)
            for (row, yi) in zip(X, y) {
                var eta = t[0]
                for j in 0..<K { eta += row[j] * t[j + 1] }
                let residual = yi - 1 / (1 + Foundation.exp(-eta))
                g[0] += residual
                for j in 0..<K { g[j + 1] += residual * row[j] }
            }
            g[0] -= t[0] / 25
            for j in 0..<K { g[j + 1] -= t[j + 1] }
            let ours = e.output("grad.theta", particle: s)
            for j in 0...K { XCTAssertEqual(ours[j], g[j], accuracy: 1e-9 * max(1, abs(g[j])), "particle \(s), component \(j)") }
            let target = e.output("target", particle: s)[0], plain = density.output("target", particle: s)[0]
            XCTAssertEqual(target, plain, accuracy: 1e-11 * abs(plain), "particle \(s)")
        }
    }
}
