import Foundation
import PPLDiff
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
    /// What bends each row's Gaussian further, with parameters shared by the rows (after the
    /// encoder's in φ); nil: nothing.
    public let refinement: GuideRefinement?

    public init(base: any NoiseMapFamily, family: GuideFamily, blocks: [Block], rows: Int, scale: Double, guide: Rows,
                refinement: GuideRefinement? = nil) {
        self.base = base
        self.family = family
        self.blocks = blocks.sorted { $0.range.lowerBound < $1.range.lowerBound }
        self.rows = rows
        self.scale = scale
        self.guide = guide
        self.refinement = refinement
    }

    /// The refinement over rows of this guide's width.
    private var refiner: RowRefinement? { refinement.map { RowRefinement(options: $0, width: width) } }

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
        case .amortized(let encoder): return global + encoder.plan(outputs: width).layout.count + (refiner?.parameterCount ?? 0)
        }
    }

    public func initialParameters(_ d: Int) -> [Double] {
        let global = d == localCount ? [] : base.initialParameters(d - localCount)
        switch guide {
        case .perRow:
            return global + [Double](repeating: 0, count: localCount) + [Double](repeating: log(0.1), count: localCount)
        case .amortized(let encoder): return global + encoder.plan(outputs: width).layout.initial + (refiner?.initialParameters ?? [])
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
        (d == localCount ? 0 : base.noiseCount(d - localCount)) + localCount + (refiner?.extraNoise(rows: rows) ?? 0)
    }

    public func constants(_ d: Int) -> [String: Tensor] {
        (d == localCount ? [:] : base.constants(d - localCount)).merging(refiner?.constants ?? [:]) { a, _ in a }
    }
    public var minimumExploration: Int { base.minimumExploration }

    public func sample(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value]) -> (z: Value, logq: Value) {
        guard refinement?.family != .hvi else { preconditionFailure("an hvi refinement moves along the density: draw with it") }
        return draw(e, phi: phi, densityPhi: densityPhi, eps: eps, d: d, constants: constants, force: nil)
    }

    public func sample(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value],
                       target: TargetDensity) throws -> (z: Value, logq: Value) {
        let force = movesAlongDensity ? try RowForce(self, target: target, d: d) : nil
        return draw(e, phi: phi, densityPhi: densityPhi, eps: eps, d: d, constants: constants, force: force)
    }

    /// Whether the draw moves along the model's density (an hvi refinement), so that it is
    /// not a map of its noise alone: objectives other than the ELBO need one that is.
    public var movesAlongDensity: Bool { refinement?.family == .hvi }

    private func draw(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value],
                      force: RowForce?) -> (z: Value, logq: Value) {
        let dg = d - localCount, pg = globalParameterCount(d), ng = dg == 0 ? 0 : base.noiseCount(dg)
        var global: (z: Value, logq: Value)?
        if dg > 0 {
            global = base.sample(e, phi: e.segment(phi, 0, pg), densityPhi: e.segment(densityPhi, 0, pg),
                                 eps: ng == 0 ? eps : e.segment(eps, 0, ng), d: dg, constants: constants)
        }
        let mu: Value, omega: Value, muQ: Value, omegaQ: Value
        var refinementOffset = pg
        switch guide {
        case .perRow:
            (mu, omega) = (e.segment(phi, pg, localCount), e.segment(phi, pg + localCount, localCount))
            (muQ, omegaQ) = (e.segment(densityPhi, pg, localCount), e.segment(densityPhi, pg + localCount, localCount))
        case .amortized(let encoder):
            (mu, omega) = encoder.apply(e, phi, offset: pg, rows: rows, outputs: width, constants: constants)
            refinementOffset += encoder.plan(outputs: width).layout.count
            // log q's own dependence on the weights is through (μ, log σ) alone: cutting it
            // there is sticking the landing for the encoder.
            (muQ, omegaQ) = densityPhi == phi ? (mu, omega) : (e.op(.stopGradient, mu), e.op(.stopGradient, omega))
        }
        let start = e.segment(eps, ng, localCount)
        let sigma = e.un(.exp, omega)
        var local = e.add(mu, e.mul(sigma, start))
        var logq: Value
        switch refiner {
        case nil:
            let r = e.mul(e.sub(local, muQ), e.un(.exp, e.neg(omegaQ)))
            logq = e.sub(e.standardNormalLogDensity(r, localCount), e.sum(omegaQ))
        // A refined draw is scored along its own path (log q of the start less the map's
        // log-determinant, or the dynamics' auxiliary terms): the full reparameterisation
        // gradient, as the families it takes after.
        case let refiner? where refiner.options.family == .iaf:
            let (z, logDet) = refiner.flow(e, phi, offset: refinementOffset, local, rows: rows, constants: constants)
            local = z
            logq = e.sub(e.sub(e.standardNormalLogDensity(start, localCount), e.sum(omega)), logDet)
        case let refiner?:
            guard let force else { preconditionFailure("an hvi refinement moves along the density: draw with it") }
            let momenta = (0..<refiner.options.transitions).map { e.segment(eps, ng + localCount * (1 + $0), localCount) }
            // The force on ε is σ ⊙ ∇_z of the rows' own terms: the batch's density counts
            // them `scale` times.
            let (position, logAuxiliary) = refiner.dynamics(e, phi, offset: refinementOffset, start: start, momenta: momenta,
                                                            rows: rows) { position in
                let gradient = force.evaluate(e, global: global?.z, local: e.add(mu, e.mul(sigma, position)))
                return e.mul(sigma, scale == 1 ? gradient : e.mul(e.c(1 / scale), gradient))
            }
            local = e.add(mu, e.mul(sigma, position))
            logq = e.add(e.sub(e.standardNormalLogDensity(start, localCount), e.sum(omega)), logAuxiliary)
        }
        if scale != 1 { logq = e.mul(e.c(scale), logq) }
        guard let global else { return (local, logq) }
        return (interleave(e, global: global.z, local: local, d: d), e.add(global.logq, logq))
    }

    /// ∇ log p(z) with respect to the local coordinates, the global ones held, as a program
    /// that `evaluate` inlines at each point of a trajectory.
    private struct RowForce {
        let gradient: Program
        let global: Value?, local: Value

        init(_ guide: LocalLatents, target: TargetDensity, d: Int) throws {
            let b = Builder(types: target.density.types)
            let e = Emitter(b)
            let dg = d - guide.localCount
            let global = dg > 0 ? b.inputValue(.vector(Size(dg))) : nil
            let local = b.inputValue(.vector(Size(guide.localCount)))
            (self.global, self.local) = (global, local)
            let z = global.map { guide.interleave(e, global: $0, local: local, d: d) } ?? local
            let logp = target.logDensity(b, at: z)
            let (instrs, types) = b.finish()
            var inputs = target.dataInputs
            if let global { inputs.append(Input(name: "global", value: global, role: .param, type: .vector(Size(dg)), constraint: .none)) }
            inputs.append(Input(name: "local", value: local, role: .param, type: .vector(Size(guide.localCount)), constraint: .none))
            // Simplified first, so that the density's reads of z's slices read the local and
            // global vectors directly: differentiated through z, the adjoint would be a
            // vector of all of z (a decoder's weights too) per particle and leapfrog step.
            let program = Simplify.run(Program(name: "row_force", inputs: inputs, body: PPLIR.Block(instrs: instrs, yields: [logp]),
                                               outputNames: ["target"], types: types))
            gradient = try Differentiator.gradient(program, of: "target", wrt: ["local"])
        }

        /// ∇_local log p at (global, local), inlined into the program `e` builds.
        func evaluate(_ e: Emitter, global g: Value?, local l: Value) -> Value {
            var mapping = [local: l]
            if let global, let g { mapping[global] = g }
            let out = e.b.inline(gradient.body, types: gradient.types, mapping: mapping)
            return out[gradient.outputNames.firstIndex(of: "grad.local")!]
        }
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
