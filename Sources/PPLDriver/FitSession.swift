import Foundation
import PPLEngine
import PPLInference
import PPLSema

/// One `ppl fit`: the model and its data, the chosen guide, the fit, draws and diagnostics.
public final class FitSession {
    public let runtime: ModelRuntime
    public let options: GuideOptions
    public let family: VariationalFamily
    public let settings: FitSettings
    public let elbo: ELBO
    public var result: FitResult?
    public var khat = Double.nan
    public var logEvidence = (estimate: Double.nan, standardError: Double.nan)

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ d: String) { description = d }
    }

    /// Flags given on the command line override the guide block's keys.
    public struct Overrides {
        public var steps: Int?, lr: Double?, samples: Int?, seed: UInt64?
        /// nil: the family's default; false: the full reparameterisation gradient.
        public var stickingTheLanding: Bool?
        public init() {}
    }

    public convenience init(runtime: ModelRuntime, guide: String?, overrides: Overrides) throws {
        switch GuideOptions.select(guide, from: runtime.model.guides) {
        case .success(let o): try self.init(runtime: runtime, options: o, overrides: overrides)
        case .failure(let e): throw Failure(e.description)
        }
    }

    public init(runtime: ModelRuntime, options: GuideOptions, overrides: Overrides) throws {
        self.runtime = runtime
        self.options = options
        family = Families.make(options.family, options: options)
        var s = FitSettings()
        s.steps = overrides.steps ?? options.steps ?? s.steps
        s.lr = overrides.lr ?? options.lr ?? family.learningRate
        s.minimumExploration = family.minimumExploration
        s.samples = overrides.samples ?? options.samples ?? s.samples
        s.seed = overrides.seed ?? options.seed ?? s.seed
        s.stickingTheLanding = overrides.stickingTheLanding ?? family.prefersStickingTheLanding
        guard s.steps > 0, s.samples > 0, s.lr > 0, s.lr.isFinite else {
            throw Failure("steps and samples must be positive integers and lr a positive number")
        }
        settings = s
        elbo = try ELBO(density: runtime.space.density, family: family, dimension: runtime.dimension,
                        stickingTheLanding: s.stickingTheLanding)
    }

    /// Fits from `initial` (a saved fit's parameters) or the family's starting point.
    public func fit(initial: [Double]? = nil, progress: ((Int, Double) -> Void)? = nil,
                    interrupted: () -> Bool = { false }) throws -> FitResult {
        // The engine refuses programs too large for it here, before anything of that size is allocated.
        var s = settings
        let refining = initial == nil ? family.refines : nil
        if refining != nil { s.warmup = 1000 }
        let fitter = try Fitter(elbo: elbo, data: runtime.values, settings: s)
        var start = initial ?? family.initialParameters(runtime.dimension)
        var prelude: FitResult?
        if let base = refining {
            let r = try fitBase(base, progress: progress, interrupted: interrupted)
            start = family.initialParameters(runtime.dimension, refining: r.phi)
            prelude = r
        }
        var r: FitResult
        if let prelude, prelude.interrupted || prelude.failure != nil {
            r = FitResult(phi: start)
            (r.interrupted, r.failure) = (prelude.interrupted, prelude.failure)
        } else {
            let offset = prelude?.steps ?? 0
            r = fitter.run(from: start, progress: progress.map { report in { report(offset + $0, $1) } }, interrupted: interrupted)
        }
        if let prelude {
            r.base = FitResult.BaseFit(family: family.refines!.family.rawValue, steps: prelude.steps, elbo: prelude.elbo,
                                       converged: prelude.converged)
            r.steps += prelude.steps
            r.seconds += prelude.seconds
            r.trace = prelude.trace + r.trace
        }
        result = r
        return r
    }

    /// Fits the family `family` refines with that family's own defaults (the step cap,
    /// samples and seed of this fit).
    private func fitBase(_ base: VariationalFamily, progress: ((Int, Double) -> Void)?,
                         interrupted: () -> Bool) throws -> FitResult {
        let baseELBO = try ELBO(density: runtime.space.density, family: base, dimension: runtime.dimension,
                                stickingTheLanding: base.prefersStickingTheLanding)
        var s = settings
        s.lr = base.learningRate
        s.minimumExploration = base.minimumExploration
        s.stickingTheLanding = base.prefersStickingTheLanding
        let fitter = try Fitter(elbo: baseELBO, data: runtime.values, settings: s)
        return fitter.run(from: base.initialParameters(runtime.dimension), progress: progress, interrupted: interrupted)
    }

    /// Whether a saved fit's parameters are parameters of this session's guide: the same
    /// family and as many of them.
    public func accepts(_ saved: FitReports.Saved) -> Bool {
        saved.family == family.family.rawValue && saved.phi.count == elbo.parameterCount
    }

    /// Draws from the fitted guide, and the diagnostics computed from them.
    public func sample(_ count: Int, phi: [Double]) throws -> PosteriorDraws {
        let d = try PosteriorDraws(elbo: elbo, phi: phi, count: max(count, 10), seed: settings.seed,
                                   constrain: runtime.space.constrain, derived: runtime.model.derived,
                                   data: runtime.values)
        khat = ParetoSmoothing.khat(d.logWeights)
        logEvidence = ParetoSmoothing.logEvidence(d.logWeights)
        return d
    }
}

extension FitSession {
    /// The errors of a model that does not check, rendered on demand.
    public struct ModelErrors: Error {
        public let compilation: Compilation
        public func text(color: Bool) -> String { compilation.renderDiagnostics(color: color) }
    }

    /// Compiles the model, loads the data and prepares the fit.
    public static func open(model: String, data: String?, guide: String?, overrides: Overrides) throws -> FitSession {
        let c = Compilation.compile(path: model)
        guard let checked = c.model else { throw ModelErrors(compilation: c) }
        if data == nil, !checked.data.isEmpty {
            throw Failure("the model needs data (\(checked.data.map(\.name).joined(separator: ", "))): "
                          + "pass --data FILE or put it in \(model.hasSuffix(".ppl") ? String(model.dropLast(4)) : model).data.json")
        }
        let values = try data.map { try DataLoader.load(path: $0, model: checked) } ?? [:]
        let runtime = try ModelRuntime(model: checked, data: values, dataFile: data ?? "the data")
        return try FitSession(runtime: runtime, guide: guide, overrides: overrides)
    }
}
