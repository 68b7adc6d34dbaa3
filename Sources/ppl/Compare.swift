import ArgumentParser
import Foundation
import PPLDriver
import PPLSema
import PPLSyntax

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit several guides to one model and compare them side by side.",
        discussion: """
            Prints one table of the fits (ELBO, log p(data) ± se, k̂ and its verdict, time, steps), \
            then each param's mean and sd per fit; * marks the fits k̂ says to trust. A fit that \
            fails is a row saying why, and the others go on. Exit status: 0 when every fit \
            succeeded, 70 when any failed (the table and the JSON are still complete), 65 for bad \
            input (an unknown guide, a flag no guide takes).
            """)

    @Argument(help: "The model file (.ppl).")
    var file: String

    @Option(parsing: .upToNextOption, help: "The guides to fit: blocks of the model or families (meanfield fullrank iaf ...).")
    var guides: [String] = []

    @Option(help: "Data (Stan-style JSON); default MODEL.data.json beside the model.")
    var data: String?

    @Option(help: "Write the comparison as JSON to this file.")
    var json: String?

    @OptionGroup(title: "Fit options (each applies to the guides that take it)") var options: FitFlags

    @Option(name: .customLong(FitOptions.Key.draws.flag), help: FitOptions.Key.draws.argumentHelp)
    var drawsCount: String?

    func run() throws {
        let dataPath = data ?? defaultDataPath(file)
        let settings = options.settings + (drawsCount.map { [(.draws, GuideValue(text: $0))] } ?? [])
        let comparison = try Terminal.run { () throws(PPLError) in
            let inputs = [("the model", file)] + (dataPath.map { [("the data", $0)] } ?? [])
            if let json { try OutputFile.check(json, inputs: inputs) }
            let runtime = try ModelRuntime(modelPath: file, dataPath: dataPath)
            return try Comparison(runtime: runtime, model: file, guides: guides, settings: settings)
        }
        print(comparison.text, terminator: "")
        try Terminal.run { () throws(PPLError) in
            if let json { try OutputFile.write(comparison.json, to: json) }
        }
        if comparison.anyFailed { throw Terminal.failed(.computation) }
    }
}
