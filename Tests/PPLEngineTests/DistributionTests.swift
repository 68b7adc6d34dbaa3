import Foundation
import PPLDriver
import PPLEngine
import PPLSema
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

    /// A case of cdf_reference.json: `fn` is lcdf, lccdf, cdf, or truncated (the log density
    /// of `x ~ dist(args) T[lower, upper]`).
    struct CdfCase: Decodable {
        let dist: String
        let fn: String
        let x: Item
        let args: [Item]
        let value: Double
        let lower: Double?
        let upper: Double?
    }

    struct File<T: Decodable>: Decodable { let cases: [T] }

    static func load<T: Decodable>(_ file: String, as: T.Type) throws -> [T] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Data/" + file)
        return try JSONDecoder().decode(File<T>.self, from: Data(contentsOf: url)).cases
    }

    static func distributions() throws -> [String: DistInfo] {
        let probe = Compilation.compile(file: SourceFile(path: "probe.ppl", text: "param p: real"))
        return try XCTUnwrap(probe.model?.distributions)
    }

    /// A model of one statement with data `x`, `a1`, `a2`, ... holding the case's values, run:
    /// its log density and its source.
    func evaluate(_ info: DistInfo, x: Item, args: [Item], _ statement: String, name: String) throws -> (Double, String)? {
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
        declare("x", x, int: info.discrete)
        for (k, a) in args.enumerated() { declare("a\(k + 1)", a, int: info.def.params[k].type.base == .int) }
        lines.append("param p: real")
        lines.append(statement)
        let source = lines.joined(separator: "\n")
        let compiled = Compilation.compile(file: SourceFile(path: name, text: source))
        guard let model = compiled.model else {
            XCTFail("\(name) does not check:\n\(source)\n" + compiled.renderDiagnostics(color: false))
            return nil
        }
        let e = try Executable(model.logDensity, varying: ["p"], data: data)
        try e.run()
        return (e.output("target")[0], source)
    }

    func testEveryDistributionAgainstReferenceValues() throws {
        let cases = try Self.load("lpdf_reference.json", as: Case.self) + Self.load("lkj_reference.json", as: Case.self)
        let table = try Self.distributions()
        XCTAssertEqual(Set(cases.map(\.dist)), Set(table.keys), "every stdlib distribution has reference cases")
        for (n, c) in cases.enumerated() {
            let info = try XCTUnwrap(table[c.dist])
            let args = c.args.indices.map { "a\($0 + 1)" }.joined(separator: ", ")
            let call = "\(c.dist)_\(info.discrete ? "lpmf" : "lpdf")(x\(args.isEmpty ? "" : " | " + args))"
            guard let (value, source) = try evaluate(info, x: c.x, args: c.args, "target += " + call, name: "case\(n).ppl") else { continue }
            let error = abs(value - c.logp) / max(1, abs(c.logp))
            XCTAssertLessThan(error, 2e-9, "case \(n): \(c.dist) = \(value), expected \(c.logp)\n\(source)")
        }
    }

    /// Every distribution on the reals with scalar parameters has a cdf; every distribution
    /// with a cdf has reference cases for lcdf and lccdf; each `d_lcdf`, `d_lccdf`, `d_cdf`
    /// and truncation `T[L, U]` case agrees with them.
    func testEveryCdfAgainstReferenceValues() throws {
        let cases = try Self.load("cdf_reference.json", as: CdfCase.self)
        let table = try Self.distributions()
        for (name, info) in table where !info.discrete && info.def.support.base == .real && !info.def.support.isArray
            && info.def.params.allSatisfy({ !$0.type.isArray && ($0.type.base == .real || $0.type.base == .int) }) {
            XCTAssertTrue(info.hasCdf, "\(name) is continuous but has no cdf")
        }
        for fn in ["lcdf", "lccdf"] {
            XCTAssertEqual(Set(cases.filter { $0.fn == fn }.map(\.dist)), Set(table.filter { $0.value.hasCdf }.keys),
                           "every distribution with a cdf has \(fn) reference cases")
        }
        for (n, c) in cases.enumerated() {
            let info = try XCTUnwrap(table[c.dist])
            let args = c.args.indices.map { "a\($0 + 1)" }.joined(separator: ", ")
            let statement: String
            if c.fn == "truncated" {
                func bound(_ b: Double?) -> String { b.map { info.discrete ? String(Int($0)) : String($0) } ?? "" }
                statement = "x ~ \(c.dist)(\(args)) T[\(bound(c.lower)), \(bound(c.upper))]"
            } else {
                statement = "target += \(c.dist)_\(c.fn)(x\(args.isEmpty ? "" : " | " + args))"
            }
            guard let (value, source) = try evaluate(info, x: c.x, args: c.args, statement, name: "cdf\(n).ppl") else { continue }
            let error = abs(value - c.value) / max(1, abs(c.value))
            XCTAssertLessThan(error, 2e-9, "case \(n): \(c.dist)_\(c.fn) = \(value), expected \(c.value)\n\(source)")
        }
    }
}
