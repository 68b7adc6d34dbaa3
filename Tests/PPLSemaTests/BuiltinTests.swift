import Foundation
import PPLDriver
import PPLIR
import PPLSema
import PPLSyntax
import XCTest

/// Every row of the builtin table: called with arguments of its kinds it checks and gives
/// the type its result rule says; an argument of another kind is an error at that
/// argument naming the kind; a wrong number of arguments is an error naming the counts.
final class BuiltinTests: XCTestCase {
    static let header = """
        data n: int<lower=1>
        data ia: int[3]
        data M: matrix[3, 3]
        data rv: row_vector[3]
        param x: real
        param v: vector[3]
        x ~ normal(0, 1)
        v ~ normal(0, 1)

        """

    /// An argument of each kind, and its type.
    static let samples: [(kind: ArgKind, text: String, type: IRType)] = [
        (.any, "v", .vector(Size(3))),
        (.scalar, "x", .real),
        (.container, "v", .vector(Size(3))),
        (.vector, "v", .vector(Size(3))),
        (.oneDimensional, "rv", .rowVector(Size(3))),
        (.matrix, "M", .matrix(Size(3), Size(3))),
        (.size, "3", .int),
        (.int, "1", .int),
    ]
    /// An argument not of each kind (none for `any`).
    static let wrong: [(kind: ArgKind, text: String, type: String)] = [
        (.scalar, "v", "vector[3]"),
        (.container, "x", "real"),
        (.vector, "M", "matrix[3, 3]"),
        (.oneDimensional, "M", "matrix[3, 3]"),
        (.matrix, "v", "vector[3]"),
        (.size, "2.5", "real"),
        (.int, "x", "real"),
    ]
    /// Arguments that the kinds allow but the function's op narrows (by name and number of
    /// arguments): a square matrix, a matrix with as many elements as the sizes ask.
    static let narrowed: [String: [String]] = ["diagonal/1": ["M"], "to_matrix/3": ["M", "3", "3"], "to_matrix/4": ["M", "3", "3", "1"]]

    func testEveryBuiltinChecksItsArgumentsAndGivesItsResultType() throws {
        XCTAssertGreaterThan(Builtins.table.count, 60)
        for b in Builtins.table {
            var texts: [String] = [], types: [IRType] = []
            for p in b.params {
                let s = try XCTUnwrap(Self.samples.first { $0.kind == p.kind })
                texts.append(s.text)
                types.append(s.type)
            }
            if let narrowed = Self.narrowed["\(b.name)/\(b.params.count)"] {
                texts = narrowed
                types = [.matrix(Size(3), Size(3))] + narrowed.dropFirst().map { _ in IRType.int }
            }
            let (model, diagnostics) = check("let r = \(b.name)(\(texts.joined(separator: ", ")))")
            guard let model else {
                XCTFail("\(b.signature) with (\(texts.joined(separator: ", "))): \(diagnostics)")
                continue
            }
            let program = [model.derived, model.transformedData].first { $0.outputNames.contains("r") }!
            let t = program.type(of: program.body.yields[program.outputNames.firstIndex(of: "r")!])
            XCTAssertTrue(follows(b.result, t, arguments: types, texts: texts), "\(b.signature): the result is \(t)")
        }
    }

    func testAnArgumentOfAnotherKindIsAnErrorAtIt() throws {
        var checked = 0
        for b in Builtins.table {
            for (k, p) in b.params.enumerated() {
                guard let bad = Self.wrong.first(where: { $0.kind == p.kind }) else { continue }
                var texts = b.params.map { q in Self.samples.first { $0.kind == q.kind }!.text }
                texts[k] = bad.text
                let call = "\(b.name)(\(texts.joined(separator: ", ")))"
                let (model, diagnostics) = check("let r = " + call)
                XCTAssertNil(model, call)
                XCTAssertEqual(diagnostics.count, 1, "\(call): \(diagnostics)")
                guard let d = diagnostics.first else { continue }
                XCTAssertTrue(d.message.contains("'\(b.name)'") && d.message.contains(p.kind.phrase)
                              && d.message.hasSuffix(", not \(bad.type)"), "\(call): \(d.message)")
                XCTAssertEqual(d.span.file?.text(d.span), bad.text, call)
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 15)
    }

    func testAWrongNumberOfArgumentsNamesTheCounts() throws {
        for (name, overloads) in Builtins.byName {
            let counts = overloads.map(\.params.count).sorted()
            let given = counts.max()! + 1
            let (_, diagnostics) = check("let r = \(name)(\(Array(repeating: "x", count: given).joined(separator: ", ")))")
            let expected = counts.map(String.init).joined(separator: " or ")
            XCTAssertEqual(diagnostics.map(\.message), ["'\(name)' takes \(expected) argument\(counts == [1] ? "" : "s"), got \(given)"])
        }
    }

    // MARK: - Helpers

    private func check(_ line: String) -> (CheckedModel?, [Diagnostic]) {
        let c = Compilation.compile(file: SourceFile(path: "builtins.ppl", text: Self.header + line + "\n"))
        return (c.model, c.diagnostics)
    }

    private func follows(_ rule: ResultRule, _ t: IRType, arguments: [IRType], texts: [String]) -> Bool {
        func size(_ k: Int?) -> Size? { k.map { Size(Int(texts[$0])!) } }
        switch rule {
        case .elementwise:
            let shapes = arguments.map(\.shape).filter { $0 != .scalar }
            return t.elem == .real && t.shape == (shapes.first ?? .scalar)
        case .real: return t == .real
        case .scalar: return t.isScalar
        case .int: return t == .int
        case .sameAs(let k): return t == arguments[k]
        case .vector(let k):
            guard case .vector(let n) = t.shape, t.elem == .real else { return false }
            return size(k).map { $0 == n } ?? true
        case .rowVector(let k):
            guard case .rowVector(let n) = t.shape, t.elem == .real else { return false }
            return size(k).map { $0 == n } ?? true
        case .matrix(let r, let c):
            guard case .matrix(let m, let n) = t.shape, t.elem == .real else { return false }
            return (size(r).map { $0 == m } ?? true) && (size(c).map { $0 == n } ?? true)
        case .computed:
            // The rule is prose; these functions' types are checked by their golden IR.
            return true
        }
    }
}
