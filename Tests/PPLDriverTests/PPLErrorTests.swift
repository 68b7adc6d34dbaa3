import PPLDriver
import PPLSyntax
import XCTest

/// The one place that maps a failure to an exit status.
final class PPLErrorTests: XCTestCase {
    struct Foreign: Error, CustomStringConvertible {
        var description: String { "the engine failed" }
    }

    func testEachKindHasItsExitStatus() {
        XCTAssertEqual(PPLError.user("x").kind.exitCode, 65)
        XCTAssertEqual(PPLError.computation("x").kind.exitCode, 70)
        XCTAssertEqual(PPLError(InternalError("x"), otherwise: .user).kind.exitCode, 71)
    }

    /// An error keeps its own kind; one without a kind takes that of what was being done.
    func testErrorsKeepTheirKindElseTakeTheStages() {
        XCTAssertEqual(PPLError(PPLError.user("bad data"), otherwise: .computation).kind, .user)
        XCTAssertEqual(PPLError(InternalError("broken"), otherwise: .user).kind, .internal)
        let foreign = PPLError(Foreign(), otherwise: .computation)
        XCTAssertEqual(foreign.kind, .computation)
        XCTAssertEqual(foreign.message, "the engine failed")
        XCTAssertThrowsError(try PPLError.during(.user) { throw Foreign() }) { XCTAssertEqual(($0 as? PPLError)?.kind, .user) }
    }

    func testAnInternalErrorAsksForABugReport() {
        let e = PPLError(InternalError("the dimension is not known"), otherwise: .user)
        XCTAssertEqual(e.text(prefix: "ppl: ", color: false),
                       "ppl: internal error: the dimension is not known\n" + InternalError.request + "\n")
        XCTAssertEqual(PPLError.user("cannot read 'x'").text(prefix: "ppl: ", color: false), "ppl: error: cannot read 'x'\n")
    }
}
