import PPLSyntax
import XCTest

final class EditDistanceTests: XCTestCase {
    func testDistances() {
        XCTAssertEqual(editDistance("sigma", "sigam"), 2)
        XCTAssertEqual(editDistance("", "abc"), 3)
        XCTAssertEqual(editDistance("normal", "normal"), 0)
    }

    func testSuggestionsAreNearAndNotTooFar() {
        XCTAssertEqual(closest(to: "nromal", in: ["normal", "gamma"]), "normal")
        XCTAssertEqual(closest(to: "sigam", in: ["sigma", "mu"]), "sigma")
        XCTAssertNil(closest(to: "zzz", in: ["normal", "gamma"]))
    }
}
