import PPLDiff
import PPLEngine
import PPLIR
import PPLSema

/// The evidence lower bound as an IR program: per particle, with ε ~ N(0, I),
/// z = T(ε; φ) and target = log p(z) - log q(z) (Kingma & Welling 2014's
/// reparameterisation). Its gradient with respect to φ comes from the differentiator.
/// With sticking the landing (Roeder et al. 2017) log q's own dependence on φ is cut,
/// leaving the path derivative, whose variance vanishes as q approaches the posterior.
/// For a family with auxiliary variables (HVI), log q is the log density of everything it
/// drew minus its reverse model's, so target is the augmented bound and exp(target) is still
/// an unbiased estimate of p(data).
public struct ELBO {
    /// Outputs `target` (log p - log q), `z`, `logp`, `logq`; inputs the model's data,
    /// `phi` (shared by the particles) and `eps` (one per particle).
    public let program: Program
    /// The same outputs plus `grad.phi`.
    public let gradient: Program
    public let dimension: Int
    /// The family whose draw the program makes.
    public let family: VariationalFamily
    /// Standard-normal draws per particle (the length of `eps`).
    public let noiseCount: Int
    public let parameterCount: Int

    /// With a `frame`, the family draws z̃ and fits the density over it; `z` is m + P z̃.
    /// With `sizes` (the data's int values), the programs are specialised to them.
    public init(density model: Program, family: VariationalFamily, dimension d: Int, stickingTheLanding: Bool,
                frame: Frame? = nil, sizes: [String: Int] = [:]) throws {
        self.family = family
        let density = frame?.apply(to: model) ?? model
        let b = Builder(types: density.types)
        let e = Emitter(b)
        let p = family.parameterCount(d)
        let noise = family.noiseCount(d)
        let phi = b.inputValue(.vector(Size(p)))
        let eps = b.inputValue(.vector(Size(noise)))
        let densityPhi = stickingTheLanding ? e.op(.stopGradient, phi) : phi
        let fixed = family.constants(d)
        let (constantValues, constantInputs) = ELBO.constantInputs(b, fixed)
        let targetDensity = TargetDensity(density: density)
        // The family reads its own constants and, by name, the density's data (an encoder's input).
        let densityInputs = Dictionary(uniqueKeysWithValues: density.inputs.map { ($0.name, $0.value) })
        let (drawn, logq) = try family.sample(e, phi: phi, densityPhi: densityPhi, eps: eps, d: d,
                                              constants: constantValues.merging(densityInputs) { a, _ in a },
                                              target: targetDensity)
        let logp = targetDensity.logDensity(b, at: drawn)
        // A rank's part of a sharded density (`MinibatchedDensity`) counts log q 1/R times, as
        // its other terms free of the rows: the ranks' targets add up to the ELBO's.
        let target = e.sub(logp, densityInputs[MinibatchedDensity.weightInput].map { e.mul(logq, $0) } ?? logq)
        let z = frame?.place(e, drawn, inputs: densityInputs) ?? drawn
        let (instrs, types) = b.finish()
        let inputs = density.inputs.filter { $0.name != "theta" } + constantInputs + [
            Input(name: "phi", value: phi, role: .param, type: .vector(Size(p)), constraint: .none),
            Input(name: "eps", value: eps, role: .param, type: .vector(Size(noise)), constraint: .none),
        ]
        program = Simplify.run(Program(name: "elbo", inputs: inputs,
                                       body: Block(instrs: instrs, yields: [target, z, logp, logq]),
                                       outputNames: ["target", "z", "logp", "logq"], types: types), sizes: sizes)
        gradient = try Differentiator.gradient(program, of: "target", wrt: ["phi"])
        dimension = d
        noiseCount = noise
        parameterCount = p
        constants = fixed.merging(frame?.constants ?? [:]) { a, _ in a }
        self.frame = frame
    }

    /// The frame the guide is fitted in, if any.
    public private(set) var frame: Frame?

    /// The same programs in the frame moved to `location` (its factor kept): they read the
    /// frame's location as data, so only that changes. Independent runs start apart so.
    public func moved(to location: [Double]) -> ELBO {
        guard let frame else { preconditionFailure("only an ELBO with a frame can move it") }
        var copy = self
        copy.frame = Frame(location: location, curvatureFactor: frame.curvatureFactor)
        copy.constants["frame.location"] = Tensor(vector: location)
        return copy
    }

    /// Data inputs, in the program `b` builds, for a family's fixed arrays: name → value, and
    /// the inputs to declare.
    public static func constantInputs(_ b: Builder, _ fixed: [String: Tensor]) -> (values: [String: Value], inputs: [Input]) {
        var values: [String: Value] = [:]
        var inputs: [Input] = []
        for (name, t) in fixed.sorted(by: { $0.key < $1.key }) {
            let type: IRType = t.shape.count == 2 ? .matrix(Size(t.shape[0]), Size(t.shape[1])) : .vector(Size(t.count))
            let v = b.inputValue(type)
            values[name] = v
            inputs.append(Input(name: name, value: v, role: .data, type: type, constraint: .none))
        }
        return (values, inputs)
    }

    /// The family's fixed arrays and the frame's, to bind with the model's data.
    public private(set) var constants: [String: Tensor]

    /// The model's data and the family's constants together.
    public func data(_ model: [String: Tensor]) -> [String: Tensor] {
        model.merging(constants) { a, _ in a }
    }
}
