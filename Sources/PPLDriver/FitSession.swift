import Foundation
import PPLDiff
import PPLEngine
import PPLInference
import PPLIR
import PPLSema
import PPLSyntax

/// One `ppl fit`: the model and its data, the chosen guide, the fit, draws and diagnostics.
public final class FitSession {
    public let runtime: ModelRuntime
    public let options: FitOptions
    public let family: VariationalFamily
    public let settings: FitSettings
    public let elbo: ELBO
    public var khat = Double.nan
    public var logEvidence = (estimate: Double.nan, standardError: Double.nan)
    /// The last sampled draws were importance-resampled (`psis_resample`): the effective
    /// sample size of the smoothed weights, summed over the runs, and the draws it is of.
    public internal(set) var resampling: (effectiveSize: Double, draws: Int)?
    /// The importance log-ratios log p(z) - log q(z) of the guide's draws that k̂ and
    /// log p(data) were last computed from (before any resampling), for the report's tail plot.
    public internal(set) var logRatios: [Double] = []
    /// Whether the runs of the last sampled fit agree, if it had several.
    public internal(set) var agreement: RunAgreement?
    private var gradientChecked = false
    /// For a sharded fit, how the rows were split and what each rank held, for the header.
    public var shardNote: String?

    /// The guide `guide` names (as `GuideSelection` picks it) with `settings` (flags, or the
    /// REPL's `:set`) over its guide block's keys.
    public convenience init(runtime: ModelRuntime, guide: String?,
                            settings: [(key: FitOptions.Key, value: GuideValue)], frame: FrameSource = .search) throws(PPLError) {
        var options = try GuideSelection.select(guide, from: runtime.model.guides).get()
        try PPLError.during(.user) { try options.set(settings) }
        try self.init(runtime: runtime, options: options, frame: frame)
    }

    /// Where a session's frame (`Frame`) comes from: the mode of the density, searched for
    /// when `precondition` is on; or given — a saved fit's, or the one of a fit a REPL
    /// session goes on with, whose guide parameters live in it.
    public enum FrameSource {
        case search
        case given(Frame?)
    }

