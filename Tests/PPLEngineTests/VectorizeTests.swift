import Foundation
import PPLDriver
import PPLEngine
import PPLIR
import PPLSema
import PPLSyntax
import XCTest

/// The loop vectorisation pass: a loop it vectorises gives the values of the loop it
/// replaces, a loop with a carried dependence stays a loop, and no golden model keeps a
/// loop that the checker used to vectorise.
final class VectorizeTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().standardizedFileURL.path

    static let header = """
        data N: int<lower=1>
        data K: int<lower=2>
        data y: vector[N]
        data g: int<lower=1, upper=K>[N]
        data X: matrix[N, K]
        data r: row_vector[N]
        data A: array[N] vector[K]
        param a: vector[K]
        param s: real<lower=0>
        param B: matrix[N, K]

        """

    /// Loops with independent iterations, each a pattern the pass must turn into vector
    /// operations.
    static let independent = [
        "for k in 1:K { a[k] ~ normal(0, 1) }",
        """
        for n in 1:N {
          let m = a[g[n]] + 0.5
          y[n] ~ normal(m, s)
          target += -0.5 * square(y[n] - m)
          target += s
        }
        """,
        "for t in 2:N - 1 { y[t + 1] ~ normal(y[t - 1], 10) }",
        "for i in 1:N { target += X[i, 2] * B[i, 1] + y[i] }",
        "for j in 1:3 { s ~ gamma(2, 2 * j) }",
        "for n in 3:N { target += n * s }",
        "for n in 1:N { target += n > 2 ? log(s) : -s }",
        "y ~ normal(a[g], s)",
        "r ~ normal(0, s)",
        "a ~ std_normal()\nfor i in 1:N { for j in 1:K { B[i, j] ~ normal(a[j], s) } }",
        "let h: vector[N]\nfor n in 1:N { h[n] = exp(y[n]) * s }\ntarget += sum(h)",
        "let h: row_vector[N]\nfor n in 1:N { h[n] = r[n] + s }\nlet w = 2 * h",
        "let acc: real\nacc = 0\nfor n in 1:N { acc = acc + y[n] * s }\ntarget += acc",
        "let acc: real = 0\nfor n in 1:N { acc += A[n][2] * s + A[n, 1] }\ntarget += acc",
        "for n in 1:N { target += A[n, K] * a[1] }",
        "for n in 1:N { target += sum(B[n]) }",
        """
        for n in (K + 1):N {
          let mu: real = s
          for k in 1:K {
            mu += a[k] * y[n - k]
          }
          y[n] ~ normal(mu, s)
        }
        """,
        "for n in 1:N { y[n] ~ normal(X[n]' * a, s) }",
        "for n in 1:N { target += dot_product(exp(B[n]) - a, a) * y[n] + B[n][2] }",
        "for n in 1:N { target += sum(y[n] * B[n]) + dot_product(B[n], B[n]) + dot_self(B[n]) }",
        "for n in 1:N { target += sum(X[n, 1:2]) * s }",
    ]

    /// Loops that must stay loops: a carried dependence, a written value read back, a
    /// branch in the body, a matrix per iteration, a product, an empty range, a range that
    /// depends on an outer index or on data values, a `?:` that indexes (a branch).
    static let dependent = [
        "let h: vector[N]\nh[1] = s\nfor t in 2:N { h[t] = s + 0.5 * h[t - 1] }\ntarget += sum(h)",
        "let h: vector[N]\nfor n in 1:N {\n  h[n] = y[n] * s\n  target += h[n]\n}",
        "for n in 1:N { if n > 2 { target += s } }",
        "for n in 1:N { target += sum(B[n] * a') }",
        "let p: real\np = 1.0\nfor n in 1:N { p = p * (s + y[n]) }\ntarget += p",
        "for n in 5:3 { target += s }",
        "for i in 1:N {\n  let c: real = 0\n  for m in 1:(i - 1) { c += y[m] * s }\n  target += c\n}",
        "for n in 1:g[1] { target += y[n] * s }",
        "for n in 1:N { target += n > 1 ? y[n - 1] * s : s }",
    ]

    func testVectorisedLoopsGiveTheValuesOfTheLoopsTheyReplace() throws {
        for body in Self.independent {
            let model = try compile(Self.header + body)
            for p in programs(model) where loops(p.body) > 0 {
                let v = Vectorize.run(p)
                XCTAssertEqual(Verifier.verify(v), [], "\(body)\n\(p.name) vectorised does not verify")
                XCTAssertLessThan(loops(v.body), loops(p.body), "\(body)\n\(p.name): no loop was vectorised\n" + Printer.print(v))
                try assertSameValues(p, v, model, body)
            }
        }
    }

    func testLoopsWithACarriedDependenceStayLoops() throws {
        for body in Self.dependent {
            let model = try compile(Self.header + body)
            let p = model.logDensity
            XCTAssertGreaterThan(loops(p.body), 0, body)
            let v = Vectorize.run(p)
            XCTAssertEqual(loops(v.body), loops(p.body), "\(body)\nwas vectorised:\n" + Printer.print(v))
            try assertSameValues(p, v, model, body)
        }
    }

    /// The checker used to vectorise loops itself, and the golden IR files record which
    /// loops it kept: the pass must keep exactly those (a loop it leaves is a loop the old
    /// elaboration vectorised; one it removes was a sequential loop before).
    func testGoldenModelsKeepTheLoopsTheCheckerKept() throws {
        let golden = Self.root + "/Tests/Golden"
        var cases: [(model: String, expected: String)] = []
        for dir in ["good"] {
            for m in models(in: golden + "/" + dir) { cases.append((m, String(m.dropLast(4)) + ".ir")) }
        }
        for m in models(in: Self.root + "/models") { cases.append((m, golden + "/models/" + name(m) + ".ir")) }
        for m in models(in: Self.root + "/../shared/bench/models") { cases.append((m, golden + "/bench/" + name(m) + ".ir")) }
        XCTAssertGreaterThanOrEqual(cases.count, 50)
        var vectorised = 0
        for (model, expected) in cases {
            let text = try String(contentsOfFile: expected, encoding: .utf8)
            let kept = text.split(separator: "\n").filter { $0.contains(" = loop ") || $0.hasPrefix("  loop ") }.count
            let plain = try XCTUnwrap(Compilation.compile(path: model, vectorize: false).model, name(model))
            let passed = try XCTUnwrap(Compilation.compile(path: model).model, name(model))
            let before = programs(plain).map { loops($0.body) }.reduce(0, +)
            let after = programs(passed).map { loops($0.body) }.reduce(0, +)
            XCTAssertEqual(after, kept, "\(name(model)): the pass leaves \(after) loops, the golden IR \(kept)")
            XCTAssertLessThanOrEqual(after, before, name(model))
            if after < before { vectorised += 1 }
        }
        XCTAssertGreaterThanOrEqual(vectorised, 30, "golden models with a loop the pass vectorised")
    }

    // MARK: - Helpers

    private func compile(_ text: String) throws -> CheckedModel {
        let c = Compilation.compile(file: SourceFile(path: "vectorize.ppl", text: text), vectorize: false)
        return try XCTUnwrap(c.model, c.renderDiagnostics(color: false) + text)
    }

    private func programs(_ m: CheckedModel) -> [Program] { [m.transformedData, m.logDensity, m.derived] }

    private func loops(_ b: Block) -> Int {
        b.instrs.reduce(0) { $0 + ($1.op == .loop ? 1 : 0) + $1.regions.map(loops).reduce(0, +) }
    }

    /// Evaluates both programs on random params for three data sets (N = 5, 2 and 1: some
    /// ranges empty) and requires equal outputs up to the order of the sums.
    private func assertSameValues(_ p: Program, _ v: Program, _ model: CheckedModel, _ body: String) throws {
        var rng = SeededRandom(11)
        for n in [5, 2, 1] {
            let k = 3
            var data: [String: Tensor] = [
                "N": Tensor(scalar: Double(n)), "K": Tensor(scalar: Double(k)),
                "y": Tensor(vector: rng.normals(n)),
                "g": Tensor(vector: (0..<n).map { Double(1 + $0 % k) }),
                "X": Tensor(shape: [n, k], values: rng.normals(n * k)),
                "r": Tensor(shape: [n], values: rng.normals(n)),
                "A": Tensor(shape: [n, k], values: rng.normals(n * k)),
            ]
            let td = try Executable(model.transformedData, varying: [], data: data)
            for name in model.transformedData.outputNames { data[name] = Tensor(vector: Array(td.output(name))) }
            let params = Set(p.inputs.filter { $0.role == .param }.map(\.name))
            let loop = try Executable(p, varying: params, data: data)
            let vector = try Executable(v, varying: params, data: data)
            for name in params.sorted() {
                let values = rng.normals(loop.input(name).count).map { 0.5 + abs($0) }
                loop.input(name).update(from: values)
                vector.input(name).update(from: values)
            }
            try loop.run()
            try vector.run()
            for name in p.outputNames {
                let a = Array(loop.output(name)), b = Array(vector.output(name))
                XCTAssertEqual(a.count, b.count, "\(body)\n\(p.name).\(name), N = \(n)")
                for (x, y) in zip(a, b) where !(abs(x - y) <= 1e-12 * max(1, abs(x))) {
                    XCTFail("\(body)\n\(p.name).\(name), N = \(n): loop \(x), vectorised \(y)")
                    break
                }
            }
        }
    }

    private func models(in dir: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".ppl") }.sorted().map { dir + "/" + $0 }
    }

    private func name(_ path: String) -> String {
        URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    }
}
