import ArgumentParser
import PPLDriver
import PPLIR

struct IR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ir",
        abstract: "Print a model's typed IR: transformed data, log density and derived quantities.")

    @Argument(help: "The model file (.ppl).")
    var file: String

    @Flag(help: "Print the log density over the unconstrained space and its gradient program.")
    var grad = false

    @Flag(help: "Print the Hessian-vector product program.")
    var hvp = false

    func run() throws {
        let c = Compilation.compile(path: file)
        guard let model = c.model else {
            Terminal.error(c.renderDiagnostics(color: Terminal.stderrColor))
            throw Exit.userError
        }
        if !grad && !hvp {
            print(Reports.ir(model), terminator: "")
            return
        }
        do {
            let programs = DerivedPrograms(model: model)
            if grad {
                print(Printer.print(programs.unconstrained.density))
                print(Printer.print(try programs.gradient()), terminator: "")
            }
            if hvp {
                if grad { print() }
                print(Printer.print(try programs.hessianVector()), terminator: "")
            }
        } catch {
            Terminal.error("ppl: error: \(error)\n")
            throw Exit.runtimeError
        }
    }
}
