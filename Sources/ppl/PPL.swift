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

enum Terminal {
    /// Colour only on a terminal and when NO_COLOR is unset.
    static var stderrColor: Bool {
        ProcessInfo.processInfo.environment["NO_COLOR"] == nil && isatty(2) == 1
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Runs `body`; a failure is printed (a model's located errors, or `ppl: error: ...`)
    /// and the command exits with the status of its kind (`PPLError.Kind.exitCode`).
    static func run<T>(_ body: () throws(PPLError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            Terminal.error(error.text(prefix: "ppl: ", color: stderrColor))
            throw ExitCode(error.kind.exitCode)
        }
    }

    /// The exit of a command whose result (not an error) says it failed: a fit that did not
    /// recover, a gradient check that did not pass.
    static func failed(_ kind: PPLError.Kind) -> ExitCode { ExitCode(kind.exitCode) }
}
