import ArgumentParser
import Foundation
import PPLDriver
import PPLInference
import PPLSema

/// Salimans, Kingma & Welling (2015)'s table for Hamiltonian VI on the bench models: one
/// transition of L = 0 (the base alone), 1, 4 and 8 leapfrog steps; per row the negative
/// bound −L̂ and the negative importance-sampled evidence −log p̂(data), both from the same
/// draws of the fitted guide (so lower is better for both), then k̂, the accuracy against
/// the reference posterior and the time per step.
struct LeapfrogBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leapfrog", abstract: "Hamiltonian VI with 0, 1, 4 and 8 leapfrog steps: −L̂ and −log p̂ per row.")

    @OptionGroup var setup: BenchSetup

    @Option(parsing: .upToNextOption, help: "Leapfrog steps per transition, one row each.")
    var leapfrog: [Int] = [0, 1, 4, 8]

    @Option(help: "The base family of every row.")
    var base = "iaf"

    @Option(help: "Guide draws for −L̂, −log p̂ and the accuracy.")
    var draws = 4000

    func run() throws {
        let models = setup.models == BenchSetup.allModels ? ["funnel", "banana", "eight_schools", "hier_linear"] : setup.models
        print("HVI, one transition on a fitted \(base) base; −L̂ and −log p̂ from \(draws) draws (± their standard errors).")
        print(pad("model", 14) + pad("L", 3) + pad("−L̂", 20) + pad("−log p̂", 20) + pad("k̂", 7) + pad("mean err", 9)
              + pad("log-sd err", 11) + pad("sd", 13) + pad("steps", 12) + pad("µs/step", 9) + "seconds")
        for name in models {
            let runtime = try setup.runtime(name)
            let reference = try ReferencePosterior(path: setup.bench + "/reference/\(name).json")
            for l in leapfrog {
                var options = FitOptions(guide: "hvi", family: .hvi)
                try options.set([(.transitions, .int(1)), (.leapfrog, .int(l)), (.base, .name(base)), (.runs, .int(1))])
                let session = try FitSession(runtime: runtime, options: options)
                let result = try session.fit()
                let sampled = try session.sample(draws, phi: result.phi)
                let w = sampled.logWeights
                let mean = w.reduce(0, +) / Double(w.count)
                let se = (w.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(w.count - 1) / Double(w.count)).squareRoot()
                let score = reference.score(sampled)
                let sd = score.map { s in ["v", "z2"].compactMap { k in s.sd[k].map { "sd(\(k)) \(fmt($0))" } }.joined() } ?? ""
                let hviSteps = result.steps - (result.base?.steps ?? 0)
                print(pad(name, 14) + pad(String(l), 3) + pad(String(format: "%.4f ± %.4f", -mean, se), 20)
                      + pad(String(format: "%.4f ± %.4f", -session.logEvidence.estimate, session.logEvidence.standardError), 20)
                      + pad(fmt(session.khat), 7) + pad(score.map { fmt($0.meanError) } ?? "-", 9)
                      + pad(score.map { fmt($0.logSDError) } ?? "-", 11) + pad(sd, 13)
                      + pad("\(result.base?.steps ?? 0)+\(hviSteps)", 12)
                      + pad(fmt(result.seconds / Double(max(1, result.steps)) * 1e6), 9) + fmt(result.seconds))
            }
        }
    }
}
