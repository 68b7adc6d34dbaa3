import Foundation
import PPLDriver
import PPLEngine
import PPLIR
import PPLInference
import PPLSema
import PPLSyntax
import XCTest

/// Local params (`LocalLatents`): a Gaussian per row, from a table of the rows' own
/// parameters or from an encoder, over all the rows or a minibatch's.
final class LocalLatentsTests: XCTestCase {
    /// A local param with a bound (whose log-Jacobian is a sum over the batch's rows too),
    /// declared between two global params.
    static let tableModel = """
        data N: int<lower=1>
        data y: vector[N]
        param mu: real
        param u: vector<lower=0>[N]
        param sigma: real<lower=0>
        mu ~ normal(0, 2)
        sigma ~ normal(0, 1)
        u ~ exponential(1)
        y ~ normal(mu + log(u), sigma)
        """

    /// A local matrix param guided by an encoder of the rows of X.
    static let encoderModel = """
        data N: int<lower=1>
        data X: matrix[N, 3]
        param mu: vector[3]
        param z: matrix[N, 2]
        param sigma: real<lower=0>
        mu ~ normal(0, 2)
        sigma ~ normal(0, 1)
        z ~ std_normal()
        X ~ normal(rep_vector(1, N) * mu' + z * [[1, 0.5, -1], [0, 1, 0.3]], sigma)
        guide enc = amortized { local = z, input = X, hidden = [5] }
        """

    static func session(_ source: String, rows n: Int, settings: [(key: FitOptions.Key, value: GuideValue)]) throws -> FitSession {
        let checked = try XCTUnwrap(Compilation.compile(file: .init(path: "t.ppl", text: source)).model)
        var rng = RNG(seed: 8)
        let columns = source.contains("data X") ? 3 : 1
        var data: [String: Tensor] = ["N": Tensor(scalar: Double(n))]
        if columns == 1 {
            data["y"] = Tensor(vector: (0..<n).map { _ in rng.normal() })
        } else {
            data["X"] = Tensor(shape: [n, columns], values: (0..<(n * columns)).map { _ in rng.normal() })
        }
        let runtime = try ModelRuntime(model: checked, data: data)
        return try FitSession(runtime: runtime, guide: nil, settings: settings)
    }

    /// Runs `elbo`'s gradient program on one particle: its target and gradient.
    static func evaluate(_ elbo: ELBO, data: [String: Tensor], phi: [Double], eps: [Double],
                         rows: [Int]? = nil) throws -> (target: Double, gradient: [Double]) {
        let x = try Executable(elbo.gradient, varying: ["eps"], shared: rows == nil ? ["phi"] : ["phi", MinibatchedDensity.indexInput],
                               data: elbo.data(data))
        _ = x.input("phi").update(fromContentsOf: phi)
        _ = x.input("eps").update(fromContentsOf: eps)
        if let rows { _ = x.input(MinibatchedDensity.indexInput).update(fromContentsOf: rows.map(Double.init)) }
        try x.run()
        return (x.output("target")[0], Array(x.output("grad.phi")))
    }

    /// The ELBO of a batch is unbiased, exactly: with each row's noise and parameters the
    /// same in the full ELBO and in a batch's, the mean over a fixed partition of N = 12
    /// rows into batches of 4 of the batches' ELBOs, and of their gradients with respect to
    /// the shared parameters, is the full ELBO's; a row's gradient in its batch is N/M
    /// times its full one, which Adam's per-row step does not see. Both ways of giving the
    /// rows their Gaussians: the table (with a bounded local param) and the encoder.
    func testTheMeanOverAPartitionIsTheFullELBO() throws {
        let order = [7, 2, 11, 4, 9, 1, 12, 5, 3, 10, 6, 8]
        for source in [Self.tableModel, Self.encoderModel] {
            let session = try Self.session(source, rows: 12, settings: [(.minibatch, GuideValue(text: "N=4"))])
            let full = session.elbo
            let (batch, table) = try XCTUnwrap(session.batchELBO())
            let width = source == Self.tableModel ? 1 : 2
            XCTAssertEqual(full.dimension - batch.dimension, 8 * width)
            var rng = RNG(seed: 3)
            let phi = session.family.initialParameters(full.dimension).map { $0 + 0.3 * rng.normal() }
            let eps = (0..<full.noiseCount).map { _ in rng.normal() }
            let globalNoise = full.noiseCount - 12 * width
            let exact = try Self.evaluate(full, data: session.runtime.values, phi: phi, eps: eps)
            var target = 0.0, gradient = [Double](repeating: 0, count: phi.count)
            for b in 0..<3 {
                let rows = Array(order[(4 * b)..<(4 * b + 4)])
                // The batch's noise: the global draws, then its rows' (row-major, as z's rows).
                var batchEps = Array(eps[0..<globalNoise])
                for n in rows { batchEps += eps[(globalNoise + (n - 1) * width)..<(globalNoise + n * width)] }
                var batchPhi: [Double]
                if let table {
                    batchPhi = Array(phi[0..<table.globals]) + [Double](repeating: .nan, count: batch.parameterCount - table.globals)
                    for (k, n) in rows.enumerated() { for j in 0..<table.width { batchPhi[table.batch(k, j)] = phi[table.full(n - 1, j)] } }
                } else {
                    batchPhi = phi
                }
                let part = try Self.evaluate(batch, data: session.batches!.data, phi: batchPhi, eps: batchEps, rows: rows)
                target += part.target / 3
                if let table {
                    for i in 0..<table.globals { gradient[i] += part.gradient[i] / 3 }
                    for (k, n) in rows.enumerated() {
                        for j in 0..<table.width { gradient[table.full(n - 1, j)] = part.gradient[table.batch(k, j)] * 4 / 12 }
                    }
                } else {
                    for i in gradient.indices { gradient[i] += part.gradient[i] / 3 }
                }
            }
            XCTAssertEqual(target, exact.target, accuracy: 1e-10 * abs(exact.target))
            let scale = exact.gradient.map(abs).max()!
            for (i, (mean, e)) in zip(gradient, exact.gradient).enumerated() {
                XCTAssertEqual(mean, e, accuracy: 1e-10 * scale, "component \(i)")
            }
        }
    }

