import PPLDiff
import PPLEngine
import PPLIR
import XCTest

/// Every op's derivative rule, first and second order, against finite differences
/// (ChainRulesTestUtils' `test_rrule` over the whole table).
final class DerivativeRuleTests: XCTestCase {
    /// A small program exercising `op`: inputs `a` (and `b`, `c`) that vary, output
    /// `target` = sum(sin(op(...))) so that second derivatives are not trivially zero.
    /// The switch is exhaustive: a new op needs an example here.
    struct Example {
        var inputs: [(String, IRType, ClosedRange<Double>)]
        var data: [String: Tensor] = [:]
        var body: (Emitter, [Value]) -> Value
    }

    static func example(_ op: Op) -> Example? {
        let v3 = IRType.vector(Size(3))
        let m3 = IRType.matrix(Size(3), Size(3))
        let m32 = IRType.matrix(Size(3), Size(2))
        let wide: ClosedRange<Double> = -1.5...1.5
        func one(_ t: IRType = v3, _ r: ClosedRange<Double> = wide, _ f: @escaping (Emitter, Value) -> Value) -> Example {
            Example(inputs: [("a", t, r)]) { e, x in f(e, x[0]) }
        }
        func two(_ r1: ClosedRange<Double>, _ r2: ClosedRange<Double>, _ f: @escaping (Emitter, Value, Value) -> Value) -> Example {
            Example(inputs: [("a", v3, r1), ("b", v3, r2)]) { e, x in f(e, x[0], x[1]) }
        }
        switch op {
        case .const, .input, .size, .range, .loop, .cond, .stopGradient, .random:
            return nil
        case .unary(let f):
            guard f.isDifferentiable else { return nil }
            let domain: ClosedRange<Double>
            switch f {
            case .log, .sqrt, .inv, .lgamma, .digamma, .trigamma: domain = 0.3...3
            case .logit: domain = 0.1...0.9
            case .log1m: domain = -2...0.9
            case .log1p: domain = -0.9...2
            case .log1m_exp: domain = -3 ... -0.1
            case .tan: domain = -1.2...1.2
            case .abs: domain = 0.2...2
            default: domain = wide
            }
            return one(v3, domain) { e, x in e.un(f, x) }
        case .polygamma(let n):
            // Where polygamma is steep, sin(polygamma) oscillates too fast for finite differences.
            return one(v3, 1.5...4) { e, x in e.op(.polygamma(n), x) }
        case .binary(let f):
            if f.isComparison { return nil }
            switch f {
            case .pow: return two(0.5...2, -1.5...1.5) { e, a, b in e.bin(f, a, b) }
            case .lbeta: return two(0.3...3, 0.3...3) { e, a, b in e.bin(f, a, b) }
            case .lchoose: return two(4...6, 0.5...2.5) { e, a, b in e.bin(f, a, b) }
            case .log_diff_exp: return two(1...2, -1...0.5) { e, a, b in e.bin(f, a, b) }
            case .div, .atan2: return two(wide, 0.5...2) { e, a, b in e.bin(f, a, b) }
            default: return two(wide, wide) { e, a, b in e.bin(f, a, b) }
            }
        case .incomplete(let f, _):
            // Shapes in (0.5, 3), x in (0.1, 0.9) for inc_beta; the last argument a vector and
            // the first a scalar, so the rules' broadcasting is exercised.
            let shape: ClosedRange<Double> = 0.5...3
            var inputs: [(String, IRType, ClosedRange<Double>)] = [("a", .real, shape)]
            if f == .inc_beta { inputs.append(("b", v3, shape)) }
            inputs.append(("c", v3, f == .inc_beta ? 0.1...0.9 : 0.2...4))
            return Example(inputs: inputs) { e, x in e.op(op, x) }
        case .cholesky:
            // A = a aᵀ + 3 I, plus junk above the diagonal that the factorisation does not read.
            return one(m3) { e, a in
                let spd = e.add(e.matmul(a, e.transpose(a)), e.op(.diagMatrix, e.fill(e.c(3), v3)))
                return e.op(.cholesky, e.add(spd, e.sub(a, e.op(.tril, a))))
            }
        case .select:
            return Example(inputs: [("a", v3, wide), ("b", v3, wide)],
                           data: ["c": Tensor(vector: [1, 0, 1])]) { e, x in
                let c = e.b.inputValue(.intArray(Size(3)))
                return e.select(c, x[0], x[1])
            }
        case .sum: return one { e, x in e.sum(e.un(.square, x)) }
        case .logSumExp: return one { e, x in e.op(.logSumExp, x) }
        case .cumulativeSum: return one { e, x in e.op(.cumulativeSum, x) }
        case .minElement: return one { e, x in e.op(.minElement, x) }
        case .maxElement: return one { e, x in e.op(.maxElement, x) }
        case .dot: return two(wide, wide) { e, a, b in e.op(.dot, a, b) }
        case .matmul:
            // matrix×vector, matrix×matrix, row×matrix, row×vector and vector×row, summed.
            return Example(inputs: [("a", m3, wide), ("b", v3, wide), ("c", m32, wide)]) { e, x in
                let (m, v, k) = (x[0], x[1], x[2])
                let mv = e.sum(e.matmul(m, v))
                let mm = e.sum(e.matmul(m, k))
                let rm = e.sum(e.matmul(e.transpose(v), m))
                let rv = e.matmul(e.transpose(v), e.un(.sin, v))
                let outer = e.sum(e.matmul(v, e.transpose(e.un(.cos, v))))
                return e.add(e.add(e.add(mv, mm), e.add(rm, rv)), outer)
            }
        case .transpose: return one(m32) { e, x in e.matmul(e.transpose(x), e.un(.sin, x)) }
        case .triSolveLower, .triSolveLowerT:
            return Example(inputs: [("a", m3, 0.5...1.5), ("b", v3, wide), ("c", m32, wide)]) { e, x in
                let l = e.add(e.op(.tril, x[0]), e.op(.diagMatrix, e.fill(e.c(2), v3)))
                return e.add(e.sum(e.op(op, l, x[1])), e.sum(e.op(op, l, x[2])))
            }
        case .tril: return one(m3) { e, x in e.op(.tril, x) }
        case .diagonal: return one(m3) { e, x in e.op(.diagonal, x) }
        case .diagMatrix: return one { e, x in e.op(.diagMatrix, x) }
        case .fill: return one(.real) { e, x in e.fill(x, v3) }
        case .pack:
            return Example(inputs: [("a", .real, wide), ("b", .real, wide)]) { e, x in
                e.b.append(.pack, [x[0], x[1], e.mul(x[0], x[1])], type: .rowVector(Size(3)))
            }
        case .concat: return two(wide, wide) { e, a, b in e.op(.concat, a, e.un(.exp, b)) }
        case .reshape: return one(m32) { e, x in e.b.append(.reshape, [x], type: .vector(Size(6))) }
        case .at:
            return one { e, x in
                let idx = e.b.append(.pack, [e.int(3), e.int(1), e.int(3)], type: IRType(.int, .rowVector(Size(3))))
                return e.add(e.op(.at, x, e.transpose(idx)), e.op(.at, x, e.int(2)))
            }
        case .at2:
            return one(m32) { e, x in
                let rows = e.transpose(e.b.append(.pack, [e.int(3), e.int(1)], type: IRType(.int, .rowVector(Size(2)))))
                let cols = e.transpose(e.b.append(.pack, [e.int(2), e.int(1)], type: IRType(.int, .rowVector(Size(2)))))
                return e.add(e.sum(e.op(.at2, x, rows, e.int(2))), e.sum(e.op(.at2, x, rows, cols)))
            }
        case .set:
            return two(wide, wide) { e, a, b in e.op(.set, a, e.int(2), e.mul(e.op(.at, b, e.int(1)), e.op(.at, a, e.int(3)))) }
        case .set2:
            return Example(inputs: [("a", m32, wide), ("b", .real, wide)]) { e, x in
                e.op(.set2, x[0], e.int(2), e.int(1), e.mul(x[1], x[1]))
            }
        case .scatterAdd:
            return two(wide, wide) { e, a, b in
                let idx = e.transpose(e.b.append(.pack, [e.int(1), e.int(1), e.int(3)], type: IRType(.int, .rowVector(Size(3)))))
                return e.op(.scatterAdd, a, idx, e.un(.exp, b))
            }
        case .scatterAdd2:
            return Example(inputs: [("a", m32, wide), ("b", .real, wide)]) { e, x in
                e.op(.scatterAdd2, x[0], e.int(3), e.int(2), e.un(.exp, x[1]))
            }
        }
    }

