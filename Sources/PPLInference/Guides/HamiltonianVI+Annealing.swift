import PPLIR

/// Hamiltonian VI as uncorrected Hamiltonian annealing (`anneal = on`): Geffner & Domke
/// (2021), "MCMC Variational Inference via Uncorrected Hamiltonian Annealing"; Zhang et al.
/// (2021), "Differentiable Annealed Importance Sampling and the Perils of Gradient Noise".
///
/// In the base's latent space (as `HamiltonianVI`), the draw moves from the base N(ε) to the
/// pulled-back posterior p̃(ε) through K = T·L bridging densities
///
///   log πₖ(ε) = (1 − βₖ) log N(ε) + βₖ log p̃(ε),   0 < β₁ < … < β_K = 1,
///
/// one leapfrog step on each: a partial refresh of the momentum, u′ₖ = η uₖ₋₁ + √(1 − η²) ξₖ
/// (u′₁ fresh), then a kick, a drift and a kick along ∇ log πₖ with the learned step sizes and
/// mass of the transition the step belongs to. The backward process undoes each leapfrog
/// step exactly (unit Jacobian) and reverses each refresh, which leaves N(0, I) invariant:
/// R(u_{k−1} | u′ₖ) / R(u′ₖ | u_{k−1}) = N(u_{k−1}) / N(u′ₖ). The momentum terms then
/// telescope, and the augmented weight is
///
///   L̂ = log p̃(ε_K) − log N(ε₀) + Σₖ [ log N(uₖ) − log N(u′ₖ) ],
///
/// whose exponential is an unbiased estimate of p(data) for any schedule, persistence, step
/// sizes and mass. Each step's kinetic-energy change is about the potential change of πₖ,
/// so L̂ is about the annealed importance weight Σₖ [log πₖ(εₖ₋₁) − log πₖ₋₁(εₖ₋₁)]; no
/// reverse model is learned. The schedule is learned as βₖ = Σ_{j≤k} softmax(θ)ⱼ (linear at
/// the start, θ = 0), the persistence η per transition (0.9 at the start, as AutoDAIS's).
extension HamiltonianVI {
    /// The momentum's persistence between leapfrog steps at the start of a fit.
    static let persistence = 0.9

    func annealedSample(_ e: Emitter, phi: Value, eps: Value, d: Int, constants: [String: Value],
                        target: TargetDensity) throws -> (z: Value, logq: Value) {
        let p = plan(d)
        let pulled = try PulledBack(base, target: target, d: d)
        let basePhi = e.segment(phi, 0, p.baseCount)
        var position = e.segment(eps, 0, d)
        var (logDensity, z, gradient) = pulled.evaluate(e, phi: basePhi, at: position, constants: constants)
        // −L̂ + log p̃(ε_K), built up: log N(ε₀), then each step's kinetic-energy change.
        var logq = e.standardNormalLogDensity(position, d)
        let steps = transitions * leapfrog
        if steps > 0 {
            let s = e.un(.exp, e.segment(phi, p.kappa, d))
            let weights = e.un(.exp, e.segment(phi, p.schedule, steps))
            let beta = e.div(e.op(.cumulativeSum, weights), e.sum(weights))
            var u = e.segment(eps, d, d)
            for k in 0..<steps {
                let t = k / leapfrog
                let h = e.un(.exp, e.segment(phi, p.steps[t], d))
                let halfStep = e.mul(e.c(0.5), h)
                if k > 0 {
                    let eta = e.un(.inv_logit, e.op(.at, phi, e.int(p.persistence[t] + 1)))
                    let fresh = e.un(.sqrt, e.sub(e.c(1), e.mul(eta, eta)))
                    u = e.add(e.mul(eta, u), e.mul(fresh, e.segment(eps, d * (k + 1), d)))
                }
                logq = e.add(logq, e.standardNormalLogDensity(u, d))
                let b = e.op(.at, beta, e.int(k + 1))
                // ∇ log πₖ(ε) = βₖ ∇ log p̃(ε) − (1 − βₖ) ε, in the mass's units.
                func force(_ g: Value, _ x: Value) -> Value {
                    HamiltonianVI.bounded(e, e.mul(s, e.sub(e.mul(b, g), e.mul(e.sub(e.c(1), b), x))))
                }
                u = e.add(u, e.mul(halfStep, force(gradient, position)))
                position = e.add(position, e.mul(e.mul(h, s), u))
                (logDensity, z, gradient) = pulled.evaluate(e, phi: basePhi, at: position, constants: constants)
                u = e.add(u, e.mul(halfStep, force(gradient, position)))
                logq = e.sub(logq, e.standardNormalLogDensity(u, d))
            }
        }
        // target = log p(z) − logq must be L̂, whose first term is log p̃(ε_K), not log p(z).
        return (z, e.add(logq, e.sub(target.logDensity(e.b, at: z), logDensity)))
    }
}
