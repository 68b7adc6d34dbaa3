import PPLIR

/// x = lower + exp(y), log|J| = sum(y) (Stan's `lb_constrain`).
struct LowerBound: Bijector {
    let lower: Value
    func unconstrainedSize(_ type: IRType) -> Size { type.shape.count }
    func constrain(_ e: Emitter, _ y: Value, as type: IRType) -> (x: Value, logJacobian: Value) {
        (e.add(lower, e.un(.exp, y)), e.sum(y))
    }
    func unconstrain(_ e: Emitter, _ x: Value) -> Value { e.un(.log, e.sub(x, lower)) }
}
