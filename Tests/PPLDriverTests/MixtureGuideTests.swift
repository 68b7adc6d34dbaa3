import CLITestSupport
import Foundation
import XCTest

/// The `mixture` family: K Gaussians fitted by the stratified ELBO (`Mixture`).
final class MixtureGuideTests: XCTestCase {
    static let folder = CLI.root + "/Tests/Data/mixture"

    func fit(_ args: [String]) throws -> [String: Any] {
        let d = try CLI.temporaryFolder("ppl-mixture")
        let r = try CLI.run(["fit", Self.folder + "/bimodal.ppl", "--runs", "1", "--summary-json", d + "/s.json"] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/s.json"))) as? [String: Any])
    }

    /// On a normalised posterior of two separated modes (0.3 N(-3, 1) + 0.7 N(3, 0.5²)), a
    /// mixture of two Gaussians can be exact: its ELBO and its estimate of log p(data) reach
    /// 0 and its mean and sd are the posterior's, at every seed; one Gaussian takes a mode
    /// and its ELBO is that mode's log weight.
    func testTwoComponentsFindBothModes() throws {
        let mean = 0.3 * -3 + 0.7 * 3
        let sd = (0.3 * (1 + 9) + 0.7 * (0.25 + 9) - mean * mean).squareRoot()
        for seed in 1...3 {
            let s = try fit(["--guide", "mixture", "--components", "2", "--seed", String(seed)])
            XCTAssertEqual(try XCTUnwrap(s["elbo"] as? Double), 0, accuracy: 0.02, "seed \(seed)")
            XCTAssertEqual(try XCTUnwrap(s["log_z"] as? Double), 0, accuracy: 0.02, "seed \(seed)")
            let x = try XCTUnwrap((s["params"] as? [String: [String: Double]])?["x"])
            XCTAssertEqual(x["mean"]!, mean, accuracy: 0.25, "seed \(seed)")
            XCTAssertEqual(x["sd"]!, sd, accuracy: 0.15, "seed \(seed)")
        }
        let one = try fit(["--guide", "meanfield", "--no-precondition"])
        let elbo = try XCTUnwrap(one["elbo"] as? Double)
        XCTAssertTrue(abs(elbo - log(0.3)) < 0.05 || abs(elbo - log(0.7)) < 0.05, "\(elbo)")
    }

    /// A mixture's bound is an expectation over its components, not a log weight: the
    /// other objectives and point estimates are refused.
    func testWhatAMixtureCannotDoIsRefused() throws {
        let r = try CLI.run(["fit", Self.folder + "/bimodal.ppl", "--guide", "mixture", "--objective", "iwae"])
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("'objective' does not apply to a mixture guide"), r.stderr)
        let of = try CLI.run(["fit", Self.folder + "/bimodal.ppl", "--guide", "mixture", "--of", "iaf"])
        XCTAssertEqual(of.status, 65)
        XCTAssertTrue(of.stderr.contains("'of' must be one of meanfield, fullrank"), of.stderr)
    }
}