    /// Repeated measures: row n has J observations around μ + τ z_n, the z_n local; with an
    /// encoder guide of the rows of y beside the default meanfield.
    static let repeatedMeasures = """
        data N: int<lower=1>
        data J: int<lower=1>
        data y: matrix[N, J]
        param mu: real
        param tau: real<lower=0>
        param sigma: real<lower=0>
        param z: vector[N]
        mu ~ normal(0, 5)
        tau ~ normal(0, 2)
        sigma ~ normal(0, 2)
        z ~ std_normal()
        y ~ normal((mu + tau * z) * rep_row_vector(1, J), sigma)
        guide enc = amortized { local = z, input = y, hidden = [8] }
        """

    /// `repeatedMeasures` with n rows of 4 observations, τ = 0.8 and σ = 0.5.
    static func repeatedMeasures(rows n: Int, seed: UInt64) throws -> ModelRuntime {
        let checked = try XCTUnwrap(Compilation.compile(file: .init(path: "re.ppl", text: repeatedMeasures)).model)
        var rng = RNG(seed: seed)
        let j = 4
        let effects = (0..<n).map { _ in rng.normal() }
        let y = (0..<(n * j)).map { 1 + 0.8 * effects[$0 / j] + 0.5 * rng.normal() }
        return try ModelRuntime(model: checked, data: ["N": Tensor(scalar: Double(n)), "J": Tensor(scalar: Double(j)),
                                                       "y": Tensor(shape: [n, j], values: y)])
    }

    /// One run of `guide` without the frame, with `settings`: each param's mean and sd over
    /// 2,000 draws, and whether the fit converged.
    static func summaries(_ runtime: ModelRuntime, _ guide: String, _ settings: [(key: FitOptions.Key, value: GuideValue)] = [])
        throws -> (stats: [String: (mean: Double, sd: Double)], converged: Bool) {
        let session = try FitSession(runtime: runtime, guide: guide,
                                     settings: [(.runs, .int(1)), (.precondition, .name("off"))] + settings)
        let r = try session.fit()
        let draws = try session.sample(2000, phi: r.phi)
        return (Dictionary(uniqueKeysWithValues: zip(draws.names, draws.summaries()).map { ($0, ($1.mean, $1.sd)) }), r.converged)
    }

    /// An encoder fitted by batches of 20 of 2,000 rows (N/M = 100) comes near the full
    /// data's fit of the global params. The batches' gradient noise swamps the signal of
    /// their sds; the convergence test sees it only in the global params' own drift, which an
    /// average with the encoder's many weights hid (the sds came out 2.1–2.3 times the full
    /// data's). They still come out up to 1.4 times wide here: within half, not yet within 10%.
    func testAnEncoderFittedByBatchesReachesTheGlobalParamsOfTheFullDataFit() throws {
        let runtime = try Self.repeatedMeasures(rows: 2000, seed: 6)
        let exact = try Self.summaries(runtime, "meanfield").stats
        let batched = try Self.summaries(runtime, "enc", [(.minibatch, GuideValue(text: "N=20"))]).stats
        for name in ["mu", "tau", "sigma"] {
            let (a, b) = (try XCTUnwrap(exact[name]), try XCTUnwrap(batched[name]))
            XCTAssertEqual(b.mean, a.mean, accuracy: 1.5 * a.sd, name)
            XCTAssertEqual(b.sd / a.sd, 1, accuracy: 0.5, name)
        }
    }

    /// Rows with their own parameters, fitted by batches of 25 of 100 rows with a lazy Adam
    /// per row, reach the full data's fit: means within 0.25 of the guide's sd and sds
    /// within 10%. (The mean-field optimum lies on a ridge, μ against the mean of the z,
    /// along which its sd of μ is a third of the posterior's: the two fits stop 0.1–0.15 of
    /// it apart.) Unscaled batches would be off by several sds.
    func testAMinibatchFitOfTheRowsAgreesWithTheFullDataFit() throws {
        let runtime = try Self.repeatedMeasures(rows: 100, seed: 5)
        let (exact, converged) = try Self.summaries(runtime, "meanfield")
        let (batched, batchConverged) = try Self.summaries(runtime, "meanfield", [(.minibatch, GuideValue(text: "N=25"))])
        XCTAssertTrue(converged)
        XCTAssertTrue(batchConverged)
        for name in ["mu", "tau", "sigma", "z[1]", "z[50]", "z[100]"] {
            let (a, b) = (try XCTUnwrap(exact[name]), try XCTUnwrap(batched[name]))
            XCTAssertEqual(b.mean, a.mean, accuracy: 0.25 * a.sd, name)
            XCTAssertEqual(b.sd / a.sd, 1, accuracy: 0.1, name)
        }
    }
}
