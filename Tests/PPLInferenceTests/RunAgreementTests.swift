import Foundation
import PPLDriver
import PPLEngine
import PPLInference
import PPLSema
import XCTest

/// Independent runs from dispersed starts (`runs`): R̂ and the sds over their draws, their
/// ELBOs, and what a fit reports and pools.
final class RunAgreementTests: XCTestCase {
    /// `count` draws of two components: N(mean, sd²) and N(0, 1).
    static func run(elbo: Double = -10, mean: Double = 0, sd: Double = 1, seed: UInt64, count: Int = 1000) -> RunAgreement.Run {
        var rng = RNG(seed: seed)
        let draws = (0..<count).map { _ in [mean + sd * rng.normal(), rng.normal()] }
        return RunAgreement.Run(elbo: elbo, elboError: 0.05, draws: draws)
    }

    func testRunsOfOnePosteriorAgree() {
        let a = RunAgreement((1...4).map { Self.run(seed: $0) }, names: ["a", "b"])
        XCTAssertTrue(a.agree)
        XCTAssertEqual(a.agreeing, [0, 1, 2, 3])
        XCTAssertLessThan(a.largestRHat, 1.005)
    }

    /// A run a third of an sd off: R̂ names the component and that run is not pooled.
    func testARunWhoseMeanIsOffDisagrees() {
        let a = RunAgreement([Self.run(seed: 1), Self.run(elbo: -9.9, seed: 2), Self.run(mean: 0.35, seed: 3), Self.run(seed: 4)], names: ["a", "b"])
        XCTAssertFalse(a.agree)
        XCTAssertEqual(a.disagreeing.map(\.component), [0])
        XCTAssertGreaterThan(a.disagreeing[0].rhat, RunAgreement.largestRHat)
        XCTAssertEqual(a.agreeing, [0, 1, 3], "the best is run 2 (index 1); run 3 is off it")
    }

    /// Same means, one run's scale collapsed: the sd ratio catches what R̂ barely sees.
    func testARunWhoseScaleCollapsedDisagrees() {
        let a = RunAgreement([Self.run(seed: 1), Self.run(sd: 0.5, seed: 2), Self.run(seed: 3)], names: ["a", "b"])
        XCTAssertFalse(a.agree)
        XCTAssertEqual(a.disagreeing.first?.component, 0)
        XCTAssertGreaterThan(a.disagreeing[0].sdRatio, 1.8)
        XCTAssertEqual(a.agreeing, [0, 2])
    }

    /// A run short of the best ELBO by more than a nat is not pooled, though its draws agree.
    func testARunShortOfTheBestELBOIsNotPooled() {
        let a = RunAgreement([Self.run(elbo: -10, seed: 1), Self.run(elbo: -13, seed: 2), Self.run(elbo: -10.2, seed: 3)], names: ["a", "b"])
        XCTAssertFalse(a.agree)
        XCTAssertTrue(a.disagreeing.isEmpty)
        XCTAssertEqual(a.elboSpread, 3, accuracy: 1e-12)
        XCTAssertEqual(a.agreeing, [0, 2])
    }

    /// A posterior with two modes far apart: the runs' k̂ cannot see the other mode; their
    /// disagreement does, and the verdict says not to trust the fit. The same seed gives the
    /// same numbers though the runs share the cores.
    func testRunsFindTwoModesAndSaySo() throws {
        let source = """
            param x: real
            param y: real
            target += log_sum_exp(normal_lpdf(x | -3, 0.5), normal_lpdf(x | 3, 0.5))
            y ~ normal(1, 2)
            """
        func fit() throws -> (FitSession, FitResult, PosteriorDraws) {
            let checked = try XCTUnwrap(Compilation.compile(file: .init(path: "t.ppl", text: source)).model)
            let s = try FitSession(runtime: ModelRuntime(model: checked, data: [:]), guide: "meanfield",
                                   settings: [(.runs, .int(6)), (.seed, .int(3))])
            let r = try s.fit()
            return (s, r, try s.sample(500, result: r))
        }
        let (session, result, draws) = try fit()
        XCTAssertEqual(result.runs.count, 6)
        let a = try XCTUnwrap(session.agreement)
        XCTAssertFalse(a.agree, "six runs from U(-2, 2) all in one mode of two")
        XCTAssertEqual(a.disagreeing.first.map { a.names[$0.component] }, "x")
        XCTAssertTrue(FitReports.verdict(session, result).hasPrefix("don't trust it: the runs disagree: x (R̂ "))
        XCTAssertEqual(draws.rows.count, 500 * a.agreeing.count)
        let pooledMean = draws.rows.reduce(0) { $0 + $1[0] } / Double(draws.rows.count)
        XCTAssertEqual(abs(pooledMean), 3, accuracy: 0.2, "the pooled runs are those in the best run's mode")
        let again = try fit()
        XCTAssertEqual(again.1.runs.map(\.phi), result.runs.map(\.phi))
        XCTAssertEqual(again.2.rows, draws.rows)
    }

    /// On a posterior with one mode the runs agree, pool, and the first run is the fit a
    /// single run makes.
    func testRunsOfOneModeAgreeAndTheFirstIsTheSingleFit() throws {
        let source = """
            param mu: real
            param sigma: real<lower=0>
            mu ~ normal(1, 2)
            sigma ~ lognormal(0, 0.5)
            """
        let checked = try XCTUnwrap(Compilation.compile(file: .init(path: "t.ppl", text: source)).model)
        let runtime = try ModelRuntime(model: checked, data: [:])
        let several = try FitSession(runtime: runtime, guide: "fullrank", settings: [(.runs, .int(3))])
        let r = try several.fit()
        _ = try several.sample(1000, result: r)
        XCTAssertEqual(several.agreement?.agree, true, several.agreement.map { "\($0.disagreeing)" } ?? "")
        let single = try FitSession(runtime: runtime, guide: "fullrank", settings: [(.runs, .int(1))])
        XCTAssertEqual(try single.fit().phi, r.runs[0].phi)
    }
}
