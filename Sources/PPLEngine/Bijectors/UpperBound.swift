import PPLIR

/// x = upper - exp(y), log|J| = sum(y) (Stan's `ub_constrain`).
struct UpperBound: Bijector {
    let upper: Value
    func unconstrainedSize(_ type: IRType) -> Size { type.shape.count }
    func constrain(_ e: Emitter, _ y: Value, as type: IRType) -> (x: Value, logJacobian: Value) {
        (e.sub(upper, e.un(.exp, y)), e.sum(y))
    }
    func unconstrain(_ e: Emitter, _ x: Value) -> Value { e.un(.log, e.sub(upper, x)) }
}
