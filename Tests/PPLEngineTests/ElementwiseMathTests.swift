import Foundation
import PPLEngine
import PPLIR
import XCTest

/// Every elementwise function as the engine computes it, against its definition in
/// ScalarMath. The engine has three paths: one element is ScalarMath itself; a few elements
/// go through a Swift loop; 8 or more, for the functions with a C kernel, go through glibc's
/// libmvec a whole SIMD vector (4 or 8 doubles) at a time and a C scalar loop for the
/// remainder. Lengths 1, 7, 8, 11, 1000 and 1003 take every path, and the windows of 11
/// elements move over the arguments 3 at a time (the remainder's length), so every argument
/// also runs through the remainder loop.
final class ElementwiseMathTests: XCTestCase {
    static let lengths = [1, 7, 8, 11, 1000, 1003]

    /// Extremes, and points where a formula switches branch or a function has a zero, a pole
    /// or the edge of its domain.
    static let special: [Double] = [
        0, -0.0, .infinity, -.infinity, .nan, 1e-300, -1e-300, 0x1p-1030, -0x1p-1030, 1e300, -1e300, 1e22, -1e22,
        700, -700, 710, -710, 720, -720, 745, -745, 800, -800, 36, -36, 37, -37, 40, -40,
        1, -1, 2, 0.5, -0.5, 0.5 + 1e-9, 0.5 - 1e-9, 1 - 1e-10, 1e-10, -1e-10, -0.693, -0.694, -3, -3.5,
        1.4616321449683622, Double.pi,
    ]

    /// The special points, then values drawn at every scale and in (0, 1) and (-1, 0), where
    /// several functions have their domain.
    static let arguments: [Double] = {
        var rng = RNG(seed: 11)
        return special + (0..<1000).map { k in
            let u = rng.uniform()
            switch k % 4 {
            case 0: return u
            case 1: return -u
            case 2: return 80 * u - 40
            default: return (rng.uniform() < 0.5 ? -1 : 1) * pow(10, 600 * u - 300)
            }
        }
    }()

    /// The error allowed, in ulps. Below 8 elements the engine evaluates ScalarMath's own
    /// formulas: the values must be identical. From 8 elements on, the kernels call libmvec,
    /// which glibc tests to 4 ulps of the exact value (sourceware.org/glibc/wiki/libmvec), and
    /// a kernel composes at most two such calls (log1p of exp): 8 ulps. Measured on this
    /// suite: 3 ulps for one call, 4 for the compositions (log1p_exp, log_inv_logit,
    /// log1m_inv_logit).
    static func ulps(length: Int) -> Double { length < 8 ? 0 : 8 }

    /// Whether the engine's value agrees with the definition's: the same class (NaN, +inf,
    /// -inf, finite) and at most `ulps` ulps of `scale` (or of the value, if larger) apart.
    static func agree(_ got: Double, _ want: Double, ulps: Double, scale: Double = 0) -> Bool {
        if got.isNaN || want.isNaN { return got.isNaN && want.isNaN }
        if got == want { return true }
        if got.isInfinite || want.isInfinite { return false }
        return abs(got - want) <= ulps * max(abs(want), scale).ulp
    }

    /// A program applying `op` to inputs `x0`, `x1`, ... of the given lengths (1: a scalar),
    /// compiled for one particle.
    static func executable(_ op: Op, lengths: [Int]) throws -> Executable {
        let b = Builder()
        let types = lengths.map { $0 == 1 ? IRType.real : .vector(Size($0)) }
        let inputs = types.enumerated().map { k, t in
            Input(name: "x\(k)", value: b.inputValue(t), role: .param, type: t, constraint: .none)
        }
        let y = try b.emit(op, inputs.map(\.value))
        let (instrs, all) = b.finish()
        let program = Program(name: op.mnemonic, inputs: inputs, body: Block(instrs: instrs, yields: [y]),
                              outputNames: ["y"], types: all)
        return try Executable(program, varying: Set(inputs.map(\.name)), data: [:])
    }

    static func run(_ e: Executable, _ args: [[Double]]) throws -> [Double] {
        for (k, xs) in args.enumerated() {
            let buffer = e.input("x\(k)")
            for (i, x) in xs.enumerated() { buffer[i] = x }
        }
        try e.run()
        return Array(e.output("y"))
    }

    /// Windows of `n` arguments (wrapping around), starting `step` apart, covering them all.
    static func windows(_ n: Int, of xs: [Double]) -> [[Double]] {
        let step = n == 11 ? 3 : n
        return stride(from: 0, to: xs.count, by: step).map { s in (0..<n).map { xs[(s + $0) % xs.count] } }
    }

    /// Mismatches of one function at one length, reported up to a few.
    struct Mismatches {
        var found: [String] = []
        mutating func check(_ ok: Bool, _ what: @autoclosure () -> String) {
            if !ok { found.append(what()) }
        }
        func report(_ label: String, file: StaticString = #filePath, line: UInt = #line) {
            guard !found.isEmpty else { return }
            XCTFail("\(label): \(found.count) disagreements, e.g. \(found.prefix(4).joined(separator: "; "))", file: file, line: line)
        }
    }

