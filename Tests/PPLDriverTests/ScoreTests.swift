import CLITestSupport
import Foundation
import XCTest

/// `ppl score`: an amortized fit's ELBO and importance-weighted log p(x) per row of new
/// data, on a model whose marginal is known exactly.
final class ScoreTests: XCTestCase {
    /// A linear-Gaussian latent model: z_n ~ N(0, 1), x_n ~ N(w z_n + b, 0.5), w and b point
    /// estimates. Given them, x_n ~ N(b, √(w² + 0.25)) exactly. Their priors are terms of no
    /// row, which log p(x_n) must leave out.
    static let model = """
        data N: int<lower=1>
        data x: vector[N]
        param z: vector[N]
        param w: real
        param b: real
        w ~ normal(0, 10)
        b ~ normal(0, 10)
        z ~ std_normal()
        x ~ normal(w * z + b, 0.5)
        guide enc = amortized { point = [w, b], hidden = [8], minibatch = [N, 50] }

        """

    /// `n` rows drawn with w = 1.5, b = −1 (a seeded LCG and Box–Muller), as JSON.
    static func data(_ n: Int, seed: UInt64) -> (json: String, x: [Double]) {
        var state = seed
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (Double(state >> 11) + 0.5) / Double(1 << 53)
        }
        let x = (0..<n).map { _ -> Double in
            let z = (-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform())
            let e = (-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform())
            return 1.5 * z - 1 + 0.5 * e
        }
        return ("{\"N\": \(n), \"x\": [" + x.map { String($0) }.joined(separator: ", ") + "]}", x)
    }

    func testTheImportanceWeightedEstimateMatchesTheExactMarginal() throws {
        let d = try CLI.temporaryFolder("ppl-score")
        try Self.model.write(toFile: d + "/m.ppl", atomically: true, encoding: .utf8)
        try Self.data(1000, seed: 1).json.write(toFile: d + "/m.data.json", atomically: true, encoding: .utf8)
        let (testJSON, x) = Self.data(300, seed: 2)
        try testJSON.write(toFile: d + "/test.json", atomically: true, encoding: .utf8)
        let fit = try CLI.run(["fit", "m.ppl", "--quiet", "--epochs", "60", "--draws-n", "0", "--save", "fit.json"], in: d)
        XCTAssertEqual(fit.status, 0, fit.stderr)
        XCTAssertTrue(fit.stdout.contains("no draws (draws = 0)"), fit.stdout)
        let r = try CLI.run(["score", "fit.json", "--data", "test.json", "--iw", "1000", "--json", "s.json"], in: d)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("300 of 300 rows of 'N'"), r.stdout)
        let s = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/s.json"))) as? [String: Any])
        let logp = try XCTUnwrap(s["log_p"] as? Double), elbo = try XCTUnwrap(s["elbo"] as? Double)
        // The point estimates, from the saved fit's parameters: φ ends with the encoder's, and
        // the global guide (w, b) comes first.
        let saved = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/fit.json"))) as? [String: Any])
        let phi = try XCTUnwrap(saved["phi"] as? [Double])
        let (w, b) = (phi[0], phi[1])
        XCTAssertEqual(w * w, 2.25, accuracy: 0.3, "w = \(w)")
        XCTAssertEqual(b, -1, accuracy: 0.15)
        let variance = w * w + 0.25
        let exact = x.map { -0.5 * log(2 * .pi * variance) - ($0 - b) * ($0 - b) / (2 * variance) }.reduce(0, +) / Double(x.count)
        // The guide's Gaussian can be the exact posterior of each z_n: the estimate is
        // nearly exact, and the ELBO below it by little.
        XCTAssertEqual(logp, exact, accuracy: 0.01, "log p(x) \(logp), exact \(exact)")
        XCTAssertLessThanOrEqual(elbo, logp + 1e-9)
        XCTAssertGreaterThan(elbo, exact - 0.1)
        // Each row's scores, whose means are the summary's.
        let rows = try XCTUnwrap(s["log_p_rows"] as? [Double]), elbos = try XCTUnwrap(s["elbo_rows"] as? [Double])
        XCTAssertEqual(rows.count, 300)
        XCTAssertEqual(elbos.count, 300)
        XCTAssertEqual(rows.reduce(0, +) / 300, logp, accuracy: 1e-9 * abs(logp))
        XCTAssertEqual(elbos.reduce(0, +) / 300, elbo, accuracy: 1e-9 * abs(elbo))
        for (e, l) in zip(elbos, rows) { XCTAssertLessThanOrEqual(e, l + 1e-9) }
    }

    func testScoringNeedsAnAmortizedGuideWithPointGlobals() throws {
        let d = try CLI.temporaryFolder("ppl-score")
        let globalModel = Self.model.replacingOccurrences(of: "point = [w, b]", with: "point = [w]")
        try globalModel.write(toFile: d + "/m.ppl", atomically: true, encoding: .utf8)
        try Self.data(100, seed: 1).json.write(toFile: d + "/m.data.json", atomically: true, encoding: .utf8)
        let fit = try CLI.run(["fit", "m.ppl", "--quiet", "--steps", "50", "--draws-n", "0", "--save", "fit.json"], in: d)
        XCTAssertEqual(fit.status, 0, fit.stderr)
        let r = try CLI.run(["score", "fit.json", "--data", "m.data.json"], in: d)
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("'b' has a distribution in guide 'enc' (add it to point)"), r.stderr)
        let mf = try CLI.run(["fit", "m.ppl", "--guide", "meanfield", "--quiet", "--steps", "50", "--runs", "1",
                              "--save", "mf.json"], in: d)
        XCTAssertEqual(mf.status, 0, mf.stderr)
        let refused = try CLI.run(["score", "mf.json", "--data", "m.data.json"], in: d)
        XCTAssertEqual(refused.status, 65, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("scoring rows needs an amortized guide"), refused.stderr)
        XCTAssertEqual(refused.stdout, "")
        // Draws the fit did not make are not written.
        let none = try CLI.run(["fit", "m.ppl", "--quiet", "--steps", "50", "--draws-n", "0", "--draws", "d.csv"], in: d)
        XCTAssertEqual(none.status, 65, none.stderr)
        XCTAssertTrue(none.stderr.contains("--draws d.csv: with draws = 0 the fit draws nothing to write"), none.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: d + "/d.csv"))
    }
}
