import ArgumentParser
import Foundation
import PPLDriver
import PPLInference
import PPLSema

/// Minibatch SVI on models/logistic_big.ppl (a million rows, 20 predictors) beside NumPyro's
/// `plate(..., subsample_size=M)` with AutoNormal (models/logistic_big_numpyro.py), in the
/// same run: time per step, interleaved (a round of ppl steps, then a round of NumPyro's,
/// `rounds` times; medians), and the accuracy of each fit against the Laplace reference
/// make_logistic_big.py computes at the exact mode.
struct MinibatchBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "minibatch", abstract: "Minibatch SVI on a million-row logistic regression beside NumPyro's subsampling.")

    @OptionGroup var setup: BenchSetup

    @Option(help: "The model.")
    var model = "models/logistic_big.ppl"

    @Option(help: "The folder make_logistic_big.py wrote its data and reference to; logistic_big_numpyro.py is beside the model.")
    var data = "models/big"

    @Option(help: "Rows of a batch.")
    var batch = 1000

    @Option(help: "Rounds of the interleaved timing.")
    var rounds = 5

    @Option(help: "Steps of a timing round, each side.")
    var roundSteps = 1000

    @Option(help: "Steps of NumPyro's fit in all (timing rounds included), at Adam's lr 0.01.")
    var numpyroSteps = 20000

    @Option(help: "Draws of ppl's fitted guide for its accuracy.")
    var draws = 2000

    /// A NumPyro process kept running, answering one JSON line per command.
    final class Anchor {
        let process = Process()
        let input = Pipe(), output = Pipe()
        var buffer = Data()

        init(python: String, script: String, arguments: [String]) throws {
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [script] + arguments
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        /// The next line of output, as JSON.
        func reply() throws -> [String: Any] {
            while true {
                if let newline = buffer.firstIndex(of: 10) {
                    let line = buffer[buffer.startIndex..<newline]
                    buffer.removeSubrange(buffer.startIndex...newline)
                    guard let json = try JSONSerialization.jsonObject(with: line) as? [String: Any] else { continue }
                    return json
                }
                let more = output.fileHandleForReading.availableData
                if more.isEmpty { throw ValidationError("NumPyro's script stopped (status \(process.terminationStatus))") }
                buffer.append(more)
            }
        }

        func send(_ command: String) throws -> [String: Any] {
            input.fileHandleForWriting.write(Data((command + "\n").utf8))
            return try reply()
        }
    }

    /// Per component: |Δ mean| / sd and |log sd ratio| against the reference; their means and maxima.
    static func errors(_ fitted: [String: (mean: Double, sd: Double)],
                       _ reference: [String: (mean: Double, sd: Double)]) -> (mean: Double, maxMean: Double, logSD: Double, maxLogSD: Double) {
        let names = reference.keys.filter { fitted[$0] != nil }
        let m = names.map { abs(fitted[$0]!.mean - reference[$0]!.mean) / reference[$0]!.sd }
        let s = names.map { abs(log(fitted[$0]!.sd / reference[$0]!.sd)) }
        return (m.reduce(0, +) / Double(m.count), m.max() ?? .nan, s.reduce(0, +) / Double(s.count), s.max() ?? .nan)
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    func run() throws {
        print("OpenBLAS core: \(OpenBLASSetup.coreName)")
        let loadStart = Date()
        let runtime = try ModelRuntime(modelPath: model, dataPath: data + "/logistic_big.data.json")
        print("data: \(data)/logistic_big.data.json read in \(fmt(Date().timeIntervalSince(loadStart))) s")
        let referenceJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: data + "/logistic_big.reference.json")))
        guard let root = referenceJSON as? [String: Any], let params = root["params"] as? [String: [String: Double]] else {
            throw ValidationError("\(data)/logistic_big.reference.json has no params")
        }
        let reference = params.mapValues { (mean: $0["mean"]!, sd: $0["sd"]!) }

        // ppl: meanfield with batches of M, one run, the guide's own draws (NumPyro's are AutoNormal's).
        var options = try GuideSelection.select("meanfield", from: runtime.model.guides).get()
        try options.set([(.minibatch, .name("N=\(batch)")), (.runs, .int(1)), (.psis_resample, .name("off"))])
        // The time per step does not depend on the frame; without one, no Newton search on the full data first.
        var timing = options
        try timing.set([(.samples, .int(1)), (.steps, .int(roundSteps)), (.precondition, .name("off"))])
        let timingSession = try FitSession(runtime: runtime, options: timing)

        var anchor: Anchor?
        if setup.numpyroAvailable {
            let a = try Anchor(python: setup.python, script: (model as NSString).deletingLastPathComponent + "/logistic_big_numpyro.py",
                               arguments: [data + "/logistic_big.data.npz", "--batch", String(batch), "--scan-steps", String(roundSteps)])
            let ready = try a.reply()
            print("NumPyro: compiled in \(fmt(ready["compile_s"] as? Double ?? .nan)) s")
            anchor = a
        } else {
            print("NumPyro: not available (\(setup.python)); timing ppl only")
        }
        var ours: [Double] = [], theirs: [Double] = []
        for _ in 0..<rounds {
            let r = try timingSession.fit(initial: timingSession.family.initialParameters(runtime.dimension))
            ours.append(r.seconds / Double(max(1, r.steps)) * 1e6)
            if let anchor, let s = try anchor.send("time")["seconds"] as? Double { theirs.append(s / Double(roundSteps) * 1e6) }
        }
        print("time per step, one draw per step, batch \(batch), \(rounds) interleaved rounds of \(roundSteps) steps (median):")
        print("  ppl     \(fmt(Self.median(ours))) µs  (rounds: \(ours.map(fmt).joined(separator: ", ")))")
        if !theirs.isEmpty {
            print("  NumPyro \(fmt(Self.median(theirs))) µs  (rounds: \(theirs.map(fmt).joined(separator: ", ")))")
            print("  ratio   \(fmt(Self.median(theirs) / Self.median(ours)))× (NumPyro ÷ ppl)")
        }

        // The accuracy and the time to converge: with ppl's defaults (the frame of the mode's
        // curvature, searched on the full data, timed with the fit), and without a frame (the
        // mode, found by then, still anchors the control variate).
        for precondition in [true, false] {
            var o = options
            try o.set(.precondition, .name(precondition ? "on" : "off"))
            let start = Date()
            let session = try FitSession(runtime: runtime, options: o)
            let fit = try session.fit()
            let seconds = Date().timeIntervalSince(start)
            let posterior = try session.sample(draws, phi: fit.phi)
            var fitted: [String: (mean: Double, sd: Double)] = [:]
            for (name, s) in zip(posterior.names, posterior.summaries()) { fitted[name] = (s.mean, s.sd) }
            let e = Self.errors(fitted, reference)
            let anchored = session.batches?.anchor == nil ? "" : ", control variate at the mode"
            print("ppl fit (meanfield, minibatch N=\(batch)\(anchored), \(o.samples) draws per step, frame: \(session.frameNote)): "
                  + "\(fit.steps) steps, \(fit.converged ? "converged" : "step cap reached"), \(fmt(seconds)) s with the frame's search "
                  + "(the fit's steps \(fmt(fit.seconds)) s); k̂ \(fmt(session.khat)) (full data)")
            print("  error against the Laplace reference: mean \(fmt(e.mean)) sd (largest \(fmt(e.maxMean))), "
                  + "|log sd ratio| \(fmt(e.logSD)) (largest \(fmt(e.maxLogSD))), from \(draws) draws of the guide")
        }
        if let anchor {
            let reply = try anchor.send("fit \(numpyroSteps)")
            let p = (reply["params"] as? [String: [String: Double]] ?? [:]).mapValues { (mean: $0["mean"]!, sd: $0["sd"]!) }
            let n = Self.errors(p, reference)
            let steps = reply["steps"] as? Int ?? numpyroSteps
            print("NumPyro fit (AutoNormal, Adam lr 0.01, 1 draw per step): \(steps) steps, "
                  + "\(fmt(Double(steps) * Self.median(theirs) / 1e6)) s at its median step time")
            print("  error against the Laplace reference: mean \(fmt(n.mean)) sd (largest \(fmt(n.maxMean))), "
                  + "|log sd ratio| \(fmt(n.logSD)) (largest \(fmt(n.maxLogSD))), from the guide's loc and scale")
            anchor.input.fileHandleForWriting.closeFile()
            anchor.process.waitUntilExit()
        }
    }
}
