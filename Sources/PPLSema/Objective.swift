/// What a fit maximises (`objective = iwae`): the ELBO, or a tighter bound on log p(data)
/// made from the step's K = `samples` draws together.
///
/// - `elbo`: the mean of log w_k = log p(z_k) − log q(z_k) over the draws.
/// - `iwae`: log (1/K) Σ_k w_k (Burda, Grosse & Salakhutdinov 2016), with the doubly
///   reparameterised gradient Σ_k w̃_k² ∂log w_k/∂z_k ∂z_k/∂φ, w̃ the normalised weights
///   (Tucker, Lawson, Gu & Maddison 2019, "DReG").
/// - `renyi`: the variational Rényi bound 1/(1−α) log (1/K) Σ_k w_k^(1−α) (Li & Turner
///   2016); α = 0 is the IWAE bound, α → 1 the ELBO.
public enum Objective: String, CaseIterable, Sendable {
    case elbo, iwae, renyi
}

/// How the ELBO's gradient for a guide's continuous params is estimated (`gradient = score`).
///
/// - `reparam`: the reparameterisation gradient, through the draw z = T(ε; φ).
/// - `score`: the score function estimator (Ranganath, Gerrish & Blei 2014), with the draw
///   held fixed: E[(f − b) ∇ log q(z)], f = log p − log q, b the leave-one-out baseline
///   over the step's particles — the estimator discrete params need, here for comparison.
public enum GradientEstimator: String, CaseIterable, Sendable {
    case reparam, score
}
