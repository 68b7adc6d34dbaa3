import Foundation
import PPLEngine
import PPLInference
import XCTest

final class ParetoSmoothingTests: XCTestCase {
    /// Samples of a generalized Pareto distribution with known shape: the estimate recovers it.
    func testShapeOfSimulatedGeneralizedParetoSamples() {
        var rng = RNG(seed: 3)
        for xi in [0.1, 0.5, 0.9] {
            let x = (0..<4000).map { _ in (pow(rng.uniform(), -xi) - 1) / xi }
            XCTAssertEqual(ParetoSmoothing.generalizedParetoShape(x), xi, accuracy: 0.08, "xi = \(xi)")
        }
    }

    /// Equal importance weights (q equal to p) give a light tail; weights from a much
    /// narrower proposal than the target give a heavy one.
    func testKhatSeparatesGoodAndBadProposals() {
        var rng = RNG(seed: 5)
        let same = (0..<1000).map { _ in 0.001 * rng.normal() }
        XCTAssertLessThan(ParetoSmoothing.khat(same), 0.5)
        // Target N(0, 1), proposal N(0, 0.3²): log w = log N(z|0,1) - log N(z|0,0.3²).
        let narrow = (0..<1000).map { _ -> Double in
            let z = 0.3 * rng.normal()
            return -0.5 * z * z + 0.5 * (z / 0.3) * (z / 0.3) + log(0.3)
        }
        XCTAssertGreaterThan(ParetoSmoothing.khat(narrow), 0.7)
    }

    func testLogEvidenceOfAnExactProposal() {
        // log w = log Z for every draw when q is the normalised posterior.
        let (estimate, se) = ParetoSmoothing.logEvidence([Double](repeating: -12.5, count: 100))
        XCTAssertEqual(estimate, -12.5, accuracy: 1e-12)
        XCTAssertEqual(se, 0, accuracy: 1e-12)
        // Equal ratios have no tail to fit: k̂ is undefined, and the report must not blame
        // non-finite ratios.
        let k = ParetoSmoothing.khat([Double](repeating: -12.5, count: 100))
        XCTAssertTrue(k.isNaN)
        XCTAssertTrue(ParetoSmoothing.verdict(k).contains("all equal"), ParetoSmoothing.verdict(k))
        XCTAssertTrue(ParetoSmoothing.verdict(ParetoSmoothing.khat([0, .nan] + [Double](repeating: 0, count: 98)))
            .contains("not finite"))
    }

    /// One ratio thousands of nats above the rest (a guide far off): the others vanish
    /// beside it, and the verdict must say not to trust the fit, not that the ratios are
    /// all equal.
    func testOneDominatingRatioIsNotTrusted() {
        var rng = RNG(seed: 3)
        let lw = [0.0] + (0..<999).map { _ in -3000 + rng.normal() }
        let k = ParetoSmoothing.khat(lw)
        XCTAssertEqual(k, .infinity)
        XCTAssertTrue(ParetoSmoothing.verdict(k).contains("don't trust"), ParetoSmoothing.verdict(k))
    }
}
