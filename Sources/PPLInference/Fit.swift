import CKernels
import Foundation
import PPLEngine
import PPLIR
import PPLSema

/// The settings of one fit: its options (`FitOptions`, the one table) and its family's
/// minimum exploration.
public struct FitSettings: Sendable {
    /// The most optimisation steps.
    public var steps: Int
    /// Adam's step size while exploring; the refinement phase decays it 100-fold.
    public let lr: Double
    /// Steps explored before the convergence test may end exploration.
    public var minimumExploration: Int
    /// Particles (draws of ε) per step: K of the IWAE and Rényi bounds.
    public let samples: Int
    public let objective: Objective
    /// The Rényi bound's α.
    public let alpha: Double
    public var seed: UInt64
    /// Steps per window of the convergence test.
    public let window = 50
    /// Steps over which the step size ramps up linearly to `lr`. A fit that starts from
    /// fitted parameters needs it: Adam's first steps move every parameter by about lr
    /// whatever its gradient's noise, which throws a converged flow off (funnel, HVI on a
    /// fitted IAF: ELBO −0.149 → −0.172 after 4,000 steps without it).
    public var warmup = 0
    /// The steps of the refinement, when fixed (a fit of so many epochs refines in its
    /// last ones); nil: as many as explored, at least 1,000, at most half the cap.
    public var refinement: Int?

    public init(_ options: FitOptions, family: VariationalFamily) {
        steps = options.steps
        lr = options.lr
        minimumExploration = family.minimumExploration
        samples = options.samples
        objective = options.objective
        alpha = options.alpha
        seed = options.seed
    }
}

public struct FitResult: Sendable {
    public var phi: [Double]
    /// The objective's estimate per step: the ELBO (the mean over the step's particles), or
    /// the IWAE or Rényi bound of the step's particles together.
    public var trace: [Double] = []
    public var steps = 0
    public var seconds = 0.0
    /// Steps whose ELBO or gradient was not finite, or whose ELBO exploded: not taken; the
    /// step size was halved.
    public var rejected = 0
    /// Times the family's draws were made to move less (`VariationalFamily.steadied`) on
    /// backing off: HVI's leapfrog step sizes halved.
    public var steadied = 0
    /// Times the fit backed off to its best state after five bad steps running.
    public var recoveries = 0
    /// Where some parameters get the score function gradient (discrete params, `gradient =
    /// score`), the variance of its term at the fitted guide (`Fitter.scoreVariance`).
    public var scoreVariance: Fitter.ScoreVariance?
    /// The last window's mean squared z-score of the gradient (`Fitter.drift`).
    public var drift = Double.nan
    public var converged = false
    public var interrupted = false
    /// Why the fit stopped early, when it did.
    public var failure: String?
    /// For a family that refines another (HVI), the fit of that family it started from.
    public var base: BaseFit?
    /// The frame φ lives in (`Frame`), if any.
    public var frame: Frame?
    /// Of several independent runs (`FitSession.fit`, `runs`), every run's own result, in
    /// order; this result is the one of the best ELBO. Empty for a single run.
    public var runs: [FitResult] = []

    public struct BaseFit: Sendable {
        public let family: String
        public let steps: Int
        public let elbo: Double
        public let converged: Bool

        public init(family: String, steps: Int, elbo: Double, converged: Bool) {
            (self.family, self.steps, self.elbo, self.converged) = (family, steps, elbo, converged)
        }
    }

    public init(phi: [Double]) { self.phi = phi }

    /// The ELBO at the end: the mean of the last window of steps.
    public var elbo: Double {
        let tail = trace.suffix(200)
        return tail.isEmpty ? .nan : tail.reduce(0, +) / Double(tail.count)
    }

    /// The standard error of `elbo`, taking the steps as independent.
    public var elboStandardError: Double {
        let tail = trace.suffix(200)
        guard tail.count > 1 else { return .nan }
        let mean = elbo
        let variance = tail.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(tail.count - 1)
        return (variance / Double(tail.count)).squareRoot()
    }
}

