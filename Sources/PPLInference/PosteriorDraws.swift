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
    /// log p(z) of each draw: the model's density in the unconstrained space (with the
    /// transforms' log-Jacobians), up to its constant.
    public let logDensities: [Double]
    /// log q(z) of each draw: the guide's density there.
    public let logGuideDensities: [Double]
    /// The importance log-ratios log p(z) - log q(z).
    public var logWeights: [Double] { zip(logDensities, logGuideDensities).map { $0 - $1 } }

    /// `constrain` maps θ to the params; `derived` computes the param-dependent lets.
    /// `shapes` gives the dimensions of the components of values held flattened (arrays of
    /// matrices: `x[2,1,3]`), where the shape of the IR value is not theirs. `noise`, if
    /// given, is each draw's ε instead of random normals (SVGD's particles), one per draw.
    public init(elbo: ELBO, phi: [Double], count: Int, seed: UInt64, constrain: Program, derived: Program,
                data: [String: Tensor], shapes: [String: [Int]] = [:], noise: [[Double]]? = nil, ranks: RankSum? = nil) throws {
        let count = noise?.count ?? count
        let paramNames = constrain.outputNames
        let chunk = min(try Executable.batch(elbo.program, varying: elbo.varying, shared: ["phi"], data: elbo.data(data), upTo: 64),
                        derived.outputNames.isEmpty ? 64 : try Executable.batch(derived, varying: Set(paramNames), data: data, upTo: 64))
        let sampler = try Executable(elbo.program, varying: elbo.varying, shared: ["phi"], data: elbo.data(data), batch: chunk)
        let constrainer = try Executable(constrain, varying: ["theta"], data: data, batch: chunk)
        let deriver = derived.outputNames.isEmpty ? nil
            : try Executable(derived, varying: Set(paramNames), data: data, batch: chunk)
        var names: [String] = []
        for n in paramNames { names += PosteriorDraws.components(n, shapes[n] ?? constrainer.outputShape(n)) }
        if let deriver {
            for n in derived.outputNames { names += PosteriorDraws.components(n, shapes[n] ?? deriver.outputShape(n)) }
        }
        var rows: [[Double]] = []
        var logDensities: [Double] = [], logGuideDensities: [Double] = []
        var rng = RNG(seed: seed &+ 0x5EED)
        let d = elbo.drawDimension
        for i in 0..<elbo.parameterCount { sampler.input("phi")[i] = phi[i] }
        while rows.count < count {
            let eps = sampler.input("eps")
            let n = elbo.noiseCount
            for i in 0..<(chunk * n) {
                if let noise { eps[i] = rows.count + i / n < noise.count ? noise[rows.count + i / n][i % n] : 0 } else { eps[i] = rng.normal() }
            }
            phi.withUnsafeBufferPointer { elbo.drawDiscrete(sampler, phi: $0, rng: &rng) }
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
                logDensities.append(sampler.output("logp", particle: k)[0])
                logGuideDensities.append(sampler.output("logq", particle: k)[0])
            }
        }
        // A rank of a sharded fit has its part of each draw's log density.
        ranks?(&logDensities)
        self.names = names
        self.rows = rows
        self.logDensities = logDensities
        self.logGuideDensities = logGuideDensities
    }

    /// The draws of several fits together (independent runs that agree), in order.
    public init(pooling parts: [PosteriorDraws]) {
        precondition(!parts.isEmpty)
        names = parts[0].names
        rows = parts.flatMap(\.rows)
        logDensities = parts.flatMap(\.logDensities)
        logGuideDensities = parts.flatMap(\.logGuideDensities)
    }

    public init(names: [String], rows: [[Double]], logDensities: [Double], logGuideDensities: [Double]) {
        self.names = names
        self.rows = rows
        self.logDensities = logDensities
        self.logGuideDensities = logGuideDensities
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
        return PosteriorDraws(names: names, rows: picked.map { rows[$0] }, logDensities: picked.map { logDensities[$0] },
                              logGuideDensities: picked.map { logGuideDensities[$0] })
    }

    /// These draws with the outputs of `generated` (a model's `generate` block) appended to
    /// each: run once per draw on its params — the first values of its row, in the order of
    /// the program's param inputs — and on `data`, with the draw's key (input `draw.key`, a
    /// hash of `seed` and the draw's position) seeding its random draws. `budget` is asked
    /// first whether the rows may grow to that many columns.
    public func generating(_ generated: Program, data: [String: Tensor], seed: UInt64, shapes: [String: [Int]] = [:],
                           budget: (_ columns: Int) throws -> Void = { _ in }) throws -> PosteriorDraws {
        let params = generated.inputs.filter { $0.role == .param }.map(\.name)
        let keys = generated.inputs.filter { $0.role == .draw }.map(\.name)
        let chunk = try Executable.batch(generated, varying: Set(params + keys), data: data, upTo: 64)
        let exec = try Executable(generated, varying: Set(params + keys), data: data, batch: chunk)
        let sizes = params.map { exec.input($0).count / exec.batch }
        let outputs = generated.outputNames
        var added: [String] = []
        for n in outputs { added += PosteriorDraws.components(n, shapes[n] ?? exec.outputShape(n)) }
        try budget(names.count + added.count)
        var out = rows
        var start = 0
        while start < rows.count {
            let count = min(chunk, rows.count - start)
            var offset = 0
            for (n, size) in zip(params, sizes) {
                let buffer = exec.input(n)
                for k in 0..<count {
                    for j in 0..<size { buffer[k * size + j] = rows[start + k][offset + j] }
                }
                offset += size
            }
            for n in keys {
                let buffer = exec.input(n)
                for k in 0..<count { buffer[k] = PosteriorDraws.key(seed: seed, draw: start + k) }
            }
            try exec.run()
            for k in 0..<count {
                for n in outputs { out[start + k] += exec.output(n, particle: k) }
            }
            start += count
        }
        return PosteriorDraws(names: names + added, rows: out, logDensities: logDensities, logGuideDensities: logGuideDensities)
    }

    /// The key of draw `draw` of a fit with seed `seed`: 53 bits of a hash of the two, held
    /// exactly by a Double.
    static func key(seed: UInt64, draw: Int) -> Double {
        var rng = RNG(seed: seed &+ 0x6E57_0000 &+ UInt64(draw) &* 0x9E37_79B9_7F4A_7C15)
        return Double(rng.next() >> 11)
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
            let sorted = xs.sorted()
            // A point's draws (map) are all equal: its mean is the value, not their sum's rounding over n.
            if let x = sorted.first, x == sorted.last { return Summary(mean: x, sd: 0, q05: x, q50: x, q95: x) }
            let mean = xs.reduce(0, +) / n
            let sd = (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / max(1, n - 1)).squareRoot()
            func q(_ p: Double) -> Double {
                let h = p * (n - 1)
                let lo = Int(h.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
                return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
            }
            return Summary(mean: mean, sd: sd, q05: q(0.05), q50: q(0.5), q95: q(0.95))
        }
    }
}