    public init(runtime: ModelRuntime, options: FitOptions, frame source: FrameSource = .search) throws(PPLError) {
        self.runtime = runtime
        self.options = options
        var batches = try options.minibatch.map { m throws(PPLError) in try Batches(m, runtime: runtime, points: options.point) }
        let locals = try Locals(options, runtime: runtime, minibatchLocals: batches?.locals ?? [])
        let localCount = try locals?.count(runtime) ?? 0
        if locals != nil, options.runs > 1 {
            throw .user("runs = \(options.runs): a fit with local params is one run, since the runs' guides of the rows "
                        + "could not be pooled; use runs = 1")
        }
        if options.draws == 0, options.runs > 1 {
            throw .user("draws = 0 with runs = \(options.runs): the runs' agreement is judged from their draws; "
                        + "use runs = 1, or draws of at least 10")
        }
        if let discrete = runtime.discrete { try Self.checkDiscrete(discrete, options, locals: locals != nil) }
        try MemoryBudget.checkFit(options, dimension: runtime.dimension, locals: localCount, columns: runtime.columns)
        try PPLError.during(.user) { try options.check(dimension: runtime.dimension - localCount) }
        let family: VariationalFamily
        if let locals {
            let base = try Self.pointEstimates(Families.make(options), options, runtime,
                                               ranges: try locals.globalRanges(of: options.point, runtime))
            guard let base = base as? NoiseMapFamily else {
                throw .user("local params need a guide whose draw is a map of its noise; "
                            + "\(options.family.rawValue) is not one (use meanfield, fullrank or a flow)")
            }
            (family, training) = try locals.families(base: base, options, runtime, batch: batches?.batch)
        } else {
            family = try Self.pointEstimates(Families.make(options), options, runtime,
                                             ranges: try Self.ranges(of: options.point, runtime))
            training = nil
        }
        if options.objective != .elbo {
            guard family is NoiseMapFamily, (family as? LocalLatents)?.movesAlongDensity != true else {
                throw .user("objective \(options.objective.rawValue) needs a guide whose draw is a map of its noise; "
                            + "\(options.refine.map { "refine = \($0.family.rawValue)" } ?? options.family.rawValue) draws auxiliary "
                            + "variables: use objective elbo")
            }
            if options.given.contains(.stl) {
                throw .user("stl applies to objective elbo: iwae uses the doubly reparameterised gradient (path derivatives, "
                            + "as stl's), renyi the full reparameterisation gradient")
            }
        }
        if let refine = options.refine, options.stl, options.given.contains(.stl) {
            throw .user("stl = on with refine = \(refine.family.rawValue): a refined row's draw is scored along its own path, "
                        + "which needs the full reparameterisation gradient; leave stl out")
        }
        if options.gradient == .score {
            let why: String? = !options.point.isEmpty ? "point estimates have no density to score"
                : options.objective != .elbo ? "objective \(options.objective.rawValue) weights its particles together"
                : options.minibatch != nil || locals != nil ? "it is for comparison on fits over the whole data" : nil
            if let why { throw .user("gradient = score: \(why); fit with gradient = reparam") }
        }
        if options.given.contains(.alpha), options.objective != .renyi {
            throw .user("alpha is the Rényi bound's: it needs objective renyi, not \(options.objective.rawValue)")
        }
        if let shard = runtime.shard?.split {
            if options.family == .mixture {
                throw .user("--shard \(shard.size): a mixture guide's bound is an expectation over its components, which "
                            + "a rank's part of the density cannot weight; use meanfield, fullrank, lowrank or a flow")
            }
            if options.family == .svgd || family.refines != nil {
                throw .user("--shard \(shard.size): a \(options.family.rawValue) guide moves along the density's gradient inside its "
                            + "fit, which would need every rank's rows at each move; use a guide whose draw is a map of its "
                            + "noise (meanfield, fullrank, lowrank, a flow), or laplace or map")
            }
        }
        if options.minibatch != nil, options.objective != .elbo {
            throw .user("minibatch needs objective elbo: a batch's scaled density is unbiased, but the \(options.objective.rawValue) "
                        + "bound of it is not")
        }
        self.family = family
        var settings = FitSettings(options, family: family)
        if options.epochs > 0 {
            guard let batches else {
                throw .user("epochs = \(options.epochs) counts passes over the rows in minibatches: it needs minibatch = [SIZE, M]")
            }
            guard !options.given.contains(.steps) else {
                throw .user("steps and epochs are both given: epochs sets the steps (epochs × ceil(N/M)); give one of them")
            }
            let (steps, overflow) = options.epochs.multipliedReportingOverflow(by: batches.epoch)
            guard !overflow, steps <= 1_000_000_000_000 else {
                throw .user("epochs = \(options.epochs): \(options.epochs) passes of \(batches.epoch) steps are too many steps")
            }
            settings.steps = steps
        }
        self.settings = settings
        let (frame, note) = try FitSession.frame(source, runtime, options, locals: locals?.names ?? [])
        frameNote = note
        // Where the frame's search found the mode, the batches' gradient noise shrinks near it.
        if case .found(let mode)? = runtime.mode?.outcome { try batches?.anchor(at: mode.location, runtime: runtime) }
        self.batches = batches
        // DReG's gradient is IWAE's with path derivatives alone; the Rényi bound needs the
        // full reparameterisation gradient (stl's dropped score term has mean zero only for
        // the ELBO).
        let stl: Bool
        switch options.objective {
        // A refined row's draw is scored along its own path, with the full gradient.
        case .elbo: stl = options.stl && options.refine == nil
        case .iwae: stl = true
        case .renyi: stl = false
        }
        stickingTheLanding = stl
        // Several runs start apart by moving the frame, which without a mode is a shift alone.
        let d = runtime.dimension
        let model = runtime.model
        var density = runtime.programs.unconstrained(pointEstimates: Set(options.point)).density
        var discrete = runtime.discrete
        if let d = discrete {
            let signal = Self.rowSignal(d, runtime, points: Set(options.point))
            (discrete, discreteNote) = (signal.discrete, signal.note)
            density = signal.density ?? density
        }
        let moving = frame ?? (options.runs > 1 ? Frame(location: [Double](repeating: 0, count: d), curvatureFactor: nil) : nil)
        elbo = try PPLError.during(.computation) {
            try ELBO(density: density, family: family, dimension: d, stickingTheLanding: stl, frame: moving,
                     sizes: Self.specialisation(family, runtime.values), discrete: discrete,
                     scoreFunction: options.gradient == .score)
        }
    }

