import PPLEngine
@testable import PPLInference
import XCTest

/// The fit's guard against bad steps (`StepGuard`) and its convergence gate on the
/// gradient (`Fitter.drift`).
final class StepGuardTests: XCTestCase {
    /// A healthy window, then a flow diverging: −8.6e194 is rejected though finite; five
    /// bad steps running back off; thirty give up; a clean window earns the step size back.
    func testExplodingStepsAreRejectedThenBackedOffThenGivenUp() {
        var g = StepGuard()
        XCTAssertEqual(g.judge(-1e6, finite: true), .take, "before a first window nothing counts as exploded")
        g.endWindow(mean: -100, sd: 2)
        XCTAssertEqual(g.judge(-130, finite: true), .take, "15 sds below: noise")
        XCTAssertEqual(g.judge(-8.6e194, finite: true), .reject)
        XCTAssertTrue(g.exploded)
        XCTAssertEqual(g.scale, 0.5)
        for _ in 0..<3 { XCTAssertEqual(g.judge(.nan, finite: false), .reject) }
        XCTAssertFalse(g.exploded)
        XCTAssertEqual(g.judge(-5e3, finite: true), .backOff, "the fifth bad step running")
        XCTAssertEqual(g.scale, 1.0 / 32)
        XCTAssertEqual(g.judge(-101, finite: true), .take)
        XCTAssertEqual(g.running, 0)
        g.endWindow(mean: -101, sd: 2)
        XCTAssertEqual(g.scale, 1.0 / 32, "a window with rejections does not earn the step size back")
        g.endWindow(mean: -100, sd: 2)
        XCTAssertEqual(g.scale, 1.0 / 16)
        var verdicts: [StepGuard.Verdict] = []
        for _ in 0..<StepGuard.giveUpAfter { verdicts.append(g.judge(.infinity, finite: false)) }
        XCTAssertEqual(verdicts.last, .giveUp)
        XCTAssertEqual(verdicts.filter { $0 == .backOff }.count, StepGuard.giveUpAfter / StepGuard.backOffAfter - 1)
    }

    /// The threshold scales with the ELBO: a fit at −1e5 has noise of hundreds of nats.
    func testTheExplosionThresholdScalesWithTheELBO() {
        var g = StepGuard()
        g.endWindow(mean: -1e5, sd: 300)
        XCTAssertEqual(g.judge(-1e5 - 5e4, finite: true), .take)
        XCTAssertEqual(g.judge(-1e5 - 2e6, finite: true), .reject)
    }

    /// The drift: pure noise about zero gives about 1; a mean gradient of 1 in noise of sd
    /// 1 over 50 steps gives about 1 + 50; rescaling a parameter changes nothing.
    func testDriftIsTheSquaredZScoreOfTheMeanGradient() {
        var rng = RNG(seed: 7)
        let steps = 50, p = 400
        func drift(offset: Double, scale: Double) -> Double {
            var sum = [Double](repeating: 0, count: p), squares = sum
            for _ in 0..<steps {
                for i in 0..<p {
                    let g = (offset + rng.normal()) * (i % 2 == 0 ? scale : 1)
                    sum[i] += g
                    squares[i] += g * g
                }
            }
            return Fitter.drift(sum: sum, squares: squares, steps: steps)
        }
        XCTAssertEqual(drift(offset: 0, scale: 1), 1, accuracy: 0.25)
        XCTAssertEqual(drift(offset: 0, scale: 1e4), 1, accuracy: 0.25)
        XCTAssertEqual(drift(offset: 1, scale: 1), 51, accuracy: 12)
        XCTAssertGreaterThan(drift(offset: 0.5, scale: 1), Fitter.largestDrift)
    }
}
