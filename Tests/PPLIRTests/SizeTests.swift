import PPLIR
import XCTest

final class SizeTests: XCTestCase {
    let n = Size(symbol: "N"), k = Size(symbol: "K")

    func testCanonicalFormMakesEqualSizesEqual() {
        XCTAssertEqual(n + Size(1) - Size(1), n)
        XCTAssertEqual(n * k, k * n)
        XCTAssertEqual((n + k) * Size(2), n + n + k + k)
        XCTAssertEqual((n - Size(1)).description, "N - 1")
        XCTAssertEqual((n * k + Size(2) * n + Size(3)).description, "K*N + 2*N + 3")
    }

    func testEvaluation() {
        XCTAssertEqual((n * k + Size(2)).evaluate { ["N": 3, "K": 4][$0] }, 14)
        XCTAssertNil((n + k).evaluate { ["N": 3][$0] })
    }

    /// Counts of triangles: exact division by a constant keeps a polynomial, in canonical form.
    func testExactDivisionByAConstant() {
        let strict = (k * (k - Size(1))).dividedExactly(by: 2)
        XCTAssertEqual(strict.description, "(K*K - K)/2")
        XCTAssertEqual(strict.evaluate { ["K": 4][$0] }, 6)
        XCTAssertEqual(strict + k, (k * (k + Size(1))).dividedExactly(by: 2))
        XCTAssertEqual(strict * Size(2), k * k - k)
        XCTAssertEqual((strict * Size(2)).description, "K*K - K")
        XCTAssertEqual(Size(6).dividedExactly(by: 2), Size(3))
        XCTAssertEqual(Size(6).dividedExactly(by: 2).constant, 3)
        XCTAssertNil(strict.constant)
        XCTAssertEqual((strict + (n - k) * k).evaluate { ["K": 3, "N": 5][$0] }, 9)
    }

    func testComparison() {
        XCTAssertEqual(compareSizes(Size(3), Size(3)), .equal)
        XCTAssertEqual(compareSizes(Size(3), Size(4)), .different)
        XCTAssertEqual(compareSizes(n, k), .unknown)
    }

    func testShapeRulesRecordAssumptionsForUnprovenSizes() throws {
        var assume: [SizeAssumption] = []
        let t = try ShapeRules.resultType(.binary(.add), [.vector(n), .vector(k)], assume: &assume)
        XCTAssertEqual(t, .vector(n))
        XCTAssertEqual(assume, [SizeAssumption(lhs: n, rhs: k)])
        XCTAssertThrowsError(try ShapeRules.resultType(.binary(.add), [.vector(Size(2)), .vector(Size(3))], assume: &assume))
        XCTAssertEqual(try ShapeRules.resultType(.matmul, [.matrix(n, k), .vector(k)], assume: &assume), .vector(n))
        XCTAssertEqual(try ShapeRules.resultType(.matmul, [.rowVector(k), .vector(k)], assume: &assume), .real)
    }

    func testEvaluationIsCheckedArithmetic() {
        let cube = n * n * n
        XCTAssertEqual(cube.evaluation { $0 == "N" ? 1000 : nil }, .value(1_000_000_000))
        XCTAssertEqual(cube.evaluation { $0 == "N" ? 3_000_000 : nil }, .overflow, "2.7e19 is beyond Int.max")
        XCTAssertEqual((n * Size(2)).evaluation { _ in Int.max }, .overflow)
        XCTAssertEqual((n + Size(1)).evaluation { _ in Int.max }, .overflow)
        XCTAssertEqual((n + Size(-1)).evaluation { _ in Int.max }, .value(Int.max - 1))
        XCTAssertEqual((n * k).evaluation { $0 == "N" ? 3 : nil }, .unknown)
        XCTAssertNil(cube.evaluate { _ in 3_000_000 })
        XCTAssertEqual(((n * n - n).dividedExactly(by: 2)).evaluate { _ in 5 }, 10)
    }
}
