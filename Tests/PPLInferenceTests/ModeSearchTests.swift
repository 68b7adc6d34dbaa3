import Foundation
import PPLDriver
import PPLEngine
@testable import PPLInference
import XCTest

/// The mode search: exact on a Gaussian posterior whatever the predictors' scales, and
/// honest where there is no mode.
final class ModeSearchTests: XCTestCase {
    static func search(_ source: String, data: [String: Tensor] = [:]) throws -> (ModeSearch.Outcome, Int) {
        let checked = try XCTUnwrap(Compilation.compile(file: .init(path: "t.ppl", text: source)).model)
        let runtime = try ModelRuntime(model: checked, data: data)
        let search = try ModeSearch(gradient: runtime.gradientProgram(), hessianVector: runtime.hessianVectorProgram(),
                                    data: runtime.values, dimension: runtime.dimension)
        return (search.run(from: [Double](repeating: 0, count: runtime.dimension)), runtime.dimension)
    }

    /// A linear regression with known noise and predictors on scales 1, 100 and 10⁴: the
    /// posterior is Gaussian with precision H = XᵀX/σ² + I/τ² and mean H⁻¹ Xᵀy/σ².
    func testGaussianPosteriorWithUnscaledPredictorsIsExact() throws {
        var rng = RNG(seed: 4)
        let n = 50, k = 3, scales = [1.0, 100, 1e4], sigma = 0.5, tau = 1000.0
        let x = (0..<n).map { _ in scales.map { $0 * rng.normal() } }
        let y = x.map { row in 2 * row[0] / scales[0] - row[1] / scales[1] + 0.5 * row[2] / scales[2] + sigma * rng.normal() }
        let (outcome, d) = try Self.search("""
            data N: int
            data X: matrix[N, 3]
            data y: vector[N]
            param beta: vector[3]
            beta ~ normal(0, \(tau))
            y ~ normal(X * beta, \(sigma))
            """, data: ["N": Tensor(scalar: Double(n)), "X": Tensor(matrix: x), "y": Tensor(vector: y)])
        guard case .found(let mode) = outcome else { return XCTFail("\(outcome)") }
        // The exact answer, by Cholesky of H.
        var h = [Double](repeating: 0, count: d * d), b = [Double](repeating: 0, count: d)
        for i in 0..<d {
            for j in 0..<d { h[i * d + j] = (0..<n).reduce(0) { $0 + x[$1][i] * x[$1][j] } / (sigma * sigma) }
            h[i * d + i] += 1 / (tau * tau)
            b[i] = (0..<n).reduce(0) { $0 + x[$1][i] * y[$1] } / (sigma * sigma)
        }
        let l = try XCTUnwrap(ModeSearch.cholesky(h, d))
        for i in 0..<d {
            for j in 0..<d {
                let product = (0..<d).reduce(0) { $0 + l[i * d + $1] * l[j * d + $1] }
                XCTAssertEqual(product, h[i * d + j], accuracy: 1e-12 * abs(h[i * d + i]), "(L Lᵀ)[\(i), \(j)]")
            }
        }
        let mean = ModeSearch.solve(l, b, d)
        for i in 0..<d {
            XCTAssertEqual(mode.location[i], mean[i], accuracy: 1e-9 * scales.max()! / scales[i], "beta[\(i + 1)]")
            for j in 0...i {
                XCTAssertEqual(mode.curvatureFactor[i * d + j], l[i * d + j], accuracy: 1e-7 * abs(l[i * d + i]), "L[\(i), \(j)]")
            }
        }
        XCTAssertLessThan(mode.iterations, 10)
    }

    /// The Hessian's columns computed a few at a time, as a large data set's buffers make
    /// them, give the same mode and curvature as all at once (to rounding).
    func testTheCurvatureIsTheSameComputedInChunksOfColumns() throws {
        let source = """
            data N: int
            data X: matrix[N, 5]
            data y: array[N] int<lower=0, upper=1>
            param beta: vector[5]
            beta ~ normal(0, 2)
            y ~ bernoulli_logit(X * beta)
            """
        var rng = RNG(seed: 12)
        let n = 200
        let x = (0..<n).map { _ in (0..<5).map { _ in rng.normal() } }
        let y = (0..<n).map { _ in rng.uniform() < 0.4 ? 1.0 : 0.0 }
        let checked = try XCTUnwrap(Compilation.compile(file: .init(path: "t.ppl", text: source)).model)
        let runtime = try ModelRuntime(model: checked, data: ["N": Tensor(scalar: Double(n)), "X": Tensor(matrix: x),
                                                              "y": Tensor(vector: y)])
        func mode(_ bytes: Int) throws -> ModeSearch.Mode {
            let search = try ModeSearch(gradient: runtime.gradientProgram(), hessianVector: runtime.hessianVectorProgram(),
                                        data: runtime.values, dimension: 5, bufferBytes: bytes)
            guard case .found(let m) = search.run(from: [Double](repeating: 0, count: 5)) else { throw XCTSkip("no mode") }
            return m
        }
        // Buffers of 40 KB hold two of the columns at a time (each particle's are 8 × 200 doubles and more).
        let (whole, chunked) = (try mode(256 << 20), try mode(40 << 10))
        // The same to rounding: a batch's products over the particles group their sums otherwise.
        for (a, b) in zip(chunked.location + chunked.curvatureFactor, whole.location + whole.curvatureFactor) {
            XCTAssertEqual(a, b, accuracy: 1e-12 * max(1, abs(b)))
        }
        XCTAssertEqual(chunked.curvatureFactor.count, 25)
    }

    /// Centred hierarchical normal with the scale free to shrink: the density grows without
    /// bound as τ → 0 with every θ_j at μ, so there is no mode to find.
    func testUnboundedDensityHasNoMode() throws {
        let (outcome, _) = try Self.search("""
            param mu: real
            param tau: real<lower=0>
            param theta: vector[5]
            mu ~ normal(0, 5)
            tau ~ half_cauchy(5)
            theta ~ normal(mu, tau)
            """)
        guard case .none(let reason) = outcome else { return XCTFail("found a mode of an unbounded density") }
        XCTAssertFalse(reason.isEmpty)
    }
}
