import Foundation
import PPLEngine
import PPLIR
import PPLSema

/// Planar flow (Rezende & Mohamed 2015): z' = z + û tanh(wᵀz + b) with
/// û = u + (m(wᵀu) - wᵀu) w / |w|², m(x) = -1 + softplus(x), which keeps wᵀû ≥ -1 so each
/// layer is invertible; log|det J| = log|1 + ûᵀ w (1 - tanh²(wᵀz + b))|. u starts at zero
/// (the identity).
public struct PlanarFlow: NormalizingFlow {
    public let family = GuideFamily.planar
    let options: FitOptions
    var layers: Int { options.layers }

    private func plan(_ d: Int) -> (ParameterLayout, GaussianBase, [(w: Int, u: Int, b: Int)]) {
        var layout = ParameterLayout()
        let base = GaussianBase(&layout, d, options: options)
        let steps = (0..<layers).map { _ in
            (w: layout.random(d, scale: 0.1), u: layout.constant(d, 0), b: layout.constant(1, 0))
        }
        return (layout, base, steps)
    }

    public func parameterCount(_ d: Int) -> Int { plan(d).0.count }
    public func initialParameters(_ d: Int) -> [Double] { plan(d).0.initial }

    public func sample(_ e: Emitter, phi: Value, densityPhi: Value, eps: Value, d: Int, constants: [String: Value]) -> (z: Value, logq: Value) {
        let (_, base, steps) = plan(d)
        var (z, logq) = base.apply(e, phi, eps, d)
        for s in steps {
            let w = e.segment(phi, s.w, d), u = e.segment(phi, s.u, d)
            let b = e.op(.at, phi, e.int(s.b + 1))
            let wu = e.op(.dot, w, u)
            let uHat = e.add(u, e.mul(e.div(e.sub(e.sub(e.un(.log1p_exp, wu), e.c(1)), wu), e.op(.dot, w, w)), w))
            let a = e.un(.tanh, e.add(e.op(.dot, w, z), b))
            z = e.add(z, e.mul(a, uHat))
            let det = e.add(e.c(1), e.mul(e.sub(e.c(1), e.un(.square, a)), e.op(.dot, w, uHat)))
            logq = e.sub(logq, e.un(.log, e.un(.abs, det)))
        }
        return (z, logq)
    }
}
