import ArgumentParser
import CEditline
import Foundation
import PPLRepl

struct Repl: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "An interactive session: load a model, fit, look, change the model or the guide, refit.",
        discussion: """
            Type :help for the commands; any other line is model text, checked at once and added to \
            the model (a statement that declares a name the model declares, or a '~' with the same \
            left-hand side, replaces it). Ctrl-C stops a fit and keeps the state it reached; at the \
            prompt it clears the line. Ctrl-D or :quit leaves. The history is kept in $PPL_HISTORY, \
            else ~/.ppl_history. With standard input not a terminal (ppl repl < session.txt) the \
            commands are read line by line without prompts, and the exit status is that of the \
            first command that failed (65 a user error, 70 a failed computation, 71 an internal \
            error), else 0.
            """)

    @Argument(help: "A model file (.ppl) to load.")
    var file: String?

    @Option(help: "Data (Stan-style JSON); default MODEL.data.json beside the model.")
    var data: String?

    func run() throws {
        interruptRequested = 0
        _ = ppl_catch_sigint { _ in interruptRequested = 1 }
        let console = ReplSession.Console(
            output: Terminal.output,
            error: Terminal.error,
            fitStarted: {
                // Only a Ctrl-C from now on stops this fit.
                interruptRequested = 0
                let bar = ProgressBar(enabled: isatty(2) == 1, total: 0)
                return (bar.update, bar.finish)
            },
            interrupted: { interruptRequested != 0 },
            color: Terminal.stderrColor)
        let session = ReplSession(console: console)
        if isatty(0) == 1 {
            Terminal.error("ppl repl: ':help' lists the commands; Ctrl-D or ':quit' leaves\n")
            session.open(model: file, data: data)
            interact(session)
        } else {
            session.open(model: file, data: data)
            script(session)
            if session.status != 0 { throw ExitCode(session.status) }
        }
    }

    /// `$PPL_HISTORY` (empty: no history), else `~/.ppl_history`.
    static var historyFile: String? {
        if let path = ProcessInfo.processInfo.environment["PPL_HISTORY"] { return path.isEmpty ? nil : path }
        return NSHomeDirectory() + "/.ppl_history"
    }

    private func interact(_ session: ReplSession) {
        let editor = LineEditor(historyFile: Repl.historyFile) { session.completions(for: $0, after: $1) }
        var pending = ""
        while true {
            interruptRequested = 0
            switch editor.read(prompt: pending.isEmpty ? "ppl> " : "...  ") {
            case .end:
                Terminal.error("\n")
                return
            case .interrupted:
                Terminal.error("^C\n")
                pending = ""
            case .line(let line):
                editor.remember(line)
                pending += (pending.isEmpty ? "" : "\n") + line
                if ReplSession.isIncomplete(pending) { continue }
                defer { pending = "" }
                if !session.execute(pending) { return }
            }
        }
    }

    /// Commands from a file or a pipe, one per line, without prompts or line editing.
    private func script(_ session: ReplSession) {
        var pending = ""
        while let line = readLine(strippingNewline: true) {
            pending += (pending.isEmpty ? "" : "\n") + line
            if ReplSession.isIncomplete(pending) { continue }
            defer { pending = "" }
            if !session.execute(pending) { return }
        }
        if !pending.isEmpty { _ = session.execute(pending) }
    }
}