    func testEveryUnaryFunctionOnEveryPathAgreesWithItsDefinition() throws {
        for f in UnaryFn.allCases {
            for n in Self.lengths {
                let e = try Self.executable(.unary(f), lengths: [n])
                var mismatches = Mismatches()
                for xs in Self.windows(n, of: Self.arguments) {
                    for (x, got) in zip(xs, try Self.run(e, [xs])) {
                        let want = ScalarMath.apply(f, x)
                        // logit is log(x) - log1p(-x) in the kernel: where it is near 0 its
                        // error is a few ulps of the two logarithms, not of the difference.
                        let scale = f == .logit ? max(abs(log(x)), abs(log1p(-x))) : 0
                        mismatches.check(Self.agree(got, want, ulps: Self.ulps(length: n), scale: scale),
                                         "\(f)(\(x)) = \(got), defined as \(want)")
                    }
                }
                mismatches.report("\(f) on \(n) elements")
            }
        }
    }

    func testPolygammaOnEveryPathAgreesWithItsDefinition() throws {
        for order in 0...3 {
            for n in Self.lengths {
                let e = try Self.executable(.polygamma(order), lengths: [n])
                var mismatches = Mismatches()
                for xs in Self.windows(n, of: Self.arguments) {
                    for (x, got) in zip(xs, try Self.run(e, [xs])) {
                        let want = ScalarMath.polygamma(order, x)
                        mismatches.check(Self.agree(got, want, ulps: Self.ulps(length: n)),
                                         "polygamma(\(order), \(x)) = \(got), defined as \(want)")
                    }
                }
                mismatches.report("polygamma(\(order)) on \(n) elements")
            }
        }
    }

    /// Vector with vector, vector with each special value as a scalar, and the other way round.
    func testEveryBinaryFunctionOnEveryPathAgreesWithItsDefinition() throws {
        let reversed = Array(Self.arguments.reversed())
        for f in BinaryFn.allCases {
            for n in Self.lengths where n > 1 {
                for shape in [[n, n], [n, 1], [1, n]] {
                    let e = try Self.executable(.binary(f), lengths: shape)
                    var cases: [[[Double]]] = zip(Self.windows(n, of: Self.arguments), Self.windows(n, of: reversed)).map { [$0, $1] }
                    if shape != [n, n] {
                        let xs = Self.windows(n, of: Self.arguments)[0]
                        cases = Self.special.map { s in shape[0] == 1 ? [[s], xs] : [xs, [s]] }
                    }
                    var mismatches = Mismatches()
                    for args in cases {
                        for (i, got) in try Self.run(e, args).enumerated() {
                            let (a, b) = (args[0].count == 1 ? args[0][0] : args[0][i], args[1].count == 1 ? args[1][0] : args[1][i])
                            let want = ScalarMath.apply(f, a, b)
                            // log_sum_exp is max(a, b) + log1p(exp(-|a - b|)): near 0 its error is a
                            // few ulps of max(a, b).
                            let scale = f == .log_sum_exp ? abs(max(a, b)) : 0
                            mismatches.check(Self.agree(got, want, ulps: Self.ulps(length: n), scale: scale),
                                             "\(f)(\(a), \(b)) = \(got), defined as \(want)")
                        }
                    }
                    mismatches.report("\(f) on \(shape) elements")
                }
            }
        }
    }

    /// The incomplete beta and gamma functions and a partial derivative of each, every
    /// argument in turn a scalar standing for all elements, at points of their domains, its
    /// edges and outside it: the engine's value is ScalarMath's, exactly.
    func testIncompleteFunctionsOnEveryPathAgreeWithTheirDefinitions() throws {
        var rng = RNG(seed: 5)
        let edges: [Double] = [0, 1, -1, .infinity, .nan, 1e-300]
        func shapes(_ n: Int) -> [Double] { (0..<n).map { k in k < edges.count ? edges[k] : exp(10 * rng.uniform() - 5) } }
        func unit(_ n: Int) -> [Double] { (0..<n).map { k in k < edges.count ? edges[edges.count - 1 - k] : rng.uniform() } }
        for f in IncompleteFn.allCases {
            for orders in [[Int](repeating: 0, count: f.arity), [1] + [Int](repeating: 0, count: f.arity - 1)] {
                for n in [1, 7, 20] {
                    for scalar in [nil] + Array(0..<f.arity) where n > 1 || scalar == nil {
                        let lengths = (0..<f.arity).map { $0 == scalar ? 1 : n }
                        let e = try Self.executable(.incomplete(f, orders: orders), lengths: lengths)
                        let args = lengths.enumerated().map { k, m in
                            k == f.arity - 1 ? (f == .inc_beta ? unit(m) : shapes(m).map { 8 * $0 }) : shapes(m)
                        }
                        var mismatches = Mismatches()
                        for (i, got) in try Self.run(e, args).enumerated() {
                            let point = args.map { $0.count == 1 ? $0[0] : $0[i] }
                            let want = ScalarMath.incomplete(f, point, orders: orders)
                            mismatches.check(Self.agree(got, want, ulps: 0), "\(f)\(orders)(\(point)) = \(got), defined as \(want)")
                        }
                        mismatches.report("\(f)\(orders) on \(lengths) elements")
                    }
                }
            }
        }
    }
}
