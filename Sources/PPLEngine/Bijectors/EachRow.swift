import PPLIR

/// An array of constrained vectors (`array[N] simplex[K]`, held as a matrix with one element
/// per row) through the vector's bijector, row by row: the unconstrained values of the rows
/// end to end, and log|J| the sum of the rows'. A vector goes through the bijector as it is.
struct EachRow: Bijector {
    let inner: Bijector

    func unconstrainedSize(_ type: IRType) -> Size {
        guard case .matrix(let r, let c) = type.shape else { return inner.unconstrainedSize(type) }
        return r * inner.unconstrainedSize(.vector(c))
    }

    /// The int range of row `r`'s `n` values in a vector of rows laid end to end.
    private func segment(_ e: Emitter, _ r: Value, _ n: Size) -> Value {
        let start = e.add(e.mul(e.sub(r, e.int(1)), e.size(n)), e.int(1))
        let end = e.add(start, e.sub(e.size(n), e.int(1)))
        return e.b.append(.range, [start, end], type: .intArray(n))
    }

    func constrain(_ e: Emitter, _ y: Value, as type: IRType) -> (x: Value, logJacobian: Value) {
        guard case .matrix(let rows, let k) = type.shape else { return inner.constrain(e, y, as: type) }
        let b = e.b
        let n = inner.unconstrainedSize(.vector(k))
        let start = [e.zeros(type), e.c(0)]
        let p = b.beginBlock(params: [.int, type, .real])
        let (row, logJ) = inner.constrain(e, e.op(.at, y, segment(e, p[0], n)), as: .vector(k))
        let body = b.endBlock(params: p, yields: [e.op(.set, p[1], p[0], row), e.add(p[2], logJ)])
        let r = b.appendRegion(.loop, [e.int(1), e.size(rows)] + start, regions: [body], resultTypes: [type, .real])
        return (r[0], r[1])
    }

    func unconstrain(_ e: Emitter, _ x: Value) -> Value {
        let type = e.type(x)
        guard case .matrix(let rows, let k) = type.shape else { return inner.unconstrain(e, x) }
        let b = e.b
        let n = inner.unconstrainedSize(.vector(k))
        let flat = IRType.vector(rows * n)
        let p = b.beginBlock(params: [.int, flat])
        let row = inner.unconstrain(e, e.op(.at, x, p[0]))
        let body = b.endBlock(params: p, yields: [e.op(.set, p[1], segment(e, p[0], n), row)])
        return b.appendRegion(.loop, [e.int(1), e.size(rows), e.zeros(flat)], regions: [body], resultTypes: [flat])[0]
    }
}
