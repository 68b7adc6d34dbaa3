import ArgumentParser
import Foundation
import PPLDriver

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Parse and type-check a model; print a summary or located errors.")

    @Argument(help: "The model file (.ppl).")
    var file: String?

    @Option(help: "A data file (Stan-style JSON) giving the sizes; default MODEL.data.json beside the model.")
    var data: String?

    @Flag(help: "List every builtin function, distribution and guide family.")
    var list = false

    func run() throws {
        if list && file == nil {
            let c = Compilation.compile(file: .init(path: "<list>", text: "param x: real"))
            print(Reports.list(c.model?.distributions ?? [:]), terminator: "")
            return
        }
        guard let file else { throw ValidationError("give a model file, or --list") }
        let c = Compilation.compile(path: file)
        guard let model = c.model else {
            Terminal.error(c.renderDiagnostics(color: Terminal.stderrColor))
            throw Exit.userError
        }
        if list {
            print(Reports.list(model.distributions), terminator: "")
            return
        }
        let dataPath = data ?? defaultDataPath(file)
        let sizes = dataPath.flatMap(Reports.sizes(fromJSON:))
        if let data, sizes == nil {
            Terminal.error("ppl: error: cannot read the data file '\(data)' as a JSON object\n")
            throw Exit.userError
        }
        print(Reports.checkSummary(model, sizes: sizes), terminator: "")
    }
}

/// `path/model.ppl` reads `path/model.data.json` when it exists.
func defaultDataPath(_ model: String) -> String? {
    let base = model.hasSuffix(".ppl") ? String(model.dropLast(4)) : model
    let candidate = base + ".data.json"
    return FileManager.default.fileExists(atPath: candidate) ? candidate : nil
}