    /// For a model with discrete params, what each element's learning signal is, for the header.
    public private(set) var discreteNote: String?

    /// The discrete params' guide with its rows' signal where the density separates by the
    /// rows of the size N of a discrete param's first dimension (`MinibatchedDensity.rowWeighted`),
    /// with the row-weighted density to fit; else the guide as it is, the signal of every
    /// element the whole log weight, and why.
    private static func rowSignal(_ discrete: DiscreteLatents, _ runtime: ModelRuntime, points: Set<String>)
        -> (discrete: DiscreteLatents, density: Program?, note: String) {
        let whole = "each element's learning signal is the whole log weight"
        /// Whether a group is a vector[n] param, an element per row of n.
        func perRow(_ g: DiscreteLatents.Group, _ n: String) -> Bool {
            runtime.model.params.first { $0.name == g.name }?.type.shape == .vector(Size(symbol: n))
        }
        let sizes = runtime.model.data.filter { $0.type == .int }.map(\.name)
        guard let n = sizes.first(where: { n in discrete.groups.contains { perRow($0, n) } }),
              let rows = runtime.values[n].flatMap({ Int(exactly: $0.values[0]) }) else {
            return (discrete, nil, whole + " (no discrete param has a data size as its only dimension)")
        }
        let program: Program
        do {
            program = try MinibatchedDensity.rowWeighted(model: runtime.model, size: n)
        } catch {
            return (discrete, nil, whole + " (the density does not separate by the rows of \(n): \(error.message))")
        }
        var signal = discrete
        let groups = discrete.groups.filter { perRow($0, n) }
        signal.rowSignal = (n, rows, groups.map(\.name))
        let density = UnconstrainedDensity(logDensity: program, paramBounds: runtime.model.paramBounds, pointEstimates: points).density
        return (signal, density, "the learning signal of each element of " + groups.map { "'\($0.name)'" }.joined(separator: ", ")
                + " is its row's own terms (Rao-Blackwellised over the rows of \(n))")
    }

    /// Refuses what a fit of a model with discrete params cannot do: their categoricals are
    /// fitted beside a family that draws the continuous params as a map of its noise, with
    /// the score function gradient of the ELBO over the whole data.
    private static func checkDiscrete(_ discrete: DiscreteLatents, _ options: FitOptions, locals: Bool) throws(PPLError) {
        let names = discrete.groups.map { "'\($0.name)'" }.joined(separator: ", ")
        let why: String?
        switch options.family {
        case .laplace, .map: why = "a \(options.family.rawValue) guide sits at the mode, which has no gradient in the discrete params"
        case .svgd: why = "svgd moves its particles along the density's gradient, which has none in the discrete params"
        case .hvi: why = "hvi moves its draws along the density's gradient, which has none in the discrete params"
        default: why = nil
        }
        if let why {
            throw .user("the model has discrete params (\(names)): \(why); use meanfield, fullrank, lowrank or a flow "
                        + "for the continuous params")
        }
        if locals || options.minibatch != nil {
            throw .user("the model has discrete params (\(names)): their score function gradient reads the whole "
                        + "density; fit without minibatch or local params")
        }
        if options.objective != .elbo {
            throw .user("the model has discrete params (\(names)): objective \(options.objective.rawValue) is not "
                        + "supported with them; use objective elbo")
        }
    }

    /// `family` with the params `options.point` names as point estimates (`PointEstimates`)
    /// at the coordinates `ranges` of its z, or `family` itself when it names none. Each
    /// name must be a param, and not every param.
    private static func pointEstimates(_ family: VariationalFamily, _ options: FitOptions, _ runtime: ModelRuntime,
                                       ranges: @autoclosure () throws(PPLError) -> [(name: String, range: Range<Int>)])
        throws(PPLError) -> VariationalFamily {
        guard !options.point.isEmpty else { return family }
        let params = runtime.model.params.map(\.name)
        var seen: Set<String> = []
        for name in options.point {
            guard params.contains(name) else {
                let help = closest(to: name, in: params).map { "; did you mean '\($0)'?" } ?? "; the params are " + params.joined(separator: ", ")
                throw .user("'point' of guide '\(options.guide)' names '\(name)', which is not a param of the model\(help)")
            }
            guard seen.insert(name).inserted else { throw .user("'point' of guide '\(options.guide)' names '\(name)' twice") }
        }
        guard seen.count < params.count else {
            throw .user("'point' of guide '\(options.guide)' names every param: a point estimate of them all is guide map")
        }
        guard options.runs == 1 else {
            throw .user("point estimates are one fit (runs = 1): runs from dispersed starts would each find their own estimates")
        }
        guard let base = family as? NoiseMapFamily else {
            throw PPLError(InternalError("'point' on a \(options.family.rawValue) guide, whose draw is not a map of its noise"),
                           otherwise: .internal)
        }
        let points = try ranges().sorted { $0.range.lowerBound < $1.range.lowerBound }
        return PointEstimates(base: base, points: points.map(\.range), starts: points.map { startScale($0.name, runtime) })
    }

