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
    static func program() -> Program { parts().program }

    /// The program and the values the plan is asked about.
    struct Parts {
        var program: Program
        var assembledZeros: Value, assembledLinks: [Value], squares: Value, total: Value
        var innerZeros: Value, negated: Value
        var overlappingLinks: [Value]
        var withDataLinks: [Value], scaled: Value
    }

    static func parts() -> Parts {
        let b = Builder()
        let e = Emitter(b)
        let x = b.inputValue(.vector(Size(3)))
        let d = b.inputValue(.vector(Size(2)))
        let x1 = e.op(.at, x, e.int(1)), x2 = e.op(.at, x, e.int(2))
        let innerZeros = e.zeros(.vector(Size(2)))
        let negated = e.neg(x1)
        let inner = e.op(.scatterAdd, e.op(.scatterAdd, innerZeros, e.int(1), negated), e.int(2), e.un(.exp, x2))
        let squares = e.mul(x, x)
        let total = e.sum(x)
        let assembledZeros = e.zeros(.vector(Size(8)))
        let a1 = e.op(.scatterAdd, assembledZeros, e.range(Size(1), Size(3)), squares)
        let a2 = e.op(.scatterAdd, a1, e.range(Size(4), Size(5)), inner)
        let assembled = e.op(.scatterAdd, a2, e.int(6), total)
        let after = e.add(squares, e.c(1))
        let (twice, cubes) = (e.mul(x, e.c(2)), e.mul(squares, x))
        let o1 = e.op(.scatterAdd, e.zeros(.vector(Size(4))), e.range(Size(1), Size(3)), twice)
        let overlapping = e.op(.scatterAdd, o1, e.range(Size(2), Size(4)), cubes)
        let scaled = e.mul(d, e.c(2))
        let mixed = e.op(.scatterAdd, e.op(.scatterAdd, e.zeros(.vector(Size(2))), e.int(1), e.op(.at, scaled, e.int(1))),
                         e.int(2), e.mul(x1, e.c(3)))
        let w1 = e.op(.scatterAdd, e.zeros(.vector(Size(7))), e.range(Size(1), Size(2)), scaled)
        let w2 = e.op(.scatterAdd, w1, e.range(Size(3), Size(5)), e.un(.sin, x))
        let withData = e.op(.scatterAdd, w2, e.range(Size(6), Size(7)), mixed)
        let (instrs, types) = b.finish()
        let program = Program(name: "buffers",
                              inputs: [Input(name: "x", value: x, role: .param, type: .vector(Size(3)), constraint: .none),
                                       Input(name: "d", value: d, role: .data, type: .vector(Size(2)), constraint: .none)],
                              body: Block(instrs: instrs, yields: [assembled, after, overlapping, withData]),
                              outputNames: ["assembled", "after", "overlapping", "withData"], types: types)
        return Parts(program: program, assembledZeros: assembledZeros, assembledLinks: [a1, a2, assembled], squares: squares,
                     total: total, innerZeros: innerZeros, negated: negated, overlappingLinks: [o1, overlapping],
                     withDataLinks: [w1, w2, withData], scaled: scaled)
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

    /// The plan itself: at one particle the assembled vectors are built in place (the data
    /// piece and the gathered element copied, the rest computed in their places), the
    /// overlapping chain is left alone; at three particles the pieces vary and the zeros do
    /// not, so nothing is assembled in place.
    func testPlanPlacesThePiecesOfAssembledVectors() throws {
        let p = Self.parts()
        let one = try BufferPlan(p.program, varying: ["x"], sizes: [:])
        XCTAssertEqual(one.link(of: p.assembledZeros), .zeros)
        XCTAssertEqual(p.assembledLinks.map(one.link), [.placed, .placed, .placed])
        XCTAssertEqual(one.alias(of: p.squares), BufferPlan.Alias(root: p.assembledZeros, offset: 0))
        XCTAssertEqual(one.alias(of: p.innerZeros), BufferPlan.Alias(root: p.assembledZeros, offset: 3))
        XCTAssertEqual(one.alias(of: p.negated), BufferPlan.Alias(root: p.assembledZeros, offset: 3))
        XCTAssertEqual(one.alias(of: p.total), BufferPlan.Alias(root: p.assembledZeros, offset: 5))
        XCTAssertEqual(one.start(of: p.total), one.start(of: p.assembledZeros).map { $0 + 5 })
        XCTAssertEqual(p.overlappingLinks.map(one.link), [nil, nil])
        XCTAssertEqual(p.withDataLinks.map(one.link), [.assigned, .placed, .placed])
        XCTAssertFalse(one.isRecomputed(p.scaled))
        XCTAssertTrue(one.isRecomputed(p.squares))

        let three = try BufferPlan(p.program, varying: ["x"], sizes: [:], batch: 3)
        XCTAssertEqual((p.assembledLinks + p.withDataLinks + [p.assembledZeros]).compactMap(three.link), [])
        XCTAssertEqual(three.copies(of: p.squares), 3)
        XCTAssertEqual(three.copies(of: p.assembledZeros), 1)
        XCTAssertEqual(three.copies(of: p.scaled), 1)
    }

    /// Views: a reshape and a vector's transpose share their argument's buffer, a constant
    /// segment of a one-copy vector lives inside it, a gather at a computed index does not.
    func testPlanMakesViewsOfReshapesTransposesAndSegments() throws {
        let b = Builder()
        let e = Emitter(b)
        let x = b.inputValue(.vector(Size(6)))
        let y = e.un(.exp, x)
        let matrix = b.append(.reshape, [y], type: .matrix(Size(2), Size(3)))
        let row = e.transpose(y)
        let segment = e.op(.at, y, e.range(Size(3), Size(5)))
        let element = e.op(.at, y, e.add(e.int(1), e.int(1)))
        let (instrs, types) = b.finish()
        let program = Program(name: "views", inputs: [Input(name: "x", value: x, role: .param, type: .vector(Size(6)), constraint: .none)],
                              body: Block(instrs: instrs, yields: [matrix, row, segment, element]),
                              outputNames: ["matrix", "row", "segment", "element"], types: types)
        let plan = try BufferPlan(program, varying: ["x"], sizes: [:])
        XCTAssertEqual(plan.alias(of: matrix), BufferPlan.Alias(root: y, offset: 0))
        XCTAssertEqual(plan.alias(of: row), BufferPlan.Alias(root: y, offset: 0))
        XCTAssertEqual(plan.alias(of: segment), BufferPlan.Alias(root: y, offset: 2))
        XCTAssertNil(plan.alias(of: element))
        XCTAssertNil(plan.alias(of: y))
    }

    /// Outputs read as sums over four particles: g = n + n with n = -x is computed once, from
    /// the particles' sum of n (a buffer of its own, added up once), while n, an output read
    /// per particle, is computed per particle; once n too is read only as a sum, it is
    /// computed from the sum of x. The outer product x zᵀ of two per-particle vectors is
    /// one product of the particle-major matrices. Their values are the sums.
    func testPlanSumsOverTheParticlesWhatIsOnlyReadAsASum() throws {
        let b = Builder()
        let e = Emitter(b)
        let x = b.inputValue(.vector(Size(3))), z = b.inputValue(.vector(Size(2)))
        let negated = e.neg(x)
        let g = e.add(negated, negated)
        let outer = e.matmul(x, e.transpose(z))
        let (instrs, types) = b.finish()
        let program = Program(name: "sums",
                              inputs: [Input(name: "x", value: x, role: .param, type: .vector(Size(3)), constraint: .none),
                                       Input(name: "z", value: z, role: .param, type: .vector(Size(2)), constraint: .none)],
                              body: Block(instrs: instrs, yields: [g, outer, negated]), outputNames: ["g", "outer", "negated"],
                              types: types)
        let summed: Set<String> = ["g", "outer"]
        let plan = try BufferPlan(program, varying: ["x", "z"], sizes: [:], batch: 4, summed: summed)
        // Values that vary held as one copy are their sums over the particles.
        XCTAssertEqual([g, outer, negated].map(plan.varies), [true, true, true])
        XCTAssertEqual(plan.particleSums, [negated])
        XCTAssertEqual([g, outer, negated].map(plan.copies), [1, 1, 4])
        let summedNegated = try BufferPlan(program, varying: ["x", "z"], sizes: [:], batch: 4, summed: summed.union(["negated"]))
        XCTAssertEqual(summedNegated.particleSums, [x])
        XCTAssertEqual([g, outer, negated].map(summedNegated.copies), [1, 1, 1])

        let exe = try Executable(program, varying: ["x", "z"], data: [:], batch: 4, summed: summed)
        var rng = RNG(seed: 2)
        let xs = (0..<12).map { _ in rng.normal() }, zs = (0..<8).map { _ in rng.normal() }
        exe.input("x").update(from: xs)
        exe.input("z").update(from: zs)
        try exe.run()
        for i in 0..<3 {
            let total = (0..<4).map { xs[$0 * 3 + i] }.reduce(0, +)
            XCTAssertEqual(exe.summedOutput(exe.handle("g"))[i], -2 * total, accuracy: 1e-12)
            XCTAssertEqual(exe.output("negated", particle: 2)[i], -xs[6 + i])
            for j in 0..<2 {
                let want = (0..<4).map { xs[$0 * 3 + i] * zs[$0 * 2 + j] }.reduce(0, +)
                XCTAssertEqual(exe.summedOutput(exe.handle("outer"))[i * 2 + j], want, accuracy: 1e-12)
            }
        }
    }

    /// The transpose of a one-copy matrix read only as the left operand of products is
    /// folded into them (read transposed, no copy); one that is also an output is not.
    func testPlanFoldsTransposesIntoProducts() throws {
        let b = Builder()
        let e = Emitter(b)
        let m = b.inputValue(.matrix(Size(2), Size(3)))
        let x = b.inputValue(.vector(Size(2)))
        let folded = e.transpose(m)
        let kept = e.transpose(e.un(.exp, m))
        let y = e.add(e.matmul(folded, x), e.matmul(kept, x))
        let (instrs, types) = b.finish()
        let program = Program(name: "transposes",
                              inputs: [Input(name: "M", value: m, role: .data, type: .matrix(Size(2), Size(3)), constraint: .none),
                                       Input(name: "x", value: x, role: .param, type: .vector(Size(2)), constraint: .none)],
                              body: Block(instrs: instrs, yields: [y, kept]), outputNames: ["y", "kept"], types: types)
        let plan = try BufferPlan(program, varying: ["x"], sizes: [:], batch: 2)
        XCTAssertEqual(plan.foldedTranspose(folded), m)
        XCTAssertNil(plan.foldedTranspose(kept))

        let ms = [1.0, 2, 3, -1, 0.5, 4]
        let exe = try Executable(program, varying: ["x"], data: ["M": Tensor(shape: [2, 3], values: ms)], batch: 2)
        let xs = [0.3, -1.2, 2.0, 0.7]
        exe.input("x").update(from: xs)
        try exe.run()
        for k in 0..<2 {
            for c in 0..<3 {
                let want = (0..<2).map { r in (ms[r * 3 + c] + exp(ms[r * 3 + c])) * xs[k * 2 + r] }.reduce(0, +)
                XCTAssertEqual(exe.output("y", particle: k)[c], want, accuracy: 1e-12)
            }
        }
    }

    /// −½ Σ (y − θ₁)² over a data vector y of n elements, and its data.
    static func sumOfSquares(_ n: Int) -> (Program, [String: Tensor]) {
        let b = Builder()
        let e = Emitter(b)
        let theta = b.inputValue(.vector(Size(1)))
        let y = b.inputValue(.vector(Size(n)))
        let r = e.sub(y, e.op(.at, theta, b.constant(1, .int)))
        let target = e.mul(e.c(-0.5), e.op(.dot, r, r))
        let (instrs, types) = b.finish()
        let program = Program(name: "p", inputs: [
            Input(name: "theta", value: theta, role: .param, type: .vector(Size(1)), constraint: .none),
            Input(name: "y", value: y, role: .data, type: .vector(Size(n)), constraint: .none),
        ], body: Block(instrs: instrs, yields: [target]), outputNames: ["target"], types: types)
        return (program, ["y": Tensor(vector: (0..<n).map { Double($0 % 7) })])
    }

    /// A program over a million-element data vector, run over many draws, is run in
    /// batches whose buffers fit the budget: not a million elements times 1,000 draws.
    func testBatchesOfManyDrawsFitTheMemoryBudget() throws {
        let n = 1_000_000
        let (program, data) = Self.sumOfSquares(n)
        let budget = 64 << 20
        let batch = try Executable.batch(program, varying: ["theta"], data: data, upTo: 1000, bytes: budget)
        XCTAssertGreaterThanOrEqual(batch, 1)
        XCTAssertLessThanOrEqual(batch * n * 8, budget, "one buffer of a million elements per particle at least")
        let (small, smallData) = Self.sumOfSquares(10)
        XCTAssertEqual(try Executable.batch(small, varying: ["theta"], data: smallData, upTo: 1000), 1000,
                       "small data: the whole batch at once")
        let e = try Executable(program, varying: ["theta"], data: data, batch: batch)
        e.input("theta")[0] = 3
        try e.run()
        let expected = (0..<n).reduce(0.0) { $0 + pow(Double($1 % 7) - 3, 2) } * -0.5
        XCTAssertEqual(e.output("target")[0], expected, accuracy: 1e-9 * abs(expected))
    }
}
