import CLITestSupport
import Foundation
import XCTest

/// `ppl repl` driven by a script on standard input, as `ppl repl < session.txt`: every
/// command, model edits, errors and exit codes.
final class ReplTests: XCTestCase {
    /// Runs a session from the package's root, so scripts name models as a user would.
    func repl(_ lines: [String], arguments: [String] = []) throws -> CLI.Run {
        try CLI.run(["repl"] + arguments, input: lines.joined(separator: "\n") + "\n", in: CLI.root)
    }

    func dir() throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("ppl-repl-\(getpid())-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// The ELBO on the header line of each fit, in order.
    func elbos(_ output: String) -> [Double] {
        output.split(separator: "\n").filter { $0.contains(" steps (") }.compactMap { line in
            line.components(separatedBy: "ELBO ").last.flatMap { Double($0.prefix { $0 != ";" }) }
        }
    }

    func testLoadFitSummaryElboAndKhat() throws {
        let r = try repl([":load models/regression.ppl", ":fit 300", ":summary", ":elbo", ":khat"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        XCTAssertTrue(r.stdout.contains("loaded models/regression.ppl with data models/regression.data.json: "
                                        + "3 params, 5 unconstrained dimensions; guide mf = meanfield"), r.stdout)
        expect(r.stdout, contains: [
            "models/regression.ppl: guide 'mf' (meanfield), 5 unconstrained dimensions",
            "300 steps (step cap reached)",
            "guide mf = meanfield, 300 steps; ELBO ",
        ])
        for row in ["\nalpha ", "\nbeta[1] ", "\nbeta[3] ", "\nsigma "] { XCTAssertTrue(r.stdout.contains(row), row) }
        XCTAssertEqual(r.stdout.components(separatedBy: "Pareto k̂ = ").count - 1, 3, "after :fit, :summary and :khat")
        expect(r.stdout, contains: [
            "ELBO over 300 steps (each column the mean of 5 steps)",
            " ┤",
        ])
        XCTAssertTrue(r.stdout.contains(" └" + String(repeating: "─", count: 60)), r.stdout)
    }

    func testFitContinuesFromTheGuideStateAndANewGuideStartsAfresh() throws {
        // In the model's own coordinates: in the frame of the mode's curvature 60 steps are
        // already near the optimum.
        let r = try repl([":load models/regression.ppl", ":set precondition off", ":fit 60", ":reset", ":load models/regression.ppl",
                          ":set precondition off", ":fit 2000", ":fit 60", ":elbo", ":guide fr", ":fit 60", ":elbo"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let e = elbos(r.stdout)
        XCTAssertEqual(e.count, 4, r.stdout)
        guard e.count == 4 else { return }
        // 60 steps from the start are far from the optimum; 60 more after a converged fit are at it.
        XCTAssertLessThan(e[0], -150, r.stdout)
        XCTAssertGreaterThan(e[2], -140, r.stdout)
        XCTAssertGreaterThan(e[2], e[0] + 20, r.stdout)
        expect(r.stdout, contains: [
            "continuing from the guide's state after 1500 steps",
            "ELBO over 1560 steps",
            "guide: fr = fullrank; the next ':fit' starts it afresh",
            "new guide fr = fullrank: starting afresh",
            "guide 'fr' (fullrank)",
            "ELBO over 60 steps",
        ])
    }

    func testEditsReplaceAddMoveAndARejectedEditChangesNothing() throws {
        let r = try repl([
            ":load models/regression.ppl",
            "alpha ~ normal(0, 10)",
            "param nu: real<lower=0>",
            "nu ~ gamma(2, 0.1)",
            "y ~ student_t(nu, alpha + X * beta, sigma)",
            "alpha ~ nromal(0, 1)",
            "param beta: vector[K]; beta ~ normal(0, sigmaa)",
            ":show",
            ":fit 200",
        ])
        XCTAssertEqual(r.status, 65, r.stderr)
        expect(r.stdout, contains: [
            "replaced: alpha ~ normal(0, 5)  →  alpha ~ normal(0, 10)",
            "added: param nu: real<lower=0>",
            "added: nu ~ gamma(2, 0.1)",
            "replaced: y ~ normal(alpha + X * beta, sigma)  →  y ~ student_t(nu, alpha + X * beta, sigma)",
        ])
        XCTAssertTrue(r.stderr.contains("""
            <repl>:1:9: error: unknown distribution 'nromal'
             1 | alpha ~ nromal(0, 1)
               |         ^^^^^^
               = help: did you mean 'normal'?
            """), r.stderr)
        XCTAssertTrue(r.stderr.contains("<repl>:1:41: error: 'sigmaa' is not declared"), r.stderr)
        // The model as it stands: the prior replaced in place, the likelihood moved after
        // the declaration of nu it needs, nothing of the rejected lines.
        let shown = r.stdout.components(separatedBy: "\n")
        let alpha = shown.firstIndex(of: "alpha ~ normal(0, 10)"), nu = shown.firstIndex(of: "param nu: real<lower=0>")
        let y = shown.firstIndex(of: "y ~ student_t(nu, alpha + X * beta, sigma)")
        XCTAssertNotNil(alpha, r.stdout)
        XCTAssertNotNil(nu, r.stdout)
        XCTAssertNotNil(y, r.stdout)
        if let alpha, let nu, let y {
            XCTAssertLessThan(alpha, nu)
            XCTAssertLessThan(nu, y)
        }
        XCTAssertFalse(r.stdout.contains("alpha ~ normal(0, 5)\n"), r.stdout)
        XCTAssertFalse(r.stdout.contains("sigmaa"), r.stdout)
        XCTAssertFalse(r.stdout.contains("nromal"), r.stdout)
        XCTAssertTrue(r.stdout.contains("6 unconstrained dimensions"), r.stdout)
    }

    func testAModelTypedInTheSessionWithMultiLineStatements() throws {
        let r = try repl([
            "param mu: real",
            "mu ~ normal(0, 1)",
            "fn shift(x: real) -> real {",
            "  return x - 1",
            "}",
            "target += normal_lpdf(shift(mu) | 0,",
            "                      2)",
            "mu ~ normal(0, 3)",
            ":show",
            ":fit 300",
            ":summary",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("added: fn shift(x: real) -> real { …"), r.stdout)
        XCTAssertTrue(r.stdout.contains("""
            param mu: real
            mu ~ normal(0, 3)
            fn shift(x: real) -> real {
              return x - 1
            }
            target += normal_lpdf(shift(mu) | 0,
                                  2)
            """), r.stdout)
        expect(r.stdout, contains: [
            "<session>: guide 'meanfield' (meanfield), 1 unconstrained dimension",
            "\nmu ",
        ])
    }

    func testGuidesBlocksFamiliesAndKeys() throws {
        let r = try repl([
            ":load ../shared/bench/models/eight_schools.ppl",
            ":data ../shared/bench/data/eight_schools.json",
            ":guide",
            ":guide fulrank",
            ":guide iaf { layers = 1, hidden = [4] }",
            ":guide",
            ":fit 100",
            ":guide iaf { layers = 0 }",
            ":guide iaf",
            "guide iaf { layers = 1, hidden = [8] }",
            ":fit 100",
            "guide deep = maf { layers = 1, hidden = [4] }",
        ])
        XCTAssertEqual(r.status, 65, r.stderr)
        expect(r.stdout, contains: [
            "data ../shared/bench/data/eight_schools.json: 3 params, 10 unconstrained dimensions; guide mf = meanfield",
            "guide: mf = meanfield (the model's first guide block)\nguide blocks: mf, iaf\nfamilies: meanfield, fullrank,",
        ])
        XCTAssertTrue(r.stderr.contains("no guide block or guide family named 'fulrank'; did you mean 'fullrank'?"), r.stderr)
        expect(r.stdout, contains: [
            "replaced: guide iaf { layers = 2, hidden = [32, 32] }  →  guide iaf = iaf { layers = 1, hidden = [4] }",
            "guide: iaf = iaf { hidden = [4], layers = 1 }\n",
            // The joint mode of a hierarchical model shrinks the groups together: no frame.
            "guide 'iaf' (iaf), 10 unconstrained dimensions\nframe: none (the Laplace approximation at the mode is poor",
            "\n100 steps (step cap reached)",
        ])
        // A bad key is rejected with its place, and the block stays as it was.
        XCTAssertTrue(r.stderr.contains("<repl>:1:28: error: 'layers' must be a positive integer"), r.stderr)
        expect(r.stdout, contains: [
            "guide: iaf = iaf { hidden = [4], layers = 1 }\n",
            "replaced: guide iaf = iaf { layers = 1, hidden = [4] }  →  guide iaf { layers = 1, hidden = [8] }",
            "new guide iaf = iaf { hidden = [8], layers = 1 }: starting afresh",
        ])
        // A guide block typed in is used once chosen; the chosen one needs no hint.
        XCTAssertTrue(r.stdout.contains("added: guide deep = maf { layers = 1, hidden = [4] }\nto fit with it: ':guide deep'\n"), r.stdout)
        XCTAssertFalse(r.stdout.contains("':guide iaf'"), r.stdout)
    }

    func testDrawsSaveAndRestore() throws {
        let d = try dir()
        let r = try repl([
            ":load models/regression.ppl", ":fit 300", ":draws 50 \(d)/draws.csv", ":save \(d)/fit.json",
            "sigma ~ half_normal(1)", ":fit 100", ":save \(d)/edited.json",
            ":reset", ":summary", ":restore \(d)/fit.json", ":summary", ":fit 100", ":draws 5 \(d)/few.csv",
        ])
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stdout.contains("wrote 50 draws (5 columns) to \(d)/draws.csv"), r.stdout)
        let csv = try String(contentsOfFile: d + "/draws.csv", encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        XCTAssertEqual(csv.count, 51)
        XCTAssertEqual(csv.first, "lp__,log_p__,log_g__,alpha,beta.1,beta.2,beta.3,sigma")
        expect(r.stdout, contains: [
            "saved the fit to \(d)/fit.json\n",
            "saved the fit to \(d)/edited.json (and the model as edited in this session to \(d)/edited.ppl)",
        ])
        XCTAssertTrue(try String(contentsOfFile: d + "/edited.ppl", encoding: .utf8).contains("sigma ~ half_normal(1)\n"))
        XCTAssertTrue(r.stderr.contains("error: nothing fitted yet: ':fit' first"), r.stderr)
        expect(r.stdout, contains: [
            "restored \(d)/fit.json: \(CLI.root)/models/regression.ppl with data ",
            "guide mf = meanfield (restored)",
            "continuing from the guide's state\n",
        ])
        XCTAssertTrue(r.stderr.contains("error: ':draws' needs at least 10 draws, not 5"), r.stderr)
        // Both saved fits draw again outside the REPL.
        for name in ["fit", "edited"] {
            let s = try CLI.run(["sample", "\(d)/\(name).json", "--draws-n", "20"])
            XCTAssertEqual(s.status, 0, s.stderr)
            XCTAssertTrue(s.stdout.contains("\nsigma "), s.stdout)
        }
    }

    func testIrSetHelpAndTypos() throws {
        let r = try repl([
            ":load models/regression.ppl", ":ir", ":ir --grad", ":ir --gard", ":set", ":set lr 0.01", ":set lr",
            ":set lrr 0.1", ":set samples -1", ":set stl off", ":help", ":help fit", ":lod models/regression.ppl",
            ":fit 100",
        ])
        XCTAssertEqual(r.status, 65)
        for program in ["program transformed_data", "program log_density", "program derived",
                        "program unconstrained_log_density", "program unconstrained_log_density.grad"] {
            XCTAssertTrue(r.stdout.contains(program), program)
        }
        XCTAssertTrue(r.stderr.contains("error: ':ir' takes only --grad, not '--gard'; did you mean '--grad'?"), r.stderr)
        XCTAssertTrue(r.stdout.contains("  lr             default   Adam's step size"), r.stdout)
        XCTAssertEqual(r.stdout.components(separatedBy: "lr = 0.01\n").count - 1, 2, r.stdout)
        XCTAssertTrue(r.stderr.contains("error: unknown setting 'lrr'; did you mean 'lr'?"), r.stderr)
        XCTAssertTrue(r.stderr.contains("error: 'samples' must be a positive integer\n"), r.stderr)
        XCTAssertTrue(r.stdout.contains("stl = off"), r.stdout)
        for c in ["load", "data", "guide", "fit", "summary", "draws", "elbo", "khat", "report", "ir", "set", "save", "restore",
                  "show", "reset", "help", "quit"] {
            XCTAssertTrue(r.stdout.contains("\n  :\(c)"), c)
        }
        XCTAssertTrue(r.stdout.contains(":fit [STEPS]\n  fit, going on from the guide's state\n  STEPS: the most steps"), r.stdout)
        XCTAssertTrue(r.stderr.contains("error: unknown command ':lod'; did you mean ':load'?"), r.stderr)
        XCTAssertTrue(r.stdout.contains("100 steps"), r.stdout)
    }

    func testCommandsWithoutAModelOrDataFailWithoutCrashing() throws {
        let r = try repl([":fit", ":summary", ":elbo", ":khat", ":show", ":ir", ":guide iaf", ":draws 10 x.csv",
                          ":save x.json", ":load /nonexistent/model.ppl", ":restore /nonexistent/fit.json",
                          ":load ../shared/bench/models/linreg.ppl", ":fit", ":data /nonexistent/data.json",
                          ":fit 10 20", ":elbo now"])
        XCTAssertEqual(r.status, 65)
        XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
        XCTAssertEqual(r.stderr.components(separatedBy: "error: no model yet").count - 1, 4, r.stderr)
        XCTAssertEqual(r.stderr.components(separatedBy: "error: nothing fitted yet").count - 1, 5, r.stderr)
        XCTAssertTrue(r.stderr.contains("error: cannot read '/nonexistent/model.ppl'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("error: cannot read the saved fit '/nonexistent/fit.json'"), r.stderr)
        XCTAssertTrue(r.stdout.contains("loaded ../shared/bench/models/linreg.ppl: 3 params (data needed: N, K, X, y)"), r.stdout)
        XCTAssertTrue(r.stderr.contains("error: the model needs data (N, K, X, y): ':data FILE'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("error: cannot read the data file '/nonexistent/data.json'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("error: ':fit' takes a positive number of steps, not '10 20'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("error: ':elbo' takes no arguments"), r.stderr)
    }

    func testExitStatusAndQuit() throws {
        let ok = try repl([":load models/regression.ppl", ":fit 100", ":quit", ":lod everything after quit is not read"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        // 100 steps do not converge: a warning (on stderr), no error.
        XCTAssertTrue(ok.stderr.split(separator: "\n").allSatisfy { $0.hasPrefix("warning: ") }, ok.stderr)
        let d = try dir()
        let bad = d + "/nan.ppl"
        try "param mu: real\ntarget += log(-1 - mu * mu)\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let runtime = try repl([":load \(bad)", ":fit 200", ":show"])
        XCTAssertEqual(runtime.status, 70, runtime.stdout + runtime.stderr)
        XCTAssertTrue(runtime.stdout.contains("non-finite"), runtime.stdout)
        XCTAssertTrue(runtime.stdout.contains("target += log(-1 - mu * mu)"), "the session goes on after the failure")
    }

    func testCtrlCInAScriptStopsTheFitAndTheScriptGoesOn() throws {
        let d = try dir()
        let script = d + "/session.txt", out = d + "/out.txt"
        try [":load models/regression.ppl", ":set samples 4000", ":fit 200000", ":set samples 8", ":fit 300", ""]
            .joined(separator: "\n").write(toFile: script, atomically: true, encoding: .utf8)
        FileManager.default.createFile(atPath: out, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["repl"]
        p.currentDirectoryURL = URL(fileURLWithPath: CLI.root)
        p.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: script))
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        p.standardError = FileHandle.nullDevice
        try p.run()
        let end = Date().addingTimeInterval(30)
        while Date() < end, !(try String(contentsOfFile: out, encoding: .utf8)).contains("samples = 4000") { usleep(20_000) }
        usleep(300_000)
        p.interrupt()
        p.waitUntilExit()
        let output = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertEqual(p.terminationStatus, 0, output)
        XCTAssertTrue(output.contains("steps (interrupted)"), output)
        XCTAssertTrue(output.contains("300 steps (step cap reached)"), "the next fit runs whole: \(output)")
    }

    func testModelAndDataOnTheCommandLine() throws {
        let r = try repl([":fit 100"], arguments: ["../shared/bench/models/eight_schools.ppl",
                                                   "--data", "../shared/bench/data/eight_schools.json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        expect(r.stdout, contains: [
            "loaded ../shared/bench/models/eight_schools.ppl with data ../shared/bench/data/eight_schools.json: 3 params, 10 unconstrained dimensions",
            "100 steps",
        ])
        let bad = try repl([":show"], arguments: ["models/nonexistent.ppl"])
        XCTAssertEqual(bad.status, 65)
        XCTAssertTrue(bad.stderr.contains("cannot read 'models/nonexistent.ppl'"), bad.stderr)
    }

    /// Every expected piece appears in the output (each reported on its own).
    func expect(_ output: String, contains expected: [String], file: StaticString = #filePath, line: UInt = #line) {
        for e in expected { XCTAssertTrue(output.contains(e), "missing \(e) in:\n\(output)", file: file, line: line) }
    }
}
