import CLITestSupport
import Foundation
import XCTest

/// `ppl repl` in a pseudo-terminal, driven through tmux as a user at a keyboard would:
/// completion, history across sessions, Ctrl-R, Ctrl-C at the prompt and during a fit, Ctrl-D.
final class ReplTerminalTests: XCTestCase {
    /// A tmux server of this test's own, so a user's sessions are never touched.
    let socket = "ppl-test-\(getpid())-\(UUID().uuidString.prefix(8))"
    var tmuxPath = ""

    override func setUpWithError() throws {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard let found = path.split(separator: ":").map({ $0 + "/tmux" })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("tmux is not installed")
        }
        tmuxPath = found
    }

    override func tearDown() {
        _ = try? tmux(["kill-server"])
    }

    /// Runs tmux with posix_spawn, not Process: the server that new-session forks would
    /// inherit the socket Foundation watches for the child's exit, and the wait would never end.
    @discardableResult
    func tmux(_ args: [String]) throws -> (status: Int32, output: String) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ppl-tmux-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap({ Int32($0) }) where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        let argv = ([tmuxPath, "-L", socket] + args).map { strdup($0) } + [nil]
        let envp = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, tmuxPath, &actions, nil, argv, envp)
        guard spawned == 0 else { throw Timeout(description: "cannot run tmux: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let output = FileManager.default.contents(atPath: out).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return (status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f), output)
    }

    /// Starts `ppl repl ARGS` in a 120×40 terminal, in the package's root, with its own history file.
    func start(_ name: String, history: String, _ arguments: String = "") throws {
        let command = "env PPL_HISTORY='\(history)' NO_COLOR=1 '\(CLI.binary)' repl \(arguments)"
        let r = try tmux(["new-session", "-d", "-s", name, "-x", "120", "-y", "40", "-c", CLI.root, command])
        XCTAssertEqual(r.status, 0)
        // capture-pane drops trailing blanks: an empty prompt shows as "ppl>".
        try waitFor(name, "ppl>")
    }

    func keys(_ name: String, _ keys: String...) throws {
        try tmux(["send-keys", "-t", name] + keys)
    }

    /// Types `text` literally (no key names).
    func type(_ name: String, _ text: String) throws {
        try tmux(["send-keys", "-t", name, "-l", text])
    }

    func screen(_ name: String) throws -> String {
        try tmux(["capture-pane", "-p", "-t", name]).output
    }

    /// Waits until the screen shows `text` (`count` times), and returns the screen.
    @discardableResult
    func waitFor(_ name: String, _ text: String, count: Int = 1, timeout: Double = 30) throws -> String {
        let end = Date().addingTimeInterval(timeout)
        var shown = ""
        while Date() < end {
            shown = try screen(name)
            if shown.components(separatedBy: text).count - 1 >= count { return shown }
            usleep(50_000)
        }
        throw Timeout(description: "waited \(timeout) s for '\(text)' (\(count)×); the screen:\n\(shown)")
    }

    struct Timeout: Error, CustomStringConvertible {
        let description: String
    }

    func waitUntilGone(_ name: String, timeout: Double = 10) throws -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if try tmux(["has-session", "-t", name]).status != 0 { return true }
            usleep(50_000)
        }
        return false
    }

    func historyFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("ppl-history-\(UUID().uuidString)").path
    }

    func testTabCompletesCommandsAndPaths() throws {
        try start("tab", history: historyFile())
        try type("tab", ":lo")
        try keys("tab", "Tab")
        try waitFor("tab", "ppl> :load")
        try type("tab", "models/regr")
        try keys("tab", "Tab")
        try waitFor("tab", "ppl> :load models/regression.")
        try type("tab", "p")
        try keys("tab", "Tab")
        try waitFor("tab", "ppl> :load models/regression.ppl")
        try keys("tab", "Enter")
        try waitFor("tab", "loaded models/regression.ppl with data models/regression.data.json")
        try type("tab", ":guide f")
        try keys("tab", "Tab")
        try waitFor("tab", "ppl> :guide f")
        try keys("tab", "Tab")
        let s = try waitFor("tab", "fullrank")
        XCTAssertTrue(s.contains("fr"), s)
    }

    func testHistoryIsKeptAcrossSessionsAndRecalledWithUpAndCtrlR() throws {
        let history = historyFile()
        defer { try? FileManager.default.removeItem(atPath: history) }
        try start("first", history: history)
        try type("first", ":set lr 0.02")
        try keys("first", "Enter")
        try waitFor("first", "lr = 0.02")
        try type("first", ":set samples 16")
        try keys("first", "Enter")
        try waitFor("first", "samples = 16")
        try keys("first", "C-d")
        XCTAssertTrue(try waitUntilGone("first"), "Ctrl-D should end the session")
        XCTAssertTrue(FileManager.default.fileExists(atPath: history))

        try start("second", history: history)
        try keys("second", "Up")
        try waitFor("second", "ppl> :set samples 16")
        try keys("second", "Up")
        try waitFor("second", "ppl> :set lr 0.02")
        try keys("second", "Enter")
        try waitFor("second", "lr = 0.02")
        try keys("second", "C-r")
        try type("second", "samp")
        try waitFor("second", "ppl> :set samples 16")
        try keys("second", "Enter")
        try waitFor("second", "samples = 16")
        try type("second", ":quit")
        try keys("second", "Enter")
        XCTAssertTrue(try waitUntilGone("second"), ":quit should end the session")
    }

    func testCtrlCClearsThePromptAndStopsAFitKeepingItsState() throws {
        try start("int", history: historyFile(), "models/regression.ppl")
        // At the prompt: the line is dropped, the session goes on.
        try type("int", "param xyz: real")
        try waitFor("int", "ppl> param xyz: real")
        try keys("int", "C-c")
        try waitFor("int", "^C")
        try type("int", ":show")
        try keys("int", "Enter")
        var s = try waitFor("int", "guide fr = fullrank")
        XCTAssertFalse(s.contains("added: param xyz"), s)
        // A long fit (4,000 draws per step), stopped once it shows progress.
        try type("int", ":set samples 4000")
        try keys("int", "Enter")
        try type("int", ":fit 200000")
        try keys("int", "Enter")
        try waitFor("int", "  step ")
        try keys("int", "C-c")
        s = try waitFor("int", "(interrupted)")
        XCTAssertTrue(s.contains("4000 draws per step"), s)
        try waitFor("int", "interrupted: the guide keeps the state it reached")
        // The session answers, with the state the fit reached, and goes on from it.
        try type("int", ":summary")
        try keys("int", "Enter")
        s = try waitFor("int", "beta[3]")
        XCTAssertTrue(s.contains("guide mf = meanfield, "), s)
        try type("int", ":set samples 8")
        try keys("int", "Enter")
        try type("int", ":fit 20")
        try keys("int", "Enter")
        s = try waitFor("int", "20 steps (step cap reached)")
        XCTAssertTrue(s.contains("continuing from the guide's state after "), s)
    }
}
