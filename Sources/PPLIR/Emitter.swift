/// Small helpers for writing IR by hand (derivative rules, bijectors): `e.mul(g, x)`
/// appends an instruction and returns its value. Shapes follow the IR's broadcasting rules;
/// an ill-typed instruction here is a bug in ppl, not in a model.
public struct Emitter {
    public let b: Builder
    public init(_ b: Builder) { self.b = b }

    public func type(_ v: Value) -> IRType { b.type(of: v) }
    public func c(_ x: Double) -> Value { b.constant(x) }
    public func int(_ x: Int) -> Value { b.constant(Double(x), .int) }
    /// `range(lo, hi)` with symbolic bounds.
    public func range(_ lo: Size, _ hi: Size) -> Value {
        b.append(.range, [lo.constant.map(int) ?? size(lo), hi.constant.map(int) ?? size(hi)], type: .intArray(hi - lo + Size(1)))
    }
    public func op(_ o: Op, _ args: Value...) -> Value { op(o, args) }
    public func op(_ o: Op, _ args: [Value]) -> Value {
        do { return try b.emit(o, args) } catch {
            preconditionFailure("derivative rule built an ill-typed \(o.mnemonic): \(error.message)")
        }
    }
    public func un(_ f: UnaryFn, _ x: Value) -> Value { op(.unary(f), x) }
    public func bin(_ f: BinaryFn, _ x: Value, _ y: Value) -> Value { op(.binary(f), x, y) }
    public func add(_ x: Value, _ y: Value) -> Value { bin(.add, x, y) }
    public func sub(_ x: Value, _ y: Value) -> Value { bin(.sub, x, y) }
    public func mul(_ x: Value, _ y: Value) -> Value { bin(.mul, x, y) }
    public func div(_ x: Value, _ y: Value) -> Value { bin(.div, x, y) }
    public func neg(_ x: Value) -> Value { un(.neg, x) }
    public func select(_ c: Value, _ x: Value, _ y: Value) -> Value { op(.select, c, x, y) }
    public func sum(_ x: Value) -> Value { type(x).isScalar ? x : op(.sum, x) }
    public func transpose(_ x: Value) -> Value { type(x).isScalar ? x : op(.transpose, x) }
    public func matmul(_ x: Value, _ y: Value) -> Value { op(.matmul, x, y) }
    public func fill(_ x: Value, _ t: IRType) -> Value {
        t.isScalar ? x : b.append(.fill, [x], type: IRType(.real, t.shape))
    }
    public func zeros(_ t: IRType) -> Value { fill(c(0), t) }
    public func size(_ s: Size) -> Value { b.append(.size(s), [], type: .int) }

    /// A contribution shaped for a value of type `t`: summed where it was broadcast from a
    /// scalar, repeated where a scalar stands for a container.
    public func fit(_ v: Value, to t: IRType) -> Value {
        let vt = type(v)
        if vt.shape.rank == t.shape.rank { return v }
        if t.isScalar { return sum(v) }
        if vt.isScalar { return fill(v, t) }
        return v
    }
}
