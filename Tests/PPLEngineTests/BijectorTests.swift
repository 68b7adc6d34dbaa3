import PPLEngine
import PPLIR
import XCTest

/// Every bijector: constrain ∘ unconstrain round trip, log|det J| against a numerical
/// Jacobian, and the constraint itself (NumPyro's `test_bijective_transforms`).
final class BijectorTests: XCTestCase {
    static let constraints: [Constraint] = [
        .none, .lower(.constant(-1)), .upper(.constant(2)), .lowerUpper(.constant(-1), .constant(3)),
        .lower(.named("L")), .simplex, .ordered, .positiveOrdered,
    ]

    /// Whether a constrained vector satisfies its constraint; exhaustive over the cases.
    static func holds(_ c: Constraint, _ x: [Double]) -> Bool {
        switch c {
        case .none: return x.allSatisfy(\.isFinite)
        case .lower(let l): return x.allSatisfy { $0 > bound(l) }
        case .upper(let u): return x.allSatisfy { $0 < bound(u) }
        case .lowerUpper(let l, let u): return x.allSatisfy { $0 > bound(l) && $0 < bound(u) }
        case .simplex: return x.allSatisfy { $0 > 0 } && abs(x.reduce(0, +) - 1) < 1e-12
        case .ordered: return zip(x, x.dropFirst()).allSatisfy { $0 < $1 }
        case .positiveOrdered: return x[0] > 0 && zip(x, x.dropFirst()).allSatisfy { $0 < $1 }
        }
    }

    static func bound(_ b: BoundValue) -> Double {
        switch b {
        case .constant(let c): return c
        case .named: return 0.5
        }
    }

    func testEveryBijectorRoundTripsAndHasTheRightLogJacobian() throws {
        let k = 4
        var random = SeededRandom(11)
        for c in Self.constraints {
            // A model with one param of this constraint, so UnconstrainedDensity builds the
            // constrain / unconstrain programs exactly as for a real model.
            let b = Builder()
            let l = b.inputValue(.real)
            let x = b.inputValue(.vector(Size(k)))
            let zero = b.constant(0)
            let (instrs, types) = b.finish()
            let program = Program(
                name: "p", inputs: [Input(name: "L", value: l, role: .data, type: .real, constraint: .none),
                                   Input(name: "x", value: x, role: .param, type: .vector(Size(k)), constraint: c)],
                body: Block(instrs: instrs, yields: [zero]), outputNames: ["target"], types: types)
            let space = UnconstrainedDensity(logDensity: program)
            let n = space.dimension.constant!
            XCTAssertEqual(n, c == .simplex ? k - 1 : k, "\(c)")
            let data = ["L": Tensor(scalar: 0.5)]
            let constrain = try Executable(space.constrain, varying: ["theta"], data: data)
            let density = try Executable(space.density, varying: ["theta"], data: data)
            let unconstrain = try Executable(space.unconstrain, varying: ["x"], data: data)
            for _ in 0..<5 {
                let y = random.normals(n)
                func forward(_ y: [Double]) throws -> [Double] {
                    constrain.input("theta").update(from: y)
                    try constrain.run()
                    return Array(constrain.output("x"))
                }
                let xv = try forward(y)
                XCTAssertTrue(Self.holds(c, xv), "\(c): \(xv)")
                unconstrain.input("x").update(from: xv)
                try unconstrain.run()
                let back = Array(unconstrain.output("theta"))
                for (a, b) in zip(y, back) { XCTAssertEqual(a, b, accuracy: 1e-9, "\(c) round trip") }
                // log|det J| of y -> x (the first K-1 coordinates for the simplex) by finite differences.
                let jacobian = try numericalJacobian(forward, at: y, step: 1e-5)
                density.input("theta").update(from: y)
                try density.run()
                XCTAssertEqual(density.output("target")[0], logAbsDeterminant(jacobian), accuracy: 1e-6, "\(c) log|J|")
            }
        }
    }

    /// Arrays of constrained vectors (held as a matrix, one per row) go through the
    /// vector's bijector row by row: each row satisfies the constraint, the round trip holds,
    /// and log|det J| is the numerical one (of the free coordinates of every row).
    func testArraysOfConstrainedVectorsAreConstrainedRowByRow() throws {
        let (rows, k) = (3, 4)
        var random = SeededRandom(5)
        for c in [Constraint.simplex, .ordered, .positiveOrdered] {
            let b = Builder()
            let type = IRType.matrix(Size(rows), Size(k))
            let x = b.inputValue(type)
            let zero = b.constant(0)
            let (instrs, types) = b.finish()
            let program = Program(name: "p", inputs: [Input(name: "x", value: x, role: .param, type: type, constraint: c)],
                                  body: Block(instrs: instrs, yields: [zero]), outputNames: ["target"], types: types)
            let space = UnconstrainedDensity(logDensity: program)
            let free = c == .simplex ? k - 1 : k
            XCTAssertEqual(space.dimension.constant, rows * free, "\(c)")
            let constrain = try Executable(space.constrain, varying: ["theta"], data: [:])
            let density = try Executable(space.density, varying: ["theta"], data: [:])
            let unconstrain = try Executable(space.unconstrain, varying: ["x"], data: [:])
            for _ in 0..<3 {
                let y = random.normals(rows * free)
                func constrained(_ y: [Double]) throws -> [Double] {
                    constrain.input("theta").update(from: y)
                    try constrain.run()
                    return Array(constrain.output("x"))
                }
                let xv = try constrained(y)
                for r in 0..<rows {
                    XCTAssertTrue(Self.holds(c, Array(xv[(r * k)..<((r + 1) * k)])), "\(c) row \(r + 1): \(xv)")
                }
                unconstrain.input("x").update(from: xv)
                try unconstrain.run()
                for (a, b) in zip(y, Array(unconstrain.output("theta"))) { XCTAssertEqual(a, b, accuracy: 1e-9, "\(c) round trip") }
                let jacobian = try numericalJacobian({ y in
                    let x = try constrained(y)
                    return (0..<rows).flatMap { r in x[(r * k)..<(r * k + free)] }
                }, at: y, step: 1e-5)
                density.input("theta").update(from: y)
                try density.run()
                XCTAssertEqual(density.output("target")[0], logAbsDeterminant(jacobian), accuracy: 1e-6, "\(c) log|J|")
            }
        }
    }
}
