import CLITestSupport
import PPLRepl
import XCTest

/// Editing a model a statement at a time: what replaces what, where it goes, and that an
/// edit that does not check changes nothing.
final class ModelEditorTests: XCTestCase {
    func editor(_ lines: String...) throws -> ModelEditor {
        var e = ModelEditor()
        for l in lines { _ = try e.apply(l) }
        return e
    }

    func errors(_ e: inout ModelEditor, _ line: String) -> String {
        do {
            _ = try e.apply(line)
            return ""
        } catch {
            return error.text(color: false)
        }
    }

    func testStatementsAreAddedAndRedefinitionsReplaceInPlace() throws {
        var e = try editor("param mu: real", "param tau: real<lower=0>", "mu ~ normal(0, 5)", "tau ~ half_normal(1)")
        XCTAssertEqual(try e.apply("mu ~ normal(0, 10)"), [.replaced(old: "mu ~ normal(0, 5)", new: "mu ~ normal(0, 10)")])
        XCTAssertEqual(try e.apply("param mu: real<lower=-5>"), [.replaced(old: "param mu: real", new: "param mu: real<lower=-5>")])
        XCTAssertEqual(try e.apply("target += -mu"), [.added("target += -mu")])
        XCTAssertEqual(try e.apply("target += -mu"), [.added("target += -mu")], "target += never replaces")
        XCTAssertEqual(e.text, """
            param mu: real<lower=-5>
            param tau: real<lower=0>
            mu ~ normal(0, 10)
            tau ~ half_normal(1)
            target += -mu
            target += -mu

            """)
        XCTAssertTrue(e.edited)
        XCTAssertEqual(e.names, ["mu", "tau"])
    }

    func testTheLeftHandSideMatchesWhateverItsSpacing() throws {
        var e = try editor("param x: vector[3]", "x[1] ~ normal(0, 1)", "x[2:3] ~ normal(0, 1)")
        XCTAssertEqual(try e.apply("x[ 1 ] ~ normal(1, 1)"), [.replaced(old: "x[1] ~ normal(0, 1)", new: "x[ 1 ] ~ normal(1, 1)")])
        XCTAssertEqual(e.model?.params.map(\.name), ["x"])
        XCTAssertTrue(e.text.contains("x[2:3] ~ normal(0, 1)"))
    }

    func testAReplacementThatNeedsALaterDeclarationMovesToTheEnd() throws {
        var e = try editor("param mu: real", "mu ~ normal(0, 1)", "param s: real<lower=0>")
        XCTAssertEqual(try e.apply("mu ~ normal(0, s)"), [.replaced(old: "mu ~ normal(0, 1)", new: "mu ~ normal(0, s)")])
        XCTAssertEqual(e.text, "param mu: real\nparam s: real<lower=0>\nmu ~ normal(0, s)\n")
    }

    func testARejectedEditChangesNothingAndPointsIntoTheTypedLine() throws {
        var e = try editor("param mu: real", "mu ~ normal(0, 1)")
        let before = e.text
        let text = errors(&e, "mu ~ normal(0, sigma)")
        XCTAssertTrue(text.hasPrefix("<repl>:1:16: error: 'sigma' is not declared\n 1 | mu ~ normal(0, sigma)\n   |                ^^^^^\n"), text)
        XCTAssertEqual(e.text, before)
        XCTAssertEqual(errors(&e, "param nu real"), """
            <repl>:1:10: error: expected ':' after the name (declarations are 'NAME: TYPE'), found 'real'
             1 | param nu real
               |          ^^^^

            """)
        // All or nothing: the first statement of the line checks, the second does not.
        XCTAssertTrue(errors(&e, "param nu: real; nu ~ gamma(1, tau)").contains("<repl>:1:31: error: 'tau' is not declared"))
        XCTAssertEqual(e.text, before)
        XCTAssertEqual(e.model?.params.map(\.name), ["mu"])
    }

    func testAnEditThatBreaksAnotherStatementNamesThatStatement() throws {
        var e = try editor("param mu: real", "let m: real = mu * 2", "mu ~ normal(m, 1)")
        let text = errors(&e, "param mu: vector[2]")
        XCTAssertTrue(text.hasPrefix("<session>:2:15: error: 'm' is declared real but the value is vector[2]\n 2 | let m: real = mu * 2\n"), text)
        XCTAssertEqual(e.model?.params.first?.typeText, "real")
    }

    func testLoadingKeepsTheFileAndCommentsAsTheyAre() throws {
        let root = CLI.root
        var e = try ModelEditor.load(root + "/models/regression.ppl")
        XCTAssertEqual(e.text, try String(contentsOfFile: root + "/models/regression.ppl", encoding: .utf8))
        XCTAssertFalse(e.edited)
        XCTAssertEqual(e.file, root + "/models/regression.ppl")
        _ = try e.apply("guide mf = fullrank")
        XCTAssertTrue(e.text.contains("// Linear regression"))
        XCTAssertTrue(e.text.contains("guide mf = fullrank\nguide fr = fullrank\n"), e.text)
        XCTAssertEqual(e.model?.guides.map(\.family.rawValue), ["fullrank", "fullrank"])
        XCTAssertThrowsError(try ModelEditor.load(root + "/models/nonexistent.ppl"))
    }

    func testACommentOrABlankLineChangesNothing() throws {
        var e = try editor("param mu: real")
        XCTAssertEqual(try e.apply("// just a note"), [])
        XCTAssertEqual(try e.apply("   "), [])
        XCTAssertEqual(e.text, "param mu: real\n")
    }
}
