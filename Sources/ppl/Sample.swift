import ArgumentParser
import Foundation
import PPLDriver
import PPLInference

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw from a fit saved with ppl fit --save, without refitting.")

    @Argument(help: "The saved fit (.json).")
    var fit: String

    @OptionGroup var output: DrawOutput

    func run() throws {
        let (saved, session) = try Terminal.run { () throws(PPLError) in
            let saved = try FitReports.readSaved(fit)
            let inputs = [("the saved fit", fit), ("the model", saved.model)] + (saved.data.map { [("the data", $0)] } ?? [])
            for path in [output.draws, output.summaryJSON].compactMap({ $0 }) { try OutputFile.check(path, inputs: inputs) }
            let session = try FitSession.open(model: saved.model, data: saved.data, guide: saved.guide,
                                              settings: output.settings, frame: .given(saved.frame))
            try session.check(saved, from: fit)
            return (saved, session)
        }
        try Terminal.run { () throws(PPLError) in
            let sampled = try session.sample(session.options.draws, phi: saved.phi)
            print(FitReports.table(sampled))
            print(FitReports.diagnostics(session, draws: sampled.rows.count), terminator: "")
            if let draws = output.draws { try OutputFile.write(FitReports.csv(session, sampled, model: saved.model), to: draws) }
            if let path = output.summaryJSON {
                try OutputFile.write(FitReports.summaryJSON(session, FitResult(phi: saved.phi), sampled), to: path)
            }
        }
    }
}
