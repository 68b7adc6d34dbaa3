import Foundation
import PPLDriver
import PPLEngine
import PPLSyntax
import XCTest

/// Every distribution's log density against reference values (mpmath, cross-checked with
/// scipy; Tests/Data/make_reference.py; the LKJ distributions, which scipy lacks, against
/// their definition checked by quadrature, Tests/Data/make_lkj_reference.py). Each case is
/// a tiny model run through the whole pipeline: `target += d_lpdf(x | args)`.
final class DistributionTests: XCTestCase {
    enum Item: Decodable {
        case number(Double, isInt: Bool)
        case list([Double], isInt: Bool)
        case matrix([[Double]])

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let i = try? c.decode(Int.self) { self = .number(Double(i), isInt: true); return }
            if let d = try? c.decode(Double.self) { self = .number(d, isInt: false); return }
            if let l = try? c.decode([Int].self) { self = .list(l.map(Double.init), isInt: true); return }
            if let l = try? c.decode([Double].self) { self = .list(l, isInt: false); return }
            self = .matrix(try c.decode([[Double]].self))
        }
    }

    struct Case: Decodable {
        let dist: String
        let x: Item
        let args: [Item]
        let logp: Double
    }

    func testEveryDistributionAgainstReferenceValues() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Data")
        struct File: Decodable { let cases: [Case] }
        let cases = try ["lpdf_reference.json", "lkj_reference.json"].flatMap { name in
            try JSONDecoder().decode(File.self, from: Data(contentsOf: dir.appendingPathComponent(name))).cases
        }
        let probe = Compilation.compile(file: SourceFile(path: "probe.ppl", text: "param p: real"))
        let table = try XCTUnwrap(probe.model?.distributions)
        XCTAssertEqual(Set(cases.map(\.dist)), Set(table.keys), "every stdlib distribution has reference cases")
        for (n, c) in cases.enumerated() {
            let info = try XCTUnwrap(table[c.dist])
            var lines: [String] = []
            var data: [String: Tensor] = [:]
            func declare(_ name: String, _ item: Item, int: Bool) {
                switch item {
                case .number(let v, _):
                    lines.append("data \(name): \(int ? "int" : "real")")
                    data[name] = Tensor(scalar: v)
                case .list(let v, _):
                    lines.append("data \(name): \(int ? "int[\(v.count)]" : "vector[\(v.count)]")")
                    data[name] = Tensor(vector: v)
                case .matrix(let rows):
                    lines.append("data \(name): matrix[\(rows.count), \(rows.first?.count ?? 0)]")
                    data[name] = Tensor(matrix: rows)
                }
            }
            declare("x", c.x, int: info.discrete)
            for (k, a) in c.args.enumerated() { declare("a\(k + 1)", a, int: info.def.params[k].type.base == .int) }
            let args = c.args.indices.map { "a\($0 + 1)" }.joined(separator: ", ")
            lines.append("param p: real")
            lines.append("target += \(c.dist)_\(info.discrete ? "lpmf" : "lpdf")(x\(args.isEmpty ? "" : " | " + args))")
            let source = lines.joined(separator: "\n")
            let compiled = Compilation.compile(file: SourceFile(path: "case\(n).ppl", text: source))
            guard let model = compiled.model else {
                XCTFail("case \(n) (\(c.dist)) does not check:\n\(source)\n" + compiled.renderDiagnostics(color: false))
                continue
            }
            let e = try Executable(model.logDensity, varying: ["p"], data: data)
            try e.run()
            let value = e.output("target")[0]
            let error = abs(value - c.logp) / max(1, abs(c.logp))
            XCTAssertLessThan(error, 2e-9, "case \(n): \(c.dist) = \(value), expected \(c.logp)\n\(source)")
        }
    }
}
