import Foundation
import PPLEngine
import PPLIR
import PPLSema

/// A variational family over the flattened unconstrained vector z (length d), written as
/// IR (like NumPyro's `AutoContinuous`): parameters φ (a flat vector), a reparameterised
/// draw z = T(ε; φ) from standard-normal noise ε, and log q(z).
public protocol VariationalFamily {
    var family: GuideFamily { get }
    func parameterCount(_ d: Int) -> Int
    /// φ at the start of a fit: close to a narrow standard normal around z = 0.
    func initialParameters(_ d: Int) -> [Double]
    /// z and log q(z). `densityPhi` is φ for log q's own dependence on the parameters:
    /// φ itself, or φ with its gradient stopped (the sticking-the-landing estimator).
    /// `target`, the model's density, is read by a family whose draw moves along it (HVI).
    /// For a family with auxiliary variables, log q is that of everything it drew minus its
    /// reverse model's, so log p(z) − log q is still an importance log-weight.
    func sample(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value],
                target: TargetDensity) throws -> (z: Value, logq: Value)
    /// ε from z: the inverse of the draw map, where the family has one in closed form or as
    /// a sequence of passes; nil for planar flows, whose inverse needs root-finding.
    func inverse(_ e: Emitter, phi: Value, z: Value, d: Int, constants: [String: Value]) -> Value?
    /// Fixed arrays the family's IR reads (masks of autoregressive networks): name → value.
    func constants(_ d: Int) -> [String: Tensor]
    /// Steps the fit explores before its convergence test may end exploration.
    var minimumExploration: Int { get }
    /// Standard-normal draws per particle: d for a family that bends one draw into z; more
    /// for one that also draws auxiliary variables (HVI's momenta).
    func noiseCount(_ d: Int) -> Int
    /// The family this one refines (HVI its base): a fit that starts afresh fits it first,
    /// then starts this family from `initialParameters(_:refining:)`. nil for the others.
    var refines: VariationalFamily? { get }
    /// φ at the start of a fit, given the fitted φ of the family this one refines.
    func initialParameters(_ d: Int, refining fitted: [Double]) -> [Double]
    /// For a family whose ELBO estimate is not log p(z) − log q(z) of its one draw (a
    /// mixture's expectation over its components, `Mixture`): the draw the diagnostics read
    /// with its log q and log p, and the estimate the fit maximises. nil for the others.
    func expectedLogWeight(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value],
                           target: TargetDensity) throws -> (z: Value, logq: Value, logp: Value, estimate: Value)?
    /// φ with draws that move less far, for a fit whose steps keep diverging (HVI: every
    /// leapfrog step size halved); nil for a family whose draw has nothing to shorten.
    func steadied(_ phi: [Double], d: Int) -> [Double]?
}

extension VariationalFamily {
    public func constants(_ d: Int) -> [String: Tensor] { [:] }
    public func inverse(_ e: Emitter, phi: Value, z: Value, d: Int, constants: [String: Value]) -> Value? { nil }
    public var minimumExploration: Int { 500 }
    public func noiseCount(_ d: Int) -> Int { d }
    public var refines: VariationalFamily? { nil }
    public func initialParameters(_ d: Int, refining fitted: [Double]) -> [Double] { initialParameters(d) }
    public func steadied(_ phi: [Double], d: Int) -> [Double]? { nil }
    public func expectedLogWeight(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value],
                                  target: TargetDensity) throws -> (z: Value, logq: Value, logp: Value, estimate: Value)? { nil }
}

/// A family whose draw is a map of its noise alone, z = T(ε; φ): every family but HVI.
public protocol NoiseMapFamily: VariationalFamily {
    func sample(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value]) -> (z: Value, logq: Value)
}

extension NoiseMapFamily {
    public func sample(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value],
                       target: TargetDensity) -> (z: Value, logq: Value) {
        sample(e, phi: phi, densityPhi: densityPhi, eps: eps, d: d, constants: constants)
    }
}

/// The flows: networks with many parameters, fitted at a smaller step size (the options
/// table's `lr`) and for longer. On banana and funnel their ELBO keeps improving for
/// ~10,000 steps at lr 0.01 by less per window than its noise, so the convergence test
/// alone stops them early (measured: sd(z2) 1.19 after 3,000 steps vs 1.36 after 20,000
/// with RealNVP).
public protocol NormalizingFlow: NoiseMapFamily {}

extension NormalizingFlow {
    public var minimumExploration: Int { 10_000 }
}

/// The family table: one line per family.
public enum Families {
    public static func make(_ options: FitOptions) -> VariationalFamily {
        switch options.family {
        case .meanfield: return MeanField()
        case .fullrank: return FullRank()
        case .lowrank: return LowRank(options)
        case .laplace: return Laplace()
        case .map: return MaximumAPosteriori()
        case .svgd: return SteinVariationalGradientDescent(options)
        case .iaf: return InverseAutoregressiveFlow(options)
        case .maf: return MaskedAutoregressiveFlow(options)
        case .realnvp: return RealNVP(options)
        case .nice: return NICE(options)
        case .planar: return PlanarFlow(options: options)
        case .radial: return RadialFlow(options: options)
        case .hvi: return HamiltonianVI(options)
        case .mixture: return Mixture(options)
        // The family of the params other than the local one, which the session wraps
        // (`LocalLatents`) once it knows the local param's rows and the encoder's input.
        case .amortized: return make(FitOptions(family: options.base, under: options))
        }
    }
}

/// Slices of φ, written once for every family.
extension Emitter {
    /// φ[offset+1 ... offset+n] as a vector.
    func segment(_ phi: Value, _ offset: Int, _ n: Int) -> Value {
        op(.at, phi, range(Size(offset + 1), Size(offset + n)))
    }

    /// The standard-normal log density of a vector, summed: -½ x·x - (n/2) log 2π.
    func standardNormalLogDensity(_ x: Value, _ n: Int) -> Value {
        sub(mul(c(-0.5), op(.dot, x, x)), c(0.5 * Double(n) * log(2 * Double.pi)))
    }
}


