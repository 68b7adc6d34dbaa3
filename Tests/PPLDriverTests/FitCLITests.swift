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
        let file = try String(contentsOfFile: d + "/draws.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(file[0], "# model = eight_schools")
        XCTAssertTrue(file.contains("#   algorithm = meanfield"), "\(file.prefix(14))")
        let csv = file.filter { !$0.hasPrefix("#") }
        // 1,000 draws of each run that agrees with the best (four runs by default).
        XCTAssertTrue([1001, 2001, 3001, 4001].contains(csv.count), "\(csv.count)")
        XCTAssertTrue(csv[0].hasPrefix("lp__,log_p__,log_g__,mu,tau,eta.1,eta.2,"), String(csv[0]))
        XCTAssertTrue(csv[0].hasSuffix(",theta.8"))
        // log_p__ - log_g__ are the importance ratios k̂ was computed from: finite, and lp__ is log_p__.
        for row in csv.dropFirst().prefix(20) {
            let v = row.split(separator: ",").prefix(3).map { Double($0)! }
            XCTAssertTrue(v.allSatisfy(\.isFinite), String(row))
            XCTAssertEqual(v[0], v[1])
        }
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/summary.json"))) as! [String: Any]
        for key in ["guide", "family", "elbo", "steps", "seconds", "converged", "runs", "runs_agree", "largest_rhat", "khat",
                    "verdict", "log_z", "log_z_se", "params"] {
            XCTAssertNotNil(summary[key], key)
        }
        XCTAssertEqual(summary["runs"] as? Int, 4)
        if summary["runs_agree"] as? Bool == true { XCTAssertEqual(csv.count, 4001) }
        let params = summary["params"] as! [String: [String: Double]]
        XCTAssertEqual(Set(params["eta[3]"]!.keys), ["mean", "sd", "q05", "q50", "q95"])
        // What a script needs to trust it: whether it stopped early, how to redo it, what made it.
        XCTAssertEqual(summary["interrupted"] as? Bool, false)
        XCTAssertEqual(summary["seed"] as? Int, 1)
        let version = try XCTUnwrap(summary["version"] as? String), commit = try XCTUnwrap(summary["commit"] as? String)
        XCTAssertEqual(try ppl(["--version"]).stdout, "ppl \(version) (commit \(commit))\n")
        // The saved fit draws again without refitting, and warm-starts a fit.
        let s = try ppl(["sample", d + "/fit.json", "--draws-n", "50", "--draws", d + "/more.csv"])
        XCTAssertEqual(s.status, 0, s.stderr)
        XCTAssertEqual(try String(contentsOfFile: d + "/more.csv", encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("#") }.count, 51)
        let warm = try ppl(["fit", bench + "/models/eight_schools.ppl", "--data", bench + "/data/eight_schools.json",
                                "--init", d + "/fit.json"])
        XCTAssertEqual(warm.status, 0, warm.stderr)
    }

    /// `laplace` and `map` are placed at the mode by Newton's method: the header says so; a
    /// point's k̂ and log p(data) are said to be undefined, in the output and as nulls in the
    /// summary JSON; the optimiser's options do not apply; no mode is a failed fit, exit 70.
    func testGuidesPlacedAtTheModeReportWhatTheyAre() throws {
        let d = try dir()
        let m = d + "/gamma.ppl"
        try "param lambda: real<lower=0>\nlambda ~ gamma(3, 2)\n".write(toFile: m, atomically: true, encoding: .utf8)
        let laplace = try ppl(["fit", m, "--guide", "laplace"])
        XCTAssertEqual(laplace.status, 0, laplace.stderr)
        XCTAssertTrue(laplace.stdout.contains("\nframe: the posterior mode and its curvature\nNewton's method, "), laplace.stdout)
        XCTAssertTrue(laplace.stdout.contains("Pareto k̂ = "), laplace.stdout)
        let map = try ppl(["fit", m, "--guide", "map", "--summary-json", d + "/map.json"])
        XCTAssertEqual(map.status, 0, map.stderr)
        XCTAssertTrue(map.stdout.contains("; log p at the mode -0.3973 (unnormalised)\n"), map.stdout)
        XCTAssertTrue(map.stdout.hasSuffix("\nPareto k̂ and log p(data) are not defined for a point estimate (map): it has no density "
                                           + "to weight draws by; its draws are all the mode\n"), map.stdout)
        XCTAssertFalse(map.stdout.contains("nan"), map.stdout)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/map.json"))) as! [String: Any]
        for key in ["khat", "log_z", "log_z_se"] { XCTAssertTrue(summary[key] is NSNull, key) }
        XCTAssertTrue((summary["verdict"] as? String)?.hasPrefix("Pareto k̂ and log p(data) are not defined") == true)
        let params = summary["params"] as! [String: [String: Double]]
        XCTAssertEqual(params["lambda"]!["q50"]!, 1.5, accuracy: 1e-9)
        let steps = try ppl(["fit", m, "--guide", "laplace", "--steps", "100"])
        XCTAssertEqual(steps.status, 65)
        XCTAssertEqual(steps.stderr, "ppl: error: 'steps' does not apply to a laplace guide; laplace takes seed, draws, psis_resample\n")
        let flat = d + "/flat.ppl"
        try "param a: real\nparam b: real\n(a + b) ~ normal(0, 1)\n".write(toFile: flat, atomically: true, encoding: .utf8)
        let none = try ppl(["fit", flat, "--guide", "laplace", "--summary-json", d + "/none.json"])
        XCTAssertEqual(none.status, 70)
        XCTAssertTrue(none.stderr.hasPrefix("ppl: error: the laplace guide 'laplace' needs the posterior mode, with a "
                                            + "positive-definite curvature there, and Newton's method found none: "), none.stderr)
    }

    /// Ctrl-C stops the fit, which reports what it has; the summary JSON says it was
    /// interrupted, and the status is 70: an unfinished fit is not a success.
    func testAnInterruptedFitSaysSoInTheSummary() throws {
        let d = try dir()
        // maf at a tiny step size is still fitting after a second.
        let r = try CLI.shell("\"$PPL\" fit '\(bench)/models/eight_schools.ppl' --data '\(bench)/data/eight_schools.json' "
                              + "--steps 1000000 --runs 1 --guide maf --lr 0.0001 --seed 7 --summary-json s.json & sleep 2; "
                              + "kill -INT $!; wait $!", in: d)
        XCTAssertEqual(r.status, 70, r.stderr)
        XCTAssertTrue(r.stdout.contains("steps (interrupted)"), r.stdout)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/s.json"))) as! [String: Any]
        XCTAssertEqual(summary["interrupted"] as? Bool, true)
        XCTAssertEqual(summary["converged"] as? Bool, false)
        XCTAssertEqual(summary["seed"] as? Int, 7)
    }

    /// `ppl sample --seed`: the same seed gives the same draws, another seed others; without
    /// it, the seed of the fit's guide (1 here), as before.
    func testSampleTakesASeed() throws {
        let d = try dir()
        let m = bench + "/models/eight_schools.ppl", data = bench + "/data/eight_schools.json"
        XCTAssertEqual(try ppl(["fit", m, "--data", data, "--steps", "300", "--runs", "1", "--quiet", "--save", d + "/fit.json"]).status, 0)
        func draws(_ seed: [String]) throws -> String {
            let r = try ppl(["sample", d + "/fit.json", "--draws-n", "30", "--draws", d + "/d.csv"] + seed)
            XCTAssertEqual(r.status, 0, r.stderr)
            return try String(contentsOfFile: d + "/d.csv", encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
                .joined(separator: "\n")
        }
        let a = try draws(["--seed", "5"]), b = try draws(["--seed", "5"]), c = try draws(["--seed", "6"])
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertEqual(try draws([]), try draws(["--seed", "1"]))
        let bad = try ppl(["sample", d + "/fit.json", "--seed", "many"])
        XCTAssertEqual(bad.status, 65, bad.stderr)
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

    /// A data file as cmdstanpy's write_stan_json writes it: ints of float arrays as `2.0`,
    /// non-finite reals as bare Infinity, -Infinity and NaN (Python's json module). A real
    /// that is not integral is still no int.
    func testDataAsCmdstanpyWritesIt() throws {
        let d = try dir()
        let model = d + "/m.ppl"
        try """
            data K: int<lower=1>
            data n: array[3] int<lower=0>
            data x: vector[3]
            data z: real
            param mu: real
            mu ~ normal(K + sum(n), 0.1)

            """.write(toFile: model, atomically: true, encoding: .utf8)
        try "{\"K\": 2.0, \"n\": [1.0, 0.0, 3.0], \"x\": [0.5, Infinity, -Infinity], \"z\": NaN}"
            .write(toFile: d + "/m.data.json", atomically: true, encoding: .utf8)
        let r = try ppl(["fit", model, "--runs", "1", "--summary-json", d + "/s.json", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/s.json"))) as! [String: Any]
        let mu = (summary["params"] as! [String: [String: Double]])["mu"]!
        XCTAssertEqual(mu["mean"]!, 6, accuracy: 0.05)
        for (text, message) in [("{\"K\": 2.5, \"n\": [1, 0, 3], \"x\": [0, 0, 0], \"z\": 0}", "'K' is 2.5, but 'K' is int<lower=1>: an integer is needed"),
                                ("{\"K\": 2, \"n\": [1, NaN, 3], \"x\": [0, 0, 0], \"z\": 0}", "'n[2]' is nan, but 'n' is array[3] int<lower=0>: an integer is needed"),
                                ("{\"K\": 2, \"n\": [1, 0, 3], \"x\": [0, Infinit, 0], \"z\": 0}", "invalid JSON at line 1, column")] {
            try text.write(toFile: d + "/m.data.json", atomically: true, encoding: .utf8)
            let bad = try ppl(["check", model])
            XCTAssertEqual(bad.status, 65, text)
            XCTAssertTrue(bad.stderr.contains(message), bad.stderr)
        }
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

    /// Data of the constrained matrix types and elementwise bounds are checked when loaded;
    /// each violation names the variable and the element.
    func testBadConstrainedMatrixDataNameTheElement() throws {
        let d = try dir()
        let model = CLI.root + "/Tests/Golden/good/constrained_matrix_data.ppl"
        let good: [String: String] = [
            "K": "3", "R": "[[1, 0.3, -0.2], [0.3, 1, 0.1], [-0.2, 0.1, 1]]", "S": "[[2, 0.5, 0.1], [0.5, 1, 0.2], [0.1, 0.2, 0.5]]",
            "LR": "[[1, 0, 0], [0.3, 0.9539392014169455, 0], [-0.2, 0.1677255738755069, 0.9653331714326053]]",
            "LS": "[[1.5, 0, 0], [0.2, 0.9, 0], [-0.3, 0.1, 0.7]]", "F": "[[1, 0, 0], [0.5, 2, 0], [0.1, 0.2, 0.3], [1, 2, 3], [-1, 0, 1]]",
            "lo": "[0, -1, 1]", "y": "[0.5, -0.5, 1.5]",
        ]
        let cases: [(String, String, String)] = [
            ("R", "[[1, 0.3, -0.2], [0.4, 1, 0.1], [-0.2, 0.1, 1]]", "'R' is not symmetric: 'R[2,1]' is 0.4 but 'R[1,2]' is 0.3"),
            ("R", "[[1, 0.3, -0.2], [0.3, 1.1, 0.1], [-0.2, 0.1, 1]]", "'R[2,2]' is 1.1, but a correlation matrix has ones on its diagonal"),
            ("S", "[[1, 2, 0], [2, 1, 0], [0, 0, 1]]", "'S' is not positive definite"),
            ("LR", "[[1, 0, 0], [0.3, 0.9, 0], [-0.2, 0.1677255738755069, 0.9653331714326053]]", "row 2 of 'LR' has squared length 0.9"),
            ("LS", "[[1.5, 0.5, 0], [0.2, 0.9, 0], [-0.3, 0.1, 0.7]]", "'LS[1,2]' is 0.5, but a Cholesky factor is zero above its diagonal"),
            ("LS", "[[1.5, 0, 0], [0.2, -0.9, 0], [-0.3, 0.1, 0.7]]", "'LS[2,2]' is -0.9, but a Cholesky factor has a positive diagonal"),
            ("y", "[0.5, -0.5, 0.5]", "'y[3]' is 0.5, below the lower bound 1 of vector<lower=lo>[K]"),
        ]
        let check = try ppl(["check", model, "--data", try write(d + "/good.json", good)])
        XCTAssertEqual(check.status, 0, check.stderr)
        for (k, (name, value, message)) in cases.enumerated() {
            var fields = good
            fields[name] = value
            let r = try ppl(["check", model, "--data", try write(d + "/bad\(k).json", fields)])
            XCTAssertEqual(r.status, 65, name)
            XCTAssertTrue(r.stderr.contains(message), "expected \(message) in \(r.stderr)")
        }
    }

    private func write(_ path: String, _ fields: [String: String]) throws -> String {
        let json = "{" + fields.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
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
        XCTAssertEqual(r.status, 65, r.stdout + r.stderr)
        XCTAssertTrue(r.stderr.contains("big.json: the unconstrained dimension N is 3000000000, more than ppl holds (2147483647)"),
                      r.stderr)
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

    /// Arrays come as nested JSON, one level per dimension; their components are named with
    /// every index (M[2,1,2] for an array of matrices); mis-shaped data are named by index.
    func testArraysFromNestedJSONAreNamedByEveryIndex() throws {
        let d = try dir()
        let model = d + "/arrays.ppl"
        try """
            data N: int<lower=1>
            data x: array[N] vector[2]
            data Z: array[2] matrix[2, 3]
            data w: array[2] simplex[3]
            param mu: array[2] vector[2]
            param M: array[2] matrix[2, 2]
            for n in 1:N { x[n] ~ normal(mu[1], 1) }
            mu[2] ~ normal(w[2, 3], 1)
            for k in 1:2 { M[k] ~ normal(Z[k, 2, 3], 1) }

            """.write(toFile: model, atomically: true, encoding: .utf8)
        let x = "[[0.5, 1], [1.5, -1], [0, 0]]", z = "[[[1, 2, 3], [4, 5, 6]], [[1, 2, 3], [4, 5, 6]]]"
        let w = "[[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]"
        try "{\"N\": 3, \"x\": \(x), \"Z\": \(z), \"w\": \(w)}".write(toFile: d + "/good.json", atomically: true, encoding: .utf8)
        let r = try ppl(["fit", model, "--data", d + "/good.json", "--summary-json", d + "/summary.json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for row in ["\nmu[1,2] ", "\nmu[2,1] ", "\nM[1,1,1] ", "\nM[2,2,1] "] { XCTAssertTrue(r.stdout.contains(row), row + r.stdout) }
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/summary.json"))) as! [String: Any]
        let params = summary["params"] as! [String: [String: Double]]
        XCTAssertEqual(params.count, 12)
        // M[2] ~ normal(Z[2, 2, 3] = 6, 1): the posterior means are near 6.
        XCTAssertEqual(params["M[2,1,2]"]!["mean"]!, 6, accuracy: 0.5)
        let cases: [(String, String)] = [
            ("{\"N\": 3, \"x\": [[0.5, 1], [1.5], [0, 0]], \"Z\": \(z), \"w\": \(w)}",
             "'x[2]' has 1 elements, but its type array[N] vector[2] needs 2"),
            ("{\"N\": 3, \"x\": \(x), \"Z\": [[[1, 2, 3], [4, 5, 6]], [[1, 2, 3], [4, 5]]], \"w\": \(w)}",
             "'Z[2,2]' has 2 elements, but its type array[2] matrix[2, 3] needs 3"),
            ("{\"N\": 3, \"x\": \(x), \"Z\": \(z), \"w\": [[0.2, 0.3, 0.5], [0.1, 0.1, 0.7]]}",
             "'w[2]' sums to 0.8999"),
            ("{\"N\": 3, \"x\": \(x), \"Z\": [1, 2], \"w\": \(w)}", "'Z[1]' must be an array (array[2] matrix[2, 3])"),
        ]
        for (k, (json, message)) in cases.enumerated() {
            let path = d + "/bad\(k).json"
            try json.write(toFile: path, atomically: true, encoding: .utf8)
            let bad = try ppl(["fit", model, "--data", path])
            XCTAssertEqual(bad.status, 65, json)
            XCTAssertTrue(bad.stderr.contains(message), "expected \(message) in \(bad.stderr)")
        }
    }

    /// An index out of range at run time stops the fit with the line of the indexing.
    func testAnIndexOutOfRangeAtRunTimeNamesItsLine() throws {
        let d = try dir()
        try """
            data N: int
            data y: vector[N]
            data idx: array[N] int
            param mu: vector[N]
            mu ~ normal(0, 1)
            for i in 1:N {
              y[i] ~ normal(mu[idx[i] + 1], 1)
            }

            """.write(toFile: d + "/bad_index.ppl", atomically: true, encoding: .utf8)
        try #"{"N": 3, "y": [0.1, 0.5, 1.2], "idx": [1, 2, 3]}"#.write(toFile: d + "/bad_index.json", atomically: true, encoding: .utf8)
        let r = try ppl(["fit", d + "/bad_index.ppl", "--data", d + "/bad_index.json", "--steps", "10"])
        XCTAssertEqual(r.status, 70, r.stderr)
        XCTAssertTrue(r.stderr.contains("bad_index.ppl:7: index 4 out of range for 'mu' (size 3)"), r.stderr)
    }
}

/// The draws file as ArviZ reads it (`arviz.from_cmdstan`), where a Python with ArviZ is
/// found: the checkout's `.venv-anchors` (see ../shared/bench/README.md), else `python3`.
final class StanCSVTests: XCTestCase {
    func python() -> String? {
        for p in [CLI.root + "/.venv-anchors/bin/python", "/usr/bin/python3"] where FileManager.default.isExecutableFile(atPath: p) {
            let probe = Process()
            probe.executableURL = URL(fileURLWithPath: p)
            probe.arguments = ["-c", "import arviz"]
            probe.standardError = FileHandle.nullDevice
            guard (try? probe.run()) != nil else { continue }
            probe.waitUntilExit()
            if probe.terminationStatus == 0 { return p }
        }
        return nil
    }

    func testArviZGroupsVectorsAndMatricesAndKeepsTheLogDensities() throws {
        guard let python = python() else { throw XCTSkip("no Python with ArviZ") }
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("ppl-stancsv-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: d) }
        try """
            param beta: vector[3]
            param W: matrix[2, 2]
            param s: real<lower=0>
            beta ~ normal(0, 1)
            to_vector(W) ~ normal(0, 2)
            s ~ exponential(1)

            """.write(toFile: d + "/m.ppl", atomically: true, encoding: .utf8)
        let r = try CLI.run(["fit", d + "/m.ppl", "--runs", "1", "--draws-n", "200", "--draws", d + "/draws.csv", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let script = """
            import arviz
            data = arviz.from_cmdstan(posterior="\(d)/draws.csv")
            p = data.posterior
            print(sorted(p.data_vars), p["beta"].shape, p["W"].shape, p["s"].shape)
            print(sorted(data.sample_stats.data_vars))
            print(float(p["W"].values[0, :, 1, 0].std()) > 0.5)
            """
        let run = try CLI.run(["-c", script], in: d, executable: python, environment: [:])
        let text = run.stdout + run.stderr
        XCTAssertEqual(run.status, 0, text)
        XCTAssertTrue(text.contains("['W', 'beta', 's'] (1, 200, 3) (1, 200, 2, 2) (1, 200)"), text)
        XCTAssertTrue(text.contains("['log_g', 'log_p', 'lp']") || text.contains("['log_g__', 'log_p__', 'lp']"), text)
        XCTAssertTrue(text.contains("True"), text)
    }

    /// Generated quantities are columns of the draws file that ArviZ takes as the posterior
    /// predictive group, beside the observed data read from the data file.
    func testArviZReadsGeneratedQuantitiesAsThePosteriorPredictive() throws {
        guard let python = python() else { throw XCTSkip("no Python with ArviZ") }
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("ppl-stancsv-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: d) }
        let data = CLI.root + "/models/conjugate_normal.data.json"
        let r = try CLI.run(["fit", CLI.root + "/models/conjugate_normal.ppl", "--runs", "1", "--draws-n", "500", "--draws", d + "/draws.csv",
                             "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let script = """
            import arviz, numpy
            data = arviz.from_cmdstan(posterior="\(d)/draws.csv", posterior_predictive=["y_rep"],
                                      observed_data="\(data)", observed_data_var=["y"])
            pp = data.posterior_predictive["y_rep"].values
            y = data.observed_data["y"].values
            print(sorted(data.groups()), pp.shape, y.shape, sorted(data.posterior.data_vars))
            print("p-value", 0.05 < float(numpy.mean(pp.mean(axis=2) > y.mean())) < 0.95)
            """
        let run = try CLI.run(["-c", script], in: d, executable: python, environment: [:])
        let text = run.stdout + run.stderr
        XCTAssertEqual(run.status, 0, text)
        XCTAssertTrue(text.contains("['observed_data', 'posterior', 'posterior_predictive', 'sample_stats'] (1, 500, 20) (20,) "
                                    + "['beta', 'max_rep', 'mean_rep']"), text)
        XCTAssertTrue(text.contains("p-value True"), text)
    }
}
