// Generated from stdlib/*.ppl by `PPL_UPDATE_GOLDEN=1 swift test --filter StdlibTests`
// (StdlibTests fails while it differs from the folder); do not edit.

extension Stdlib {
    /// The files of stdlib/, by name, in name order.
    static let embedded: [(name: String, text: String)] = [
        ("continuous.ppl", #"""
// Continuous distributions, with Stan's parameterisations.
// Each logpdf gives the log density of one element; the checker sums it over the
// elements of the variate and arguments (vectorised), so every term is written
// elementwise (`.*`, `./`) and broadcasts scalars. lcdf and lccdf give the log of the
// cdf and of its complement, written in the log scale so that the tails keep their digits;
// where a cdf has two branches, an indicator (`(t > 0) .* ...`) chooses between them,
// so that neither branch's derivative is taken where it is infinite.

// Normal with mean mu and standard deviation sigma.
dist normal(mu: real, sigma: real) on real {
  logpdf(x) = -0.5 * square((x - mu) ./ sigma) - log(sigma) - 0.5 * log(2 * pi())
  lcdf(x) = log_erfc((mu - x) ./ (sigma * sqrt2())) - log(2)
  lccdf(x) = log_erfc((x - mu) ./ (sigma * sqrt2())) - log(2)
  rng() = random_normal(mu, sigma)
}

// Standard normal, normal(0, 1).
dist std_normal() on real {
  logpdf(x) = -0.5 * square(x) - 0.5 * log(2 * pi())
  lcdf(x) = log_erfc(-x / sqrt2()) - log(2)
  lccdf(x) = log_erfc(x / sqrt2()) - log(2)
  rng() = random_normal()
}

// log(x) ~ normal(mu, sigma).
dist lognormal(mu: real, sigma: real) on real {
  logpdf(x) = -0.5 * square((log(x) - mu) ./ sigma) - log(sigma) - log(x) - 0.5 * log(2 * pi())
  lcdf(x) = log_erfc((mu - log(x)) ./ (sigma * sqrt2())) - log(2)
  lccdf(x) = log_erfc((log(x) - mu) ./ (sigma * sqrt2())) - log(2)
  rng() = exp(random_normal(mu, sigma))
}

// log F(t) for Student's t with nu degrees of freedom, location 0 and scale 1:
// F(t) = inc_beta(nu/2, nu/2, (1 + t / r) / 2) with r = sqrt(t^2 + nu), smooth at t = 0
// (unlike the form in t^2). Its argument is computed as nu / (2 r (r - t)) below zero and
// by the symmetry F(t) = 1 - F(-t) above, so that no tail loses digits; fmin and fmax keep
// the unused branch finite.
fn student_t_std_lcdf(t: real, nu: real) -> real {
  let below = t <= 0
  let tn = fmin(t, 0)
  let tp = fmax(t, 0)
  let rn = sqrt(square(tn) + nu)
  let rp = sqrt(square(tp) + nu)
  let lower = inc_beta(0.5 * nu, 0.5 * nu, below .* nu ./ (2 * rn .* (rn - tn)) + (1 - below) .* nu ./ (2 * rp .* (rp + tp)))
  return log(lower + (1 - below) .* (1 - 2 * lower))
}

// Student's t with nu degrees of freedom, location mu and scale sigma.
dist student_t(nu: real, mu: real, sigma: real) on real {
  logpdf(x) = lgamma(0.5 * (nu + 1)) - lgamma(0.5 * nu) - 0.5 * log(nu * pi()) - log(sigma) -
    0.5 * (nu + 1) .* log1p(square((x - mu) ./ sigma) ./ nu)
  // The ccdf is the cdf at -t.
  lcdf(x) = student_t_std_lcdf((x - mu) ./ sigma, nu)
  lccdf(x) = student_t_std_lcdf((mu - x) ./ sigma, nu)
  // A normal over the root of an independent chi-square over nu.
  rng() = mu + sigma * random_normal() / sqrt(2 * random_gamma(0.5 * nu) / nu)
}

// Cauchy with location mu and scale sigma.
dist cauchy(mu: real, sigma: real) on real {
  logpdf(x) = -log(pi()) - log(sigma) - log1p(square((x - mu) ./ sigma))
  // 1/2 + atan(z) / pi = atan2(1, -z) / pi, which keeps its digits in the left tail.
  lcdf(x) = log(atan2(sigma, mu - x)) - log(pi())
  lccdf(x) = log(atan2(sigma, x - mu)) - log(pi())
  rng() = mu + sigma * tan(pi() * (random_uniform() - 0.5))
}

// Laplace with location mu and scale sigma.
dist double_exponential(mu: real, sigma: real) on real {
  logpdf(x) = -log(2) - log(sigma) - abs(x - mu) ./ sigma
  // exp(z) / 2 below the location, 1 - exp(-z) / 2 above.
  lcdf(x) {
    let z = (x - mu) ./ sigma
    return fmin(z, 0) + log1m(0.5 * exp(-fmax(z, 0)))
  }
  lccdf(x) {
    let z = (mu - x) ./ sigma
    return fmin(z, 0) + log1m(0.5 * exp(-fmax(z, 0)))
  }
  // The difference of two independent standard exponentials.
  rng() = mu + sigma * (log(random_uniform()) - log(random_uniform()))
}

// Logistic with location mu and scale sigma.
dist logistic(mu: real, sigma: real) on real {
  logpdf(x) {
    let z = (x - mu) ./ sigma
    return -z - log(sigma) - 2 * log1p_exp(-z)
  }
  lcdf(x) = log_inv_logit((x - mu) ./ sigma)
  lccdf(x) = log1m_inv_logit((x - mu) ./ sigma)
  rng() = mu + sigma * logit(random_uniform())
}

// Gumbel with location mu and scale beta.
dist gumbel(mu: real, beta: real) on real {
  logpdf(x) {
    let z = (x - mu) ./ beta
    return -log(beta) - z - exp(-z)
  }
  lcdf(x) = -exp((mu - x) ./ beta)
  lccdf(x) = log1m_exp(-exp((mu - x) ./ beta))
  rng() = mu - beta * log(-log(random_uniform()))
}

// Exponential with rate beta.
dist exponential(beta: real) on real {
  logpdf(x) = log(beta) - beta .* x
  lcdf(x) = log1m_exp(-beta .* x)
  lccdf(x) = -beta .* x
  rng() = -log(random_uniform()) / beta
}

// Gamma with shape alpha and rate beta.
dist gamma(alpha: real, beta: real) on real {
  logpdf(x) = alpha .* log(beta) - lgamma(alpha) + (alpha - 1) .* log(x) - beta .* x
  lcdf(x) = log(gamma_p(alpha, beta .* x))
  lccdf(x) = log(gamma_q(alpha, beta .* x))
  rng() = random_gamma(alpha) / beta
}

// Inverse gamma with shape alpha and scale beta.
dist inv_gamma(alpha: real, beta: real) on real {
  logpdf(x) = alpha .* log(beta) - lgamma(alpha) - (alpha + 1) .* log(x) - beta ./ x
  lcdf(x) = log(gamma_q(alpha, beta ./ x))
  lccdf(x) = log(gamma_p(alpha, beta ./ x))
  rng() = beta / random_gamma(alpha)
}

// Chi-square with nu degrees of freedom.
dist chi_square(nu: real) on real {
  logpdf(x) = -0.5 * nu * log(2) - lgamma(0.5 * nu) + (0.5 * nu - 1) .* log(x) - 0.5 * x
  lcdf(x) = log(gamma_p(0.5 * nu, 0.5 * x))
  lccdf(x) = log(gamma_q(0.5 * nu, 0.5 * x))
  rng() = 2 * random_gamma(0.5 * nu)
}

// Inverse chi-square with nu degrees of freedom.
dist inv_chi_square(nu: real) on real {
  logpdf(x) = -0.5 * nu * log(2) - lgamma(0.5 * nu) - (0.5 * nu + 1) .* log(x) - 0.5 ./ x
  lcdf(x) = log(gamma_q(0.5 * nu, 0.5 ./ x))
  lccdf(x) = log(gamma_p(0.5 * nu, 0.5 ./ x))
  rng() = 0.5 / random_gamma(0.5 * nu)
}

// Weibull with shape alpha and scale sigma.
dist weibull(alpha: real, sigma: real) on real {
  logpdf(x) = log(alpha) - log(sigma) + (alpha - 1) .* (log(x) - log(sigma)) - (x ./ sigma) ^ alpha
  lcdf(x) = log1m_exp(-(x ./ sigma) ^ alpha)
  lccdf(x) = -(x ./ sigma) ^ alpha
  rng() = sigma * pow(-log(random_uniform()), 1 / alpha)
}

// Rayleigh with scale sigma.
dist rayleigh(sigma: real) on real {
  logpdf(x) = log(x) - 2 * log(sigma) - 0.5 * square(x ./ sigma)
  lcdf(x) = log1m_exp(-0.5 * square(x ./ sigma))
  lccdf(x) = -0.5 * square(x ./ sigma)
  rng() = sigma * sqrt(-2 * log(random_uniform()))
}

// Pareto with minimum y_min and shape alpha; zero density below y_min.
dist pareto(y_min: real, alpha: real) on real {
  logpdf(x) = log(x >= y_min) + log(alpha) + alpha .* log(y_min) - (alpha + 1) .* log(x)
  // The ccdf is (y_min / x)^alpha above y_min and 1 below.
  lcdf(x) = log1m_exp(fmin(0, alpha .* (log(y_min) - log(x))))
  lccdf(x) = fmin(0, alpha .* (log(y_min) - log(x)))
  rng() = y_min * pow(random_uniform(), -1 / alpha)
}

// Beta with shapes a and b, on (0, 1).
dist beta(a: real, b: real) on real {
  logpdf(x) = (a - 1) .* log(x) + (b - 1) .* log1m(x) - lbeta(a, b)
  lcdf(x) = log(inc_beta(a, b, x))
  lccdf(x) = log(inc_beta(b, a, 1 - x))
  // X / (X + Y) for independent Gamma(a) and Gamma(b).
  rng() {
    let x = random_gamma(a)
    return x / (x + random_gamma(b))
  }
}

// Uniform on [a, b]; zero density outside.
dist uniform(a: real, b: real) on real {
  logpdf(x) = log((x >= a) .* (x <= b)) - log(b - a)
  lcdf(x) = log(fmin(fmax((x - a) ./ (b - a), 0), 1))
  lccdf(x) = log(fmin(fmax((b - x) ./ (b - a), 0), 1))
  rng() = random_uniform(a, b)
}

// Half-normal on the positive reals: normal(0, sigma) folded at zero.
dist half_normal(sigma: real) on real {
  logpdf(x) = log(2) - 0.5 * square(x ./ sigma) - log(sigma) - 0.5 * log(2 * pi())
  lcdf(x) = log(erf(x ./ (sigma * sqrt2())))
  lccdf(x) = log_erfc(x ./ (sigma * sqrt2()))
  rng() = sigma * abs(random_normal())
}

// Half-Cauchy on the positive reals: cauchy(0, scale) folded at zero.
dist half_cauchy(scale: real) on real {
  logpdf(x) = log(2) - log(pi()) - log(scale) - log1p(square(x ./ scale))
  lcdf(x) = log(atan2(x, scale)) + log(2 / pi())
  lccdf(x) = log(atan2(scale, x)) + log(2 / pi())
  rng() = scale * tan(0.5 * pi() * random_uniform())
}

"""#),
        ("discrete.ppl", #"""
// Discrete distributions, with Stan's parameterisations. Written elementwise like
// continuous.ppl; the checker sums over elements. The cdf F(n) = P(N <= n) of the
// binomial and negative binomials is a regularised incomplete beta function, that of the
// Poisson an incomplete gamma function.

// Bernoulli with success probability theta.
dist bernoulli(theta: real) on int {
  logpdf(n) = n .* log(theta) + (1 - n) .* log1m(theta)
  lcdf(n) = log1m(theta .* (n < 1))
  lccdf(n) = log(theta .* (n < 1))
  rng() = random_uniform() < theta
}

// Bernoulli with success probability inv_logit(alpha):
// n log_inv_logit(alpha) + (1 - n) log1m_inv_logit(alpha) = n alpha - log1p_exp(alpha).
dist bernoulli_logit(alpha: real) on int {
  logpdf(n) = n .* alpha - log1p_exp(alpha)
  lcdf(n) = (n < 1) .* log1m_inv_logit(alpha)
  lccdf(n) = log_inv_logit(alpha) + log(n < 1)
  rng() = random_uniform() < inv_logit(alpha)
}

// Binomial with N trials and success probability theta.
dist binomial(N: int, theta: real) on int {
  logpdf(n) = lchoose(N, n) + n .* log(theta) + (N - n) .* log1m(theta)
  lcdf(n) = log(inc_beta(fmax(N - n, 0), fmax(n + 1, 0), 1 - theta))
  lccdf(n) = log(inc_beta(fmax(n + 1, 0), fmax(N - n, 0), theta))
  rng() = random_binomial(N, theta)
}

// Binomial with N trials and success probability inv_logit(alpha), written as
// lchoose(N, n) + n alpha - N log1p_exp(alpha).
dist binomial_logit(N: int, alpha: real) on int {
  logpdf(n) = lchoose(N, n) + n .* alpha - N .* log1p_exp(alpha)
  lcdf(n) = log(inc_beta(fmax(N - n, 0), fmax(n + 1, 0), inv_logit(-alpha)))
  lccdf(n) = log(inc_beta(fmax(n + 1, 0), fmax(N - n, 0), inv_logit(alpha)))
  rng() = random_binomial(N, inv_logit(alpha))
}

// Beta-binomial with N trials and beta(a, b) success probability.
dist beta_binomial(N: int, a: real, b: real) on int {
  logpdf(n) = lchoose(N, n) + lbeta(n + a, N - n + b) - lbeta(a, b)
  rng() = random_binomial(N, beta_rng(a, b))
}

// Poisson with rate lambda.
dist poisson(lambda: real) on int {
  logpdf(n) = n .* log(lambda) - lambda - lgamma(n + 1)
  lcdf(n) = log(gamma_q(n + 1, lambda))
  lccdf(n) = log(gamma_p(n + 1, lambda))
  rng() = random_poisson(lambda)
}

// Poisson with rate exp(alpha).
dist poisson_log(alpha: real) on int {
  logpdf(n) = n .* alpha - exp(alpha) - lgamma(n + 1)
  lcdf(n) = log(gamma_q(n + 1, exp(alpha)))
  lccdf(n) = log(gamma_p(n + 1, exp(alpha)))
  rng() = random_poisson(exp(alpha))
}

// Negative binomial with mean mu and overdispersion phi (variance mu + mu^2 / phi).
dist neg_binomial_2(mu: real, phi: real) on int {
  logpdf(n) = lgamma(n + phi) - lgamma(n + 1) - lgamma(phi) +
    n .* (log(mu) - log(mu + phi)) + phi .* (log(phi) - log(mu + phi))
  lcdf(n) = log(inc_beta(phi, n + 1, phi ./ (mu + phi)))
  lccdf(n) = log(inc_beta(n + 1, phi, mu ./ (mu + phi)))
  // A Poisson whose mean is Gamma(phi, phi / mu).
  rng() = random_poisson(random_gamma(phi) * mu / phi)
}

// Negative binomial with mean exp(eta) and overdispersion phi.
dist neg_binomial_2_log(eta: real, phi: real) on int {
  logpdf(n) = lgamma(n + phi) - lgamma(n + 1) - lgamma(phi) +
    n .* (eta - log_sum_exp(eta, log(phi))) + phi .* (log(phi) - log_sum_exp(eta, log(phi)))
  lcdf(n) = log(inc_beta(phi, n + 1, inv_logit(log(phi) - eta)))
  lccdf(n) = log(inc_beta(n + 1, phi, inv_logit(eta - log(phi))))
  rng() = random_poisson(random_gamma(phi) * exp(eta) / phi)
}

// Negative binomial with shape alpha and inverse scale beta: the number of failures
// before alpha successes of probability beta / (1 + beta); mean alpha / beta.
dist neg_binomial(alpha: real, beta: real) on int {
  logpdf(n) = lgamma(n + alpha) - lgamma(n + 1) - lgamma(alpha) + alpha .* log(beta) - (n + alpha) .* log1p(beta)
  lcdf(n) = log(inc_beta(alpha, n + 1, beta ./ (1 + beta)))
  lccdf(n) = log(inc_beta(n + 1, alpha, 1 ./ (1 + beta)))
  // A Poisson whose mean is Gamma(alpha, beta).
  rng() = random_poisson(random_gamma(alpha) / beta)
}

// Categorical on 1..K with probabilities theta (a simplex).
dist categorical(theta: vector) on int {
  logpdf(n) = log(theta[n])
  // By inversion: one more than the number of the first K - 1 cumulative probabilities
  // below a uniform share of the total.
  rng() = 1 + sum(head(cumulative_sum(theta), rows(theta) - 1) < random_uniform() * sum(theta))
}

// Categorical on 1..K with probabilities softmax(beta).
dist categorical_logit(beta: vector) on int {
  logpdf(n) = log_softmax(beta)[n]
  rng() = categorical_rng(softmax(beta))
}

// Ordered logistic on 1..K with linear predictor eta and cutpoints c (K - 1, increasing):
// P(k) = inv_logit(eta - c[k-1]) - inv_logit(eta - c[k]), with c[0] = -inf and c[K] = +inf,
// in the log scale as log_inv_logit(eta - c[k-1]) + log1m_inv_logit(eta - c[k])
// + log1m_exp(c[k-1] - c[k]). The indicators drop the terms of the missing cutpoints at
// k = 1 and k = K (the indices are clamped so that every term stays finite).
dist ordered_logistic(eta: real, c: vector) on int {
  logpdf(k) {
    let K = rows(c) + 1
    let lo = c[max(k - 1, 1)]
    let hi = c[min(k, K - 1)]
    let first = k == 1
    let last = k == K
    return (1 - first) .* log_inv_logit(eta - lo) + (1 - last) .* log1m_inv_logit(eta - hi) +
      (1 - first) .* (1 - last) .* log1m_exp(lo - hi - (first || last))
  }
  // One more than the number of cutpoints below eta plus a standard logistic draw.
  rng() = 1 + sum(c < eta + logit(random_uniform()))
}

// Multinomial with probabilities theta (a simplex) over the counts y.
dist multinomial(theta: vector) on int[] {
  logpdf(y) = lgamma(sum(y) + 1) - sum(lgamma(y + 1)) + sum(y .* log(theta))
  // Category by category: a binomial draw of what is left, with the probability of the
  // category among those left.
  rng(theta, N: int) {
    let K = rows(theta)
    let y: int[K] = rep_array(0, K)
    let left: int = N
    let mass: real = sum(theta)
    for k in 1:(K - 1) {
      y[k] = random_binomial(left, fmax(0, fmin(1, theta[k] / mass)))
      left = left - y[k]
      mass = mass - theta[k]
    }
    y[K] = left
    return y
  }
}

// Multinomial with probabilities softmax(gamma).
dist multinomial_logit(gamma: vector) on int[] {
  logpdf(y) = lgamma(sum(y) + 1) - sum(lgamma(y + 1)) + sum(y .* log_softmax(gamma))
  rng(gamma, N: int) = multinomial_rng(softmax(gamma), N)
}

"""#),
        ("glm.ppl", #"""
// Generalised linear models as single distributions, as Stan's _glm functions: the
// linear predictor is x * beta + alpha (alpha a scalar intercept or a vector), and the
// log density is the same as that of the distribution it names.

// y ~ poisson_log(x * beta + alpha).
dist poisson_log_glm(x: matrix, alpha: real, beta: vector) on int {
  logpdf(y) = poisson_log_lpmf(y | x * beta + alpha)
  rng() = random_poisson(exp(alpha + x * beta))
}

// y ~ bernoulli_logit(x * beta + alpha).
dist bernoulli_logit_glm(x: matrix, alpha: real, beta: vector) on int {
  logpdf(y) = bernoulli_logit_lpmf(y | x * beta + alpha)
  rng() {
    let eta = alpha + x * beta
    return random_uniform(0 * eta, 1) < inv_logit(eta)
  }
}

// y ~ normal(x * beta + alpha, sigma).
dist normal_id_glm(x: matrix, alpha: real, beta: vector, sigma: real) on real {
  logpdf(y) = normal_lpdf(y | x * beta + alpha, sigma)
  rng() = random_normal(alpha + x * beta, sigma)
}

"""#),
        ("lkj.ppl", #"""
// LKJ distributions on correlation matrices (Lewandowski, Kurowicka & Joe 2009,
// "Generating random correlation matrices based on vines and extended onion method").
// The density of a K×K correlation matrix is det(Omega)^(eta - 1) / c_K(eta); by the vine
// construction the K - k partial correlations of level k are independent Beta(b_k, b_k)
// on (-1, 1) with b_k = eta + (K - 1 - k) / 2, so
// log c_K(eta) = sum_{k=1}^{K-1} (K - k) [(2 b_k - 1) log 2 + lbeta(b_k, b_k)].

// log c_K(eta), with i = K - k running over 1..K-1.
fn lkj_corr_log_normalizer(eta: real, K: int) -> real {
  let i = cumulative_sum(rep_vector(1, K - 1))
  let b = eta + (i - 1) / 2
  return sum(i .* ((2 * b - 1) * log(2) + lbeta(b, b)))
}

// LKJ with shape eta > 0 on a correlation matrix; eta = 1 is uniform.
dist lkj_corr(eta: real) on matrix {
  logpdf(Omega) = (eta - 1) * log_determinant_spd(Omega) - lkj_corr_log_normalizer(eta, rows(Omega))
  rng(K: int, eta) = multiply_lower_tri_self_transpose(lkj_corr_cholesky_rng(K, eta))
}

// LKJ on the Cholesky factor L of a correlation matrix: L L' ~ lkj_corr(eta). The change
// of variables from the free elements of L L' to those of L adds sum_k (K - k) log L_kk, so
// the density is sum_k (K - k + 2 eta - 2) log L_kk - log c_K(eta) (the k = 1 term is 0).
dist lkj_corr_cholesky(eta: real) on matrix {
  logpdf(L) {
    let K = rows(L)
    let k = cumulative_sum(rep_vector(1, K))
    return sum((K - k + 2 * eta - 2) .* log(diagonal(L))) - lkj_corr_log_normalizer(eta, K)
  }
  // Row by row from canonical partial correlations, the one in column j drawn as
  // 2 Beta(b, b) - 1 with b = eta + (K - 1 - j) / 2 (Lewandowski, Kurowicka & Joe 2009,
  // the C-vine method).
  rng(K: int, eta) {
    let L: matrix[K, K] = rep_matrix(0, K, K)
    for i in 1:K {
      let left: real = 1
      for j in 1:(i - 1) {
        let b = eta + 0.5 * (K - 1 - j)
        L[i, j] = (2 * beta_rng(b, b) - 1) * sqrt(left)
        left = left - square(L[i, j])
      }
      L[i, i] = sqrt(left)
    }
    return L
  }
}

"""#),
        ("multivariate.ppl", #"""
// Multivariate distributions: the variate is one vector.

// Dirichlet with concentrations alpha, on the simplex.
dist dirichlet(alpha: vector) on vector {
  logpdf(theta) = lgamma(sum(alpha)) - sum(lgamma(alpha)) + sum((alpha - 1) .* log(theta))
  // Independent Gamma(alpha[k]) draws, normalised.
  rng() {
    let g = random_gamma(alpha)
    return g / sum(g)
  }
}

// Multivariate normal with mean mu and covariance L * L' (L lower-triangular).
dist multi_normal_cholesky(mu: vector, L: matrix) on vector {
  logpdf(y) {
    let z = mdivide_left_tri_low(L, y - mu)
    return -0.5 * dot_self(z) - sum(log(diagonal(L))) - 0.5 * rows(L) * log(2 * pi())
  }
  rng() = mu + L * random_normal(0 * mu, 1)
}

// Multivariate normal with mean mu and covariance Sigma (symmetric positive definite;
// its lower triangle is read), through its Cholesky factor.
dist multi_normal(mu: vector, Sigma: matrix) on vector {
  logpdf(y) = multi_normal_cholesky_lpdf(y | mu, cholesky_decompose(Sigma))
  rng() = multi_normal_cholesky_rng(mu, cholesky_decompose(Sigma))
}

"""#),
    ]
}