    /// The sd of a point estimate's seeded start: for an unconstrained matrix[R, C] (with
    /// C > 1), a network's weights as x * W reads them, 1/√R — LeCun's scaling by the
    /// fan-in, which keeps the signal's spread through the layers (at 0.01 a decoder of two
    /// tanh layers sat 20 epochs at its biases' ELBO before it learned); else 0.01.
    private static func startScale(_ name: String, _ runtime: ModelRuntime) -> Double {
        let ints = runtime.values.compactMapValues { $0.count == 1 ? Int(exactly: $0.values[0]) : nil }
        guard let p = runtime.model.params.first(where: { $0.name == name }), p.constraint == .none,
              case .matrix(let r, let c) = p.type.shape, let rows = r.evaluate({ ints[$0] }), let columns = c.evaluate({ ints[$0] }),
              rows > 1, columns > 1 else { return 0.01 }
        return 1 / Double(rows).squareRoot()
    }

    /// The coordinates in z of the params `names`.
    private static func ranges(of names: [String], _ runtime: ModelRuntime) throws(PPLError) -> [(name: String, range: Range<Int>)] {
        let ints = runtime.values.compactMapValues { $0.count == 1 ? Int(exactly: $0.values[0]) : nil }
        var ranges: [(name: String, range: Range<Int>)] = []
        for layout in runtime.space.layout where names.contains(layout.name) {
            guard let offset = layout.offset.evaluate({ ints[$0] }), let length = layout.length.evaluate({ ints[$0] }) else {
                throw PPLError(InternalError("the unconstrained coordinates of '\(layout.name)' are not known from the data"),
                               otherwise: .internal)
            }
            ranges.append((layout.name, offset..<(offset + length)))
        }
        return ranges
    }

    /// What the frame is and why, for the header.
    public let frameNote: String
    /// With `minibatch`, what the fit's steps read; the draws and diagnostics read all the data.
    public let batches: Batches?
    /// With `minibatch` and local params, the guide of a batch's rows, the dimension of its z
    /// and, for rows with their own parameters, their table; nil: the steps draw from `family`.
    private let training: (family: VariationalFamily, dimension: Int, table: RowTable?)?
    private let stickingTheLanding: Bool

    /// The frame from `source` and what it is, for the header.
    private static func frame(_ source: FrameSource, _ runtime: ModelRuntime, _ options: FitOptions,
                              locals: [String]) throws(PPLError) -> (Frame?, String) {
        switch source {
        case .search where runtime.discrete != nil:
            return (nil, "none (discrete params: the mode of the continuous ones would depend on their values)")
        case .search where !locals.isEmpty:
            return (nil, "none (local params " + locals.map { "'\($0)'" }.joined(separator: ", ")
                    + ": the mode's curvature over every row is not formed)")
        case .given(let f?): return (f, "the saved one")
        case .search where options.family.isPlacedAtMode: return try modeFrame(runtime, options)
        case .given(nil) where options.family.isPlacedAtMode: return try modeFrame(runtime, options)
        case .search where !options.point.isEmpty:
            return (nil, "none (point estimates: the mode's curvature would mix them with the other params)")
        case .search where options.precondition: return try runtime.laplaceFrame()
        case .search: return (nil, "none (precondition = off)")
        case .given(nil): return (nil, "none")
        }
    }

