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
        // Equal up to the rounding of a million observations' log density (an exact guide
        // there): still equal, not a tail that dwarfs the rest.
        let big = -1.419e6
        let rounded = (0..<1000).map { big + Double($0 % 3) * big.ulp }
        XCTAssertTrue(ParetoSmoothing.khat(rounded).isNaN)
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

    /// Target N(0.5, 1.2²), proposal N(0, 1): the smoothed weights sum to one, keep the raw
    /// ratios' proportions below the tail, never exceed the largest raw ratio there, and
    /// recover the target's mean and variance.
    func testSmoothedWeightsCorrectANarrowProposal() throws {
        var rng = RNG(seed: 7)
        let z = (0..<4000).map { _ in rng.normal() }
        let lw = z.map { -0.5 * square(($0 - 0.5) / 1.2) - log(1.2) + 0.5 * $0 * $0 }
        XCTAssertLessThan(ParetoSmoothing.khat(lw), 0.7)
        let w = try XCTUnwrap(ParetoSmoothing.smoothedWeights(lw))
        XCTAssertEqual(w.reduce(0, +), 1, accuracy: 1e-12)
        let order = lw.indices.sorted { lw[$0] < lw[$1] }
        let (lo, mid) = (order[0], order[2000])
        XCTAssertEqual(w[lo] / w[mid], exp(lw[lo] - lw[mid]), accuracy: 1e-12 * w[lo] / w[mid])
        let top = order.last!
        XCTAssertLessThanOrEqual(w[top] / w[mid], exp(lw[top] - lw[mid]) * (1 + 1e-12))
        let mean = zip(w, z).reduce(0) { $0 + $1.0 * $1.1 }
        let variance = zip(w, z).reduce(0) { $0 + $1.0 * square($1.1 - mean) }
        // With 4,000 draws the estimates themselves wander: the variance about ±0.15.
        XCTAssertEqual(mean, 0.5, accuracy: 0.1)
        XCTAssertEqual(variance, 1.44, accuracy: 0.3)
        let ess = ParetoSmoothing.effectiveSampleSize(w)
        XCTAssertGreaterThan(ess, 1000)
        XCTAssertLessThan(ess, 4000)
        // A ratio that is not finite has no weight.
        let broken = try XCTUnwrap(ParetoSmoothing.smoothedWeights([-.infinity] + lw.dropFirst()))
        XCTAssertEqual(broken[0], 0)
    }

    private func square(_ x: Double) -> Double { x * x }

    /// Draws resampled by weights exp(x) / Σ exp(x) from x ~ N(0, 1) (so from N(1, 1)):
    /// as many draws, each one of the originals, with the target's mean and sd; the same
    /// seed gives the same draws, in an order that does not keep copies together.
    func testResamplingFollowsTheWeights() {
        var rng = RNG(seed: 11)
        let x = (0..<4000).map { _ in rng.normal() }
        let top = x.max()!
        let raw = x.map { exp($0 - top) }
        let w = raw.map { $0 / raw.reduce(0, +) }
        let draws = PosteriorDraws(names: ["x"], rows: x.map { [$0] }, logDensities: x, logGuideDensities: x.map { _ in 0 })
        let r = draws.resampled(w, seed: 5)
        XCTAssertEqual(r.rows.count, 4000)
        XCTAssertTrue(Set(x).isSuperset(of: r.rows.map { $0[0] }))
        let s = r.summaries()[0]
        XCTAssertEqual(s.mean, 1, accuracy: 0.08)
        XCTAssertEqual(s.sd, 1, accuracy: 0.06)
        XCTAssertEqual(r.rows, draws.resampled(w, seed: 5).rows)
        let neighbours = zip(r.rows, r.rows.dropFirst()).filter { $0.0 == $0.1 }.count
        XCTAssertLessThan(neighbours, 100)
    }
}
