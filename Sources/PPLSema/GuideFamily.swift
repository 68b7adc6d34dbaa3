/// The variational families a `guide` block can name, and the keys each accepts.
public enum GuideFamily: String, CaseIterable, Sendable {
    case meanfield, fullrank, planar, radial, nice, realnvp, maf, iaf, hvi

    /// Keys usable in a block of this family, besides the fitting keys every guide takes.
    public var keys: [GuideKey] {
        switch self {
        case .meanfield, .fullrank: return []
        case .planar, .radial: return [.layers, .base]
        case .nice, .realnvp, .maf, .iaf: return [.layers, .hidden, .activation, .base]
        case .hvi: return [.transitions, .leapfrog, .base, .step_size, .hidden]
        }
    }

    public var allKeys: [GuideKey] { keys + GuideKey.fittingKeys }

    /// The families a block of this family may name as its `base`: a flow bends a Gaussian.
    public var bases: [GuideFamily] {
        self == .hvi ? GuideFamily.allCases.filter { $0 != .hvi } : [.meanfield, .fullrank]
    }
}

public enum GuideKey: String, CaseIterable, Sendable {
    case layers, hidden, activation, transitions, leapfrog, base, step_size
    case steps, lr, samples, seed

    public static let fittingKeys: [GuideKey] = [.steps, .lr, .samples, .seed]

    public static let activations = ["tanh", "relu", "elu", "softplus", "sigmoid", "leaky_relu"]

    /// What the value must be, for the error message.
    public var expected: String {
        switch self {
        case .layers, .transitions, .steps, .samples: return "a positive integer"
        case .leapfrog: return "a non-negative integer"
        case .seed: return "a non-negative integer"
        case .hidden: return "a list of positive integers, e.g. [32, 32]"
        case .activation: return "one of " + GuideKey.activations.joined(separator: ", ")
        case .base: return "a guide family"
        case .step_size, .lr: return "a positive number"
        }
    }
}
