import PPLDriver
import PPLSema
import PPLSyntax

/// The model of a REPL session: source text, edited one statement at a time.
///
/// A typed statement that declares a name the model already declares (`data`, `param`
/// and `let` share one namespace; `fn`, `dist` and `guide` each have their own), or a
/// `~` statement with the same left-hand side as one of the model's, replaces that
/// statement in place; any other statement is appended. The whole model is checked
/// after each edit, and an edit that does not check changes nothing. A replacement that
/// only checks at the end of the model (it uses a name declared after the statement it
/// replaces) is moved there.
public struct ModelEditor {
    /// The model's name in messages and the base of its `import`s: the file it was read
    /// from, or `<session>` for a model typed in the session.
    public private(set) var path = "<session>"
    public private(set) var text = ""
    public private(set) var model: CheckedModel?
    /// True once the text differs from the file it was read from.
    public private(set) var edited = false
    /// The file the model was read from, if any.
    public private(set) var file: String?

    public init() {}

    /// Reads and checks a model file.
    public static func load(_ path: String) throws(PPLError) -> ModelEditor {
        guard let source = FileSourceLoader.read(path) else {
            throw PPLError.user("cannot read '\(path)'")
        }
        let c = Compilation.compile(file: source)
        guard let model = c.model else { throw PPLError.model(c) }
        var editor = ModelEditor()
        editor.path = path
        editor.file = path
        editor.text = String(decoding: source.bytes, as: UTF8.self)
        editor.model = model
        return editor
    }

    /// What one edit did, with the statements' text.
    public enum Change: Equatable {
        case added(String)
        case replaced(old: String, new: String)
    }

    /// Applies the statements of `input` in order, all or nothing. A rejected edit throws
    /// the model's errors, located in the typed text (`<repl>`) where they lie there.
    public mutating func apply(_ input: String) throws(PPLError) -> [Change] {
        let typed = SourceFile(path: "<repl>", text: input)
        let sink = DiagnosticSink()
        let program = Parser.parse(typed, sink: sink)
        if sink.hasErrors { throw PPLError.located(sink.diagnostics) }
        var next = self
        var changes: [Change] = []
        for item in program.items {
            changes.append(try next.apply(item, from: typed))
        }
        self = next
        return changes
    }

    /// Where a statement of `text` lies, and what it declares.
    private struct Statement {
        let start: Int, end: Int
        let key: Key?
    }

    private enum Key: Equatable {
        case value(String), function(String), distribution(String), guide(String), sampled(String), imported(String)
        /// The `generate` block: a model has one, so a new one replaces it.
        case generated
    }

    private mutating func apply(_ item: Stmt, from typed: SourceFile) throws(PPLError) -> Change {
        let new = Array(typed.bytes[item.span.start..<item.span.end])
        let newText = String(decoding: new, as: UTF8.self)
        let key = ModelEditor.key(of: item, in: typed)
        let bytes = Array(text.utf8)
        let existing = key.flatMap { k in statements().first { $0.key == k } }
        // Each attempt: the new text, and where the typed statement sits in it.
        var attempts: [([UInt8], Int)] = []
        if let old = existing {
            attempts.append((Array(bytes[..<old.start]) + new + Array(bytes[old.end...]), old.start))
            // Moving it takes its line with it.
            var end = old.end
            if old.start == 0 || bytes[old.start - 1] == UInt8(ascii: "\n"), end < bytes.count, bytes[end] == UInt8(ascii: "\n") {
                end += 1
            }
            let without = Array(bytes[..<old.start]) + Array(bytes[end...])
            attempts.append(ModelEditor.appending(new, to: without))
        } else {
            attempts.append(ModelEditor.appending(new, to: bytes))
        }
        var firstErrors: [Diagnostic]?
        for (candidate, offset) in attempts {
            let file = SourceFile(path: path, bytes: candidate)
            let c = Compilation.compile(file: file)
            if let model = c.model {
                text = String(decoding: candidate, as: UTF8.self)
                self.model = model
                edited = true
                guard let old = existing else { return .added(newText) }
                return .replaced(old: String(decoding: bytes[old.start..<old.end], as: UTF8.self), new: newText)
            }
            if let e = c.readError { throw PPLError.user(e) }
            if firstErrors == nil {
                firstErrors = c.diagnostics.map {
                    ModelEditor.relocate($0, from: file, range: offset..<offset + new.count, to: typed, at: item.span.start)
                }
            }
        }
        throw PPLError.located(firstErrors ?? [])
    }

    /// `text` with `statement` on a line of its own at the end, and the statement's offset.
    private static func appending(_ statement: [UInt8], to text: [UInt8]) -> ([UInt8], Int) {
        var out = text
        if let last = out.last, last != UInt8(ascii: "\n") { out.append(UInt8(ascii: "\n")) }
        let offset = out.count
        out += statement
        out.append(UInt8(ascii: "\n"))
        return (out, offset)
    }

    /// A diagnostic inside the typed statement is shown in the typed text, where the user
    /// can see it; one elsewhere stays in the model.
    private static func relocate(_ d: Diagnostic, from file: SourceFile, range: Range<Int>,
                                 to typed: SourceFile, at start: Int) -> Diagnostic {
        var d = d
        if d.span.file === file, range.contains(d.span.start), d.span.end <= range.upperBound {
            d.span = SourceSpan(file: typed, start: d.span.start - range.lowerBound + start,
                                end: d.span.end - range.lowerBound + start)
        }
        d.notes = d.notes.map { relocate($0, from: file, range: range, to: typed, at: start) }
        return d
    }

    /// The top-level statements of the current text.
    private func statements() -> [Statement] {
        let file = SourceFile(path: path, text: text)
        let program = Parser.parse(file, sink: DiagnosticSink())
        return program.items.map { Statement(start: $0.span.start, end: $0.span.end, key: ModelEditor.key(of: $0, in: file)) }
    }

    private static func key(of s: Stmt, in file: SourceFile) -> Key? {
        switch s.kind {
        case .data(let n, _), .param(let n, _), .let_(let n, _, _): return .value(n.name)
        case .fn(let f): return .function(f.name.name)
        case .dist(let d): return .distribution(d.name.name)
        case .guide(let g): return .guide(g.name.name)
        case .import_(let p): return .imported(p)
        case .generate: return .generated
        case .tilde(let lhs, _, _, _): return .sampled(file.text(lhs.span).filter { !$0.isWhitespace })
        case .assign, .targetPlus, .for_, .if_, .block, .return_: return nil
        }
    }

    /// The names the model declares, for completion.
    public var names: [String] {
        let file = SourceFile(path: path, text: text)
        return Parser.parse(file, sink: DiagnosticSink()).items.compactMap { s -> String? in
            switch s.kind {
            case .data(let n, _), .param(let n, _), .let_(let n, _, _): return n.name
            case .fn(let f): return f.name.name
            case .dist(let d): return d.name.name
            case .guide(let g): return g.name.name
            default: return nil
            }
        }
    }
}
