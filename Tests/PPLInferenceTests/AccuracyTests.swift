import Foundation
import PPLDriver
import PPLInference
import XCTest

/// Default fits of the bench models against the NUTS reference posteriors
/// (../shared/bench/reference): mean error in units of the reference sd, and |log sd ratio|,
/// averaged over the latent components.
final class AccuracyTests: XCTestCase {
    static let bench = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("../shared/bench").standardizedFileURL.path

    struct Score { let meanError: Double, logSDError: Double, khat: Double }

    static func fit(_ model: String, guide: String? = nil) throws -> Score {
        let data = bench + "/data/\(model).json"
        let session = try FitSession.open(model: bench + "/models/\(model).ppl",
                                          data: FileManager.default.fileExists(atPath: data) ? data : nil,
                                          guide: guide, overrides: FitSession.Overrides())
        let result = try session.fit()
        let draws = try session.sample(1000, phi: result.phi)
        let reference = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: bench + "/reference/\(model).json"))) as! [String: Any]
        let latent = Set(reference["latent_sites"] as! [String])
        let components = reference["components"] as! [String: [String: Double]]
        var meanErrors: [Double] = [], sdErrors: [Double] = []
        for (name, s) in zip(draws.names, draws.summaries()) {
            guard let r = components[name], latent.contains(String(name.prefix { $0 != "[" })) else { continue }
            meanErrors.append(abs(s.mean - r["mean"]!) / r["sd"]!)
            sdErrors.append(abs(log(s.sd / r["sd"]!)))
        }
        XCTAssertFalse(meanErrors.isEmpty, model)
        return Score(meanError: meanErrors.reduce(0, +) / Double(meanErrors.count),
                     logSDError: sdErrors.reduce(0, +) / Double(sdErrors.count), khat: session.khat)
    }

    /// Mean-field with no flags: means within 0.1 posterior sd; sds within 15% where a
    /// diagonal Gaussian can represent the posterior (not mixture, whose means and weight
    /// are correlated).
    func testDefaultMeanFieldFitsMatchTheReferences() throws {
        for (model, checkSD) in [("eight_schools", true), ("linreg", true), ("logistic", true), ("hier_linear", true),
                                 ("mixture", false)] {
            let s = try Self.fit(model)
            XCTAssertLessThanOrEqual(s.meanError, 0.1, "\(model) mean error")
            if checkSD { XCTAssertLessThanOrEqual(s.logSDError, 0.15, "\(model) |log sd ratio|") }
            XCTAssertTrue(s.khat.isFinite, "\(model) k-hat")
        }
    }

    /// Where the posterior is correlated, full-rank is measurably better than mean-field.
    func testFullRankIsBetterWhenThePosteriorIsCorrelated() throws {
        let meanField = try Self.fit("mixture", guide: "meanfield")
        let fullRank = try Self.fit("mixture", guide: "fullrank")
        XCTAssertLessThan(fullRank.logSDError, meanField.logSDError / 2)
        XCTAssertLessThanOrEqual(fullRank.meanError, 0.1)
    }

    func testSameSeedSameNumbers() throws {
        func run() throws -> [Double] {
            let s = try FitSession.open(model: Self.bench + "/models/eight_schools.ppl", data: Self.bench + "/data/eight_schools.json",
                                        guide: nil, overrides: FitSession.Overrides())
            let r = try s.fit()
            return r.phi + (try s.sample(200, phi: r.phi)).rows.flatMap { $0 }
        }
        XCTAssertEqual(try run(), try run())
    }
}
