#!/usr/bin/env python3
"""Courtesy check: evaluate each stdlib logpdf FORMULA (transcribed by hand from
stdlib/*.ppl into numpy) at the cases of lpdf_reference.json and report where
it disagrees with the reference by more than 1e-9 relative.

The builtins the formulas call are evaluated two ways:
  accurate  - well-conditioned implementations (scipy.special.betaln, ...), so
              a disagreement points at the formula itself;
  ppl       - mirrors Sources/PPLIR/ScalarMath.swift (lbeta / lchoose as plain
              lgamma sums, log1pExp, log1m_exp switch, ...), so a disagreement
              predicts what the Swift implementation will produce.
Also compares ScalarMath.swift's special functions (transcribed) with
special_functions.json.
"""

import json
import math
import os

import numpy as np
import scipy.special as sc

HERE = os.path.dirname(os.path.abspath(__file__))
pi = math.pi


class Helpers:
    def __init__(self, mode):
        self.mode = mode
        self.lgamma = np.vectorize(math.lgamma, otypes=[float])  # C libm lgamma (as Foundation.lgamma)

    def log1p_exp(self, x):
        x = np.asarray(x, float)
        return np.where(x > 0, x + np.log1p(np.exp(-np.abs(x))), np.log1p(np.exp(np.minimum(x, 0))))

    def log_inv_logit(self, x):
        return -self.log1p_exp(-np.asarray(x, float))

    def log1m_inv_logit(self, x):
        return -self.log1p_exp(x)

    def log1m(self, x):
        return np.log1p(-np.asarray(x, float))

    def lbeta(self, a, b):
        if self.mode == "accurate":
            return sc.betaln(a, b)
        return self.lgamma(a) + self.lgamma(b) - self.lgamma(np.asarray(a, float) + b)

    def lchoose(self, n, k):
        n = np.asarray(n, float); k = np.asarray(k, float)
        if self.mode == "accurate":
            return -np.log1p(n) - sc.betaln(n - k + 1, k + 1)
        return self.lgamma(n + 1) - self.lgamma(k + 1) - self.lgamma(n - k + 1)

    def log_sum_exp(self, a, b):
        a = np.asarray(a, float); b = np.asarray(b, float)
        m = np.maximum(a, b)
        return m + np.log1p(np.exp(-np.abs(a - b)))

    def log_softmax(self, v):
        v = np.asarray(v, float)
        m = v.max()
        return v - (m + np.log(np.sum(np.exp(v - m))))


def square(x):
    return np.square(x)


def log(x):
    return np.log(np.asarray(x, float))


