import PPLDiff
import PPLEngine
import PPLIR
import PPLSema

/// The programs derived from a model without its data: the density over the
/// unconstrained space, its gradient and its Hessian-vector product.
public struct DerivedPrograms {
    public let unconstrained: UnconstrainedDensity
    public let gradient: Program
    public let hessianVector: Program

    public init(model: CheckedModel) throws {
        unconstrained = UnconstrainedDensity(logDensity: model.logDensity)
        gradient = try Differentiator.gradient(unconstrained.density, wrt: ["theta"])
        hessianVector = try Differentiator.hessianVectorProduct(unconstrained.density, wrt: ["theta"])
    }
}
