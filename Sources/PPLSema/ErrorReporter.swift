import PPLSyntax

/// Where the checker reports errors: the compilation's sink, except inside an inlined call,
/// whose first error is reported once as an error of the call, "in this call of 'f': ...",
/// with a note at the place in the body; the body's further errors are dropped (they are
/// usually consequences, and would point into a function for every call of it).
final class ErrorReporter {
    let sink: DiagnosticSink
    private var calls: [(name: String, span: SourceSpan, failed: Bool)] = []
    /// While positive, errors are dropped: code elaborated on trial, then thrown away.
    var muted = 0

    init(_ sink: DiagnosticSink) { self.sink = sink }

    var hasErrors: Bool { sink.hasErrors }
    var errorCount: Int { sink.errorCount }

    func error(_ message: String, at span: SourceSpan, help: String? = nil) {
        report(.error(message, at: span, help: help))
    }

    func report(_ diagnostic: Diagnostic) {
        if muted > 0 { return }
        var d = diagnostic
        for k in calls.indices.reversed() {
            if calls[k].failed { return }
            calls[k].failed = true
            var wrapped = Diagnostic.error("in this call of '\(calls[k].name)': \(d.message)", at: calls[k].span)
            if d.span.file != nil { wrapped.notes = [Diagnostic(.note, "the error is here", at: d.span)] }
            d = wrapped
        }
        sink.report(d)
    }

    /// Runs `body` as the inlined call of `name` at `span`; `failed` says whether it reported an error.
    func call<T>(_ name: String, at span: SourceSpan, _ body: () -> T) -> (value: T, failed: Bool) {
        calls.append((name, span, false))
        let value = body()
        return (value, calls.removeLast().failed)
    }
}
