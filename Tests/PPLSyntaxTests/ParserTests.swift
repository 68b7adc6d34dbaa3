import PPLSyntax
import XCTest

final class ParserTests: XCTestCase {
    func parse(_ text: String) -> (SourceProgram, DiagnosticSink) {
        let sink = DiagnosticSink()
        return (Parser.parse(SourceFile(path: "t.ppl", text: text), sink: sink), sink)
    }

    /// Fully parenthesised form of an expression, to check precedence and associativity.
    func show(_ e: Expr) -> String {
        switch e.kind {
        case .intLiteral(let v): return "\(v)"
        case .realLiteral(let v): return "\(v)"
        case .name(let n): return n
        case .unary(let op, let a): return "(\(op.rawValue)\(show(a)))"
        case .binary(let op, let a, let b): return "(\(show(a)) \(op.rawValue) \(show(b)))"
        case .ternary(let c, let a, let b): return "(\(show(c)) ? \(show(a)) : \(show(b)))"
        case .call(let f, let args, let cond):
            let shown = args.map(show)
            if cond { return "\(f.name)(\(shown[0]) | \(shown.dropFirst().joined(separator: ", ")))" }
            return "\(f.name)(\(shown.joined(separator: ", ")))"
        case .index(let b, let idx):
            let parts = idx.map { i -> String in
                switch i {
                case .single(let x): return show(x)
                case .range(let a, let b): return (a.map(show) ?? "") + ":" + (b.map(show) ?? "")
                }
            }
            return "\(show(b))[\(parts.joined(separator: ", "))]"
        case .transpose(let a): return "\(show(a))'"
        case .array(let xs): return "[\(xs.map(show).joined(separator: ", "))]"
        }
    }

    func expression(_ text: String) -> String {
        let (p, sink) = parse("target += " + text)
        XCTAssertFalse(sink.hasErrors, sink.diagnostics.map(\.message).joined())
        guard case .targetPlus(let e)? = p.items.first?.kind else { return "?" }
        return show(e)
    }

    func testPrecedence() {
        XCTAssertEqual(expression("a + b * c"), "(a + (b * c))")
        XCTAssertEqual(expression("a - b - c"), "((a - b) - c)")
        XCTAssertEqual(expression("-x ^ 2"), "(-(x ^ 2))")
        XCTAssertEqual(expression("a ^ b ^ c"), "(a ^ (b ^ c))")
        XCTAssertEqual(expression("a || b && c == d < e + f"), "(a || (b && (c == (d < (e + f)))))")
        XCTAssertEqual(expression("c ? a : b ? d : e"), "(c ? a : (b ? d : e))")
        XCTAssertEqual(expression("x' * A .* y ./ z"), "(((x' * A) .* y) ./ z)")
        XCTAssertEqual(expression("!a && b"), "((!a) && b)")
    }

    func testPostfixForms() {
        XCTAssertEqual(expression("X[i, j] + x[a:b] + x[:, 2] + x[3:]"), "(((X[i, j] + x[a:b]) + x[:, 2]) + x[3:])")
        XCTAssertEqual(expression("normal_lpdf(y | mu, s)"), "normal_lpdf(y | mu, s)")
        XCTAssertEqual(expression("f(x)[1]'"), "f(x)[1]'")
        XCTAssertEqual(expression("[1, 2]'"), "[1, 2]'")
    }

    func testStatementsEndAtNewlineOrSemicolon() {
        let (p, sink) = parse("param a: real; param b: real\na ~ normal(0,\n 1); b ~ normal(a, 1)\n")
        XCTAssertFalse(sink.hasErrors)
        XCTAssertEqual(p.items.count, 4)
    }

    func testGuideBlocksAcrossLines() {
        let (p, sink) = parse("guide deep = realnvp {\n  layers = 6,\n  hidden = [64]\n}\nguide iaf")
        XCTAssertFalse(sink.hasErrors, sink.diagnostics.map(\.message).joined())
        guard case .guide(let g)? = p.items.first?.kind else { return XCTFail() }
        XCTAssertEqual(g.name.name, "deep")
        XCTAssertEqual(g.family?.name, "realnvp")
        XCTAssertEqual(g.entries.map(\.key.name), ["layers", "hidden"])
    }

