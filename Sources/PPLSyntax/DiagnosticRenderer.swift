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
        let (line, col) = file.location(of: d.span.start)
        out += paint("\(file.path):\(line):\(col):", "1") + " \(label): \(d.message)\n"
        let text = file.lineText(line).replacingTabs()
        let gutter = String(line)
        let pad = String(repeating: " ", count: gutter.count)
        out += " \(gutter) | \(text)\n"
        let (endLine, _) = file.location(of: max(d.span.start, d.span.end - 1))
        let lineLength = text.utf8.count
        let caretStart = min(col - 1, lineLength)
        var width = endLine == line ? d.span.end - d.span.start : lineLength - caretStart
        width = max(1, min(width, max(1, lineLength - caretStart)))
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
    /// Tabs become single spaces so the caret column matches the byte column.
    func replacingTabs() -> String {
        String(map { $0 == "\t" ? " " : $0 })
    }
}
