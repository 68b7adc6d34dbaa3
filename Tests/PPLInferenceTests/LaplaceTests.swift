import Foundation
import PPLDriver
import PPLEngine
@testable import PPLInference
import XCTest

/// The guides placed at the posterior mode, `laplace` and `map`, on models whose mode and
/// curvature are known in closed form.
final class LaplaceTests: XCTestCase {
    static func session(_ source: String, guide: String) throws -> FitSession {
        let checked = try XCTUnwrap(Compilation.compile(file: .init(path: "t.ppl", text: source)).model)
        return try FitSession(runtime: try ModelRuntime(model: checked, data: [:]), guide: guide, settings: [])
    }

    /// mu ~ N(1, 2), b ~ N(mu, 0.5): a normalised Gaussian posterior with mean (1, 1) and
    /// precision [[1/4 + 4, −4], [−4, 4]]. Laplace is exact: the frame is the mean and the
    /// precision's Cholesky factor, log p − log q is 0 for every draw (ELBO and log p(data)
    /// 0), and k̂ says good.
    func testLaplaceIsExactOnAGaussianPosterior() throws {
        let s = try Self.session("""
            param mu: real
            param b: real
            mu ~ normal(1, 2)
            b ~ normal(mu, 0.5)
            """, guide: "laplace")
        let r = try s.fit()
        XCTAssertEqual(r.phi, [])
        let frame = try XCTUnwrap(r.frame)
        for m in frame.location { XCTAssertEqual(m, 1, accuracy: 1e-9) }
        let l = try XCTUnwrap(frame.curvatureFactor)
        let h = [l[0] * l[0], l[0] * l[2], l[2] * l[0], l[2] * l[2] + l[3] * l[3]]
        for (x, y) in zip(h, [4.25, -4, -4, 4]) { XCTAssertEqual(x, y, accuracy: 1e-8) }
        XCTAssertEqual(r.elbo, 0, accuracy: 1e-9)
        let draws = try s.sample(2000, result: r)
        XCTAssertLessThan(s.khat, 0.5)
        XCTAssertEqual(s.logEvidence.estimate, 0, accuracy: 1e-9)
        for w in draws.logWeights { XCTAssertEqual(w, 0, accuracy: 1e-9) }
        let sd = draws.summaries().map(\.sd)
        XCTAssertEqual(sd[0], 2, accuracy: 0.15)
        XCTAssertEqual(sd[1], 4.25.squareRoot(), accuracy: 0.15)
    }

    /// λ ~ gamma(3, 2) on u = log λ: log p(u) = 3 log 2 − log 2 + 3u − 2eᵘ, mode λ = 3/2,
    /// curvature 2eᵘ = 3 there. Laplace is N(log 1.5, 1/3) on u: not exact, so its ELBO is
    /// below log p(data) = 0, which importance sampling recovers.
    func testLaplaceOnASkewedPosterior() throws {
        let s = try Self.session("param lambda: real<lower=0>\nlambda ~ gamma(3, 2)", guide: "laplace")
        let r = try s.fit()
        let frame = try XCTUnwrap(r.frame)
        XCTAssertEqual(frame.location[0], log(1.5), accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(frame.curvatureFactor)[0], 3.0.squareRoot(), accuracy: 1e-8)
        XCTAssertLessThan(r.elbo, -0.02)
        let draws = try s.sample(4000, result: r)
        XCTAssertLessThan(s.khat, 0.7)
        XCTAssertEqual(s.logEvidence.estimate, 0, accuracy: max(0.02, 4 * s.logEvidence.standardError))
        // The draws are importance-resampled towards the gamma: its mean 1.5, sd √3/2.
        let st = draws.summaries()[0]
        XCTAssertEqual(st.mean, 1.5, accuracy: 0.08)
        XCTAssertEqual(st.sd, 3.0.squareRoot() / 2, accuracy: 0.1)
    }

    /// MAP of the same: every draw is λ = 3/2, the "ELBO" reported is log p at the mode, and
    /// k̂ and log p(data) are not defined (NaN, never a number from equal weights).
    func testMapIsThePointAtTheMode() throws {
        let s = try Self.session("param lambda: real<lower=0>\nlambda ~ gamma(3, 2)", guide: "map")
        let r = try s.fit()
        XCTAssertEqual(r.elbo, 2 * log(2) + 3 * log(1.5) - 3, accuracy: 1e-9)
        let draws = try s.sample(100, result: r)
        for row in draws.rows { XCTAssertEqual(row[0], 1.5, accuracy: 1e-9) }
        XCTAssertTrue(s.khat.isNaN)
        XCTAssertTrue(s.logEvidence.estimate.isNaN)
        XCTAssertNil(s.resampling)
    }

    /// Where Newton's method finds no mode, the guide is not made: an error naming that.
    /// A hierarchy's density grows without bound as its scale s goes to 0 with x = 0; a ridge, (a + b) ~ normal(0, 1)
    /// with no priors, is flat along a − b, so its posterior is improper and says so.
    func testNoModeIsAFailedFit() throws {
        for guide in ["laplace", "map"] {
            XCTAssertThrowsError(try Self.session("param s: real<lower=0>\nparam x: vector[3]\ns ~ exponential(1)\nx ~ normal(0, s)\n", guide: guide)) { error in
                let e = error as! PPLError
                XCTAssertEqual(e.kind, .computation)
                XCTAssertTrue(e.message.hasPrefix("the \(guide) guide '\(guide)' needs the posterior mode, with a positive-definite "
                                                  + "curvature there, and Newton's method found none: "), e.message)
            }
            XCTAssertThrowsError(try Self.session("param a: real\nparam b: real\n(a + b) ~ normal(0, 1)", guide: guide)) { error in
                let e = error as! PPLError
                XCTAssertEqual(e.kind, .computation)
                XCTAssertTrue(e.message.hasPrefix("the posterior is improper: "), e.message)
                XCTAssertTrue(e.message.hasSuffix("does not identify 'a' and 'b'; give them priors, or data that tell them apart"),
                              e.message)
            }
        }
    }
}
