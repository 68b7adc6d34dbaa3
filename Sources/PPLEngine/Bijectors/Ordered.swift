import PPLIR

/// Ordered vector (Stan's `ordered_constrain`): x_1 = y_1, x_k = x_{k-1} + exp(y_k);
/// log|J| = sum_{k≥2} y_k.
struct Ordered: Bijector {
    func unconstrainedSize(_ type: IRType) -> Size { type.shape.count }

    func constrain(_ e: Emitter, _ y: Value, as type: IRType) -> (x: Value, logJacobian: Value) {
        let k = type.shape.count
        let first = e.op(.at, y, e.range(Size(1), Size(1)))
        let rest = e.op(.at, y, e.range(Size(2), k))
        let steps = e.op(.concat, first, e.un(.exp, rest))
        return (e.op(.cumulativeSum, steps), e.sum(rest))
    }

    func unconstrain(_ e: Emitter, _ x: Value) -> Value {
        let k = e.type(x).shape.count
        let first = e.op(.at, x, e.range(Size(1), Size(1)))
        let gaps = e.sub(e.op(.at, x, e.range(Size(2), k)), e.op(.at, x, e.range(Size(1), k - Size(1))))
        return e.op(.concat, first, e.un(.log, gaps))
    }
}
