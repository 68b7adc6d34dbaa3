/// A user-facing error or warning, always tied to a source span.
public struct Diagnostic: Error, Sendable {
    public enum Severity: String, Sendable { case error, warning, note }

    public var severity: Severity
    public var message: String
    public var span: SourceSpan
    /// Extra lines printed after the snippet: `= help: did you mean 'sigma'?`.
    public var help: [String]
    /// Related places, each rendered with its own snippet (e.g. the earlier declaration).
    public var notes: [Diagnostic]

    public init(_ severity: Severity = .error, _ message: String, at span: SourceSpan,
                help: [String] = [], notes: [Diagnostic] = []) {
        self.severity = severity
        self.message = message
        self.span = span
        self.help = help
        self.notes = notes
    }

    public static func error(_ message: String, at span: SourceSpan, help: String? = nil) -> Diagnostic {
        Diagnostic(.error, message, at: span, help: help.map { [$0] } ?? [])
    }
}

/// Collects diagnostics across the stages of one compilation.
public final class DiagnosticSink {
    public private(set) var diagnostics: [Diagnostic] = []
    public init() {}

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
    public var errorCount: Int { diagnostics.filter { $0.severity == .error }.count }

    public func report(_ d: Diagnostic) {
        // The same error at the same place is reported once (e.g. from an inlined function).
        if diagnostics.contains(where: { $0.span == d.span && $0.message == d.message }) { return }
        diagnostics.append(d)
    }

    public func error(_ message: String, at span: SourceSpan, help: String? = nil) {
        report(.error(message, at: span, help: help))
    }
}

/// Internal compiler errors: a bug in ppl, not in the user's model.
public struct InternalError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    /// What an internal error asks of the user.
    public static let request = "This is a bug in ppl; please report it with the model that triggered it."
    public var description: String { "internal error: \(message)\n\(InternalError.request)" }
}
