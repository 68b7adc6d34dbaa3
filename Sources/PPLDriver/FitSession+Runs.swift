import Dispatch
import PPLEngine
import PPLInference

extension FitSession {
    /// `runs` independent fits, as a Stan user runs chains: each from its own start — the
    /// frame moved by u ~ U(−2, 2)ᵈ in its coordinates (two Laplace sds about the mode; in
    /// the model's unconstrained coordinates without one, Stan's default) — with its own
    /// seed, in parallel, one per core. The first run is the fit a single run would make.
    /// The result is the run of the best ELBO, with every run's in `runs`; `sample(_:result:)`
    /// checks their agreement and pools the draws of those that agree.
    func fitRuns(progress: ((Int, Double) -> Void)?, interrupted: () -> Bool) throws(PPLError) -> FitResult {
        let count = options.runs
        let frame = elbo.frame!
        var rng = RNG(seed: settings.seed ^ 0xD15_7E45ED)
        var elbos = [elbo]
        for _ in 1..<count {
            let u = (0..<runtime.dimension).map { _ in 4 * rng.uniform() - 2 }
            elbos.append(elbo.moved(to: frame.place(u)))
        }
        let outcomes = withoutActuallyEscaping(interrupted) { interrupted in
            withoutActuallyEscaping(progress ?? { _, _ in }) { report in
                // A sharded fit's runs sum over the ranks in turn, one run at a time.
                ParallelRuns(count: count, parallel: runtime.shard == nil) { r in
                    Result { () throws(PPLError) in
                        try self.fit(in: elbos[r], seed: self.runSeed(r), initial: nil,
                                     progress: r == 0 && progress != nil ? report : nil, interrupted: interrupted)
                    }
                }.outcomes()
            }
        }
        var results: [FitResult] = []
        for outcome in outcomes { results.append(try outcome.get()) }
        var top = results[Self.best(results)]
        // Interrupted runs are not comparable: the fit keeps the best state reached.
        if results.contains(where: \.interrupted) {
            top.interrupted = true
            return top
        }
        top.runs = results
        return top
    }

    /// The run of the best finite ELBO (the first if none is finite).
    static func best(_ runs: [FitResult]) -> Int {
        runs.indices.filter { runs[$0].elbo.isFinite }.max { runs[$0].elbo < runs[$1].elbo } ?? 0
    }

    /// Run r's seed; the first run's is the fit's.
    func runSeed(_ r: Int) -> UInt64 { settings.seed &+ UInt64(r) &* 0x9E37_79B9_7F4A_7C15 }

    /// Draws from a fit, with its diagnostics. Of several runs: `count` draws of each, their
    /// agreement (`agreement`), and the draws of those that agree with the best pooled.
    public func sample(_ count: Int, result: FitResult) throws(PPLError) -> PosteriorDraws {
        guard result.runs.count > 1, count > 0 else { return try sample(count, phi: result.phi) }
        var parts: [PosteriorDraws] = []
        for (r, run) in result.runs.enumerated() {
            let moved = run.frame.map { elbo.moved(to: $0.location) } ?? elbo
            parts.append(try draws(count, elbo: moved, phi: run.phi, seed: runSeed(r)))
        }
        let a = RunAgreement(zip(result.runs, parts).map {
            RunAgreement.Run(elbo: $0.elbo, elboError: $0.elboStandardError, draws: $1.rows)
        }, names: parts[0].names, discrete: Set(parts[0].names.indices.filter { c in
            let param = parts[0].names[c].split(separator: "[").first.map(String.init)
            return runtime.discrete?.groups.contains { $0.name == param } ?? false
        }))
        agreement = a
        return try generating(diagnosed(a.agreeing.map { parts[$0] }))
    }
}

/// Runs `body` for 0..<count on the cores, each index once, and collects what each returns.
/// `@unchecked Sendable`: the body of a run reads the session and writes only its own run's
/// slot; the only state the runs share is the interrupt flag, which they only read.
private final class ParallelRuns: @unchecked Sendable {
    let count: Int
    let parallel: Bool
    let body: (Int) -> Result<FitResult, PPLError>
    var slots: [Result<FitResult, PPLError>?]

    init(count: Int, parallel: Bool, body: @escaping (Int) -> Result<FitResult, PPLError>) {
        self.count = count
        self.parallel = parallel
        self.body = body
        slots = Array(repeating: nil, count: count)
    }

    func outcomes() -> [Result<FitResult, PPLError>] {
        slots.withUnsafeMutableBufferPointer { buffer in
            let out = UnsafeSlots(buffer)
            if parallel {
                DispatchQueue.concurrentPerform(iterations: count) { r in out.buffer[r] = self.body(r) }
            } else {
                for r in 0..<count { out.buffer[r] = body(r) }
            }
        }
        return slots.map { $0! }
    }
}

/// The slots of `ParallelRuns`, each written by one thread.
private struct UnsafeSlots: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Result<FitResult, PPLError>?>
    init(_ buffer: UnsafeMutableBufferPointer<Result<FitResult, PPLError>?>) { self.buffer = buffer }
}