    /// The frame of a guide placed at the mode (`GuideFamily.isPlacedAtMode`): the mode and,
    /// for Laplace, the Cholesky factor of the curvature there, whatever its k̂; a point's is
    /// the shift alone. No mode, or a curvature there that is not positive definite, is a
    /// failed fit (exit 70), never a NaN Cholesky factor.
    private static func modeFrame(_ runtime: ModelRuntime, _ options: FitOptions) throws(PPLError) -> (Frame, String) {
        switch try runtime.preciseMode().outcome {
        case .none(let reason):
            throw .computation("the \(options.family.rawValue) guide '\(options.guide)' needs the posterior mode, "
                               + "with a positive-definite curvature there, and Newton's method found none: \(reason)")
        case .flat(let direction): throw runtime.improper(direction)
        case .found(let mode):
            let curvature = options.family == .laplace
            let note = "the posterior mode" + (curvature ? " and its curvature" : "")
            return (Frame(location: mode.location, curvatureFactor: curvature ? mode.curvatureFactor : nil), note)
        }
    }

    /// Fits from `initial` (a saved fit's parameters) or the family's starting point; a family
    /// that refines another (HVI) starting afresh fits that one first and starts from it.
    /// With `runs` above 1 and no `initial`, that many independent fits (`fitRuns`).
    public func fit(initial: [Double]? = nil, progress: ((Int, Double) -> Void)? = nil,
                    interrupted: () -> Bool = { false }) throws(PPLError) -> FitResult {
        try checkGradient()
        if options.family.isPlacedAtMode { return try placeAtMode() }
        if options.family.isParticles { return try moveParticles(from: initial, progress: progress, interrupted: interrupted) }
        guard initial == nil, options.runs > 1 else {
            return try fit(in: elbo, seed: settings.seed, initial: initial, progress: progress, interrupted: interrupted)
        }
        return try fitRuns(progress: progress, interrupted: interrupted)
    }

    /// One fit of the guide in `elbo`'s frame.
    func fit(in elbo: ELBO, seed: UInt64, initial: [Double]?, progress: ((Int, Double) -> Void)?,
             interrupted: () -> Bool) throws(PPLError) -> FitResult {
        var s = settings
        s.seed = seed
        let refining = initial == nil ? family.refines : nil
        if refining != nil { s.warmup = 1000 }
        // A batch's ELBO is noisy enough to look flat early: explore for an epoch at least,
        // every row read once, before the convergence test may stop. Rows with their own
        // parameters move only in the steps whose batch holds them: explore until each has
        // moved as often as a fit's parameters do at least (re.ppl's repeated measures, 2,000
        // rows by 100: τ 1.07 after 82 epochs, 0.820 after 200, 0.791 after 600, as with all
        // the data).
        if let batches {
            let epoch = batches.epoch
            s.minimumExploration = training?.table == nil ? max(s.minimumExploration, epoch) : s.minimumExploration * epoch
            if options.epochs > 0 {
                // Every epoch asked for is run, the last tenth of them (an epoch at least)
                // refining: the step size decays there, so refining for half of a fixed
                // budget, as a capped fit does, stops a network's training early.
                let refinement = min(s.steps / 2, max(epoch, s.steps / 10))
                s.refinement = refinement
                s.minimumExploration = max(s.minimumExploration, s.steps - refinement)
            } else if !options.given.contains(.steps) {
                // Unless capped by the user, as many steps again for the refinement.
                s.steps = max(s.steps, 2 * s.minimumExploration)
            }
        }
        // The engine refuses programs too large for it here, before anything of that size is allocated.
        let steps = try batchELBO(in: elbo)
        let fitter = try PPLError.during(.computation) {
            guard let batches, let steps else {
                return try Fitter(elbo: elbo, data: runtime.values, settings: s, ranks: runtime.shard?.ranks)
            }
            return try Fitter(elbo: steps.elbo, data: batches.data, settings: s, minibatch: (batches.rows, batches.batch),
                              table: steps.table, ranks: runtime.shard?.ranks)
        }
        var start = initial ?? elbo.initialParameters()
        guard let base = refining else {
            var r = fitter.run(from: start, progress: progress, interrupted: interrupted)
            r.frame = elbo.frame
            r.scoreVariance = fitter.scoreVariance(at: r.phi)
            if let failure = r.failure, elbo.discrete != nil {
                r.failure = failure + "; with discrete params, a value the model rules out (log density -inf) makes the ELBO "
                    + "-inf, since their categorical guide gives every value some probability: marginalise such a param, or "
                    + "give each of its values a finite density"
            }
            return r
        }
        let prelude = try fitBase(base, in: elbo, seed: seed, progress: progress, interrupted: interrupted)
        start = family.initialParameters(runtime.dimension, refining: prelude.phi)
        var r: FitResult
        if prelude.interrupted || prelude.failure != nil {
            r = FitResult(phi: start)
            (r.interrupted, r.failure) = (prelude.interrupted, prelude.failure)
        } else {
            // Within 10 nats of the base's ELBO, or the starting steps are made shorter.
            let (steady, halvings) = fitter.steadiedStart(start, floor: prelude.elbo - 10)
            r = fitter.run(from: steady, progress: progress.map { report in { report(prelude.steps + $0, $1) } },
                           interrupted: interrupted)
            r.steadied += halvings
        }
        r.base = FitResult.BaseFit(family: base.family.rawValue, steps: prelude.steps, elbo: prelude.elbo,
                                   converged: prelude.converged)
        r.steps += prelude.steps
        r.seconds += prelude.seconds
        r.trace = prelude.trace + r.trace
        r.frame = elbo.frame
        return r
    }

