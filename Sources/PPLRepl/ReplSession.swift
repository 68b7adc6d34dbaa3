import Foundation
import PPLDriver
import PPLIR
import PPLInference
import PPLSema
import PPLSyntax

/// One `ppl repl` session: the model being edited, its data, the chosen guide, the
/// settings, and the guide's state after the fits so far, so that `:fit` goes on from
/// where the last one stopped.
public final class ReplSession {
    /// Where results and errors go, and how a fit shows its progress and learns of Ctrl-C.
    public struct Console {
        public var output: (String) -> Void
        public var error: (String) -> Void
        /// Called as a fit starts: a progress callback (step, ELBO), and what to call when it ends.
        public var fitStarted: () -> (progress: (Int, Double) -> Void, finished: () -> Void)
        public var interrupted: () -> Bool
        public var color: Bool

        public init(output: @escaping (String) -> Void, error: @escaping (String) -> Void,
                    fitStarted: @escaping () -> (progress: (Int, Double) -> Void, finished: () -> Void),
                    interrupted: @escaping () -> Bool, color: Bool) {
            self.output = output
            self.error = error
            self.fitStarted = fitStarted
            self.interrupted = interrupted
            self.color = color
        }
    }

    var editor = ModelEditor()
    var dataPath: String?
    /// A guide block or a family; nil: the model's first guide block, else meanfield.
    var guide: String?
    var settings = ReplSettings()
    var fitted: Fitted?
    /// The model with its data, kept while neither changes.
    private var cachedRuntime: (text: String, data: String?, runtime: ModelRuntime)?
    /// What a script exits with: 0, or the status of the first command that failed
    /// (`PPLError.Kind.exitCode`).
    public internal(set) var status: Int32 = 0
    let console: Console

    public init(console: Console) {
        self.console = console
    }

    /// The guide's state: its parameters, the ELBO trace since it started, draws from it.
    struct Fitted {
        let session: FitSession
        let identity: String
        let phi: [Double]
        let trace: [Double]
        let steps: Int
        let last: FitResult?
        let draws: PosteriorDraws
        /// The model and data it was fitted to.
        let editor: ModelEditor
        let dataPath: String?
    }

    static let noModel = "no model yet: ':load FILE', or type a statement such as 'param mu: real'"

    // MARK: - Input

