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
        let model = try Terminal.run { () throws(PPLError) in try Compilation.compile(path: file).checked() }
        if list {
            print(Reports.list(model.distributions), terminator: "")
            return
        }
        let dataPath = data ?? defaultDataPath(file)
        // Without data the dimension is a formula of the sizes, unless the model has none.
        let runtime = try Terminal.run { () throws(PPLError) -> ModelRuntime? in
            guard dataPath != nil || model.data.isEmpty else { return nil }
            return try ModelRuntime(model: model, dataPath: dataPath, hint: "pass --data FILE")
        }
        print(Reports.checkSummary(model, dimension: runtime?.dimension), terminator: "")
        guard gradients else { return }
        let result = try Terminal.run { () throws(PPLError) in
            guard let runtime else { throw .user("--gradients needs the model's data: pass --data FILE") }
            return try GradientCheck(runtime: runtime)
        }
        print(Reports.gradientCheck(result), terminator: "")
        if !result.passed { throw Terminal.failed(.computation) }
    }
}
