import PPLIR
import XCTest

/// Forward dependence on theta in `DefUseIndexTests.sample()`: through straight-line code,
/// through a loop's carried values to a fixed point, through a branch's arms; and the
/// differentiator's variant, where a non-differentiable op passes no dependence on.
final class BlockDependenceTests: XCTestCase {
    func testDependenceThroughLoopsAndBranches() {
        let s = DefUseIndexTests.sample()
        var marked: Set<Value> = [s.theta]
        s.program.body.markDependents(&marked)
        XCTAssertTrue(marked.isSuperset(of: [s.b, s.c, s.branchOnTheta]))
        XCTAssertTrue(marked.isDisjoint(with: [s.a, s.d, s.branchOnData]))
        // u' reads theta, t' reads u from the second iteration on, s' only s and d.
        XCTAssertEqual(s.carried.map(marked.contains), [false, true, true])
        XCTAssertEqual(s.updates.map(marked.contains), [false, true, true])
        XCTAssertEqual(s.loopResults.map(marked.contains), [false, true, true])

        var differentiable: Set<Value> = [s.theta]
        s.program.body.markDependents(&differentiable) { $0.isDifferentiable }
        XCTAssertFalse(differentiable.contains(s.c), "floor passes no derivative")
        XCTAssertEqual(differentiable.subtracting([s.c]), marked.subtracting([s.c]))
    }

    func testNothingDependsOnAValueNothingReads() {
        let s = DefUseIndexTests.sample()
        var marked: Set<Value> = [s.b]
        s.program.body.markDependents(&marked)
        XCTAssertEqual(marked, [s.b])
    }
}
