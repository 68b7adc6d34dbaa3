import ArgumentParser
import PPLDriver
import PPLIR

struct IR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ir",
        abstract: "Print a model's typed IR: transformed data, log density and derived quantities.",
        discussion: "With --guide, the ELBO program of that guide (the family's draw and log q joined to the "
            + "model's log density) and its gradient with respect to the guide's parameters; for a model with "
            + "discrete params, also the gradient of the score function surrogate of their categorical guide.")

    @Argument(help: "The model file (.ppl).")
    var file: String

    @Flag(help: "Print the log density over the unconstrained space and its gradient program.")
    var grad = false

    @Flag(help: "Print the Hessian-vector product program.")
    var hvp = false

    @Option(help: "A guide block of the model, or a family: print its ELBO program and the gradient program.")
    var guide: String?

    @Option(help: "Data (Stan-style JSON) for --guide, which needs the dimension; default MODEL.data.json beside the model.")
    var data: String?

    func run() throws {
        if let guide {
            let session = try Terminal.run { () throws(PPLError) in
                try FitSession.open(model: file, data: data ?? defaultDataPath(file), guide: guide)
            }
            print(Printer.print(session.elbo.program))
            print(Printer.print(session.elbo.gradient), terminator: "")
            if let score = session.elbo.scoreGradient {
                print()
                print(Printer.print(score), terminator: "")
            }
            return
        }
        let model = try Terminal.run { () throws(PPLError) in try Compilation.compile(path: file).checked() }
        if !grad && !hvp {
            print(Reports.ir(model), terminator: "")
            return
        }
        try Terminal.run { () throws(PPLError) in
            let programs = DerivedPrograms(model: model)
            if grad {
                print(Printer.print(programs.unconstrained.density))
                print(Printer.print(try programs.gradient()), terminator: "")
            }
            if hvp {
                if grad { print() }
                print(Printer.print(try programs.hessianVector()), terminator: "")
            }
        }
    }
}
