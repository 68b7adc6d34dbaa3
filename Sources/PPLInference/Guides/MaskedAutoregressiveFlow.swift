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
public struct MaskedAutoregressiveFlow: NormalizingFlow {
    public let family = GuideFamily.maf
    let setup: AutoregressiveLayers

    init(_ options: FitOptions) { setup = AutoregressiveLayers(options, scaleBias: 0) }

    public func parameterCount(_ d: Int) -> Int { setup.plan(d).0.count }
    public func initialParameters(_ d: Int) -> [Double] { setup.plan(d).0.initial }
    public func constants(_ d: Int) -> [String: Tensor] { setup.constants(d) }

    private func logScale(_ e: Emitter, _ raw: Value) -> Value { e.mul(e.c(3), e.un(.tanh, e.mul(e.c(1.0 / 3), raw))) }

    public func sample(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value]) -> (z: Value, logq: Value) {
        let (_, base, nets) = setup.plan(d)
        var (z, logq) = base.apply(e, phi, eps, d)
        for (k, net) in nets.enumerated() {
            let u = z
            z = net.sequential(e, phi, d: d, order: MADE.order(d, layer: k), constants: constants) { position, mu, raw in
                e.add(e.mul(e.op(.at, u, position), e.un(.exp, logScale(e, raw))), mu)
            }
            logq = e.sub(logq, e.sum(logScale(e, net.apply(e, phi, z, constants).scale)))
        }
        return (z, logq)
    }

    /// The density direction: one pass per layer, u = (z' - μ(z')) ⊙ exp(-α(z')).
    public func inverse(_ e: Emitter, phi: Value, z: Value, d: Int, constants: [String: Value]) -> Value? {
        let (_, base, nets) = setup.plan(d)
        var x = z
        for net in nets.reversed() {
            let (mu, raw) = net.apply(e, phi, x, constants)
            x = e.mul(e.sub(x, mu), e.un(.exp, e.neg(logScale(e, raw))))
        }
        return base.inverse(e, phi, x, d)
    }
}
