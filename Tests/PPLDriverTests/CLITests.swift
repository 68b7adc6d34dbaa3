import CLITestSupport
import Foundation
import XCTest

/// Runs the `ppl` binary as a user would and checks output and exit codes.
final class CLITests: XCTestCase {
    func ppl(_ args: [String]) throws -> CLI.Run { try CLI.run(args) }

    func temp(_ name: String, _ bytes: [UInt8]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ppl-cli-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func testCheckPrintsOkAndSummary() throws {
        let r = try ppl(["check", CLI.bench + "/models/eight_schools.ppl", "--data", CLI.bench + "/data/eight_schools.json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("ok\n"))
        XCTAssertTrue(r.stdout.contains("tau    real<lower=0>"), r.stdout)
        XCTAssertTrue(r.stdout.contains("unconstrained dimension: 10 (J + 2)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("iaf = iaf { layers = 2, hidden = [32, 32] }"), r.stdout)
    }

    func testCheckWithoutDataGivesTheDimensionAsAFormula() throws {
        let r = try ppl(["check", CLI.bench + "/models/hier_linear.ppl"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("unconstrained dimension: 2*J + 5"), r.stdout)
    }

    func testEveryBenchModelChecks() throws {
        for m in ["banana", "eight_schools", "funnel", "hier_linear", "linreg", "logistic", "mixture"] {
            let r = try ppl(["check", CLI.bench + "/models/\(m).ppl"])
            XCTAssertEqual(r.status, 0, "\(m): \(r.stderr)")
        }
    }

    func testUserErrorsExit65WithALocatedMessage() throws {
        let path = try temp("bad.ppl", Array("param mu: real\nmu ~ nromal(0, 1)\n".utf8))
        let r = try ppl(["check", path])
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("bad.ppl:2:6: error: unknown distribution 'nromal'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("^^^^^^"), r.stderr)
        XCTAssertTrue(r.stderr.contains("did you mean 'normal'?"), r.stderr)
        XCTAssertEqual(r.stdout, "")
    }

    func testEmptyFileIsAnError() throws {
        let r = try ppl(["check", try temp("empty.ppl", [])])
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("empty.ppl:1:1: error: the model is empty"), r.stderr)
    }

    func testBinaryGarbageIsAnErrorNotACrash() throws {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let r = try ppl(["check", try temp("garbage.ppl", bytes)])
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("garbage.ppl:"), r.stderr)
        XCTAssertFalse(r.stderr.contains("Fatal error"))
    }

    func testHugeInputsAreHandledWithoutExhaustingTheStack() throws {
        let chain = "param mu: real\nmu ~ normal(0, 1)\ntarget += " + Array(repeating: "mu", count: 1900).joined(separator: " + ")
        let r1 = try ppl(["check", try temp("chain.ppl", Array(chain.utf8))])
        XCTAssertEqual(r1.status, 0, r1.stderr)
        let depth = 3000
        let nest = "data N: int\nparam mu: real\nmu ~ normal(0, 1)\n" + String(repeating: "if N > 0 {\n", count: depth)
            + "target += mu\n" + String(repeating: "}\n", count: depth)
        let r2 = try ppl(["check", try temp("nest.ppl", Array(nest.utf8))])
        XCTAssertEqual(r2.status, 65, r2.stderr)
        XCTAssertTrue(r2.stderr.contains("nested too deeply"), r2.stderr)
    }

    func testMissingFileIsAnError() throws {
        let r = try ppl(["check", "/nonexistent/model.ppl"])
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("cannot read '/nonexistent/model.ppl'"), r.stderr)
    }

    func testListShowsEveryDistributionAndFunctionOfTheLanguage() throws {
        let r = try ppl(["check", "--list"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let distributions = """
            normal std_normal lognormal student_t cauchy double_exponential logistic exponential gamma inv_gamma \
            weibull beta uniform half_normal half_cauchy bernoulli bernoulli_logit binomial binomial_logit poisson \
            poisson_log neg_binomial_2 categorical categorical_logit dirichlet multi_normal_cholesky lkj_corr \
            lkj_corr_cholesky
            """
        for d in distributions.split(separator: " ") {
            XCTAssertTrue(r.stdout.contains("\n  \(d)("), "missing distribution \(d)")
        }
        let functions = """
            exp log log1p expm1 sqrt square inv_logit logit log_inv_logit log1m_inv_logit lgamma digamma sin cos tanh \
            abs fmin fmax pow sum mean sd dot_product log_sum_exp log_mix softmax log_softmax cumulative_sum \
            rep_vector size rows cols pi e diag_pre_multiply diag_post_multiply multiply_lower_tri_self_transpose \
            log_determinant_spd
            """
        for f in functions.split(separator: " ") {
            XCTAssertTrue(r.stdout.contains("\n  \(f)("), "missing function \(f)")
        }
        for g in ["meanfield", "fullrank", "lowrank", "laplace", "map", "svgd", "planar", "radial", "nice", "realnvp", "maf", "iaf", "hvi"] {
            XCTAssertTrue(r.stdout.contains("\n  \(g): "), "missing guide family \(g)")
        }
    }

    func testIRPrintsThreePrograms() throws {
        let r = try ppl(["ir", CLI.bench + "/models/eight_schools.ppl"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for p in ["program transformed_data", "program log_density", "program derived"] {
            XCTAssertTrue(r.stdout.contains(p), p)
        }
        XCTAssertTrue(r.stdout.contains("return theta = "))
    }

    /// `ppl ir FILE --guide G` prints the guide's ELBO program and its gradient: the same
    /// text as the golden file of that family; an unknown guide is a user error.
    func testIRWithAGuidePrintsTheELBOAndItsGradient() throws {
        let model = CLI.root + "/Tests/Golden/guides/iaf.ppl"
        let r = try ppl(["ir", model, "--guide", "g"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, try String(contentsOfFile: CLI.root + "/Tests/Golden/guides/iaf.ir", encoding: .utf8))
        XCTAssertTrue(r.stdout.contains("program elbo"))
        XCTAssertTrue(r.stdout.contains("grad.phi = "))
        let bad = try ppl(["ir", model, "--guide", "iafx"])
        XCTAssertEqual(bad.status, 65)
        XCTAssertTrue(bad.stderr.contains("iafx"), bad.stderr)
    }

    /// `ppl --version` names the version and the commit of the checkout it was built from
    /// (the test runs from that checkout; `-dirty` may follow the hash), or `unknown`.
    func testVersionNamesTheVersionAndTheCommit() throws {
        let r = try ppl(["--version"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let line = r.stdout.trimmingCharacters(in: .newlines)
        let pattern = #"^ppl [0-9]+\.[0-9]+\.[0-9]+ \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)$"#
        XCTAssertNotNil(line.range(of: pattern, options: .regularExpression), line)
        let git = try CLI.run(["-C", CLI.root, "rev-parse", "--short=12", "HEAD"], in: nil, executable: "/usr/bin/git",
                              environment: [:])
        guard git.status == 0 else { throw XCTSkip("no git checkout here: \(git.stderr)") }
        let head = git.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(line.contains("(commit \(head)"), "\(line) is not of HEAD \(head)")
    }

    /// The completion scripts swift-argument-parser generates, for each shell; the bash one,
    /// sourced into bash, completes subcommands and the flags of a subcommand.
    func testCompletionScriptsComplete() throws {
        for shell in ["bash", "zsh", "fish"] {
            let r = try ppl(["--generate-completion-script", shell])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("sample"), shell)
            XCTAssertTrue(r.stdout.contains("summary-json"), shell)
        }
        let script = """
            source <("$PPL" --generate-completion-script bash)
            complete_line() {
                COMP_LINE="$1"; COMP_POINT=${#1}; read -ra COMP_WORDS <<< "$1"
                COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
                _ppl ppl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"; echo "${COMPREPLY[*]}"
            }
            complete_line "ppl fi"
            complete_line "ppl fit --summ"
            complete_line "ppl sample --se"
            """
        let r = try CLI.shell(script, in: FileManager.default.temporaryDirectory.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "fit\n--summary-json\n--seed\n")
    }
}
