import ArgumentParser
import Foundation
import PPLDriver

@main
struct PPL: ParsableCommand {
    static func main() {
        OpenBLASSetup.reexecIfNeeded()
        main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "ppl",
        abstract: "A probabilistic-programming language with variational inference.",
        subcommands: [Fit.self, Check.self, IR.self, Sample.self, Repl.self]
    )
}

/// Exit codes: 0 success, 65 a user error (the model or its data), 70 a failure while
/// computing (a check that did not pass, a program the engine cannot run).
enum Exit {
    static let userError = ExitCode(65)
    static let runtimeError = ExitCode(70)
}

enum Terminal {
    /// Colour only on a terminal and when NO_COLOR is unset.
    static var stderrColor: Bool {
        ProcessInfo.processInfo.environment["NO_COLOR"] == nil && isatty(2) == 1
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Runs `body`; a failure is printed (a model's located errors, or `ppl: error: ...`)
    /// and the command exits with `code`.
    static func failing<T>(with code: ExitCode, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as FitSession.ModelErrors {
            error(e.text(color: stderrColor))
        } catch {
            Terminal.error("ppl: error: \(error)\n")
        }
        throw code
    }
}
