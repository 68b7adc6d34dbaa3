import ArgumentParser
import CEditline
import Foundation
import PPLDriver

@main
struct PPL: ParsableCommand {
    static func main() {
        OpenBLASSetup.reexecIfNeeded()
        Terminal.guardStandardStreams()
        main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "ppl",
        abstract: "A probabilistic-programming language with variational inference.",
        version: Version.text,
        subcommands: [Fit.self, Compare.self, Check.self, IR.self, Sample.self, Predict.self, Score.self, Images.self, Repl.self]
    )
}

enum Terminal {
    /// Colour only on a terminal and when NO_COLOR is unset.
    static var stderrColor: Bool {
        ProcessInfo.processInfo.environment["NO_COLOR"] == nil && isatty(2) == 1
    }

    /// Writes to standard error; a failure there has nowhere to be told, and is dropped.
    static func error(_ text: String) {
        _ = OutputFile.writeToDescriptor(2, text)
    }

    /// Warnings go to standard error, after what standard output has so far, so that on a
    /// terminal they appear where they belong.
    static func warn(_ text: String) {
        guard !text.isEmpty else { return }
        output("")
        error(text)
    }

    /// Standard output for the REPL, through the same buffer as `print`, flushed at once.
    static func output(_ text: String) { ppl_stdout_write(text) }

    /// Whether standard output was closed when ppl started.
    nonisolated(unsafe) static var outputClosed = false

    /// A write to a closed pipe (`ppl fit ... | head`) is an error, not a death by SIGPIPE; a
    /// closed descriptor 0, 1 or 2 is held by a stand-in, so no file ppl opens takes its
    /// number (and then what `print` writes); and at exit, output that could not be written
    /// is an error naming standard output, with exit status 65, never a silent success.
    static func guardStandardStreams() {
        signal(SIGPIPE, SIG_IGN)
        for fd: Int32 in [0, 1, 2] where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            // Writes to /dev/full fail, so a closed standard output fails as it should.
            let standIn = open(fd == 1 ? "/dev/full" : "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY)
            if standIn >= 0 && standIn != fd {
                dup2(standIn, fd)
                close(standIn)
            }
            if fd == 1 { outputClosed = true }
        }
        atexit {
            errno = 0
            guard ppl_stdout_failed() != 0 else { return }
            let code = errno
            let reason = Terminal.outputClosed ? "it is closed" : code == 0 ? "a write failed" : String(cString: strerror(code))
            Terminal.error("ppl: error: cannot write the standard output: \(reason)\n")
            _exit(PPLError.Kind.user.exitCode)
        }
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
