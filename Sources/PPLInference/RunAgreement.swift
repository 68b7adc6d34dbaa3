import Foundation

/// Whether independent fits of one model, started apart, found the same posterior — the
/// check beside k̂ for mass a guide never visits: a run caught in another mode, or short of
/// the optimum, disagrees with the others though each one's k̂ may look fine.
///
/// Per component, R̂ over the runs' draws (Gelman & Rubin 1992; the draws of a guide are
/// independent, so the runs need no splitting): √(((n−1)/n W + B/n) / W), with W the mean
/// of the runs' variances and B/n the variance of their means. The runs of one optimum
/// differ by their optimisation noise, a few hundredths of a posterior sd: R̂ about 1.001.
/// Above 1.01 their means differ by about a fifth of an sd. The runs' sds are compared too
/// (a run whose scale collapsed has the others' mean): their ratio above 1.2 disagrees.
/// And their ELBOs: a run more than max(1, 4 standard errors) nats below the best is short
/// of it, or in a worse mode.
public struct RunAgreement: Sendable {
    public static let largestRHat = 1.01
    public static let largestSDRatio = 1.2

    /// One run: its final ELBO with its standard error, and its draws (one row per draw, one
    /// column per component).
    public struct Run {
        public let elbo: Double
        public let elboError: Double
        public let draws: [[Double]]

        public init(elbo: Double, elboError: Double, draws: [[Double]]) {
            (self.elbo, self.elboError, self.draws) = (elbo, elboError, draws)
        }
    }

    /// The components' names (`beta[1]`), in the draws' column order.
    public let names: [String]
    /// The components whose runs disagree, with their R̂ and sd ratio, worst first.
    public let disagreeing: [(component: Int, rhat: Double, sdRatio: Double)]
    /// The largest R̂ over the components.
    public let largestRHat: Double
    /// The best ELBO less the worst.
    public let elboSpread: Double
    /// The runs that agree with the one of the best ELBO (it included), in order.
    public let agreeing: [Int]

    public var agree: Bool { disagreeing.isEmpty && agreeing.count == runCount }
    private let runCount: Int

    /// `discrete` are the columns of discrete params, judged by R̂ alone: the sd of a value a
    /// run draws a few times in a thousand is the noise of that count, and their ratio says
    /// nothing R̂ does not.
    public init(_ runs: [Run], names: [String], discrete: Set<Int> = []) {
        precondition(runs.count >= 2 && runs.allSatisfy { !$0.draws.isEmpty })
        runCount = runs.count
        self.names = names
        let components = runs[0].draws[0].count
        let moments = runs.map { Self.moments($0.draws, components) }
        var disagreeing: [(Int, Double, Double)] = []
        var largest = 1.0
        for c in 0..<components {
            var (rhat, ratio) = Self.compare(moments.map { $0[c] }, draws: runs.map { $0.draws.count })
            if discrete.contains(c) { ratio = 1 }
            if rhat.isFinite { largest = max(largest, rhat) }
            if !(rhat <= Self.largestRHat) || !(ratio <= Self.largestSDRatio) { disagreeing.append((c, rhat, ratio)) }
        }
        self.disagreeing = disagreeing.sorted { ($0.1.isNaN ? .infinity : $0.1) > ($1.1.isNaN ? .infinity : $1.1) }
        largestRHat = largest
        let elbos = runs.map(\.elbo)
        let best = elbos.indices.filter { elbos[$0].isFinite }.max { elbos[$0] < elbos[$1] } ?? 0
        // A run whose ELBO is not finite (it failed) spreads them without bound.
        elboSpread = elbos.allSatisfy(\.isFinite) ? elbos.max()! - elbos.min()! : .infinity
        agreeing = runs.indices.filter { r in
            if r == best { return true }
            guard runs[r].elbo.isFinite else { return false }
            let tolerance = max(1, 4 * (runs[r].elboError * runs[r].elboError + runs[best].elboError * runs[best].elboError).squareRoot())
            guard runs[best].elbo - runs[r].elbo <= tolerance else { return false }
            return (0..<components).allSatisfy { c in
                let (rhat, ratio) = Self.compare([moments[best][c], moments[r][c]], draws: [runs[best].draws.count, runs[r].draws.count])
                return rhat <= Self.largestRHat && (discrete.contains(c) || ratio <= Self.largestSDRatio)
            }
        }
    }

    /// Per component, the mean and variance of a run's draws.
    static func moments(_ draws: [[Double]], _ components: Int) -> [(mean: Double, variance: Double)] {
        let n = Double(draws.count)
        return (0..<components).map { c in
            let mean = draws.reduce(0) { $0 + $1[c] } / n
            let variance = draws.reduce(0) { $0 + ($1[c] - mean) * ($1[c] - mean) } / (n - 1)
            return (mean, variance)
        }
    }

    /// R̂ and the largest ratio of the runs' sds, for one component.
    static func compare(_ m: [(mean: Double, variance: Double)], draws: [Int]) -> (rhat: Double, sdRatio: Double) {
        let n = Double(draws.min()!)
        let w = m.reduce(0) { $0 + $1.variance } / Double(m.count)
        let grand = m.reduce(0) { $0 + $1.mean } / Double(m.count)
        let betweenOverN = m.reduce(0) { $0 + ($1.mean - grand) * ($1.mean - grand) } / Double(m.count - 1)
        let sds = m.map { $0.variance.squareRoot() }
        let ratio = sds.max()! / sds.min()!
        // A component constant in every run (a fixed derived value) agrees trivially.
        if w == 0 && betweenOverN == 0 { return (1, 1) }
        return ((((n - 1) / n * w + betweenOverN) / w).squareRoot(), ratio)
    }
}
