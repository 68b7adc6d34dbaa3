/// Renders diagnostics as `file:line:col: error: message`, the source line and a caret
/// under the span (the layout of stanc3's `Errors.ml` and rustc).
public struct DiagnosticRenderer {
    public var color: Bool

    public init(color: Bool) { self.color = color }

    public func render(_ d: Diagnostic) -> String {
        var out = ""
        let label: String
        switch d.severity {
        case .error: label = paint("error", "1;31")
        case .warning: label = paint("warning", "1;33")
        case .note: label = paint("note", "1;36")
        }
        guard let file = d.span.file else {
            out += "ppl: \(label): \(d.message)\n"
            for h in d.help { out += "  = help: \(h)\n" }
            return out
        }
        let (line, byteColumn) = file.location(of: d.span.start)
        let (endLine, _) = file.location(of: max(d.span.start, d.span.end - 1))
        // Columns count characters, not bytes; control characters are shown as '?'.
        let raw = Array(file.lineBytes(line))
        let before = min(byteColumn - 1, raw.count)
        let spanBytes = endLine == line ? min(d.span.end - d.span.start, raw.count - before) : raw.count - before
        let prefix = String(decoding: raw[..<before], as: UTF8.self).printable()
        let marked = String(decoding: raw[before..<before + max(0, spanBytes)], as: UTF8.self).printable()
        let text = String(decoding: raw, as: UTF8.self).printable()
        let col = prefix.count + 1
        out += paint("\(file.path):\(line):\(col):", "1") + " \(label): \(d.message)\n"
        let gutter = String(line)
        let pad = String(repeating: " ", count: gutter.count)
        out += " \(gutter) | \(text)\n"
        let caretStart = prefix.count
        let width = max(1, marked.count)
        out += " \(pad) | " + String(repeating: " ", count: caretStart)
            + paint(String(repeating: "^", count: width), "1;32") + "\n"
        for h in d.help { out += " \(pad) = help: \(h)\n" }
        for n in d.notes { out += render(n) }
        return out
    }

    public func render(_ ds: [Diagnostic]) -> String {
        ds.map(render).joined()
    }

    private func paint(_ s: String, _ code: String) -> String {
        color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s
    }
}

extension String {
    /// Tabs become spaces and other control characters '?', one column each, so the
    /// caret lines up and no raw control byte reaches the terminal.
    func printable() -> String {
        String(map { c -> Character in
            if c == "\t" { return " " }
            if let a = c.asciiValue, a < 32 || a == 127 { return "?" }
            return c
        })
    }
}
