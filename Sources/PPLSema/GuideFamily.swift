/// The variational families a `guide` block can name, and the keys each accepts.
public enum GuideFamily: String, CaseIterable, Sendable {
    case meanfield, fullrank, lowrank, planar, radial, nice, realnvp, maf, iaf, hvi

    /// The family's own keys, besides the fitting options every guide takes.
    public var keys: [FitOptions.Key] {
        switch self {
        case .meanfield, .fullrank: return []
        case .lowrank: return [.rank]
        case .planar, .radial: return [.layers, .base]
        case .nice, .realnvp, .maf, .iaf: return [.layers, .hidden, .activation, .base]
        case .hvi: return [.transitions, .leapfrog, .base, .step_size, .hidden]
        }
    }

    public var allKeys: [FitOptions.Key] { keys + FitOptions.Key.fitting }

    /// The families a block of this family may name as its `base`: a flow bends a Gaussian;
    /// HVI's dynamics run in the latent space of a base whose draw is an invertible map of d
    /// standard normals.
    public var bases: [GuideFamily] {
        self == .hvi ? GuideFamily.allCases.filter(\.isInvertibleDraw) : [.meanfield, .fullrank]
    }

    /// Whether a draw is an invertible map of d standard normals, z = f(ε), with φ fitted by
    /// optimisation: not low-rank (d + r normals), nor HVI (its momenta too).
    public var isInvertibleDraw: Bool {
        switch self {
        case .meanfield, .fullrank, .planar, .radial, .nice, .realnvp, .maf, .iaf: return true
        case .lowrank, .hvi: return false
        }
    }
}
