import Foundation
import PPLInference
import PPLSema
import PPLSyntax

/// `ppl compare`: several guides fitted to one model and its data, one after another on
/// the same runtime (the mode is searched once), side by side: per fit its ELBO, the
/// importance-sampling estimate of log p(data) with its standard error, Pareto k̂ and the
/// verdict, the time and the steps; then each param's posterior mean and sd per fit. A fit
/// that fails is a row saying why, and the others go on.
public struct Comparison {
    /// One guide's fit: its summary, or why it failed.
    public struct Fit {
        public let guide: String
        public let family: GuideFamily
        public var failure: String?
        /// NaN for a point (map), which has no ELBO.
        public var elbo = Double.nan
        public var logEvidence = (estimate: Double.nan, standardError: Double.nan)
        public var khat = Double.nan
        public var verdict = ""
        public var seconds = Double.nan
        public var steps = 0
        public var converged = false
        /// Component names and their summaries, in the model's order.
        public var names: [String] = []
        public var summaries: [PosteriorDraws.Summary] = []

        /// The fit succeeded and its diagnostics say to trust it: k̂ below 0.7, the optimum
        /// reached and the runs in agreement. A point (map) has no k̂, so it is never marked.
        public var trusted = false
    }

    public let model: String
    public let dimension: Int
    public private(set) var fits: [Fit] = []

    /// Each of `guides` (blocks of the model or families, as `ppl fit --guide` takes them)
    /// with `settings` where its family takes them. Every guide name is checked, and every
    /// setting must apply to at least one guide, before anything is fitted.
    public init(runtime: ModelRuntime, model: String, guides: [String],
                settings: [(key: FitOptions.Key, value: GuideValue)]) throws(PPLError) {
        self.model = model
        dimension = runtime.dimension
        guard !guides.isEmpty else { throw .user("--guides names no guide to fit") }
        var chosen: [FitOptions] = []
        for name in guides {
            var options = try GuideSelection.select(name, from: runtime.model.guides).get()
            let applicable = settings.filter { options.family.allKeys.contains($0.key) }
            try PPLError.during(.user) { try options.set(applicable) }
            chosen.append(options)
        }
        for (key, _) in settings where !chosen.contains(where: { $0.family.allKeys.contains(key) }) {
            throw .user("'\(key.rawValue)' applies to none of the guides compared ("
                        + chosen.map(Comparison.label).joined(separator: ", ") + ")")
        }
        for options in chosen { fits.append(Comparison.fit(runtime, options)) }
    }

    /// One guide's fit, its draws and diagnostics; an error is a failed fit.
    static func fit(_ runtime: ModelRuntime, _ options: FitOptions) -> Fit {
        var out = Fit(guide: options.guide, family: options.family)
        do {
            let session = try FitSession(runtime: runtime, options: options)
            let result = try session.fit()
            let draws = try session.sample(options.draws, result: result)
            (out.seconds, out.steps, out.converged) = (result.seconds, result.steps, result.converged)
            // A point's "ELBO" is log p at the mode: no bound on anything.
            if options.family.hasDensity { out.elbo = result.elbo }
            out.failure = FitReports.failure(result) ?? FitReports.nonFinite(draws)
            if !result.elbo.isFinite && out.failure == nil { out.failure = "the ELBO is not finite" }
            guard out.failure == nil else { return out }
            (out.khat, out.logEvidence) = (session.khat, session.logEvidence)
            out.verdict = options.family.hasDensity ? FitReports.verdict(session, result)
                : "k̂ and log p(data) are not defined for " + (options.family.isParticles ? "particles" : "a point")
            out.trusted = session.khat < 0.7 && FitReports.unconverged(result) == nil && (session.agreement?.agree ?? true)
            out.names = draws.names
            out.summaries = draws.summaries()
        } catch {
            out.failure = error.message
        }
        return out
    }

    /// Whether any fit failed.
    public var anyFailed: Bool { fits.contains { $0.failure != nil } }

