import Foundation
import PPLDriver
import PPLInference
import XCTest

/// Every example model in models/ fits with its data and gives finite, sensible output.
/// 600 steps: the accuracy of the hard models is TrustModelTests' and the demo models'
/// the README's; here the point is that each runs end to end (garch11's day-by-day loop
/// costs 30 ms a step in a debug build).
final class ExampleModelTests: XCTestCase {
    func testEveryExampleModelFits() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("models").standardizedFileURL.path
        let models = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".ppl") }.sorted()
        XCTAssertGreaterThanOrEqual(models.count, 8)
        for file in models {
            let base = dir + "/" + String(file.dropLast(4))
            let session = try FitSession.open(model: base + ".ppl", data: base + ".data.json", guide: nil,
                                              settings: [(.steps, .int(600)), (.runs, .int(1))])
            let result = try session.fit()
            XCTAssertNil(result.failure, file)
            XCTAssertTrue(result.elbo.isFinite, file)
            let draws = try session.sample(200, phi: result.phi)
            XCTAssertTrue(draws.rows.allSatisfy { $0.allSatisfy(\.isFinite) }, "\(file) draws")
            XCTAssertTrue(session.khat.isFinite, "\(file) k-hat")
        }
    }
}
