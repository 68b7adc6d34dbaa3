import Foundation
import PPLDiff
import PPLEngine
import PPLIR
import PPLSema

/// What bends each row's Gaussian of a local-latent guide further (`refine = hvi { ... }` or
/// `refine = iaf { ... }` on an amortized guide), with parameters shared by the rows, so that
/// a guide of a row it was not fitted to is as good as one it was. The rows' k coordinates
/// are handled as an R × k matrix: every network is a matrix product over the rows.
///
/// - `iaf`: an inverse autoregressive flow on each row's draw (Kingma et al. 2016):
///   (m, s) = MADE(z_n), z_n ← sigmoid(s) ⊙ z_n + m, per layer, as `InverseAutoregressiveFlow`.
/// - `hvi`: Hamiltonian dynamics on each row's posterior (Salimans et al. 2015, the VAE of
///   its §4), run in the row's whitened space z_n = μ_n + σ_n ⊙ ε_n as `HamiltonianVI` runs in
///   its base's: the force on ε_n is σ_n ⊙ ∇_{z_n} log p(x_n, z_n), the density's gradient
///   with respect to the row's latents (its other rows' terms do not depend on them). Step
///   sizes and the mass are per coordinate of a row; a reverse model of the row's final
///   position and force scores its final momentum.
struct RowRefinement {
    let options: GuideRefinement
    /// Coordinates per row, k.
    let width: Int

    /// Where each part lives in the refinement's segment of φ.
    struct Plan {
        var layout = ParameterLayout(seed: 20_241)
        /// hvi: the log mass scales, per transition the log step sizes and the reverse model.
        var kappa = 0
        var steps: [Int] = []
        var reverse: [ReverseModel] = []
        /// iaf: the layers' networks.
        var nets: [RowMADE] = []
    }

    func plan() -> Plan {
        var p = Plan()
        let k = width, widths = options.hiddenWidths(k)
        switch options.family {
        case .hvi:
            p.kappa = p.layout.constant(k, 0)
            for _ in 0..<options.transitions {
                p.steps.append(p.layout.constant(k, log(options.stepSize)))
                p.reverse.append(ReverseModel(&p.layout, k: k, widths: widths))
            }
        default:
            p.nets = (0..<options.layers).map { RowMADE(&p.layout, k: k, widths: widths, layer: $0) }
        }
        return p
    }

    var parameterCount: Int { plan().layout.count }
    var initialParameters: [Double] { plan().layout.initial }

    /// iaf's masks, as constants of the program.
    var constants: [String: Tensor] {
        guard options.family == .iaf else { return [:] }
        return (0..<options.layers).reduce(into: [:]) { $0.merge(RowMADE.constants(width, widths: options.hiddenWidths(width), layer: $1)) { a, _ in a } }
    }

    /// Standard-normal draws beyond the rows' own: hvi's momenta, a row's worth per transition.
    func extraNoise(rows: Int) -> Int { options.family == .hvi ? options.transitions * rows * width : 0 }

    /// iaf: the rows' draw `z` (R·k, row by row) through the layers, and the log-determinant
    /// of the map summed over the rows.
    func flow(_ e: Emitter, _ phi: Value, offset: Int, _ z: Value, rows: Int, constants: [String: Value]) -> (z: Value, logDet: Value) {
        var x = z
        var logDet = e.c(0)
        for net in plan().nets {
            let (m, s) = net.apply(e, phi, offset: offset, e.rowMatrix(x, rows, width), rows: rows, constants: constants)
            x = e.add(e.mul(e.un(.inv_logit, e.flat(s, rows, width)), x), e.flat(m, rows, width))
            logDet = e.add(logDet, e.sum(e.un(.log_inv_logit, s)))
        }
        return (x, logDet)
    }

