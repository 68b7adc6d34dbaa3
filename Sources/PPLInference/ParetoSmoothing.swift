import Foundation

/// Pareto-smoothed importance sampling diagnostics (Vehtari et al. 2015/2024; Yao et al.
/// 2018, "Yes, but did it work?"): k̂, the shape of a generalized Pareto distribution fitted
/// to the largest importance ratios p(z)/q(z) of draws from the guide.
public enum ParetoSmoothing {
    /// k̂ from log importance ratios; the tail is the largest min(S/5, 3√S) ratios.
    public static func khat(_ logWeights: [Double]) -> Double {
        let lw = logWeights.filter(\.isFinite).sorted()
        let s = lw.count
        guard s >= 10, lw.count == logWeights.count else { return .infinity }
        let m = Int(min(Double(s) / 5, 3 * Double(s).squareRoot()))
        guard m >= 5 else { return .nan }
        let top = lw[s - 1]
        // Ratios equal up to the rounding of log weights this large (a million observations'
        // log density, where the guide is exact) have no tail to fit.
        if top - lw[s - m - 1] <= 64 * max(abs(lw[0]), abs(top)).ulp { return .nan }
        let cutoff = exp(lw[s - m - 1] - top)
        let tail = lw[(s - m)...].map { exp($0 - top) - cutoff }
        return generalizedParetoShape(tail)
    }

    /// The shape k of a generalized Pareto distribution fitted to exceedances x > 0 by the
    /// empirical-Bayes estimator of Zhang & Stephens (2009), with the weakly informative
    /// prior adjustment towards 0.5 that PSIS uses.
    public static func generalizedParetoShape(_ exceedances: [Double]) -> Double {
        generalizedPareto(exceedances).shape
    }

    /// The generalized Pareto distribution fitted to exceedances x > 0: its shape k (as
    /// `generalizedParetoShape`) and its scale σ = k₀ / (-b̂), from the shape k₀ before the
    /// prior adjustment (as PSIS computes it).
    public static func generalizedPareto(_ exceedances: [Double]) -> (shape: Double, scale: Double) {
        let x = exceedances.sorted()
        let n = x.count
        let nd = Double(n)
        let gridSize = 30 + Int(nd.squareRoot())
        let quartile: Double = x[max(0, Int(nd / 4 + 0.5) - 1)]
        guard x[n - 1] > 0 else { return (.nan, .nan) }
        // The largest ratio so far above the others that they vanish beside it (a guide
        // thousands of nats off): a tail too heavy to fit, not an undefined one.
        guard quartile > 0 else { return (.infinity, .nan) }
        var b: [Double] = []
        for j in 1...gridSize {
            let shrink: Double = 1 - (Double(gridSize) / (Double(j) - 0.5)).squareRoot()
            b.append(1 / x[n - 1] + shrink / (3 * quartile))
        }
        // Profile log likelihood of each candidate b.
        func meanLog1p(_ bj: Double) -> Double {
            var total = 0.0
            for xi in x { total += log1p(-bj * xi) }
            return total / nd
        }
        var logLik: [Double] = []
        for bj in b {
            let k = meanLog1p(bj)
            logLik.append(nd * (log(-bj / k) - k - 1))
        }
        var bHat = 0.0, total = 0.0
        for j in b.indices {
            var denominator = 0.0
            for l in logLik { denominator += exp(l - logLik[j]) }
            let w = 1 / denominator
            bHat += b[j] * w
            total += w
        }
        bHat /= total
        // With b < 0 for heavy tails, k = mean(log(1 - b x)) is the usual shape (> 0 for heavy
        // tails); Zhang & Stephens' own k is its negative.
        let k = meanLog1p(bHat)
        return ((nd * k + 10 * 0.5) / (nd + 10), k / -bHat)
    }

    /// Pareto-smoothed importance weights (Vehtari et al. 2024, "Pareto smoothed importance
    /// sampling"), normalised to sum to one: the largest M = min(S/5, 3√S) ratios are
    /// replaced by the expected order statistics of the generalized Pareto distribution
    /// fitted to them, F⁻¹((j - ½) / M), capped at the largest raw ratio. Non-finite log
    /// ratios get weight zero. Nil where no tail can be fitted (too few draws, or a tail
    /// too heavy to fit).
    public static func smoothedWeights(_ logWeights: [Double]) -> [Double]? {
        let finite = logWeights.filter(\.isFinite)
        guard let top = finite.max(), finite.count >= 10 else { return nil }
        let s = finite.count
        let m = Int(min(Double(s) / 5, 3 * Double(s).squareRoot()))
        guard m >= 5 else { return nil }
        var w = logWeights.map { $0.isFinite ? exp($0 - top) : 0 }
        let order = w.indices.filter { logWeights[$0].isFinite }.sorted { w[$0] < w[$1] }
        let tailIndices = order.suffix(m)
        let cutoff = w[order[s - m - 1]]
        let (k, sigma) = generalizedPareto(tailIndices.map { w[$0] - cutoff })
        guard k.isFinite, sigma.isFinite, sigma > 0 else { return nil }
        for (j, i) in tailIndices.enumerated() {
            let p = (Double(j) + 0.5) / Double(m)
            let quantile = abs(k) < 1e-10 ? -sigma * log1p(-p) : sigma * (pow(1 - p, -k) - 1) / k
            w[i] = min(1, cutoff + quantile)
        }
        let total = w.reduce(0, +)
        return w.map { $0 / total }
    }

    /// The effective sample size of normalised importance weights, 1 / Σ w².
    public static func effectiveSampleSize(_ weights: [Double]) -> Double {
        1 / weights.reduce(0) { $0 + $1 * $1 }
    }

    /// log p(data) ≈ log mean exp(log w), with the delta-method standard error.
    public static func logEvidence(_ logWeights: [Double]) -> (estimate: Double, standardError: Double) {
        let finite = logWeights.filter(\.isFinite)
        guard let top = finite.max(), !finite.isEmpty else { return (.nan, .nan) }
        let w = finite.map { exp($0 - top) }
        let n = Double(w.count)
        let mean = w.reduce(0, +) / n
        let variance = w.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / max(1, n - 1)
        return (top + log(mean), (variance / n).squareRoot() / mean)
    }

    /// What k̂ means, for the report.
    public static func verdict(_ k: Double) -> String {
        if k.isNaN {
            return "could not be estimated: too few draws, or the importance ratios are all equal (the guide matches "
                + "the posterior up to a constant)"
        }
        if !k.isFinite {
            return "could not be estimated: a few importance ratios dwarf all the others, or are not finite; don't trust the fit"
        }
        if k < 0.5 { return "good: the approximation is close to the posterior" }
        if k < 0.7 { return "usable: estimates are reliable, tails less so" }
        return "don't trust it: the approximation misses the posterior"
    }
}
