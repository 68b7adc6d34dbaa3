import CLITestSupport
import Foundation
import XCTest

/// `ppl compare` as a script runs it: the table's rows, the params side by side, the JSON
/// and the exit status when every fit succeeds, when one fails, and for bad input.
final class CompareCLITests: XCTestCase {
    func dir() throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("ppl-compare-\(getpid())-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    func model(_ d: String, _ name: String, _ text: String) throws -> String {
        try text.write(toFile: d + "/" + name, atomically: true, encoding: .utf8)
        return d + "/" + name
    }

    func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    /// λ ~ gamma(3, 2), whose mode is 3/2: three guides, all fitted; laplace's k̂ says to trust
    /// it (marked), map's is not defined (not marked, no ELBO); exit 0.
    func testEveryFitSucceeds() throws {
        let d = try dir()
        let m = try model(d, "gamma.ppl", "param lambda: real<lower=0>\nlambda ~ gamma(3, 2)\n")
        let ok = try CLI.run(["compare", m, "--guides", "meanfield", "laplace", "map", "--runs", "1", "--seed", "2",
                              "--json", d + "/c.json"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let lines = ok.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines[0], m + ": 1 unconstrained dimension, 3 guides")
        XCTAssertTrue(lines[2].hasPrefix("guide "), lines[2])
        for column in ["ELBO", "log p̂(data)", "± se", "k̂", "time (s)", "steps", "verdict"] {
            XCTAssertTrue(lines[2].contains(column), column)
        }
        XCTAssertTrue(lines[3].hasPrefix("meanfield "), lines[3])
        XCTAssertTrue(lines[4].hasPrefix("laplace * "), lines[4])
        XCTAssertTrue(lines[5].hasPrefix("map  "), lines[5])
        XCTAssertTrue(lines[5].hasSuffix("  k̂ and log p(data) are not defined for a point"), lines[5])
        let row = try XCTUnwrap(lines.first { $0.hasPrefix("lambda ") })
        let cells = row.split(separator: " ").dropFirst().map { Double($0)! }
        XCTAssertEqual(cells.count, 6)
        XCTAssertEqual(cells[4], 1.5, accuracy: 1e-9, "map's mean is the mode")
        XCTAssertEqual(cells[5], 0, "map's sd")
        let c = try json(d + "/c.json")
        XCTAssertEqual(c["model"] as? String, m)
        XCTAssertEqual(c["dimension"] as? Int, 1)
        let fits = c["fits"] as! [[String: Any]]
        XCTAssertEqual(fits.map { $0["guide"] as? String }, ["meanfield", "laplace", "map"])
        for f in fits {
            for key in ["family", "failure", "elbo", "log_z", "log_z_se", "khat", "verdict", "trusted", "seconds", "steps",
                        "converged", "params"] {
                XCTAssertNotNil(f[key], key)
            }
            XCTAssertTrue(f["failure"] is NSNull)
            let p = (f["params"] as! [String: [String: Double]])["lambda"]!
            XCTAssertEqual(Set(p.keys), ["mean", "sd"])
        }
        let laplace = fits[1]
        XCTAssertEqual(laplace["trusted"] as? Bool, true)
        XCTAssertLessThan(laplace["khat"] as! Double, 0.7)
        XCTAssertEqual(laplace["log_z"] as! Double, 0, accuracy: 0.05, "gamma(3, 2) is normalised")
        let map = fits[2]
        XCTAssertEqual(map["trusted"] as? Bool, false)
        for key in ["elbo", "khat", "log_z", "log_z_se"] { XCTAssertTrue(map[key] is NSNull, key) }
    }

    /// A model without a mode: laplace fails, its row says why, the mean-field fit is still
    /// reported (table and JSON), and the exit status is 70.
    func testAFailedFitIsARowAndTheOthersGoOn() throws {
        let d = try dir()
        // The density grows without bound as s goes to 0: no mode for Laplace; mean-field fits it.
        let m = try model(d, "funnel.ppl", "param s: real<lower=0>\nparam x: vector[3]\ns ~ exponential(1)\nx ~ normal(0, s)\n")
        let r = try CLI.run(["compare", m, "--guides", "meanfield", "laplace", "--runs", "1", "--steps", "300",
                             "--json", d + "/c.json"])
        XCTAssertEqual(r.status, 70, r.stderr)
        XCTAssertTrue(r.stdout.contains("\nlaplace       failed: the laplace guide 'laplace' needs the posterior mode, with a "
                                        + "positive-definite curvature there, and Newton's method found none: "), r.stdout)
        XCTAssertTrue(r.stdout.contains("\ns "), r.stdout)
        let fits = try json(d + "/c.json")["fits"] as! [[String: Any]]
        XCTAssertTrue(fits[0]["failure"] is NSNull)
        XCTAssertNotNil(fits[0]["params"] as? [String: Any])
        XCTAssertTrue((fits[1]["failure"] as? String)?.hasPrefix("the laplace guide 'laplace' needs the posterior mode") == true)
        for key in ["elbo", "khat", "log_z", "params", "steps"] { XCTAssertTrue(fits[1][key] is NSNull, key) }
    }

    /// Bad input is refused before anything is fitted, exit 65: an unknown guide, no guides,
    /// a flag no guide takes.
    func testBadInputIsRefusedBeforeFitting() throws {
        let d = try dir()
        let m = try model(d, "gamma.ppl", "param lambda: real<lower=0>\nlambda ~ gamma(3, 2)\n")
        let unknown = try CLI.run(["compare", m, "--guides", "laplace", "mf"])
        XCTAssertEqual(unknown.status, 65)
        XCTAssertTrue(unknown.stderr.hasPrefix("ppl: error: no guide block or guide family named 'mf'"), unknown.stderr)
        XCTAssertEqual(unknown.stdout, "")
        let none = try CLI.run(["compare", m])
        XCTAssertEqual(none.status, 65)
        XCTAssertEqual(none.stderr, "ppl: error: --guides names no guide to fit\n")
        let rank = try CLI.run(["compare", m, "--guides", "meanfield", "laplace", "--rank", "1"])
        XCTAssertEqual(rank.status, 65)
        XCTAssertEqual(rank.stderr, "ppl: error: 'rank' applies to none of the guides compared (meanfield, laplace)\n")
        XCTAssertEqual(rank.stdout, "")
    }
}
