import Foundation
import PPLDriver
import PPLEngine
import XCTest

/// Every bench model's gradient and Hessian-vector product against finite differences at
/// several random unconstrained points (what `ppl check --gradients` does).
final class ModelGradientTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().standardizedFileURL.path
    static let bench = URL(fileURLWithPath: root + "/../shared/bench").standardizedFileURL.path

    func testBenchModelGradientsAndHessianVectorProducts() throws {
        for name in ["banana", "eight_schools", "funnel", "hier_linear", "linreg", "logistic", "mixture"] {
            let data = Self.bench + "/data/\(name).json"
            let runtime = try ModelRuntime(modelPath: Self.bench + "/models/\(name).ppl",
                                           dataPath: FileManager.default.fileExists(atPath: data) ? data : nil)
            let check = try GradientCheck(runtime: runtime, points: 3, seed: 42)
            XCTAssertLessThan(check.gradientError, GradientCheck.gradientTolerance, name)
            XCTAssertLessThan(check.hessianVectorError, GradientCheck.hessianVectorTolerance, name)
            XCTAssertEqual(check.nonFinite, 0, name)
        }
    }

    /// Int values assigned to real locals (accumulated in a loop, carried through a branch,
    /// multiplied in a loop) keep the gradient of what they become; both branches of the
    /// data-dependent `if` are taken.
    func testIntsAssignedToRealsKeepTheirGradient() throws {
        let c = Compilation.compile(path: Self.root + "/Tests/Golden/good/int_assigned_to_real.ppl")
        let model = try XCTUnwrap(c.model, c.renderDiagnostics(color: false))
        for flag in [0.0, 1.0] {
            let runtime = try ModelRuntime(model: model, data: ["N": Tensor(scalar: 4), "flag": Tensor(scalar: flag)])
            let check = try GradientCheck(runtime: runtime, points: 3, seed: 5)
            XCTAssertLessThan(check.gradientError, GradientCheck.gradientTolerance, "flag = \(flag)")
            XCTAssertLessThan(check.hessianVectorError, GradientCheck.hessianVectorTolerance, "flag = \(flag)")
        }
    }

    func testExampleModelGradients() throws {
        let dir = Self.root + "/models"
        for file in try FileManager.default.contentsOfDirectory(atPath: dir).filter({ $0.hasSuffix(".ppl") }).sorted() {
            let base = dir + "/" + String(file.dropLast(4))
            let runtime = try ModelRuntime(modelPath: base + ".ppl", dataPath: base + ".data.json")
            let check = try GradientCheck(runtime: runtime, points: 2, seed: 7)
            XCTAssertLessThan(check.gradientError, GradientCheck.gradientTolerance, file)
            XCTAssertLessThan(check.hessianVectorError, GradientCheck.hessianVectorTolerance, file)
        }
    }

    /// Golden models that come with data (`NAME.data.json` beside them) exercise the
    /// constructs of the language: arrays, locals, loops whose bounds come from the data,
    /// the lazy `?:`. Their gradients and Hessian-vector products must be exact.
    func testGoldenModelsWithDataGradients() throws {
        let dir = Self.root + "/Tests/Golden/good"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".data.json") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 8)
        for file in files {
            let base = dir + "/" + String(file.dropLast(".data.json".count))
            let runtime = try ModelRuntime(modelPath: base + ".ppl", dataPath: base + ".data.json")
            let check = try GradientCheck(runtime: runtime, points: 3, seed: 13)
            XCTAssertLessThan(check.gradientError, GradientCheck.gradientTolerance, file)
            XCTAssertLessThan(check.hessianVectorError, GradientCheck.hessianVectorTolerance, file)
            XCTAssertEqual(check.nonFinite, 0, file)
        }
    }
}
