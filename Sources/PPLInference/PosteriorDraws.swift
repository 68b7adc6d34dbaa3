import Foundation
import PPLEngine
import PPLIR

/// Draws from a fitted guide, in the constrained space, for every component of every param
/// and derived quantity, with the importance log-weights log p(z) - log q(z).
public struct PosteriorDraws {
    /// Component names: `mu`, `eta[1]`, `W[2,3]`.
    public let names: [String]
    /// One row per draw.
    public let rows: [[Double]]
    public let logWeights: [Double]

    /// `constrain` maps θ to the params; `derived` computes the param-dependent lets.
    /// `shapes` gives the dimensions of the components of values held flattened (arrays of
    /// matrices: `x[2,1,3]`), where the shape of the IR value is not theirs.
    public init(elbo: ELBO, phi: [Double], count: Int, seed: UInt64, constrain: Program, derived: Program,
                data: [String: Tensor], shapes: [String: [Int]] = [:]) throws {
        let chunk = 64
        let sampler = try Executable(elbo.program, varying: ["eps"], shared: ["phi"], data: elbo.data(data), batch: chunk)
        let constrainer = try Executable(constrain, varying: ["theta"], data: data, batch: chunk)
        let paramNames = constrain.outputNames
        let deriver = derived.outputNames.isEmpty ? nil
            : try Executable(derived, varying: Set(paramNames), data: data, batch: chunk)
        var names: [String] = []
        for n in paramNames { names += PosteriorDraws.components(n, shapes[n] ?? constrainer.outputShape(n)) }
        if let deriver {
            for n in derived.outputNames { names += PosteriorDraws.components(n, shapes[n] ?? deriver.outputShape(n)) }
        }
        var rows: [[Double]] = []
        var logWeights: [Double] = []
        var rng = RNG(seed: seed &+ 0x5EED)
        let d = elbo.dimension
        for i in 0..<elbo.parameterCount { sampler.input("phi")[i] = phi[i] }
        while rows.count < count {
            let eps = sampler.input("eps")
            for i in 0..<(chunk * elbo.noiseCount) { eps[i] = rng.normal() }
            try sampler.run()
            let theta = constrainer.input("theta")
            for k in 0..<chunk {
                let z = sampler.output("z", particle: k)
                for j in 0..<d { theta[k * d + j] = z[j] }
            }
            try constrainer.run()
            if let deriver {
                for n in paramNames {
                    let buffer = deriver.input(n), size = constrainer.outputSize(n)
                    for k in 0..<chunk {
                        let v = constrainer.output(n, particle: k)
                        for j in 0..<size { buffer[k * size + j] = v[j] }
                    }
                }
                try deriver.run()
            }
            for k in 0..<chunk where rows.count < count {
                var row: [Double] = []
                for n in paramNames { row += constrainer.output(n, particle: k) }
                if let deriver { for n in derived.outputNames { row += deriver.output(n, particle: k) } }
                rows.append(row)
                logWeights.append(sampler.output("logp", particle: k)[0] - sampler.output("logq", particle: k)[0])
            }
        }
        self.names = names
        self.rows = rows
        self.logWeights = logWeights
    }

    /// The draws of several fits together (independent runs that agree), in order.
    public init(pooling parts: [PosteriorDraws]) {
        precondition(!parts.isEmpty)
        names = parts[0].names
        rows = parts.flatMap(\.rows)
        logWeights = parts.flatMap(\.logWeights)
    }

    public init(names: [String], rows: [[Double]], logWeights: [Double]) {
        self.names = names
        self.rows = rows
        self.logWeights = logWeights
    }

    /// As many draws, taken from these with probabilities `weights` (normalised) by
    /// systematic resampling (one uniform, then evenly spaced: less added noise than
    /// multinomial draws), in a random order so that copies are not neighbours.
    public func resampled(_ weights: [Double], seed: UInt64) -> PosteriorDraws {
        precondition(weights.count == rows.count)
        var rng = RNG(seed: seed &+ 0x4E5A_3B1D)
        let n = rows.count
        var picked: [Int] = []
        picked.reserveCapacity(n)
        var cumulative = 0.0, i = 0
        let u = rng.uniform()
        for j in 0..<n {
            let target = (Double(j) + u) / Double(n)
            while i < n - 1 && cumulative + weights[i] < target {
                cumulative += weights[i]
                i += 1
            }
            picked.append(i)
        }
        for j in stride(from: n - 1, to: 0, by: -1) {
            picked.swapAt(j, Int(rng.next() % UInt64(j + 1)))
        }
        return PosteriorDraws(names: names, rows: picked.map { rows[$0] }, logWeights: picked.map { logWeights[$0] })
    }

    /// Names of a value's components, 1-based, row-major: `x[2,3]`.
    static func components(_ name: String, _ shape: [Int]) -> [String] {
        var out = [name]
        for (k, n) in shape.enumerated() {
            out = out.flatMap { prefix in (0..<max(0, n)).map { k == 0 ? "\(prefix)[\($0 + 1)]" : "\(prefix.dropLast()),\($0 + 1)]" } }
        }
        return out
    }

    public struct Summary: Sendable {
        public let mean, sd, q05, q50, q95: Double
    }

    /// Mean, sd and the 5%, 50%, 95% quantiles (linear interpolation) of each component.
    public func summaries() -> [Summary] {
        names.indices.map { j in
            let xs = rows.map { $0[j] }
            let n = Double(xs.count)
            let mean = xs.reduce(0, +) / n
            let sd = (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / max(1, n - 1)).squareRoot()
            let sorted = xs.sorted()
            func q(_ p: Double) -> Double {
                let h = p * (n - 1)
                let lo = Int(h.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
                return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
            }
            return Summary(mean: mean, sd: sd, q05: q(0.05), q50: q(0.5), q95: q(0.95))
        }
    }
}
