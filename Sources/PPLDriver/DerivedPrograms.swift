import PPLDiff
import PPLEngine
import PPLIR
import PPLSema

/// The programs derived from a model's log density without its data: the density over the
/// unconstrained space, and on demand its gradient and Hessian-vector product.
public struct DerivedPrograms {
    public let unconstrained: UnconstrainedDensity

    public init(model: CheckedModel) {
        unconstrained = UnconstrainedDensity(logDensity: model.logDensity, paramBounds: model.paramBounds)
    }

    public func gradient() throws(PPLError) -> Program {
        try PPLError.during(.computation) { try Differentiator.gradient(unconstrained.density, wrt: ["theta"]) }
    }

    public func hessianVector() throws(PPLError) -> Program {
        try PPLError.during(.computation) { try Differentiator.hessianVectorProduct(unconstrained.density, wrt: ["theta"]) }
    }
}
