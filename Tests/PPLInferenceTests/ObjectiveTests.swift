import Foundation
import PPLDriver
@testable import PPLInference
import PPLSema
import PPLSyntax
import XCTest

/// The IWAE and Rényi objectives (`objective = iwae`, `renyi`) on a model whose evidence is
/// known exactly: y_i ~ normal(a + b, 0.5) with a, b ~ normal(0, 1), so y is normal with
/// covariance 0.25 I + 2 11ᵀ. A mean-field guide fitted without the preconditioning frame
/// cannot follow the posterior's correlation: its ELBO falls short of log p(data), and the
/// bounds made of K draws together close the gap as K grows.
final class ObjectiveTests: XCTestCase {
    static let y = [1.532, 0.829, 1.624, 1.068, 0.754, 1.497, 2.1, 1.318, 0.951, 1.275]

    /// log N(y | 0, 0.25 I + 2 11ᵀ), by the matrix determinant lemma and Sherman–Morrison.
    static var logEvidence: Double {
        let n = Double(y.count), s = 0.25, c = 2.0
        let sum = y.reduce(0, +), squares = y.reduce(0) { $0 + $1 * $1 }
        let quadratic = squares / s - c * sum * sum / (s * (s + n * c))
        let logDet = n * log(s) + log(1 + n * c / s)
        return -0.5 * quadratic - 0.5 * logDet - 0.5 * n * log(2 * Double.pi)
    }

    func fit(_ settings: [(key: FitOptions.Key, value: GuideValue)]) throws -> (bound: Double, error: Double, logZ: Double, khat: Double) {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("ppl-objective-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: d) }
        try "data N: int\ndata y: vector[N]\nparam a: real\nparam b: real\na ~ normal(0, 1)\nb ~ normal(0, 1)\ny ~ normal(a + b, 0.5)\n"
            .write(toFile: d + "/m.ppl", atomically: true, encoding: .utf8)
        let values = Self.y.map { String($0) }.joined(separator: ", ")
        try "{\"N\": \(Self.y.count), \"y\": [\(values)]}".write(toFile: d + "/m.json", atomically: true, encoding: .utf8)
        let session = try FitSession.open(model: d + "/m.ppl", data: d + "/m.json", guide: "meanfield",
                                          settings: [(.precondition, .name("off")), (.runs, .int(1)), (.draws, .int(4000))] + settings)
        let result = try session.fit()
        XCTAssertNil(result.failure)
        _ = try session.sample(session.options.draws, phi: result.phi)
        return (result.elbo, result.elboStandardError, session.logEvidence.estimate, session.khat)
    }

    func testBoundsTightenWithKAndOrderByAlpha() throws {
        let truth = Self.logEvidence
        let elbo = try fit([])
        let iwae4 = try fit([(.objective, .name("iwae")), (.samples, .int(4))])
        let iwae16 = try fit([(.objective, .name("iwae")), (.samples, .int(16))])
        let renyi = try fit([(.objective, .name("renyi")), (.samples, .int(16))])
        let renyi0 = try fit([(.objective, .name("renyi")), (.alpha, .int(0)), (.samples, .int(16))])
        let report = [("elbo", elbo), ("iwae K=4", iwae4), ("iwae K=16", iwae16), ("renyi 0.5 K=16", renyi), ("renyi 0 K=16", renyi0)]
            .map { "\($0.0): bound \($0.1.bound) ± \($0.1.error), log p̂ \($0.1.logZ), k̂ \($0.1.khat)" }.joined(separator: "\n")
        print("ObjectiveTests: log p(data) = \(truth)\n" + report)
        // Each a lower bound; the ELBO well below (the mean-field gap here is 1.5 nats).
        for (_, f) in [("", elbo), ("", iwae4), ("", iwae16), ("", renyi), ("", renyi0)] {
            XCTAssertLessThan(f.bound, truth + 4 * f.error, report)
        }
        XCTAssertLessThan(elbo.bound, truth - 1, report)
        XCTAssertLessThan(elbo.bound, iwae4.bound, report)
        XCTAssertLessThan(iwae4.bound, iwae16.bound, report)
        XCTAssertLessThan(iwae16.bound, truth - 0.05, "K = 16 is not yet tight here\n" + report)
        // α orders the Rényi bounds: ELBO (α → 1) ≤ α = 0.5 ≤ α = 0 (the IWAE bound).
        XCTAssertLessThan(elbo.bound, renyi.bound, report)
        XCTAssertLessThan(renyi.bound, renyi0.bound, report)
        XCTAssertLessThan(abs(renyi0.bound - iwae16.bound), 0.1, report)
        // A guide fitted to the tighter bound covers more of the posterior: a better proposal.
        XCTAssertLessThan(abs(iwae16.logZ - truth), abs(elbo.logZ - truth), report)
        XCTAssertLessThan(iwae16.khat, elbo.khat, report)
    }

    func testBoundsAndCoefficientsOfOneStep() {
        let t = [0.0, log(3.0)]
        let iwae = Fitter.bound(t, .iwae, alpha: 0.5)
        XCTAssertEqual(iwae.value, log(2.0), accuracy: 1e-15)
        XCTAssertEqual(iwae.coefficients[0], 1.0 / 16, accuracy: 1e-15)
        XCTAssertEqual(iwae.coefficients[1], 9.0 / 16, accuracy: 1e-15)
        let renyi = Fitter.bound(t, .renyi, alpha: 0.5)
        XCTAssertEqual(renyi.value, 2 * log((1 + 3.0.squareRoot()) / 2), accuracy: 1e-15)
        XCTAssertEqual(renyi.coefficients[1], 3.0.squareRoot() / (1 + 3.0.squareRoot()), accuracy: 1e-15)
        let elbo = Fitter.bound(t, .elbo, alpha: 0.5)
        XCTAssertEqual(elbo.value, log(3.0) / 2, accuracy: 1e-15)
        XCTAssertEqual(elbo.coefficients, [0.5, 0.5])
        // Weights far beyond exp's range stay finite.
        XCTAssertEqual(Fitter.bound([-1e4, -1e4 + log(3.0)], .iwae, alpha: 0).value, -1e4 + log(2.0), accuracy: 1e-9)
    }

    func testObjectiveSettingsThatCannotWorkAreRefused() throws {
        let cases: [([(key: FitOptions.Key, value: GuideValue)], String)] = [
            ([(.objective, .name("iwae")), (.stl, .name("on"))], "stl applies to objective elbo"),
            ([(.alpha, .real(0.3))], "alpha is the Rényi bound's: it needs objective renyi, not elbo"),
        ]
        for (settings, message) in cases {
            XCTAssertThrowsError(try fit(settings)) { XCTAssertTrue("\($0)".contains(message), "\($0)") }
        }
        var options = FitOptions(guide: "g", family: .meanfield)
        XCTAssertThrowsError(try options.set(.alpha, .int(1))) {
            XCTAssertEqual("\($0)", "'alpha' must be a non-negative number other than 1 (objective = elbo is alpha 1)")
        }
        XCTAssertThrowsError(try options.set(.objective, .name("iwea"))) {
            XCTAssertEqual("\($0)", "'objective' must be one of elbo, iwae, renyi")
        }
    }
}
