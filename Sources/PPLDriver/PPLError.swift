import PPLSyntax

/// Every failure the pipeline reports. Its kind alone decides the exit status, here and
/// nowhere else: 65 for the user's model, data, options or files (EX_DATAERR), 70 for a
/// computation that failed or did not pass (EX_SOFTWARE), 71 for a bug in ppl, whose text
/// asks for a report (STYLE.md: internal errors are apart from the user's).
public struct PPLError: Error, CustomStringConvertible {
    public enum Kind: Sendable {
        case user, computation, `internal`

        public var exitCode: Int32 {
            switch self {
            case .user: return 65
            case .computation: return 70
            case .internal: return 71
            }
        }
    }

    public let kind: Kind
    /// What went wrong, one line or more, without a label.
    public let message: String
    /// A model that does not check: its located errors, rendered when printed.
    let compilation: Compilation?

    init(_ kind: Kind, _ message: String, compilation: Compilation? = nil) {
        self.kind = kind
        self.message = message
        self.compilation = compilation
    }

    public static func user(_ message: String) -> PPLError { PPLError(.user, message) }
    public static func computation(_ message: String) -> PPLError { PPLError(.computation, message) }

    /// The located errors of a model that does not check (or could not be read).
    public static func model(_ c: Compilation) -> PPLError {
        c.readError.map { PPLError(.user, $0) } ?? PPLError(.user, "the model does not check", compilation: c)
    }

    /// Located errors found outside a compilation (an edit typed in the REPL).
    public static func located(_ diagnostics: [Diagnostic]) -> PPLError {
        model(Compilation(path: "<repl>", model: nil, diagnostics: diagnostics, readError: nil))
    }

    /// `error` with its own kind where it has one, else `kind`: the kind of what was being
    /// done when it failed (loading data, fitting, ...).
    public init(_ error: any Error, otherwise kind: Kind) {
        switch error {
        case let e as PPLError: self = e
        case let e as InternalError: self.init(.internal, e.message)
        default: self.init(kind, "\(error)")
        }
    }

    /// Runs `body`, giving its errors the kind `kind` where they have none of their own.
    public static func during<T>(_ kind: Kind, _ body: () throws -> T) throws(PPLError) -> T {
        do { return try body() } catch { throw PPLError(error, otherwise: kind) }
    }

    /// `error` or `internal error`.
    public var label: String { kind == .internal ? "internal error" : "error" }

    /// The text for the terminal: a model's located errors, else `prefix` (`ppl: ` or none),
    /// the label (red when `color`) and the message.
    public func text(prefix: String = "", color: Bool) -> String {
        if let compilation { return compilation.renderDiagnostics(color: color) }
        let l = color ? "\u{1B}[1;31m\(label)\u{1B}[0m" : label
        return "\(prefix)\(l): \(message)\n" + (kind == .internal ? InternalError.request + "\n" : "")
    }

    public var description: String { text(color: false) }
}