def formulas(h):
    lgamma, log1m, lbeta, lchoose = h.lgamma, h.log1m, h.lbeta, h.lchoose
    F = {}
    # ---- continuous.ppl (transcribed verbatim; .* ./ -> * /, ^ -> **) ----
    F["normal"] = lambda x, mu, sigma: -0.5 * square((x - mu) / sigma) - log(sigma) - 0.5 * log(2 * pi)
    F["std_normal"] = lambda x: -0.5 * square(x) - 0.5 * log(2 * pi)
    F["lognormal"] = lambda x, mu, sigma: -0.5 * square((log(x) - mu) / sigma) - log(sigma) - log(x) - 0.5 * log(2 * pi)
    F["student_t"] = lambda x, nu, mu, sigma: (lgamma(0.5 * (nu + 1)) - lgamma(0.5 * nu) - 0.5 * log(nu * pi) - log(sigma)
                                               - 0.5 * (nu + 1) * np.log1p(square((x - mu) / sigma) / nu))
    F["cauchy"] = lambda x, mu, sigma: -log(pi) - log(sigma) - np.log1p(square((x - mu) / sigma))
    F["double_exponential"] = lambda x, mu, sigma: -log(2) - log(sigma) - np.abs(x - mu) / sigma

    def logistic(x, mu, sigma):
        z = (x - mu) / sigma
        return -z - log(sigma) - 2 * h.log1p_exp(-z)
    F["logistic"] = logistic

    def gumbel(x, mu, beta):
        z = (x - mu) / beta
        return -log(beta) - z - np.exp(-z)
    F["gumbel"] = gumbel
    F["exponential"] = lambda x, beta: log(beta) - beta * x
    F["gamma"] = lambda x, alpha, beta: alpha * log(beta) - lgamma(alpha) + (alpha - 1) * log(x) - beta * x
    F["inv_gamma"] = lambda x, alpha, beta: alpha * log(beta) - lgamma(alpha) - (alpha + 1) * log(x) - beta / x
    F["chi_square"] = lambda x, nu: -0.5 * nu * log(2) - lgamma(0.5 * nu) + (0.5 * nu - 1) * log(x) - 0.5 * x
    F["inv_chi_square"] = lambda x, nu: -0.5 * nu * log(2) - lgamma(0.5 * nu) - (0.5 * nu + 1) * log(x) - 0.5 / x
    F["weibull"] = lambda x, alpha, sigma: log(alpha) - log(sigma) + (alpha - 1) * (log(x) - log(sigma)) - (x / sigma) ** alpha
    F["rayleigh"] = lambda x, sigma: log(x) - 2 * log(sigma) - 0.5 * square(x / sigma)
    F["pareto"] = lambda x, y_min, alpha: log((x >= y_min).astype(float)) + log(alpha) + alpha * log(y_min) - (alpha + 1) * log(x)
    F["beta"] = lambda x, a, b: (a - 1) * log(x) + (b - 1) * log1m(x) - lbeta(a, b)
    F["uniform"] = lambda x, a, b: log(((x >= a) * (x <= b)).astype(float)) - log(b - a)
    F["half_normal"] = lambda x, sigma: log(2) - 0.5 * square(x / sigma) - log(sigma) - 0.5 * log(2 * pi)
    F["half_cauchy"] = lambda x, scale: log(2) - log(pi) - log(scale) - np.log1p(square(x / scale))
    # ---- discrete.ppl ----
    F["bernoulli"] = lambda n, theta: n * log(theta) + (1 - n) * log1m(theta)
    F["bernoulli_logit"] = lambda n, alpha: n * h.log_inv_logit(alpha) + (1 - n) * h.log1m_inv_logit(alpha)
    F["binomial"] = lambda n, N, theta: lchoose(N, n) + n * log(theta) + (N - n) * log1m(theta)
    F["binomial_logit"] = lambda n, N, alpha: lchoose(N, n) + n * h.log_inv_logit(alpha) + (N - n) * h.log1m_inv_logit(alpha)
    F["beta_binomial"] = lambda n, N, a, b: lchoose(N, n) + lbeta(n + a, N - n + b) - lbeta(a, b)
    F["poisson"] = lambda n, lam: n * log(lam) - lam - lgamma(n + 1)
    F["poisson_log"] = lambda n, alpha: n * alpha - np.exp(alpha) - lgamma(n + 1)
    F["neg_binomial_2"] = lambda n, mu, phi: (lgamma(n + phi) - lgamma(n + 1) - lgamma(phi)
                                              + n * (log(mu) - log(mu + phi)) + phi * (log(phi) - log(mu + phi)))
    F["neg_binomial_2_log"] = lambda n, eta, phi: (lgamma(n + phi) - lgamma(n + 1) - lgamma(phi)
                                                   + n * (eta - h.log_sum_exp(eta, log(phi)))
                                                   + phi * (log(phi) - h.log_sum_exp(eta, log(phi))))
    return F


def special_logp(dist, x, args, h):
    if dist == "categorical":
        return math.log(np.asarray(args[0], float)[x - 1])
    if dist == "categorical_logit":
        return float(h.log_softmax(args[0])[x - 1])
    if dist == "dirichlet":
        alpha = np.asarray(args[0], float); theta = np.asarray(x, float)
        return float(math.lgamma(alpha.sum()) - np.sum(h.lgamma(alpha)) + np.sum((alpha - 1) * np.log(theta)))
    if dist == "multi_normal_cholesky":
        mu = np.asarray(args[0], float); L = np.asarray(args[1], float); y = np.asarray(x, float)
        K = len(y); z = np.zeros(K); r = y - mu
        for i in range(K):
            z[i] = (r[i] - L[i, :i] @ z[:i]) / L[i, i]
        return float(-0.5 * (z @ z) - np.sum(np.log(np.diag(L))) - 0.5 * K * math.log(2 * pi))
    return None


# ---- ScalarMath.swift special functions, transcribed ----
def sm_log1pExp(x):
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


def sm_digamma(x):
    if x <= 0 and x == round(x):
        return float("nan")
    if x < 0:
        return sm_digamma(1 - x) - pi / math.tan(pi * x)
    r = 0.0
    while x < 10:
        r -= 1 / x; x += 1
    f = 1 / (x * x)
    series = f * (-1.0 / 12 + f * (1.0 / 120 + f * (-1.0 / 252 + f * (1.0 / 240 + f * (-1.0 / 132
             + f * (691.0 / 32760 + f * (-1.0 / 12)))))))
    return r + math.log(x) - 0.5 / x + series


