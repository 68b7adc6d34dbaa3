import PPLEngine
import PPLIR
import PPLSema

/// A checked model with its data: transformed data computed, bounds checked, and the
/// programs over the unconstrained space ready to compile.
public final class ModelRuntime {
    public let model: CheckedModel
    /// Data and transformed data, by name.
    public let values: [String: Tensor]
    public let programs: DerivedPrograms
    public var space: UnconstrainedDensity { programs.unconstrained }
    public let dimension: Int

    public init(model: CheckedModel, data: [String: Tensor], dataFile: String = "the data") throws {
        self.model = model
        var values = data
        let td = try Executable(model.transformedData, varying: [], data: data)
        for name in model.transformedData.outputNames {
            values[name] = Tensor(vector: Array(td.output(name)))
        }
        try DataLoader.checkBounds(values, model: model, file: dataFile)
        self.values = values
        programs = DerivedPrograms(model: model)
        var ints: [String: Int] = [:]
        for (k, v) in values where v.count == 1 { ints[k] = Int(exactly: v.values[0]) }
        let size = programs.unconstrained.dimension
        guard let d = size.evaluate({ ints[$0] }) else {
            throw DataError(message: "the unconstrained dimension \(size) is not known from the data")
        }
        dimension = d
    }

    public func gradientProgram() throws -> Program { try programs.gradient() }
    public func hessianVectorProgram() throws -> Program { try programs.hessianVector() }

    /// Compiles a program over θ (and, for Hessian-vector products, its tangent).
    public func executable(_ p: Program, batch: Int = 1) throws -> Executable {
        let varying = Set(p.inputs.filter { $0.role == .param }.map(\.name))
        return try Executable(p, varying: varying, data: values, batch: batch)
    }
}
