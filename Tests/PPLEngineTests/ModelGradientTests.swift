import Foundation
import PPLDriver
import PPLEngine
import PPLIR
import PPLSema
import PPLSyntax
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

    /// A vector written one element per iteration and read at earlier iterations' elements
    /// is read back in the reverse pass from its value after the loop, with no tape (a copy
    /// of the whole vector per iteration); one whose iterations read an element before a
    /// later iteration writes it (its own, a later one, all of it) keeps its tape. Both
    /// differentiate exactly.
    func testVectorsWrittenOncePerIterationNeedNoTape() throws {
        let cases: [(body: String, taped: Bool)] = [
            ("for t in 3:N { h[t] = phi * h[t - 1] + s * z[t] }", false),
            ("for t in 3:N { h[t] = phi * h[t - 2] + 0.5 * h[t - 1] + z[t] }", false),
            ("for t in 3:N { h[t] = phi * h[t] + h[t - 1] }", true),
            ("for t in 3:(N - 1) { h[t] = phi * h[t + 1] + z[t] }", true),
            ("for t in 3:N { h[t] = phi * sum(h) / N + z[t] }", true),
        ]
        for (body, taped) in cases {
            let text = """
                data N: int<lower=4>
                data y: vector[N]
                param phi: real<lower=-1, upper=1>
                param s: real<lower=0>
                param z: vector[N]
                z ~ std_normal()
                s ~ half_normal(1)
                let h: vector[N] = s * z
                \(body)
                y ~ normal(h, 1)

                """
            let c = Compilation.compile(file: SourceFile(path: "written_once.ppl", text: text))
            let model = try XCTUnwrap(c.model, c.renderDiagnostics(color: false) + text)
            let runtime = try ModelRuntime(model: model, data: ["N": Tensor(scalar: 6),
                                                                "y": Tensor(vector: [0.3, -0.2, 0.8, 1.1, 0.4, -0.5])])
            let gradient = Printer.print(try runtime.gradientProgram())
            XCTAssertEqual(gradient.contains("N*N"), taped, "\(body): a tape of N vectors is \(taped ? "needed" : "not needed")")
            let check = try GradientCheck(runtime: runtime, points: 3, seed: 17)
            XCTAssertLessThan(check.gradientError, GradientCheck.gradientTolerance, body)
            XCTAssertLessThan(check.hessianVectorError, GradientCheck.hessianVectorTolerance, body)
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

/// Every golden model's gradient and Hessian-vector product against finite differences,
/// on data made up from its declarations: a gradient that is wrong for some construct
/// (a loop, a function, a branch) cannot hide behind a model without a data file.
final class GoldenModelGradientTests: XCTestCase {
    func testEveryGoldenModelOnMadeUpData() throws {
        let dir = ModelGradientTests.root + "/Tests/Golden/good"
        var checked: [String] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: dir).filter({ $0.hasSuffix(".ppl") }).sorted() {
            let c = Compilation.compile(path: dir + "/" + file)
            guard let model = c.model, !model.params.isEmpty else { continue }
            // Data the model cannot take (a bound computed from other data, an index the
            // made-up values send out of range) are not this test's business.
            guard let runtime = try? ModelRuntime(model: model, data: MadeUpData.values(for: model)),
                  let check = try? GradientCheck(runtime: runtime, points: 3, seed: 11), check.nonFinite == 0 else { continue }
            XCTAssertLessThan(check.gradientError, GradientCheck.gradientTolerance, file)
            XCTAssertLessThan(check.hessianVectorError, GradientCheck.hessianVectorTolerance, file)
            checked.append(file)
        }
        XCTAssertGreaterThanOrEqual(checked.count, 30, "golden models whose gradient was checked: \(checked)")
    }
}

/// A matrix written as an array of rows, `[[1, 2], [3, s]]` (one `pack` of row vectors),
/// holds the rows in order: the engine used to take the first element of each row.
final class PackTests: XCTestCase {
    func testRowsPackedIntoAMatrixKeepTheirElements() throws {
        let b = Builder()
        let e = Emitter(b)
        let s = b.inputValue(.real)
        let row = IRType(.real, .rowVector(Size(2)))
        let rows = [[e.c(1), e.c(2)], [e.c(3), s], [s, e.c(5)]].map { b.append(.pack, $0, type: row) }
        let m = b.append(.pack, rows, type: .matrix(Size(3), Size(2)))
        let (instrs, types) = b.finish()
        let p = Program(name: "rows", inputs: [Input(name: "s", value: s, role: .param, type: .real, constraint: .none)],
                        body: Block(instrs: instrs, yields: [m]), outputNames: ["m"], types: types)
        XCTAssertEqual(Verifier.verify(p), [])
        let x = try Executable(p, varying: ["s"], data: [:], batch: 2)
        _ = x.input("s").update(fromContentsOf: [4.0, 7.0])
        try x.run()
        XCTAssertEqual(Array(x.output("m", particle: 0)), [1, 2, 3, 4, 4, 5])
        XCTAssertEqual(Array(x.output("m", particle: 1)), [1, 2, 3, 7, 7, 5])
    }
}

/// Values for a model's data made up from the declarations: every int scalar 3 (or within
/// its bounds), ints in arrays between their bounds (else 1 to 3), reals standard normal
/// moved inside their bounds, a simplex uniform, ordered values sorted.
enum MadeUpData {
    static func values(for model: CheckedModel) -> [String: Tensor] {
        var rng = RNG(seed: 23)
        var ints: [String: Int] = [:]
        var out: [String: Tensor] = [:]
        func bounds(_ c: Constraint) -> (Double?, Double?) {
            func value(_ b: BoundValue) -> Double? { if case .constant(let x) = b { return x } else { return nil } }
            switch c {
            case .lower(let l): return (value(l), nil)
            case .upper(let u): return (nil, value(u))
            case .lowerUpper(let l, let u): return (value(l), value(u))
            default: return (nil, nil)
            }
        }
        for d in model.data where d.type == .int {
            let (lo, hi) = bounds(d.constraint)
            let n = min(max(3, Int(lo ?? 3)), Int(hi ?? 3))
            ints[d.name] = n
            out[d.name] = Tensor(scalar: Double(n))
        }
        for d in model.data where d.type != .int {
            guard let count = d.type.shape.count.evaluate({ ints[$0] }), count >= 0 else { continue }
            let (lo, hi) = bounds(d.constraint)
            var xs: [Double] = (0..<count).map { _ in
                if d.type.elem == .int {
                    let a = Int(lo ?? 1), b = Int(hi ?? Double(a + 2))
                    return Double(a + Int(rng.uniform() * Double(b - a + 1)) % max(1, b - a + 1))
                }
                let z = rng.normal()
                switch (lo, hi) {
                case (let l?, let u?): return l + (u - l) * (0.1 + 0.8 * rng.uniform())
                case (let l?, nil): return l + abs(z) + 0.1
                case (nil, let u?): return u - abs(z) - 0.1
                case (nil, nil): return z
                }
            }
            switch d.constraint {
            case .simplex: xs = [Double](repeating: 1 / Double(max(1, count)), count: count)
            case .ordered: xs.sort()
            case .positiveOrdered: xs = xs.map { abs($0) + 0.1 }.sorted()
            default: break
            }
            switch d.type.shape {
            case .matrix(let r, _):
                let rows = r.evaluate { ints[$0] } ?? 0
                out[d.name] = Tensor(shape: [rows, rows == 0 ? 0 : count / rows], values: xs)
            case .scalar: out[d.name] = Tensor(scalar: xs[0])
            default: out[d.name] = Tensor(vector: xs)
            }
        }
        return out
    }
}
