import PPLIR

/// The model's unconstrained log density as something a guide can evaluate inside its own
/// IR: each call inlines the density program at a point z of the program being built (whose
/// other inputs, the data, are the density's own input values).
public struct TargetDensity {
    /// log p(θ), with input `theta` and output `target`.
    public let density: Program

    public init(density: Program) { self.density = density }

    /// log p(z), inlined into `b`.
    public func logDensity(_ b: Builder, at z: Value) -> Value {
        let theta = density.inputs.first { $0.name == "theta" }!.value
        let outputs = b.inline(density.body, types: density.types, mapping: [theta: z])
        return outputs[density.outputNames.firstIndex(of: "target")!]
    }

    /// The model's data inputs, for a program that reads the density.
    public var dataInputs: [Input] { density.inputs.filter { $0.name != "theta" } }
}
