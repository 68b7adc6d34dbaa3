import Foundation
import PPLIR
import PPLSema
import PPLSyntax

/// The front end as one call: read the model, load the standard library, parse, check
/// and lower. Shared by the CLI subcommands and the REPL.
public struct Compilation: Sendable {
    public let path: String
    public let model: CheckedModel?
    public let diagnostics: [Diagnostic]
    /// Set when the input could not be read at all.
    public let readError: String?


    /// The standard library, read once per process.
    static let libraries: [SourceFile] = Stdlib.sources() ?? []

    /// With `vectorize` false every loop stays a loop (to compare the two).
    public static func compile(path: String, vectorize: Bool = true) -> Compilation {
        guard let file = FileSourceLoader.read(path) else {
            return Compilation(path: path, model: nil, diagnostics: [], readError: "cannot read '\(path)'")
        }
        return compile(file: file, vectorize: vectorize)
    }

    public static func compile(file: SourceFile, vectorize: Bool = true) -> Compilation {
        LargeStack.run { compileOnThisThread(file: file, vectorize: vectorize) }
    }

    private static func compileOnThisThread(file: SourceFile, vectorize: Bool) -> Compilation {
        let sink = DiagnosticSink()
        let elaborator = Elaborator(sink: sink, loader: FileSourceLoader())
        let libraries = Compilation.libraries
        if libraries.isEmpty {
            return Compilation(path: file.path, model: nil, diagnostics: [],
                               readError: "no standard library in PPL_STDLIB (\(ProcessInfo.processInfo.environment["PPL_STDLIB"] ?? "")): "
                                   + "it must name a folder of .ppl files, such as the checkout's stdlib/")
        }
        for lib in libraries { elaborator.loadLibrary(lib) }
        let program = Parser.parse(file, sink: sink)
        var model: CheckedModel?
        if program.items.isEmpty && !sink.hasErrors {
            sink.report(Diagnostic.error("the model is empty: there is nothing to infer",
                                         at: SourceSpan(file: file, start: 0, end: 0),
                                         help: "declare at least one 'param' and its prior"))
        } else if !program.items.isEmpty {
            model = elaborator.elaborate(program, vectorize: vectorize)
        }
        // Errors in source order: files as first met, then by position.
        var order: [String: Int] = [:]
        for d in sink.diagnostics { if let f = d.span.file, order[f.path] == nil { order[f.path] = order.count } }
        let sorted = sink.diagnostics.enumerated().sorted { a, b in
            let fa = a.element.span.file.map { order[$0.path]! } ?? -1
            let fb = b.element.span.file.map { order[$0.path]! } ?? -1
            if fa != fb { return fa < fb }
            if a.element.span.start != b.element.span.start { return a.element.span.start < b.element.span.start }
            return a.offset < b.offset
        }.map(\.element)
        return Compilation(path: file.path, model: sink.hasErrors ? nil : model, diagnostics: sorted, readError: nil)
    }

    /// The checked model, or its errors.
    public func checked() throws(PPLError) -> CheckedModel {
        guard let model else { throw .model(self) }
        return model
    }

    public func renderDiagnostics(color: Bool) -> String {
        if let readError { return "ppl: error: \(readError)\n" }
        var text = DiagnosticRenderer(color: color).render(diagnostics)
        let n = diagnostics.filter { $0.severity == .error }.count
        if n > 1 { text += "\(n) errors\n" }
        return text
    }
}
