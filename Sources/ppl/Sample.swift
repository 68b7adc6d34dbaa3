import ArgumentParser
import Foundation
import PPLDriver
import PPLInference

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw from a fit saved with ppl fit --save, without refitting.")

    @Argument(help: "The saved fit (.json).")
    var fit: String

    @Option(name: .customLong("draws-n"), help: "Number of draws (default 1000).")
    var drawsCount = 1000

    @Option(help: "Write the draws to this CSV file.")
    var draws: String?

    @Option(name: .customLong("summary-json"), help: "Write the summary as JSON to this file.")
    var summaryJSON: String?

    func run() throws {
        let session: FitSession
        let saved: FitReports.Saved
        do {
            saved = try FitReports.readSaved(fit)
            session = try FitSession.open(model: saved.model, data: saved.data, guide: saved.guide,
                                          overrides: FitSession.Overrides())
            guard saved.phi.count == session.elbo.parameterCount else {
                throw FitSession.Failure("'\(fit)' does not match '\(saved.model)' any more (the model or data changed)")
            }
        } catch let e as FitSession.ModelErrors {
            Terminal.error(e.text(color: Terminal.stderrColor))
            throw Exit.userError
        } catch {
            Terminal.error("ppl: error: \(error)\n")
            throw Exit.userError
        }
        do {
            let sampled = try session.sample(drawsCount, phi: saved.phi)
            print(FitReports.table(sampled))
            print(FitReports.diagnostics(session, draws: sampled.rows.count), terminator: "")
            if let draws { try FitReports.write(FitReports.csv(sampled), to: draws) }
            if let summaryJSON {
                var r = PPLInference.FitResult(phi: saved.phi)
                r.trace = []
                try FitReports.write(FitReports.summaryJSON(session, r, sampled), to: summaryJSON)
            }
        } catch {
            Terminal.error("ppl: error: \(error)\n")
            throw Exit.runtimeError
        }
    }
}
