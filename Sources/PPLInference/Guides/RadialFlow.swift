import Foundation
import PPLEngine
import PPLIR
import PPLSema

/// Radial flow (Rezende & Mohamed 2015): z' = z + β h(r) (z - z₀), r = |z - z₀|,
/// h = 1 / (α + r), with α = softplus(a) > 0 and β = -α + softplus(b) ≥ -α (invertible);
/// log|det J| = (d - 1) log(1 + β h) + log(1 + β h - β r / (α + r)²). β starts at 0.
public struct RadialFlow: VariationalFamily {
    public let family = GuideFamily.radial
    public let prefersStickingTheLanding = false
    let layers: Int

    init(_ options: GuideOptions) { layers = options.int(.layers, default: 8) }

    private func plan(_ d: Int) -> (ParameterLayout, DiagonalBase, [(center: Int, a: Int, b: Int)]) {
        var layout = ParameterLayout()
        let base = DiagonalBase(&layout, d)
        let steps = (0..<layers).map { _ in
            (center: layout.random(d, scale: 0.1), a: layout.constant(1, 0), b: layout.constant(1, 0))
        }
        return (layout, base, steps)
    }

    public func parameterCount(_ d: Int) -> Int { plan(d).0.count }
    public func initialParameters(_ d: Int) -> [Double] { plan(d).0.initial }

    public func sample(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value]) -> (z: Value, logq: Value) {
        let (_, base, steps) = plan(d)
        var (z, logq) = base.apply(e, phi, eps, d)
        for s in steps {
            let diff = e.sub(z, e.segment(phi, s.center, d))
            let alpha = e.un(.log1p_exp, e.op(.at, phi, e.int(s.a + 1)))
            let beta = e.sub(e.un(.log1p_exp, e.op(.at, phi, e.int(s.b + 1))), alpha)
            let r = e.un(.sqrt, e.add(e.op(.dot, diff, diff), e.c(1e-12)))
            let h = e.un(.inv, e.add(alpha, r))
            let bh = e.mul(beta, h)
            z = e.add(z, e.mul(bh, diff))
            let term = e.sub(e.add(e.c(1), bh), e.mul(e.mul(beta, r), e.un(.square, h)))
            logq = e.sub(logq, e.add(e.mul(e.c(Double(d - 1)), e.un(.log1p, bh)), e.un(.log, term)))
        }
        return (z, logq)
    }
}
