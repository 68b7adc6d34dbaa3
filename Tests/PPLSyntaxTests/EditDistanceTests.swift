import Foundation
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

    /// The banded distance agrees with the full one wherever that is within the limit.
    func testTheBandedDistanceAgreesWithTheFullOne() {
        var state: UInt64 = 7
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % n
        }
        for _ in 0..<2000 {
            let a = String((0..<next(9)).map { _ in "abc".randomElement(using: next) })
            let b = String((0..<next(9)).map { _ in "abc".randomElement(using: next) })
            for limit in 0...4 {
                let full = editDistance(a, b)
                XCTAssertEqual(editDistance(a, b, atMost: limit), full <= limit ? full : nil, "\(a) \(b) \(limit)")
            }
        }
    }

    /// A 200 KB name with a typo: the suggestion comes at once (the full table would have
    /// 4·10^10 cells; a megabyte takes 1.6 s in a debug build).
    func testAHugeNameIsAnsweredQuickly() {
        let name = String(repeating: "ab", count: 100_000)
        var typo = Array(name.utf8)
        typo[120_000] = UInt8(ascii: "x")
        let start = Date()
        XCTAssertEqual(closest(to: String(decoding: typo, as: UTF8.self), in: [name, "mu"]), name)
        XCTAssertLessThan(Date().timeIntervalSince(start), 1)
    }
}

extension String {
    func randomElement(using next: (Int) -> Int) -> Character { self[index(startIndex, offsetBy: next(count))] }
}
