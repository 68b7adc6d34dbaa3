import CLITestSupport
import Foundation
import XCTest

/// `--params` (and the REPL's `:summary NAMES`) limit the table and the summary JSON; long
/// derived vectors are cut in the table unless asked for.
final class ParamSelectionTests: XCTestCase {
    /// A regression on 20 points with `mu`, a 20-long derived vector, and `shift`, a 3-long one.
    func folder() throws -> String {
        let d = try CLI.temporaryFolder("ppl-params")
        try """
            data N: int<lower=1>
            data x: vector[N]
            data y: vector[N]
            param alpha: real
            param beta: vector[2]
            param sigma: real<lower=0>
            alpha ~ normal(0, 10)
            beta ~ normal(0, 10)
            sigma ~ normal(0, 5)
            let mu = alpha + beta[1] * x
            let shift = [alpha, beta[1], beta[2]]
            y ~ normal(mu + beta[2], sigma)

            """.write(toFile: d + "/m.ppl", atomically: true, encoding: .utf8)
        let x = (0..<20).map { Double($0) / 4 }
        let y = x.enumerated().map { 1 + 0.5 * $1 + 0.3 * sin(Double($0 * 7)) }
        try "{\"N\": 20, \"x\": \(x), \"y\": \(y)}".write(toFile: d + "/m.data.json", atomically: true, encoding: .utf8)
        return d
    }

    /// The table's row names, in order (lines after the header up to the blank line).
    func rows(_ stdout: String) -> [String] {
        let lines = stdout.split(separator: "\n", omittingEmptySubsequences: false)
        guard let header = lines.firstIndex(where: { $0.hasSuffix("95%") }) else { return [] }
        return lines[(header + 1)...].prefix { !$0.isEmpty }.map { String($0.split(separator: " ")[0]) }
    }

    func testTheTableCutsLongDerivedVectorsAndParamsSelects() throws {
        let d = try folder()
        let all = try CLI.run(["fit", "m.ppl", "--steps", "300", "--runs", "1", "--quiet", "--summary-json", "all.json"], in: d)
        XCTAssertEqual(all.status, 0, all.stderr)
        let cut = ["mu[1]", "mu[2]", "mu[3]", "mu[4]", "mu[5]", "...", "mu[19]", "mu[20]"]
        XCTAssertEqual(rows(all.stdout), ["alpha", "beta[1]", "beta[2]", "sigma"] + cut + ["shift[1]", "shift[2]", "shift[3]"],
                       all.stdout)
        XCTAssertTrue(all.stdout.contains("\n... (13 more; --params mu to show)\n"), all.stdout)
        // The JSON has every component.
        let json = try summary(d + "/all.json")
        XCTAssertEqual(json.count, 4 + 20 + 3)
        let some = try CLI.run(["fit", "m.ppl", "--steps", "300", "--runs", "1", "--quiet", "--params", "beta, mu",
                                "--summary-json", "some.json"], in: d)
        XCTAssertEqual(some.status, 0, some.stderr)
        XCTAssertEqual(rows(some.stdout), ["beta[1]", "beta[2]"] + (1...20).map { "mu[\($0)]" }, some.stdout)
        XCTAssertEqual(Set(try summary(d + "/some.json").keys), Set(["beta[1]", "beta[2]"] + (1...20).map { "mu[\($0)]" }))
        // The same fit: the selected rows are the same numbers.
        XCTAssertEqual(try summary(d + "/some.json")["mu[7]"], json["mu[7]"])
        // ppl sample takes it too.
        XCTAssertEqual(try CLI.run(["fit", "m.ppl", "--steps", "300", "--runs", "1", "--quiet", "--save", "fit.json"], in: d).status, 0)
        let s = try CLI.run(["sample", "fit.json", "--params", "sigma"], in: d)
        XCTAssertEqual(s.status, 0, s.stderr)
        XCTAssertEqual(rows(s.stdout), ["sigma"], s.stdout)
    }

    /// An unknown name is an error naming it, with the nearest name, before anything is fitted.
    func testAnUnknownNameIsAnErrorBeforeTheFit() throws {
        let d = try folder()
        for (list, name, near) in [("alpha,sigam", "sigam", "sigma"), ("mu[3]", "mu[3]", "mu")] {
            let r = try CLI.run(["fit", "m.ppl", "--params", list, "--summary-json", "s.json"], in: d)
            XCTAssertEqual(r.status, 65, r.stderr)
            XCTAssertTrue(r.stderr.contains("--params: the model has no param, derived or generated quantity '\(name)'; did you mean '\(near)'?"),
                          r.stderr)
            XCTAssertEqual(r.stdout, "")
            XCTAssertFalse(FileManager.default.fileExists(atPath: d + "/s.json"))
        }
        let empty = try CLI.run(["fit", "m.ppl", "--params", "alpha,,beta"], in: d)
        XCTAssertEqual(empty.status, 65)
        XCTAssertTrue(empty.stderr.contains("--params needs names separated by commas, not 'alpha,,beta'"), empty.stderr)
    }

    func testTheReplSummaryTakesNames() throws {
        let d = try folder()
        let r = try CLI.run(["repl", "m.ppl"], input: ":set runs 1\n:fit 300\n:summary\n:summary shift,sigma\n:summary sigam\n", in: d)
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stdout.contains("\n... (13 more; :summary mu to show)\n"), r.stdout)
        let last = r.stdout.components(separatedBy: "guide meanfield").last ?? ""
        XCTAssertEqual(rows(last), ["sigma", "shift[1]", "shift[2]", "shift[3]"], last)
        XCTAssertTrue(r.stderr.contains(":summary: the model has no param, derived or generated quantity 'sigam'; did you mean 'sigma'?"), r.stderr)
    }

    func summary(_ path: String) throws -> [String: [String: Double]] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        return try XCTUnwrap(json?["params"] as? [String: [String: Double]])
    }
}
