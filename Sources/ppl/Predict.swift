import ArgumentParser
import Foundation
import PPLDriver
import PPLInference

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a fitted model's generate block for new data: posterior predictive draws without refitting.",
        discussion: """
            Draws from the fit saved with ppl fit --save (its model and data must be unchanged), \
            then runs the model's 'generate { ... }' block once per draw with the data of --data. \
            Data the block does not read (the observed outcomes) may be left out of that file; \
            the params must keep their sizes.
            """)

    @Argument(help: "The saved fit (.json).")
    var fit: String

    @Option(help: "The new data (Stan-style JSON), for example new predictors.")
    var data: String

    @OptionGroup var output: DrawOutput

    @OptionGroup var seed: DrawSeed

    func run() throws {
        let (saved, session, runtime) = try Terminal.run { () throws(PPLError) in
            let saved = try FitReports.readSaved(fit)
            let inputs = [("the saved fit", fit), ("the model", saved.model), ("the new data", data)]
                + (saved.data.map { [("the data", $0)] } ?? [])
            for path in [output.draws, output.summaryJSON].compactMap({ $0 }) { try OutputFile.check(path, inputs: inputs) }
            let session = try FitSession.open(model: saved.model, data: saved.data, guide: saved.guide,
                                              settings: saved.settings + output.settings + seed.settings, frame: .given(saved.frame))
            try session.check(saved, from: fit)
            return (saved, session, try Prediction.runtime(for: session.runtime, dataPath: data))
        }
        try Terminal.run { () throws(PPLError) in
            let sampled = try session.sample(session.options.draws, phi: saved.phi, predicting: runtime)
            print("\(data): the generate block of \(saved.model) on \(sampled.rows.count) draws of the fit \(fit)\n")
            let selection = try output.selection(session.runtime.model)
            print(FitReports.table(sampled, selection))
            if let draws = output.draws { try OutputFile.write(FitReports.csv(session, sampled, model: saved.model), to: draws) }
            if let path = output.summaryJSON {
                try OutputFile.write(FitReports.summaryJSON(session, FitResult(phi: saved.phi), sampled, selection), to: path)
            }
        }
    }
}
