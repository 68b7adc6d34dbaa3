import Foundation
import PPLDriver
import PPLInference
import PPLSema
import PPLSyntax
@testable import ppl_bench
import XCTest

/// Default fits of the bench models against the NUTS reference posteriors
/// (../shared/bench/reference): mean error in units of the reference sd, and |log sd ratio|,
/// averaged over the latent components.
final class AccuracyTests: XCTestCase {
    static let bench = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("../shared/bench").standardizedFileURL.path

    static func fit(_ model: String, guide: String? = nil,
                    settings: [(key: FitOptions.Key, value: GuideValue)] = []) throws -> (score: ReferencePosterior.Score, khat: Double) {
        let data = bench + "/data/\(model).json"
        let session = try FitSession.open(model: bench + "/models/\(model).ppl",
                                          data: FileManager.default.fileExists(atPath: data) ? data : nil,
                                          guide: guide, settings: [(.runs, .int(1))] + settings)
        let result = try session.fit()
        let draws = try session.sample(1000, phi: result.phi)
        let reference = try ReferencePosterior(path: bench + "/reference/\(model).json")
        let score = try XCTUnwrap(reference.score(draws), model)
        return (score, session.khat)
    }

    /// Mean-field with no flags: means within 0.1 posterior sd; sds within 15% where a
    /// diagonal Gaussian can represent the posterior (not mixture, whose means and weight
    /// are correlated).
    func testDefaultMeanFieldFitsMatchTheReferences() throws {
        for (model, checkSD) in [("eight_schools", true), ("linreg", true), ("logistic", true), ("hier_linear", true),
                                 ("mixture", false)] {
            let (s, khat) = try Self.fit(model)
            XCTAssertLessThanOrEqual(s.meanError, 0.1, "\(model) mean error")
            if checkSD { XCTAssertLessThanOrEqual(s.logSDError, 0.15, "\(model) |log sd ratio|") }
            XCTAssertTrue(khat.isFinite, "\(model) k-hat")
        }
    }

    /// Where the posterior is correlated, full-rank is measurably better than mean-field —
    /// in the model's own coordinates: the frame of the mode's curvature (on by default)
    /// takes most of the correlation away and mean-field with it is nearly as good.
    func testFullRankIsBetterWhenThePosteriorIsCorrelated() throws {
        let off: [(key: FitOptions.Key, value: GuideValue)] = [(.precondition, .name("off"))]
        let meanField = try Self.fit("mixture", guide: "meanfield", settings: off).score
        let fullRank = try Self.fit("mixture", guide: "fullrank", settings: off).score
        XCTAssertLessThan(fullRank.logSDError, meanField.logSDError / 2)
        XCTAssertLessThanOrEqual(fullRank.meanError, 0.1)
    }

    /// Low-rank with its default rank, within the tolerances of mean-field's default fits
    /// (sds too where the posterior is not a mixture's).
    func testLowRankFitsMatchTheReferences() throws {
        for (model, checkSD) in [("eight_schools", true), ("linreg", true), ("logistic", true), ("hier_linear", true),
                                 ("mixture", false)] {
            let (s, khat) = try Self.fit(model, guide: "lowrank")
            XCTAssertLessThanOrEqual(s.meanError, 0.1, "\(model) mean error")
            if checkSD { XCTAssertLessThanOrEqual(s.logSDError, 0.15, "\(model) |log sd ratio|") }
            XCTAssertTrue(khat.isFinite, "\(model) k-hat")
        }
    }

    func testSameSeedSameNumbers() throws {
        func run() throws -> [Double] {
            let s = try FitSession.open(model: Self.bench + "/models/eight_schools.ppl", data: Self.bench + "/data/eight_schools.json",
                                        guide: nil, settings: [(.runs, .int(1))])
            let r = try s.fit()
            return r.phi + (try s.sample(200, phi: r.phi)).rows.flatMap { $0 }
        }
        XCTAssertEqual(try run(), try run())
    }
}
