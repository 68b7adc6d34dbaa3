import Foundation
import PPLDiff
import PPLDriver
import PPLEngine
import PPLIR
import PPLInference
import PPLSema
import XCTest

/// Minibatching (`MinibatchedDensity`): a batch's density, scaled by the compiler, is an
/// unbiased estimate of the full data's.
final class MinibatchTests: XCTestCase {
    /// Every kind of term the scaling must get right: priors (not scaled), a gather by a
    /// row-aligned index (`a[g]`), a matrix times the params, a likelihood whose IR counts
    /// the rows (`size N` times log sigma and lgamma terms), a second likelihood on a
    /// transformed eta, and N read as a number (the data's N, not the batch's).
    static let source = """
        data N: int<lower=1>
        data J: int<lower=1>
        data K: int<lower=1>
        data g: array[N] int<lower=1, upper=J>
        data X: matrix[N, K]
        data y: vector[N]
        data c: array[N] int<lower=0, upper=1>
        param mu: real
        param tau: real<lower=0>
        param a: vector[J]
        param beta: vector[K]
        param sigma: real<lower=0>
        mu ~ normal(0, 5)
        tau ~ half_normal(1)
        a ~ normal(mu, tau)
        beta ~ normal(0, 1)
        sigma ~ half_normal(1)
        let eta = a[g] + X * beta
        y ~ student_t(4, eta, sigma)
        c ~ bernoulli_logit(eta / 2)
        target += -square(mu) / N
        """

    static func runtime(rows n: Int) throws -> ModelRuntime {
        let checked = try XCTUnwrap(Compilation.compile(file: .init(path: "t.ppl", text: source)).model)
        var rng = RNG(seed: 4)
        let j = 3, k = 2
        let data: [String: Tensor] = [
            "N": Tensor(scalar: Double(n)), "J": Tensor(scalar: Double(j)), "K": Tensor(scalar: Double(k)),
            "g": Tensor(vector: (0..<n).map { Double(1 + $0 % j) }),
            "X": Tensor(shape: [n, k], values: (0..<(n * k)).map { _ in rng.normal() }),
            "y": Tensor(vector: (0..<n).map { _ in rng.normal() }),
            "c": Tensor(vector: (0..<n).map { _ in rng.uniform() < 0.4 ? 1 : 0 }),
        ]
        return try ModelRuntime(model: checked, data: data)
    }

    /// The density and its gradient at θ: of the full data, or of the batch `rows`.
    static func evaluate(_ program: Program, data: [String: Tensor], theta: [Double],
                         rows: [Int]? = nil) throws -> (target: Double, gradient: [Double]) {
        let gradient = try Differentiator.gradient(program, wrt: ["theta"])
        let x = try Executable(gradient, varying: ["theta"], shared: rows == nil ? [] : [MinibatchedDensity.indexInput],
                               data: data)
        _ = x.input("theta").update(fromContentsOf: theta)
        if let rows { _ = x.input(MinibatchedDensity.indexInput).update(fromContentsOf: rows.map(Double.init)) }
        try x.run()
        return (x.output("target")[0], Array(x.output("grad.theta")))
    }

    /// Unbiasedness, exactly: over a fixed partition of the N = 12 rows into batches of
    /// M = 4 (shuffled, so a batch is not a range), the mean of the batches' densities and
    /// of their gradients is the full data's, to rounding. Scaling a term that is not a sum
    /// over the rows, or not scaling one that is, breaks the equality by far more.
    func testTheMeanOverAPartitionIsTheFullDataDensityAndGradient() throws {
        let runtime = try Self.runtime(rows: 12)
        var batches = try FitSession.Batches(Minibatch(size: "N", batch: 4), runtime: runtime)
        XCTAssertEqual(batches.gathered, ["g", "X", "y", "c"])
        var rng = RNG(seed: 9)
        let theta = (0..<runtime.dimension).map { _ in 0.7 * rng.normal() }
        try assertUnbiased(batches, runtime, theta)
        // With the control variate anchored at another point (AnchoredBatchDensity), still so.
        try batches.anchor(at: (0..<runtime.dimension).map { _ in 0.5 * rng.normal() }, runtime: runtime)
        try assertUnbiased(batches, runtime, theta)
    }

    func assertUnbiased(_ batches: FitSession.Batches, _ runtime: ModelRuntime, _ theta: [Double]) throws {
        let full = try Self.evaluate(runtime.space.density, data: runtime.values, theta: theta)
        let order = [7, 2, 11, 4, 9, 1, 12, 5, 3, 10, 6, 8]
        var target = 0.0, gradient = [Double](repeating: 0, count: theta.count)
        for b in 0..<3 {
            let part = try Self.evaluate(batches.density, data: batches.data, theta: theta, rows: Array(order[(4 * b)..<(4 * b + 4)]))
            target += part.target / 3
            for i in gradient.indices { gradient[i] += part.gradient[i] / 3 }
        }
        XCTAssertEqual(target, full.target, accuracy: 1e-10 * abs(full.target))
        let scale = full.gradient.map(abs).max()!
        for (i, (mean, exact)) in zip(gradient, full.gradient).enumerated() {
            XCTAssertEqual(mean, exact, accuracy: 1e-10 * scale, "component \(i)")
        }
        // One batch alone is not the full data's: the test would see a wrong scale.
        let one = try Self.evaluate(batches.density, data: batches.data, theta: theta, rows: Array(order[0..<4]))
        XCTAssertGreaterThan(abs(one.target - full.target), 1e-3)
    }
}
