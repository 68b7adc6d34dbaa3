import CEditline
import Foundation

/// Line editing, history and Tab completion on libedit's readline interface, for an
/// interactive `ppl repl`. The prompt and the line being edited go to stderr.
final class LineEditor {
    enum Input {
        case line(String)
        /// Ctrl-C at the prompt: the line is dropped.
        case interrupted
        /// Ctrl-D on an empty line.
        case end
    }

    let historyFile: String?
    private var last: String?

    /// Tab's candidates for a word, given the line before it. A C callback cannot capture,
    /// so it lives here.
    nonisolated(unsafe) private static var complete: (String, String) -> [String] = { _, _ in [] }

    init(historyFile: String?, complete: @escaping (_ word: String, _ before: String) -> [String]) {
        self.historyFile = historyFile
        LineEditor.complete = complete
        ppl_rl_configure()
        rl_initialize()
        stifle_history(1000)
        if let historyFile { _ = read_history(historyFile) }
        ppl_rl_set_completer { text, start, _ in LineEditor.matches(text, Int(start)) }
    }

    /// Reads a line. SIGINT interrupts the read (see `ppl_catch_sigint`), and readline
    /// then returns nothing, as at the end of the input: the flag tells them apart.
    func read(prompt: String) -> Input {
        guard let raw = readline(prompt) else {
            return interruptRequested != 0 ? .interrupted : .end
        }
        defer { free(raw) }
        return .line(String(cString: raw))
    }

    /// Adds a line to the history, and saves the history so another session recalls it.
    func remember(_ line: String) {
        guard !line.trimmingCharacters(in: .whitespaces).isEmpty, line != last else { return }
        last = line
        _ = add_history(line)
        if let historyFile { _ = write_history(historyFile) }
    }

    /// The readline matches array: the text that replaces the word (the candidates' longest
    /// common prefix), then the candidates, then NULL; libedit frees it.
    private static func matches(_ text: UnsafePointer<CChar>?, _ start: Int) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        ppl_rl_completion_over()
        let word = text.map { String(cString: $0) } ?? ""
        let line = ppl_rl_line_buffer().map { String(cString: $0) } ?? ""
        let before = String(decoding: line.utf8.prefix(start), as: UTF8.self)
        let found = complete(word, before)
        guard let first = found.first else { return nil }
        var common = first
        for f in found.dropFirst() {
            common = String(zip(common, f).prefix { $0 == $1 }.map(\.0))
        }
        // Out of memory, the completion offers nothing rather than trapping.
        guard let list = calloc(found.count + 2, MemoryLayout<UnsafeMutablePointer<CChar>?>.stride)?
            .assumingMemoryBound(to: UnsafeMutablePointer<CChar>?.self) else { return nil }
        list[0] = strdup(common)
        for (i, f) in found.enumerated() { list[i + 1] = strdup(f) }
        // No space after a folder, so the path can go on.
        ppl_rl_completion_append(found.count == 1 && first.hasSuffix("/") ? 0 : 32)
        return list
    }
}
