import ArgumentParser
import Foundation
import PPLDriver
import PPLInference
import PPLSema
import PPLSyntax

/// Default fits of the bench models with each guide: time per step, accuracy against the
/// reference posteriors, k̂, and failures; beside NumPyro's SVI in the same run.
///
/// Speed: the single-particle step of ppl and the jitted step of NumPyro's AutoNormal,
/// AutoIAFNormal and, for hvi with 4 or 8 leapfrog steps, AutoDAIS with K = 4 or 8
/// (scripts/numpyro_worker.py, compiled once) alternate `repeats` times; the
/// figures are the medians, the ratio's spread its smallest and largest over the runs. End
/// to end: the `ppl fit` process with the model's defaults, from start to printed posterior,
/// against a NumPyro process that imports, compiles and fits AutoNormal for as many steps
/// as ppl's best run took and draws from it, alternately, `repeats` times.
///
/// With `--numpyro-accuracy`, NumPyro's fits of the guides it has are also scored against
/// the reference: AutoNormal, AutoMultivariateNormal, AutoIAFNormal and AutoDAIS
/// (`run_numpyro.py`), AutoLaplaceApproximation, AutoLowRankMultivariateNormal, SVGD and
/// AutoNormal under RenyiELBO (scripts/numpyro_toolbox.py).
struct FitBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit", abstract: "Fit time per step and accuracy beside NumPyro's SVI.")

    @OptionGroup var setup: BenchSetup

    @Option(parsing: .upToNextOption, help: "Guide families to fit (default: meanfield iaf); 'renyi' is meanfield under the Rényi bound.")
    var guides: [String] = ["meanfield", "iaf"]

    @Option(help: "Steps of NumPyro's fit (its timing is the steady state of the jitted loop).")
    var numpyroSteps = 3000

    @Option(help: "Steps of the single-particle timing run of ppl.")
    var timingSteps = 3000

    @Option(help: "Alternating runs of ppl and NumPyro per figure (each figure is their median).")
    var repeats = 3

    @Flag(help: "Also fit with NumPyro's one-shot scripts and score its accuracy (slow: minutes a model).")
    var numpyroAccuracy = false

    @Flag(help: "Skip the end-to-end timing of the ppl and NumPyro processes.")
    var noEndToEnd = false

    /// ppl ÷ NumPyro step and end-to-end speeds that the project aims for (issue 19).
    static let stepTarget = 2.0, endToEndTarget = 10.0

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
    }

    /// A session fitting with one particle for `timingSteps` steps, for the step's timing.
    func singleParticleSession(_ runtime: ModelRuntime, _ options: FitOptions) throws -> FitSession? {
        // Laplace and MAP take no steps; SVGD moves its particles together.
        guard options.family.allKeys.contains(.samples) else { return nil }
        var single = options
        try single.set([(.samples, .int(1)), (.steps, .int(timingSteps))])
        return try FitSession(runtime: runtime, options: single)
    }

    /// µs per single-particle step of one `timingSteps`-step fit from the family's own
    /// starting point (for HVI: its steps alone, not its base's fit).
    func step(_ session: FitSession) throws -> Double {
        let r = try session.fit(initial: session.family.initialParameters(session.runtime.dimension))
        return r.seconds / Double(max(1, r.steps)) * 1e6
    }

    /// hvi on AutoDAIS's base, a diagonal Gaussian: the same work per step but for the base.
    func diagonalBase(_ options: FitOptions) throws -> FitOptions {
        var o = options
        try o.set(.base, .name("meanfield"))
        return o
    }

    /// The worker's name for NumPyro's counterpart of a fit's step, if it times one.
    func stepCounterpart(_ options: FitOptions) -> String? {
        guard options.objective == .elbo else { return nil }
        switch options.family {
        case .meanfield, .iaf: return options.family.rawValue
        case .hvi where options.transitions == 1 && [4, 8].contains(options.leapfrog): return "dais\(options.leapfrog)"
        default: return nil
        }
    }

    /// NumPyro's IAF network (run_numpyro.py): two flows, two hidden layers of max(32, D).
    func numpyroNetwork(_ session: FitSession) throws -> FitOptions {
        var options = FitOptions(guide: "iaf", family: .iaf)
        let width = GuideValue.int(max(32, session.runtime.dimension))
        try options.set([(.layers, .int(2)), (.hidden, .list([width, width]))])
        return options
    }

    /// The guides of a row each: a guide block or family by name; `hvi` twice, with 4 and 8
    /// leapfrog steps (one transition), to compare with AutoDAIS at K = 4 and 8 (as many
    /// gradient evaluations per step).
    func variants(_ runtime: ModelRuntime) throws -> [(String, FitOptions)] {
        try guides.flatMap { guide -> [(String, FitOptions)] in
            var options = try GuideSelection.select(guide == "renyi" ? "meanfield" : guide, from: runtime.model.guides).get()
            if guide == "renyi" { try options.set(.objective, .name("renyi")) }
            // One fit, as NumPyro's SVI makes: the time per step and the accuracy of a run.
            if options.family.allKeys.contains(.runs) { try options.set(.runs, .int(1)) }
            guard guide == "hvi" else { return [(guide, options)] }
            return try [4, 8].map { l in
                var o = options
                try o.set(.leapfrog, .int(l))
                return ("hvi L=\(l)", o)
            }
        }
    }

    /// NumPyro's counterpart of a fit, if it has one: the script and its arguments.
    func numpyroCounterpart(_ options: FitOptions) -> (script: String, path: String?, args: [String])? {
        let anchor = ["--steps", String(numpyroSteps), "--pyloop-steps", "10", "--elbo-particles", "200", "--num-draws", "1000"]
        let toolbox = ["--steps", String(numpyroSteps), "--draws", "1000"]
        if options.objective == .renyi {
            guard options.family == .meanfield else { return nil }
            return ("", "scripts/numpyro_toolbox.py", ["--method", "renyi", "--alpha", String(options.alpha)] + toolbox)
        }
        guard options.objective == .elbo else { return nil }
        switch options.family {
        case .meanfield, .fullrank, .iaf: return ("run_numpyro.py", nil, ["--guide", options.family.rawValue] + anchor)
        case .hvi:
            guard options.transitions == 1, [4, 8].contains(options.leapfrog) else { return nil }
            return ("run_numpyro.py", nil, ["--guide", "dais\(options.leapfrog)"] + anchor)
        case .laplace, .lowrank: return ("", "scripts/numpyro_toolbox.py", ["--method", options.family.rawValue] + toolbox)
        case .svgd: return ("", "scripts/numpyro_toolbox.py", ["--method", "svgd", "--particles", String(options.particles)] + toolbox)
        case .map, .maf, .realnvp, .nice, .planar, .radial, .amortized, .mixture: return nil
        }
    }

    func run() throws {
        print("OpenBLAS core: \(OpenBLASSetup.coreName)")
        if !setup.numpyroAvailable {
            print("NumPyro: not available (set up \(setup.python) as ../shared/bench/README.md says); timing ppl only")
        }
        print("Default fits. µs/step: the fit with the guide's defaults (8 particles). S=1 µs: single-particle steps of "
              + "\(timingSteps)-step fits; NumPyro µs: its jitted loop of \(timingSteps) Trace_ELBO steps (1 particle, "
              + "Adam 0.01); medians of \(repeats) alternating runs, ratio NumPyro ÷ ppl as median (min–max).")
        print(pad("model", 14) + pad("guide", 10) + pad("steps", 7) + pad("fit s", 7) + pad("µs/step", 9)
              + pad("S=1 µs", 8) + pad("NumPyro µs", 11) + pad("ratio", 20) + pad("ELBO", 11) + pad("k̂", 6)
              + pad("mean err", 9) + pad("log-sd err", 11) + pad("sd", 18) + pad("NumPyro err/sd", 22) + "notes")
        for name in setup.models {
            let reference = try ReferencePosterior(path: setup.bench + "/reference/\(name).json")
            let runtime = try setup.runtime(name)
            let worker = setup.worker(name)
            for (guide, options) in try variants(runtime) {
                let session = try FitSession(runtime: runtime, options: options)
                let result = try session.fit()
                let draws = try session.sample(1000, phi: result.phi)
                let score = reference.score(draws)
                let perStep = result.seconds / Double(max(1, result.steps)) * 1e6
                let iaf = session.family.family == .iaf, hvi = session.family.family == .hvi
                let single = try singleParticleSession(session.runtime, session.options)
                // NumPyro's own network for iaf; AutoDAIS's base for hvi.
                let sameNet = iaf ? try singleParticleSession(session.runtime, try numpyroNetwork(session))
                    : hvi ? try singleParticleSession(session.runtime, try diagonalBase(session.options)) : nil
                let counterpart = stepCounterpart(options)
                var steps = Interleaved(), sameNetSteps = Interleaved()
                if let single {
                    for _ in 0..<repeats {
                        // Rates (steps per µs), so that the ratio reads as ppl's speed-up.
                        steps.ours.append(1 / (try step(single)))
                        if let sameNet { sameNetSteps.ours.append(1 / (try step(sameNet))) }
                        if let counterpart, let r = worker?.request("svi \(counterpart) \(timingSteps)"),
                           let us = r["us_per_step"] as? Double {
                            steps.theirs.append(1 / us)
                            sameNetSteps.theirs.append(1 / us)
                        }
                    }
                }
                var theirs: [String: Any]?
                if numpyroAccuracy, setup.numpyroAvailable, let counterpart = numpyroCounterpart(options) {
                    theirs = setup.numpyro(counterpart.script, path: counterpart.path, ["--model", name] + counterpart.args)
                }
                var notes: [String] = []
                if let f = result.failure { notes.append(f) }
                if result.rejected > 0 { notes.append("\(result.rejected) non-finite steps rejected") }
                if let ratio = steps.medianRatio {
                    let t = FitBench.stepTarget
                    notes.append(ratio >= t ? "speed ≥ \(fmt(t))× met" : "speed ≥ \(fmt(t))× MISSED")
                }
                if let us = sameNetSteps.ourMedian {
                    let what = hvi ? "base meanfield (AutoDAIS's)" : "NumPyro's network"
                    notes.append("\(what): \(fmt(1 / us)) µs, ratio \(sameNetSteps.ratioText)")
                }
                let sd = score.map { s in ["v", "z2"].compactMap { k in s.sd[k].map { "sd(\(k)) \(fmt($0))" } }.joined() } ?? ""
                let numpyroScore = theirs.map { r -> String in
                    let e = [r["mean_err"], r["logsd_err"]].map { ($0 as? Double).map(fmt) ?? "nan" }.joined(separator: "/")
                    let s = [("sd_v", "v"), ("sd_z2", "z2")].compactMap { k, n in (r[k] as? Double).map { " sd(\(n)) \(fmt($0))" } }.joined()
                    return e + s
                } ?? "-"
                print(pad(name, 14) + pad(guide, 10) + pad(String(result.steps), 7) + pad(fmt(result.seconds), 7)
                      + pad(fmt(perStep), 9) + pad(steps.ourMedian.map { fmt(1 / $0) } ?? "-", 8)
                      + pad(steps.theirMedian.map { fmt(1 / $0) } ?? "-", 11) + pad(steps.ratioText, 20)
                      + pad(String(format: "%.4g", result.elbo), 11)
                      + pad(fmt(session.khat), 6) + pad(score.map { fmt($0.meanError) } ?? "-", 9)
                      + pad(score.map { fmt($0.logSDError) } ?? "-", 11) + pad(sd, 18) + pad(numpyroScore, 22)
                      + notes.joined(separator: "; "))
            }
            if !noEndToEnd { try endToEnd(name) }
        }
    }

    /// The `ppl fit` binary beside this one.
    var pplBinary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("ppl")
    }

    /// Seconds from the start of a process to its exit, and whether it succeeded.
    func processTime(_ executable: URL, _ arguments: [String]) throws -> (seconds: Double, ok: Bool, status: Int32) {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        // A real /dev/null: ppl checks that its output was written.
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        let start = DispatchTime.now().uptimeNanoseconds
        try p.run()
        p.waitUntilExit()
        return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, p.terminationStatus == 0, p.terminationStatus)
    }

    /// End to end, process start to printed posterior: `ppl fit` with the model's defaults
    /// (meanfield unless it has a guide block; 4 runs on the cores; the mode search, the
    /// diagnostics and the resampling included) against NumPyro's AutoNormal for as many
    /// steps as ppl's best run took (imports, tracing and compiling included), alternately.
    func endToEnd(_ name: String) throws {
        guard FileManager.default.isExecutableFile(atPath: pplBinary.path) else {
            throw ValidationError("no ppl binary at \(pplBinary.path) for the end-to-end timing: build it "
                                  + "(swift build -c release) or pass --no-end-to-end")
        }
        let summary = FileManager.default.temporaryDirectory.appendingPathComponent("ppl-bench-\(getpid()).json")
        defer { try? FileManager.default.removeItem(at: summary) }
        var args = ["fit", setup.bench + "/models/\(name).ppl", "--quiet", "--summary-json", summary.path]
        if let data = setup.dataPath(name) { args += ["--data", data] }
        var runs = Interleaved()
        var steps = 0
        var notes: [String] = []
        for _ in 0..<repeats {
            let ours = try processTime(pplBinary, args)
            guard ours.ok else {
                notes.append("ppl fit failed (exit \(ours.status))")
                break
            }
            runs.ours.append(1 / ours.seconds)
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: summary)) as? [String: Any]
            steps = json?["steps"] as? Int ?? 0
            guard setup.numpyroAvailable, steps > 0 else { continue }
            let theirs = try processTime(URL(fileURLWithPath: setup.python), [
                "scripts/numpyro_worker.py", "--bench", setup.bench, "--model", name, "--end-to-end", "meanfield",
                "--steps", String(steps),
            ])
            if theirs.ok { runs.theirs.append(1 / theirs.seconds) } else { notes.append("NumPyro failed (exit \(theirs.status))") }
        }
        if let ratio = runs.medianRatio {
            let t = FitBench.endToEndTarget
            notes.append(ratio >= t ? "end to end ≥ \(fmt(t))× met" : "end to end ≥ \(fmt(t))× MISSED")
        }
        print(pad(name, 14) + pad("e2e", 10) + pad(String(steps), 7) + pad(runs.ourMedian.map { fmt(1 / $0) } ?? "-", 7)
              + pad("", 17) + pad(runs.theirMedian.map { fmt(1 / $0) + " s" } ?? "-", 11) + pad(runs.ratioText, 20)
              + "process seconds, ppl fit's defaults vs NumPyro AutoNormal for as many steps; " + notes.joined(separator: "; "))
    }
}
