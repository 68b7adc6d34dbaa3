import PPLIR

/// Correlation matrix (Stan's `corr_matrix_constrain`): Ω = L L' with L the Cholesky factor
/// built from canonical partial correlations as in `CholeskyFactorCorr` (read row by row
/// here; Stan reads them column by column, which permutes the unconstrained coordinates and
/// changes nothing else). The Jacobian of z → the free elements of Ω is triangular with
/// log-determinant Σ_{j<i} (K - j - 1) w_ij (inverse of Joe 2006, eq. 11), so
/// log|J| = Σ log(1 - z_ij²) + Σ_{j<i} (K - j - 1) w_ij, with w_ij = log sqrt(1 - z_ij²).
struct CorrMatrix: Bijector {
    func unconstrainedSize(_ type: IRType) -> Size { Constraint.corrMatrix.unconstrainedSize(of: type) }

    func constrain(_ e: Emitter, _ y: Value, as type: IRType) -> (x: Value, logJacobian: Value) {
        let k = type.shape.rows
        let f = CholeskyFactorCorr.factor(e, y, size: k)
        let weights = f.packing.matrix(e, e.sub(e.sub(e.size(k), e.int(1)), f.packing.col))
        let logJ = e.add(e.mul(e.c(2), e.sum(f.w)), e.sum(e.mul(f.w, weights)))
        return (e.matmul(f.l, e.transpose(f.l)), logJ)
    }

    func unconstrain(_ e: Emitter, _ x: Value) -> Value {
        CholeskyFactorCorr().unconstrain(e, e.cholesky(x).factor)
    }
}
