import PPLIR

/// Cholesky factor of a covariance matrix, M×N with M ≥ N (Stan's `cholesky_factor_constrain`):
/// the N(N+1)/2 + (M-N)N unconstrained values fill the lower triangle row by row, the
/// diagonal through exp; log|J| = Σ of the unconstrained diagonal values.
struct CholeskyFactorCov: Bijector {
    func unconstrainedSize(_ type: IRType) -> Size { Constraint.choleskyFactorCov.unconstrainedSize(of: type) }

    /// L from the unconstrained vector, and the unconstrained values on the diagonal (zeros elsewhere).
    static func factor(_ e: Emitter, _ y: Value, rows: Size, cols: Size) -> (l: Value, diagonal: Value, packing: TriangularPacking) {
        let p = TriangularPacking(e, rows: rows, cols: cols, strict: false)
        let full = p.unpack(e, y)
        let onDiagonal = p.matrix(e, e.bin(.eq, p.row, p.col))
        return (e.select(onDiagonal, e.un(.exp, full), full), e.select(onDiagonal, full, e.c(0)), p)
    }

    func constrain(_ e: Emitter, _ y: Value, as type: IRType) -> (x: Value, logJacobian: Value) {
        let f = Self.factor(e, y, rows: type.shape.rows, cols: type.shape.cols)
        return (f.l, e.sum(f.diagonal))
    }

    func unconstrain(_ e: Emitter, _ x: Value) -> Value {
        let t = e.type(x)
        let p = TriangularPacking(e, rows: t.shape.rows, cols: t.shape.cols, strict: false)
        return p.pack(e, e.select(p.matrix(e, e.bin(.eq, p.row, p.col)), e.un(.log, x), x))
    }
}
