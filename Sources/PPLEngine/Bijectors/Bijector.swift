import PPLIR

/// A constraining transform from an unconstrained vector to a param's space, written as IR
/// so the differentiator sees through it (Stan Math's `*_constrain` / `*_free`; Bijectors.jl's
/// `with_logabsdet_jacobian`). `constrain` returns the constrained value and
/// log|det J| of the map; `unconstrain` is its inverse.
public protocol Bijector {
    /// Length of the unconstrained representation of a value of `type`.
    func unconstrainedSize(_ type: IRType) -> Size
    func constrain(_ e: Emitter, _ y: Value, as type: IRType) -> (x: Value, logJacobian: Value)
    func unconstrain(_ e: Emitter, _ x: Value) -> Value
}

public enum Bijectors {
    /// The bijector of a declared constraint; `bound` gives the IR value of a bound.
    public static func of(_ c: Constraint, bound: (BoundValue) -> Value) -> Bijector {
        switch c {
        case .none: return IdentityBijector()
        case .lower(let l): return LowerBound(lower: bound(l))
        case .upper(let u): return UpperBound(upper: bound(u))
        case .lowerUpper(let l, let u): return LowerUpperBound(lower: bound(l), upper: bound(u))
        case .affine(let o, let m): return OffsetMultiplier(offset: bound(o), multiplier: bound(m))
        case .simplex: return StickBreaking()
        case .ordered: return Ordered()
        case .positiveOrdered: return PositiveOrdered()
        case .choleskyFactorCorr: return CholeskyFactorCorr()
        case .choleskyFactorCov: return CholeskyFactorCov()
        case .corrMatrix: return CorrMatrix()
        case .covMatrix: return CovMatrix()
        }
    }
}

/// No constraint: x = y.
struct IdentityBijector: Bijector {
    func unconstrainedSize(_ type: IRType) -> Size { type.shape.count }
    func constrain(_ e: Emitter, _ y: Value, as type: IRType) -> (x: Value, logJacobian: Value) { (y, e.c(0)) }
    func unconstrain(_ e: Emitter, _ x: Value) -> Value { x }
}
