import ArgumentParser
import Foundation
import PPLDriver
import PPLInference
import PPLSema
import PPLSyntax

/// Default fits of the bench models with each guide: time per step, accuracy against the
/// reference posteriors, k̂, and failures; beside NumPyro's SVI for the guides it has, in the
/// same run: AutoNormal, AutoMultivariateNormal, AutoIAFNormal and AutoDAIS
/// (`run_numpyro.py`), AutoLaplaceApproximation, AutoLowRankMultivariateNormal, SVGD and
/// AutoNormal under RenyiELBO (scripts/numpyro_toolbox.py).
struct FitBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit", abstract: "Fit time per step and accuracy beside NumPyro's SVI.")

    @OptionGroup var setup: BenchSetup

    @Option(parsing: .upToNextOption, help: "Guide families to fit (default: iaf); 'renyi' is meanfield under the Rényi bound.")
    var guides: [String] = ["iaf"]

    @Option(help: "Steps of NumPyro's fit (its timing is the steady state of the jitted loop).")
    var numpyroSteps = 3000

    @Option(help: "Steps of the single-particle timing run of ppl.")
    var timingSteps = 3000

    /// NumPyro µs per step ÷ ppl µs per step (single particle) that the project aims for.
    static let targets: [String: Double] = ["eight_schools": 2, "funnel": 2, "banana": 2, "mixture": 2]

    /// µs per single-particle step: the best of three `timingSteps`-step fits (a fit is
    /// short; the best run is the one least disturbed by the rest of the machine), each from
    /// the family's own starting point (for HVI: its steps alone, not its base's fit).
    func singleParticleStep(_ runtime: ModelRuntime, _ options: FitOptions) throws -> Double? {
        // Laplace and MAP take no steps; SVGD moves its particles together.
        guard options.family.allKeys.contains(.samples) else { return nil }
        var single = options
        try single.set([(.samples, .int(1)), (.steps, .int(timingSteps))])
        let session = try FitSession(runtime: runtime, options: single)
        return try (0..<3).map { _ -> Double in
            let r = try session.fit(initial: session.family.initialParameters(runtime.dimension))
            return r.seconds / Double(max(1, r.steps)) * 1e6
        }.min()!
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
        case .map, .maf, .realnvp, .nice, .planar, .radial, .amortized: return nil
        }
    }

    func run() throws {
        print("OpenBLAS core: \(OpenBLASSetup.coreName)")
        if !setup.numpyroAvailable {
            print("NumPyro: not available (set up \(setup.python) as ../shared/bench/README.md says); timing ppl only")
        }
        print("Default fits. µs/step: S=1 from a \(timingSteps)-step single-particle run; default is the fit "
              + "with the guide's defaults (8 particles). NumPyro: Trace_ELBO with 1 particle, lr 0.01, "
              + "\(numpyroSteps) steps, jitted-loop steady state.")
        print(pad("model", 14) + pad("guide", 10) + pad("steps", 7) + pad("fit s", 7) + pad("µs/step", 9)
              + pad("S=1 µs", 8) + pad("NumPyro µs", 11) + pad("ratio", 7) + pad("ELBO", 11) + pad("k̂", 6)
              + pad("mean err", 9) + pad("log-sd err", 11) + pad("sd", 18) + pad("NumPyro err/sd", 22) + "notes")
        for name in setup.models {
            let reference = try ReferencePosterior(path: setup.bench + "/reference/\(name).json")
            let runtime = try setup.runtime(name)
            for (guide, options) in try variants(runtime) {
                let session = try FitSession(runtime: runtime, options: options)
                let result = try session.fit()
                let draws = try session.sample(1000, phi: result.phi)
                let score = reference.score(draws)
                let perStep = result.seconds / Double(max(1, result.steps)) * 1e6
                let singleStep = try singleParticleStep(session.runtime, session.options)
                let sameNetStep = session.family.family == .iaf ? try singleParticleStep(session.runtime, try numpyroNetwork(session)) : nil
                var theirs: [String: Any]?
                if setup.numpyroAvailable, let counterpart = numpyroCounterpart(options) {
                    theirs = setup.numpyro(counterpart.script, path: counterpart.path, ["--model", name] + counterpart.args)
                }
                let theirStep = (theirs?["s_per_1000_jit"] as? Double).map { $0 * 1000 }
                let ratio = theirStep.flatMap { t in singleStep.map { t / $0 } }
                let sameNetRatio = theirStep.flatMap { t in sameNetStep.map { t / $0 } }
                var notes: [String] = []
                if let f = result.failure { notes.append(f) }
                if result.rejected > 0 { notes.append("\(result.rejected) non-finite steps rejected") }
                if let t = FitBench.targets[name], let ratio, session.family.family == .iaf {
                    notes.append(ratio >= t ? "speed ≥ \(fmt(t))× met" : "speed ≥ \(fmt(t))× MISSED")
                }
                if let sameNetStep, let sameNetRatio {
                    notes.append("NumPyro's network: \(fmt(sameNetStep)) µs, ratio \(fmt(sameNetRatio))")
                }
                let sd = score.map { s in ["v", "z2"].compactMap { k in s.sd[k].map { "sd(\(k)) \(fmt($0))" } }.joined() } ?? ""
                let numpyroScore = theirs.map { r -> String in
                    let e = [r["mean_err"], r["logsd_err"]].map { ($0 as? Double).map(fmt) ?? "nan" }.joined(separator: "/")
                    let s = [("sd_v", "v"), ("sd_z2", "z2")].compactMap { k, n in (r[k] as? Double).map { " sd(\(n)) \(fmt($0))" } }.joined()
                    return e + s
                } ?? "-"
                print(pad(name, 14) + pad(guide, 10) + pad(String(result.steps), 7) + pad(fmt(result.seconds), 7)
                      + pad(fmt(perStep), 9) + pad(singleStep.map(fmt) ?? "-", 8) + pad(theirStep.map(fmt) ?? "-", 11)
                      + pad(ratio.map(fmt) ?? "-", 7) + pad(String(format: "%.4g", result.elbo), 11)
                      + pad(fmt(session.khat), 6) + pad(score.map { fmt($0.meanError) } ?? "-", 9)
                      + pad(score.map { fmt($0.logSDError) } ?? "-", 11) + pad(sd, 18) + pad(numpyroScore, 22)
                      + notes.joined(separator: "; "))
            }
        }
    }
}