    static var allOps: [Op] {
        UnaryFn.allCases.map { Op.unary($0) } + (0...3).map { Op.polygamma($0) } + BinaryFn.allCases.map { Op.binary($0) }
            + IncompleteFn.allCases.flatMap { f in
                // The function, and a partial derivative that is not the first (as the rules build them).
                [Op.incomplete(f, orders: [Int](repeating: 0, count: f.arity)), Op.incomplete(f, orders: [1] + [Int](repeating: 0, count: f.arity - 2) + [1])]
            } + [
            .const(0), .input("x"), .size(Size(1)), .select, .sum, .logSumExp, .cumulativeSum, .minElement, .maxElement,
            .dot, .matmul, .transpose, .triSolveLower, .triSolveLowerT, .tril, .cholesky, .diagonal, .diagMatrix, .fill, .pack,
            .range, .concat, .reshape, .at, .at2, .set, .set2, .scatterAdd, .scatterAdd2, .loop, .cond, .stopGradient,
        ]
    }

    func testEveryDerivativeRuleAgainstFiniteDifferences() throws {
        var random = SeededRandom(7)
        var checked = 0
        for op in Self.allOps {
            guard let ex = Self.example(op) else {
                XCTAssertFalse(op.isDifferentiable && !isStructural(op), "\(op.mnemonic) is differentiable but has no example")
                continue
            }
            let b = Builder()
            let e = Emitter(b)
            var inputs: [Input] = []
            var values: [Value] = []
            for (name, t, _) in ex.inputs {
                let v = b.inputValue(t)
                values.append(v)
                inputs.append(Input(name: name, value: v, role: .param, type: t, constraint: .none))
            }
            let out = ex.body(e, values)
            // The data inputs an example made are the values defined after the params.
            if let c = ex.data["c"] {
                let cValue = Value(values.last!.id + 1)
                inputs.append(Input(name: "c", value: cValue, role: .data, type: .intArray(Size(c.count)), constraint: .none))
            }
            let target = e.sum(e.un(.sin, out))
            let (instrs, types) = b.finish()
            let program = Program(name: op.mnemonic, inputs: inputs, body: Block(instrs: instrs, yields: [target]),
                                  outputNames: ["target"], types: types)
            XCTAssertEqual(Verifier.verify(program), [], op.mnemonic)
            let check = DerivativeCheck(program: program, wrt: ex.inputs.map(\.0), data: ex.data)
            for _ in 0..<3 {
                let point = ex.inputs.map { (_, t, r) in (0..<count(t)).map { _ in random.uniform(r) } }
                let direction = ex.inputs.map { (_, t, _) in random.normals(count(t)) }
                let (g, h) = try check.errors(at: point, direction: direction)
                XCTAssertLessThan(g, 1e-7, "gradient of \(op.mnemonic)")
                XCTAssertLessThan(h, 1e-5, "Hessian-vector product of \(op.mnemonic)")
            }
            checked += 1
        }
        XCTAssertGreaterThan(checked, 60)
    }

    private func isStructural(_ op: Op) -> Bool {
        switch op {
        case .const, .input, .size, .range, .loop, .cond, .stopGradient: return true
        default: return false
        }
    }

    private func count(_ t: IRType) -> Int { t.shape.count.constant! }
}
