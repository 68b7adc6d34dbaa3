import CLITestSupport
import Foundation
import XCTest

/// `ppl fit` and `ppl sample` as a user runs them: outputs, files, errors and exit codes.
final class FitCLITests: XCTestCase {
    var bench: String { CLI.bench }
    func ppl(_ args: [String]) throws -> CLI.Run { try CLI.run(args) }

    func dir() throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("ppl-fit-\(getpid())-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    func testFitPrintsASummaryAndWritesDrawsSummaryAndSavedFit() throws {
        let d = try dir()
        let r = try ppl(["fit", bench + "/models/eight_schools.ppl", "--data", bench + "/data/eight_schools.json",
                             "--draws", d + "/draws.csv", "--summary-json", d + "/summary.json", "--save", d + "/fit.json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("guide 'mf' (meanfield)"), r.stdout)
        for column in ["mean", "sd", "5%", "50%", "95%"] { XCTAssertTrue(r.stdout.contains(column)) }
        for row in ["\nmu ", "\ntau ", "\neta[1] ", "\ntheta[8] "] { XCTAssertTrue(r.stdout.contains(row), row) }
        XCTAssertTrue(r.stdout.contains("Pareto k̂ = "), r.stdout)
        XCTAssertTrue(r.stdout.contains("log p(data) ≈ "), r.stdout)
        let csv = try String(contentsOfFile: d + "/draws.csv", encoding: .utf8).split(separator: "\n")
        // 1,000 draws of each run that agrees with the best (four runs by default).
        XCTAssertTrue([1001, 2001, 3001, 4001].contains(csv.count), "\(csv.count)")
        XCTAssertTrue(csv[0].hasPrefix("mu,tau,eta[1],eta[2],"))
        XCTAssertTrue(csv[0].hasSuffix(",theta[8]"))
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/summary.json"))) as! [String: Any]
        for key in ["guide", "family", "elbo", "steps", "seconds", "converged", "runs", "runs_agree", "largest_rhat", "khat",
                    "verdict", "log_z", "log_z_se", "params"] {
            XCTAssertNotNil(summary[key], key)
        }
        XCTAssertEqual(summary["runs"] as? Int, 4)
        if summary["runs_agree"] as? Bool == true { XCTAssertEqual(csv.count, 4001) }
        let params = summary["params"] as! [String: [String: Double]]
        XCTAssertEqual(Set(params["eta[3]"]!.keys), ["mean", "sd", "q05", "q50", "q95"])
        // The saved fit draws again without refitting, and warm-starts a fit.
        let s = try ppl(["sample", d + "/fit.json", "--draws-n", "50", "--draws", d + "/more.csv"])
        XCTAssertEqual(s.status, 0, s.stderr)
        XCTAssertEqual(try String(contentsOfFile: d + "/more.csv", encoding: .utf8).split(separator: "\n").count, 51)
        let warm = try ppl(["fit", bench + "/models/eight_schools.ppl", "--data", bench + "/data/eight_schools.json",
                                "--init", d + "/fit.json"])
        XCTAssertEqual(warm.status, 0, warm.stderr)
    }

    func testGuideSelectionAndUnknownGuides() throws {
        let m = bench + "/models/eight_schools.ppl", data = bench + "/data/eight_schools.json"
        let fr = try ppl(["fit", m, "--data", data, "--guide", "fullrank", "--steps", "500"])
        XCTAssertEqual(fr.status, 0, fr.stderr)
        XCTAssertTrue(fr.stdout.contains("guide 'fullrank' (fullrank)"))
        let typo = try ppl(["fit", m, "--data", data, "--guide", "fulrank"])
        XCTAssertEqual(typo.status, 65)
        XCTAssertTrue(typo.stderr.contains("no guide block or guide family named 'fulrank'; did you mean 'fullrank'?"), typo.stderr)
        XCTAssertTrue(typo.stderr.contains("guide blocks: mf, iaf"), typo.stderr)
    }

    func testBadDataFilesNameTheVariableAndIndex() throws {
        let d = try dir()
        let model = bench + "/models/eight_schools.ppl"
        let cases: [(String, String)] = [
            ("{\"J\": 3, \"y\": [1, 2, 3]}", "missing data 'sigma' (vector<lower=0>[J])"),
            ("{\"J\": 3, \"y\": [1, 2], \"sigma\": [1, 1, 1]}", "'y' has 2 elements, but its type vector[J] needs 3"),
            ("{\"J\": 3.5, \"y\": [1, 2, 3], \"sigma\": [1, 1, 1]}", "'J' is 3.5, but 'J' is int<lower=1>: an integer is needed"),
            ("{\"J\": 3, \"y\": [1, 2, 3], \"sigma\": [1, -1, 1]}", "'sigma[2]' is -1, below the lower bound 0"),
            ("{\"J\": 3, \"y\": [1, \"a\", 3], \"sigma\": [1, 1, 1]}", "'y[2]' is the string \"a\", not a number"),
            ("{\"J\": 3, \"y\": [1, 2, 3], \"sigma\": [1, 1,", "invalid JSON at line 1, column"),
            ("[1, 2]", "the data must be a JSON object"),
        ]
        for (k, (json, message)) in cases.enumerated() {
            let path = d + "/bad\(k).json"
            try json.write(toFile: path, atomically: true, encoding: .utf8)
            let r = try ppl(["fit", model, "--data", path])
            XCTAssertEqual(r.status, 65, json)
            XCTAssertTrue(r.stderr.contains(message), "expected \(message) in \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Fatal error"))
        }
    }

    func testARunThatCannotRecoverStopsWithAMessage() throws {
        let d = try dir()
        let path = d + "/nan.ppl"
        try "param mu: real\ntarget += log(-1 - mu * mu)\n".write(toFile: path, atomically: true, encoding: .utf8)
        let r = try ppl(["fit", path, "--draws", d + "/draws.csv"])
        XCTAssertEqual(r.status, 70, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("non-finite"), r.stdout)
    }

    func testValuesTooLargeForTheEngineAreAnError() throws {
        let d = try dir()
        let path = d + "/big.ppl"
        try "data N: int\nparam x: vector[N]\nx ~ normal(0, 1)\n".write(toFile: path, atomically: true, encoding: .utf8)
        try #"{"N": 3000000000}"#.write(toFile: d + "/big.json", atomically: true, encoding: .utf8)
        let r = try ppl(["fit", path, "--data", d + "/big.json", "--quiet"])
        XCTAssertEqual(r.status, 70, r.stdout + r.stderr)
        XCTAssertTrue(r.stderr.contains("more than the engine holds (2147483647 elements in all)"), r.stderr)
    }

    /// An output file that cannot be written is the user's error, as an unreadable input is.
    func testAnUnwritableOutputIsAUserError() throws {
        let r = try ppl(["fit", bench + "/models/eight_schools.ppl", "--data", bench + "/data/eight_schools.json",
                         "--steps", "100", "--draws", "/nonexistent/folder/draws.csv"])
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("ppl: error: cannot write '/nonexistent/folder/draws.csv'"), r.stderr)
    }

    func testModelWithoutItsDataIsAnError() throws {
        let r = try ppl(["fit", bench + "/models/linreg.ppl"])
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("the model needs data (N, K, X, y)"), r.stderr)
    }
}
