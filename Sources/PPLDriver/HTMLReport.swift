import Foundation
import PPLInference

/// A fit as one self-contained HTML page (`ppl fit --report`, the REPL's `:report`): inline
/// SVG and CSS, no scripts, nothing fetched. What ArviZ would show: the fit's header and
/// verdict, the ELBO trace of every run, the posterior table, a marginal density per
/// component, a pairs plot of the most correlated params, the tail of the importance
/// ratios that k̂ is fitted to, and posterior predictive checks of every `NAME_rep` against
/// the data `NAME`. The page is well-formed XML, so it can be checked as such.
public enum HTMLReport {
    /// What the report is of: the session (its last sampling: k̂, log p(data), the
    /// importance ratios), the fit's result (nil for a restored fit), the ELBO traces of its
    /// runs, and the draws.
    public struct Fit {
        public let session: FitSession
        public let result: FitResult?
        public let traces: [[Double]]
        public let draws: PosteriorDraws
        public let model: String

        public init(session: FitSession, result: FitResult?, traces: [[Double]], draws: PosteriorDraws, model: String) {
            (self.session, self.result, self.traces, self.draws, self.model) = (session, result, traces, draws, model)
        }
    }

    /// The ELBO traces of a fit's runs (of the fit itself, if it had one run).
    public static func traces(_ r: FitResult) -> [[Double]] { r.runs.isEmpty ? [r.trace] : r.runs.map(\.trace) }

    /// At most this many marginal densities, and this many params in the pairs plot.
    static let marginalCap = 40, pairCount = 5
    /// ArviZ's default colours.
    static let palette = ["#2a2eec", "#fa7c17", "#328c06", "#c10c90", "#933708", "#65e5f3", "#e6e135", "#929591"]

