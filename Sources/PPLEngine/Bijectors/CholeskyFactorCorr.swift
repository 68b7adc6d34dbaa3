import Foundation
import PPLIR

/// Cholesky factor of a K×K correlation matrix (Stan's `cholesky_corr_constrain`). The
/// K(K-1)/2 unconstrained values, row by row, map by tanh to canonical partial correlations
/// z_ij in (-1, 1) (Lewandowski, Kurowicka & Joe 2009), and below the diagonal
/// L_ij = z_ij sqrt(1 - Σ_{k<j} L_ik²) = z_ij Π_{k<j} sqrt(1 - z_ik²), L_ii = Π_{k<i} sqrt(1 - z_ik²).
/// With w_ij = log sqrt(1 - z_ij²) = log 2 - log(e^y + e^-y) (exact for large |y|, where
/// tanh rounds to ±1) and c_ij = Σ_{k<j} w_ik: L = (z + I) ⊙ exp(c), and
/// log|J| = Σ log(1 - z_ij²) + Σ_{j<i} c_ij: the tanh, then the triangular map from z to
/// the free elements of L, whose diagonal is ∂L_ij/∂z_ij = exp(c_ij).
struct CholeskyFactorCorr: Bijector {
    func unconstrainedSize(_ type: IRType) -> Size { Constraint.choleskyFactorCorr.unconstrainedSize(of: type) }

    /// L from the unconstrained vector, with w and c (both zero off the strict lower triangle).
    static func factor(_ e: Emitter, _ y: Value, size k: Size) -> (l: Value, w: Value, c: Value, packing: TriangularPacking) {
        let p = TriangularPacking(e, rows: k, cols: k, strict: true)
        let full = p.unpack(e, y)
        let w = e.select(p.matrix(e, p.free), e.sub(e.c(log(2.0)), e.bin(.log_sum_exp, full, e.neg(full))), e.c(0))
        let c = e.matmul(w, p.indicator(e, e.bin(.lt, p.row, p.col)))
        let l = e.mul(e.add(e.un(.tanh, full), p.indicator(e, e.bin(.eq, p.row, p.col))), e.un(.exp, c))
        return (l, w, c, p)
    }

    func constrain(_ e: Emitter, _ y: Value, as type: IRType) -> (x: Value, logJacobian: Value) {
        let f = Self.factor(e, y, size: type.shape.rows)
        let below = e.sum(e.select(f.packing.matrix(e, f.packing.free), f.c, e.c(0)))
        return (f.l, e.add(e.mul(e.c(2), e.sum(f.w)), below))
    }

    /// z_ij = L_ij / sqrt(1 - Σ_{k<j} L_ik²), y = atanh(z).
    func unconstrain(_ e: Emitter, _ x: Value) -> Value {
        let p = TriangularPacking(e, rows: e.type(x).shape.rows, cols: e.type(x).shape.rows, strict: true)
        let squares = e.select(p.matrix(e, p.free), e.un(.square, x), e.c(0))
        let before = e.matmul(squares, p.indicator(e, e.bin(.lt, p.row, p.col)))
        let z = e.div(x, e.un(.sqrt, e.sub(e.c(1), before)))
        return p.pack(e, e.mul(e.c(0.5), e.sub(e.un(.log1p, z), e.un(.log1m, z))))
    }
}
