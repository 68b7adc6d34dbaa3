import Foundation
import PPLInference
import PPLIR
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

    public private(set) var editor = ModelEditor()
    public private(set) var dataPath: String?
    /// A guide block or a family; nil: the model's first guide block, else meanfield.
    public private(set) var guide: String?
    public private(set) var settings = ReplSettings()
    private var fitted: Fitted?
    /// Bumped by every change of the model or the data, so a fit knows it is out of date.
    private var version = 0
    private var cachedRuntime: (version: Int, runtime: ModelRuntime)?
    /// What a script exits with: 0, or the status of the first command that failed
    /// (65 a user error, 70 a failed computation).
    public private(set) var status: Int32 = 0
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
        let version: Int
    }

    struct Failure: Error {
        let message: String
        let code: Int32
        init(_ message: String, code: Int32 = 65) {
            self.message = message
            self.code = code
        }
    }

    static let noModel = "no model yet: ':load FILE', or type a statement such as 'param mu: real'"

    // MARK: - Input

    /// Runs one input, a command or model text; false when the session should end.
    public func execute(_ input: String) -> Bool {
        let trimmed = input.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return true }
        var goOn = true
        reporting {
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
        reporting {
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

    private func reporting(_ body: () throws -> Void) {
        do {
            try body()
        } catch let e as FitSession.ModelErrors {
            fail(e.text(color: console.color), code: 65)
        } catch let e as Failure {
            fail(label("error") + ": \(e.message)\n", code: e.code)
        } catch {
            fail(label("error") + ": \(error)\n", code: 65)
        }
    }

    private func fail(_ text: String, code: Int32) {
        console.error(text)
        if status == 0 { status = code }
    }

    private func label(_ s: String) -> String {
        console.color ? "\u{1B}[1;31m\(s)\u{1B}[0m" : s
    }

    private func say(_ text: String) {
        console.output(text.hasSuffix("\n") ? text : text + "\n")
    }

    /// A leading `~/` is the home folder.
    private func path(_ p: String) -> String {
        (p as NSString).expandingTildeInPath
    }

    /// Runs `body`; if it throws, the session is as it was.
    private func atomically(_ body: () throws -> Void) throws {
        let saved = (editor, dataPath, guide, fitted, version)
        do {
            try body()
        } catch {
            (editor, dataPath, guide, fitted, version) = saved
            throw error
        }
    }

    // MARK: - Commands

    private func run(_ command: ReplCommand, _ arguments: String) throws {
        let none = { (name: String) throws in
            if !arguments.isEmpty { throw Failure("':\(name)' takes no arguments") }
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
            try none("summary")
            try summary()
        case .draws:
            try writeDraws(arguments)
        case .elbo:
            try none("elbo")
            let f = try current()
            guard !f.trace.isEmpty else { throw Failure("no ELBO trace: this guide was restored, not fitted; ':fit' first") }
            say(ElboPlot.render(f.trace))
        case .khat:
            try none("khat")
            say(diagnostics(try current()))
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
            guard editor.model != nil else { throw Failure(ReplSession.noModel) }
            say(editor.text)
        case .reset:
            try none("reset")
            editor = ModelEditor()
            dataPath = nil
            guide = nil
            settings = ReplSettings()
            fitted = nil
            version += 1
            say("reset: no model, no data, the default guide and settings")
        case .help:
            try help(arguments)
        case .quit:
            break
        }
    }

    private func argument(_ text: String, _ what: String, _ command: ReplCommand) throws -> String {
        guard !text.isEmpty else { throw Failure("':\(command.rawValue)' needs a \(what): \(command.usage)") }
        return text
    }

    private func help(_ arguments: String) throws {
        if arguments.isEmpty {
            say(ReplCommand.listing)
            return
        }
        let (c, _) = try ReplCommand.parse(arguments.hasPrefix(":") ? arguments : ":" + arguments)
        say("\(c.usage)\n  \(c.summary)")
        if c == .set { say(settings.listing) }
    }

    private func load(_ file: String, data: String?) throws {
        let loaded = try ModelEditor.load(path(file))
        try atomically {
            editor = loaded
            dataPath = nil
            guide = nil
            fitted = nil
            version += 1
            var message = "loaded \(file)"
            if let d = data.map(path) ?? defaultDataPath(path(file)) {
                dataPath = d
                message += " with data \(d)"
            }
            let needsData = !(editor.model?.data.isEmpty ?? true)
            say(message + ": " + describeModel(dataPath != nil || !needsData ? try runtime() : nil))
        }
    }

    private func useData(_ file: String) throws {
        try atomically {
            dataPath = file
            version += 1
            guard editor.model != nil else {
                say("data: \(file) (read when a model is loaded)")
                return
            }
            let rt = try runtime()
            say("data \(file): " + describeModel(rt))
        }
    }

    /// `3 params, 5 unconstrained dimensions; guide 'mf' (meanfield)`.
    private func describeModel(_ rt: ModelRuntime?) -> String {
        guard let model = editor.model else { return "no model" }
        var s = "\(model.params.count) param\(model.params.count == 1 ? "" : "s")"
        if let rt { s += ", \(rt.dimension) unconstrained dimension\(rt.dimension == 1 ? "" : "s")" }
        if rt == nil && !model.data.isEmpty { s += " (data needed: \(model.data.map(\.name).joined(separator: ", ")))" }
        if case .success(let o) = GuideOptions.select(guide, from: model.guides) { s += "; guide " + ReplSession.identity(o) }
        return s
    }

    /// The model with its data, computed once per version.
    private func runtime() throws -> ModelRuntime {
        if let c = cachedRuntime, c.version == version { return c.runtime }
        guard let model = editor.model else { throw Failure(ReplSession.noModel) }
        if dataPath == nil, !model.data.isEmpty {
            throw Failure("the model needs data (\(model.data.map(\.name).joined(separator: ", "))): ':data FILE'")
        }
        let values = try dataPath.map { try DataLoader.load(path: $0, model: model) } ?? [:]
        let rt = try ModelRuntime(model: model, data: values, dataFile: dataPath ?? "the data")
        cachedRuntime = (version, rt)
        return rt
    }

    /// `iaf = iaf { hidden = [32, 32], layers = 2 }`: what tells one guide from another.
    static func identity(_ o: GuideOptions) -> String {
        let keys = o.keys.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.key.rawValue) = \(Reports.text($0.value))" }
        return o.name + " = " + o.family.rawValue + (keys.isEmpty ? "" : " { " + keys.joined(separator: ", ") + " }")
    }

    private func current() throws -> Fitted {
        guard let f = fitted else { throw Failure("nothing fitted yet: ':fit' first") }
        return f
    }

    // MARK: - Model text and guides

    private func edit(_ input: String) throws {
        var e = editor
        let changes = try e.apply(input)
        guard !changes.isEmpty else { return }
        editor = e
        version += 1
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
    }

    private func chooseGuide(_ arguments: String) throws {
        guard let model = editor.model else { throw Failure(ReplSession.noModel) }
        if arguments.isEmpty {
            var s = "guide: "
            if case .success(let o) = GuideOptions.select(guide, from: model.guides) { s += ReplSession.identity(o) }
            s += guide == nil ? (model.guides.isEmpty ? " (the default)" : " (the model's first guide block)") : ""
            s += "\nguide blocks: " + (model.guides.isEmpty ? "none" : model.guides.map(\.name).joined(separator: ", "))
            s += "\nfamilies: " + GuideFamily.allCases.map(\.rawValue).joined(separator: ", ")
            say(s)
            return
        }
        let name = String(arguments.prefix { !$0.isWhitespace && $0 != "{" })
        let keys = arguments.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
        try atomically {
            if !keys.isEmpty {
                guard keys.hasPrefix("{") else {
                    throw Failure("expected '{ key = value, ... }' after the guide's name, found '\(keys)'")
                }
                if let block = model.guides.first(where: { $0.name == name }) {
                    try edit("guide \(name) = \(block.family.rawValue) \(keys)")
                } else if GuideFamily(rawValue: name) != nil {
                    try edit("guide \(name) \(keys)")
                }
            }
            let options: GuideOptions
            switch GuideOptions.select(name, from: editor.model?.guides ?? []) {
            case .success(let o): options = o
            case .failure(let e): throw Failure(e.description)
            }
            guide = name
            var s = "guide: " + ReplSession.identity(options)
            if let f = fitted, f.identity != ReplSession.identity(options) { s += "; the next ':fit' starts it afresh" }
            say(s)
        }
    }

    // MARK: - Fitting

    private func fit(_ arguments: String) throws {
        var steps: Int?
        if !arguments.isEmpty {
            guard let n = Int(arguments), n > 0 else {
                throw Failure("':fit' takes a positive number of steps, not '\(arguments)'")
            }
            steps = n
        }
        let rt = try runtime()
        let session = try FitSession(runtime: rt, guide: guide, overrides: settings.overrides(steps: steps))
        let identity = ReplSession.identity(session.options)
        var initial: [Double]?
        var trace: [Double] = [], before = 0
        if let f = fitted {
            if f.identity != identity {
                say("new guide \(identity): starting afresh")
            } else if f.phi.count != session.elbo.parameterCount {
                say("the unconstrained dimension changed (\(f.session.runtime.dimension) → \(rt.dimension)): the guide starts afresh")
            } else {
                initial = f.phi
                trace = f.trace
                before = f.steps
                say("continuing from the guide's state" + (before > 0 ? " after \(before) steps" : ""))
            }
        }
        let display = console.fitStarted()
        let result: FitResult
        do {
            result = try session.fit(initial: initial, progress: display.progress, interrupted: console.interrupted)
            display.finished()
        } catch {
            display.finished()
            throw Failure("\(error)", code: 70)
        }
        let draws = try sample(session, result.phi, settings.draws)
        let f = Fitted(session: session, identity: identity, phi: result.phi, trace: trace + result.trace,
                       steps: before + result.steps, last: result, draws: draws, editor: editor,
                       dataPath: dataPath, version: version)
        fitted = f
        say(FitReports.header(session, result, model: editor.path) + diagnostics(f))
        if result.interrupted { say("interrupted: the guide keeps the state it reached; ':fit' goes on from there") }
        if result.failure != nil || !result.elbo.isFinite, status == 0 { status = 70 }
    }

    private func sample(_ session: FitSession, _ phi: [Double], _ count: Int) throws -> PosteriorDraws {
        do {
            return try session.sample(count, phi: phi)
        } catch {
            throw Failure("\(error)", code: 70)
        }
    }

    /// k̂ and log p(data) from the draws kept with the fit.
    private func diagnostics(_ f: Fitted) -> String {
        f.session.khat = ParetoSmoothing.khat(f.draws.logWeights)
        f.session.logEvidence = ParetoSmoothing.logEvidence(f.draws.logWeights)
        return FitReports.diagnostics(f.session, draws: f.draws.rows.count)
    }

    private func summary() throws {
        let f = try current()
        var s = "guide \(f.identity)"
        if let r = f.last {
            s += ", \(f.steps) steps; ELBO \(FitReports.number(r.elbo))"
        } else {
            s += " (restored)"
        }
        s += "\n"
        if f.version != version { s += "note: the model or its data changed since this fit; ':fit' to refit\n" }
        say(s + "\n" + FitReports.table(f.draws) + "\n" + diagnostics(f))
    }

    private func writeDraws(_ arguments: String) throws {
        let parts = arguments.split(separator: " ", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let n = Int(parts[0]) else {
            throw Failure("':draws' needs a count and a file: \(ReplCommand.draws.usage)")
        }
        guard n >= 10 else { throw Failure("':draws' needs at least 10 draws, not \(n)") }
        let f = try current()
        let d = try sample(f.session, f.phi, n)
        let file = path(parts[1])
        try FitReports.write(FitReports.csv(d), to: file)
        say("wrote \(d.rows.count) draws (\(d.names.count) columns) to \(file)")
    }

    private func ir(_ arguments: String) throws {
        guard let model = editor.model else { throw Failure(ReplSession.noModel) }
        switch arguments {
        case "":
            say(Reports.ir(model))
        case "--grad":
            let programs = DerivedPrograms(model: model)
            do {
                say(Printer.print(programs.unconstrained.density) + "\n" + Printer.print(try programs.gradient()))
            } catch {
                throw Failure("\(error)", code: 70)
            }
        default:
            var s = "':ir' takes only --grad, not '\(arguments)'"
            if let near = closest(to: arguments, in: ["--grad"]) { s += "; did you mean '\(near)'?" }
            throw Failure(s)
        }
    }

    private func set(_ arguments: String) throws {
        let parts = arguments.split(separator: " ", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        switch parts.count {
        case 0:
            say(settings.listing)
        case 1:
            say("\(parts[0]) = \(settings.value(try ReplSettings.key(parts[0])))")
        default:
            try settings.set(parts[0], parts[1])
            say("\(parts[0]) = \(settings.value(try ReplSettings.key(parts[0])))")
        }
    }

    // MARK: - Saved fits

    /// Saves the fit; a model edited in the session (or typed in it) is written beside the
    /// saved fit as `FILE.ppl`, so the saved fit can be restored or sampled later.
    private func save(_ file: String) throws {
        let f = try current()
        var model = f.editor.file ?? ""
        var note = ""
        if f.editor.file == nil || f.editor.edited {
            model = (file.hasSuffix(".json") ? String(file.dropLast(5)) : file) + ".ppl"
            try FitReports.write(f.editor.text, to: model)
            note = " (and the model as edited in this session to \(model))"
        }
        var r = f.last ?? FitResult(phi: f.phi)
        r.phi = f.phi
        r.trace = f.trace
        r.steps = f.steps
        try FitReports.write(FitReports.savedFit(f.session, r, model: model, data: f.dataPath), to: file)
        say("saved the fit to \(file)\(note)")
    }

    private func restore(_ file: String) throws {
        let saved = try FitReports.readSaved(file)
        let loaded = try ModelEditor.load(saved.model)
        try atomically {
            editor = loaded
            dataPath = saved.data
            guide = saved.guide
            version += 1
            let rt = try runtime()
            let session = try FitSession(runtime: rt, guide: guide, overrides: settings.overrides(steps: nil))
            guard saved.family == session.family.family.rawValue, saved.phi.count == session.elbo.parameterCount else {
                throw Failure("'\(file)' holds a \(saved.family) guide of dimension \(saved.dimension), which does not match "
                              + "'\(saved.model)' any more (the model or its data changed)")
            }
            let draws = try sample(session, saved.phi, settings.draws)
            let f = Fitted(session: session, identity: ReplSession.identity(session.options), phi: saved.phi,
                           trace: [], steps: 0, last: nil, draws: draws, editor: editor, dataPath: dataPath,
                           version: version)
            fitted = f
            say("restored \(file): \(saved.model)" + (saved.data.map { " with data \($0)" } ?? "")
                + ", guide \(f.identity), \(rt.dimension) unconstrained dimension\(rt.dimension == 1 ? "" : "s"); ':fit' continues from it")
        }
    }
}
