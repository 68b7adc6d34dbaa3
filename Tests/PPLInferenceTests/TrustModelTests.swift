import Foundation
import PPLDriver
import PPLInference
import PPLSema
import PPLSyntax
import XCTest

/// The hard example models of issue 21 (models/kid_iq.ppl and the others: unscaled
/// predictors, many correlated coefficients, time series, a Gaussian process, a centred
/// hierarchical model of 102 dimensions) fitted with the defaults of `meanfield`,
/// `fullrank` and `iaf`, and scored against long NUTS references (models/reference/,
/// made by models/make_reference.py): over the params' components, the mean of
/// |mean_q - mean_ref| / sd_ref and of |log(sd_q / sd_ref)|. A fit passes when its mean
/// error is at most 0.1 and, for fullrank and iaf, its |log sd ratio| at most 0.1 (a
/// mean-field guide cannot represent correlations, so its sds are not held to it), or when
/// its verdict says not to trust it: a fit may fail, but it must say so.
final class TrustModelTests: XCTestCase {
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("models").standardizedFileURL.path

    /// A reference posterior of models/reference: per scalar component (`beta[1]`), its mean
    /// and sd, and the sites that are params (`latent_sites`), the ones scored.
    struct Reference {
        let latent: Set<String>
        let components: [String: (mean: Double, sd: Double)]

        init(path: String) throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any], path)
            let latent = try XCTUnwrap(root["latent_sites"] as? [String], "\(path): latent_sites")
            let entries = try XCTUnwrap(root["components"] as? [String: [String: Any]], "\(path): components")
            var components: [String: (mean: Double, sd: Double)] = [:]
            for (name, entry) in entries {
                let mean = try XCTUnwrap(entry["mean"] as? Double, "\(path): \(name).mean")
                let sd = try XCTUnwrap(entry["sd"] as? Double, "\(path): \(name).sd")
                components[name] = (mean, sd)
            }
            self.latent = Set(latent)
            self.components = components
        }

        /// The components of the params: `beta[3]` belongs to the site `beta`.
        var latentComponents: [String] {
            components.keys.filter { latent.contains(String($0.prefix { $0 != "[" })) }.sorted()
        }
    }

    struct Outcome: CustomStringConvertible {
        let meanError: Double, logSDError: Double, khat: Double
        let steps: Int, seconds: Double, failure: String?
        /// Why the optimum was not reached (`FitReports.unconverged`), if it was not.
        let unconverged: String?

        var description: String {
            String(format: "mean error %.3f sd, |log sd ratio| %.3f, k-hat %.3f, %d steps, %.1f s",
                   meanError, logSDError, khat, steps, seconds) + (failure.map { ", stopped: \($0)" } ?? "")
                + (unconverged.map { ", \($0)" } ?? "")
        }
    }

    /// Fits `model` with the family's defaults, draws 1,000 times from the guide and scores
    /// the draws of every param component of the reference.
    static func fit(_ model: String, family: String, reference: Reference,
                    settings: [(key: FitOptions.Key, value: GuideValue)] = []) throws -> Outcome {
        let base = models + "/" + model
        let session = try FitSession.open(model: base + ".ppl", data: base + ".data.json", guide: family,
                                          settings: [(.runs, .int(1))] + settings)
        let result = try session.fit()
        let draws = try session.sample(1000, phi: result.phi)
        let fitted = Dictionary(uniqueKeysWithValues: zip(draws.names, draws.summaries()))
        var meanErrors: [Double] = [], sdErrors: [Double] = []
        for name in reference.latentComponents {
            let r = try XCTUnwrap(reference.components[name])
            let q = try XCTUnwrap(fitted[name], "\(model): the fit has no component \(name)")
            meanErrors.append(abs(q.mean - r.mean) / r.sd)
            sdErrors.append(abs(log(q.sd / r.sd)))
        }
        return Outcome(meanError: meanErrors.reduce(0, +) / Double(meanErrors.count),
                       logSDError: sdErrors.reduce(0, +) / Double(sdErrors.count), khat: session.khat,
                       steps: result.steps, seconds: result.seconds, failure: result.failure,
                       unconverged: FitReports.unconverged(result))
    }

    /// Whether the fit's verdict says not to trust it: k̂ of 0.7 or more, or not finite
    /// because a few importance ratios dwarf the others or are not finite
    /// (ParetoSmoothing.verdict), a fit that stopped with a message, or one that ran to its
    /// step cap short of the optimum. An undefined k̂ (NaN: the ratios all equal) is not
    /// such a verdict.
    static func saysDoNotTrust(_ o: Outcome) -> Bool {
        o.failure != nil || o.khat >= 0.7 || o.unconverged != nil
    }

    func check(_ model: String) throws {
        let reference = try Reference(path: Self.models + "/reference/\(model).json")
        XCTAssertFalse(reference.latentComponents.isEmpty, model)
        for family in ["meanfield", "fullrank", "iaf"] {
            let o = try Self.fit(model, family: family, reference: reference)
            print("TrustModelTests: \(model) \(family): \(o)")
            let accurate = o.meanError <= 0.1 && (family == "meanfield" || o.logSDError <= 0.1)
            XCTAssertTrue(accurate || Self.saysDoNotTrust(o), "\(model) \(family): wrong, and not flagged: \(o)")
        }
    }

    func testChildIQOnUnscaledPredictors() throws { try check("kid_iq") }

    /// Without the frame, on predictors of scales 1 to 100, mean-field is far from the
    /// optimum after its 20,000 steps (once it stopped "converged" 2.8 sds off): the gradient
    /// still stands out of its noise, and the fit must say so rather than call it converged.
    func testUnscaledPredictorsWithoutTheFrameAreNotCalledConverged() throws {
        let reference = try Reference(path: Self.models + "/reference/kid_iq.json")
        let o = try Self.fit("kid_iq", family: "meanfield", reference: reference, settings: [(.precondition, .name("off"))])
        print("TrustModelTests: kid_iq meanfield, precondition off: \(o)")
        if o.meanError > 0.1 { XCTAssertNotNil(o.unconverged, "\(o)") }
    }

    func testHousePricesOnCorrelatedPolynomialFeatures() throws { try check("house_prices") }

    func testLoanDefaultLogisticOnUnscaledPredictors() throws { try check("loan_default") }

    func testAutoregressionOfOrderFour() throws { try check("ar_k") }

    /// The GARCH recursion runs one day at a time in the engine's loop, whose per-operation
    /// cost is about 40 times higher unoptimised: 1,500 steps of one fit take 45 s of CPU in a
    /// debug build (2 s in release), and an IAF fit runs up to 20,000.
    func testGARCH() throws {
        #if DEBUG
        throw XCTSkip("garch11 is fitted in release builds only (swift test -c release --filter TrustModelTests)")
        #else
        try check("garch11")
        #endif
    }

    func testHilbertSpaceGaussianProcess() throws { try check("hsgp") }

    /// The GP with its function integrated out: a Cholesky factor of an N x N covariance
    /// that depends on every param, at each draw.
    func testExactGaussianProcess() throws { try check("gp") }

    func testCentredMetaAnalysisOfAHundredTrials() throws { try check("meta_analysis") }
}
