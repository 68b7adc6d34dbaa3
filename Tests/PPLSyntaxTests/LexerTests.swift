import PPLSyntax
import XCTest

final class LexerTests: XCTestCase {
    func lex(_ text: String) -> ([TokenKind], DiagnosticSink) {
        let sink = DiagnosticSink()
        return (Lexer.tokenize(SourceFile(path: "t.ppl", text: text), sink: sink).map(\.kind), sink)
    }

    func testNumberLiterals() {
        let (tokens, sink) = lex("3 3.0 .5 1e-3 2.5E+4 3.")
        XCTAssertFalse(sink.hasErrors)
        XCTAssertEqual(tokens, [.intLiteral(3), .realLiteral(3), .realLiteral(0.5), .realLiteral(0.001),
                                .realLiteral(25000), .realLiteral(3), .eof])
    }

    func testTrailingDotBeforeElementwiseOperatorIsNotPartOfTheNumber() {
        XCTAssertEqual(lex("3.*x").0, [.intLiteral(3), .symbol(.dotStar), .identifier("x"), .eof])
        XCTAssertEqual(lex("1./x").0, [.intLiteral(1), .symbol(.dotSlash), .identifier("x"), .eof])
    }

    func testCommentsAreSkipped() {
        XCTAssertEqual(lex("a // b\n/* c\n d */ e").0, [.identifier("a"), .newline, .identifier("e"), .eof])
    }

    func testNewlinesInsideParensAndAfterOperatorsContinueTheLine() {
        XCTAssertEqual(lex("f(a,\n b)").0, [.identifier("f"), .symbol(.lparen), .identifier("a"), .symbol(.comma),
                                             .identifier("b"), .symbol(.rparen), .eof])
        XCTAssertEqual(lex("a +\n b").0, [.identifier("a"), .symbol(.plus), .identifier("b"), .eof])
        XCTAssertEqual(lex("a\n+ b").0, [.identifier("a"), .newline, .symbol(.plus), .identifier("b"), .eof])
    }

    func testClosingBoundEndsTheLine() {
        let (tokens, _) = lex("param t: real<lower=0>\nparam u: real")
        XCTAssertEqual(tokens.filter { $0 == .newline }.count, 1)
    }

    func testKeywordsAreReserved() {
        XCTAssertEqual(lex("param data vector").0, [.keyword(.param), .keyword(.data), .keyword(.vector), .eof])
    }

    func testBadCharactersAreReportedWithTheirPosition() {
        let (_, sink) = lex("x @ y")
        XCTAssertEqual(sink.diagnostics.map(\.message), ["unexpected character '@'"])
        XCTAssertEqual(sink.diagnostics.first?.span.start, 2)
    }

    func testUnterminatedCommentAndStringAreErrors() {
        XCTAssertEqual(lex("/* open").1.diagnostics.map(\.message), ["unterminated block comment"])
        XCTAssertEqual(lex("import \"x.ppl").1.diagnostics.map(\.message), ["unterminated string"])
    }

    func testTooLargeIntegerIsAnError() {
        XCTAssertTrue(lex("99999999999999999999999").1.hasErrors)
    }
}
