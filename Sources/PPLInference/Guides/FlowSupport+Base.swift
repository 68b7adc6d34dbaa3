import Foundation
import PPLEngine
import PPLIR
import PPLSema

/// The base of every flow, a learned Gaussian that the flow then only has to bend:
/// diagonal, z0 = μ + exp(ω) ⊙ ε (`base = meanfield`, the default), or full-rank,
/// z0 = μ + L ε with L = diag(exp ω) C as in `FullRank` (`base = fullrank`), for posteriors
/// whose correlations are mostly linear. log q0(z0) = log N(ε) - Σ ω either way.
struct GaussianBase {
    let mean: Int, scale: Int
    let fullRank: Bool

    init(_ layout: inout ParameterLayout, _ d: Int, options: FitOptions) {
        fullRank = options.base == .fullrank
        mean = layout.constant(d, 0)
        scale = fullRank ? layout.values(FullRank().initialParameters(d).suffix(d * d)) : layout.constant(d, log(0.1))
    }

    func apply(_ e: Emitter, _ phi: Value, _ eps: Value, _ d: Int) -> (z: Value, logq: Value) {
        let (l, omega) = factor(e, phi, d)
        let z = e.add(e.segment(phi, mean, d), l.map { e.matmul($0, eps) } ?? e.mul(e.un(.exp, omega), eps))
        return (z, e.sub(e.standardNormalLogDensity(eps, d), e.sum(omega)))
    }

    func inverse(_ e: Emitter, _ phi: Value, _ z: Value, _ d: Int) -> Value {
        let (l, omega) = factor(e, phi, d)
        let centred = e.sub(z, e.segment(phi, mean, d))
        return l.map { e.op(.triSolveLower, $0, centred) } ?? e.mul(centred, e.un(.exp, e.neg(omega)))
    }

    /// L (nil for the diagonal base) and ω.
    private func factor(_ e: Emitter, _ phi: Value, _ d: Int) -> (l: Value?, omega: Value) {
        guard fullRank else { return (nil, e.segment(phi, scale, d)) }
        let (l, omega) = FullRank.factor(e, phi, offset: scale, d)
        return (l, omega)
    }
}

/// MADE masks (Germain et al. 2015) for an autoregressive network whose output i depends
/// only on inputs that come before i in `order` (a permutation of 1...d).
enum MADE {
    /// Masks input→hidden (and hidden→hidden) and hidden→output for the given widths.
    static func masks(d: Int, widths: [Int], order: [Int]) -> [Tensor] {
        let hiddenDegrees = widths.map { w in (0..<w).map { $0 % max(1, d - 1) + 1 } }
        var masks: [Tensor] = []
        var previous = order
        for degrees in hiddenDegrees {
            var m = [Double](repeating: 0, count: degrees.count * previous.count)
            for (j, dj) in degrees.enumerated() { for (i, di) in previous.enumerated() where dj >= di { m[j * previous.count + i] = 1 } }
            masks.append(Tensor(shape: [degrees.count, previous.count], values: m))
            previous = degrees
        }
        var out = [Double](repeating: 0, count: d * previous.count)
        for (o, dout) in order.enumerated() { for (j, dj) in previous.enumerated() where dout > dj { out[o * previous.count + j] = 1 } }
        masks.append(Tensor(shape: [d, previous.count], values: out))
        return masks
    }

    /// Ordering of layer k: natural for even k, reversed for odd k, so stacked layers
    /// condition each coordinate on different others.
    static func order(_ d: Int, layer k: Int) -> [Int] {
        k % 2 == 0 ? Array(1...max(1, d)).prefix(d).map { $0 } : (1...max(1, d)).reversed().prefix(d).map { $0 }
    }
}

/// A MADE network: masked hidden layers, then two masked heads (shift and log-scale).
struct MADENetwork {
    let hidden: [DenseLayer]
    let shift: DenseLayer, scale: DenseLayer
    let activation: Activation

    init(_ layout: inout ParameterLayout, d: Int, widths: [Int], layer k: Int, activation: Activation, scaleBias: Double) {
        var fanIn = d
        var hidden: [DenseLayer] = []
        for (h, w) in widths.enumerated() {
            hidden.append(DenseLayer(&layout, rows: w, cols: fanIn, scale: 1 / Double(fanIn).squareRoot(),
                                     mask: "made\(k).\(h)"))
            fanIn = w
        }
        self.hidden = hidden
        shift = DenseLayer(&layout, rows: d, cols: fanIn, scale: 0.01, mask: "made\(k).out")
        scale = DenseLayer(&layout, rows: d, cols: fanIn, scale: 0.01, bias: scaleBias, mask: "made\(k).out")
        self.activation = activation
    }

    func apply(_ e: Emitter, _ phi: Value, _ x: Value, _ constants: [String: Value]) -> (shift: Value, scale: Value) {
        var h = x
        for layer in hidden { h = activation.apply(e, layer.apply(e, phi, h, constants)) }
        return (shift.apply(e, phi, h, constants), scale.apply(e, phi, h, constants))
    }

    /// Solves for x one coordinate at a time in `order` (an IR loop of d passes): x starts
    /// at zero, and coordinate order[t] becomes `value(position, shift, scale)` from the
    /// network's outputs for that coordinate at x, whose coordinates before it in the order
    /// are already final. Setting one coordinate changes the first layer's pre-activation
    /// by one column of its weights, so the loop carries it and updates it in O(width)
    /// rather than recomputing the layer (Papamakarios et al. 2017 note the d passes;
    /// this keeps each pass cheap): O(d · width) per layer with one hidden layer.
    func sequential(_ e: Emitter, _ phi: Value, d: Int, order: [Int], constants: [String: Value],
                    value: (Value, Value, Value) -> Value) -> Value {
        let first = hidden[0]
        let columns = e.transpose(first.matrix(e, phi, constants))
        let deeper = hidden.dropFirst().map { ($0.matrix(e, phi, constants), e.segment(phi, $0.bias, $0.rows)) }
        let heads = [shift, scale].map { ($0.matrix(e, phi, constants), e.segment(phi, $0.bias, d)) }
        let positions = e.b.append(.pack, order.map { e.int($0) }, type: IRType(.int, .rowVector(Size(d))))
        let params = e.b.beginBlock(params: [.int, .vector(Size(d)), .vector(Size(first.rows))])
        let (step, x, pre) = (params[0], params[1], params[2])
        let position = e.op(.at, positions, step)
        var h = activation.apply(e, pre)
        for (w, b) in deeper { h = activation.apply(e, e.add(e.matmul(w, h), b)) }
        let outputs = heads.map { w, b in e.add(e.op(.dot, e.op(.at, w, position), h), e.op(.at, b, position)) }
        let v = value(position, outputs[0], outputs[1])
        let block = e.b.endBlock(params: params, yields: [e.op(.set, x, position, v),
                                                          e.add(pre, e.mul(e.op(.at, columns, position), v))])
        return e.b.appendRegion(.loop, [e.int(1), e.int(d), e.zeros(.vector(Size(d))), e.segment(phi, first.bias, first.rows)],
                                regions: [block], resultTypes: [.vector(Size(d)), .vector(Size(first.rows))])[0]
    }

    static func constants(_ d: Int, widths: [Int], layer k: Int) -> [String: Tensor] {
        let masks = MADE.masks(d: d, widths: widths, order: MADE.order(d, layer: k))
        var out: [String: Tensor] = [:]
        for (h, m) in masks.dropLast().enumerated() { out["made\(k).\(h)"] = m }
        out["made\(k).out"] = masks.last!
        return out
    }
}
