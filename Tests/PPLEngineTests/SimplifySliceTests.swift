import PPLEngine
import PPLIR
import XCTest

/// Simplify's constant slices: a slice of an adjoint assembled by scatters reads only the
/// scatters into it, so a gradient with respect to some coordinates does not form the
/// others'.
final class SimplifySliceTests: XCTestCase {
    /// g = zeros(5) with 3x scattered into 1:2 and exp(w) into 3:5; g[1:2] is 3x without
    /// the exponential, and g[3:5] is exp(w) without 3x; both read as the unsimplified
    /// program does.
    func testASliceOfScattersReadsOnlyTheScattersIntoIt() throws {
        for (lo, hi) in [(1, 2), (3, 5)] {
            let b = Builder()
            let e = Emitter(b)
            let x = b.inputValue(.vector(Size(2))), w = b.inputValue(.vector(Size(3)))
            let zeros = e.fill(e.c(0), .vector(Size(5)))
            let first = e.op(.scatterAdd, zeros, e.range(Size(1), Size(2)), e.mul(e.c(3), x))
            let second = e.op(.scatterAdd, first, e.range(Size(3), Size(5)), e.un(.exp, w))
            let slice = e.op(.at, second, e.range(Size(lo), Size(hi)))
            let (instrs, types) = b.finish()
            let program = Program(name: "slice", inputs: [
                Input(name: "x", value: x, role: .param, type: .vector(Size(2)), constraint: .none),
                Input(name: "w", value: w, role: .param, type: .vector(Size(3)), constraint: .none),
            ], body: Block(instrs: instrs, yields: [slice]), outputNames: ["y"], types: types)
            let simplified = Simplify.run(program)
            let text = Printer.print(simplified)
            XCTAssertFalse(text.contains("scatter_add"), text)
            XCTAssertEqual(text.contains("exp"), lo == 3, text)
            var values: [[Double]] = []
            for p in [program, simplified] {
                let run = try Executable(p, varying: ["x", "w"], data: [:])
                _ = run.input("x").update(fromContentsOf: [0.5, -2])
                _ = run.input("w").update(fromContentsOf: [0.1, 0.2, 0.3])
                try run.run()
                values.append(Array(run.output("y")))
            }
            XCTAssertEqual(values[0], values[1])
            XCTAssertEqual(values[1], lo == 1 ? [1.5, -6] : [0.1, 0.2, 0.3].map(exp))
        }
    }
}
