/// The variational families a `guide` block can name, and the keys each accepts.
public enum GuideFamily: String, CaseIterable, Sendable {
    case meanfield, fullrank, lowrank, laplace, map, svgd, planar, radial, nice, realnvp, maf, iaf, hvi, amortized, mixture

    /// The family's own keys, besides the fitting options every guide takes.
    public var keys: [FitOptions.Key] {
        switch self {
        case .meanfield, .fullrank: return [.point, .gradient]
        case .laplace, .map: return []
        case .lowrank: return [.rank, .point]
        case .svgd: return [.particles]
        case .planar, .radial: return [.layers, .base, .point]
        case .nice, .realnvp, .maf, .iaf: return [.layers, .hidden, .activation, .base, .point]
        case .hvi: return [.transitions, .leapfrog, .base, .step_size, .hidden, .anneal]
        case .amortized: return [.local, .input, .hidden, .activation, .base, .point, .refine]
        case .mixture: return [.components, .of]
        }
    }

    public var allKeys: [FitOptions.Key] { keys + fittingKeys }

    /// The fitting options the family takes: all of them for a family fitted by
    /// optimisation; those of the draws for one placed at the posterior mode, which has no
    /// steps, runs or frame to choose (a point's draws are all equal: not even a seed); those
    /// of the particles' moves for SVGD, whose particles are its draws.
    public var fittingKeys: [FitOptions.Key] {
        switch self {
        case .laplace: return [.seed, .draws, .psis_resample]
        case .map: return [.draws]
        case .svgd: return [.steps, .lr, .seed, .precondition]
        case .meanfield, .fullrank, .lowrank, .planar, .radial, .nice, .realnvp, .maf, .iaf, .amortized:
            return FitOptions.Key.fitting
        // Its bound is an expectation over the components, not a log weight: the ELBO only.
        case .mixture: return FitOptions.Key.fitting.filter { $0 != .objective && $0 != .alpha }
        // Its leapfrog steps follow the density's gradient, which a batch's would make noisy.
        case .hvi: return FitOptions.Key.fitting.filter { $0 != .minibatch && $0 != .epochs }
        }
    }

    /// Whether the guide is placed at the posterior mode found by Newton's method rather than
    /// fitted by stochastic optimisation of the ELBO.
    public var isPlacedAtMode: Bool {
        switch self {
        case .laplace, .map: return true
        case .meanfield, .fullrank, .lowrank, .svgd, .planar, .radial, .nice, .realnvp, .maf, .iaf, .hvi, .amortized, .mixture:
            return false
        }
    }

    /// Whether the guide is a set of particles moved by Stein variational gradient descent
    /// rather than a distribution fitted to the ELBO.
    public var isParticles: Bool {
        switch self {
        case .svgd: return true
        case .meanfield, .fullrank, .lowrank, .laplace, .map, .planar, .radial, .nice, .realnvp, .maf, .iaf, .hvi, .amortized,
             .mixture:
            return false
        }
    }

    /// Whether the guide has a density, so that importance weights p(z)/q(z) — Pareto k̂, the
    /// estimate of log p(data), PSIS resampling — mean something: not for a point, nor for
    /// particles.
    public var hasDensity: Bool {
        switch self {
        case .map, .svgd: return false
        case .meanfield, .fullrank, .lowrank, .laplace, .planar, .radial, .nice, .realnvp, .maf, .iaf, .hvi, .amortized, .mixture:
            return true
        }
    }

    /// The families a block of this family may name as its `base`: a flow bends a Gaussian;
    /// HVI's dynamics run in the latent space of a base whose draw is an invertible map of d
    /// standard normals; an amortized guide's base is the Gaussian of the params other than
    /// the local one.
    public var bases: [GuideFamily] {
        self == .hvi ? GuideFamily.allCases.filter(\.isInvertibleDraw) : [.meanfield, .fullrank]
    }

    /// The families a mixture's components may be: Gaussians, whose density at any point
    /// (another component's draw) is in closed form.
    public static let mixtureComponents: [GuideFamily] = [.meanfield, .fullrank]

    /// Whether a draw is an invertible map of d standard normals, z = f(ε), with φ fitted by
    /// optimisation: not low-rank (d + r normals), nor HVI (its momenta too), nor the guides
    /// placed at the mode, nor particles.
    public var isInvertibleDraw: Bool {
        switch self {
        case .meanfield, .fullrank, .planar, .radial, .nice, .realnvp, .maf, .iaf: return true
        case .lowrank, .laplace, .map, .svgd, .hvi, .amortized, .mixture: return false
        }
    }
}
