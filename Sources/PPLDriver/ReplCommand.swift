import Foundation
import PPLSyntax

/// The commands of `ppl repl`, each typed as `:NAME ARGUMENTS`.
public enum ReplCommand: String, CaseIterable, Sendable {
    case load, data, guide, fit, summary, draws, elbo, khat, ir, set, save, restore, show, reset, help, quit

    public var usage: String {
        switch self {
        case .load: return ":load FILE"
        case .data: return ":data FILE"
        case .guide: return ":guide [NAME|FAMILY [{ key = value, ... }]]"
        case .fit: return ":fit [STEPS]"
        case .summary: return ":summary"
        case .draws: return ":draws N FILE"
        case .elbo: return ":elbo"
        case .khat: return ":khat"
        case .ir: return ":ir [--grad]"
        case .set: return ":set [KEY VALUE]"
        case .save: return ":save FILE"
        case .restore: return ":restore FILE"
        case .show: return ":show"
        case .reset: return ":reset"
        case .help: return ":help [COMMAND]"
        case .quit: return ":quit"
        }
    }

    public var summary: String {
        switch self {
        case .load: return "read a model (and MODEL.data.json beside it, when it exists)"
        case .data: return "read the model's data (Stan-style JSON)"
        case .guide: return "show the guide, or choose a guide block or a family; keys define a guide block"
        case .fit: return "fit, continuing from the guide's current state (a new guide starts afresh)"
        case .summary: return "the posterior summary of the last fit"
        case .draws: return "write N draws from the fitted guide to a CSV file"
        case .elbo: return "plot the ELBO trace of the fit"
        case .khat: return "the Pareto k-hat diagnostic and the estimate of log p(data)"
        case .ir: return "print the model's IR (--grad: the unconstrained density and its gradient)"
        case .set: return "show the settings, or set one: " + ReplSettings.Key.allCases.map(\.rawValue).joined(separator: ", ")
        case .save: return "save the fitted guide (for :restore, ppl sample and ppl fit --init)"
        case .restore: return "restore a saved fit: its model, data, guide and state"
        case .show: return "print the current model"
        case .reset: return "forget the model, data, guide, fit and settings"
        case .help: return "list the commands, or describe one"
        case .quit: return "leave (Ctrl-D also does)"
        }
    }

    /// What Tab completes in the command's arguments.
    public enum Argument: Sendable { case none, file, guide, setting, command, flag }

    public var argument: Argument {
        switch self {
        case .load, .data, .draws, .save, .restore: return .file
        case .guide: return .guide
        case .set: return .setting
        case .help: return .command
        case .ir: return .flag
        case .fit, .summary, .elbo, .khat, .show, .reset, .quit: return .none
        }
    }

    public struct Unknown: Error, CustomStringConvertible {
        public let name: String
        public var description: String {
            var s = "unknown command ':\(name)'"
            if let near = closest(to: name, in: ReplCommand.allCases.map(\.rawValue)) { s += "; did you mean ':\(near)'?" }
            return s + " (:help lists the commands)"
        }
    }

    /// Splits `:name args` into the command and its argument text.
    public static func parse(_ line: String) throws -> (ReplCommand, String) {
        let body = line.drop { $0 == ":" }
        let name = String(body.prefix { !$0.isWhitespace })
        let rest = body.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
        if let c = ReplCommand(rawValue: name) { return (c, rest) }
        if name == "q" || name == "exit" { return (.quit, rest) }
        throw Unknown(name: name)
    }

    /// `:help` as text.
    public static var listing: String {
        let width = allCases.map(\.usage.count).max() ?? 0
        var out = "commands:\n"
        for c in allCases {
            out += "  " + c.usage + String(repeating: " ", count: width - c.usage.count + 2) + c.summary + "\n"
        }
        out += """
            Any other line is model text, e.g. 'param nu: real<lower=0>' or 'nu ~ gamma(2, 0.1)': it is
            checked at once and added to the model; a statement declaring a name the model declares, or
            a '~' with the same left-hand side, replaces it. A line with an open '{', '(' or '[' continues.

            """
        return out
    }
}
