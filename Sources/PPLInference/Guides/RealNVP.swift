import Foundation
import PPLEngine
import PPLIR
import PPLSema

/// Real NVP (Dinh et al. 2017): affine coupling layers. With a binary mask b alternating
/// between layers, (s, t) = NN(b ⊙ z), s bounded as tanh(raw),
/// z' = b ⊙ z + (1 - b) ⊙ (z ⊙ exp(s) + t), log|det J| = Σ (1 - b) ⊙ s.
/// Output layers start at zero, so the flow starts as the identity.
public struct RealNVP: NormalizingFlow {
    public let family = GuideFamily.realnvp
    let layers: Int
    let activation: Activation
    let affine: Bool
    let options: FitOptions

    init(_ options: FitOptions, affine: Bool = true) {
        self.options = options
        layers = options.layers
        activation = options.activation
        self.affine = affine
    }

    struct Coupling {
        let hidden: [DenseLayer]
        let shift: DenseLayer
        let scale: DenseLayer?
    }

    func plan(_ d: Int) -> (ParameterLayout, GaussianBase, [Coupling], Int?) {
        var layout = ParameterLayout()
        let base = GaussianBase(&layout, d, options: options)
        let w = options.hiddenWidths(d)
        var couplings: [Coupling] = []
        for _ in 0..<layers {
            var fanIn = d
            var hidden: [DenseLayer] = []
            for width in w {
                hidden.append(DenseLayer(&layout, rows: width, cols: fanIn, scale: 1 / Double(fanIn).squareRoot()))
                fanIn = width
            }
            let shift = DenseLayer(&layout, rows: d, cols: fanIn, scale: 0)
            let scale = affine ? DenseLayer(&layout, rows: d, cols: fanIn, scale: 0) : nil
            couplings.append(Coupling(hidden: hidden, shift: shift, scale: scale))
        }
        // NICE ends with a diagonal scaling layer.
        let finalScale = affine ? nil : layout.constant(d, 0)
        return (layout, base, couplings, finalScale)
    }

    public func parameterCount(_ d: Int) -> Int { plan(d).0.count }
    public func initialParameters(_ d: Int) -> [Double] { plan(d).0.initial }

    public func constants(_ d: Int) -> [String: Tensor] {
        // Alternating halves: even coordinates kept by even layers, odd by odd ones.
        var out: [String: Tensor] = [:]
        for k in 0..<layers {
            out["coupling\(k)"] = Tensor(vector: (0..<d).map { ($0 + k) % 2 == 0 ? 1 : 0 })
        }
        return out
    }

    public func sample(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value]) -> (z: Value, logq: Value) {
        let (_, base, couplings, finalScale) = plan(d)
        var (z, logq) = base.apply(e, phi, eps, d)
        for (k, c) in couplings.enumerated() {
            let b = constants["coupling\(k)"]!
            let free = e.sub(e.c(1), b)
            var h = e.mul(b, z)
            for layer in c.hidden { h = activation.apply(e, layer.apply(e, phi, h, constants)) }
            let t = c.shift.apply(e, phi, h, constants)
            var moved = e.add(z, t)
            if let scale = c.scale {
                let s = e.un(.tanh, scale.apply(e, phi, h, constants))
                moved = e.add(e.mul(z, e.un(.exp, s)), t)
                logq = e.sub(logq, e.op(.dot, free, s))
            }
            z = e.add(e.mul(b, z), e.mul(free, moved))
        }
        if let finalScale {
            let s = e.segment(phi, finalScale, d)
            z = e.mul(z, e.un(.exp, s))
            logq = e.sub(logq, e.sum(s))
        }
        return (z, logq)
    }

    /// One pass per layer, last layer first: the kept half b ⊙ z' is the layer's input, so
    /// (s, t) are recomputed from it and z = b ⊙ z' + (1 - b) ⊙ (z' - t) ⊙ exp(-s).
    public func inverse(_ e: Emitter, phi: Value, z: Value, d: Int, constants: [String: Value]) -> Value? {
        let (_, base, couplings, finalScale) = plan(d)
        var x = z
        if let finalScale { x = e.mul(x, e.un(.exp, e.neg(e.segment(phi, finalScale, d)))) }
        for (k, c) in couplings.enumerated().reversed() {
            let b = constants["coupling\(k)"]!
            var h = e.mul(b, x)
            for layer in c.hidden { h = activation.apply(e, layer.apply(e, phi, h, constants)) }
            var moved = e.sub(x, c.shift.apply(e, phi, h, constants))
            if let scale = c.scale { moved = e.mul(moved, e.un(.exp, e.neg(e.un(.tanh, scale.apply(e, phi, h, constants))))) }
            x = e.add(e.mul(b, x), e.mul(e.sub(e.c(1), b), moved))
        }
        return base.inverse(e, phi, x, d)
    }
}

/// NICE (Dinh et al. 2014): additive coupling layers z' = b ⊙ z + (1 - b) ⊙ (z + t(b ⊙ z)),
/// volume-preserving, with a final diagonal scaling layer z ⊙ exp(s), log|det J| = Σ s.
public struct NICE: NormalizingFlow {
    public let family = GuideFamily.nice
    let coupling: RealNVP

    init(_ options: FitOptions) { coupling = RealNVP(options, affine: false) }

    public func parameterCount(_ d: Int) -> Int { coupling.parameterCount(d) }
    public func initialParameters(_ d: Int) -> [Double] { coupling.initialParameters(d) }
    public func constants(_ d: Int) -> [String: Tensor] { coupling.constants(d) }
    public func sample(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value]) -> (z: Value, logq: Value) {
        coupling.sample(e, phi: phi, densityPhi: densityPhi, eps: eps, d: d, constants: constants)
    }
    public func inverse(_ e: Emitter, phi: Value, z: Value, d: Int, constants: [String: Value]) -> Value? {
        coupling.inverse(e, phi: phi, z: z, d: d, constants: constants)
    }
}
