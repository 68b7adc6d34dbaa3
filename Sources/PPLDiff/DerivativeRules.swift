import Foundation
import PPLIR

/// The derivative rule of every op, as IR: given the adjoint `g` of an instruction's
/// result, the contributions to its arguments' adjoints (nil where an argument has none).
/// Written in terms of the arguments and the instruction's own `result`, like
/// ChainRules.jl's `@scalar_rule`. The switch is exhaustive: a new op without a rule does
/// not compile. Loops and branches are handled by the differentiator itself.
enum DerivativeRules {
    // swiftlint:disable:next cyclomatic_complexity function_body_length
    static func pullback(_ instr: Instr, adjoint g: Value, _ e: Emitter) -> [Value?] {
        let x = instr.args
        let r = instr.result
        func scale(_ d: Value) -> Value { e.mul(g, d) }
        switch instr.op {
        case .const, .input, .size, .range, .stopGradient:
            return x.map { _ in nil }
        // Draws appear only in generated quantities, which are never differentiated.
        case .random:
            return x.map { _ in nil }
        case .unary(let f):
            let a = x[0]
            switch f {
            case .not, .sign, .floor, .ceil: return [nil]
            case .neg: return [e.neg(g)]
            case .exp: return [scale(r)]
            case .log: return [e.div(g, a)]
            case .log1p: return [e.div(g, e.add(e.c(1), a))]
            case .expm1: return [scale(e.add(r, e.c(1)))]
            case .log1m: return [e.neg(e.div(g, e.sub(e.c(1), a)))]
            case .sqrt: return [e.div(e.mul(e.c(0.5), g), r)]
            case .square: return [scale(e.mul(e.c(2), a))]
            case .inv: return [e.neg(scale(e.un(.square, r)))]
            case .inv_logit: return [scale(e.mul(r, e.sub(e.c(1), r)))]
            case .logit: return [e.div(g, e.mul(a, e.sub(e.c(1), a)))]
            case .log_inv_logit: return [scale(e.un(.inv_logit, e.neg(a)))]
            case .log1m_inv_logit: return [e.neg(scale(e.un(.inv_logit, a)))]
            case .log1p_exp: return [scale(e.un(.inv_logit, a))]
            case .log1m_exp: return [e.neg(e.div(g, e.un(.expm1, e.neg(a))))]
            case .lgamma: return [scale(e.un(.digamma, a))]
            case .digamma: return [scale(e.un(.trigamma, a))]
            case .trigamma: return [scale(e.op(.polygamma(2), a))]
            case .sin: return [scale(e.un(.cos, a))]
            case .cos: return [e.neg(scale(e.un(.sin, a)))]
            case .tan: return [scale(e.add(e.c(1), e.un(.square, r)))]
            case .tanh: return [scale(e.sub(e.c(1), e.un(.square, r)))]
            case .abs: return [scale(e.un(.sign, a))]
            case .erf, .erfc:
                let d = e.mul(e.c(2 / Double.pi.squareRoot()), e.un(.exp, e.neg(e.un(.square, a))))
                return [f == .erf ? scale(d) : e.neg(scale(d))]
            case .Phi:
                let d = e.mul(e.c(1 / (2 * Double.pi).squareRoot()), e.un(.exp, e.mul(e.c(-0.5), e.un(.square, a))))
                return [scale(d)]
            case .log_erfc:
                // erfc'(x) / erfc(x) = −2/√π exp(−x² − log erfc(x)), finite where erfc underflows.
                let d = e.mul(e.c(-2 / Double.pi.squareRoot()), e.un(.exp, e.sub(e.neg(e.un(.square, a)), r)))
                return [scale(d)]
            case .atan: return [e.div(g, e.add(e.c(1), e.un(.square, a)))]
            }
        case .polygamma(let n):
            return [scale(e.op(.polygamma(n + 1), x[0]))]
        case .binary(let f):
            let (a, b) = (x[0], x[1])
            switch f {
            case .lt, .le, .gt, .ge, .eq, .ne, .and, .or: return [nil, nil]
            case .add: return [g, g]
            case .sub: return [g, e.neg(g)]
            case .mul: return [scale(b), scale(a)]
            case .div: return [e.div(g, b), e.neg(e.div(scale(r), b))]
            case .pow:
                return [scale(e.mul(b, e.bin(.pow, a, e.sub(b, e.c(1))))), scale(e.mul(r, e.un(.log, a)))]
            case .fmin, .fmax:
                let first = e.bin(f == .fmin ? .le : .ge, a, b)
                let zero = e.c(0)
                return [e.select(first, g, zero), e.select(first, zero, g)]
            case .log_sum_exp:
                return [scale(e.un(.exp, e.sub(a, r))), scale(e.un(.exp, e.sub(b, r)))]
            case .log_diff_exp:
                return [scale(e.un(.exp, e.sub(a, r))), e.neg(scale(e.un(.exp, e.sub(b, r))))]
            case .lbeta:
                let ab = e.un(.digamma, e.add(a, b))
                return [scale(e.sub(e.un(.digamma, a), ab)), scale(e.sub(e.un(.digamma, b), ab))]
            case .lchoose:
                let rest = e.un(.digamma, e.add(e.sub(a, b), e.c(1)))
                return [scale(e.sub(e.un(.digamma, e.add(a, e.c(1))), rest)),
                        scale(e.sub(rest, e.un(.digamma, e.add(b, e.c(1)))))]
            case .atan2:
                // atan2(a, b): ∂/∂a = b / (a² + b²), ∂/∂b = −a / (a² + b²).
                let norm = e.add(e.un(.square, a), e.un(.square, b))
                return [e.div(scale(b), norm), e.neg(e.div(scale(a), norm))]
            }
        case .incomplete(let f, let orders):
            return x.indices.map { k in
                var higher = orders
                higher[k] += 1
                if orders.allSatisfy({ $0 == 0 }), k == x.count - 1 {
                    // In the last argument the derivative is a density: for I_x(a, b),
                    // x^(a−1) (1 − x)^(b−1) / B(a, b); for P(a, x), x^(a−1) e^(−x) / Γ(a).
                    let density: Value
                    switch f {
                    case .inc_beta:
                        let (a, b, v) = (x[0], x[1], x[2])
                        density = e.un(.exp, e.sub(e.add(e.mul(e.sub(a, e.c(1)), e.un(.log, v)), e.mul(e.sub(b, e.c(1)), e.un(.log1m, v))),
                                                   e.bin(.lbeta, a, b)))
                    case .gamma_p, .gamma_q:
                        let (a, v) = (x[0], x[1])
                        let d = e.un(.exp, e.sub(e.sub(e.mul(e.sub(a, e.c(1)), e.un(.log, v)), v), e.un(.lgamma, a)))
                        density = f == .gamma_p ? d : e.neg(d)
                    }
                    return scale(density)
                }
                return scale(e.op(.incomplete(f, orders: higher), x))
            }
        case .select:
            let zero = e.c(0)
            return [nil, e.select(x[0], g, zero), e.select(x[0], zero, g)]
        case .sum:
            return [e.fit(g, to: e.type(x[0]))]
        case .logSumExp:
            return [scale(e.un(.exp, e.sub(x[0], r)))]
        case .cumulativeSum:
            // Reverse cumulative sum: sum(g) - cumsum(g) + g.
            return [e.add(e.sub(e.sum(g), e.op(.cumulativeSum, g)), g)]
        case .minElement, .maxElement:
            return [e.select(e.bin(.eq, x[0], r), g, e.c(0))]
        case .dot:
            return [scale(x[1]), scale(x[0])]
        case .matmul:
            if e.type(r).isScalar {
                return [scale(e.transpose(x[1])), scale(e.transpose(x[0]))]
            }
            return [e.matmul(g, e.transpose(x[1])), e.matmul(e.transpose(x[0]), g)]
        case .transpose:
            return [e.transpose(g)]
        case .reshape:
            return [e.b.append(.reshape, [g], type: e.type(x[0]).with(elem: .real))]
        case .triSolveLower:
            let gb = e.op(.triSolveLowerT, x[0], g)
            return [e.neg(e.op(.tril, e.matmul(gb, e.transpose(r)))), gb]
        case .triSolveLowerT:
            let gb = e.op(.triSolveLower, x[0], g)
            return [e.neg(e.op(.tril, e.matmul(r, e.transpose(gb)))), gb]
        case .tril:
            return [e.op(.tril, g)]
        case .cholesky:
            // Murray (2016), "Differentiation of the Cholesky decomposition": with
            // Φ(M) = tril(M) − diag(M)/2, S = L⁻ᵀ Φ(Lᵀ tril(Lbar)) L⁻¹, and A read through its
            // lower triangle, Abar = tril(S + Sᵀ) − diag(S). Written with ops that have rules,
            // so it can be differentiated again.
            let l = r
            func phi(_ m: Value) -> Value { e.sub(e.op(.tril, m), e.mul(e.c(0.5), e.op(.diagMatrix, e.op(.diagonal, m)))) }
            let p = phi(e.matmul(e.transpose(l), e.op(.tril, g)))
            let y = e.op(.triSolveLowerT, l, p)
            let s = e.transpose(e.op(.triSolveLowerT, l, e.transpose(y)))
            return [e.sub(e.op(.tril, e.add(s, e.transpose(s))), e.op(.diagMatrix, e.op(.diagonal, s)))]
        case .diagonal:
            return [e.op(.diagMatrix, g)]
        case .diagMatrix:
            return [e.op(.diagonal, g)]
        case .fill:
            return [e.sum(g)]
        case .pack:
            // Item k's share is element or row k; a row packed into a matrix gets its row back
            // as a row.
            return x.indices.map { k in
                let part = e.op(.at, g, e.b.constant(Double(k + 1), .int))
                if case .rowVector = e.type(x[k]).shape { return e.transpose(part) }
                return part
            }
        case .concat:
            let n = e.type(x[0]).shape.count, m = e.type(x[1]).shape.count
            let first = e.b.append(.range, [e.b.constant(1, .int), e.size(n)], type: .intArray(n))
            let second = e.b.append(.range, [e.size(n + Size(1)), e.size(n + m)], type: .intArray(m))
            return [e.op(.at, g, first), e.op(.at, g, second)]
        case .at:
            return [e.op(.scatterAdd, e.zeros(e.type(x[0])), x[1], g), nil]
        case .at2:
            return [e.op(.scatterAdd2, e.zeros(e.type(x[0])), x[1], x[2], g), nil, nil]
        case .set:
            return [e.op(.set, g, x[1], e.c(0)), nil, e.op(.at, g, x[1])]
        case .set2:
            return [e.op(.set2, g, x[1], x[2], e.c(0)), nil, nil, e.op(.at2, g, x[1], x[2])]
        case .scatterAdd:
            return [g, nil, e.op(.at, g, x[1])]
        case .scatterAdd2:
            return [g, nil, nil, e.op(.at2, g, x[1], x[2])]
        case .loop, .cond:
            preconditionFailure("region ops are differentiated by the Differentiator")
        }
    }
}
