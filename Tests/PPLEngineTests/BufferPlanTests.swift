import PPLEngine
import PPLIR
import XCTest

/// Values that share buffers (views, in-place updates, vectors assembled in place from
/// their pieces) must give the numbers a plain evaluation would, on every evaluation.
final class BufferPlanTests: XCTestCase {
    /// x (varying, 3) and d (data, 2) into:
    /// - `assembled`: [x², -x1, exp(x2), Σx, 0, 0] from a chain of scatter-adds into zeros,
    ///   one piece itself assembled from scalars; positions 7–8 are never written;
    /// - `after`: x² + 1, read after x² was placed in `assembled`;
    /// - `overlapping`: scatter-adds of 2x at 1–3 and of x³ at 2–4 (they overlap);
    /// - `withData`: 2d at 1–2, sin(x) at 3–5 and [2 d1, 3 x1] at 6–7: pieces that are data
    ///   (computed once, before the zeros), and an assembled piece with a data element
    ///   (written once, before the outer zeros are made).
    static func program() -> Program {
        let b = Builder()
        let e = Emitter(b)
        let x = b.inputValue(.vector(Size(3)))
        let d = b.inputValue(.vector(Size(2)))
        let x1 = e.op(.at, x, e.int(1)), x2 = e.op(.at, x, e.int(2))
        let inner = e.op(.scatterAdd, e.op(.scatterAdd, e.zeros(.vector(Size(2))), e.int(1), e.neg(x1)), e.int(2), e.un(.exp, x2))
        let squares = e.mul(x, x)
        var assembled = e.zeros(.vector(Size(8)))
        assembled = e.op(.scatterAdd, assembled, e.range(Size(1), Size(3)), squares)
        assembled = e.op(.scatterAdd, assembled, e.range(Size(4), Size(5)), inner)
        assembled = e.op(.scatterAdd, assembled, e.int(6), e.sum(x))
        let after = e.add(squares, e.c(1))
        let (twice, cubes) = (e.mul(x, e.c(2)), e.mul(squares, x))
        var overlapping = e.zeros(.vector(Size(4)))
        overlapping = e.op(.scatterAdd, overlapping, e.range(Size(1), Size(3)), twice)
        overlapping = e.op(.scatterAdd, overlapping, e.range(Size(2), Size(4)), cubes)
        let scaled = e.mul(d, e.c(2))
        let mixed = e.op(.scatterAdd, e.op(.scatterAdd, e.zeros(.vector(Size(2))), e.int(1), e.op(.at, scaled, e.int(1))),
                         e.int(2), e.mul(x1, e.c(3)))
        var withData = e.zeros(.vector(Size(7)))
        withData = e.op(.scatterAdd, withData, e.range(Size(1), Size(2)), scaled)
        withData = e.op(.scatterAdd, withData, e.range(Size(3), Size(5)), e.un(.sin, x))
        withData = e.op(.scatterAdd, withData, e.range(Size(6), Size(7)), mixed)
        let (instrs, types) = b.finish()
        return Program(name: "buffers",
                       inputs: [Input(name: "x", value: x, role: .param, type: .vector(Size(3)), constraint: .none),
                                Input(name: "d", value: d, role: .data, type: .vector(Size(2)), constraint: .none)],
                       body: Block(instrs: instrs, yields: [assembled, after, overlapping, withData]),
                       outputNames: ["assembled", "after", "overlapping", "withData"], types: types)
    }

    func testAssembledVectorsAndInPlaceUpdatesGivePlainResults() throws {
        let program = Self.program()
        XCTAssertEqual(Verifier.verify(program), [])
        let data = [4.0, -1.5]
        for batch in [1, 3] {
            let e = try Executable(program, varying: ["x"], data: ["d": Tensor(shape: [2], values: data)], batch: batch)
            var rng = RNG(seed: 5)
            // Several evaluations: pieces are rewritten in place, the untouched zeros stay.
            for _ in 0..<3 {
                let xs = (0..<batch).map { _ in (0..<3).map { _ in rng.normal() } }
                for (k, x) in xs.enumerated() { for i in 0..<3 { e.input("x")[k * 3 + i] = x[i] } }
                try e.run()
                for (k, x) in xs.enumerated() {
                    let sq = x.map { $0 * $0 }
                    func expect(_ name: String, _ want: [Double]) {
                        let got = Array(e.output(name, particle: k))
                        XCTAssertEqual(got.count, want.count, name)
                        for (g, w) in zip(got, want) { XCTAssertEqual(g, w, accuracy: 1e-12, "\(name), batch \(batch)") }
                    }
                    expect("assembled", sq + [-x[0], exp(x[1]), x.reduce(0, +), 0, 0])
                    expect("after", sq.map { $0 + 1 })
                    let cubes = zip(sq, x).map { $0 * $1 }
                    expect("overlapping", [2 * x[0], 2 * x[1] + cubes[0], 2 * x[2] + cubes[1], cubes[2]])
                    expect("withData", data.map { 2 * $0 } + x.map(sin) + [2 * data[0], 3 * x[0]])
                }
            }
        }
    }
}
