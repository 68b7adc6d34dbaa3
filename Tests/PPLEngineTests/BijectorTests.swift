import PPLDriver
import PPLEngine
import PPLIR
import PPLSyntax
import XCTest

/// Every bijector: constrain ∘ unconstrain round trip, log|det J| against a numerical
/// Jacobian, and the constraint itself (NumPyro's `test_bijective_transforms`).
final class BijectorTests: XCTestCase {
    static let constraints: [Constraint] = [
        .none, .lower(.constant(-1)), .upper(.constant(2)), .lowerUpper(.constant(-1), .constant(3)),
        .lower(.named("L")), .affine(offset: .constant(1.5), multiplier: .constant(2)),
        .affine(offset: .named("L"), multiplier: .named("L")), .simplex, .ordered, .positiveOrdered,
        .choleskyFactorCorr, .choleskyFactorCov, .corrMatrix, .covMatrix,
    ]

    /// The type of the test param of each constraint: a vector of 4, a 4×4 matrix, or for
    /// the Cholesky factor of a covariance matrix a 5×3 one.
    static func type(_ c: Constraint) -> IRType {
        switch c {
        case .none, .lower, .upper, .lowerUpper, .affine, .simplex, .ordered, .positiveOrdered: return .vector(Size(4))
        case .choleskyFactorCorr, .corrMatrix, .covMatrix: return .matrix(Size(4), Size(4))
        case .choleskyFactorCov: return .matrix(Size(5), Size(3))
        }
    }

    /// Whether a constrained value (row-major for a matrix) satisfies its constraint.
    static func holds(_ c: Constraint, _ x: [Double]) -> Bool {
        let m = Matrix(x, type(c))
        switch c {
        case .none, .affine: return x.allSatisfy(\.isFinite)
        case .lower(let l): return x.allSatisfy { $0 > bound(l) }
        case .upper(let u): return x.allSatisfy { $0 < bound(u) }
        case .lowerUpper(let l, let u): return x.allSatisfy { $0 > bound(l) && $0 < bound(u) }
        case .simplex: return x.allSatisfy { $0 > 0 } && abs(x.reduce(0, +) - 1) < 1e-12
        case .ordered: return zip(x, x.dropFirst()).allSatisfy { $0 < $1 }
        case .positiveOrdered: return x[0] > 0 && zip(x, x.dropFirst()).allSatisfy { $0 < $1 }
        case .choleskyFactorCov: return m.isLowerTriangular && m.hasPositiveDiagonal
        case .choleskyFactorCorr:
            return m.isLowerTriangular && m.hasPositiveDiagonal
                && (0..<m.rows).allSatisfy { i in abs((0..<m.cols).reduce(0) { $0 + m[i, $1] * m[i, $1] } - 1) < 1e-12 }
        case .covMatrix: return m.isSymmetric && m.isPositiveDefinite
        case .corrMatrix: return m.isSymmetric && m.isPositiveDefinite && (0..<m.rows).allSatisfy { abs(m[$0, $0] - 1) < 1e-12 }
        }
    }

    /// The coordinates of a constrained value that its density is over: all of them, the
    /// first K-1 of a simplex, the free elements of a triangular or symmetric matrix (the
    /// strictly lower triangle where the diagonal is fixed, the lower one otherwise).
    static func free(_ c: Constraint, _ x: [Double]) -> [Double] {
        let m = Matrix(x, type(c))
        switch c {
        case .none, .lower, .upper, .lowerUpper, .affine, .ordered, .positiveOrdered: return x
        case .simplex: return Array(x.dropLast())
        case .choleskyFactorCorr, .corrMatrix: return m.lower(strict: true)
        case .choleskyFactorCov, .covMatrix: return m.lower(strict: false)
        }
    }

    static func bound(_ b: BoundValue) -> Double {
        switch b {
        case .constant(let c): return c
        case .named, .computed: return 0.5
        }
    }

