import PPLIR

/// Positive ordered vector (Stan's `positive_ordered_constrain`): x = cumulative_sum(exp(y));
/// log|J| = sum(y).
struct PositiveOrdered: Bijector {
    func unconstrainedSize(_ type: IRType) -> Size { type.shape.count }

    func constrain(_ e: Emitter, _ y: Value, as type: IRType) -> (x: Value, logJacobian: Value) {
        (e.op(.cumulativeSum, e.un(.exp, y)), e.sum(y))
    }

    func unconstrain(_ e: Emitter, _ x: Value) -> Value {
        let k = e.type(x).shape.count
        let first = e.op(.at, x, e.range(Size(1), Size(1)))
        let gaps = e.sub(e.op(.at, x, e.range(Size(2), k)), e.op(.at, x, e.range(Size(1), k - Size(1))))
        return e.un(.log, e.op(.concat, first, gaps))
    }
}
