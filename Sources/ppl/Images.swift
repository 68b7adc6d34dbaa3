import ArgumentParser
import Foundation
import PPLDriver
import PPLInference
import PPLSema
import PPLSyntax

struct Images: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw rows of data and of a saved fit's quantities as a PNG grid of images.",
        discussion: """
            Each name of --show is a data value or a quantity of the model (a param, a let, a generated \
            quantity), a matrix whose rows are images of --shape pixels with values in [0, 1]; a quantity \
            is shown by its mean over --draws-n draws of the fit (1: a single draw). One name: its rows in a block; several: \
            a row of the grid per row of them, side by side (a VAE's test images beside their \
            reconstructions). With an amortized guide, --data may be new data (its encoder places the \
            rows' latents); otherwise it must be the fit's.
            """)

    @Argument(help: "The saved fit (.json), from ppl fit --save.")
    var fit: String

    @Option(help: "The data (.json or .npz); default the fit's.")
    var data: String?

    @Option(help: ArgumentHelp("The values to show, comma-separated: data, params, lets or generated quantities.",
                               valueName: "names"))
    var show: String

    @Option(help: ArgumentHelp("The height and width of an image.", valueName: "HxW"))
    var shape: String

    @Option(help: ArgumentHelp("The PNG file to write.", valueName: "file.png"))
    var out: String

    @Option(help: ArgumentHelp("Show the first N rows only (default all).", valueName: "N"))
    var rows: Int?

    @Option(name: .customLong("draws-n"), help: ArgumentHelp("Draws a quantity's mean is taken over (1: one draw, as of a sample from the prior).", valueName: "n"))
    var draws: Int = 20

    @OptionGroup var seed: DrawSeed

    func run() throws {
        try Terminal.run { () throws(PPLError) in
            var grid = try ImageGrid(shape: shape)
            if let rows, rows < 1 { throw .user("--rows \(rows): show at least one row") }
            guard draws >= 1, draws <= 100_000 else { throw .user("--draws-n \(draws): from 1 to 100000 draws") }
            let names = show.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard !names.isEmpty, !names.contains("") else { throw .user("--show \(show): name one value or more, comma-separated") }
            let saved = try FitReports.readSaved(fit)
            let dataPath = data ?? saved.data
            let inputs = [("the saved fit", fit), ("the model", saved.model)] + (dataPath.map { [("the data", $0)] } ?? [])
            try OutputFile.check(out, inputs: inputs)
            let runtime = try ModelRuntime(modelPath: saved.model, dataPath: dataPath)
            let session = try FitSession(runtime: runtime, guide: saved.guide,
                                         settings: saved.settings + FitSession.unbatched + [(.draws, .int(max(10, draws)))] + seed.settings,
                                         frame: .given(saved.frame))
            if session.localRows != nil, data != nil {
                try session.checkForNewData(saved, from: fit)
            } else {
                try session.check(saved, from: fit)
            }
            var sampled: PosteriorDraws?
            for name in names {
                if let value = runtime.values[name] {
                    try grid.add(name, values: value.values, rows: rows)
                    continue
                }
                if sampled == nil { sampled = try session.sample(draws, phi: saved.phi) }
                guard let means = ImageGrid.means(of: name, in: sampled!, first: draws) else {
                    throw .user("--show: '\(name)' is neither data nor a quantity of \(saved.model)")
                }
                try grid.add(name, values: means, rows: rows)
            }
            try OutputFile.write(bytes: try grid.png(), to: out)
            let count = grid.columns.first?.images.count ?? 0
            print("\(out): \(names.joined(separator: ", ")), \(count) image\(count == 1 ? "" : "s") of \(grid.height)x\(grid.width) "
                  + (names.count == 1 ? "" : "each ") + (sampled == nil ? "" : draws == 1 ? "(quantities: one draw)" : "(quantities: means over \(draws) draws)"))
        }
    }
}
