import PPLIR

/// x = offset + multiplier y, log|J| = Σ log(multiplier) over the elements (Stan's
/// `offset_multiplier_constrain`; the multiplier is positive). Offset and multiplier may be
/// scalars or of the param's shape, and may depend on other params: a non-centred
/// parameterisation written as a type.
struct OffsetMultiplier: Bijector {
    let offset: Value, multiplier: Value
    func unconstrainedSize(_ type: IRType) -> Size { type.shape.count }
    func constrain(_ e: Emitter, _ y: Value, as type: IRType) -> (x: Value, logJacobian: Value) {
        (e.add(offset, e.mul(multiplier, y)), e.sum(e.fit(e.un(.log, multiplier), to: e.type(y))))
    }
    func unconstrain(_ e: Emitter, _ x: Value) -> Value { e.div(e.sub(x, offset), multiplier) }
}
