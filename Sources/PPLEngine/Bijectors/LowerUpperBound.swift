import PPLIR

/// x = lower + (upper - lower) inv_logit(y),
/// log|J| = sum(log(upper - lower) + log_inv_logit(y) + log1m_inv_logit(y)) (Stan's `lub_constrain`).
struct LowerUpperBound: Bijector {
    let lower: Value, upper: Value
    func unconstrainedSize(_ type: IRType) -> Size { type.shape.count }
    func constrain(_ e: Emitter, _ y: Value, as type: IRType) -> (x: Value, logJacobian: Value) {
        let width = e.sub(upper, lower)
        let x = e.add(lower, e.mul(width, e.un(.inv_logit, y)))
        let perElement = e.add(e.un(.log, width), e.add(e.un(.log_inv_logit, y), e.un(.log1m_inv_logit, y)))
        return (x, e.sum(perElement))
    }
    func unconstrain(_ e: Emitter, _ x: Value) -> Value {
        e.un(.logit, e.div(e.sub(x, lower), e.sub(upper, lower)))
    }
}
