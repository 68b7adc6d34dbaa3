import Foundation
import PPLDriver
import PPLInference
import PPLSema

/// `:fit` and what reads the fitted guide: `:summary`, `:draws`, `:khat`, `:save`, `:restore`.
extension ReplSession {
    func fit(_ arguments: String) throws(PPLError) {
        var steps: Int?
        if !arguments.isEmpty {
            guard let n = Int(arguments), n > 0 else {
                throw PPLError.user("':fit' takes a positive number of steps, not '\(arguments)'")
            }
            steps = n
        }
        let rt = try runtime()
        var options = try guideOptions(settings: true)
        if let steps { try PPLError.during(.user) { try options.set(.steps, .int(steps)) } }
        let identity = ReplSession.identity(options)
        var initial: [Double]?
        var frame = FitSession.FrameSource.search
        var trace: [Double] = [], before = 0
        if let f = fitted {
            if f.identity != identity {
                say("new guide \(identity): starting afresh")
            } else if f.session.runtime.dimension != rt.dimension {
                say("the unconstrained dimension changed (\(f.session.runtime.dimension) → \(rt.dimension)): the guide starts afresh")
            } else {
                initial = f.phi
                // The guide's parameters live in the frame it was fitted in.
                frame = .given(f.last?.frame ?? f.session.elbo.frame)
                trace = f.trace
                before = f.steps
                // Fresh noise for the steps that follow, not those the guide has already seen.
                options.advanceSeed(by: before)
                say("continuing from the guide's state" + (before > 0 ? " after \(before) steps" : ""))
            }
        }
        let session = try FitSession(runtime: rt, options: options, frame: frame)
        let display = console.fitStarted()
        var result: FitResult
        do {
            result = try session.fit(initial: initial, progress: display.progress, interrupted: console.interrupted)
            display.finished()
        } catch {
            display.finished()
            throw error
        }
        let draws = try session.sample(options.draws, result: result)
        if result.failure == nil { result.failure = FitReports.nonFinite(draws) }
        let f = Fitted(session: session, identity: identity, phi: result.phi, trace: trace + result.trace,
                       steps: before + result.steps, last: result, draws: draws, editor: editor,
                       dataPath: dataPath)
        fitted = f
        say(FitReports.header(session, result, model: editor.path) + diagnostics(f))
        let warnings = FitReports.warnings(session, result)
        if !warnings.isEmpty { console.error(warnings) }
        if result.interrupted { say("interrupted: the guide keeps the state it reached; ':fit' goes on from there") }
        if FitReports.failure(result) != nil || !result.elbo.isFinite, status == 0 { status = PPLError.Kind.computation.exitCode }
    }

    /// k̂ and log p(data) of the draws kept with the fit (its session's last sampling).
    func diagnostics(_ f: Fitted) -> String {
        FitReports.diagnostics(f.session, draws: f.draws.rows.count)
    }

    /// The table of the fit: every param and derived quantity (long derived vectors cut), or
    /// those `names` lists (comma-separated), as `ppl fit --params` shows them.
    func summary(_ names: String) throws(PPLError) {
        let f = try current()
        let model = f.session.runtime.model
        let selection = names.isEmpty ? ParamSelection(model: model, howToShow: ":summary")
            : try ParamSelection(names, model: model, option: ":summary", howToShow: ":summary")
        var s = "guide \(f.identity)"
        if let r = f.last {
            s += ", \(f.steps) steps; ELBO \(FitReports.number(r.elbo))"
        } else {
            s += " (restored)"
        }
        s += "\n"
        if f.editor.text != editor.text || f.dataPath != dataPath { s += "note: the model or its data changed since this fit; ':fit' to refit\n" }
        say(s + "\n" + FitReports.table(f.draws, selection, points: Set(f.session.options.point)) + "\n" + diagnostics(f))
    }

    func writeDraws(_ arguments: String) throws(PPLError) {
        let parts = arguments.split(separator: " ", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let n = Int(parts[0]) else {
            throw PPLError.user("':draws' needs a count and a file: \(ReplCommand.draws.usage)")
        }
        guard n >= 10 else { throw PPLError.user("':draws' needs at least 10 draws, not \(n)") }
        let f = try current()
        let d: PosteriorDraws
        if let r = f.last { d = try f.session.sample(n, result: r) } else { d = try f.session.sample(n, phi: f.phi) }
        let file = path(parts[1])
        try OutputFile.write(FitReports.csv(f.session, d, model: f.editor.path), to: file)
        say("wrote \(d.rows.count) draws (\(d.names.count) columns) to \(file)")
    }

    /// The HTML report of the fit, as `ppl fit --report` writes it, with the ELBO trace since
    /// the guide started.
    func report(_ file: String) throws(PPLError) {
        let f = try current()
        try OutputFile.check(file, inputs: [("the model", f.editor.path)] + (f.dataPath.map { [("the data", $0)] } ?? []))
        let fit = HTMLReport.Fit(session: f.session, result: f.last, traces: [f.trace], draws: f.draws, model: f.editor.path)
        try OutputFile.write(HTMLReport.render(fit), to: file)
        say("wrote the report to \(file)")
    }

    /// Saves the fit; a model edited in the session (or typed in it) is written beside the
    /// saved fit as `FILE.ppl`, so the saved fit can be restored or sampled later.
    func save(_ file: String) throws(PPLError) {
        let f = try current()
        var model = f.editor.file ?? ""
        var note = ""
        if f.editor.file == nil || f.editor.edited {
            let stem = file.hasSuffix(".json") ? String(file.dropLast(5)) : file
            model = stem + ".ppl"
            // Never over the file the model was read from.
            if let original = f.editor.file, FitReports.absolute(original) == FitReports.absolute(model) {
                model = stem + ".edited.ppl"
            }
            try OutputFile.write(f.editor.text, to: model)
            note = " (and the model as edited in this session to \(model))"
        }
        var r = f.last ?? FitResult(phi: f.phi)
        r.phi = f.phi
        r.trace = f.trace
        r.steps = f.steps
        try OutputFile.write(try FitReports.savedFit(f.session, r, model: model, data: f.dataPath, to: file), to: file)
        say("saved the fit to \(file)\(note)")
    }

    func restore(_ file: String) throws(PPLError) {
        let saved = try FitReports.readSaved(file)
        let loaded = try ModelEditor.load(saved.model)
        try atomically { () throws(PPLError) in
            editor = loaded
            dataPath = saved.data
            guide = saved.guide
            let rt = try runtime()
            let session = try FitSession(runtime: rt, options: try guideOptions(settings: true), frame: .given(saved.frame))
            try session.check(saved, from: file)
            let draws = try session.sample(session.options.draws, phi: saved.phi)
            let f = Fitted(session: session, identity: ReplSession.identity(session.options), phi: saved.phi,
                           trace: [], steps: 0, last: nil, draws: draws, editor: editor, dataPath: dataPath)
            fitted = f
            say("restored \(file): \(saved.model)" + (saved.data.map { " with data \($0)" } ?? "")
                + ", guide \(f.identity), \(rt.dimension) unconstrained dimension\(rt.dimension == 1 ? "" : "s"); ':fit' continues from it")
        }
    }
}