    /// Runs one input, a command or model text; false when the session should end.
    public func execute(_ input: String) -> Bool {
        let trimmed = input.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return true }
        var goOn = true
        reporting { () throws(PPLError) in
            if trimmed.hasPrefix(":") {
                let (command, arguments) = try ReplCommand.parse(trimmed)
                if command == .quit {
                    goOn = false
                } else {
                    try run(command, arguments)
                }
            } else {
                try edit(input)
            }
        }
        return goOn
    }

    /// Opens the model (and data) named on the command line.
    public func open(model: String?, data: String?) {
        reporting { () throws(PPLError) in
            if let model {
                try load(model, data: data)
            } else if let data {
                dataPath = path(data)
                say("data: \(data) (read when a model is loaded)")
            }
        }
    }

    /// True while `text` is not a whole statement: an open bracket, or a last line that
    /// ends with an operator, a comma or a backslash.
    public static func isIncomplete(_ text: String) -> Bool {
        if text.trimmingCharacters(in: .whitespaces).hasPrefix(":") { return false }
        let tokens = Lexer.tokenize(SourceFile(path: "<repl>", text: text + "\n"), sink: DiagnosticSink())
        var depth = 0
        for t in tokens {
            switch t.kind {
            case .symbol(.lparen), .symbol(.lbracket), .symbol(.lbrace): depth += 1
            case .symbol(.rparen), .symbol(.rbracket), .symbol(.rbrace): depth -= 1
            default: break
            }
        }
        if depth > 0 { return true }
        // The lexer drops the newline after a token that continues the line.
        let last = tokens.last { $0.kind != .eof }
        return last != nil && last?.kind != .newline
    }

    /// Runs `body`; a failure is printed and, the first time, sets the exit status.
    private func reporting(_ body: () throws(PPLError) -> Void) {
        do {
            try body()
        } catch {
            console.error(error.text(color: console.color))
            if status == 0 { status = error.kind.exitCode }
        }
    }

    func say(_ text: String) {
        console.output(text.hasSuffix("\n") ? text : text + "\n")
    }

    /// A leading `~/` is the home folder.
    func path(_ p: String) -> String {
        (p as NSString).expandingTildeInPath
    }

    /// Runs `body`; if it throws, the session is as it was.
    func atomically(_ body: () throws(PPLError) -> Void) throws(PPLError) {
        let saved = (editor, dataPath, guide, fitted)
        do {
            try body()
        } catch {
            (editor, dataPath, guide, fitted) = saved
            throw error
        }
    }

    // MARK: - Commands

    private func run(_ command: ReplCommand, _ arguments: String) throws(PPLError) {
        let none = { (name: String) throws(PPLError) in
            if !arguments.isEmpty { throw PPLError.user("':\(name)' takes no arguments") }
        }
        switch command {
        case .load:
            try load(try argument(arguments, "FILE", command), data: nil)
        case .data:
            try useData(path(try argument(arguments, "FILE", command)))
        case .guide:
            try chooseGuide(arguments)
        case .fit:
            try fit(arguments)
        case .summary:
            try summary(arguments)
        case .draws:
            try writeDraws(arguments)
        case .elbo:
            try none("elbo")
            let f = try current()
            guard !f.trace.isEmpty else { throw PPLError.user("no ELBO trace: this guide was restored, not fitted; ':fit' first") }
            say(ElboPlot.render(f.trace))
        case .khat:
            try none("khat")
            say(diagnostics(try current()))
        case .report:
            try report(path(try argument(arguments, "FILE", command)))
        case .ir:
            try ir(arguments)
        case .set:
            try set(arguments)
        case .save:
            try save(path(try argument(arguments, "FILE", command)))
        case .restore:
            try restore(path(try argument(arguments, "FILE", command)))
        case .show:
            try none("show")
            guard editor.model != nil else { throw PPLError.user(ReplSession.noModel) }
            say(editor.text)
        case .reset:
            try none("reset")
            editor = ModelEditor()
            dataPath = nil
            guide = nil
            settings = ReplSettings()
            fitted = nil
            say("reset: no model, no data, the default guide and settings")
        case .help:
            try help(arguments)
        case .quit:
            break
        }
    }

    private func argument(_ text: String, _ what: String, _ command: ReplCommand) throws(PPLError) -> String {
        guard !text.isEmpty else { throw PPLError.user("':\(command.rawValue)' needs a \(what): \(command.usage)") }
        return text
    }

    private func help(_ arguments: String) throws(PPLError) {
        if arguments.isEmpty {
            say(ReplCommand.listing)
            return
        }
        let (c, _) = try ReplCommand.parse(arguments.hasPrefix(":") ? arguments : ":" + arguments)
        let details = c.details.split(separator: "\n").map { "\n  " + $0 }.joined()
        say("\(c.usage)\n  \(c.summary)" + details)
        if c == .set { say(settings.listing(for: try guideOptions())) }
    }

    private func load(_ file: String, data: String?) throws(PPLError) {
        let loaded = try ModelEditor.load(path(file))
        try atomically { () throws(PPLError) in
            editor = loaded
            dataPath = nil
            guide = nil
            fitted = nil
            var message = "loaded \(file)"
            if let d = data.map(path) ?? defaultDataPath(path(file)) {
                dataPath = d
                message += " with data \(d)"
            }
            let needsData = !(editor.model?.data.isEmpty ?? true)
            say(message + ": " + describeModel(dataPath != nil || !needsData ? try runtime() : nil))
        }
    }

    private func useData(_ file: String) throws(PPLError) {
        try atomically { () throws(PPLError) in
            dataPath = file
            guard editor.model != nil else {
                say("data: \(file) (read when a model is loaded)")
                return
            }
            let rt = try runtime()
            say("data \(file): " + describeModel(rt))
        }
    }

    /// `3 params, 5 unconstrained dimensions; guide mf = meanfield`.
    private func describeModel(_ rt: ModelRuntime?) -> String {
        guard let model = editor.model else { return "no model" }
        var s = "\(model.params.count) param\(model.params.count == 1 ? "" : "s")"
        if let rt { s += ", \(rt.dimension) unconstrained dimension\(rt.dimension == 1 ? "" : "s")" }
        if rt == nil && !model.data.isEmpty { s += " (data needed: \(model.data.map(\.name).joined(separator: ", ")))" }
        if let o = try? guideOptions(settings: true) { s += "; guide " + ReplSession.identity(o) }
        return s
    }

    /// The model with its data.
    func runtime() throws(PPLError) -> ModelRuntime {
        if let c = cachedRuntime, c.text == editor.text, c.data == dataPath { return c.runtime }
        guard let model = editor.model else { throw PPLError.user(ReplSession.noModel) }
        let rt = try ModelRuntime(model: model, dataPath: dataPath, hint: "':data FILE'")
        cachedRuntime = (editor.text, dataPath, rt)
        return rt
    }

    /// The options of the guide a `:fit` would use: the chosen guide block or family, with
    /// the settings it takes when `settings` is true.
    func guideOptions(settings withSettings: Bool = false) throws(PPLError) -> FitOptions {
        var options = try GuideSelection.select(guide, from: editor.model?.guides ?? []).get()
        if withSettings { try settings.apply(to: &options) }
        return options
    }

    /// `iaf = iaf { hidden = [32, 32], layers = 2 }`: what tells one guide from another (its
    /// own keys; the fitting options only change how it is fitted).
    static func identity(_ o: FitOptions) -> String {
        let body = o.bodyText(o.given.filter { !$0.isFitting }.sorted { $0.rawValue < $1.rawValue })
        return o.guide + " = " + o.family.rawValue + (body.isEmpty ? "" : " " + body)
    }

    func current() throws(PPLError) -> Fitted {
        guard let f = fitted else { throw PPLError.user("nothing fitted yet: ':fit' first") }
        return f
    }

    private func ir(_ arguments: String) throws(PPLError) {
        guard let model = editor.model else { throw PPLError.user(ReplSession.noModel) }
        switch arguments {
        case "":
            say(Reports.ir(model))
        case "--grad":
            let programs = DerivedPrograms(model: model)
            say(Printer.print(programs.unconstrained.density) + "\n" + Printer.print(try programs.gradient()))
        default:
            var s = "':ir' takes only --grad, not '\(arguments)'"
            if let near = closest(to: arguments, in: ["--grad"]) { s += "; did you mean '\(near)'?" }
            throw PPLError.user(s)
        }
    }

    private func set(_ arguments: String) throws(PPLError) {
        let parts = arguments.split(separator: " ", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        switch parts.count {
        case 0:
            say(settings.listing(for: try guideOptions()))
        case 1:
            say("\(parts[0]) = \(settings.text(try ReplSettings.key(parts[0])))")
        default:
            var current = try guideOptions()
            try settings.apply(to: &current)
            try settings.set(parts[0], parts[1], for: current)
            say("\(parts[0]) = \(settings.text(try ReplSettings.key(parts[0])))")
        }
    }

    // MARK: - Model text and guides

    private func edit(_ input: String) throws(PPLError) {
        var e = editor
        let changes = try e.apply(input)
        guard !changes.isEmpty else { return }
        let guidesBefore = Set(editor.model?.guides.map { ReplSession.identity($0.options) } ?? [])
        editor = e
        func line(_ s: String) -> String {
            let lines = s.split(separator: "\n", omittingEmptySubsequences: false)
            return lines.count > 1 ? lines[0] + " …" : s
        }
        for c in changes {
            switch c {
            case .added(let s): say("added: \(line(s))")
            case .replaced(let old, let new): say("replaced: \(line(old))  →  \(line(new))")
            }
        }
        // A guide block typed in is fitted only once chosen; say how, unless it is the guide already.
        let chosen = GuideSelection.select(guide, from: e.model?.guides ?? []).map(\.guide)
        for g in e.model?.guides ?? [] where !guidesBefore.contains(ReplSession.identity(g.options)) {
            if case .success(let name) = chosen, name == g.name { continue }
            say("to fit with it: ':guide \(g.name)'")
        }
    }

    private func chooseGuide(_ arguments: String) throws(PPLError) {
        guard let model = editor.model else { throw PPLError.user(ReplSession.noModel) }
        if arguments.isEmpty {
            var s = "guide: "
            if let o = try? guideOptions(settings: true) { s += ReplSession.identity(o) }
            s += guide == nil ? (model.guides.isEmpty ? " (the default)" : " (the model's first guide block)") : ""
            s += "\nguide blocks: " + (model.guides.isEmpty ? "none" : model.guides.map(\.name).joined(separator: ", "))
            s += "\nfamilies: " + GuideFamily.allCases.map(\.rawValue).joined(separator: ", ")
            say(s)
            return
        }
        let name = String(arguments.prefix { !$0.isWhitespace && $0 != "{" })
        let keys = arguments.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
        try atomically { () throws(PPLError) in
            guide = name
            if !keys.isEmpty {
                guard keys.hasPrefix("{") else {
                    throw PPLError.user("expected '{ key = value, ... }' after the guide's name, found '\(keys)'")
                }
                if let block = model.guides.first(where: { $0.name == name }) {
                    try edit("guide \(name) = \(block.family.rawValue) \(keys)")
                } else if GuideFamily(rawValue: name) != nil {
                    try edit("guide \(name) \(keys)")
                }
            }
            let options = try guideOptions(settings: true)
            var s = "guide: " + ReplSession.identity(options)
            if let f = fitted, f.identity != ReplSession.identity(options) { s += "; the next ':fit' starts it afresh" }
            say(s)
        }
    }
}
