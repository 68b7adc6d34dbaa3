import CLITestSupport
import Foundation
import XCTest

/// Posterior predictive checks: the generate block of `models/conjugate_normal.ppl` run by
/// `ppl fit` and by `ppl predict` for new X, against the closed form of the conjugate
/// model (beta ~ normal(0, 2) a priori, y ~ normal(X beta, sigma) with sigma known: the
/// posterior of beta is normal with covariance S = (I/4 + X'X/sigma²)⁻¹ and mean
/// m = S X'y/sigma², and y_new at x is normal with mean x'm and variance x'Sx + sigma²).
final class PredictiveTests: XCTestCase {
    struct Data2: Decodable {
        let N: Int
        let X: [[Double]]
        let y: [Double]?
        let sigma: Double
    }

    static let model = CLI.root + "/models/conjugate_normal.ppl"

    static func load(_ file: String) throws -> Data2 {
        try JSONDecoder().decode(Data2.self, from: Data(contentsOf: URL(fileURLWithPath: CLI.root + "/models/" + file)))
    }

    /// The closed-form predictive mean and sd at each row of `rows`.
    static func predictive(at rows: [[Double]]) throws -> [(mean: Double, sd: Double)] {
        let d = try load("conjugate_normal.data.json")
        let s2 = d.sigma * d.sigma
        var p = [[0.25, 0.0], [0.0, 0.25]], b = [0.0, 0.0]
        for (x, y) in zip(d.X, d.y ?? []) {
            for i in 0..<2 {
                b[i] += x[i] * y / s2
                for j in 0..<2 { p[i][j] += x[i] * x[j] / s2 }
            }
        }
        let det = p[0][0] * p[1][1] - p[0][1] * p[1][0]
        let s = [[p[1][1] / det, -p[0][1] / det], [-p[1][0] / det, p[0][0] / det]]
        let m = [s[0][0] * b[0] + s[0][1] * b[1], s[1][0] * b[0] + s[1][1] * b[1]]
        return rows.map { x in
            let v = x[0] * x[0] * s[0][0] + 2 * x[0] * x[1] * s[0][1] + x[1] * x[1] * s[1][1]
            return (x[0] * m[0] + x[1] * m[1], (v + s2).squareRoot())
        }
    }

    func dir() throws -> String {
        let d = try CLI.temporaryFolder("ppl-predict")
        return d
    }

    static func params(_ path: String) throws -> [String: [String: Double]] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        return try XCTUnwrap(json?["params"] as? [String: [String: Double]])
    }

    /// Means within 4.5 Monte Carlo standard errors, sds within 6%.
    func check(_ summary: [String: [String: Double]], _ expected: [(mean: Double, sd: Double)], draws: Int, _ what: String) throws {
        for (i, e) in expected.enumerated() {
            let s = try XCTUnwrap(summary["y_rep[\(i + 1)]"], "\(what): y_rep[\(i + 1)]")
            let mean = try XCTUnwrap(s["mean"]), sd = try XCTUnwrap(s["sd"])
            XCTAssertLessThan(abs(mean - e.mean), 4.5 * e.sd / Double(draws).squareRoot(), "\(what): y_rep[\(i + 1)] mean \(mean), closed form \(e.mean)")
            XCTAssertLessThan(abs(sd / e.sd - 1), 0.06, "\(what): y_rep[\(i + 1)] sd \(sd), closed form \(e.sd)")
        }
    }

    func testPredictiveMeanAndVarianceMatchTheConjugateClosedForm() throws {
        let d = try dir()
        let fit = try CLI.run(["fit", Self.model, "--draws-n", "4000", "--quiet", "--save", "fit.json", "--summary-json", "fit-summary.json",
                               "--draws", "draws.csv"], in: d)
        XCTAssertEqual(fit.status, 0, fit.stderr)
        let observed = try Self.load("conjugate_normal.data.json")
        try check(try Self.params(d + "/fit-summary.json"), try Self.predictive(at: observed.X), draws: 4 * 4000, "ppl fit")
        // The generated values are columns of the draws file, after the params.
        let header = try String(contentsOfFile: d + "/draws.csv", encoding: .utf8).split(separator: "\n").first { !$0.hasPrefix("#") }
        XCTAssertEqual(header.map(String.init), "lp__,log_p__,log_g__,beta.1,beta.2,"
                       + (1...observed.N).map { "y_rep.\($0)" }.joined(separator: ",") + ",mean_rep,max_rep")

        let new = try Self.load("conjugate_normal.new.json")
        XCTAssertNil(new.y, "the new data have no outcomes")
        let predicted = try CLI.run(["predict", "fit.json", "--data", CLI.root + "/models/conjugate_normal.new.json", "--draws-n", "8000",
                                     "--summary-json", "predict.json"], in: d)
        XCTAssertEqual(predicted.status, 0, predicted.stderr)
        let summary = try Self.params(d + "/predict.json")
        try check(summary, try Self.predictive(at: new.X), draws: 8000, "ppl predict")
        XCTAssertNil(summary["y_rep[6]"], "y_rep has the new data's 5 rows")
    }

    func testPredictRefusesWhatItCannotAnswer() throws {
        let d = try dir()
        XCTAssertEqual(try CLI.run(["fit", Self.model, "--steps", "300", "--runs", "1", "--quiet", "--save", "fit.json"], in: d).status, 0)
        func predict(_ data: String) throws -> CLI.Run {
            try data.write(toFile: d + "/new.json", atomically: true, encoding: .utf8)
            return try CLI.run(["predict", "fit.json", "--data", "new.json"], in: d)
        }
        var r = try predict(#"{"N": 1, "K": 2, "sigma": 0.8}"#)
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("new.json: missing data 'X' (matrix[N, K])"), r.stderr)
        r = try predict(#"{"N": 1, "K": 3, "X": [[1, 2, 3]], "sigma": 0.8}"#)
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("'beta' is vector[K], of shape 3 with these data but 2 in the fit's"), r.stderr)

        let plain = "data N: int\ndata y: vector[N]\nparam mu: real\nmu ~ normal(0, 10)\ny ~ normal(mu, 1)\n"
        try plain.write(toFile: d + "/plain.ppl", atomically: true, encoding: .utf8)
        try #"{"N": 2, "y": [1, 2]}"#.write(toFile: d + "/plain.json", atomically: true, encoding: .utf8)
        XCTAssertEqual(try CLI.run(["fit", "plain.ppl", "--data", "plain.json", "--steps", "200", "--runs", "1", "--quiet", "--save", "plain-fit.json"],
                                   in: d).status, 0)
        r = try CLI.run(["predict", "plain-fit.json", "--data", "plain.json"], in: d)
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("the model has no 'generate' block: there is nothing to predict"), r.stderr)
    }
}