    public static func render(_ f: Fit) -> String {
        let columns = Columns(f)
        var body = header(f)
        body += section("ELBO", elbo(f))
        body += section("Posterior", table(f, columns.marginals) + marginals(f, columns))
        body += section("Pairs of the most correlated params", pairs(f, columns))
        body += section("Pareto k̂ and the importance ratios", tail(f))
        let checks = predictiveChecks(f)
        if !checks.isEmpty { body += section("Posterior predictive checks", checks) }
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8"/>
            <title>ppl: \(escape(f.model))</title>
            <style>
            \(style)
            </style>
            </head>
            <body>
            \(body)
            <footer>Written by \(escape(Version.text)).</footer>
            </body>
            </html>

            """
    }

    static let style = """
        body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; margin: 24px 32px; color: #222; background: #fff; }
        h1 { font-size: 21px; margin: 0 0 10px 0; font-weight: 600; }
        h2 { font-size: 16px; font-weight: 600; margin: 26px 0 8px 0; padding-bottom: 4px; border-bottom: 1px solid #ddd; }
        p { font-size: 13px; margin: 6px 0; max-width: 70em; }
        table { border-collapse: collapse; font-size: 12.5px; }
        td, th { padding: 2px 10px; text-align: right; }
        th { border-bottom: 1px solid #999; font-weight: 600; }
        td.name, th.name { text-align: left; }
        table.facts td { text-align: left; padding: 2px 14px 2px 0; }
        table.facts td.key { color: #666; }
        .plots { display: flex; flex-wrap: wrap; gap: 4px 8px; align-items: flex-start; }
        .pairs { display: grid; gap: 2px; }
        .pairs svg { display: block; }
        .verdict { font-weight: 600; }
        .good { color: #1a7f1a; } .ok { color: #b36b00; } .bad { color: #c0192a; }
        .warning { color: #c0192a; font-size: 13px; }
        footer { margin-top: 30px; font-size: 11px; color: #888; }
        svg { background: #fff; }
        svg .frame { fill: #fbfbfb; stroke: #b8b8b8; stroke-width: 1; }
        svg .gl { stroke: #e4e4e4; stroke-width: 1; }
        svg .tick { font-size: 10px; fill: #444; }
        svg .title { font-size: 12px; font-weight: 600; fill: #222; }
        svg .label { font-size: 11px; fill: #333; }
        svg .note { font-size: 10.5px; fill: #333; }
        """

    static func section(_ title: String, _ content: String) -> String {
        "<section>\n<h2>\(escape(title))</h2>\n\(content)\n</section>\n"
    }

    public static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    static func number(_ x: Double) -> String { FitReports.number(x) }

    // MARK: - Header

    static func header(_ f: Fit) -> String {
        let s = f.session
        var facts: [(String, String)] = [
            ("model", f.model),
            ("guide", "\(s.options.guide) (\(s.family.family.rawValue)), \(s.runtime.dimension) unconstrained dimension"
                + (s.runtime.dimension == 1 ? "" : "s")),
            ("frame", s.frameNote),
        ]
        var verdictText = ParetoSmoothing.verdict(s.khat)
        if let r = f.result {
            let state = r.interrupted ? "interrupted" : r.converged ? "converged" : "step cap reached"
            facts.append(("steps", "\(r.steps) (\(state)) in \(String(format: "%.2f", r.seconds)) s; seed \(s.settings.seed)"))
            facts.append(("ELBO", number(r.elbo)))
            if let a = s.agreement {
                facts.append(("runs", "\(r.runs.count), " + (a.agree ? "they agree (largest R̂ \(number(a.largestRHat)))" : "they disagree")))
            }
            verdictText = FitReports.verdict(s, r)
        } else {
            facts.append(("steps", "a restored fit"))
        }
        let k = s.khat
        let kind = k < 0.5 ? "good" : k < 0.7 ? "ok" : "bad"
        if let note = FitReports.pointNote(s) {
            facts.append(("Pareto k̂, log p(data)", escape(note)))
        } else {
            facts.append(("Pareto k̂", "<span class=\"verdict \(kind)\">\(escape(number(k)))</span>: \(escape(verdictText))"))
            facts.append(("log p(data)", "≈ \(number(s.logEvidence.estimate)) ± \(number(s.logEvidence.standardError))"
                          + " (importance sampling with \(s.logRatios.count) guide draws)"))
        }
        var drawsText = "\(f.draws.rows.count)"
        if let r = s.resampling {
            drawsText += ", resampled by their Pareto-smoothed importance weights (effective sample size "
                + "\(Int(r.effectiveSize.rounded())) of \(r.draws))"
        }
        facts.append(("draws", drawsText))
        var out = "<h1>\(escape(URL(fileURLWithPath: f.model).lastPathComponent)): \(escape(s.options.guide)) guide</h1>\n"
        out += "<table class=\"facts\">\n"
        for (key, value) in facts {
            let shown = key == "Pareto k̂" ? value : escape(value)
            out += "<tr><td class=\"key\">\(escape(key))</td><td>\(shown)</td></tr>\n"
        }
        out += "</table>\n"
        if let r = f.result {
            for w in FitReports.warnings(s, r).split(separator: "\n") { out += "<p class=\"warning\">\(escape(String(w)))</p>\n" }
        }
        return out
    }

    // MARK: - ELBO

    static func elbo(_ f: Fit) -> String {
        let traces = f.traces.filter { !$0.isEmpty }
        guard !traces.isEmpty else {
            return f.result == nil ? "<p>No ELBO trace: this fit was restored, not fitted here.</p>" : "<p>The fit took no step.</p>"
        }
        // The first steps are often far below the rest: the range is that after the first tenth.
        let settled = traces.flatMap { $0.dropFirst($0.count / 10) }.filter(\.isFinite)
        guard let lo = settled.min(), let hi = settled.max() else { return "<p>The ELBO was never finite.</p>" }
        let longest = traces.map(\.count).max() ?? 1
        var plot = SVGPlot(width: 760, height: 300, title: "ELBO by step", x: .init(1, Double(longest), pad: 0.01), y: .init(lo, hi))
        plot.xLabel = "step"
        plot.yLabel = "ELBO"
        let best = f.result.map { FitSession.best($0.runs) } ?? 0
        for (i, t) in traces.enumerated() {
            // At most about 1,000 points a line: the mean of each group of steps.
            let group = max(1, t.count / 1000)
            var xs: [Double] = [], ys: [Double] = []
            for start in stride(from: 0, to: t.count, by: group) {
                let slice = t[start..<min(t.count, start + group)].filter(\.isFinite)
                guard !slice.isEmpty else { continue }
                xs.append(Double(start) + Double(group + 1) / 2)
                ys.append(slice.reduce(0, +) / Double(slice.count))
            }
            plot.line(xs, ys, color: palette[i % palette.count], width: i == best ? 1.6 : 1.1, opacity: i == best ? 1 : 0.7)
            if traces.count > 1 { plot.legend("run \(i + 1)" + (i == best ? " (best)" : ""), color: palette[i % palette.count], row: i) }
        }
        var note = "Each line is a run's ELBO"
        note += traces.map(\.count).max()! > 1000 ? ", averaged over groups of steps." : "."
        if traces.contains(where: { $0.prefix($0.count / 10).contains { $0 < lo } }) {
            note += " The first steps, below \(number(lo)), are drawn at the bottom edge."
        }
        return "<div class=\"plots\">\(plot.render())</div>\n<p>\(escape(note))</p>"
    }

    // MARK: - Posterior

    /// Which components the report plots: the params' first, then the derived and generated
    /// quantities' (but those the predictive checks show), `marginalCap` at most; the params'
    /// components with some spread, for the pairs plot.
    struct Columns {
        let marginals: [Int]
        let left: Int
        let params: [Int]

        init(_ f: Fit) {
            let names = f.draws.names
            let paramNames = Set(f.session.runtime.model.params.map(\.name))
            let stats = f.draws.summaries()
            let isParam = names.map { paramNames.contains(ParamSelection.base($0)) }
            let checked = Set(HTMLReport.predictiveGroups(f).flatMap(\.columns))
            let shown = names.indices.filter { isParam[$0] } + names.indices.filter { !isParam[$0] && !checked.contains($0) }
            marginals = Array(shown.prefix(HTMLReport.marginalCap))
            left = shown.count - marginals.count
            params = names.indices.filter { isParam[$0] && stats[$0].sd > 0 && stats[$0].sd.isFinite }
        }
    }

    static func column(_ d: PosteriorDraws, _ j: Int) -> [Double] { d.rows.map { $0[j] }.filter(\.isFinite) }

    static func table(_ f: Fit, _ shown: [Int]) -> String {
        let stats = f.draws.summaries()
        var out = "<table>\n<tr><th class=\"name\"></th><th>mean</th><th>sd</th><th>5%</th><th>50%</th><th>95%</th></tr>\n"
        for j in shown {
            let s = stats[j]
            out += "<tr><td class=\"name\">\(escape(f.draws.names[j]))</td>"
                + [s.mean, s.sd, s.q05, s.q50, s.q95].map { "<td>\(escape(number($0)))</td>" }.joined() + "</tr>\n"
        }
        return out + "</table>\n"
    }

    static func marginals(_ f: Fit, _ c: Columns) -> String {
        var out = "<div class=\"plots\">\n"
        var unplotted: [String] = []
        for j in c.marginals {
            if let plot = density(column(f.draws, j), title: f.draws.names[j], width: 250, height: 170) {
                out += plot.render() + "\n"
            } else {
                unplotted.append(f.draws.names[j])
            }
        }
        out += "</div>\n<p>Histograms of the draws with a Gaussian kernel density estimate (Silverman's bandwidth), "
            + "between their 0.5% and 99.5% quantiles."
        if !unplotted.isEmpty {
            out += " Not plotted, their draws having no finite range: " + escape(unplotted.joined(separator: ", ")) + "."
        }
        if c.left > 0 { out += " \(c.left) more component\(c.left == 1 ? " is" : "s are") not shown (the first \(marginalCap) are)." }
        return out + "</p>"
    }

    /// A histogram of `xs` with its kernel density estimate, between their 0.5% and 99.5%
    /// quantiles; a line at the value of constant draws; nil without two finite draws
    /// within a finite range (a fit that diverged).
    static func density(_ xs: [Double], title: String, width: Double, height: Double, color: String = palette[0]) -> SVGPlot? {
        let sorted = xs.filter(\.isFinite).sorted()
        guard sorted.count >= 2 else { return nil }
        let lo = quantile(sorted, 0.005), hi = quantile(sorted, 0.995)
        guard (hi - lo).isFinite else { return nil }
        guard hi > lo else {
            var plot = SVGPlot(width: width, height: height, title: title, x: .init(lo, lo), y: .init(0, 1))
            plot.segments([(lo, 0, lo, 1)], color: color, width: 2)
            plot.note("constant", atFraction: 0.97, 0.9)
            return plot
        }
        var (edges, heights) = histogram(sorted, lo, hi, bins: 24)
        let grid = (0...100).map { lo + (hi - lo) * Double($0) / 100 }
        let kde = kernelDensity(sorted, at: grid)
        if heights.isEmpty { (edges, heights) = ([lo, hi], [0]) }
        let top = max(heights.max() ?? 1, kde.max() ?? 1)
        var plot = SVGPlot(width: width, height: height, title: title, x: .init(lo, hi), y: .init(0, top > 0 ? top : 1, pad: 0.05))
        plot.bars(edges: edges, heights: heights, color: color, opacity: 0.35)
        plot.line(grid, kde, color: color, width: 1.6)
        return plot
    }

    // MARK: - Pairs

    static func pairs(_ f: Fit, _ c: Columns) -> String {
        let names = f.draws.names
        // Correlations of the first 100 params' components: enough to find the strongest.
        let candidates = Array(c.params.prefix(100))
        guard candidates.count >= 2 else { return "<p>Fewer than two params vary: no pairs to plot.</p>" }
        let cols = candidates.map { j in f.draws.rows.map { $0[j] } }
        var strongest: [(a: Int, b: Int, r: Double)] = []
        for a in cols.indices {
            for b in (a + 1)..<cols.count {
                let r = correlation(cols[a], cols[b])
                if r.isFinite { strongest.append((a, b, r)) }
            }
        }
        strongest.sort { abs($0.r) > abs($1.r) }
        var chosen: [Int] = []
        for p in strongest where chosen.count < pairCount {
            for k in [p.a, p.b] where !chosen.contains(k) && chosen.count < pairCount { chosen.append(k) }
        }
        if chosen.count < 2 { chosen = Array(cols.indices.prefix(pairCount)) }
        chosen.sort()
        let k = chosen.count, cell = k > 4 ? 170.0 : 200.0
        // A thinned set of draws for the scatter plots: at most 600 points.
        let stride = max(1, f.draws.rows.count / 600)
        var out = "<div class=\"pairs\" style=\"grid-template-columns: repeat(\(k), \(Int(cell))px);\">\n"
        for row in 0..<k {
            for col in 0..<k {
                let ya = cols[chosen[row]], xa = cols[chosen[col]]
                let yName = names[candidates[chosen[row]]], xName = names[candidates[chosen[col]]]
                if row == col {
                    out += (density(ya, title: yName, width: cell, height: cell, color: palette[1])?.render() ?? "<div></div>") + "\n"
                } else if row > col {
                    let xs = Swift.stride(from: 0, to: xa.count, by: stride).map { xa[$0] }
                    let ys = Swift.stride(from: 0, to: ya.count, by: stride).map { ya[$0] }
                    let xr = robustRange(xa), yr = robustRange(ya)
                    var plot = SVGPlot(width: cell, height: cell, title: "\(yName) vs \(xName)", x: .init(xr.lo, xr.hi),
                                       y: .init(yr.lo, yr.hi))
                    plot.points(xs, ys, color: palette[0], radius: 1.5, opacity: 0.35)
                    plot.note("r = " + String(format: "%.2f", correlation(xa, ya)), atFraction: 0.97, 0.9)
                    out += plot.render() + "\n"
                } else {
                    out += "<div></div>\n"
                }
            }
        }
        out += "</div>\n<p>The \(k) components of the params in the pairs of largest |correlation| among the "
            + "\(candidates.count == c.params.count ? "" : "first \(candidates.count) of the ")\(c.params.count) that vary; "
            + "\(min(600, f.draws.rows.count)) draws in each scatter plot, r their correlation over all draws.</p>"
        return out
    }

    /// The 0.5% and 99.5% quantiles of the finite values.
    static func robustRange(_ xs: [Double]) -> (lo: Double, hi: Double) {
        let s = xs.filter(\.isFinite).sorted()
        return (quantile(s, 0.005), quantile(s, 0.995))
    }

    // MARK: - Pareto k̂

    /// The largest importance ratios as PSIS fits them: their exceedances over the
    /// threshold (the ratio just below the tail), relative to the largest ratio, against
    /// the empirical survival probability of each, with the fitted generalized Pareto
    /// distribution's survival function S(x) = (1 + k x / σ)^(-1/k), on log-log axes.
    static func tail(_ f: Fit) -> String {
        let s = f.session
        var out = "<p>k̂ = <span class=\"verdict \(s.khat < 0.5 ? "good" : s.khat < 0.7 ? "ok" : "bad")\">\(escape(number(s.khat)))</span>: "
            + "\(escape(ParetoSmoothing.verdict(s.khat))). Below 0.5 the guide is a good importance distribution for the "
            + "posterior, 0.5 to 0.7 usable, above 0.7 not to be trusted (Yao et al. 2018; Vehtari et al. 2024).</p>\n"
        let lw = s.logRatios.filter(\.isFinite).sorted()
        let n = lw.count
        let m = Int(min(Double(n) / 5, 3 * Double(n).squareRoot()))
        guard n >= 10, m >= 5 else { return out + "<p>Too few finite importance ratios to show their tail.</p>" }
        let top = lw[n - 1]
        let cutoff = exp(lw[n - m - 1] - top)
        let exceedances = lw[(n - m)...].map { exp($0 - top) - cutoff }
        let (k, sigma) = ParetoSmoothing.generalizedPareto(exceedances)
        // Ascending: the j-th of m has m - j exceedances at or above it.
        let points = exceedances.enumerated().filter { $0.element > 0 }
        guard let smallest = points.first?.element, let largest = points.last?.element, smallest < largest || points.count == 1 else {
            return out + "<p>The largest importance ratios are all equal: no tail to show.</p>"
        }
        let survival = points.map { (Double(m - $0.offset) - 0.5) / Double(m) }
        var plot = SVGPlot(width: 520, height: 330, title: "The largest \(m) of \(n) importance ratios",
                           x: .init(smallest, largest, pad: 0.03, log: true), y: .init(0.5 / Double(m), 1, pad: 0.03, log: true))
        plot.xLabel = "ratio over the threshold, relative to the largest ratio"
        plot.yLabel = "fraction of the tail above"
        plot.points(points.map(\.element), survival, color: palette[0], radius: 2.4, opacity: 0.75)
        if k.isFinite, sigma.isFinite, sigma > 0 {
            let grid = (0...80).map { smallest * pow(largest / smallest, Double($0) / 80) }
            let fitted = grid.map { x in abs(k) < 1e-10 ? exp(-x / sigma) : pow(1 + k * x / sigma, -1 / k) }
            plot.line(grid, fitted, color: palette[1], width: 2)
            plot.legend("generalized Pareto, k = \(String(format: "%.2f", k))", color: palette[1], row: 0)
        }
        out += "<div class=\"plots\">\(plot.render())</div>\n<p>The tail k̂ is fitted to: the largest \(m) of the \(n) "
            + "importance ratios p(z)/q(z) of the guide's draws, as exceedances over the ratio just below them (points), "
            + "and the fitted generalized Pareto distribution (line). A heavy tail (k̂ large) is a straight line "
            + "falling slowly: a few draws carry most of the weight.</p>"
        return out
    }

    // MARK: - Posterior predictive

    /// For each draws' group `NAME_rep` whose data `NAME` has as many elements: the density
    /// of the data against those of a few draws of `NAME_rep` (ArviZ's `plot_ppc`), and each
    /// observation against its replicates' mean and 90% interval.
    static func predictiveChecks(_ f: Fit) -> String {
        var out = ""
        for g in predictiveGroups(f) {
            let (dataName, observed) = (g.dataName, g.observed)
            out += "<div class=\"plots\">\(overlay(f, g.name, g.columns, dataName, observed).render())"
            if observed.count > 1 { out += intervals(f, g.name, g.columns, dataName, observed).render() }
            out += "</div>\n"
            out += "<p>Left: the density of the data \(escape(dataName)) (black) against those of 30 draws of "
                + "\(escape(g.name)) (blue) and of all its draws pooled (orange, dashed). Right: each observation against "
                + "the mean (point) and 90% interval (bar) of its replicates; on the diagonal they agree."
                + (observed.count > 500 ? " The first 500 observations." : "") + "</p>\n"
        }
        return out
    }

    /// The draws' groups `NAME_rep` whose data `NAME` has as many elements: their columns
    /// and the data.
    static func predictiveGroups(_ f: Fit) -> [(name: String, columns: [Int], dataName: String, observed: [Double])] {
        var groups: [(name: String, columns: [Int])] = []
        for (j, n) in f.draws.names.enumerated() {
            let base = ParamSelection.base(n)
            guard base.hasSuffix("_rep") else { continue }
            if groups.last?.name == base { groups[groups.count - 1].columns.append(j) } else { groups.append((base, [j])) }
        }
        return groups.compactMap { g in
            let dataName = String(g.name.dropLast(4))
            guard let observed = f.session.runtime.values[dataName]?.values, observed.count == g.columns.count else { return nil }
            return (g.name, g.columns, dataName, observed)
        }
    }

    static func overlay(_ f: Fit, _ name: String, _ columns: [Int], _ dataName: String, _ observed: [Double]) -> SVGPlot {
        let rows = f.draws.rows
        let picks = Swift.stride(from: 0, to: rows.count, by: max(1, rows.count / 30)).prefix(30).map { rows[$0] }
        let pooled = rows.flatMap { r in columns.map { r[$0] } }.filter(\.isFinite).sorted()
        let obs = observed.filter(\.isFinite).sorted()
        let lo = min(quantile(pooled, 0.005), obs.first ?? 0), hi = max(quantile(pooled, 0.995), obs.last ?? 1)
        let grid = (0...120).map { lo + (hi - lo) * Double($0) / 120 }
        let counts = (pooled + obs).allSatisfy { $0 == $0.rounded() }
        var curves: [(values: [Double], color: String, width: Double, opacity: Double, dashed: Bool)] = []
        if obs.count > 1 {
            for r in picks {
                curves.append((kernelDensity(columns.map { r[$0] }.filter(\.isFinite).sorted(), at: grid, counts: counts), palette[0], 0.8,
                               0.3, false))
            }
        }
        curves.append((kernelDensity(pooled, at: grid, counts: counts), palette[1], 1.8, 1, true))
        let observedCurve = obs.count > 1 ? kernelDensity(obs, at: grid, counts: counts) : []
        let top = (curves.flatMap(\.values) + observedCurve).filter(\.isFinite).max() ?? 1
        var plot = SVGPlot(width: 470, height: 300, title: "\(dataName) against \(name)", x: .init(lo, hi),
                           y: .init(0, top > 0 ? top : 1, pad: 0.05))
        plot.xLabel = dataName
        plot.yLabel = "density"
        for c in curves { plot.line(grid, c.values, color: c.color, width: c.width, opacity: c.opacity, dashed: c.dashed) }
        if obs.count > 1 {
            plot.line(grid, observedCurve, color: "#000000", width: 2.2)
        } else if let y = obs.first {
            plot.segments([(y, 0, y, top)], color: "#000000", width: 2.2)
        }
        plot.legend("observed \(dataName)", color: "#000000", row: 0)
        if obs.count > 1 { plot.legend("draws of \(name)", color: palette[0], row: 1) }
        plot.legend("\(name), pooled", color: palette[1], row: obs.count > 1 ? 2 : 1, dashed: true)
        return plot
    }

    static func intervals(_ f: Fit, _ name: String, _ columns: [Int], _ dataName: String, _ observed: [Double]) -> SVGPlot {
        let shown = Array(zip(observed, columns).prefix(500))
        var xs: [Double] = [], means: [Double] = [], bars: [(Double, Double, Double, Double)] = []
        for (y, j) in shown {
            let reps = column(f.draws, j).sorted()
            guard !reps.isEmpty, y.isFinite else { continue }
            xs.append(y)
            means.append(reps.reduce(0, +) / Double(reps.count))
            bars.append((y, quantile(reps, 0.05), y, quantile(reps, 0.95)))
        }
        let all = xs + bars.map(\.1) + bars.map(\.3)
        let lo = all.min() ?? 0, hi = all.max() ?? 1
        var plot = SVGPlot(width: 330, height: 300, title: "\(name) by observation", x: .init(lo, hi), y: .init(lo, hi))
        plot.xLabel = "observed \(dataName)"
        plot.yLabel = name
        plot.segments([(lo, lo, hi, hi)], color: "#999999", width: 1)
        plot.segments(bars, color: palette[0], width: 1.2, opacity: 0.45)
        plot.points(xs, means, color: palette[0], radius: 2.2, opacity: 0.9)
        return plot
    }

    // MARK: - Statistics

    /// The p-quantile of sorted values, interpolated linearly.
    static func quantile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let h = p * Double(sorted.count - 1)
        let i = Int(h.rounded(.down)), j = min(i + 1, sorted.count - 1)
        return sorted[i] + (h - Double(i)) * (sorted[j] - sorted[i])
    }

    /// Counts in `bins` equal bins of [lo, hi], as a density over all the values (values
    /// outside the range count in the total only).
    static func histogram(_ xs: [Double], _ lo: Double, _ hi: Double, bins: Int) -> (edges: [Double], heights: [Double]) {
        let w = (hi - lo) / Double(bins)
        guard hi > lo, w.isFinite, w > 0, !xs.isEmpty else { return ([], []) }
        var counts = [Double](repeating: 0, count: bins)
        for x in xs where x >= lo && x <= hi {
            let k = (x - lo) / w
            if k.isFinite { counts[Int(min(Double(bins - 1), max(0, k)))] += 1 }
        }
        return ((0...bins).map { lo + Double($0) * w }, counts.map { $0 / (Double(xs.count) * w) })
    }

    /// A Gaussian kernel density estimate of sorted values at `points`, with Silverman's
    /// bandwidth 0.9 min(sd, IQR / 1.34) n^(-1/5), at least 0.5 for counts (integers one
    /// apart, which a narrower kernel draws as a comb); all zero for fewer than two distinct
    /// values.
    static func kernelDensity(_ sorted: [Double], at points: [Double], counts: Bool = false) -> [Double] {
        let n = Double(sorted.count)
        guard sorted.count > 1 else { return points.map { _ in 0 } }
        let mean = sorted.reduce(0, +) / n
        let sd = (sorted.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot()
        let iqr = quantile(sorted, 0.75) - quantile(sorted, 0.25)
        let spread = iqr > 0 ? min(sd, iqr / 1.34) : sd
        let h = max(0.9 * spread * pow(n, -0.2), counts ? 0.5 : 0)
        guard h > 0, h.isFinite else { return points.map { _ in 0 } }
        let norm = 1 / (n * h * (2 * Double.pi).squareRoot())
        return points.map { p in
            var total = 0.0
            for x in sorted where abs(x - p) < 6 * h { total += exp(-0.5 * ((x - p) / h) * ((x - p) / h)) }
            return total * norm
        }
    }

    /// Pearson's correlation of the pairs where both are finite.
    static func correlation(_ a: [Double], _ b: [Double]) -> Double {
        let pairs = zip(a, b).filter { $0.0.isFinite && $0.1.isFinite }
        let n = Double(pairs.count)
        guard n > 2 else { return .nan }
        let ma = pairs.reduce(0) { $0 + $1.0 } / n, mb = pairs.reduce(0) { $0 + $1.1 } / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in pairs {
            sab += (x - ma) * (y - mb)
            saa += (x - ma) * (x - ma)
            sbb += (y - mb) * (y - mb)
        }
        return sab / (saa * sbb).squareRoot()
    }
}
