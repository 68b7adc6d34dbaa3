import ArgumentParser
import Foundation
import PPLDriver

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Parse and type-check a model; print a summary or located errors.")

    @Argument(help: "The model file (.ppl).")
    var file: String?

    @Option(help: "A data file (Stan-style JSON); default MODEL.data.json beside the model.")
    var data: String?

    @Flag(help: "List every builtin function, distribution and guide family.")
    var list = false

    @Flag(help: "Compare the gradient and a Hessian-vector product with finite differences at 10 random points.")
    var gradients = false

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
        var runtime: ModelRuntime?
        let dataPath = data ?? defaultDataPath(file)
        do {
            let values = try dataPath.map { try DataLoader.load(path: $0, model: model) } ?? [:]
            if dataPath != nil || model.data.isEmpty {
                runtime = try ModelRuntime(model: model, data: values, dataFile: dataPath ?? "the data")
            }
        } catch {
            Terminal.error("ppl: error: \(error)\n")
            throw Exit.userError
        }
        print(Reports.checkSummary(model, dimension: runtime?.dimension), terminator: "")
        guard gradients else { return }
        guard let runtime else {
            Terminal.error("ppl: error: --gradients needs the model's data: pass --data FILE\n")
            throw Exit.userError
        }
        let result: GradientCheck
        do {
            result = try GradientCheck(runtime: runtime)
        } catch {
            Terminal.error("ppl: error: \(error)\n")
            throw Exit.runtimeError
        }
        print(Reports.gradientCheck(result), terminator: "")
        if !result.passed { throw Exit.runtimeError }
    }
}
