import PPLIR
import XCTest

/// The def-use index of a program with a loop and a branch: definitions, reads in every
/// block (arguments and yields), and the top-level instructions that read a value inside
/// their regions.
final class DefUseIndexTests: XCTestCase {
    /// theta (param) and d (data) into:
    /// - a = exp(d), b = a theta, c = floor(theta);
    /// - a loop from 1 to 3 carrying s = a, t = 0, u = a: s' = s + d, t' = t + u, u' = u theta
    ///   (u depends on theta from the first iteration, t from the second, s never);
    /// - `cond d > 0` yielding theta or a, and `cond d > 0` yielding d or a.
    struct Sample {
        var program: Program
        var theta: Value, d: Value, a: Value, b: Value, c: Value
        var carried: [Value], updates: [Value], loopResults: [Value]
        var branchOnTheta: Value, branchOnData: Value
    }

    static func sample() -> Sample {
        let builder = Builder()
        let e = Emitter(builder)
        let theta = builder.inputValue(.real), d = builder.inputValue(.real)
        let a = e.un(.exp, d)
        let b = e.mul(a, theta)
        let c = e.un(.floor, theta)
        let (lo, hi, zero) = (e.int(1), e.int(3), e.c(0))
        let params = builder.beginBlock(params: [.int, .real, .real, .real])
        let (s, t, u) = (params[1], params[2], params[3])
        let updates = [e.add(s, d), e.add(t, u), e.mul(u, theta)]
        let body = builder.endBlock(params: params, yields: updates)
        let loopResults = builder.appendRegion(.loop, [lo, hi, a, zero, a], regions: [body], resultTypes: [.real, .real, .real])
        let positive = e.bin(.gt, d, zero)
        func branch(_ first: Value, _ second: Value) -> Value {
            _ = builder.beginBlock(params: [])
            let then = builder.endBlock(params: [], yields: [first])
            _ = builder.beginBlock(params: [])
            let otherwise = builder.endBlock(params: [], yields: [second])
            return builder.appendRegion(.cond, [positive], regions: [then, otherwise], resultTypes: [.real])[0]
        }
        let branchOnTheta = branch(theta, a), branchOnData = branch(d, a)
        let (instrs, types) = builder.finish()
        let outputs = [b, c] + loopResults + [branchOnTheta, branchOnData]
        let program = Program(name: "sample",
                              inputs: [Input(name: "theta", value: theta, role: .param, type: .real, constraint: .none),
                                       Input(name: "d", value: d, role: .data, type: .real, constraint: .none)],
                              body: Block(instrs: instrs, yields: outputs), outputNames: outputs.map { "\($0.id)" },
                              types: types)
        return Sample(program: program, theta: theta, d: d, a: a, b: b, c: c, carried: [s, t, u], updates: updates,
                      loopResults: loopResults, branchOnTheta: branchOnTheta, branchOnData: branchOnData)
    }

    func testDefinitionsAndReadsInEveryBlock() throws {
        let s = Self.sample()
        XCTAssertEqual(Verifier.verify(s.program), [])
        let index = DefUseIndex(s.program)
        XCTAssertEqual(index.blocks.count, 6, "the body, the loop's body and the arms of two branches")
        XCTAssertEqual(index.definition(of: s.b)?.op, .binary(.mul))
        XCTAssertNil(index.definition(of: s.theta))
        XCTAssertNil(index.block(of: s.theta))
        XCTAssertTrue(index.isTopLevelResult(s.b))
        XCTAssertTrue(index.isTopLevelResult(s.loopResults[1]))
        XCTAssertEqual(s.carried.map(index.block), [1, 1, 1])
        XCTAssertNil(index.definition(of: s.carried[0]), "a block parameter has no defining instruction")
        XCTAssertFalse(index.isTopLevelResult(s.updates[0]))
        XCTAssertEqual(index.definition(of: s.updates[2])?.op, .binary(.mul))

        let loop = try XCTUnwrap(index.definingInstr(of: s.loopResults[0]))
        let bInstr = try XCTUnwrap(index.definingInstr(of: s.b))
        let cInstr = try XCTUnwrap(index.definingInstr(of: s.c))
        let thetaBranch = try XCTUnwrap(index.definingInstr(of: s.branchOnTheta))
        // theta: an argument of b and c, of u' in the loop's body, and the yield of an arm.
        XCTAssertEqual(index.uses(of: s.theta).count, 4)
        XCTAssertEqual(index.uses(of: s.theta).filter { $0.instr == nil }.map(\.block), [2])
        XCTAssertEqual(index.topLevelReaders(of: s.theta).sorted(), [bInstr, cInstr, loop, thetaBranch].sorted())
        // u' is yielded by the loop's body (position 2) and read nowhere else.
        XCTAssertEqual(index.uses(of: s.updates[2]), [DefUseIndex.Use(instr: nil, position: 2, block: 1)])
        XCTAssertEqual(index.topLevelAncestor(of: try XCTUnwrap(index.definingInstr(of: s.updates[1]))), loop)
        // b is an output: a yield of the body, which is no reader.
        XCTAssertEqual(index.uses(of: s.b), [DefUseIndex.Use(instr: nil, position: 0, block: 0)])
        XCTAssertEqual(index.topLevelReaders(of: s.b), [])
        // Every value but the inputs is defined by a block, once.
        XCTAssertEqual(Set(index.values).count, index.values.count)
        XCTAssertEqual(Set(index.values), Set((0..<s.program.types.count).map(Value.init)).subtracting([s.theta, s.d]))
    }
}
