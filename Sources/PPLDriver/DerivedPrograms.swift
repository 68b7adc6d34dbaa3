import PPLDiff
import PPLEngine
import PPLIR
import PPLSema

/// The programs derived from a model's log density without its data: the density over the
/// unconstrained space, and on demand its gradient and Hessian-vector product.
public struct DerivedPrograms {
    public let unconstrained: UnconstrainedDensity
    /// The log density over the constrained params: the model's, or a rank's part of it.
    public let logDensity: Program
    /// For a rank's part: the log-Jacobians count `shard.weight` = 1/R times, as the rest of
    /// the terms not over the rows.
    let jacobianWeight: (params: Set<String>, scale: String)?

    public init(model: CheckedModel) {
        self.init(model, logDensity: model.logDensity, jacobianWeight: nil)
    }

    /// The programs of this rank's part of the density of a fit sharded by `shard`
    /// (`MinibatchedDensity.init(model:size:gathering:shard:)`).
    public init(model: CheckedModel, shard: Shard) throws(PPLError) {
        let part = try PPLError.during(.user) {
            try MinibatchedDensity(model: model, size: shard.size, gathering: false, shard: true).program
        }
        self.init(model, logDensity: part, jacobianWeight: (Set(model.params.map(\.name)), MinibatchedDensity.weightInput))
    }

    private init(_ model: CheckedModel, logDensity: Program, jacobianWeight: (params: Set<String>, scale: String)?) {
        self.logDensity = logDensity
        self.jacobianWeight = jacobianWeight
        paramBounds = model.paramBounds
        unconstrained = UnconstrainedDensity(logDensity: logDensity, paramBounds: model.paramBounds,
                                             scaledJacobians: jacobianWeight)
    }

    private let paramBounds: Program

    /// The density over the unconstrained space with the params `points` as point estimates.
    public func unconstrained(pointEstimates points: Set<String>) -> UnconstrainedDensity {
        points.isEmpty ? unconstrained
            : UnconstrainedDensity(logDensity: logDensity, paramBounds: paramBounds, pointEstimates: points,
                                   scaledJacobians: jacobianWeight)
    }

    public func gradient() throws(PPLError) -> Program {
        try PPLError.during(.computation) { try Differentiator.gradient(unconstrained.density, wrt: ["theta"]) }
    }

    public func hessianVector() throws(PPLError) -> Program {
        try PPLError.during(.computation) { try Differentiator.hessianVectorProduct(unconstrained.density, wrt: ["theta"]) }
    }
}