/// Stochastic variational inference with the reparameterised ELBO and Adam, in two phases.
/// With another objective (`Objective`), the step's particles make one bound, whose
/// gradient is Σ_k c_k ∇ log w_k: the differentiator's gradients of the particles' log
/// weights, combined with coefficients c_k computed from the weights and held constant —
/// the surrogate Σ_k stop(c_k) log w_k, as Pyro and TFP write these objectives.
///
/// 1. Explore at a constant step size until the ELBO stops improving: the improvement of
///    the mean ELBO from one window of steps to the next is below twice its standard
///    error, three windows running. Unlike a threshold on the relative change (Stan's
///    `tol_rel_obj`), this adapts to the noise of the estimate and to the scale of the ELBO.
/// 2. Refine: as many steps again (at least 1,000) with the step size decayed
///    geometrically by 100, averaging the parameters over the second half
///    (Polyak-Ruppert). The last iterate of constant-step Adam jitters by a sizeable
///    fraction of a posterior sd on well-identified posteriors; the average does not.
public final class Fitter {
    public let elbo: ELBO
    public let settings: FitSettings
    private let executable: Executable
    /// For an ELBO of a minibatched density: the rows of the data and of a batch.
    private let minibatch: (rows: Int, batch: Int)?
    /// Local params' per-row parameters, of which `elbo` reads a batch's (`RowTable`).
    private let table: RowTable?
    /// For a rank of a sharded fit: the sum over the ranks of the particles' targets and of
    /// the gradient, before anything reads them.
    private let ranks: RankSum?

    /// With `minibatch`, `elbo` is of a `MinibatchedDensity`, whose batch's rows each step
    /// draws afresh (`RowSampler`). With `table` too, φ (the start and the result) holds
    /// every row's parameters, and `elbo`'s φ the batch's.
    public init(elbo: ELBO, data: [String: Tensor], settings: FitSettings, minibatch: (rows: Int, batch: Int)? = nil,
                table: RowTable? = nil, ranks: RankSum? = nil) throws {
        precondition(table == nil || minibatch != nil, "a row table is read by a batch's rows")
        precondition(table == nil || ranks == nil, "a sharded fit has no local params")
        self.elbo = elbo
        self.ranks = ranks
        self.settings = settings
        self.minibatch = minibatch
        self.table = table
        let shared: Set<String> = minibatch == nil ? ["phi"] : ["phi", MinibatchedDensity.indexInput]
        executable = try Executable(elbo.gradient, varying: elbo.varying, shared: shared, data: elbo.data(data),
                                    batch: max(1, settings.samples), summed: settings.objective == .elbo ? ["grad.phi"] : [])
        let particles = executable.batch
        rowOfElement = elbo.discrete?.rowOfElement ?? []
        let outputs = executable.program.outputNames
        rowTermsOutput = outputs.firstIndex(of: "grad." + MinibatchedDensity.rowWeightInput)
        elementLogqOutput = outputs.firstIndex(of: ELBO.elementLogqOutput)
        score = try elbo.scoreGradient.map { program throws in
            let varying = Set(program.inputs.map(\.name)).subtracting(["phi"])
            return try Executable(program, varying: varying, shared: ["phi"], data: [:], batch: particles, summed: ["grad.phi"])
        }
    }

