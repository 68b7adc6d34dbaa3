import Foundation
import PPLEngine
import PPLInference
import PPLIR
import PPLSema
import PPLSyntax

extension FitSession {
    /// Per row of the data, what an amortized guide says of it: the ELBO and the
    /// importance-weighted estimate of log p(x_n) (Burda et al. 2016), each from K draws of
    /// the row's latents from the encoder's Gaussian.
    public struct RowScores {
        /// The mean over the K draws of log p(x_n, z) − log q(z | x_n).
        public var elbo: [Double] = []
        /// log (1/K Σ_k p(x_n, z_k) / q(z_k | x_n)), a lower bound of log p(x_n) that tightens as K grows.
        public var logMarginal: [Double] = []
        /// Per row, the largest normalised importance weight among its K: near 1, the
        /// estimate rests on one draw.
        public var largestWeight: [Double] = []

        /// Mean and standard error over the rows.
        public static func mean(_ xs: [Double]) -> (mean: Double, standardError: Double) {
            let n = Double(xs.count)
            let m = xs.reduce(0, +) / n
            let v = xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / max(1, n - 1)
            return (m, (v / n).squareRoot())
        }
    }

    /// Settings that open a saved fit's guide over data whole: no batches, and so no epochs
    /// of them (`ppl score`, `ppl images`).
    public static let unbatched: [(key: FitOptions.Key, value: GuideValue)] = [(.minibatch, .name("off")), (.epochs, .name("off"))]

    /// Fails unless the fit saved in `path` holds this session's guide for other data: the
    /// same model, and parameters of this guide — an amortized guide's are the same for any
    /// number of rows, so only the data's other sizes must be the fit's.
    public func checkForNewData(_ saved: FitReports.Saved, from path: String) throws(PPLError) {
        if let h = saved.modelHash, h != runtime.modelHash {
            throw .user("'\(path)' was fitted to another version of the model: '\(saved.model)' changed since it was saved; fit it again")
        }
        guard accepts(saved) else {
            throw .user("'\(path)' holds a guide '\(saved.layout ?? saved.family)' with \(saved.phi.count) parameters; with these "
                        + "data the guide is '\(layout)' with \(elbo.parameterCount): the data's sizes (but the rows') must be the fit's")
        }
    }

    /// For an amortized guide, the data size its local param's rows run along and its value.
    public var localRows: (size: String, rows: Int)? {
        guard options.family == .amortized, let locals = try? Locals(options, runtime: runtime, minibatchLocals: []) else {
            return nil
        }
        return (locals.size, locals.rows)
    }

    /// Scores rows 1...`rows` of this session's data under the guide φ (`phi`, a saved fit's)
    /// with `particles` draws each. The guide must be amortized, so that an encoder places
    /// the latents of rows it was not fitted to, and every global param a point estimate, so
    /// that p(x_n) is each row's own: log p(x_n, z) is the density's terms of row n (the
    /// minibatch density of the row alone, less its terms of no row).
    public func scoreRows(phi: [Double], rows count: Int, particles: Int, seed: UInt64,
                          progress: ((Int) -> Void)? = nil) throws(PPLError) -> RowScores {
        guard let local = family as? LocalLatents, case .amortized(let encoder) = local.guide else {
            throw .user("scoring rows needs an amortized guide, whose encoder places the latents of rows it was not fitted to; "
                        + "guide '\(options.guide)' is \(options.family.rawValue)")
        }
        let localNames = local.blocks.map(\.name)
        let globals = runtime.model.params.map(\.name).filter { !localNames.contains($0) && !options.point.contains($0) }
        guard globals.isEmpty else {
            throw .user("scoring rows needs every param but the local " + localNames.map { "'\($0)'" }.joined(separator: ", ")
                        + " as a point estimate, so that p(x_n) is each row's own; "
                        + globals.map { "'\($0)'" }.joined(separator: ", ") + " \(globals.count == 1 ? "has" : "have") a "
                        + "distribution in guide '\(options.guide)' (add \(globals.count == 1 ? "it" : "them") to point)")
        }
        guard let locals = try Locals(options, runtime: runtime, minibatchLocals: []) else {
            throw PPLError(InternalError("an amortized guide without local params"), otherwise: .internal)
        }
        let batches = try Batches(Minibatch(size: locals.size, batch: 1), runtime: runtime, points: options.point)
        guard let d = locals.dimension(runtime, rows: 1) else {
            throw PPLError(InternalError("the dimension of one row is not known from the data"), otherwise: .internal)
        }
        let one = LocalLatents(base: local.base, family: local.family, blocks: try locals.blocks(runtime, rows: 1), rows: 1,
                               scale: 1,
                               guide: .amortized(Encoder(input: encoder.input, columns: encoder.columns, widths: encoder.widths,
                                                         activation: encoder.activation, index: MinibatchedDensity.indexInput)),
                               refinement: local.refinement)
        guard one.parameterCount(d) == phi.count else {
            throw PPLError(InternalError("a row's guide has \(one.parameterCount(d)) parameters, the fit's \(phi.count)"),
                           otherwise: .internal)
        }
        let index = MinibatchedDensity.indexInput, scaleInput = MinibatchedDensity.scaleInput
        return try PPLError.during(.computation) {
            let elbo = try ELBO(density: batches.density, family: one, dimension: d, stickingTheLanding: false)
            // Without z, which would copy the point estimates for every draw.
            // The program is for this data's sizes alone: the decoder's weights are then read
            // from φ, shared by the draws, rather than copied into each draw's z.
            let ints = batches.data.compactMapValues { $0.count == 1 ? Int(exactly: $0.values[0]) : nil }
            let program = Simplify.run(elbo.program, keeping: ["logp", "logq"], sizes: ints)
            let data = elbo.data(batches.data)
            let shared: Set<String> = ["phi", index, scaleInput]
            let chunk = try Executable.batch(program, varying: ["eps"], shared: shared, data: data, upTo: particles)
            let run = try Executable(program, varying: ["eps"], shared: shared, data: data, batch: chunk)
            _ = run.input("phi").update(fromContentsOf: phi)
            let eps = run.input("eps"), rowIndex = run.input(index), scale = run.input(scaleInput)
            let logp = run.handle("logp"), logq = run.handle("logq")
            let n = elbo.noiseCount
            // The density's terms of no row (the point estimates' priors and Jacobians): its
            // value with the row's terms scaled to nothing.
            rowIndex[0] = 1
            scale[0] = 0
            for i in 0..<(chunk * n) { eps[i] = 0 }
            try run.run()
            let shared0 = run.output(logp, particle: 0)[0]
            scale[0] = 1
            var rng = RNG(seed: seed &+ 0x5C0_4E)
            var scores = RowScores()
            var w = [Double](repeating: 0, count: particles)
            for row in 0..<count {
                rowIndex[0] = Double(row + 1)
                var k = 0
                while k < particles {
                    for i in 0..<(chunk * n) { eps[i] = rng.normal() }
                    try run.run()
                    for s in 0..<min(chunk, particles - k) {
                        w[k + s] = run.output(logp, particle: s)[0] - shared0 - run.output(logq, particle: s)[0]
                    }
                    k += chunk
                }
                let m = w.max() ?? 0
                let total = w.reduce(0) { $0 + exp($1 - m) }
                scores.elbo.append(w.reduce(0, +) / Double(particles))
                scores.logMarginal.append(m + log(total / Double(particles)))
                scores.largestWeight.append(1 / total)
                progress?(row + 1)
            }
            return scores
        }
    }
}
