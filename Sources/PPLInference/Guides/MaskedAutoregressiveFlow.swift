import Foundation
import PPLEngine
import PPLIR
import PPLSema

/// Masked autoregressive flow (Papamakarios et al. 2017): z'_i = z_i exp(α_i) + μ_i with
/// (μ, α) = MADE(z'), so coordinate i needs z'_<i first: drawing is sequential in the
/// dimension (a loop of d passes), while scoring a given z' is one pass. For variational
/// inference, where the guide draws and scores its own draws, IAF is the cheaper choice;
/// MAF is here for density estimation and comparison. α = 3 tanh(raw / 3) keeps scales
/// bounded; log|det J| = Σ α.
public struct MaskedAutoregressiveFlow: VariationalFamily {
    public let family = GuideFamily.maf
    public let prefersStickingTheLanding = false
    let layers: Int
    let widths: [Int]
    let activation: Activation

    init(_ options: GuideOptions) {
        layers = options.int(.layers, default: 2)
        widths = options.widths(default: [])
        activation = Activation(options, default: .tanh)
    }

    private func plan(_ d: Int) -> (ParameterLayout, DiagonalBase, [MADENetwork]) {
        var layout = ParameterLayout()
        let base = DiagonalBase(&layout, d)
        let w = widths.isEmpty ? [max(16, 2 * d)] : widths
        let nets = (0..<layers).map { MADENetwork(&layout, d: d, widths: w, layer: $0, activation: activation, scaleBias: 0) }
        return (layout, base, nets)
    }

    public func parameterCount(_ d: Int) -> Int { plan(d).0.count }
    public func initialParameters(_ d: Int) -> [Double] { plan(d).0.initial }

    public func constants(_ d: Int) -> [String: Tensor] {
        let w = widths.isEmpty ? [max(16, 2 * d)] : widths
        return (0..<layers).reduce(into: [:]) { $0.merge(MADENetwork.constants(d, widths: w, layer: $1)) { a, _ in a } }
    }

    private func logScale(_ e: Emitter, _ raw: Value) -> Value { e.mul(e.c(3), e.un(.tanh, e.mul(e.c(1.0 / 3), raw))) }

    public func sample(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value]) -> (z: Value, logq: Value) {
        let (_, base, nets) = plan(d)
        var (z, logq) = base.apply(e, phi, eps, d)
        for (k, net) in nets.enumerated() {
            // Coordinates in the layer's order, each from the ones before it.
            let order = MADE.order(d, layer: k)
            let u = z
            let params = e.b.beginBlock(params: [.int, .vector(Size(d))])
            let (step, x) = (params[0], params[1])
            let (mu, raw) = net.apply(e, phi, x, constants)
            let position = e.op(.at, e.b.append(.pack, order.map { e.int($0) }, type: IRType(.int, .rowVector(Size(d)))), step)
            let value = e.add(e.mul(e.op(.at, u, position), e.un(.exp, e.op(.at, logScale(e, raw), position))), e.op(.at, mu, position))
            let block = e.b.endBlock(params: params, yields: [e.op(.set, x, position, value)])
            z = e.b.appendRegion(.loop, [e.int(1), e.int(d), e.zeros(.vector(Size(d)))], regions: [block],
                                 resultTypes: [.vector(Size(d))])[0]
            logq = e.sub(logq, e.sum(logScale(e, net.apply(e, phi, z, constants).scale)))
        }
        return (z, logq)
    }
}
