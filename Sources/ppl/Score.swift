import ArgumentParser
import Foundation
import PPLDriver
import PPLInference
import PPLSema
import PPLSyntax

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score data under a saved amortized fit: the ELBO and log p(x) per row, as a VAE is evaluated on test data.",
        discussion: """
            For each row x_n of --data, draws K latents z from the saved encoder's Gaussian q(z | x_n) and \
            prints the mean over the rows of the ELBO (the mean of log p(x_n, z) - log q(z | x_n)) and of the \
            importance-weighted estimate log (1/K) sum p(x_n, z_k) / q(z_k | x_n) of log p(x_n) (Burda et al. \
            2016), each with its standard error over the rows. The fit's guide must be amortized and every \
            param but the local one a point estimate (a VAE's decoder). The model must be unchanged; the data \
            are new, with the sizes the guide was fitted with (but the rows').
            """)

    @Argument(help: "The saved fit (.json), from ppl fit --save.")
    var fit: String

    @Option(help: "The data to score (.json or .npz).")
    var data: String

    @Option(help: ArgumentHelp("Draws of each row's latents (K of the importance-weighted estimate).", valueName: "K"))
    var iw: Int = 1000

    @Option(help: ArgumentHelp("Score the first N rows only (default all).", valueName: "N"))
    var rows: Int?

    @OptionGroup var seed: DrawSeed

    @Option(help: ArgumentHelp("Also write the scores as JSON to this file.", valueName: "file.json"))
    var json: String?

    @Flag(help: "No progress line.")
    var quiet = false

    func run() throws {
        let (saved, session) = try Terminal.run { () throws(PPLError) in
            guard iw >= 1, iw <= 1_000_000 else { throw .user("--iw \(iw): the draws per row must be from 1 to 1000000") }
            let saved = try FitReports.readSaved(fit)
            let inputs = [("the saved fit", fit), ("the model", saved.model), ("the data", data)]
            if let json { try OutputFile.check(json, inputs: inputs) }
            let runtime = try ModelRuntime(modelPath: saved.model, dataPath: data)
            // Rows are scored one at a time.
            let session = try FitSession(runtime: runtime, guide: saved.guide,
                                         settings: saved.settings + FitSession.unbatched + seed.settings, frame: .given(saved.frame))
            try session.checkForNewData(saved, from: fit)
            return (saved, session)
        }
        try Terminal.run { () throws(PPLError) in
            guard let size = session.localRows else {
                throw .user("scoring rows needs an amortized guide; guide '\(session.options.guide)' of '\(fit)' is "
                            + session.options.family.rawValue)
            }
            let n = min(rows ?? size.rows, size.rows)
            guard n >= 1 else { throw .user("--rows \(rows ?? 0): score at least one row") }
            let start = DispatchTime.now().uptimeNanoseconds
            var last: UInt64 = 0
            let showing = !quiet && isatty(2) == 1
            let scores = try session.scoreRows(phi: saved.phi, rows: n, particles: iw, seed: session.settings.seed) { done in
                let now = DispatchTime.now().uptimeNanoseconds
                guard showing, now - last > 200_000_000 else { return }
                last = now
                Terminal.error(String(format: "\r  row %d of %d, %.0f rows/s ", done, n, Double(done) / (Double(now - start) / 1e9)))
            }
            if showing { Terminal.error("\r" + String(repeating: " ", count: 50) + "\r") }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let elbo = FitSession.RowScores.mean(scores.elbo), logp = FitSession.RowScores.mean(scores.logMarginal)
            let spread = FitSession.RowScores.mean(scores.largestWeight).mean
            print("\(data): \(n) of \(size.rows) rows of '\(size.size)' under the guide of \(fit)")
            print("  ELBO per row           \(FitReports.number(elbo.mean)) ± \(FitReports.number(elbo.standardError))")
            print("  log p(x) per row       \(FitReports.number(logp.mean)) ± \(FitReports.number(logp.standardError))"
                  + "  (importance-weighted, K = \(iw))")
            print("  (± one standard error over the rows; the largest normalised weight of a row's K averages "
                  + "\(FitReports.number(spread)); \(String(format: "%.1f", seconds)) s)")
            if let json {
                func number(_ x: Double) -> String { x.isFinite ? String(x) : "null" }
                let text = """
                    {
                      "rows": \(n),
                      "iw": \(iw),
                      "elbo": \(number(elbo.mean)),
                      "elbo_se": \(number(elbo.standardError)),
                      "log_p": \(number(logp.mean)),
                      "log_p_se": \(number(logp.standardError)),
                      "largest_weight": \(number(spread)),
                      "seconds": \(number(seconds)),
                      "elbo_rows": [\(scores.elbo.map(number).joined(separator: ", "))],
                      "log_p_rows": [\(scores.logMarginal.map(number).joined(separator: ", "))]
                    }

                    """
                try OutputFile.write(text, to: json)
            }
        }
    }
}
