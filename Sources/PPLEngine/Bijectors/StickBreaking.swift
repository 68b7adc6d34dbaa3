import PPLIR

/// Simplex by stick breaking (Stan's `simplex_constrain`): with K-1 unconstrained values,
/// z_k = inv_logit(y_k - log(K - k)), x_k = z_k (1 - sum_{j<k} x_j) for k < K and x_K the
/// rest; log|J| = sum_k log z_k + log(1 - z_k) + log(1 - sum_{j<k} x_j). Computed in log
/// space: the stick left before k is exp of the exclusive cumulative sum of log(1 - z).
struct StickBreaking: Bijector {
    func unconstrainedSize(_ type: IRType) -> Size { type.shape.count - Size(1) }

    /// log(K - k) for k = 1..K-1.
    private func offsets(_ e: Emitter, _ k: Size) -> Value {
        let ks = e.range(Size(1), k - Size(1))
        return e.un(.log, e.sub(e.size(k), ks))
    }

    func constrain(_ e: Emitter, _ y: Value, as type: IRType) -> (x: Value, logJacobian: Value) {
        let k = type.shape.count
        let a = e.sub(y, offsets(e, k))
        let logZ = e.un(.log_inv_logit, a)
        let log1mZ = e.un(.log1m_inv_logit, a)
        let cumulative = e.op(.cumulativeSum, log1mZ)
        let before = e.sub(cumulative, log1mZ)
        let head = e.un(.exp, e.add(before, logZ))
        let last = e.fill(e.un(.exp, e.sum(log1mZ)), .vector(Size(1)))
        let x = e.op(.concat, head, last)
        return (x, e.sum(e.add(e.add(logZ, log1mZ), before)))
    }

    func unconstrain(_ e: Emitter, _ x: Value) -> Value {
        let k = e.type(x).shape.count
        let head = e.op(.at, x, e.range(Size(1), k - Size(1)))
        let stick = e.sub(e.c(1), e.sub(e.op(.cumulativeSum, head), head))
        return e.add(e.un(.logit, e.div(head, stick)), offsets(e, k))
    }
}
