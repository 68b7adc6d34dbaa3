@testable import PPLEngine
import PPLIR
import XCTest

/// Runs of small arithmetic steps (`ArithmeticRun`) compute what the steps compute one by
/// one, bit for bit: over scalars, vectors and particles, with broadcast operands, and
/// with results written over operands of earlier steps, as the buffer plan shares buffers.
final class ArithmeticRunTests: XCTestCase {
    /// An executable to run steps with: the dispatch needs one, not its program.
    func host() throws -> Executable {
        let b = Builder()
        let x = b.inputValue(.real)
        let (instrs, types) = b.finish()
        let program = Program(name: "p", inputs: [Input(name: "x", value: x, role: .param, type: .real, constraint: .none)],
                              body: Block(instrs: instrs, yields: [x]), outputNames: ["x"], types: types)
        return try Executable(program, varying: ["x"], data: [:])
    }

    /// Random chains of +, −, ×, ÷, negation, squaring, sums and dot products over buffers
    /// of `count` elements × `copies` particles, some operands one shared number, give the
    /// same bits fused as one by one; and the fused form holds one step per run.
    func testFusedStepsGiveTheBitsOfTheStepsOneByOne() throws {
        let e = try host()
        var rng = RNG(seed: 11)
        for (count, copies) in [(1, 1), (1, 4), (7, 1), (10, 3), (31, 1)] {
            for trial in 0..<20 {
                // Six buffers laid out as a result, two shared scalars, each a region of one
                // arena so that the two runs start from the same numbers.
                let length = count * copies, buffers = 6
                let size = buffers * length + 2
                let start = (0..<size).map { _ in rng.normal() + (trial % 2 == 0 ? 0 : 3) }
                func slots(_ arena: UnsafeMutablePointer<Double>) -> (full: [Slot], scalars: [Slot]) {
                    ((0..<buffers).map { Slot(ptr: arena + $0 * length, count: count, copies: copies) },
                     (0..<2).map { Slot(ptr: arena + buffers * length + $0, count: 1, copies: 1) })
                }
                var recipe: [(kind: Int, out: Int, a: Int, b: Int, broadcast: Int)] = []
                for _ in 0..<12 {
                    recipe.append((Int(rng.uniform() * 8), Int(rng.uniform() * Double(buffers)),
                                   Int(rng.uniform() * Double(buffers)), Int(rng.uniform() * Double(buffers)),
                                   Int(rng.uniform() * 3)))
                }
                func steps(_ arena: UnsafeMutablePointer<Double>) -> [Step] {
                    let (full, scalars) = slots(arena)
                    return recipe.map { r in
                        let out = full[r.out]
                        let a = r.broadcast == 1 ? scalars[0] : full[r.a]
                        let b = r.broadcast == 2 ? scalars[1] : full[r.b]
                        switch r.kind {
                        case 0: return .binary(.add, out: out, a: a, b: b)
                        case 1: return .binary(.sub, out: out, a: a, b: b)
                        case 2: return .binary(.mul, out: out, a: a, b: b)
                        case 3: return .binary(.div, out: out, a: a, b: b)
                        case 4: return .unary(.neg, out: out, a: full[r.a])
                        case 5: return .unary(.square, out: out, a: full[r.a])
                        // A sum or dot into a shared scalar (one copy only).
                        case 6: return copies == 1 ? .sum(out: scalars[r.out % 2], a: full[r.a]) : .unary(.neg, out: out, a: full[r.a])
                        default:
                            return copies == 1 ? .dot(out: scalars[r.out % 2], a: full[r.a], b: full[r.b])
                                : .binary(.mul, out: out, a: full[r.a], b: full[r.b])
                        }
                    }
                }
                let one = UnsafeMutablePointer<Double>.allocate(capacity: size)
                let fused = UnsafeMutablePointer<Double>.allocate(capacity: size)
                defer { one.deallocate(); fused.deallocate() }
                one.initialize(from: start, count: size)
                fused.initialize(from: start, count: size)
                e.execute(steps(one))
                let merged = e.fusingArithmetic(steps(fused))
                XCTAssertEqual(merged.count, 1, "count \(count), copies \(copies): one run")
                e.execute(merged)
                XCTAssertEqual((0..<size).map { one[$0].bitPattern }, (0..<size).map { fused[$0].bitPattern },
                               "count \(count), copies \(copies), trial \(trial)")
            }
        }
    }

    /// Steps that are not small arithmetic end a run; a run of one step stays a step; a
    /// result of 32 elements or more (the C kernels' size) is not fused.
    func testRunsEndAtOtherStepsAndAtLargeResults() throws {
        let e = try host()
        let arena = UnsafeMutablePointer<Double>.allocate(capacity: 200)
        defer { arena.deallocate() }
        arena.initialize(repeating: 1, count: 200)
        let small = Slot(ptr: arena, count: 4, copies: 1), small2 = Slot(ptr: arena + 4, count: 4, copies: 1)
        let large = Slot(ptr: arena + 8, count: 32, copies: 1), large2 = Slot(ptr: arena + 40, count: 32, copies: 1)
        let steps: [Step] = [
            .binary(.add, out: small, a: small, b: small2), .binary(.mul, out: small2, a: small, b: small),
            .unary(.exp, out: small, a: small2),
            .unary(.neg, out: small, a: small2),
            .binary(.add, out: large, a: large, b: large2), .binary(.mul, out: large2, a: large, b: large),
        ]
        let merged = e.fusingArithmetic(steps)
        let kinds = merged.map { step -> String in
            switch step {
            case .arithmetic(let run): return "run of \(run.takeUnretainedValue().ops.count)"
            case .unary(let f, _, _): return "\(f)"
            case .binary(let f, _, _, _): return "\(f)"
            default: return "other"
            }
        }
        XCTAssertEqual(kinds, ["run of 2", "exp", "neg", "add", "mul"])
    }
}
