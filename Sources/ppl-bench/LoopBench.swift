import ArgumentParser
import Foundation
import PPLDriver

/// Models written with sequential loops beside their vectorised forms, fitted to the same
/// data (issue 13: a loop form within 3× of the vectorised one). Per pair: the fit steps
/// per second of each form, the median of interleaved fits (timings on a shared machine
/// move by tens of percent from one fit to the next), their ratio, and both ELBOs, which
/// agree when the two forms are the same density.
struct LoopBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loops", abstract: "Loop models beside their vectorised forms: fit steps/s and the ratio.")

    @Option(help: "The folder of the models.")
    var models = "models"

    @Option(parsing: .upToNextOption, help: "Pairs LOOP:VECTORISED of models in the folder; both fit LOOP's data.")
    var pairs = ["ar_loop:ar_lagged"]

    @Option(help: "Fits of each model, interleaved.")
    var rounds = 7

    @Option(help: "Steps of each fit.")
    var steps = 2000

    @Option(help: "The guide family.")
    var guide = "meanfield"

    func run() throws {
        print("\(guide) fits of \(steps) steps, one run each, \(rounds) of each model interleaved; steps/s: the median")
        print(pad("loop model", 16) + pad("steps/s", 10) + pad("vectorised", 16) + pad("steps/s", 10) + pad("ratio", 7)
              + pad("ELBO loop", 12) + "ELBO vectorised")
        for pair in pairs {
            let names = pair.split(separator: ":").map(String.init)
            guard names.count == 2 else { throw ValidationError("a pair is LOOP:VECTORISED, not '\(pair)'") }
            let data = models + "/" + names[0] + ".data.json"
            let sessions = try names.map { name in
                try FitSession.open(model: models + "/" + name + ".ppl", data: data, guide: guide,
                                    settings: [(.steps, .int(steps)), (.runs, .int(1))])
            }
            var rates: [[Double]] = [[], []]
            var elbos = [0.0, 0.0]
            for _ in 0..<rounds {
                for (k, session) in sessions.enumerated() {
                    let result = try session.fit()
                    rates[k].append(Double(result.steps) / result.seconds)
                    elbos[k] = result.elbo
                }
            }
            let (loop, vectorised) = (median(rates[0]), median(rates[1]))
            print(pad(names[0], 16) + pad(fmt(loop), 10) + pad(names[1], 16) + pad(fmt(vectorised), 10)
                  + pad(fmt(vectorised / loop), 7) + pad(String(format: "%.4f", elbos[0]), 12) + String(format: "%.4f", elbos[1]))
        }
    }

    private func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
