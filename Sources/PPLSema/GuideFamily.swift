/// The variational families a `guide` block can name, and the keys each accepts.
public enum GuideFamily: String, CaseIterable, Sendable {
    case meanfield, fullrank, planar, radial, nice, realnvp, maf, iaf, hvi

    /// The family's own keys, besides the fitting options every guide takes.
    public var keys: [FitOptions.Key] {
        switch self {
        case .meanfield, .fullrank: return []
        case .planar, .radial: return [.layers, .base]
        case .nice, .realnvp, .maf, .iaf: return [.layers, .hidden, .activation, .base]
        case .hvi: return [.transitions, .leapfrog, .base, .step_size, .hidden]
        }
    }

    public var allKeys: [FitOptions.Key] { keys + FitOptions.Key.fitting }

    /// The families a block of this family may name as its `base`: a flow bends a Gaussian.
    public var bases: [GuideFamily] {
        self == .hvi ? GuideFamily.allCases.filter { $0 != .hvi } : [.meanfield, .fullrank]
    }
}
