import Foundation
import PPLEngine
import PPLIR
import PPLSema

/// A guide for a model with local latents — params with a row per row of the data, as
/// z: vector[N] or matrix[N, K] — over R of the rows (all N, or a minibatch's M): a
/// diagonal Gaussian per row, q(z_n) = N(μ_n, diag σ_n²), beside a family over the other
/// (global) coordinates, q(z) = q_g(w) Π_n q(z_n). The rows' parameters come either from a
/// table, a (μ_n, log σ_n) per row (`perRow`: stochastic variational inference's local
/// parameters, Hoffman et al. 2013, of which a step reads and updates its batch's rows
/// alone), or from an encoder network applied to row n of a data input (`amortized`: an
/// inference network, Kingma & Welling 2014; Zhang et al. 2018 §7).
///
/// Over a batch of M of the N rows, log q(z) counts the rows' terms N/M times (`scale`),
/// as the batch's density counts its sums over them, so the ELBO of a batch is unbiased for
/// the full data's: E[log p] − E[log q_g] − Σ_n E[log q_n], its last sum estimated from the
/// batch.
///
/// φ = (φ_g, then the table's μ over the R rows, then its log σ; or the encoder's
/// weights), each of μ and log σ in z's order of the local coordinates: the local params in
/// order, each row-major (row n's K coordinates together).
public struct LocalLatents: NoiseMapFamily {
    /// Where a local param sits in z and how many coordinates a row of it has.
    public struct Block: Sendable {
        public let name: String
        /// Its coordinates in z, for R rows.
        public let range: Range<Int>
        public let columns: Int

        public init(name: String, range: Range<Int>, columns: Int) {
            (self.name, self.range, self.columns) = (name, range, columns)
        }
    }

    public enum Rows {
        case perRow
        case amortized(Encoder)
    }

    /// The family over the global coordinates (with any point estimates among them).
    public let base: any NoiseMapFamily
    public let family: GuideFamily
    public let blocks: [Block]
    /// R, the rows the guide draws.
    public let rows: Int
    /// N/R: how many times a row's log q counts.
    public let scale: Double
    public let guide: Rows

    public init(base: any NoiseMapFamily, family: GuideFamily, blocks: [Block], rows: Int, scale: Double, guide: Rows) {
        self.base = base
        self.family = family
        self.blocks = blocks.sorted { $0.range.lowerBound < $1.range.lowerBound }
        self.rows = rows
        self.scale = scale
        self.guide = guide
    }

    /// Coordinates per row, over every local param.
    public var width: Int { blocks.reduce(0) { $0 + $1.columns } }
    /// Local coordinates in z: R per row.
    public var localCount: Int { rows * width }

    /// φ_g's length for dimension d.
    public func globalParameterCount(_ d: Int) -> Int { base.parameterCount(d - localCount) }

    public func parameterCount(_ d: Int) -> Int {
        let global = globalParameterCount(d)
        switch guide {
        case .perRow: return global + 2 * localCount
        case .amortized(let encoder): return global + encoder.plan(outputs: width).layout.count
        }
    }

    public func initialParameters(_ d: Int) -> [Double] {
        let global = d == localCount ? [] : base.initialParameters(d - localCount)
        switch guide {
        case .perRow:
            return global + [Double](repeating: 0, count: localCount) + [Double](repeating: log(0.1), count: localCount)
        case .amortized(let encoder): return global + encoder.plan(outputs: width).layout.initial
        }
    }

    /// The position in φ of slot j of row n of the table (`perRow`): j < width is μ's
    /// coordinate j of the row, the next `width` slots log σ's.
    public func rowParameter(_ n: Int, _ j: Int, dimension d: Int) -> Int {
        var k = j % width, offset = 0
        for block in blocks {
            if k < block.columns { return globalParameterCount(d) + (j / width) * localCount + rows * offset + n * block.columns + k }
            k -= block.columns
            offset += block.columns
        }
        preconditionFailure("slot \(j) of a row of \(2 * width)")
    }

    public func noiseCount(_ d: Int) -> Int {
        (d == localCount ? 0 : base.noiseCount(d - localCount)) + localCount
    }

    public func constants(_ d: Int) -> [String: Tensor] { d == localCount ? [:] : base.constants(d - localCount) }
    public var minimumExploration: Int { base.minimumExploration }