    /// The table of fits, then the params' means and sds side by side, one column pair per
    /// fit that succeeded; `*` marks the fits k̂ says to trust.
    public var text: String {
        var out = "\(model): \(dimension) unconstrained dimension\(dimension == 1 ? "" : "s"), \(fits.count) guide\(fits.count == 1 ? "" : "s")\n\n"
        let labels = fits.map { Comparison.label(guide: $0.guide, family: $0.family) }
        let first = max(8, (labels.map(\.count).max() ?? 0) + 3)
        out += pad("guide", first, left: true) + ["ELBO", "log p̂(data)", "± se", "k̂", "time (s)", "steps"].map { pad($0, 12) }.joined()
            + "  verdict\n"
        for (fit, label) in zip(fits, labels) {
            out += pad(label + (fit.trusted ? " *" : ""), first, left: true)
            if let failure = fit.failure {
                out += "  failed: \(failure)\n"
                continue
            }
            let cells = [FitReports.number(fit.elbo), FitReports.number(fit.logEvidence.estimate),
                         FitReports.number(fit.logEvidence.standardError), FitReports.number(fit.khat),
                         String(format: "%.2f", fit.seconds), String(fit.steps)]
            out += cells.map { pad($0 == "nan" ? "-" : $0, 12) }.joined() + "  " + fit.verdict + "\n"
        }
        out += "* k̂ < 0.7, the optimum reached and the runs in agreement: the fit's estimates can be trusted\n"
        let done = fits.indices.filter { fits[$0].failure == nil }
        guard let names = done.first.map({ fits[$0].names }) else { return out }
        let column = max(11, done.map { labels[$0].count + 4 }.max() ?? 0)
        let nameWidth = max(10, (names.map(\.count).max() ?? 0) + 2)
        out += "\n" + pad("", nameWidth, left: true)
        for i in done { out += pad(labels[i] + (fits[i].trusted ? " *" : ""), 2 * column) }
        out += "\n" + pad("", nameWidth, left: true) + String(repeating: pad("mean", column) + pad("sd", column), count: done.count) + "\n"
        for (j, name) in names.enumerated() {
            out += pad(name, nameWidth, left: true)
            for i in done {
                let s = fits[i].summaries[j]
                out += pad(FitReports.number(s.mean), column) + pad(FitReports.number(s.sd), column)
            }
            out += "\n"
        }
        return out
    }

    /// `{"model", "dimension", "fits": [{"guide", "family", "failure", "elbo", "log_z",
    /// "log_z_se", "khat", "verdict", "trusted", "seconds", "steps", "converged", "params":
    /// {"mu": {"mean", "sd"}, ...}}, ...]}`; a failed fit's numbers and params are null.
    public var json: String {
        func number(_ x: Double, _ ok: Bool) -> String { ok ? FitReports.json(x) : "null" }
        let entries = fits.map { f -> String in
            let ok = f.failure == nil
            let params = zip(f.names, f.summaries).map { name, s in
                "        \(FitReports.json(name)): {\"mean\": \(FitReports.json(s.mean)), \"sd\": \(FitReports.json(s.sd))}"
            }
            return """
                    {
                      "guide": \(FitReports.json(f.guide)),
                      "family": \(FitReports.json(f.family.rawValue)),
                      "failure": \(f.failure.map(FitReports.json) ?? "null"),
                      "elbo": \(number(f.elbo, ok)),
                      "log_z": \(number(f.logEvidence.estimate, ok)),
                      "log_z_se": \(number(f.logEvidence.standardError, ok)),
                      "khat": \(number(f.khat, ok)),
                      "verdict": \(ok ? FitReports.json(f.verdict) : "null"),
                      "trusted": \(f.trusted),
                      "seconds": \(number(f.seconds, ok)),
                      "steps": \(ok ? String(f.steps) : "null"),
                      "converged": \(ok ? String(f.converged) : "null"),
                      "params": \(ok ? "{\n" + params.joined(separator: ",\n") + "\n      }" : "null")
                    }
                """
        }
        return """
            {
              "model": \(FitReports.json(model)),
              "dimension": \(dimension),
              "fits": [
            \(entries.joined(separator: ",\n"))
              ]
            }

            """
    }

    /// `mf (meanfield)`, or the family's name alone for a guide named after it.
    static func label(guide: String, family: GuideFamily) -> String {
        guide == family.rawValue ? guide : "\(guide) (\(family.rawValue))"
    }

    static func label(_ options: FitOptions) -> String { label(guide: options.guide, family: options.family) }

    private func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, n - s.count))
        return left ? s + fill : fill + s
    }
}
