import ArgumentParser
import Foundation
import PPLDriver
import PPLInference
import PPLSema
import PPLSyntax

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw from a fit saved with ppl fit --save, without refitting.")

    @Argument(help: "The saved fit (.json).")
    var fit: String

    @OptionGroup var output: DrawOutput

    @OptionGroup var seed: DrawSeed

    func run() throws {
        let (saved, session, selection) = try Terminal.run { () throws(PPLError) in
            let saved = try FitReports.readSaved(fit)
            let inputs = [("the saved fit", fit), ("the model", saved.model)] + (saved.data.map { [("the data", $0)] } ?? [])
            for path in [output.draws, output.summaryJSON].compactMap({ $0 }) { try OutputFile.check(path, inputs: inputs) }
            let runtime = try ModelRuntime(modelPath: saved.model, dataPath: saved.data)
            let selection = try output.selection(runtime.model)
            let session = try FitSession(runtime: runtime, guide: saved.guide, settings: saved.settings + output.settings + seed.settings,
                                         frame: .given(saved.frame))
            try session.check(saved, from: fit)
            return (saved, session, selection)
        }
        try Terminal.run { () throws(PPLError) in
            let sampled = try session.sample(session.options.draws, phi: saved.phi)
            print(FitReports.table(sampled, selection, points: Set(session.options.point)))
            print(FitReports.diagnostics(session, draws: sampled.rows.count), terminator: "")
            if let draws = output.draws { try OutputFile.write(FitReports.csv(session, sampled, model: saved.model), to: draws) }
            if let path = output.summaryJSON {
                try OutputFile.write(FitReports.summaryJSON(session, FitResult(phi: saved.phi), sampled, selection), to: path)
            }
        }
    }
}

/// `--seed` of the commands that draw again from a saved fit.
struct DrawSeed: ParsableArguments {
    @Option(name: .customLong(FitOptions.Key.seed.flag),
            help: ArgumentHelp("The random seed of the draws (default: the fit's guide block's, else 1); the same seed gives the same draws.",
                               valueName: FitOptions.Key.seed.valueName))
    var seed: String?

    var settings: [(key: FitOptions.Key, value: GuideValue)] {
        seed.map { [(key: FitOptions.Key.seed, value: GuideValue(text: $0))] } ?? []
    }
}
