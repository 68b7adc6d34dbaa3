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

    /// The constrained matrix types with the LKJ densities, offsets and multipliers, and
    /// bounds that depend on params (their Jacobians included): the golden models that
    /// exercise them, the first three without data.
    func testConstrainedTypesAndBoundsFromParams() throws {
        let good = Self.root + "/Tests/Golden/good/"
        for name in ["constrained_matrix_types", "offset_multiplier", "bounds_from_params"] {
            let runtime = try ModelRuntime(modelPath: good + name + ".ppl", dataPath: nil)
            let check = try GradientCheck(runtime: runtime, points: 3, seed: 11)
            XCTAssertLessThan(check.gradientError, GradientCheck.gradientTolerance, name)
            XCTAssertLessThan(check.hessianVectorError, GradientCheck.hessianVectorTolerance, name)
            XCTAssertEqual(check.nonFinite, 0, name)
        }
        let c = Compilation.compile(path: good + "constrained_matrix_data.ppl")
        let model = try XCTUnwrap(c.model, c.renderDiagnostics(color: false))
        let data: [String: Tensor] = [
            "K": Tensor(scalar: 3),
            "R": Tensor(matrix: [[1, 0.3, -0.2], [0.3, 1, 0.1], [-0.2, 0.1, 1]]),
            "S": Tensor(matrix: [[2, 0.5, 0.1], [0.5, 1, 0.2], [0.1, 0.2, 0.5]]),
            "LR": Tensor(matrix: [[1, 0, 0], [0.3, 0.9539392014169455, 0], [-0.2, 0.1677255738755069, 0.9653331714326053]]),
            "LS": Tensor(matrix: [[1.5, 0, 0], [0.2, 0.9, 0], [-0.3, 0.1, 0.7]]),
            "F": Tensor(matrix: [[1, 0, 0], [0.5, 2, 0], [0.1, 0.2, 0.3], [1, 2, 3], [-1, 0, 1]]),
            "lo": Tensor(vector: [0, -1, 1]),
            "y": Tensor(vector: [0.5, -0.5, 1.5]),
        ]
        let check = try GradientCheck(runtime: try ModelRuntime(model: model, data: data), points: 3, seed: 11)
        XCTAssertLessThan(check.gradientError, GradientCheck.gradientTolerance)
        XCTAssertLessThan(check.hessianVectorError, GradientCheck.hessianVectorTolerance)
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
}
