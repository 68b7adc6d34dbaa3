import Foundation
import PPLDriver
import PPLEngine
import PPLIR
import PPLSema
import PPLSyntax
import XCTest

/// The container builtins (linear algebra; building, cutting and joining containers) and
/// Stan's elementwise functions composed of elementwise ops, against numpy's values, and
/// their derivatives against finite differences.
final class ContainerFunctionTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().standardizedFileURL.path

    struct Reference: Decodable {
        struct Input: Decodable {
            let type: String
            let value: Value
        }
        enum Value: Decodable {
            case scalar(Double), vector([Double]), matrix([[Double]])
            init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let d = try? c.decode(Double.self) { self = .scalar(d); return }
                if let v = try? c.decode([Double].self) { self = .vector(v); return }
                self = .matrix(try c.decode([[Double]].self))
            }
            var tensor: Tensor {
                switch self {
                case .scalar(let d): return Tensor(scalar: d)
                case .vector(let v): return Tensor(vector: v)
                case .matrix(let m): return Tensor(matrix: m)
                }
            }
        }
        struct Case: Decodable {
            let expr: String
            let value: [Double]
            let shape: [Int]
        }
        let data: [String: Input]
        let cases: [Case]
    }

    func testEveryContainerFunctionAgainstNumpy() throws {
        let url = URL(fileURLWithPath: Self.root + "/Tests/Data/container_reference.json")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        let declarations = reference.data.keys.sorted().map { "data \($0): \(reference.data[$0]!.type)" }
        let data = reference.data.mapValues(\.value.tensor)
        var functions = Set<String>()
        for c in reference.cases {
            functions.insert(String(c.expr.prefix { $0 != "(" }))
            let source = (declarations + ["param unused: real", "let r = \(c.expr)"]).joined(separator: "\n")
            let compiled = Compilation.compile(file: SourceFile(path: "case.ppl", text: source))
            guard let model = compiled.model else {
                XCTFail("\(c.expr) does not check: " + compiled.renderDiagnostics(color: false))
                continue
            }
            let e = try Executable(model.transformedData, varying: [], data: data)
            try e.run()
            let shape = e.outputShape("r")
            XCTAssertEqual(shape.reduce(1, *), c.shape.reduce(1, *), "\(c.expr): shape \(shape), expected \(c.shape)")
            let value = Array(e.output("r"))
            XCTAssertEqual(value.count, c.value.count, c.expr)
            for (a, b) in zip(value, c.value) {
                XCTAssertEqual(a, b, accuracy: 1e-12 * max(1, abs(b)), "\(c.expr): \(value), expected \(c.value)")
            }
        }
        let covered = Set(Builtins.table.compactMap { b -> String? in
            switch b.impl {
            case .container, .composed: return b.name
            case .unary, .binary, .incomplete, .special: return nil
            }
        })
        XCTAssertEqual(functions, covered, "every container and composed builtin has reference cases")
    }

    /// Params through every container and composed builtin into the log density: the gradient and the
    /// Hessian-vector product against finite differences.
    func testContainerFunctionDerivatives() throws {
        let runtime = try ModelRuntime(modelPath: Self.root + "/Tests/Golden/good/container_functions.ppl", dataPath: nil)
        let check = try GradientCheck(runtime: runtime, points: 3, seed: 17)
        XCTAssertLessThan(check.gradientError, GradientCheck.gradientTolerance)
        XCTAssertLessThan(check.hessianVectorError, GradientCheck.hessianVectorTolerance)
        XCTAssertEqual(check.nonFinite, 0)
    }
}
