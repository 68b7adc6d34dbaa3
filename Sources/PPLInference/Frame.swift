import Foundation
import PPLEngine
import PPLIR
import PPLSema

/// The affine frame a guide is fitted in: z = m + P z̃. From the mode m of the log density
/// and the Cholesky factor L of its negative Hessian there (H = L Lᵀ), P = L⁻ᵀ, so that the
/// posterior of z̃ is close to N(0, I) (the Laplace approximation): whatever the scales and
/// correlations of the parameters — predictors on scales from 1 to 10⁴, two dozen correlated
/// coefficients — every family then fits a posterior of unit scale, from the mode. Without a
/// usable mode the frame is only a shift (P = I), which multiple runs use to start apart.
///
/// The guide's density over z̃ is log q(z̃) and the target's is
/// log p(m + P z̃) + log|det P|, so their difference, the importance log-weight, is that of
/// z itself: every diagnostic reads the same.
public struct Frame: Sendable {
    public let location: [Double]
    /// L, lower-triangular, row-major (d × d); nil for a shift alone.
    public let curvatureFactor: [Double]?

    public init(location: [Double], curvatureFactor: [Double]?) {
        self.location = location
        self.curvatureFactor = curvatureFactor
    }

    public var dimension: Int { location.count }

    /// log|det ∂z/∂z̃| = −Σ log L_ii.
    public var logDeterminant: Double {
        guard let l = curvatureFactor else { return 0 }
        let d = dimension
        return -(0..<d).reduce(0) { $0 + log(l[$1 * d + $1]) }
    }

    /// The frame's arrays, bound as data of the programs that read them.
    public var constants: [String: Tensor] {
        var out = ["frame.location": Tensor(vector: location)]
        if let l = curvatureFactor { out["frame.factor"] = Tensor(shape: [dimension, dimension], values: l) }
        return out
    }

    /// z = m + L⁻ᵀ z̃ for a z̃ given as numbers (back substitution with Lᵀ).
    public func place(_ tilde: [Double]) -> [Double] {
        let d = dimension
        var y = tilde
        if let l = curvatureFactor {
            for i in stride(from: d - 1, through: 0, by: -1) {
                for k in (i + 1)..<max(i + 1, d) { y[i] -= l[k * d + i] * y[k] }
                y[i] /= l[i * d + i]
            }
        }
        return zip(location, y).map { $0 + $1 }
    }

    /// z from z̃, in the program `e` builds; `inputs` are the frame's inputs there.
    func place(_ e: Emitter, _ tilde: Value, inputs: [String: Value]) -> Value {
        let shifted = curvatureFactor == nil ? tilde : e.op(.triSolveLowerT, inputs["frame.factor"]!, tilde)
        return e.add(inputs["frame.location"]!, shifted)
    }

    /// The log density over z̃, log p(m + P z̃) + log|det P|, from the density over z
    /// (input `theta`, output `target`): a program with input `theta` (now z̃) and the
    /// frame's arrays as data inputs, whose other inputs keep their values.
    public func apply(to density: Program) -> Program {
        let b = Builder(types: density.types)
        let e = Emitter(b)
        let d = dimension
        var inputs = density.inputs.filter { $0.name != "theta" }
        var values: [String: Value] = [:]
        for (name, t) in constants.sorted(by: { $0.key < $1.key }) {
            let type: IRType = t.shape.count == 2 ? .matrix(Size(d), Size(d)) : .vector(Size(d))
            let v = b.inputValue(type)
            values[name] = v
            inputs.append(Input(name: name, value: v, role: .data, type: type, constraint: .none))
        }
        let tilde = b.inputValue(.vector(Size(d)))
        inputs.append(Input(name: "theta", value: tilde, role: .param, type: .vector(Size(d)), constraint: .none))
        let theta = density.inputs.first { $0.name == "theta" }!.value
        let outputs = b.inline(density.body, types: density.types, mapping: [theta: place(e, tilde, inputs: values)])
        // A rank's part of a sharded density counts it 1/R times, as its other terms free of the rows.
        let weight = density.inputs.first { $0.name == MinibatchedDensity.weightInput }?.value
        let target = e.add(outputs[density.outputNames.firstIndex(of: "target")!],
                           weight.map { e.mul(e.c(logDeterminant), $0) } ?? e.c(logDeterminant))
        let (instrs, types) = b.finish()
        return Program(name: density.name, inputs: inputs, body: Block(instrs: instrs, yields: [target]),
                       outputNames: ["target"], types: types)
    }
}
