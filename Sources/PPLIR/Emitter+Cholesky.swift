extension Emitter {
    /// The lower Cholesky factor L of a symmetric positive-definite K×K matrix A (A = L L')
    /// and log det A = 2 Σ_j log L_jj, column by column: with the first j - 1 columns of L
    /// known (the others still zero), v = A[j] - L L[j] (A[j] is row j, column j by symmetry),
    /// L_jj = sqrt(v_j) and L_ij = v_i / L_jj below the diagonal. An IR loop carrying L and
    /// the log-determinant, so it is differentiated like any loop. A matrix that is not
    /// positive definite gives NaN.
    public func cholesky(_ a: Value) -> (factor: Value, logDeterminant: Value) {
        let t = type(a)
        guard case .matrix(let k, _) = t.shape else { preconditionFailure("the Cholesky factor of a \(t)") }
        let indices = range(Size(1), k)
        let params = b.beginBlock(params: [.int, t, .real])
        let (j, factor, logDet) = (params[0], params[1], params[2])
        let v = sub(op(.at, a, j), matmul(factor, op(.at, factor, j)))
        let pivot = op(.at, v, j)
        let column = select(bin(.ge, indices, j), div(v, un(.sqrt, pivot)), c(0))
        let unit = select(bin(.eq, indices, j), c(1), c(0))
        let next = add(factor, matmul(column, transpose(unit)))
        let block = b.endBlock(params: params, yields: [next, add(logDet, un(.log, pivot))])
        let results = b.appendRegion(.loop, [int(1), k.constant.map(int) ?? size(k), zeros(t), c(0)], regions: [block],
                                     resultTypes: [t, .real])
        return (results[0], results[1])
    }
}