def sm_trigamma(x):
    if x <= 0 and x == round(x):
        return float("nan")
    if x < 0:
        s = math.sin(pi * x)
        return -sm_trigamma(1 - x) + pi * pi / (s * s)
    r = 0.0
    while x < 10:
        r += 1 / (x * x); x += 1
    f = 1 / (x * x)
    series = 1 / x + f / 2 + f / x * (1.0 / 6 + f * (-1.0 / 30 + f * (1.0 / 42 + f * (-1.0 / 30
             + f * (5.0 / 66 + f * (-691.0 / 2730))))))
    return r + series


def sm_polygamma(n, x):
    if n == 0:
        return sm_digamma(x)
    if n == 1:
        return sm_trigamma(x)
    if x <= 0:
        return float("nan")
    sign = 1.0 if n % 2 == 1 else -1.0
    r = 0.0
    nFact = math.gamma(n + 1)
    while x < 15:
        r += nFact / x ** (n + 1); x += 1
    bern = [1.0 / 6, -1.0 / 30, 1.0 / 42, -1.0 / 30, 5.0 / 66, -691.0 / 2730, 7.0 / 6]
    series = math.gamma(n) / x ** n + nFact / (2 * x ** (n + 1))
    for k, b in enumerate(bern):
        twoK = 2.0 * (k + 1)
        series += b * math.exp(math.lgamma(twoK + n) - math.lgamma(twoK + 1)) / x ** (twoK + n)
    return sign * (r + series)


def sm_log1m_exp(x):
    return math.log(-math.expm1(x)) if x > -0.693147 else math.log1p(-math.exp(x))


SM = {
    "exp": math.exp, "log": math.log, "log1p": math.log1p, "expm1": math.expm1,
    "log1m": lambda x: math.log1p(-x), "sqrt": math.sqrt, "square": lambda x: x * x, "inv": lambda x: 1 / x,
    "inv_logit": lambda x: 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x)),
    "logit": lambda x: math.log(x / (1 - x)),
    "log_inv_logit": lambda x: -sm_log1pExp(-x), "log1m_inv_logit": lambda x: -sm_log1pExp(x),
    "log1p_exp": sm_log1pExp, "log1m_exp": sm_log1m_exp, "lgamma": math.lgamma,
    "digamma": sm_digamma, "trigamma": sm_trigamma, "sin": math.sin, "cos": math.cos, "tan": math.tan,
    "tanh": math.tanh, "abs": abs, "erf": math.erf, "erfc": math.erfc,
    "Phi": lambda x: 0.5 * math.erfc(-x / math.sqrt(2.0)),
    "pow": math.pow, "fmin": min, "fmax": max,
    "log_sum_exp": lambda a, b: max(a, b) + math.log1p(math.exp(-abs(a - b))),
    "log_diff_exp": lambda a, b: a + sm_log1m_exp(b - a),
    "lbeta": lambda a, b: math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b),
    "lchoose": lambda a, b: math.lgamma(a + 1) - math.lgamma(b + 1) - math.lgamma(a - b + 1),
    "polygamma": sm_polygamma,
}


def rel(a, b):
    if a == b:
        return 0.0
    if math.isnan(a):
        return float("inf")
    return abs(a - b) / max(abs(b), 1e-300)


def main():
    cases = json.load(open(os.path.join(HERE, "lpdf_reference.json")))["cases"]
    for mode in ("accurate", "ppl"):
        h = Helpers(mode)
        F = formulas(h)
        bad = {}
        for c in cases:
            d = c["dist"]
            with np.errstate(all="ignore"):
                v = special_logp(d, c["x"], c["args"], h)
                if v is None:
                    arrs = np.broadcast_arrays(np.asarray(c["x"], float), *[np.asarray(a, float) for a in c["args"]])
                    v = float(np.sum(F[d](*arrs)))
            r = rel(v, c["logp"])
            if not r <= 1e-9:
                bad.setdefault(d, []).append((c["x"], c["args"], c["logp"], v, r))
        print(f"== stdlib formulas with {mode} helpers: {len(bad)} distributions disagree (>1e-9 rel)")
        for d, lst in bad.items():
            for x, a, ref, v, r in lst:
                print(f"   {d} x={x} args={a} ref={ref!r} formula={v!r} rel={r:.2e}")
    sp = json.load(open(os.path.join(HERE, "special_functions.json")))["cases"]
    print("== ScalarMath.swift (transcribed) vs special_functions.json (>1e-12 rel)")
    for c in sp:
        try:
            v = float(SM[c["fn"]](*c["x"]))
        except (ValueError, OverflowError, ZeroDivisionError) as e:
            v = float("nan")
        r = rel(v, c["value"])
        if not r <= 1e-12:
            print(f"   {c['fn']}{tuple(c['x'])} ref={c['value']!r} ScalarMath={v!r} rel={r:.2e}")


if __name__ == "__main__":
    main()
