import Foundation
import PPLIR

/// Covariance matrix (Stan's `cov_matrix_constrain`): Σ = L L' with L lower-triangular, its
/// diagonal through exp, from K(K+1)/2 unconstrained values read row by row. The Jacobian of
/// L → the lower triangle of Σ is 2^K Π_k L_kk^(K-k+1), and exp adds L_kk, so
/// log|J| = K log 2 + Σ_k (K - k + 2) y_kk.
struct CovMatrix: Bijector {
    func unconstrainedSize(_ type: IRType) -> Size { Constraint.covMatrix.unconstrainedSize(of: type) }

    func constrain(_ e: Emitter, _ y: Value, as type: IRType) -> (x: Value, logJacobian: Value) {
        let k = type.shape.rows
        let f = CholeskyFactorCov.factor(e, y, rows: k, cols: k)
        let powers = f.packing.matrix(e, e.sub(e.add(e.size(k), e.int(2)), f.packing.row))
        let logJ = e.add(e.mul(e.size(k), e.c(log(2.0))), e.sum(e.mul(f.diagonal, powers)))
        return (e.matmul(f.l, e.transpose(f.l)), logJ)
    }

    func unconstrain(_ e: Emitter, _ x: Value) -> Value {
        CholeskyFactorCov().unconstrain(e, e.cholesky(x).factor)
    }
}