    /// hvi: from each row's start ε₀ (R·k), the transitions' momenta and the rows' force, the
    /// final position and Σ_t [log N(u′_t) − log r_t(u_t | ε_t)] over the rows.
    /// `force(ε)` is ∇_ε log p̃ of every row at once.
    func dynamics(_ e: Emitter, _ phi: Value, offset: Int, start: Value, momenta: [Value], rows: Int,
                  force: (Value) -> Value) -> (position: Value, logAuxiliary: Value) {
        let p = plan()
        let n = rows * width
        let s = e.tiled(e.un(.exp, e.segment(phi, offset + p.kappa, width)), rows: rows, width)
        var position = start, f = force(start)
        var logAuxiliary = e.c(0)
        for (t, momentum) in momenta.enumerated() {
            logAuxiliary = e.add(logAuxiliary, e.standardNormalLogDensity(momentum, n))
            let h = e.tiled(e.un(.exp, e.segment(phi, offset + p.steps[t], width)), rows: rows, width)
            let halfStep = e.mul(e.c(0.5), h)
            var u = momentum
            for _ in 0..<options.leapfrog {
                u = e.add(u, e.mul(halfStep, HamiltonianVI.bounded(e, e.mul(s, f))))
                position = e.add(position, e.mul(e.mul(h, s), u))
                f = force(position)
                u = e.add(u, e.mul(halfStep, HamiltonianVI.bounded(e, e.mul(s, f))))
            }
            let r = p.reverse[t].logDensity(e, phi, offset: offset, u: u, x: position, force: e.mul(s, f), rows: rows, k: width)
            logAuxiliary = e.sub(logAuxiliary, r)
        }
        return (position, logAuxiliary)
    }

    /// A row's reverse model r(u | ε, ĝ) = N(a, diag exp(2b)), as `HamiltonianVI.ReverseModel`:
    /// a = α ⊙ ε + β ⊙ ĝ + W_a h + c_a, b = W_b h + c_b, h = tanh(ε W_ε + ĝ W_g + c), shared by
    /// the rows; everything that shapes a and b starts at zero.
    struct ReverseModel {
        let hidden: [RowDense]
        let force: RowDense
        let mean: RowDense, logScale: RowDense
        let alpha: Int, beta: Int

        init(_ layout: inout ParameterLayout, k: Int, widths: [Int]) {
            let first = widths[0]
            var hidden = [RowDense(&layout, inputs: k, outputs: first, scale: 1 / Double(2 * k).squareRoot())]
            force = RowDense(&layout, inputs: k, outputs: first, scale: 1 / Double(2 * k).squareRoot(), bias: false)
            var fanIn = first
            for w in widths.dropFirst() {
                hidden.append(RowDense(&layout, inputs: fanIn, outputs: w, scale: 1 / Double(fanIn).squareRoot()))
                fanIn = w
            }
            self.hidden = hidden
            mean = RowDense(&layout, inputs: fanIn, outputs: k, scale: 0)
            logScale = RowDense(&layout, inputs: fanIn, outputs: k, scale: 0)
            alpha = layout.constant(k, 0)
            beta = layout.constant(k, 0)
        }

        /// log r(u | x, ĝ) summed over the rows; u, x and ĝ are R·k, row by row.
        func logDensity(_ e: Emitter, _ phi: Value, offset: Int, u: Value, x: Value, force g: Value, rows: Int, k: Int) -> Value {
            let (xm, gm) = (e.rowMatrix(x, rows, k), e.rowMatrix(g, rows, k))
            var h = e.un(.tanh, e.add(hidden[0].apply(e, phi, offset: offset, xm, rows: rows, constants: [:]),
                                      force.apply(e, phi, offset: offset, gm, rows: rows, constants: [:])))
            for layer in hidden.dropFirst() { h = e.un(.tanh, layer.apply(e, phi, offset: offset, h, rows: rows, constants: [:])) }
            let direct = e.add(e.mul(e.tiled(e.segment(phi, offset + alpha, k), rows: rows, k), x),
                               e.mul(e.tiled(e.segment(phi, offset + beta, k), rows: rows, k), g))
            let a = e.add(e.flat(mean.apply(e, phi, offset: offset, h, rows: rows, constants: [:]), rows, k), direct)
            let b = e.flat(logScale.apply(e, phi, offset: offset, h, rows: rows, constants: [:]), rows, k)
            let r = e.mul(e.sub(u, a), e.un(.exp, e.neg(b)))
            return e.sub(e.standardNormalLogDensity(r, rows * k), e.sum(b))
        }
    }
}

/// A dense layer applied to every row of an R × inputs matrix: H W + 1 cᵀ, with W (inputs ×
/// outputs) masked elementwise by a constant where it has one.
struct RowDense {
    let inputs: Int, outputs: Int
    let weights: Int, bias: Int?
    let mask: String?

