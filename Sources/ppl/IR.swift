import ArgumentParser
import PPLDriver

struct IR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ir",
        abstract: "Print a model's typed IR: transformed data, log density and derived quantities.")

    @Argument(help: "The model file (.ppl).")
    var file: String

    func run() throws {
        let c = Compilation.compile(path: file)
        guard let model = c.model else {
            Terminal.error(c.renderDiagnostics(color: Terminal.stderrColor))
            throw Exit.userError
        }
        print(Reports.ir(model), terminator: "")
    }
}
