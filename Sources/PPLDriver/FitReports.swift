import Foundation
import PPLInference
import PPLSema
import PPLSyntax

/// The texts and files `ppl fit` writes.
public enum FitReports {
    /// The posterior table: mean, sd and quantiles of the components `selection` shows; the
    /// components of the params in `points`, point estimates, by their value alone.
    public static func table(_ draws: PosteriorDraws, _ selection: ParamSelection, points: Set<String> = []) -> String {
        let stats = draws.summaries()
        let rows = selection.rows(draws.names)
        let shown = rows.compactMap { row -> Int? in if case .column(let j) = row { j } else { nil } }
        let width = max(10, (shown.map { draws.names[$0].count }.max() ?? 0) + 2)
        func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, n - s.count))
            return left ? s + fill : fill + s
        }
        var out = pad("", width, left: true)
        for h in ["mean", "sd", "5%", "50%", "95%"] { out += pad(h, 11) }
        out += "\n"
        for row in rows {
            switch row {
            case .column(let j):
                out += pad(draws.names[j], width, left: true)
                let s = stats[j]
                if points.contains(paramName(draws.names[j])) {
                    out += pad(number(s.mean), 11) + pad("(point)", 11)
                } else {
                    for v in [s.mean, s.sd, s.q05, s.q50, s.q95] { out += pad(number(v), 11) }
                }
            case .omitted(let name, let count):
                out += selection.omittedLine(name, count)
            }
            out += "\n"
        }
        return out
    }

    /// The param a component belongs to: `W` of `W[2,3]`.
    static func paramName(_ component: String) -> String {
        String(component.prefix { $0 != "[" })
    }

    /// A number for a table: four significant digits, exponent form when very large or small.
    public static func number(_ x: Double) -> String {
        if !x.isFinite { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        let a = abs(x)
        if a != 0 && (a >= 1e5 || a < 1e-3) { return String(format: "%.3e", x) }
        return String(format: "%.4g", x).count > 9 ? String(format: "%.3f", x) : String(format: "%.4g", x)
    }

    public static func header(_ s: FitSession, _ r: FitResult, model: String) -> String {
        let rate = r.seconds > 0 ? Double(r.steps) / r.seconds : 0
        var out = "\(model): guide '\(s.options.guide)' (\(s.family.family.rawValue)), "
        out += "\(s.runtime.dimension) unconstrained dimension\(s.runtime.dimension == 1 ? "" : "s")\n"
        out += "frame: \(s.frameNote)\n"
        if let shard = s.shardNote { out += "shard: \(shard)\n" }
        if let b = s.batches {
            out += "minibatch: \(b.note)" + (s.options.draws == 0 ? "\n" : "; k̂, log p(data) and the draws' weights use all the data\n")
        }
        let state = r.interrupted ? "interrupted" : r.converged ? "converged" : "step cap reached"
        if let b = r.base {
            out += "base \(b.family): \(b.steps) steps (\(b.converged ? "converged" : "step cap reached")), ELBO \(number(b.elbo)); then "
        }
        if s.options.family.isParticles {
            out += "\(r.steps) steps in \(String(format: "%.2f", r.seconds)) s, \(String(format: "%.0f", rate)) steps/s, "
            out += "\(s.options.particles) particles; mean log p over the particles \(number(r.elbo))"
        } else if s.options.family.isPlacedAtMode {
            out += "Newton's method, \(r.steps) iteration\(r.steps == 1 ? "" : "s") in \(String(format: "%.2f", r.seconds)) s; "
            out += s.options.family.hasDensity ? "ELBO \(number(r.elbo)) (\(r.trace.count * 100) draws)"
                : "log p at the mode \(number(r.elbo)) (unnormalised)"
        } else {
            out += "\(r.steps) steps (\(state)) in \(String(format: "%.2f", r.seconds)) s, "
            out += "\(String(format: "%.0f", rate)) steps/s, \(s.settings.samples) draws per step; \(objectiveName(s.settings)) \(number(r.elbo))"
        }
        if r.rejected > 0 {
            out += "; \(r.rejected) step\(r.rejected == 1 ? "" : "s") rejected (non-finite or exploded), step size reduced"
        }
        if r.recoveries > 0 { out += "; backed off to the best state \(r.recoveries) time\(r.recoveries == 1 ? "" : "s")" }
        if r.steadied > 0 { out += "; leapfrog step sizes halved \(r.steadied) time\(r.steadied == 1 ? "" : "s")" }
        out += "\n"
        if let v = r.scoreVariance {
            func ratio(_ x: Double) -> String { String(format: "%.3g", x / v.baseline) + "×" }
            if let discrete = s.runtime.discrete {
                out += "discrete params " + discrete.groups.map(\.name).joined(separator: ", ")
                    + ": categorical guide, score function gradient" + (s.discreteNote.map { "; \($0)" } ?? "") + "\n"
            }
            if s.elbo.scoreFunction {
                out += "gradient = score: the \(s.family.family.rawValue) guide's parameters get the score function gradient, "
                    + "the draw held fixed\n"
            }
            out += "score function variance at the fit: \(number(v.baseline)) with the leave-one-out baseline, "
                + "\(number(v.none)) without (\(ratio(v.none)))"
                + (v.wholeSignal.map { ", \(number($0)) with the whole log weight as the signal (\(ratio($0)))" } ?? "") + "\n"
        }
        if let a = s.agreement { out += runs(r, a) }
        return out
    }

    /// What the fit maximised, as the header names it: `ELBO`, `IWAE bound (K = 8)`.
    static func objectiveName(_ s: FitSettings) -> String {
        switch s.objective {
        case .elbo: return "ELBO"
        case .iwae: return "IWAE bound (K = \(s.samples))"
        case .renyi: return "Rényi bound (alpha = \(number(s.alpha)), K = \(s.samples))"
        }
    }

    /// What the fit warns of, one `warning:` line each (for standard error): a failure, a
    /// fit that did not converge, runs that disagree.
    public static func warnings(_ s: FitSession, _ r: FitResult) -> String {
        var out = ""
        if let f = failure(r) { out += "warning: \(f)\n" }
        if let u = unconverged(r) { out += "warning: \(u)\n" }
        if let a = s.agreement, !a.agree { out += "warning: \(disagreement(a)); don't trust the fit\n" }
        return out
    }

    /// The runs' ELBOs and whether they agree, for the header (what they disagree on is a
    /// warning: `warnings`).
    static func runs(_ r: FitResult, _ a: RunAgreement) -> String {
        let best = FitSession.best(r.runs)
        var out = "\(r.runs.count) runs from dispersed starts, ELBO "
        out += r.runs.indices.map { number(r.runs[$0].elbo) + ($0 == best ? " (best)" : "") }.joined(separator: ", ")
        if a.agree {
            return out + "; they agree (largest R̂ \(number(a.largestRHat))); the summary pools all \(r.runs.count)\n"
        }
        out += "; they disagree (see the warning); the summary pools "
        out += a.agreeing.count == 1 ? "only the best run\n" : "runs " + a.agreeing.map { String($0 + 1) }.joined(separator: ", ")
            + " (those that agree with the best)\n"
        return out
    }

    /// What the runs disagree on, worst first (five at most).
    static func disagreement(_ a: RunAgreement) -> String {
        var parts = a.disagreeing.prefix(5).map { c in
            let name = c.component < a.names.count ? a.names[c.component] : "component \(c.component + 1)"
            return "\(name) (R̂ \(number(c.rhat)), sd ratio \(number(c.sdRatio)))"
        }
        if a.disagreeing.count > 5 { parts.append("\(a.disagreeing.count - 5) more") }
        var out = "the runs disagree: "
        out += parts.isEmpty ? "their ELBOs spread over \(number(a.elboSpread)) nats" : parts.joined(separator: ", ")
            + "; ELBOs spread over \(number(a.elboSpread)) nats"
        return out
    }

    /// Why the optimum was not reached, if the fit ran to its step cap while the ELBO's
    /// gradient still stood out of its noise (`Fitter.drift`).
    public static func unconverged(_ r: FitResult) -> String? {
        guard !r.converged, !r.interrupted, r.failure == nil, r.drift >= Fitter.largestDrift else { return nil }
        return "the step cap was reached while the ELBO's gradient still stands out of its noise (mean z² "
            + "\(number(r.drift)) per parameter; below \(number(Fitter.largestDrift)) at an optimum): the optimum is "
            + "not reached, don't trust the fit (more --steps, or a larger --lr)"
    }

    /// The fit's verdict: k̂'s, unless the optimum was not reached.
    public static func verdict(_ s: FitSession, _ r: FitResult) -> String {
        if let p = pointNote(s) { return p }
        if let u = unconverged(r) { return "don't trust it: \(u)" }
        if let a = s.agreement, !a.agree { return "don't trust it: " + disagreement(a) }
        return ParetoSmoothing.verdict(s.khat)
    }

    /// For a guide without a density (a point, particles), why k̂ and log p(data) are not given.
    public static func pointNote(_ s: FitSession) -> String? {
        let f = s.options.family
        guard !f.hasDensity else { return nil }
        if f.isParticles {
            return "Pareto k̂ and log p(data) are not defined for particles (\(f.rawValue)): they have no density to weight "
                + "draws by; the summary is over the \(s.options.particles) particles"
        }
        return "Pareto k̂ and log p(data) are not defined for a point estimate (\(f.rawValue)): it has no density to weight "
            + "draws by; its draws are all the mode"
    }

    public static func diagnostics(_ s: FitSession, draws: Int) -> String {
        if let p = pointNote(s) { return p + "\n" }
        if draws == 0 {
            return "no draws (draws = 0): no posterior summary, Pareto k̂ or log p(data); ppl score evaluates a saved fit on data\n"
        }
        var out = "Pareto k̂ = \(number(s.khat)): \(ParetoSmoothing.verdict(s.khat))\n"
        out += "log p(data) ≈ \(number(s.logEvidence.estimate)) ± \(number(s.logEvidence.standardError))"
        out += " (importance sampling with \(draws) guide draws)\n"
        if !s.options.point.isEmpty {
            out += "point estimates of \(s.options.point.joined(separator: ", ")): k̂ and log p(data) are of the other params, "
                + "at the estimates\n"
        }
        if let r = s.resampling {
            out += "draws: resampled by their Pareto-smoothed importance weights (effective sample size "
                + "\(Int(r.effectiveSize.rounded())) of \(r.draws))\n"
        }
        return out
    }

    /// The draws as a Stan CSV file, which `arviz.from_cmdstan` reads: `#` lines with the
    /// settings, then the columns `lp__`, `log_p__`, `log_g__` and every component with
    /// Stan's name (`beta.1`, `W.2.3`), one row per draw. As in CmdStan's variational
    /// output, `log_p__` is the model's log density of the draw on the unconstrained scale
    /// (with the transforms' Jacobians, up to a constant) and `log_g__` the guide's, so
    /// that PSIS or importance resampling can be redone from the file; `lp__` repeats
    /// `log_p__` (CmdStan writes 0) and there is no row of the guide's mean.
    public static func csv(_ s: FitSession, _ draws: PosteriorDraws, model: String) -> String {
        let o = s.options
        var out = """
            # model = \(URL(fileURLWithPath: model).deletingPathExtension().lastPathComponent)
            # method = variational
            #   algorithm = \(o.family.rawValue)
            #   guide = \(o.guide)
            #   iter = \(o.steps)
            #   grad_samples = \(o.samples)
            #   output_samples = \(draws.rows.count)
            # random
            #   seed = \(o.seed)
            # runs = \(o.runs)
            # pareto_khat = \(number(s.khat))
            # psis_resampled = \(s.resampling != nil)

            """
        out += (["lp__", "log_p__", "log_g__"] + draws.names.map(stanName)).joined(separator: ",") + "\n"
        // Whole numbers (discrete params, an _rng's counts) as ints, as Stan writes them.
        func text(_ x: Double) -> String {
            guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
            return x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
        }
        for (k, row) in draws.rows.enumerated() {
            let p = draws.logDensities[k], q = draws.logGuideDensities[k]
            out += ([p, p, q] + row).map(text).joined(separator: ",") + "\n"
        }
        return out
    }

    /// A component's name as Stan writes it in CSV files: `W[2,3]` is `W.2.3`.
    static func stanName(_ name: String) -> String {
        String(name.compactMap { c -> Character? in c == "[" || c == "," ? "." : (c == "]" ? nil : c) })
    }

    /// `{"guide", "family", "elbo", "steps", "seconds", "converged", "interrupted", "seed",
    /// "version", "commit", "failure", "runs", "runs_agree", "largest_rhat", "khat",
    /// "psis_resampled", "importance_ess", "verdict", "log_z", "log_z_se", "params": {...}}`;
    /// "failure" is null unless the fit failed; "params" holds the components `selection` selects.
    public static func summaryJSON(_ s: FitSession, _ r: FitResult, _ draws: PosteriorDraws, _ selection: ParamSelection) -> String {
        var params: [String] = []
        let stats = draws.summaries()
        for j in selection.columns(draws.names) {
            let (n, st) = (draws.names[j], stats[j])
            let point = s.options.point.contains(paramName(n)) ? ", \"point\": true" : ""
            params.append("    \(json(n)): {\"mean\": \(json(st.mean)), \"sd\": \(json(st.sd)), \"q05\": \(json(st.q05)), "
                          + "\"q50\": \(json(st.q50)), \"q95\": \(json(st.q95))\(point)}")
        }
        return """
            {
              "guide": \(json(s.options.guide)),
              "family": \(json(s.family.family.rawValue)),
              "elbo": \(s.options.family.hasDensity ? json(r.elbo) : "null"),
              "steps": \(r.steps),
              "seconds": \(json(r.seconds)),
              "converged": \(r.converged),
              "interrupted": \(r.interrupted),
              "seed": \(s.settings.seed),
              "version": \(json(Version.number)),
              "commit": \(json(Version.commit)),
              "failure": \(failure(r).map(json) ?? "null"),
              "runs": \(max(1, r.runs.count)),
              "runs_agree": \(s.agreement.map { String($0.agree) } ?? "null"),
              "largest_rhat": \(s.agreement.map { json($0.largestRHat) } ?? "null"),
              "khat": \(json(s.khat)),
              "psis_resampled": \(s.resampling != nil),
              "importance_ess": \(s.resampling.map { json($0.effectiveSize) } ?? "null"),
              "verdict": \(json(verdict(s, r))),
              "log_z": \(json(s.logEvidence.estimate)),
              "log_z_se": \(json(s.logEvidence.standardError)),
              "params": {
            \(params.joined(separator: ",\n"))
              }
            }

            """
    }

    static func json(_ x: Double) -> String { x.isFinite ? String(x) : "null" }
    static func json(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out += c.value < 32 ? String(format: "\\u%04x", c.value) : String(c)
            }
        }
        return out + "\""
    }

    /// The failure of a fit whose draws have components with no finite mean or sd: a
    /// guide whose scale grew without bound (an improper posterior: a param with neither a
    /// prior nor data) or a fit that diverged. Such a summary is no answer.
    public static func nonFinite(_ draws: PosteriorDraws) -> String? {
        let bad = zip(draws.names, draws.summaries()).filter { !($0.1.mean.isFinite && $0.1.sd.isFinite) }.map(\.0)
        guard !bad.isEmpty else { return nil }
        let names = bad.prefix(5).map { "'\($0)'" }.joined(separator: ", ") + (bad.count > 5 ? " and \(bad.count - 5) more" : "")
        return "the draws of \(names) have no finite mean or sd: the posterior looks improper (a param with neither a prior "
            + "nor data?), or the fit diverged"
    }

    /// Why a fit failed, if it did: the optimiser gave up, or the ELBO or the guide's
    /// parameters are not finite (a fit that diverged).
    public static func failure(_ r: FitResult) -> String? {
        if let f = r.failure { return f }
        // A fit's trace is empty only for a guide given, not fitted (`ppl sample`).
        if !r.trace.isEmpty, !r.elbo.isFinite { return "the ELBO is not finite" }
        if !r.phi.allSatisfy(\.isFinite) { return "the guide's parameters are not finite" }
        return nil
    }

    /// A saved fit: enough to draw again (`ppl sample`) or to warm-start (`--init`). A failed
    /// fit, or a guide whose parameters are not finite, is not saved: what would be drawn
    /// from it is no answer. The model and the data are named by their paths relative to
    /// the folder of `file`, the saved fit's own path, so that a folder holding all three
    /// can be moved or copied whole (version 2; version 1 recorded them absolute).
    public static func savedFit(_ s: FitSession, _ r: FitResult, model: String, data: String?,
                                to file: String) throws(PPLError) -> String {
        let frame = r.frame ?? s.elbo.frame
        let values = r.phi + (frame?.location ?? []) + (frame?.curvatureFactor ?? [])
        if let f = failure(r) { throw .computation("the fit failed (\(f)), so it is not saved") }
        guard values.allSatisfy(\.isFinite) else {
            throw .computation("the fit diverged: its guide's parameters are not finite, so it is not saved")
        }
        return """
        {
          "format": "ppl-fit",
          "version": 2,
          "model": \(json(savedPath(model, in: file))),
          "data": \(data.map { json(savedPath($0, in: file)) } ?? "null"),
          "model_hash": \(json(s.runtime.modelHash)),
          "data_hash": \(s.runtime.dataHash.map(json) ?? "null"),
          "guide": \(json(s.options.guide)),
          "family": \(json(s.family.family.rawValue)),
          "layout": \(json(s.layout)),
          "settings": {\(s.options.given.map { "\(json($0.rawValue)): \(json(s.options.text($0)))" }.joined(separator: ", "))},
          "dimension": \(s.runtime.dimension),
          "seed": \(s.settings.seed),
          "elbo": \(json(r.elbo)),
          "steps": \(r.steps),
          "frame": \(frame.map(frameJSON) ?? "null"),
          "phi": [\(r.phi.map { String($0) }.joined(separator: ", "))]
        }

        """
    }

    /// The path made absolute and standard.
    public static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// `path` as a saved fit written to `file` records it: relative to `file`'s folder; absolute
    /// when `file` is a device (`/dev/stdout`), whose folder says nothing of where it ends up.
    static func savedPath(_ path: String, in file: String) -> String {
        let target = URL(fileURLWithPath: absolute(path)).pathComponents
        let folder = URL(fileURLWithPath: absolute(file)).deletingLastPathComponent().pathComponents
        guard folder.first == "/", folder.count < 2 || folder[1] != "dev" else { return absolute(path) }
        var common = 0
        while common < min(target.count - 1, folder.count) && target[common] == folder[common] { common += 1 }
        return (Array(repeating: "..", count: folder.count - common) + target[common...]).joined(separator: "/")
    }

    /// A path read from the saved fit `file`: relative to its folder (version 2), or as it
    /// was written (version 1: absolute, or relative to the working folder).
    static func resolved(_ path: String, in file: String, version: Int) -> String {
        guard version >= 2, !path.hasPrefix("/") else { return path }
        let folder = URL(fileURLWithPath: file).deletingLastPathComponent()
        return folder.appendingPathComponent(path).standardizedFileURL.path
    }

    /// The parameters and settings of a saved fit.
    /// `{"location": [...], "factor": [...] | null}`.
    static func frameJSON(_ f: Frame) -> String {
        func list(_ xs: [Double]) -> String { "[" + xs.map { String($0) }.joined(separator: ", ") + "]" }
        return "{\"location\": \(list(f.location)), \"factor\": \(f.curvatureFactor.map(list) ?? "null")}"
    }

    public struct Saved {
        public let model: String
        public let data: String?
        public let guide: String
        public let family: String
        public let dimension: Int
        /// The frame the guide was fitted in.
        public let frame: Frame?
        public let phi: [Double]
        /// `ContentHash`es of the model and the data it was fitted to (none in a fit saved
        /// before they were kept).
        public var modelHash: String?
        public var dataHash: String?
        /// What φ's entries mean (`FitSession.layout`), and the options the fit was given, as
        /// a guide block writes them: a session drawing from it applies them first (none in
        /// a fit saved before they were kept).
        public var layout: String?
        public var settings: [(key: FitOptions.Key, value: GuideValue)] = []
    }

    public static func readSaved(_ path: String) throws(PPLError) -> Saved {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw PPLError.user("cannot read the saved fit '\(path)'")
        }
        let value: JSONValue
        do { value = try JSONReader.parse([UInt8](bytes)) } catch {
            throw PPLError.user("\(path): invalid JSON at \(error)")
        }
        guard case .object(let fields) = value else { throw PPLError.user("\(path) is not a saved fit") }
        let f = Dictionary(fields, uniquingKeysWith: { a, _ in a })
        guard case .string("ppl-fit")? = f["format"], case .string(let model)? = f["model"],
              case .string(let guide)? = f["guide"], case .string(let family)? = f["family"],
              case .int(let dimension)? = f["dimension"], case .array(let items)? = f["phi"] else {
            throw PPLError.user("\(path) is not a saved fit (written by ppl fit --save)")
        }
        func numbers(_ items: [JSONValue], _ name: String) throws(PPLError) -> [Double] {
            var out: [Double] = []
            for item in items {
                switch item {
                case .int(let i): out.append(Double(i))
                case .real(let x): out.append(x)
                default: throw PPLError.user("\(path): '\(name)' must hold numbers")
                }
            }
            return out
        }
        let phi = try numbers(items, "phi")
        var version = 1
        if case .int(let v)? = f["version"] { version = v }
        var data: String?
        if case .string(let d)? = f["data"] { data = resolved(d, in: path, version: version) }
        var frame: Frame?
        if case .object(let entries)? = f["frame"] {
            let g = Dictionary(entries, uniquingKeysWith: { a, _ in a })
            guard case .array(let location)? = g["location"] else { throw PPLError.user("\(path): 'frame' needs a 'location'") }
            var factor: [Double]?
            if case .array(let l)? = g["factor"] { factor = try numbers(l, "frame.factor") }
            let m = try numbers(location, "frame.location")
            guard m.count == dimension, factor.map({ $0.count == dimension * dimension }) ?? true else {
                throw PPLError.user("\(path): the frame does not have the fit's dimension \(dimension)")
            }
            frame = Frame(location: m, curvatureFactor: factor)
        }
        var saved = Saved(model: resolved(model, in: path, version: version), data: data, guide: guide, family: family, dimension: dimension, frame: frame, phi: phi)
        if case .string(let h)? = f["model_hash"] { saved.modelHash = h }
        if case .string(let h)? = f["data_hash"] { saved.dataHash = h }
        if case .string(let l)? = f["layout"] { saved.layout = l }
        if case .object(let entries)? = f["settings"] {
            for (name, value) in entries {
                guard let key = FitOptions.Key(rawValue: name), case .string(let text) = value else {
                    throw PPLError.user("\(path): 'settings' holds '\(name)', which is not an option with its value as text")
                }
                saved.settings.append((key, GuideValue(text: text)))
            }
        }
        return saved
    }
}