    func testEveryBijectorRoundTripsAndHasTheRightLogJacobian() throws {
        var random = SeededRandom(11)
        for c in Self.constraints {
            // A model with one param of this constraint, so UnconstrainedDensity builds the
            // constrain / unconstrain programs exactly as for a real model.
            let type = Self.type(c)
            let b = Builder()
            let l = b.inputValue(.real)
            let x = b.inputValue(type)
            let zero = b.constant(0)
            let (instrs, types) = b.finish()
            let program = Program(
                name: "p", inputs: [Input(name: "L", value: l, role: .data, type: .real, constraint: .none),
                                   Input(name: "x", value: x, role: .param, type: type, constraint: c)],
                body: Block(instrs: instrs, yields: [zero]), outputNames: ["target"], types: types)
            let space = UnconstrainedDensity(logDensity: program)
            let n = space.dimension.constant!
            XCTAssertEqual(n, c.unconstrainedSize(of: type).constant, "\(c)")
            XCTAssertEqual(n, Self.free(c, [Double](repeating: 0, count: type.shape.count.constant!)).count, "\(c)")
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
                // log|det J| of y -> the free coordinates of x, by finite differences.
                let jacobian = try numericalJacobian({ try Self.free(c, forward($0)) }, at: y, step: 1e-5)
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

    /// Bounds, offsets and multipliers computed from params declared before (GARCH's
    /// `upper = 1 - alpha1`, a non-centred `vector<offset=mu, multiplier=tau>`, a lower
    /// bound that is a param, elementwise bounds from a vector param): the map from θ to
    /// all the params is triangular, and its log|det J| — the sum of each param's
    /// log-Jacobian at the bounds of the moment — must match a numerical Jacobian of it.
    func testBoundsThatDependOnParams() throws {
        let text = """
        param a: real<lower=0, upper=1>
        param b: real<lower=0, upper=1 - a>
        param mu: real
        param tau: real<lower=0>
        param theta: vector<offset=mu, multiplier=tau>[3]
        param v: vector<lower=b>[2]
        param w: vector<lower=-exp(v), upper=v + 1>[2]
        """
        let c = Compilation.compile(file: SourceFile(path: "bounds.ppl", text: text))
        let model = try XCTUnwrap(c.model, c.renderDiagnostics(color: false))
        XCTAssertEqual(model.paramBounds.outputNames, ["b.upper", "theta.offset", "theta.multiplier", "v.lower", "w.lower", "w.upper"])
        let space = DerivedPrograms(model: model).unconstrained
        let n = space.dimension.constant!
        XCTAssertEqual(n, 11)
        let constrain = try Executable(space.constrain, varying: ["theta"], data: [:])
        let density = try Executable(space.density, varying: ["theta"], data: [:])
        let unconstrain = try Executable(space.unconstrain, varying: Set(model.params.map(\.name)), data: [:])
        var random = SeededRandom(3)
        for _ in 0..<5 {
            let y = random.normals(n)
            func forward(_ y: [Double]) throws -> [Double] {
                constrain.input("theta").update(from: y)
                try constrain.run()
                return model.params.flatMap { Array(constrain.output($0.name)) }
            }
            let x = try forward(y)
            let (a, b, mu, tau) = (x[0], x[1], x[2], x[3])
            XCTAssertTrue(a > 0 && a < 1 && b > 0 && b < 1 - a, "\(x)")
            let theta = Array(x[4..<7]), v = Array(x[7..<9]), w = Array(x[9..<11])
            for (t, u) in zip(theta, y[4..<7]) { XCTAssertEqual(t, mu + tau * u, accuracy: 1e-12) }
            XCTAssertTrue(v.allSatisfy { $0 > b })
            XCTAssertTrue(zip(w, v).allSatisfy { $0 > -exp($1) && $0 < $1 + 1 })
            for (p, range) in zip(model.params, [0..<1, 1..<2, 2..<3, 3..<4, 4..<7, 7..<9, 9..<11]) {
                unconstrain.input(p.name).update(from: Array(x[range]))
            }
            try unconstrain.run()
            for (a, b) in zip(y, Array(unconstrain.output("theta"))) { XCTAssertEqual(a, b, accuracy: 1e-9, "round trip") }
            let jacobian = try numericalJacobian(forward, at: y, step: 1e-5)
            density.input("theta").update(from: y)
            try density.run()
            XCTAssertEqual(density.output("target")[0], logAbsDeterminant(jacobian), accuracy: 1e-6, "log|J|")
        }
    }
}

/// A row-major matrix of a test value, with the properties the constrained types have.
private struct Matrix {
    let values: [Double]
    let rows: Int, cols: Int

    init(_ values: [Double], _ type: IRType) {
        self.values = values
        if case .matrix(let r, let c) = type.shape { (rows, cols) = (r.constant!, c.constant!) } else { (rows, cols) = (values.count, 1) }
    }

    subscript(_ i: Int, _ j: Int) -> Double { values[i * cols + j] }

    var isLowerTriangular: Bool { (0..<rows).allSatisfy { i in (0..<cols).allSatisfy { j in j <= i || self[i, j] == 0 } } }
    var hasPositiveDiagonal: Bool { (0..<min(rows, cols)).allSatisfy { self[$0, $0] > 0 } }
    var isSymmetric: Bool { (0..<rows).allSatisfy { i in (0..<i).allSatisfy { abs(self[i, $0] - self[$0, i]) < 1e-12 } } }

    /// Whether Gaussian elimination meets only positive pivots.
    var isPositiveDefinite: Bool {
        var m = (0..<rows).map { i in (0..<cols).map { self[i, $0] } }
        for k in 0..<rows {
            guard m[k][k] > 0 else { return false }
            for i in (k + 1)..<max(k + 1, rows) {
                let f = m[i][k] / m[k][k]
                for j in k..<cols { m[i][j] -= f * m[k][j] }
            }
        }
        return true
    }

    /// The elements on and below the diagonal (strictly below with `strict`), row by row.
    func lower(strict: Bool) -> [Double] {
        (0..<rows).flatMap { i in (0..<cols).filter { strict ? $0 < i : $0 <= i }.map { self[i, $0] } }
    }
}