    func testSeveralErrorsInOneRun() {
        let (_, sink) = parse("param a: real\na ~ normal(0 1)\nparam b real\nb ~ normal(0, 1)\n")
        XCTAssertEqual(sink.errorCount, 2)
    }

    func testDeepNestingIsAnErrorNotAStackOverflow() {
        let (_, sink) = parse("target += " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000))
        XCTAssertTrue(sink.diagnostics.contains { $0.message.contains("nested too deeply") })
    }

    func testRendererPointsAtTheSpan() {
        let file = SourceFile(path: "m.ppl", text: "param mu: real\nmu ~ normal(0, sigam)\n")
        let d = Diagnostic.error("'sigam' is not declared", at: SourceSpan(file: file, start: 30, end: 35), help: "did you mean 'sigma'?")
        XCTAssertEqual(DiagnosticRenderer(color: false).render(d), """
            m.ppl:2:16: error: 'sigam' is not declared
             2 | mu ~ normal(0, sigam)
               |                ^^^^^
               = help: did you mean 'sigma'?

            """)
    }

    /// The array types of the language: dimensions, element type (with its bounds and
    /// sizes), the old spellings, and signature arrays of a rank.
    func testArrayTypes() {
        func declared(_ text: String) -> TypeExpr? {
            let (p, sink) = parse(text)
            XCTAssertFalse(sink.hasErrors, sink.diagnostics.map(\.message).joined())
            if case .data(_, let t)? = p.items.first?.kind { return t }
            if case .fn(let f)? = p.items.first?.kind { return f.params.first?.type }
            return nil
        }
        let a = declared("data x: array[N, M] vector<lower=0>[K]")
        XCTAssertEqual(a?.base, .vector)
        XCTAssertEqual(a?.arrayDims.count, 2)
        XCTAssertEqual(a?.sizes.count, 1)
        XCTAssertEqual(a?.bounds.count, 1)
        XCTAssertEqual(a?.arraySyntax, true)
        let old = declared("data n: int<lower=0>[N, K]")
        XCTAssertEqual(old?.base, .int)
        XCTAssertEqual(old?.arrayDims.count, 2)
        XCTAssertEqual(old?.sizes.count, 0)
        XCTAssertEqual(old?.arraySyntax, false)
        let sig = declared("fn f(x: array[,] real) -> real = 0")
        XCTAssertEqual(sig?.arrayRank, 2)
        XCTAssertEqual(sig?.arrayDims.count, 0)
        XCTAssertEqual(declared("fn f(x: array[] vector) -> real = 0")?.base, .vector)
        XCTAssertEqual(declared("fn f(x: int[]) -> real = 0")?.arrayRank, 1)
        // `array` is a word only before '[': it may still name a variable.
        let (p, sink) = parse("let array = 1")
        XCTAssertFalse(sink.hasErrors)
        XCTAssertEqual(p.items.count, 1)
    }

    /// `x op= e` is `x = x op e`; a `{ }` at the start of a statement is a block.
    func testCompoundAssignmentsAndBlocks() {
        let (p, sink) = parse("h[t] += a\ns -= 1; s *= 2; s /= 3; v .*= w; v ./= w\n{\n  let z = 1\n  s += z\n}")
        XCTAssertFalse(sink.hasErrors, sink.diagnostics.map(\.message).joined())
        var shown: [String] = []
        for item in p.items {
            if case .assign(let n, let idx, let e) = item.kind { shown.append("\(n.name)\(idx.isEmpty ? "" : "[..]") = \(show(e))") }
            if case .block(let body) = item.kind { shown.append("block of \(body.count)") }
        }
        XCTAssertEqual(shown, ["h[..] = (h[t] + a)", "s = (s - 1)", "s = (s * 2)", "s = (s / 3)", "v = (v .* w)", "v = (v ./ w)",
                               "block of 2"])
    }
}
