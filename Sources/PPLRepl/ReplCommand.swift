import Foundation
import PPLDriver
import PPLSema
import PPLSyntax

/// The commands of `ppl repl`, each typed as `:NAME ARGUMENTS`.
public enum ReplCommand: String, CaseIterable, Sendable {
    case load, data, guide, fit, summary, draws, elbo, khat, report, ir, set, save, restore, show, reset, help, quit

    public var usage: String {
        switch self {
        case .load: return ":load FILE"
        case .data: return ":data FILE"
        case .guide: return ":guide [NAME [{ k = v, ... }]]"
        case .fit: return ":fit [STEPS]"
        case .summary: return ":summary [NAMES]"
        case .draws: return ":draws N FILE"
        case .elbo: return ":elbo"
        case .khat: return ":khat"
        case .report: return ":report FILE"
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
        case .load: return "read a model, and MODEL.data.json beside it"
        case .data: return "read the model's data (Stan-style JSON)"
        case .guide: return "show or choose the guide: a guide block or a family"
        case .fit: return "fit, going on from the guide's state"
        case .summary: return "the posterior table of the fit (NAMES: only those, e.g. alpha,beta)"
        case .draws: return "write N draws of the fitted guide to a CSV file"
        case .elbo: return "plot the ELBO since the guide started"
        case .khat: return "Pareto k-hat and the estimate of log p(data)"
        case .report: return "write an HTML report of the fit (as ppl fit --report does)"
        case .ir: return "the model's IR (--grad: its gradient program)"
        case .set: return "show the settings, or set one"
        case .save: return "save the fitted guide (as ppl fit --save does)"
        case .restore: return "restore a saved fit: model, data, guide, state"
        case .show: return "print the current model"
        case .reset: return "forget the model, data, guide, fit, settings"
        case .help: return "list the commands, or describe one"
        case .quit: return "leave (Ctrl-D also does)"
        }
    }

    /// More for `:help COMMAND`.
    public var details: String {
        switch self {
        case .guide:
            return "NAME is a guide block of the model or a family; with keys it defines the guide block\n"
                + "NAME (replacing one of that name) and chooses it."
        case .fit:
            return "STEPS: the most steps (default: the 'steps' setting, else the guide block's, else "
                + "\(FitOptions.Key.steps.defaultText);\na fit stops earlier when it has converged). A new guide, "
                + "or a model whose unconstrained\ndimension changed, "
                + "starts afresh. Ctrl-C stops the fit and keeps the state it reached."
        case .set:
            return "Keys: " + FitOptions.Key.allCases.map(\.rawValue).joined(separator: ", ") + "; 'default' unsets one.\n"
                + "They override the guide block's keys, as ppl fit's flags do."
        case .save:
            return "A model edited in the session is written beside it as FILE.ppl."
        default:
            return ""
        }
    }

    /// What Tab completes in the command's arguments.
    public enum Argument: Sendable { case none, file, guide, setting, command, flag }

    public var argument: Argument {
        switch self {
        case .load, .data, .draws, .report, .save, .restore: return .file
        case .guide: return .guide
        case .set: return .setting
        case .help: return .command
        case .ir: return .flag
        case .fit, .summary, .elbo, .khat, .show, .reset, .quit: return .none
        }
    }

    /// Splits `:name args` into the command and its argument text.
    public static func parse(_ line: String) throws(PPLError) -> (ReplCommand, String) {
        let body = line.drop { $0 == ":" }
        let name = String(body.prefix { !$0.isWhitespace })
        let rest = body.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
        if let c = ReplCommand(rawValue: name) { return (c, rest) }
        if name == "q" || name == "exit" { return (.quit, rest) }
        var s = "unknown command ':\(name)'"
        if let near = closest(to: name, in: ReplCommand.allCases.map(\.rawValue)) { s += "; did you mean ':\(near)'?" }
        throw .user(s + " (:help lists the commands)")
    }

    /// `:help` as text.
    public static var listing: String {
        let width = allCases.map(\.usage.count).max() ?? 0
        var out = "commands:\n"
        for c in allCases {
            out += "  " + c.usage + String(repeating: " ", count: width - c.usage.count + 2) + c.summary + "\n"
        }
        out += """
            Any other line is model text, e.g. 'param nu: real<lower=0>' or 'nu ~ gamma(2, 0.1)',
            checked at once and added to the model. A statement that declares a name the model
            declares, or a '~' with the same left-hand side, replaces it. A line with an open '{',
            '(' or '[' goes on on the next.

            """
        return out
    }
}