    /// The ELBO of a minibatched fit's steps, in the frame of `elbo` (the session's, by
    /// default), over a batch's rows (data `batches.data`), with the table of the local
    /// params' rows where they have their own parameters; nil without minibatching.
    public func batchELBO(in elbo: ELBO? = nil) throws(PPLError) -> (elbo: ELBO, table: RowTable?)? {
        guard let batches else { return nil }
        let part = training ?? (family, runtime.dimension, nil)
        let frame = (elbo ?? self.elbo).frame
        return try PPLError.during(.computation) {
            (try ELBO(density: batches.density, family: part.family, dimension: part.dimension,
                      stickingTheLanding: stickingTheLanding, frame: frame, sizes: Self.specialisation(part.family, batches.data)),
             part.table)
        }
    }

    /// The sizes to specialise a family's ELBO to: the data's ints for a guide whose rows
    /// move along the density (an hvi refinement), whose force is the density's gradient
    /// with respect to the rows' latents alone, which only constant slices of the gradient
    /// with respect to z make so; none for the others, whose programs read any data.
    static func specialisation(_ family: VariationalFamily, _ data: [String: Tensor]) -> [String: Int] {
        guard (family as? LocalLatents)?.movesAlongDensity == true else { return [:] }
        return data.compactMapValues { $0.count == 1 ? Int(exactly: $0.values[0]) : nil }
    }

    /// The fit of a guide placed at the mode: no optimisation, the Newton search was it (its
    /// iterations are the steps, its time the fit's). The trace holds ten estimates of the
    /// ELBO, each the mean of log p − log q over 100 draws (for a point, log p at the mode).
    private func placeAtMode() throws(PPLError) -> FitResult {
        var result = FitResult(phi: [])
        let (outcome, seconds) = try runtime.preciseMode()
        if case .found(let mode) = outcome { result.steps = mode.iterations }
        result.seconds = seconds
        result.converged = true
        result.frame = elbo.frame
        let weights = try draws(1000, elbo: elbo, phi: [], seed: settings.seed).logWeights
        result.trace = stride(from: 0, to: weights.count, by: 100).map { weights[$0..<($0 + 100)].reduce(0, +) / 100 }
        return result
    }

    /// SVGD's fit: the particles moved by `SteinFitter` over the density in the frame (if
    /// any), from `initial` (a saved fit's particles) or the family's start.
    private func moveParticles(from initial: [Double]?, progress: ((Int, Double) -> Void)?,
                               interrupted: () -> Bool) throws(PPLError) -> FitResult {
        let d = runtime.dimension
        let density = elbo.frame?.apply(to: runtime.space.density) ?? runtime.space.density
        let data = runtime.values.merging(elbo.frame?.constants ?? [:]) { a, _ in a }
        let fitter = try PPLError.during(.computation) {
            try SteinFitter(density: density, data: data, particles: options.particles, dimension: d, settings: settings)
        }
        var result = fitter.run(from: initial ?? family.initialParameters(d), progress: progress, interrupted: interrupted)
        result.frame = elbo.frame
        return result
    }