    init(_ layout: inout ParameterLayout, inputs: Int, outputs: Int, scale: Double, bias: Bool = true, biasValue: Double = 0,
         mask: String? = nil) {
        (self.inputs, self.outputs, self.mask) = (inputs, outputs, mask)
        weights = layout.random(inputs * outputs, scale: scale)
        self.bias = bias ? layout.constant(outputs, biasValue) : nil
    }

    func apply(_ e: Emitter, _ phi: Value, offset: Int, _ h: Value, rows: Int, constants: [String: Value]) -> Value {
        var w = e.b.append(.reshape, [e.segment(phi, offset + weights, inputs * outputs)], type: .matrix(Size(inputs), Size(outputs)))
        if let mask, let m = constants[mask] { w = e.mul(w, m) }
        let y = e.matmul(h, w)
        guard let bias else { return y }
        let ones = e.fill(e.c(1), .vector(Size(rows)))
        return e.add(y, e.matmul(ones, e.transpose(e.segment(phi, offset + bias, outputs))))
    }
}

/// A MADE network (Germain et al. 2015) over each row's k coordinates, for a row's IAF layer:
/// masked hidden layers, then the shift and gate heads, as `MADENetwork` with the rows as a
/// matrix. The gate's bias starts at +3 (σ ≈ 0.95) and both heads' weights small, so each
/// layer starts near the identity.
struct RowMADE {
    let hidden: [RowDense]
    let shift: RowDense, gate: RowDense

    init(_ layout: inout ParameterLayout, k: Int, widths: [Int], layer: Int) {
        var fanIn = k
        var hidden: [RowDense] = []
        for (h, w) in widths.enumerated() {
            hidden.append(RowDense(&layout, inputs: fanIn, outputs: w, scale: 1 / Double(fanIn).squareRoot(),
                                   mask: RowMADE.maskName(layer, "\(h)")))
            fanIn = w
        }
        self.hidden = hidden
        shift = RowDense(&layout, inputs: fanIn, outputs: k, scale: 0.01, mask: RowMADE.maskName(layer, "out"))
        gate = RowDense(&layout, inputs: fanIn, outputs: k, scale: 0.01, biasValue: 3, mask: RowMADE.maskName(layer, "out"))
    }

    static func maskName(_ layer: Int, _ part: String) -> String { "refine.made\(layer).\(part)" }

    /// The shift and the gate's logit, each R × k.
    func apply(_ e: Emitter, _ phi: Value, offset: Int, _ x: Value, rows: Int, constants: [String: Value]) -> (Value, Value) {
        var h = x
        for layer in hidden { h = Activation.leaky_relu.apply(e, layer.apply(e, phi, offset: offset, h, rows: rows, constants: constants)) }
        return (shift.apply(e, phi, offset: offset, h, rows: rows, constants: constants),
                gate.apply(e, phi, offset: offset, h, rows: rows, constants: constants))
    }

    /// The masks of layer `layer`, transposed to the rows' inputs × outputs.
    static func constants(_ k: Int, widths: [Int], layer: Int) -> [String: Tensor] {
        let masks = MADE.masks(d: k, widths: widths, order: MADE.order(k, layer: layer)).map { m in
            let (r, c) = (m.shape[0], m.shape[1])
            return Tensor(shape: [c, r], values: (0..<(r * c)).map { i in m.values[(i % r) * c + i / r] })
        }
        var out: [String: Tensor] = [:]
        for (h, m) in masks.dropLast().enumerated() { out[maskName(layer, "\(h)")] = m }
        out[maskName(layer, "out")] = masks.last!
        return out
    }
}

extension Emitter {
    /// A vector of R·k, row by row, as the R × k matrix.
    func rowMatrix(_ v: Value, _ rows: Int, _ k: Int) -> Value {
        b.append(.reshape, [v], type: .matrix(Size(rows), Size(k)))
    }

    /// An R × k matrix as the vector of its rows in turn.
    func flat(_ m: Value, _ rows: Int, _ k: Int) -> Value {
        b.append(.reshape, [m], type: .vector(Size(rows * k)))
    }

    /// A k-vector repeated for each of R rows: R·k, row by row.
    func tiled(_ v: Value, rows: Int, _ k: Int) -> Value {
        flat(matmul(fill(c(1), .vector(Size(rows))), transpose(v)), rows, k)
    }
}
