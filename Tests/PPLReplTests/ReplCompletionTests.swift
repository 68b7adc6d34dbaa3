import CLITestSupport
import PPLRepl
import XCTest

/// What Tab offers in `ppl repl`, by position on the line.
final class ReplCompletionTests: XCTestCase {
    func session() -> ReplSession {
        let console = ReplSession.Console(output: { _ in }, error: { _ in }, fitStarted: { ({ _, _ in }, {}) },
                                          interrupted: { false }, color: false)
        let s = ReplSession(console: console)
        s.open(model: CLI.root + "/models/regression.ppl", data: nil)
        return s
    }

    func testCommandsFilesGuidesSettingsAndNames() {
        let s = session()
        XCTAssertEqual(s.completions(for: ":s", after: ""), [":summary", ":set", ":save", ":show"])
        XCTAssertEqual(s.completions(for: ":re", after: ""), [":report", ":restore", ":reset"])
        XCTAssertEqual(s.completions(for: "f", after: ":guide "), ["fr", "fullrank"])
        XCTAssertEqual(s.completions(for: "m", after: ":guide "), ["maf", "map", "meanfield", "mf", "mixture"])
        XCTAssertEqual(s.completions(for: "s", after: ":set "), ["steps", "samples", "seed", "stl"])
        XCTAssertEqual(s.completions(for: "", after: ":set lr "), [])
        XCTAssertEqual(s.completions(for: "e", after: ":help "), ["elbo"])
        XCTAssertEqual(s.completions(for: "--", after: ":ir "), ["--grad"])
        XCTAssertEqual(s.completions(for: "be", after: "target += normal_lpdf("), ["bernoulli", "bernoulli_logit", "bernoulli_logit_glm", "beta", "beta_binomial"])
        XCTAssertTrue(s.completions(for: "sig", after: "y ~ normal(mu, ").contains("sigma"))
        XCTAssertEqual(s.completions(for: "al", after: ""), ["alpha"])
        XCTAssertEqual(s.completions(for: "x", after: ":nonsense "), [])
    }

    func testFilePaths() {
        let s = session()
        let root = CLI.root
        XCTAssertEqual(s.completions(for: root + "/models/regr", after: ":load "),
                       [root + "/models/regression.data.json", root + "/models/regression.ppl"])
        XCTAssertEqual(s.completions(for: root + "/mod", after: ":draws 100 "), [root + "/models/"])
        XCTAssertEqual(s.completions(for: root + "/nonexistent/x", after: ":save "), [])
    }
}