    public func sample(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value]) -> (z: Value, logq: Value) {
        let dg = d - localCount, pg = globalParameterCount(d), ng = dg == 0 ? 0 : base.noiseCount(dg)
        var global: (z: Value, logq: Value)?
        if dg > 0 {
            global = base.sample(e, phi: e.segment(phi, 0, pg), densityPhi: e.segment(densityPhi, 0, pg),
                                 eps: ng == 0 ? eps : e.segment(eps, 0, ng), d: dg, constants: constants)
        }
        let mu: Value, omega: Value, muQ: Value, omegaQ: Value
        switch guide {
        case .perRow:
            (mu, omega) = (e.segment(phi, pg, localCount), e.segment(phi, pg + localCount, localCount))
            (muQ, omegaQ) = (e.segment(densityPhi, pg, localCount), e.segment(densityPhi, pg + localCount, localCount))
        case .amortized(let encoder):
            (mu, omega) = encoder.apply(e, phi, offset: pg, rows: rows, outputs: width, constants: constants)
            // log q's own dependence on the weights is through (μ, log σ) alone: cutting it
            // there is sticking the landing for the encoder.
            (muQ, omegaQ) = densityPhi == phi ? (mu, omega) : (e.op(.stopGradient, mu), e.op(.stopGradient, omega))
        }
        let local = e.add(mu, e.mul(e.un(.exp, omega), e.segment(eps, ng, localCount)))
        let r = e.mul(e.sub(local, muQ), e.un(.exp, e.neg(omegaQ)))
        var logq = e.sub(e.standardNormalLogDensity(r, localCount), e.sum(omegaQ))
        if scale != 1 { logq = e.mul(e.c(scale), logq) }
        guard let global else { return (local, logq) }
        return (interleave(e, global: global.z, local: local, d: d), e.add(global.logq, logq))
    }

    /// z from the global coordinates and the local ones (each block's R rows together, in
    /// order), each consumed in z's order.
    private func interleave(_ e: Emitter, global: Value, local: Value, d: Int) -> Value {
        var parts: [Value] = []
        var at = 0, fromGlobal = 0, fromLocal = 0
        for block in blocks {
            if block.range.lowerBound > at {
                let n = block.range.lowerBound - at
                parts.append(e.segment(global, fromGlobal, n))
                fromGlobal += n
            }
            parts.append(e.segment(local, fromLocal, block.range.count))
            fromLocal += block.range.count
            at = block.range.upperBound
        }
        if at < d { parts.append(e.segment(global, fromGlobal, d - at)) }
        return parts.dropFirst().reduce(parts[0]) { e.op(.concat, $0, $1) }
    }
}

/// An inference network: a multilayer perceptron from row n of a data input (D values) to
/// the mean and log sd of row n's local coordinates, h₀ = x_n, h_l = a(W_l h_{l−1} + b_l),
/// μ_n = W_μ h + b_μ, log σ_n = W_σ h + b_σ — applied to the R rows at once, as matrix
/// products over them.
public struct Encoder: Sendable {
    /// The data input whose rows it reads.
    public let input: String
    /// Its columns, D (1 for a vector).
    public let columns: Int
    public let widths: [Int]
    public let activation: Activation
    /// The input holding the rows of a batch (1-based), when the guide draws a batch's
    /// rows; nil: all the input's rows, in order.
    public let index: String?

    public init(input: String, columns: Int, widths: [Int], activation: Activation, index: String?) {
        (self.input, self.columns, self.widths, self.activation, self.index) = (input, columns, widths, activation, index)
    }

    struct Layer {
        let inputs: Int, outputs: Int, weights: Int, bias: Int
    }

    /// The layers' segments of φ (after φ_g) and their starting values: weights drawn
    /// N(0, 1/fan-in) (LeCun's scaling, which keeps the hidden units' spread through the
    /// layers), biases 0; the heads start near μ = 0, σ = 0.1 — the table's start — with
    /// weights 100 times smaller.
    func plan(outputs k: Int) -> (layout: ParameterLayout, hidden: [Layer], mean: Layer, logScale: Layer) {
        var layout = ParameterLayout()
        var hidden: [Layer] = []
        var fanIn = columns
        for width in widths {
            let w = layout.random(fanIn * width, scale: 1 / Double(fanIn).squareRoot())
            hidden.append(Layer(inputs: fanIn, outputs: width, weights: w, bias: layout.constant(width, 0)))
            fanIn = width
        }
        let head = 0.01 / Double(fanIn).squareRoot()
        let mean = Layer(inputs: fanIn, outputs: k, weights: layout.random(fanIn * k, scale: head), bias: layout.constant(k, 0))
        let logScale = Layer(inputs: fanIn, outputs: k, weights: layout.random(fanIn * k, scale: head),
                             bias: layout.constant(k, log(0.1)))
        return (layout, hidden, mean, logScale)
    }

    /// μ and log σ of the R rows, each a vector of R·k, row by row.
    func apply(_ e: Emitter, _ phi: Value, offset: Int, rows: Int, outputs k: Int, constants: [String: Value]) -> (Value, Value) {
        guard let data = constants[input] else { preconditionFailure("the encoder's input '\(input)' is not an input of the ELBO") }
        var x = data
        if let index {
            guard let rowsIndex = constants[index] else { preconditionFailure("no input '\(index)' for the batch's rows") }
            x = e.op(.at, x, rowsIndex)
        }
        let elem = e.type(x).elem
        var h = e.b.append(.reshape, [x], type: IRType(elem, .matrix(Size(rows), Size(columns))))
        if elem == .int { h = e.mul(h, e.c(1)) }
        let (_, hidden, mean, logScale) = plan(outputs: k)
        let ones = e.fill(e.c(1), .vector(Size(rows)))
        func dense(_ layer: Layer, _ h: Value) -> Value {
            let w = e.b.append(.reshape, [e.segment(phi, offset + layer.weights, layer.inputs * layer.outputs)],
                               type: .matrix(Size(layer.inputs), Size(layer.outputs)))
            let b = e.transpose(e.segment(phi, offset + layer.bias, layer.outputs))
            return e.add(e.matmul(h, w), e.matmul(ones, b))
        }
        for layer in hidden { h = activation.apply(e, dense(layer, h)) }
        func flat(_ m: Value) -> Value { e.b.append(.reshape, [m], type: .vector(Size(rows * k))) }
        return (flat(dense(mean, h)), flat(dense(logScale, h)))
    }
}
