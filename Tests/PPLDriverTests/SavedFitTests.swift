import CLITestSupport
import Foundation
import XCTest

/// A saved fit knows the model and data it was fitted to (`ContentHash`): `ppl sample`,
/// `--init` and the REPL's `:restore` refuse it once either changed, naming which; a fit
/// that diverged is reported as failed and never saved.
final class SavedFitTests: XCTestCase {
    let model = "data N: int\ndata y: vector[N]\nparam mu: real\nmu ~ normal(0, 10)\ny ~ normal(mu, 1)\n"
    let data = "{\"N\": 3, \"y\": [1.5, 2, 2.5]}"

    func dir() throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("ppl-saved-\(getpid())-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// A folder with m.ppl and m.json fitted and saved to fit.json.
    func fitted() throws -> String {
        let d = try dir()
        try model.write(toFile: d + "/m.ppl", atomically: true, encoding: .utf8)
        try data.write(toFile: d + "/m.json", atomically: true, encoding: .utf8)
        let r = try CLI.run(["fit", "m.ppl", "--data", "m.json", "--steps", "300", "--runs", "1", "--quiet", "--save", "fit.json"], in: d)
        XCTAssertEqual(r.status, 0, r.stderr)
        return d
    }

    /// `ppl sample`, a fit with `--init` and `:restore` of fit.json in `d`: their status and stderr.
    func uses(in d: String) throws -> [CLI.Run] {
        [
            try CLI.run(["sample", "fit.json", "--draws-n", "20"], in: d),
            try CLI.run(["fit", "m.ppl", "--data", "m.json", "--steps", "100", "--runs", "1", "--init", "fit.json"], in: d),
            try CLI.run(["repl"], input: ":restore fit.json\n", in: d),
        ]
    }

    /// A fit with local params under minibatching keeps every row's parameters, laid out
    /// otherwise than the family's own φ over the same coordinates (as many entries): the
    /// saved fit records the layout and the options, so `ppl sample` draws from the same
    /// guide, and a fit of another layout refuses it as a start.
    func testASavedFitOfLocalParamsIsDrawnFromAsFitted() throws {
        let d = try dir()
        try """
            data N: int<lower=1>
            data y: vector[N]
            param mu: real
            param z: vector[N]
            mu ~ normal(0, 5)
            z ~ normal(0, 1)
            y ~ normal(mu + z, 0.5)
            """.write(toFile: d + "/m.ppl", atomically: true, encoding: .utf8)
        let y = (1...20).map { String(Double($0 % 7) / 2) }.joined(separator: ", ")
        try "{\"N\": 20, \"y\": [\(y)]}".write(toFile: d + "/m.json", atomically: true, encoding: .utf8)
        let fit = try CLI.run(["fit", "m.ppl", "--data", "m.json", "--minibatch", "N=5", "--quiet", "--save", "fit.json",
                               "--summary-json", "fit.summary.json"], in: d)
        XCTAssertEqual(fit.status, 0, fit.stderr)
        let sample = try CLI.run(["sample", "fit.json", "--summary-json", "sample.summary.json"], in: d)
        XCTAssertEqual(sample.status, 0, sample.stderr)
        func mean(_ file: String, _ name: String) throws -> Double {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/" + file))) as? [String: Any]
            let params = try XCTUnwrap(json?["params"] as? [String: Any])
            return try XCTUnwrap((params[name] as? [String: Any])?["mean"] as? Double)
        }
        for name in ["mu", "z[1]", "z[20]"] {
            XCTAssertEqual(try mean("sample.summary.json", name), try mean("fit.summary.json", name), accuracy: 0.05, name)
        }
        let other = try CLI.run(["fit", "m.ppl", "--data", "m.json", "--steps", "100", "--init", "fit.json"], in: d)
        XCTAssertEqual(other.status, 65, other.stderr)
        XCTAssertTrue(other.stderr.hasPrefix("ppl: error: 'fit.json' holds a guide 'meanfield; local z: each row its own Gaussian' "
                                             + "of dimension 21; this one is 'meanfield' of dimension 21"), other.stderr)
    }

    func testTheSavedFitRecordsHashesAndIsUsableUnchanged() throws {
        let d = try fitted()
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/fit.json"))) as? [String: Any]
        for key in ["model_hash", "data_hash"] {
            let h = try XCTUnwrap(saved?[key] as? String, key)
            XCTAssertEqual(h.count, 16, "64 bits in hex")
        }
        // Comments and layout are not the model: the fit stays usable.
        try ("// the same model\n" + model.replacingOccurrences(of: "~", with: " ~ ")).write(toFile: d + "/m.ppl", atomically: true, encoding: .utf8)
        try data.replacingOccurrences(of: " ", with: "\n").write(toFile: d + "/m.json", atomically: true, encoding: .utf8)
        for r in try uses(in: d) { XCTAssertEqual(r.status, 0, r.stderr) }
    }

    func testAChangedModelIsRefusedNamingTheModel() throws {
        let d = try fitted()
        try model.replacingOccurrences(of: "normal(0, 10)", with: "normal(0, 1)").write(toFile: d + "/m.ppl", atomically: true, encoding: .utf8)
        for r in try uses(in: d) {
            XCTAssertEqual(r.status, 65)
            XCTAssertTrue(r.stderr.contains("'fit.json' was fitted to another version of the model: '\(d)/m.ppl' changed since it was saved; "
                                            + "fit it again"), r.stderr)
        }
    }

    func testChangedDataAreRefusedNamingTheData() throws {
        let d = try fitted()
        try data.replacingOccurrences(of: "2.5", with: "2.6").write(toFile: d + "/m.json", atomically: true, encoding: .utf8)
        for r in try uses(in: d) {
            XCTAssertEqual(r.status, 65)
            XCTAssertTrue(r.stderr.contains("'fit.json' was fitted to other data: '\(d)/m.json' changed since it was saved; fit it again"),
                          r.stderr)
        }
    }

    /// A fit whose ELBO is never finite: exit 70, the summary names the failure, and neither
    /// the draws nor the guide are written (nor is an old saved fit replaced).
    func testAFailedFitIsReportedAndNotSaved() throws {
        let d = try dir()
        try "param mu: real\ntarget += log(-1 - mu * mu)\n".write(toFile: d + "/bad.ppl", atomically: true, encoding: .utf8)
        try "old\n".write(toFile: d + "/fit.json", atomically: true, encoding: .utf8)
        let r = try CLI.run(["fit", "bad.ppl", "--runs", "1", "--quiet", "--summary-json", "summary.json", "--draws", "draws.csv",
                             "--save", "fit.json"], in: d)
        XCTAssertEqual(r.status, 70)
        XCTAssertTrue(r.stderr.contains("warning: the ELBO or its gradient stayed non-finite for 30 steps"), r.stderr)
        XCTAssertFalse(r.stdout.contains("warning"), r.stdout)
        XCTAssertTrue(r.stderr.contains("ppl: error: the fit failed (the ELBO or its gradient stayed non-finite for 30 steps"), r.stderr)
        XCTAssertTrue(r.stderr.contains("so 'draws.csv' and 'fit.json' are not written"), r.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/summary.json"))) as? [String: Any]
        XCTAssertTrue((summary?["failure"] as? String)?.hasPrefix("the ELBO or its gradient stayed non-finite") == true, "\(summary ?? [:])")
        XCTAssertTrue(summary?["elbo"] is NSNull)
        XCTAssertFalse(FileManager.default.fileExists(atPath: d + "/draws.csv"))
        XCTAssertEqual(try String(contentsOfFile: d + "/fit.json", encoding: .utf8), "old\n")
        // A fit that did not fail says so too.
        let g = try fitted()
        let good = try CLI.run(["fit", "m.ppl", "--data", "m.json", "--steps", "300", "--runs", "1", "--quiet", "--summary-json", "s.json"],
                               in: g)
        XCTAssertEqual(good.status, 0, good.stderr)
        let s = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: g + "/s.json"))) as? [String: Any]
        XCTAssertTrue(s?["failure"] is NSNull, "\(s ?? [:])")
    }

    /// `mu` has neither a prior nor data: the guide's scale grows until its draws overflow.
    /// That is a failed fit naming 'mu', in ppl fit and in the REPL, not a table with an
    /// infinite sd and exit 0.
    func testAnImproperPosteriorIsAFailureNamingTheParam() throws {
        let d = try dir()
        try "param mu: real\nparam s: real<lower=0>\ns ~ normal(0, 1)\n".write(toFile: d + "/imp.ppl", atomically: true, encoding: .utf8)
        let message = "the draws of 'mu' have no finite mean or sd: the posterior looks improper (a param with neither a prior nor data?)"
        let r = try CLI.run(["fit", "imp.ppl", "--runs", "1", "--steps", "3000", "--lr", "1", "--no-precondition", "--quiet",
                             "--save", "fit.json"], in: d)
        XCTAssertEqual(r.status, 70)
        XCTAssertTrue(r.stderr.contains("warning: " + message), r.stderr)
        XCTAssertFalse(r.stdout.contains("warning"), r.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: d + "/fit.json"))
        let repl = try CLI.run(["repl", "imp.ppl"], input: ":set runs 1\n:set lr 1\n:set precondition off\n:fit 3000\n:save fit.json\n",
                               in: d)
        XCTAssertEqual(repl.status, 70)
        XCTAssertTrue(repl.stderr.contains("warning: " + message), repl.stderr)
        XCTAssertFalse(repl.stdout.contains("warning"), repl.stdout)
        XCTAssertTrue(repl.stderr.contains("the fit failed (" + message), repl.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: d + "/fit.json"))
    }

    /// μ and ν enter only through μ + ν and have no priors: the density is constant along
    /// μ − ν, so the posterior is improper. The mode search finds that line before any fit
    /// (a full-rank guide would otherwise stretch along it and report k̂ 0.9, exit 0), names
    /// both params, exits 70 and saves nothing; σ, with a prior, is not named. So it does
    /// beside a hierarchy that has no mode. A proper posterior with a very wide prior on the
    /// same line is fitted.
    func testANonIdentifiedPosteriorIsNamedImproperBeforeTheFit() throws {
        let d = try dir()
        let model = "data N: int\ndata y: vector[N]\nparam mu: real\nparam nu: real\nparam sigma: real<lower=0>\n"
            + "sigma ~ normal(0, 1)\ny ~ normal(mu + nu, sigma)\n"
        try model.write(toFile: d + "/flat.ppl", atomically: true, encoding: .utf8)
        try #"{"N": 5, "y": [0.3, 1.2, -0.4, 0.8, 1.5]}"#.write(toFile: d + "/flat.data.json", atomically: true, encoding: .utf8)
        for guide in ["fullrank", "laplace"] {
            let r = try CLI.run(["fit", "flat.ppl", "--guide", guide, "--quiet", "--save", "fit.json"], in: d)
            XCTAssertEqual(r.status, 70, guide + ": " + r.stderr)
            XCTAssertTrue(r.stderr.contains("the posterior is improper"), r.stderr)
            XCTAssertTrue(r.stderr.contains("0.7071·mu − 0.7071·nu") || r.stderr.contains("0.7071·nu − 0.7071·mu"), r.stderr)
            XCTAssertTrue(r.stderr.contains("does not identify 'mu' and 'nu'; give them priors"), r.stderr)
            XCTAssertFalse(r.stderr.contains("sigma"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: d + "/fit.json"))
        }
        // Beside a hierarchy whose density rises without bound as its scale shrinks, there is
        // no mode to stop at; the line is found where the search ends.
        try (model + "param tau: real<lower=0>\nparam u: vector[3]\ntau ~ exponential(1)\nu ~ normal(0, tau)\n")
            .write(toFile: d + "/flat.ppl", atomically: true, encoding: .utf8)
        let beside = try CLI.run(["fit", "flat.ppl", "--quiet"], in: d)
        XCTAssertEqual(beside.status, 70, beside.stderr)
        XCTAssertTrue(beside.stderr.contains("does not identify 'mu' and 'nu'; give them priors"), beside.stderr)
        try (model + "mu ~ normal(0, 1000)\n").write(toFile: d + "/flat.ppl", atomically: true, encoding: .utf8)
        let proper = try CLI.run(["fit", "flat.ppl", "--guide", "fullrank", "--runs", "1", "--quiet"], in: d)
        XCTAssertEqual(proper.status, 0, proper.stderr)
    }

    /// The saved fit names its model and data relative to its own folder, so the folder can
    /// be moved whole: `ppl sample`, `--init` and `:restore` of the moved fit, run from
    /// elsewhere, find them there.
    func testTheModelIsFoundRelativeToTheSavedFitAfterTheFolderMoves() throws {
        let d = try fitted()
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/fit.json"))) as? [String: Any]
        XCTAssertEqual(saved?["model"] as? String, "m.ppl")
        XCTAssertEqual(saved?["data"] as? String, "m.json")
        XCTAssertEqual(saved?["version"] as? Int, 2)
        // Saved into a subfolder, from the folder above the model.
        let up = try CLI.run(["fit", "m.ppl", "--data", "m.json", "--steps", "100", "--runs", "1", "--quiet", "--save", "fits/a.json"],
                             in: d)
        XCTAssertEqual(up.status, 65, "no folder 'fits' yet: \(up.stderr)")
        try FileManager.default.createDirectory(atPath: d + "/fits", withIntermediateDirectories: true)
        let sub = try CLI.run(["fit", "m.ppl", "--data", "m.json", "--steps", "100", "--runs", "1", "--quiet", "--save", "fits/a.json"],
                              in: d)
        XCTAssertEqual(sub.status, 0, sub.stderr)
        let a = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/fits/a.json"))) as? [String: Any]
        XCTAssertEqual(a?["model"] as? String, "../m.ppl")
        let moved = try dir() + "/moved"
        try FileManager.default.moveItem(atPath: d, toPath: moved)
        let elsewhere = try dir()
        let uses = [
            try CLI.run(["sample", moved + "/fit.json", "--draws-n", "20"], in: elsewhere),
            try CLI.run(["sample", moved + "/fits/a.json", "--draws-n", "20"], in: elsewhere),
            try CLI.run(["fit", moved + "/m.ppl", "--data", moved + "/m.json", "--steps", "100", "--runs", "1", "--init",
                         moved + "/fit.json"], in: elsewhere),
            try CLI.run(["repl"], input: ":restore \(moved)/fits/a.json\n", in: elsewhere),
        ]
        for r in uses { XCTAssertEqual(r.status, 0, r.stderr) }
        XCTAssertTrue(uses[3].stdout.contains("restored \(moved)/fits/a.json: \(moved)/m.ppl with data \(moved)/m.json"), uses[3].stdout)
    }

    /// A fit saved by an older ppl (version 1) names its model and data by absolute paths,
    /// or paths relative to the working folder; both are still read.
    func testVersionOneSavedFitsAreStillRead() throws {
        let d = try fitted()
        let text = try String(contentsOfFile: d + "/fit.json", encoding: .utf8)
        let absolute = text.replacingOccurrences(of: "\"version\": 2", with: "\"version\": 1")
            .replacingOccurrences(of: "\"model\": \"m.ppl\"", with: "\"model\": \"\(d)/m.ppl\"")
            .replacingOccurrences(of: "\"data\": \"m.json\"", with: "\"data\": \"\(d)/m.json\"")
        XCTAssertNotEqual(absolute, text)
        try FileManager.default.createDirectory(atPath: d + "/old", withIntermediateDirectories: true)
        try absolute.write(toFile: d + "/old/abs.json", atomically: true, encoding: .utf8)
        // Relative to the working folder d, not to the fit's folder d/old.
        try text.replacingOccurrences(of: "\"version\": 2", with: "\"version\": 1")
            .write(toFile: d + "/old/cwd.json", atomically: true, encoding: .utf8)
        for fit in ["old/abs.json", "old/cwd.json"] {
            let r = try CLI.run(["sample", fit, "--draws-n", "20"], in: d)
            XCTAssertEqual(r.status, 0, fit + ": " + r.stderr)
            XCTAssertTrue(r.stdout.contains("\nmu "), r.stdout)
        }
        let other = try CLI.run(["sample", d + "/old/cwd.json", "--draws-n", "20"], in: try dir())
        XCTAssertEqual(other.status, 65)
        XCTAssertTrue(other.stderr.contains("m.ppl"), other.stderr)
    }
}