    /// Before a fit: the model's gradient against finite differences along two directions
    /// (`GradientCheck.alongDirections`), so that a wrong derivative — a bug in ppl — stops
    /// the fit with a message instead of fitting a wrong density. Once per session.
    private func checkGradient() throws(PPLError) {
        guard !gradientChecked else { return }
        let error: Double
        if let batches {
            // The program a minibatched fit runs is its batch's density, at the first M rows here.
            var data = batches.data
            data[MinibatchedDensity.indexInput] = Tensor(vector: (1...batches.batch).map(Double.init))
            let gradient = try PPLError.during(.computation) {
                try Differentiator.gradient(batches.density, wrt: ["theta"])
            }
            error = try GradientCheck.alongDirections(density: batches.density, gradient: gradient, data: data,
                                                      dimension: training?.dimension ?? runtime.dimension)
        } else {
            error = try GradientCheck.alongDirections(runtime: runtime)
        }
        guard error <= 1e-4 else {
            throw PPLError(InternalError("the gradient of the model's log density disagrees with finite differences "
                                         + "(relative error \(String(format: "%.2g", error))), so the fit would be wrong"),
                           otherwise: .internal)
        }
        gradientChecked = true
    }

    /// Fits `base`, the family this session's refines, with that family's own defaults and
    /// this fit's step cap, samples and seed.
    private func fitBase(_ base: VariationalFamily, in elbo: ELBO, seed: UInt64, progress: ((Int, Double) -> Void)?,
                         interrupted: () -> Bool) throws(PPLError) -> FitResult {
        let baseOptions = FitOptions(family: base.family, under: options)
        var baseSettings = FitSettings(baseOptions, family: base)
        baseSettings.seed = seed
        let fitter = try PPLError.during(.computation) {
            try Fitter(elbo: ELBO(density: runtime.space.density, family: base, dimension: runtime.dimension,
                                  stickingTheLanding: baseOptions.stl, frame: elbo.frame),
                       data: runtime.values, settings: baseSettings)
        }
        return fitter.run(from: base.initialParameters(runtime.dimension), progress: progress, interrupted: interrupted)
    }

    /// Whether a saved fit's parameters are parameters of this session's guide: the same
    /// family, as many of them, and laid out alike (`layout`; a fit saved before it was kept
    /// has none).
    public func accepts(_ saved: FitReports.Saved) -> Bool {
        saved.family == family.family.rawValue && saved.phi.count == elbo.parameterCount && (saved.layout ?? layout) == layout
    }

    /// What φ's entries mean, beyond the family and their count: the point estimates, and
    /// how the local params' rows are guided. A table of rows and the family's own φ over
    /// the same coordinates can have as many entries, in another order.
    public var layout: String {
        var parts = [family.family.rawValue]
        if !options.point.isEmpty { parts.append("point " + options.point.joined(separator: ", ")) }
        if let local = family as? LocalLatents {
            let names = local.blocks.map(\.name).joined(separator: ", ")
            switch local.guide {
            case .perRow: parts.append("local \(names): each row its own Gaussian")
            case .amortized(let e):
                parts.append("local \(names): an encoder of \(e.input) through [\(e.widths.map(String.init).joined(separator: ", "))] "
                             + e.activation.rawValue + (local.refinement.map { ", refined by " + $0.text } ?? ""))
            }
        }
        return parts.joined(separator: "; ")
    }

    /// Fails unless the fit saved in `path` was fitted to this session's model and data (by
    /// their hashes, which a fit saved before they were kept lacks) and holds parameters of
    /// its guide: drawing from a guide fitted to something else would be a wrong answer.
    public func check(_ saved: FitReports.Saved, from path: String) throws(PPLError) {
        if let h = saved.modelHash, h != runtime.modelHash {
            throw .user("'\(path)' was fitted to another version of the model: '\(saved.model)' changed since it was saved; fit it again")
        }
        if let h = saved.dataHash, let mine = runtime.dataHash, h != mine {
            throw .user("'\(path)' was fitted to other data: '\(saved.data ?? "the data")' changed since it was saved; fit it again")
        }
        guard accepts(saved) else {
            throw .user("'\(path)' holds a guide '\(saved.layout ?? saved.family)' of dimension \(saved.dimension); "
                        + "this one is '\(layout)' of dimension \(runtime.dimension)")
        }
    }

