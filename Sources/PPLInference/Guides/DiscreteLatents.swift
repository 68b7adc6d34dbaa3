import Foundation
import PPLEngine
import PPLIR

/// The guide of a model's discrete latent variables (`param z: int<lower=a, upper=b>[N]`):
/// an independent categorical over a..b for each element, beside whatever family draws the
/// continuous params (the mean-field split of Ranganath, Gerrish & Blei 2014, "Black Box
/// Variational Inference"). An element with K values has K − 1 free logits, the value a's
/// fixed at 0, so that q(z = a + j) = exp(ℓ_j) / (1 + Σ_i exp(ℓ_i)); every logit starts
/// at 0, the uniform distribution.
///
/// A draw cannot be reparameterised, so the ELBO's gradient for the logits is the score
/// function estimator E[(f − b) ∇ log q(z)], f = log p − log q (`ELBO.scoreGradient`), the
/// baseline b of each particle being the mean of the step's other particles' f (Mnih &
/// Rezende 2016, VIMCO's leave-one-out control variate): it keeps the estimator unbiased,
/// since z is independent of the other particles, and takes out the part of f every draw
/// shares.
public struct DiscreteLatents: Sendable {
    /// One discrete param: `count` elements (1 for a scalar), each over lower...lower + categories − 1.
    public struct Group: Sendable {
        public let name: String
        public let count: Int
        public let lower: Int
        public let categories: Int

        public init(name: String, count: Int, lower: Int, categories: Int) {
            precondition(categories >= 2 && count >= 0)
            (self.name, self.count, self.lower, self.categories) = (name, count, lower, categories)
        }
    }

    public let groups: [Group]
    /// Where the density's terms separate by the rows of a data size N
    /// (`MinibatchedDensity.rowWeighted`): its name, its value, and the groups with one
    /// element per row (first dimension N), whose elements' learning signal is their row's
    /// own terms less their own log q rather than the whole log weight. nil: every element's
    /// signal is the whole log weight.
    public var rowSignal: (size: String, rows: Int, groups: [String])?

    public init(groups: [Group]) { self.groups = groups }

    /// Each element's row, for an element of a group of `rowSignal`; -1 for the others.
    public var rowOfElement: [Int] {
        groups.flatMap { g in
            rowSignal?.groups.contains(g.name) == true ? Array(0..<g.count) : [Int](repeating: -1, count: g.count)
        }
    }

    /// The elements, over every group: the length of the `discrete` input.
    public var count: Int { groups.reduce(0) { $0 + $1.count } }
    /// The free logits.
    public var parameterCount: Int { groups.reduce(0) { $0 + $1.count * ($1.categories - 1) } }

    /// Each element's log q(z) at the values `values` (reals holding the ints), as a vector
    /// over the elements, from the logits `logits` (a vector of `parameterCount`).
    public func logDensities(_ e: Emitter, logits: Value, values: Value) -> Value {
        var parts: [Value] = []
        var logitOffset = 0, valueOffset = 0
        for g in groups where g.count > 0 {
            let n = g.count, j = g.categories - 1
            let l = e.segment(logits, logitOffset, n * j)
            let k = e.b.append(.reshape, [e.segment(values, valueOffset, n)], type: .intArray(Size(n)))
            // Each element's chosen logit: ℓ at (row, z − a) of the n × (K − 1) logits, or the
            // fixed 0 after them for z = a.
            let padded = e.op(.concat, l, e.fill(e.c(0), .vector(Size(1))))
            let step = e.sub(k, e.int(g.lower))
            let rowStart = e.mul(e.sub(e.range(Size(1), Size(n)), e.int(1)), e.int(j))
            let index = e.op(.select, e.op(.binary(.gt), step, e.int(0)), e.add(rowStart, step), e.int(n * j + 1))
            let chosen = e.op(.at, padded, index)
            // log(1 + Σ exp ℓ) per row, shifted by the largest logit (at least 0) so that no
            // exp overflows.
            let m = e.op(.stopGradient, e.op(.binary(.fmax), e.op(.maxElement, l), e.c(0)))
            let shifted = e.b.append(.reshape, [e.un(.exp, e.sub(l, e.fill(m, .vector(Size(n * j)))))], type: .matrix(Size(n), Size(j)))
            let rowSums = e.op(.matmul, shifted, e.fill(e.c(1), .vector(Size(j))))
            let normaliser = e.add(e.fill(m, .vector(Size(n))),
                                   e.un(.log, e.add(rowSums, e.fill(e.un(.exp, e.neg(m)), .vector(Size(n))))))
            parts.append(e.sub(chosen, normaliser))
            logitOffset += n * j
            valueOffset += n
        }
        guard var all = parts.first else { return e.fill(e.c(0), .vector(Size(0))) }
        for p in parts.dropFirst() { all = e.op(.concat, all, p) }
        return all
    }

    /// Draws every element's value from the categoricals of `logits`, `particles` times:
    /// particle k's values into `values[k·count ..< (k+1)·count]`. Each element's
    /// distribution function is computed once for all the particles, then each draw is the
    /// inverse of it at a uniform.
    public func draw(logits: UnsafeBufferPointer<Double>, into values: UnsafeMutableBufferPointer<Double>, particles: Int = 1,
                     rng: inout RNG) {
        let m = count
        var cumulative: [Double] = []
        var logitOffset = 0, valueOffset = 0
        for g in groups {
            let j = g.categories - 1
            cumulative = [Double](repeating: 0, count: j + 1)
            for i in 0..<g.count {
                let l = UnsafeBufferPointer(rebasing: logits[(logitOffset + i * j)..<(logitOffset + (i + 1) * j)])
                let top = max(0, l.max() ?? 0)
                var total = exp(-top)
                cumulative[0] = total
                for c in 0..<j {
                    total += exp(l[c] - top)
                    cumulative[c + 1] = total
                }
                for k in 0..<particles {
                    // The first value whose cumulative weight exceeds a uniform draw of the total.
                    let u = rng.uniform() * total
                    var value = 0
                    while value < j, u >= cumulative[value] { value += 1 }
                    values[k * m + valueOffset + i] = Double(g.lower + value)
                }
            }
            logitOffset += g.count * j
            valueOffset += g.count
        }
    }
}
