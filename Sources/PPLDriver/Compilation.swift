import PPLIR
import PPLSema
import PPLSyntax

/// The front end as one call: read the model, load the standard library, parse, check
/// and lower. Shared by the CLI subcommands and (later) the REPL.
public struct Compilation {
    public let path: String
    public let model: CheckedModel?
    public let diagnostics: [Diagnostic]
    /// Set when the input could not be read at all.
    public let readError: String?

    public var succeeded: Bool { model != nil }

    public static func compile(path: String) -> Compilation {
        guard let file = FileSourceLoader.read(path) else {
            return Compilation(path: path, model: nil, diagnostics: [], readError: "cannot read '\(path)'")
        }
        return compile(file: file)
    }

    public static func compile(file: SourceFile) -> Compilation {
        let sink = DiagnosticSink()
        let elaborator = Elaborator(sink: sink, loader: FileSourceLoader())
        let libraries = Stdlib.files()
        if libraries.isEmpty {
            return Compilation(path: file.path, model: nil, diagnostics: [],
                               readError: "cannot find the standard library (stdlib/*.ppl); set PPL_STDLIB to its folder")
        }
        for lib in libraries {
            if let f = FileSourceLoader.read(lib) { elaborator.loadLibrary(f) }
        }
        let program = Parser.parse(file, sink: sink)
        let model = sink.hasErrors && program.items.isEmpty ? nil : elaborator.elaborate(program)
        if program.items.isEmpty && !sink.hasErrors {
            sink.report(Diagnostic.error("the model is empty: there is nothing to infer",
                                         at: SourceSpan(file: file, start: 0, end: 0),
                                         help: "declare at least one 'param' and its prior"))
        }
        return Compilation(path: file.path, model: sink.hasErrors ? nil : model, diagnostics: sink.diagnostics, readError: nil)
    }

    public func renderDiagnostics(color: Bool) -> String {
        if let readError { return "ppl: error: \(readError)\n" }
        var text = DiagnosticRenderer(color: color).render(diagnostics)
        let n = diagnostics.filter { $0.severity == .error }.count
        if n > 1 { text += "\(n) errors\n" }
        return text
    }
}
