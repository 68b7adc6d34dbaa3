import PPLEngine
import PPLInference
import PPLIR
import PPLSema

extension FitSession {
    /// What a minibatched fit's steps read: the density of a batch (`MinibatchedDensity`, over
    /// the unconstrained space) and its data — the model's, with the size N bound to the
    /// batch's M, and N and N/M given apart.
    public struct Batches {
        public private(set) var density: Program
        public private(set) var data: [String: Tensor]
        /// N and M.
        public let rows: Int
        public let batch: Int
        /// The data read at the batch's rows.
        public let gathered: [String]
        /// The point the density's control variate is anchored at (`AnchoredBatchDensity`), if any.
        public private(set) var anchor: [Double]?
        /// The local params (`MinibatchedDensity.locals`), of which the density reads the
        /// batch's rows.
        public let locals: [String]

        /// The program of `minibatch` for the runtime's model, checked against its data: a
        /// model it does not apply to is refused with the statement at fault (exit 65). The
        /// params `points` are point estimates (`UnconstrainedDensity`).
        public init(_ minibatch: Minibatch, runtime: ModelRuntime, points: [String] = []) throws(PPLError) {
            let mb: MinibatchedDensity
            let shard = runtime.shard?.split
            do {
                mb = try MinibatchedDensity(model: runtime.model, size: minibatch.size, gathering: true, shard: shard != nil)
            } catch {
                if error.span.file == nil { throw .user(error.message + (error.help.first.map { "; " + $0 } ?? "")) }
                throw .located([error])
            }
            guard let n = runtime.values[minibatch.size].flatMap({ Int(exactly: $0.values[0]) }) else {
                throw .user("minibatch: '\(minibatch.size)' has no value in the data")
            }
            if let shard, minibatch.size != shard.size {
                throw .user("minibatch \(minibatch) with --shard \(shard.size): a rank draws its batches from its own rows, so "
                            + "both must name the same size")
            }
            guard minibatch.batch <= n else {
                throw .user("minibatch \(minibatch): a batch of \(minibatch.batch) rows, but '\(minibatch.size)' is \(n) "
                            + "with these data" + (shard == nil ? "" : " on rank \(shard!.rank) of \(shard!.ranks)"))
            }
            // A rank's Jacobians count 1/R times, with its other terms free of the rows.
            let jacobians = shard == nil ? (Set(mb.locals), MinibatchedDensity.scaleInput)
                : (Set(runtime.model.params.map(\.name)), MinibatchedDensity.weightInput)
            density = UnconstrainedDensity(logDensity: mb.program, paramBounds: runtime.model.paramBounds,
                                           pointEstimates: Set(points), scaledJacobians: jacobians).density
            var data = runtime.values
            data[minibatch.size] = Tensor(scalar: Double(minibatch.batch))
            data[MinibatchedDensity.rowsInput] = Tensor(scalar: Double(n))
            data[MinibatchedDensity.scaleInput] = Tensor(scalar: Double(n) / Double(minibatch.batch) * Double(shard?.ranks ?? 1))
            self.data = data
            rows = n
            batch = minibatch.batch
            // Every rank takes as many steps: an epoch is a pass over the largest shard.
            let total = runtime.values[MinibatchedDensity.totalInput].map { Int($0.values[0]) }
            epochRows = shard.map { (total! + $0.ranks - 1) / $0.ranks } ?? n
            ranks = shard?.ranks
            gathered = mb.gathered
            locals = mb.locals
        }

        /// Anchors the density's control variate at `point` (the posterior mode): the full
        /// data's log density and gradient there are computed once, here.
        public mutating func anchor(at point: [Double], runtime: ModelRuntime) throws(PPLError) {
            let full = try runtime.executable(try runtime.gradientProgram())
            _ = full.input("theta").update(fromContentsOf: point)
            try PPLError.during(.computation) { try full.run() }
            density = try PPLError.during(.computation) { try AnchoredBatchDensity.program(density) }
            data[AnchoredBatchDensity.anchorInput] = Tensor(vector: point)
            data[AnchoredBatchDensity.anchorTargetInput] = Tensor(scalar: full.output("target")[0])
            data[AnchoredBatchDensity.anchorGradientInput] = Tensor(vector: Array(full.output("grad.theta")))
            anchor = point
        }

        /// The rows a pass goes over: N, or a sharded fit's largest shard.
        let epochRows: Int
        /// For a sharded fit, R: each rank draws its batches from its own rows.
        let ranks: Int?

        /// Steps per pass over the rows: ⌈N/M⌉.
        public var epoch: Int { (epochRows + batch - 1) / batch }

        /// The header's line: what a step reads and what the diagnostics read.
        public var note: String {
            (ranks == nil ? "\(batch) of \(rows) rows per step" : "\(batch) of each rank's rows per step (of \(rows) on rank 0)")
                + " (\(gathered.map { "'\($0)'" }.joined(separator: ", "))"
                + (locals.isEmpty ? "" : ", and local " + locals.map { "'\($0)'" }.joined(separator: ", ")) + "), "
                + "its sums over the rows scaled by \(ranks == nil ? "N/M" : "R·n/M") = "
                + FitReports.number(Double(rows) / Double(batch) * Double(ranks ?? 1))
                + (anchor == nil ? "" : ", with a control variate at the posterior mode")
                + "; the ELBO is the batches' estimate"
        }
    }
}
