import Foundation
import PPLEngine
import PPLIR
import PPLSema

/// Radial flow (Rezende & Mohamed 2015): z' = z + β h(r) (z - z₀), r = |z - z₀|,
/// h = 1 / (α + r), with α = softplus(a) > 0 and β = -α + softplus(b) ≥ -α (invertible);
/// log|det J| = (d - 1) log(1 + β h) + log(1 + β h - β r / (α + r)²). β starts at 0.
public struct RadialFlow: NormalizingFlow {
    public let family = GuideFamily.radial
    let options: FitOptions
    var layers: Int { options.layers }

    private func plan(_ d: Int) -> (ParameterLayout, GaussianBase, [(center: Int, a: Int, b: Int)]) {
        var layout = ParameterLayout()
        let base = GaussianBase(&layout, d, options: options)
        let steps = (0..<layers).map { _ in
            (center: layout.random(d, scale: 0.1), a: layout.constant(1, 0), b: layout.constant(1, 0))
        }
        return (layout, base, steps)
    }

    public func parameterCount(_ d: Int) -> Int { plan(d).0.count }
    public func initialParameters(_ d: Int) -> [Double] { plan(d).0.initial }

    private func coefficients(_ e: Emitter, _ phi: Value, _ s: (center: Int, a: Int, b: Int)) -> (alpha: Value, beta: Value) {
        let alpha = e.un(.log1p_exp, e.op(.at, phi, e.int(s.a + 1)))
        return (alpha, e.sub(e.un(.log1p_exp, e.op(.at, phi, e.int(s.b + 1))), alpha))
    }

    public func sample(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value]) -> (z: Value, logq: Value) {
        let (_, base, steps) = plan(d)
        var (z, logq) = base.apply(e, phi, eps, d)
        for s in steps {
            let diff = e.sub(z, e.segment(phi, s.center, d))
            let (alpha, beta) = coefficients(e, phi, s)
            let r = e.un(.sqrt, e.add(e.op(.dot, diff, diff), e.c(1e-12)))
            let h = e.un(.inv, e.add(alpha, r))
            let bh = e.mul(beta, h)
            z = e.add(z, e.mul(bh, diff))
            let term = e.sub(e.add(e.c(1), bh), e.mul(e.mul(beta, r), e.un(.square, h)))
            logq = e.sub(logq, e.add(e.mul(e.c(Double(d - 1)), e.un(.log1p, bh)), e.un(.log, term)))
        }
        return (z, logq)
    }

    /// Closed form, last layer first: z' - z₀ = (1 + β/(α + r)) (z - z₀) keeps the direction,
    /// and r = |z - z₀| is the positive root of r² + (α + β - r') r - α r' = 0, r' = |z' - z₀|.
    public func inverse(_ e: Emitter, phi: Value, z: Value, d: Int, constants: [String: Value]) -> Value? {
        let (_, base, steps) = plan(d)
        var x = z
        for s in steps.reversed() {
            let center = e.segment(phi, s.center, d)
            let diff = e.sub(x, center)
            let (alpha, beta) = coefficients(e, phi, s)
            let rOut = e.un(.sqrt, e.add(e.op(.dot, diff, diff), e.c(1e-12)))
            let p = e.sub(e.add(alpha, beta), rOut)
            let r = e.mul(e.c(0.5), e.add(e.neg(p), e.un(.sqrt, e.add(e.un(.square, p), e.mul(e.mul(e.c(4), alpha), rOut)))))
            x = e.add(center, e.mul(e.div(r, rOut), diff))
        }
        return base.inverse(e, phi, x, d)
    }
}