    /// The variance of the score function term of a step's gradient at `phi` (the summed
    /// variance of the step's mean over the parameters the term reaches: the discrete params'
    /// logits, and with `gradient = score` the family's), with the leave-one-out baseline and
    /// without it: over `steps` steps' draws, the control variate's effect measured on the
    /// same draws. nil where no parameter gets the score function gradient.
    public func scoreVariance(at phi: [Double], steps: Int = 200) -> ScoreVariance? {
        guard score != nil, steps > 1 else { return nil }
        let p = elbo.parameterCount, s = executable.batch, n = elbo.noiseCount
        // The parameters the score function term reaches.
        let reached = (elbo.scoreFunction ? 0 : p - (elbo.discrete?.parameterCount ?? 0))..<p
        var rng = RNG(seed: settings.seed ^ 0x5C0_8E)
        _ = executable.input("phi").update(fromContentsOf: phi)
        let eps = executable.input("eps"), target = executable.handle("target")
        let buffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: p)
        defer { buffer.deallocate() }
        // With the baseline, without it, and (where the rows separate) the whole log weight
        // as every element's signal, with the baseline.
        let variants = [(baseline: true, rows: true), (baseline: false, rows: true)]
            + (rowOfElement.contains { $0 >= 0 } ? [(baseline: true, rows: false)] : [])
        var sums = [[Double]](repeating: [Double](repeating: 0, count: reached.count), count: variants.count)
        var squares = sums
        var taken = 0
        for _ in 0..<steps {
            for i in 0..<(s * n) { eps[i] = rng.normal() }
            elbo.drawDiscrete(executable, phi: UnsafeBufferPointer(executable.input("phi")), rng: &rng)
            guard (try? executable.run()) != nil else { continue }
            let t = (0..<s).map { executable.output(target, particle: $0)[0] }
            guard t.allSatisfy(\.isFinite) else { continue }
            for (j, (baseline, rows)) in variants.enumerated() {
                buffer.initialize(repeating: 0)
                guard (try? addScoreTerm(to: buffer, t, baseline: baseline, rows: rows)) != nil else { continue }
                for (c, i) in reached.enumerated() {
                    let g = buffer[i] / Double(s)
                    sums[j][c] += g
                    squares[j][c] += g * g
                }
            }
            taken += 1
        }
        guard taken > 1 else { return nil }
        let m = Double(taken)
        let variance = variants.indices.map { j in
            zip(sums[j], squares[j]).reduce(0) { $0 + ($1.1 - $1.0 * $1.0 / m) / (m - 1) }
        }
        return ScoreVariance(baseline: variance[0], none: variance[1], wholeSignal: variance.count > 2 ? variance[2] : nil)
    }

    /// The variance of a step's score function term (`scoreVariance`), summed over the
    /// parameters it reaches.
    public struct ScoreVariance: Sendable {
        /// With the leave-one-out baseline: the estimator the fit uses.
        public let baseline: Double
        /// Without a baseline.
        public let none: Double
        /// With the baseline but every element's signal the whole log weight, where the rows'
        /// own terms are what the fit uses; nil otherwise.
        public let wholeSignal: Double?
    }

    /// The score function term's gradient (`ELBO.scoreGradient`), where there is one.
    private let score: Executable?
    /// Each discrete element's row of the density's terms, or -1 (`DiscreteLatents.rowOfElement`).
    private let rowOfElement: [Int]
    /// The outputs of each row's own terms (with the rows weighted) and of each discrete
    /// element's log q, where the gradient program has them.
    private let rowTermsOutput: Int?, elementLogqOutput: Int?

    /// Adds to `gradient` the score function term of a step whose particles drew what
    /// `executable`'s inputs hold and had log weights `t`: each particle's Σ_n c_n ∇ log q(z_n)
    /// over its discrete elements (and its continuous draw, with `gradient = score`), c_n the
    /// element's learning signal less the mean of the other particles' (the leave-one-out
    /// baseline; none with `baseline` false, or with one particle), summed over the particles
    /// as the path derivative is. An element's signal is its row's own terms less its own
    /// log q where the density was weighted by rows (unless `rows` is false), else the whole
    /// log weight.
    func addScoreTerm(to gradient: UnsafeMutableBufferPointer<Double>, _ t: [Double], baseline: Bool = true,
                      rows: Bool = true) throws {
        guard let score else { return }
        let s = t.count, m = elbo.discrete?.count ?? 0, width = m + (elbo.scoreFunction ? 1 : 0)
        _ = score.input("phi").update(fromContentsOf: executable.input("phi"))
        if m > 0 {
            _ = score.input(UnconstrainedDensity.discreteInput).update(fromContentsOf: executable.input(UnconstrainedDensity.discreteInput))
        }
        if elbo.scoreFunction { _ = score.input("eps").update(fromContentsOf: executable.input("eps")) }
        let weights = score.input(ELBO.scoreWeightsInput)
        // Each element's learning signal: its row's own terms less its own log q where the
        // density separates by rows, else the whole log weight.
        let rowTerms = rows ? rowTermsOutput : nil
        for k in 0..<s {
            let own = rowTerms.map { executable.output($0, particle: k) }
            if let logq = elementLogqOutput {
                let q = executable.output(logq, particle: k)
                for n in 0..<m {
                    let r = rowOfElement[n]
                    weights[k * width + n] = r >= 0 && own != nil ? own![r] - q[n] : t[k]
                }
            }
            // The continuous draw's signal: the whole log weight.
            if width > m { weights[k * width + m] = t[k] }
        }
        // Less the mean of the other particles' signals for the element.
        if baseline && s > 1 {
            for n in 0..<width {
                var total = 0.0
                for k in 0..<s { total += weights[k * width + n] }
                for k in 0..<s { weights[k * width + n] -= (total - weights[k * width + n]) / Double(s - 1) }
            }
        }
        try score.run()
        let g = score.summedOutput(score.handle("grad.phi"))
        for i in 0..<gradient.count { gradient[i] += g[i] }
    }

    /// The bound of a step's log weights `t` and the coefficients of the particles' gradients:
    /// for IWAE log mean(w) and the squared normalised weights (DReG, with the path
    /// derivatives of the sticking-the-landing program); for Rényi 1/(1−α) log mean(w^(1−α))
    /// and the normalised w^(1−α) (with the full reparameterisation gradients).
    static func bound(_ t: [Double], _ objective: Objective, alpha: Double) -> (value: Double, coefficients: [Double]) {
        let k = Double(t.count)
        switch objective {
        case .elbo:
            return (t.reduce(0, +) / k, t.map { _ in 1 / k })
        case .iwae, .renyi:
            let a = objective == .iwae ? 0 : alpha
            let v = t.map { (1 - a) * $0 }
            let m = v.max() ?? 0
            let e = v.map { exp($0 - m) }
            let total = e.reduce(0, +)
            let w = e.map { $0 / total }
            let value = (m + log(total / k)) / (1 - a)
            return (value, objective == .iwae ? w.map { $0 * $0 } : w)
        }
    }

    /// A start whose bound is not far below `floor`: `initial` made steadier
    /// (`VariationalFamily.steadied`) until the mean of its bound over 64 draws is finite and
    /// above `floor`, at most 30 times, with how many times. For HVI started on its fitted
    /// base, whose bound there is the base's ELBO less the trajectories' energy error: step
    /// sizes too long for the curvature give a bound hundreds of nats down (or overflowing),
    /// which the optimiser's step-size back-off does not cure.
    public func steadiedStart(_ initial: [Double], floor: Double) -> (phi: [Double], halvings: Int) {
        var start = initial, halvings = 0
        let n = elbo.noiseCount, s = executable.batch
        let eps = executable.input("eps"), phi = executable.input("phi"), target = executable.handle("target")
        func meanBound() -> Double {
            var rng = RNG(seed: settings.seed ^ 0x57EAD)
            _ = phi.update(fromContentsOf: start)
            var total = 0.0, count = 0
            while count < 64 {
                for i in 0..<(s * n) { eps[i] = rng.normal() }
                guard (try? executable.run()) != nil else { return -.infinity }
                for k in 0..<s { total += executable.output(target, particle: k)[0] }
                count += s
            }
            let mean = total / Double(count)
            return mean.isNaN ? -.infinity : mean
        }
        while halvings < 30, !(meanBound() >= floor), let steadier = elbo.family.steadied(start, d: elbo.dimension) {
            start = steadier
            halvings += 1
        }
        return (start, halvings)
    }

    public func run(from initial: [Double], progress: ((Int, Double) -> Void)? = nil,
                    interrupted: () -> Bool = { false }) -> FitResult {
        let start = DispatchTime.now().uptimeNanoseconds
        let n = elbo.noiseCount, p = elbo.parameterCount, s = executable.batch
        // The parameters every step reads: all of φ, or those before the rows' table.
        let q = table?.globals ?? p
        var result = FitResult(phi: initial)
        var adam = Adam(count: q)
        // With a table: every row's parameters (the full layout) and their moments.
        var full = initial
        var rowAdam = table.map { RowAdam(count: initial.count, rows: $0.rows) }
        var rng = RNG(seed: settings.seed)
        // φ lives in the program's input buffer; Adam updates it in place.
        let eps = executable.input("eps"), phi = executable.input("phi")
        // The rows' own stream, so that the guide's noise is the same as without minibatching.
        var rows = minibatch.map { RowSampler(rows: $0.rows, batch: $0.batch, seed: settings.seed ^ 0x6d69_6e69_6261_7463) }
        let index = minibatch == nil ? nil : executable.input(MinibatchedDensity.indexInput)
        _ = phi.update(fromContentsOf: initial[0..<q])
        let targetOutput = executable.handle("target"), gradientOutput = executable.handle("grad.phi")
        // The ELBO's gradient is the particles' sum, scaled by 1/s; another objective's the
        // particles' gradients combined, here.
        let summed = settings.objective == .elbo
        let scale = summed ? 1 / Double(s) : 1
        let combined = UnsafeMutableBufferPointer<Double>.allocate(capacity: summed && ranks == nil && score == nil ? 0 : p)
        defer { combined.deallocate() }
        // What a rank of a sharded fit sums over the ranks each step.
        let exchange = UnsafeMutableBufferPointer<Double>.allocate(capacity: ranks == nil ? 0 : s + p)
        defer { exchange.deallocate() }
        var guardian = StepGuard()
        var windowMeans: [(mean: Double, se: Double)] = []
        var quiet = 0
        var refineStart: Int?, refineLength = 0
        var average = [Double](repeating: 0, count: q), averaged = 0
        // A row's average over its updates in the averaging half of the refinement.
        var rowAverage = [Double](repeating: 0, count: table == nil ? 0 : full.count)
        var rowAveraged = [Int32](repeating: 0, count: table?.rows ?? 0)
        // The parameters at the end of the best window, restored if the fit cannot recover.
        var best: (elbo: Double, phi: [Double], adam: Adam, full: [Double], rowAdam: RowAdam?)?
        // Per parameter, the sum and sum of squares of the step's mean gradient over the window.
        var gradientSum = [Double](repeating: 0, count: q), gradientSquares = [Double](repeating: 0, count: q)
        // The drift of each group of parameters apart, the largest counting: the few of a
        // local params' guide's global part would drown among an encoder's many weights.
        var driftGroups = [0..<q]
        if let local = elbo.family as? LocalLatents, case let g = local.globalParameterCount(elbo.dimension), g > 0, g < q {
            driftGroups = [0..<g, g..<q]
        }
        var step = 0
        while step < settings.steps {
            if interrupted() {
                result.interrupted = true
                break
            }
            for i in 0..<(s * n) { eps[i] = rng.normal() }
            if let index { rows?.fill(index) }
            if let table, let index {
                for b in 0..<index.count {
                    let row = Int(index[b]) - 1
                    for j in 0..<table.width { phi[table.batch(b, j)] = full[table.full(row, j)] }
                }
            }
            elbo.drawDiscrete(executable, phi: UnsafeBufferPointer(phi), rng: &rng)
            var value = 0.0
            var finite = (try? executable.run()) != nil
            // A rank whose part failed sends NaNs, so that every rank rejects the step.
            if summed {
                if let ranks {
                    // The particles' targets, then the gradient, in one sum.
                    let g = executable.summedOutput(gradientOutput)
                    for k in 0..<s { exchange[k] = finite ? executable.output(targetOutput, particle: k)[0] : .nan }
                    for i in 0..<p { exchange[s + i] = finite ? g[i] : .nan }
                    ranks.sum(exchange)
                    value = exchange[0..<s].reduce(0, +) / Double(s)
                    for i in 0..<p { combined[i] = exchange[s + i] }
                    finite = true
                } else if finite {
                    for k in 0..<s { value += executable.output(targetOutput, particle: k)[0] }
                    value /= Double(s)
                }
            } else {
                var t = (0..<s).map { finite ? executable.output(targetOutput, particle: $0)[0] : .nan }
                ranks?(&t)
                if ranks != nil { finite = true }
                if finite {
                    let (bound, coefficients) = Fitter.bound(t, settings.objective, alpha: settings.alpha)
                    value = bound
                    for i in 0..<p { combined[i] = 0 }
                    for (k, c) in coefficients.enumerated() where c > 0 {
                        let g = executable.output(gradientOutput, particle: k)
                        for i in 0..<p { combined[i] += c * g[i] }
                    }
                    if let ranks { ranks.sum(combined) }
                }
            }
            // With a score function term (discrete params, `gradient = score`), the path
            // derivative's sum and that term's.
            if score != nil, finite {
                _ = combined.update(fromContentsOf: executable.summedOutput(gradientOutput))
                finite = (try? addScoreTerm(to: combined, (0..<s).map { executable.output(targetOutput, particle: $0)[0] })) != nil
            }
            let gradient = summed && ranks == nil && score == nil ? executable.summedOutput(gradientOutput) : UnsafeBufferPointer(combined)
            if finite { finite = value.isFinite && ppl_all_finite(gradient.baseAddress, p) != 0 }
            switch guardian.judge(value, finite: finite) {
            case .take: break
            case .reject:
                result.rejected += 1
                step += 1
                continue
            case .backOff:
                result.rejected += 1
                if let best {
                    _ = phi.update(fromContentsOf: best.phi)
                    (adam, full, rowAdam) = (best.adam, best.full, best.rowAdam)
                    result.recoveries += 1
                }
                // Five bad steps running from the best state (or from the start) can be the
                // draw's own divergence, which a smaller learning rate does not cure.
                if let steady = elbo.family.steadied(Array(phi), d: elbo.dimension) {
                    _ = phi.update(fromContentsOf: steady)
                    result.steadied += 1
                }
                step += 1
                continue
            case .giveUp:
                result.rejected += 1
                result.failure = "the ELBO or its gradient " + (guardian.exploded ? "kept exploding" : "stayed non-finite")
                    + " for \(StepGuard.giveUpAfter) steps even at a step size "
                    + String(format: "%.2g", settings.lr * guardian.scale) + "; stopped, keeping the best state reached"
                if let best {
                    _ = phi.update(fromContentsOf: best.phi)
                    full = best.full
                }
                averaged = 0
                rowAveraged = rowAveraged.map { _ in 0 }
            }
            if result.failure != nil { break }
            var lr = settings.lr * guardian.scale
            if settings.warmup > 0 { lr *= min(1, Double(result.trace.count + 1) / Double(settings.warmup)) }
            if let r = refineStart {
                let t = Double(step - r) / Double(max(1, refineLength))
                lr *= pow(0.01, min(1, t))
            }
            adam.step(UnsafeMutableBufferPointer(rebasing: phi[0..<q]), gradient: UnsafeBufferPointer(rebasing: gradient[0..<q]),
                      scale: scale, lr: lr)
            let averaging = refineStart.map { step - $0 >= refineLength / 2 } ?? false
            if let table, let index {
                for b in 0..<index.count {
                    let row = Int(index[b]) - 1
                    rowAdam?.step(row: row, at: b, table: table, phi: &full, gradient: gradient, scale: scale, lr: lr)
                    guard averaging else { continue }
                    for j in 0..<table.width { rowAverage[table.full(row, j)] += full[table.full(row, j)] }
                    rowAveraged[row] += 1
                }
            }
            // The convergence test's gradient moments; the refinement runs without it.
            if refineStart == nil {
                ppl_moments(&gradientSum, &gradientSquares, gradient.baseAddress, scale, q)
            }
            result.trace.append(value)
            step += 1
            progress?(step, value)
            if let r = refineStart {
                if step - r > refineLength / 2 {
                    for i in 0..<q { average[i] += phi[i] }
                    averaged += 1
                }
                if step - r >= refineLength { break }
                continue
            }
            // The convergence test, once per window.
            if result.trace.count % settings.window == 0 {
                let w = result.trace.suffix(settings.window)
                let mean = w.reduce(0, +) / Double(w.count)
                let sd = (w.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(w.count - 1)).squareRoot()
                windowMeans.append((mean, sd / Double(w.count).squareRoot()))
                guardian.endWindow(mean: mean, sd: sd)
                if best == nil || mean > best!.elbo { best = (mean, Array(phi), adam, full, rowAdam) }
                let drift = driftGroups.map { r in
                    Self.drift(sum: Array(gradientSum[r]), squares: Array(gradientSquares[r]), steps: w.count)
                }.max() ?? 0
                result.drift = drift
                for i in 0..<q { (gradientSum[i], gradientSquares[i]) = (0, 0) }
                if windowMeans.count >= 2 {
                    let (m1, s1) = windowMeans[windowMeans.count - 2], (m2, s2) = windowMeans[windowMeans.count - 1]
                    let flat = m2 - m1 < 2 * (s1 * s1 + s2 * s2).squareRoot()
                    quiet = flat && drift < Self.largestDrift ? quiet + 1 : 0
                }
                let reserve = settings.refinement ?? max(1000, step)
                let cap = settings.refinement ?? min(reserve, settings.steps / 2)
                if (quiet >= 3 && step >= settings.minimumExploration) || settings.steps - step <= cap {
                    // A fit stopped by its cap before its minimum exploration has not shown it converged.
                    result.converged = quiet >= 3 && step >= settings.minimumExploration
                    refineStart = step
                    refineLength = min(reserve, settings.steps - step)
                }
            }
        }
        let shared = averaged > 0 ? average.map { $0 / Double(averaged) } : Array(phi[0..<q])
        if let table {
            for row in 0..<table.rows where rowAveraged[row] > 0 {
                for j in 0..<table.width { full[table.full(row, j)] = rowAverage[table.full(row, j)] / Double(rowAveraged[row]) }
            }
            full.replaceSubrange(0..<q, with: shared)
            result.phi = full
        } else {
            result.phi = shared
        }
        result.steps = result.trace.count + result.rejected
        result.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return result
    }

    /// The mean over parameters of the squared z-score of the gradient over a window of
    /// `steps`: (mean of gᵢ)² / (its variance / steps). Where the optimiser jitters about the
    /// optimum it is below 1 (0.2–0.7 measured on the bench models: Adam's oscillation
    /// makes successive gradients anticorrelated); where it still climbs (10–200), the mean gradient stands out of its
    /// noise and it is large. Being a z-score it is unchanged by rescaling a parameter — the
    /// gradient as Adam's diagonal preconditioner sees it.
    public static func drift(sum: [Double], squares: [Double], steps: Int) -> Double {
        let w = Double(steps)
        var total = 0.0, counted = 0
        for i in 0..<sum.count {
            let mean = sum[i] / w
            let variance = (squares[i] / w - mean * mean) * w / (w - 1)
            guard variance > 0 else { continue }
            total += mean * mean / (variance / w)
            counted += 1
        }
        return counted == 0 ? 0 : total / Double(counted)
    }

    /// The largest drift at which the ELBO's flattening counts as convergence.
    public static let largestDrift = 4.0
}