    /// Draws from the fitted guide, and the diagnostics computed from them; the generated
    /// quantities with the data of `predicting`, if given, else the fit's.
    public func sample(_ count: Int, phi: [Double], predicting: ModelRuntime? = nil) throws(PPLError) -> PosteriorDraws {
        agreement = nil
        if count == 0 { return noDraws() }
        return try generating(diagnosed([try draws(count, elbo: elbo, phi: phi, seed: settings.seed)]), data: predicting)
    }

    /// The draws with the model's generated quantities (its `generate` block) appended, run on
    /// each draw's params with the data of `runtime` — by default the fit's; another one's
    /// to predict for new data (`ppl predict`).
    public func generating(_ draws: PosteriorDraws, data runtime: ModelRuntime? = nil) throws(PPLError) -> PosteriorDraws {
        let rt = runtime ?? self.runtime
        let program = rt.model.generated
        if program.outputNames.isEmpty || rt.generatedWithheld != nil { return draws }
        let rows = draws.rows.count
        return try PPLError.during(.computation) {
            try draws.generating(program, data: rt.values, seed: settings.seed, shapes: rt.componentShapes) { columns in
                try MemoryBudget.checkDraws(rows, columns: columns)
            }
        }
    }

    /// The draws of the runs `parts` pooled, with k̂ and log p(data) set from them. Where k̂
    /// is below 0.7 and `psis_resample` is on, each run's draws are first resampled by their
    /// Pareto-smoothed importance weights (as Pathfinder's draws are; Yao et al. 2018: below
    /// 0.7, PSIS-corrected estimates are reliable, the guide's own may not be: a Gaussian
    /// guide's sds are too small where the posterior is skewed).
    func diagnosed(_ parts: [PosteriorDraws]) -> PosteriorDraws {
        let pooled = parts.count == 1 ? parts[0] : PosteriorDraws(pooling: parts)
        resampling = nil
        guard options.family.hasDensity else {
            (logRatios, khat, logEvidence) = ([], .nan, (.nan, .nan))
            return pooled
        }
        logRatios = pooled.logWeights
        khat = ParetoSmoothing.khat(logRatios)
        logEvidence = ParetoSmoothing.logEvidence(logRatios)
        guard options.psisResample, khat < 0.7 else { return pooled }
        var resampled: [PosteriorDraws] = [], effectiveSize = 0.0
        for (r, part) in parts.enumerated() {
            guard let w = ParetoSmoothing.smoothedWeights(part.logWeights) else { return pooled }
            effectiveSize += ParetoSmoothing.effectiveSampleSize(w)
            resampled.append(part.resampled(w, seed: runSeed(r)))
        }
        resampling = (effectiveSize, pooled.rows.count)
        return resampled.count == 1 ? resampled[0] : PosteriorDraws(pooling: resampled)
    }

    /// What `draws = 0` samples: nothing, so no summary, k̂ or log p(data).
    func noDraws() -> PosteriorDraws {
        (logRatios, khat, logEvidence, resampling) = ([], .nan, (.nan, .nan), nil)
        return PosteriorDraws(names: [], rows: [], logDensities: [], logGuideDensities: [])
    }

    /// SVGD's particles, which are its draws; nil for the other families.
    func particles(_ phi: [Double]) -> [[Double]]? {
        guard options.family.isParticles else { return nil }
        let d = runtime.dimension
        return (0..<(phi.count / max(1, d))).map { Array(phi[($0 * d)..<(($0 + 1) * d)]) }
    }

    func draws(_ count: Int, elbo: ELBO, phi: [Double], seed: UInt64) throws(PPLError) -> PosteriorDraws {
        try MemoryBudget.checkDraws(count, columns: runtime.columns)
        return try PPLError.during(.computation) {
            try PosteriorDraws(elbo: elbo, phi: phi, count: max(count, 10), seed: seed,
                               constrain: runtime.space.constrain, derived: runtime.model.derived, data: runtime.values,
                               shapes: runtime.componentShapes, noise: particles(phi), ranks: runtime.shard?.ranks)
        }
    }

    /// Compiles the model, loads the data and prepares the fit.
    public static func open(model: String, data: String?, guide: String?,
                            settings: [(key: FitOptions.Key, value: GuideValue)] = [],
                            frame: FrameSource = .search) throws(PPLError) -> FitSession {
        try FitSession(runtime: try ModelRuntime(modelPath: model, dataPath: data), guide: guide, settings: settings,
                       frame: frame)
    }
}
