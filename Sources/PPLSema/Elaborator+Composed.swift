import Foundation
import PPLIR

/// Stan's elementwise functions that are compositions of elementwise ops: their
/// derivatives are those of the ops, and they broadcast scalars as the ops do.
extension Elaborator {
    // swiftlint:disable:next cyclomatic_complexity
    func composedFunction(_ f: ComposedFn, _ args: [TV]) throws(ShapeError) -> TV {
        func u(_ g: UnaryFn, _ x: TV) throws(ShapeError) -> TV { try apply(.unary(g), [x]) }
        func b(_ g: BinaryFn, _ x: TV, _ y: TV) throws(ShapeError) -> TV { try apply(.binary(g), [x, y]) }
        func c(_ v: Double) -> TV { TV(value: builder.constant(v), type: .real, dep: .literal, constant: v) }
        /// 1 where the comparison holds, else 0, as reals.
        func indicator(_ g: BinaryFn, _ x: TV, _ y: TV) throws(ShapeError) -> TV { toReal(try b(g, x, y)) }
        /// k - 2 floor(k / 2) of an integer-valued k: 1 where it is odd, else 0.
        func parity(_ k: TV) throws(ShapeError) -> TV {
            try b(.sub, k, b(.mul, c(2), u(.floor, b(.mul, c(0.5), k))))
        }
        /// sqrt(1 - x^2), as sqrt((1 - x)(1 + x)) to keep its digits near |x| = 1.
        func cosine(_ x: TV) throws(ShapeError) -> TV {
            try u(.sqrt, b(.mul, b(.sub, c(1), x), b(.add, c(1), x)))
        }
        if f == .int_step { return try b(.gt, args[0], c(0)) }
        let a = args.map(toReal)
        let x = a[0]
        switch f {
        case .log10: return try b(.div, u(.log, x), c(M_LN10))
        case .log2: return try b(.div, u(.log, x), c(M_LN2))
        case .exp2: return try u(.exp, b(.mul, x, c(M_LN2)))
        case .cbrt: return try b(.mul, u(.sign, x), b(.pow, u(.abs, x), c(1.0 / 3)))
        case .hypot: return try u(.sqrt, b(.add, u(.square, x), u(.square, a[1])))
        case .fma: return try b(.add, b(.mul, x, a[1]), a[2])
        case .fdim: return try b(.fmax, b(.sub, x, a[1]), c(0))
        case .inv_square: return try u(.inv, u(.square, x))
        case .inv_cloglog: return try u(.neg, u(.expm1, u(.neg, u(.exp, x))))
        case .Phi_approx:
            return try u(.inv_logit, b(.add, b(.mul, c(0.07056), b(.mul, x, u(.square, x))), b(.mul, c(1.5976), x)))
        case .step: return try b(.sub, c(1), indicator(.lt, x, c(0)))
        case .int_step: return try b(.gt, x, c(0))
        // (e^x - e^-x) / 2 with expm1, so that small x keep their digits.
        case .sinh: return try b(.mul, c(0.5), b(.sub, u(.expm1, x), u(.expm1, u(.neg, x))))
        case .cosh: return try b(.mul, c(0.5), b(.add, u(.exp, x), u(.exp, u(.neg, x))))
        // sign(x) log1p(|x| + x^2 / (1 + sqrt(1 + x^2))): log(|x| + sqrt(x^2 + 1)) without
        // cancellation for negative or small x.
        case .asinh:
            let ax = try u(.abs, x)
            let sq = try u(.square, x)
            return try b(.mul, u(.sign, x), u(.log1p, b(.add, ax, b(.div, sq, b(.add, c(1), u(.sqrt, b(.add, c(1), sq)))))))
        // log1p(t + sqrt(t (t + 2))) with t = x - 1: log(x + sqrt(x^2 - 1)) near 1.
        case .acosh:
            let t = try b(.sub, x, c(1))
            return try u(.log1p, b(.add, t, u(.sqrt, b(.mul, t, b(.add, t, c(2))))))
        case .atanh: return try b(.mul, c(0.5), u(.log1p, b(.div, b(.mul, c(2), x), b(.sub, c(1), x))))
        case .asin: return try b(.atan2, x, cosine(x))
        case .acos: return try b(.atan2, cosine(x), x)
        // Γ(x) = exp(lgamma(x)) with its sign: negative where x < 0 and floor(x) is odd.
        case .tgamma:
            let negative = try b(.mul, indicator(.lt, x, c(0)), parity(u(.floor, x)))
            return try b(.mul, u(.exp, u(.lgamma, x)), b(.sub, c(1), b(.mul, c(2), negative)))
        // x log(y), with log(y + 1) in place of log(y) where x = 0 (so that 0 log 0 is 0).
        case .lmultiply, .multiply_log: return try b(.mul, x, u(.log, b(.add, a[1], indicator(.eq, x, c(0)))))
        case .binomial_coefficient_log: return try b(.lchoose, x, a[1])
        case .trunc: return try b(.mul, u(.sign, x), u(.floor, u(.abs, x)))
        case .round: return try b(.mul, u(.sign, x), u(.floor, b(.add, u(.abs, x), c(0.5))))
        case .fmod:
            let q = try b(.div, x, a[1])
            return try b(.sub, x, b(.mul, b(.mul, u(.sign, q), u(.floor, u(.abs, q))), a[1]))
        }
    }
}
