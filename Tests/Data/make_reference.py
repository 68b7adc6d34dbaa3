#!/usr/bin/env python3
"""Reference data for ppl's distribution and special-function tests.

Writes, next to this script:
  lpdf_reference.json      {"cases": [{"dist", "x", "args", "logp"}, ...]}
  special_functions.json   {"cases": [{"fn", "x", "value"}, ...]}

Reference values are computed independently of the stdlib .ppl formulas:

* Log densities: every case is evaluated twice, (1) with scipy.stats, mapping
  Stan's parameterisation onto scipy's, and (2) with mpmath at 50 significant
  digits from the textbook density, using the exact binary value of every
  double input.  The stored "logp" is the mpmath value rounded to double; the
  script asserts that scipy agrees with it (relative 1e-9), except for the few
  cases listed in SCIPY_ILL_CONDITIONED where scipy, in double precision,
  provably cannot (the *_logit / *_log parameter transform loses the digits,
  e.g. log(1 - expit(30)) computed from a rounded probability).  Those cases
  are still checked against scipy with a looser, stated tolerance.
* Vectorised cases follow Stan semantics: all arguments are broadcast against
  the variate and "logp" is the SUM of the elementwise log densities.
* Special functions: mpmath at 50 digits, again on the exact double inputs,
  cross-checked against scipy.special / numpy where those are accurate.

Deterministic: numpy's generator is seeded; run with python3 (scipy >= 1.11,
mpmath >= 1.3).
"""

import json
import math
import os
import sys

import mpmath as mp
import numpy as np
import scipy.special as sc
import scipy.stats as st

mp.mp.dps = 50
HERE = os.path.dirname(os.path.abspath(__file__))
RNG = np.random.default_rng(20240611)

# ---------------------------------------------------------------------------
# Distribution signatures: variate type and parameter types.
#   'real' / 'int' scalars (vectorisable), 'vector' (list of reals), 'matrix'
# ---------------------------------------------------------------------------
R, I, V, MAT, IA = "real", "int", "vector", "matrix", "ints"
SIG = {
    # continuous.ppl
    "normal": (R, [R, R]),
    "std_normal": (R, []),
    "lognormal": (R, [R, R]),
    "student_t": (R, [R, R, R]),
    "cauchy": (R, [R, R]),
    "double_exponential": (R, [R, R]),
    "logistic": (R, [R, R]),
    "gumbel": (R, [R, R]),
    "exponential": (R, [R]),
    "gamma": (R, [R, R]),
    "inv_gamma": (R, [R, R]),
    "chi_square": (R, [R]),
    "inv_chi_square": (R, [R]),
    "weibull": (R, [R, R]),
    "rayleigh": (R, [R]),
    "pareto": (R, [R, R]),
    "beta": (R, [R, R]),
    "uniform": (R, [R, R]),
    "half_normal": (R, [R]),
    "half_cauchy": (R, [R]),
    # discrete.ppl
    "bernoulli": (I, [R]),
    "bernoulli_logit": (I, [R]),
    "binomial": (I, [I, R]),
    "binomial_logit": (I, [I, R]),
    "beta_binomial": (I, [I, R, R]),
    "poisson": (I, [R]),
    "poisson_log": (I, [R]),
    "neg_binomial_2": (I, [R, R]),
    "neg_binomial_2_log": (I, [R, R]),
    "categorical": (I, [V]),
    "categorical_logit": (I, [V]),
    "neg_binomial": (I, [R, R]),
    "ordered_logistic": (I, [R, V]),
    "multinomial": (IA, [V]),
    "multinomial_logit": (IA, [V]),
    # glm.ppl: the linear predictor x * beta + alpha
    "poisson_log_glm": (I, [MAT, R, V]),
    "bernoulli_logit_glm": (I, [MAT, R, V]),
    "normal_id_glm": (R, [MAT, R, V, R]),
    # multivariate.ppl
    "dirichlet": (V, [V]),
    "multi_normal_cholesky": (V, [V, MAT]),
    "multi_normal": (V, [V, MAT]),
}
SCALAR_DISTS = [d for d, (t, ps) in SIG.items() if t in (R, I) and all(p in (R, I) for p in ps)]


# ---------------------------------------------------------------------------
# scipy.stats reference (elementwise on broadcast numpy arrays)
# ---------------------------------------------------------------------------
def _nb2(n, mu, phi):
    return st.nbinom.logpmf(n, phi, phi / (mu + phi))


SCIPY = {
    "normal": lambda x, mu, s: st.norm.logpdf(x, loc=mu, scale=s),
    "std_normal": lambda x: st.norm.logpdf(x),
    "lognormal": lambda x, mu, s: st.lognorm.logpdf(x, s=s, scale=np.exp(mu)),
    "student_t": lambda x, nu, mu, s: st.t.logpdf(x, df=nu, loc=mu, scale=s),
    "cauchy": lambda x, mu, s: st.cauchy.logpdf(x, loc=mu, scale=s),
    "double_exponential": lambda x, mu, s: st.laplace.logpdf(x, loc=mu, scale=s),
    "logistic": lambda x, mu, s: st.logistic.logpdf(x, loc=mu, scale=s),
    "gumbel": lambda x, mu, b: st.gumbel_r.logpdf(x, loc=mu, scale=b),
    "exponential": lambda x, b: st.expon.logpdf(x, scale=1.0 / b),
    "gamma": lambda x, a, b: st.gamma.logpdf(x, a=a, scale=1.0 / b),
    "inv_gamma": lambda x, a, b: st.invgamma.logpdf(x, a=a, scale=b),
    "chi_square": lambda x, nu: st.chi2.logpdf(x, df=nu),
    "inv_chi_square": lambda x, nu: st.invgamma.logpdf(x, a=nu / 2.0, scale=0.5),
    "weibull": lambda x, a, s: st.weibull_min.logpdf(x, c=a, scale=s),
    "rayleigh": lambda x, s: st.rayleigh.logpdf(x, scale=s),
    "pareto": lambda x, ymin, a: st.pareto.logpdf(x, b=a, scale=ymin),
    "beta": lambda x, a, b: st.beta.logpdf(x, a, b),
    "uniform": lambda x, a, b: st.uniform.logpdf(x, loc=a, scale=b - a),
    "half_normal": lambda x, s: st.halfnorm.logpdf(x, scale=s),
    "half_cauchy": lambda x, s: st.halfcauchy.logpdf(x, scale=s),
    "bernoulli": lambda n, p: st.bernoulli.logpmf(n, p),
    "bernoulli_logit": lambda n, a: st.bernoulli.logpmf(n, sc.expit(a)),
    "binomial": lambda n, N, p: st.binom.logpmf(n, N, p),
    "binomial_logit": lambda n, N, a: st.binom.logpmf(n, N, sc.expit(a)),
    "beta_binomial": lambda n, N, a, b: st.betabinom.logpmf(n, N, a, b),
    "poisson": lambda n, lam: st.poisson.logpmf(n, lam),
    "poisson_log": lambda n, a: st.poisson.logpmf(n, np.exp(a)),
    "neg_binomial_2": _nb2,
    "neg_binomial_2_log": lambda n, eta, phi: _nb2(n, np.exp(eta), phi),
    "neg_binomial": lambda n, a, b: st.nbinom.logpmf(n, a, b / (1 + b)),
}


def _ordered_logistic(k, eta, c):
    cuts = np.concatenate([[-np.inf], np.asarray(c, float), [np.inf]])
    return np.log(sc.expit(eta - cuts[k - 1]) - sc.expit(eta - cuts[k]))


def _linear(x, alpha, beta):
    return np.asarray(x, float) @ np.asarray(beta, float) + np.asarray(alpha, float)


def scipy_logp(dist, x, args):
    if dist == "categorical":
        theta = np.asarray(args[0], float)
        onehot = np.zeros(len(theta)); onehot[x - 1] = 1
        return float(st.multinomial.logpmf(onehot, 1, theta))
    if dist == "categorical_logit":
        theta = sc.softmax(np.asarray(args[0], float))
        onehot = np.zeros(len(theta)); onehot[x - 1] = 1
        return float(st.multinomial.logpmf(onehot, 1, theta))
    if dist == "dirichlet":
        return float(st.dirichlet.logpdf(np.asarray(x, float), np.asarray(args[0], float)))
    if dist == "multi_normal_cholesky":
        L = np.asarray(args[1], float)
        return float(st.multivariate_normal.logpdf(np.asarray(x, float), mean=np.asarray(args[0], float), cov=L @ L.T))
    if dist == "multi_normal":
        return float(st.multivariate_normal.logpdf(np.asarray(x, float), mean=np.asarray(args[0], float),
                                                   cov=np.asarray(args[1], float)))
    if dist == "ordered_logistic":
        k, eta = np.broadcast_arrays(np.asarray(x), np.asarray(args[0], float))
        return float(np.sum([_ordered_logistic(int(a), b, args[1]) for a, b in zip(k.ravel(), eta.ravel())]))
    if dist in ("multinomial", "multinomial_logit"):
        theta = np.asarray(args[0], float) if dist == "multinomial" else sc.softmax(np.asarray(args[0], float))
        return float(st.multinomial.logpmf(x, sum(x), theta))
    if dist == "poisson_log_glm":
        return float(np.sum(st.poisson.logpmf(x, np.exp(_linear(*args)))))
    if dist == "bernoulli_logit_glm":
        return float(np.sum(st.bernoulli.logpmf(x, sc.expit(_linear(*args)))))
    if dist == "normal_id_glm":
        return float(np.sum(st.norm.logpdf(x, _linear(*args[:3]), args[3])))
    arrs = np.broadcast_arrays(np.asarray(x, float), *[np.asarray(a, float) for a in args])
    return float(np.sum(SCIPY[dist](*arrs)))


# ---------------------------------------------------------------------------
# mpmath reference (textbook densities, 50 digits, exact double inputs)
# ---------------------------------------------------------------------------
def M(v):
    return mp.mpf(float(v))


def lgam(v):
    return mp.loggamma(v)  # positive real arguments only here


def lbeta(a, b):
    return lgam(a) + lgam(b) - lgam(a + b)


def lchoose(n, k):
    return lgam(n + 1) - lgam(k + 1) - lgam(n - k + 1)


def inv_logit(a):
    return 1 / (1 + mp.exp(-a))


LOG2PI = mp.log(2 * mp.pi)


def xlogy(n, y):
    return mp.mpf(0) if n == 0 else n * mp.log(y)


def mp_scalar(dist, x, a):
    if dist == "normal":
        mu, s = a
        return -((x - mu) / s) ** 2 / 2 - mp.log(s) - LOG2PI / 2
    if dist == "std_normal":
        return -x ** 2 / 2 - LOG2PI / 2
    if dist == "lognormal":
        mu, s = a
        return -((mp.log(x) - mu) / s) ** 2 / 2 - mp.log(s) - mp.log(x) - LOG2PI / 2
    if dist == "student_t":
        nu, mu, s = a
        z = (x - mu) / s
        return (lgam((nu + 1) / 2) - lgam(nu / 2) - mp.log(nu * mp.pi) / 2 - mp.log(s)
                - (nu + 1) / 2 * mp.log(1 + z ** 2 / nu))
    if dist == "cauchy":
        mu, s = a
        return -mp.log(mp.pi * s * (1 + ((x - mu) / s) ** 2))
    if dist == "double_exponential":
        mu, s = a
        return -mp.log(2 * s) - abs(x - mu) / s
    if dist == "logistic":
        mu, s = a
        z = (x - mu) / s
        # pdf = e^{-z} / (s (1 + e^{-z})^2), written symmetric in |z|
        z = abs(z)
        return -z - mp.log(s) - 2 * mp.log1p(mp.exp(-z))
    if dist == "gumbel":
        mu, b = a
        z = (x - mu) / b
        return -mp.log(b) - z - mp.exp(-z)
    if dist == "exponential":
        (b,) = a
        return mp.log(b) - b * x
    if dist == "gamma":
        al, b = a
        return al * mp.log(b) - lgam(al) + (al - 1) * mp.log(x) - b * x
    if dist == "inv_gamma":
        al, b = a
        return al * mp.log(b) - lgam(al) - (al + 1) * mp.log(x) - b / x
    if dist == "chi_square":
        (nu,) = a
        k = nu / 2
        return -k * mp.log(2) - lgam(k) + (k - 1) * mp.log(x) - x / 2
    if dist == "inv_chi_square":
        (nu,) = a
        k = nu / 2
        return -k * mp.log(2) - lgam(k) - (k + 1) * mp.log(x) - 1 / (2 * x)
    if dist == "weibull":
        al, s = a
        return mp.log(al / s) + (al - 1) * mp.log(x / s) - (x / s) ** al
    if dist == "rayleigh":
        (s,) = a
        return mp.log(x / s ** 2) - x ** 2 / (2 * s ** 2)
    if dist == "pareto":
        ymin, al = a
        assert x >= ymin
        return mp.log(al) + al * mp.log(ymin) - (al + 1) * mp.log(x)
    if dist == "beta":
        p, q = a
        return (p - 1) * mp.log(x) + (q - 1) * mp.log(1 - x) - lbeta(p, q)
    if dist == "uniform":
        lo, hi = a
        assert lo <= x <= hi
        return -mp.log(hi - lo)
    if dist == "half_normal":
        (s,) = a
        assert x >= 0
        return mp.log(2) - (x / s) ** 2 / 2 - mp.log(s) - LOG2PI / 2
    if dist == "half_cauchy":
        (s,) = a
        assert x >= 0
        return mp.log(2 / (mp.pi * s)) - mp.log(1 + (x / s) ** 2)
    if dist == "bernoulli":
        (p,) = a
        return mp.log(p) if x == 1 else mp.log(1 - p)
    if dist == "bernoulli_logit":
        (al,) = a
        # log inv_logit(al) = -log(1 + e^{-al});  log(1 - inv_logit(al)) = -log(1 + e^{al})
        return -mp.log1p(mp.exp(-al)) if x == 1 else -mp.log1p(mp.exp(al))
    if dist == "binomial":
        N, p = a
        return lchoose(N, x) + xlogy(x, p) + xlogy(N - x, 1 - p)
    if dist == "binomial_logit":
        N, al = a
        return lchoose(N, x) - x * mp.log1p(mp.exp(-al)) - (N - x) * mp.log1p(mp.exp(al))
    if dist == "beta_binomial":
        N, p, q = a
        return lchoose(N, x) + lbeta(x + p, N - x + q) - lbeta(p, q)
    if dist == "poisson":
        (lam,) = a
        return xlogy(x, lam) - lam - lgam(x + 1)
    if dist == "poisson_log":
        (al,) = a
        return x * al - mp.exp(al) - lgam(x + 1)
    if dist == "neg_binomial":
        al, b = a
        return lgam(x + al) - lgam(x + 1) - lgam(al) + al * mp.log(b / (1 + b)) - x * mp.log1p(b)
    if dist in ("neg_binomial_2", "neg_binomial_2_log"):
        m, phi = a
        if dist == "neg_binomial_2_log":
            m = mp.exp(m)
        return (lgam(x + phi) - lgam(x + 1) - lgam(phi)
                + xlogy(x, m / (m + phi)) + phi * mp.log(phi / (m + phi)))
    raise KeyError(dist)


def mp_logp(dist, x, args):
    if dist == "categorical":
        th = [M(t) for t in args[0]]
        return mp.log(th[x - 1])
    if dist == "categorical_logit":
        b = [M(t) for t in args[0]]
        return b[x - 1] - mp.log(mp.fsum(mp.exp(t) for t in b))
    if dist == "dirichlet":
        al = [M(t) for t in args[0]]
        th = [M(t) for t in x]
        return (lgam(mp.fsum(al)) - mp.fsum(lgam(t) for t in al)
                + mp.fsum((p - 1) * mp.log(t) for p, t in zip(al, th)))
    if dist == "multi_normal_cholesky":
        mu = [M(t) for t in args[0]]
        L = [[M(t) for t in row] for row in args[1]]
        y = [M(t) for t in x]
        K = len(y)
        z = []
        for i in range(K):  # forward substitution L z = y - mu
            acc = y[i] - mu[i] - mp.fsum(L[i][j] * z[j] for j in range(i))
            z.append(acc / L[i][i])
        return (-mp.fsum(t * t for t in z) / 2 - mp.fsum(mp.log(L[i][i]) for i in range(K))
                - K * LOG2PI / 2)
    if dist == "multi_normal":
        mu = mp.matrix([M(t) for t in args[0]])
        S = mp.matrix([[M(t) for t in row] for row in args[1]])
        d = mp.matrix([M(t) for t in x]) - mu
        K = len(x)
        quad = (d.T * mp.lu_solve(S, d))[0]
        return -quad / 2 - mp.log(mp.det(S)) / 2 - K * LOG2PI / 2
    if dist == "ordered_logistic":
        ks, etas = np.broadcast_arrays(np.asarray(x, dtype=object), np.asarray(args[0], dtype=object))
        cuts = [M(t) for t in args[1]]
        total = mp.mpf(0)
        for k, eta in zip(ks.ravel(), etas.ravel()):
            k, eta = int(k), M(eta)
            upper = 1 if k == 1 else inv_logit(eta - cuts[k - 2])
            lower = 0 if k == len(cuts) + 1 else inv_logit(eta - cuts[k - 1])
            total += mp.log(upper - lower)
        return total
    if dist in ("multinomial", "multinomial_logit"):
        th = [M(t) for t in args[0]]
        if dist == "multinomial_logit":
            z = mp.fsum(mp.exp(t) for t in th)
            th = [mp.exp(t) / z for t in th]
        return lgam(sum(x) + 1) - mp.fsum(lgam(n + 1) for n in x) + mp.fsum(xlogy(n, t) for n, t in zip(x, th))
    if dist.endswith("_glm"):
        X = [[M(t) for t in row] for row in args[0]]
        alpha = args[1] if isinstance(args[1], list) else [args[1]] * len(X)
        eta = [mp.fsum(a * M(b) for a, b in zip(row, args[2])) + M(al) for row, al in zip(X, alpha)]
        ys = x if isinstance(x, list) else [x]
        if dist == "poisson_log_glm":
            return mp.fsum(mp_scalar("poisson_log", int(y), [e]) for y, e in zip(ys, eta))
        if dist == "bernoulli_logit_glm":
            return mp.fsum(mp_scalar("bernoulli_logit", int(y), [e]) for y, e in zip(ys, eta))
        return mp.fsum(mp_scalar("normal", M(y), [e, M(args[3])]) for y, e in zip(ys, eta))
    arrs = np.broadcast_arrays(np.asarray(x, dtype=object), *[np.asarray(a, dtype=object) for a in args])
    total = mp.mpf(0)
    for idx in np.ndindex(arrs[0].shape):
        xv = arrs[0][idx]
        xv = int(xv) if SIG[dist][0] == I else M(xv)
        av = []
        for t, arr in zip(SIG[dist][1], arrs[1:]):
            av.append(int(arr[idx]) if t == I else M(arr[idx]))
        total += mp_scalar(dist, xv, av)
    return total


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------
CASES = []


def coerce(v, t):
    if t == I:
        if isinstance(v, list):
            return [int(u) for u in v]
        assert float(v) == int(v)
        return int(v)
    if t == R:
        return [float(u) for u in v] if isinstance(v, list) else float(v)
    if t == V:
        return [float(u) for u in v]
    if t == MAT:
        return [[float(u) for u in row] for row in v]
    if t == IA:
        return [int(u) for u in v]
    raise KeyError(t)


def add(dist, x, *args):
    xt, pts = SIG[dist]
    assert len(args) == len(pts), dist
    x = coerce(x, xt if xt != V else V)
    args = [coerce(a, t) for a, t in zip(args, pts)]
    CASES.append({"dist": dist, "x": x, "args": args})


# --- continuous -------------------------------------------------------------
add("normal", 0.0, 0.0, 1.0)
add("normal", 1.5, -0.3, 2.0)
add("normal", 21.0, 1.0, 2.5)            # 8 sigma above the mean
add("normal", -1000.0, 0.0, 1.0)         # extreme tail
add("normal", 0.1, 0.1, 1e-3)            # at the mean, tiny sigma
add("normal", [-1.0, 0.25, 3.0], 0.5, 1.3)
add("normal", [-1.0, 0.25, 3.0], [0.0, -2.0, 10.0], 1.3)
add("normal", [0.5, 0.5, 0.5], 0.0, [0.1, 1.0, 10.0])

add("std_normal", 0.0)
add("std_normal", 1.0)
add("std_normal", -8.0)
add("std_normal", 38.0)
add("std_normal", 1e-8)
add("std_normal", [-1.0, 0.25, 3.0])
add("std_normal", [10.0, -10.0, 0.0, 2.5])

add("lognormal", 1.0, 0.0, 1.0)
add("lognormal", 1e-6, 0.0, 0.5)         # far left tail
add("lognormal", 1e6, 2.0, 3.0)
add("lognormal", 2.718281828459045, 1.0, 0.1)
add("lognormal", 0.3, -1.2, 0.8)
add("lognormal", [0.5, 1.0, 4.0], 0.2, 0.7)
add("lognormal", [0.5, 1.0, 4.0], [0.0, 1.0, -1.0], 0.7)

add("student_t", 0.0, 3.0, 0.0, 1.0)
add("student_t", 1e3, 2.5, 0.0, 1.0)     # heavy tail
add("student_t", -2.0, 1e6, -1.0, 0.5)   # nearly normal
add("student_t", 5.0, 1.0, 2.0, 3.0)     # Cauchy
add("student_t", 0.3, 0.5, 0.2, 0.01)
add("student_t", [-1.0, 0.0, 4.0], 4.0, 0.5, 2.0)
add("student_t", [-1.0, 0.0, 4.0], [1.0, 5.0, 30.0], 0.5, 2.0)

add("cauchy", 0.0, 0.0, 1.0)
add("cauchy", 1e8, 0.0, 1.0)
add("cauchy", -3.0, 2.0, 0.5)
add("cauchy", 1.5, 1.5, 1e-3)
add("cauchy", [-2.0, 0.0, 7.5], 1.0, 2.0)
add("cauchy", [-2.0, 0.0, 7.5], [0.0, 1.0, 2.0], 2.0)

add("double_exponential", 0.0, 0.0, 1.0)
add("double_exponential", 40.0, 0.0, 1.0)
add("double_exponential", -2.2, 1.0, 0.3)
add("double_exponential", 3.0, 3.0, 2.0)
add("double_exponential", [-1.0, 0.5, 2.0], 0.5, 1.5)
add("double_exponential", [-1.0, 0.5, 2.0], [-1.0, 0.0, 1.0], 1.5)

add("logistic", 0.0, 0.0, 1.0)
add("logistic", 50.0, 0.0, 1.0)
add("logistic", -800.0, 0.0, 1.0)        # exp(-z) overflows if evaluated naively
add("logistic", 2.5, 1.0, 0.7)
add("logistic", -3.0, -1.0, 2.5)
add("logistic", [-2.0, 0.0, 3.0], 0.5, 1.2)
add("logistic", [-2.0, 0.0, 3.0], [0.0, 1.0, -4.0], 1.2)

add("gumbel", 0.0, 0.0, 1.0)
add("gumbel", -3.0, 0.0, 1.0)
add("gumbel", -20.0, 0.0, 1.0)           # doubly exponential left tail
add("gumbel", 30.0, 1.0, 2.0)
add("gumbel", 1.7, 2.0, 0.5)
add("gumbel", [-1.0, 0.5, 4.0], 0.5, 2.0)
add("gumbel", [-1.0, 0.5, 4.0], [0.0, 1.0, 2.0], 2.0)

add("exponential", 1.0, 1.0)
add("exponential", 0.0, 2.0)
add("exponential", 100.0, 0.5)
add("exponential", 1e-8, 3.0)
add("exponential", 2.5, 1e-3)
add("exponential", [0.1, 1.0, 5.0], 0.7)
add("exponential", [0.1, 1.0, 5.0], [0.5, 1.0, 4.0])

add("gamma", 1.0, 1.0, 1.0)
add("gamma", 0.5, 2.5, 3.0)
add("gamma", 1e-6, 0.5, 2.0)
add("gamma", 50.0, 30.0, 0.7)
add("gamma", 1e3, 1e3, 1.0)
add("gamma", [0.2, 1.0, 6.0], 2.0, 0.5)
add("gamma", [0.2, 1.0, 6.0], [0.5, 2.0, 9.0], 0.5)

add("inv_gamma", 1.0, 1.0, 1.0)
add("inv_gamma", 0.01, 3.0, 2.0)          # left tail
add("inv_gamma", 100.0, 0.5, 1.5)
add("inv_gamma", 2.5, 10.0, 20.0)
add("inv_gamma", [0.2, 1.0, 6.0], 2.0, 0.5)
add("inv_gamma", [0.2, 1.0, 6.0], [0.5, 2.0, 9.0], 0.5)

add("chi_square", 1.0, 1.0)
add("chi_square", 0.01, 3.0)
add("chi_square", 50.0, 10.0)
add("chi_square", 3.3, 2.5)
add("chi_square", 1e3, 1e3)
add("chi_square", [0.5, 2.0, 9.0], 3.0)
add("chi_square", [0.5, 2.0, 9.0], [1.0, 4.0, 7.5])

add("inv_chi_square", 1.0, 1.0)
add("inv_chi_square", 0.05, 3.0)
add("inv_chi_square", 10.0, 2.5)
add("inv_chi_square", 0.3, 10.0)
add("inv_chi_square", [0.1, 0.5, 3.0], 3.0)
add("inv_chi_square", [0.1, 0.5, 3.0], [1.0, 4.0, 7.5])

add("weibull", 1.0, 1.0, 1.0)
add("weibull", 0.5, 2.5, 1.5)
add("weibull", 10.0, 0.5, 2.0)
add("weibull", 1e-4, 3.0, 0.2)
add("weibull", 4.0, 5.0, 3.9)
add("weibull", [0.3, 1.0, 2.5], 1.5, 2.0)
add("weibull", [0.3, 1.0, 2.5], [0.8, 1.5, 4.0], 2.0)

add("rayleigh", 1.0, 1.0)
add("rayleigh", 0.01, 2.0)
add("rayleigh", 10.0, 1.5)
add("rayleigh", 3.3, 3.3)
add("rayleigh", [0.3, 1.0, 2.5], 1.5)
add("rayleigh", [0.3, 1.0, 2.5], [0.5, 1.0, 2.0])

add("pareto", 1.5, 1.0, 2.0)
add("pareto", 1e4, 0.5, 3.0)              # far tail
add("pareto", 2.0, 2.0, 1.5)              # at y_min
add("pareto", 7.3, 0.1, 0.8)
add("pareto", [1.0, 2.0, 10.0], 0.5, 1.5)
add("pareto", [1.0, 2.0, 10.0], [0.5, 1.0, 2.0], 1.5)

add("beta", 0.5, 1.0, 1.0)
add("beta", 1e-10, 0.5, 2.0)              # near 0
add("beta", 1 - 1e-10, 3.0, 0.5)          # near 1
add("beta", 0.3, 2.5, 7.1)
add("beta", 0.999, 100.0, 0.1)
add("beta", 1e-3, 1e-2, 1e-2)             # U-shaped, small shapes
add("beta", [0.1, 0.5, 0.9], 2.0, 3.0)
add("beta", [0.1, 0.5, 0.9], [0.5, 1.0, 4.0], 3.0)

add("uniform", 0.5, 0.0, 1.0)
add("uniform", -3.0, -10.0, 10.0)
add("uniform", 1e-3, 0.0, 1e-2)
add("uniform", 2.5, 2.0, 2.5)             # at the upper bound
add("uniform", [0.1, 0.5, 0.9], 0.0, 2.0)
add("uniform", [0.1, 0.5, 0.9], [-1.0, 0.0, 0.5], 2.0)

add("half_normal", 0.5, 1.0)
add("half_normal", 8.0, 1.0)
add("half_normal", 1e-5, 2.0)
add("half_normal", 30.0, 3.5)
add("half_normal", [0.1, 1.0, 3.0], 1.5)
add("half_normal", [0.1, 1.0, 3.0], [0.5, 1.0, 2.0])

add("half_cauchy", 0.5, 1.0)
add("half_cauchy", 1e6, 1.0)
add("half_cauchy", 1e-5, 2.5)
add("half_cauchy", 3.0, 0.1)
add("half_cauchy", [0.1, 1.0, 3.0], 1.5)
add("half_cauchy", [0.1, 1.0, 3.0], [0.5, 1.0, 2.0])

# --- discrete ---------------------------------------------------------------
add("bernoulli", 1, 0.3)
add("bernoulli", 0, 0.3)
add("bernoulli", 1, 1e-10)
add("bernoulli", 0, 1 - 1e-10)
add("bernoulli", 0, 0.999)
add("bernoulli", [1, 0, 1], 0.3)
add("bernoulli", [1, 0, 1], [0.1, 0.5, 0.9])

add("bernoulli_logit", 1, 0.0)
add("bernoulli_logit", 1, 30.0)
add("bernoulli_logit", 0, 30.0)
add("bernoulli_logit", 1, -30.0)
add("bernoulli_logit", 0, -30.0)
add("bernoulli_logit", 1, 2.5)
add("bernoulli_logit", [1, 0, 1], 0.7)
add("bernoulli_logit", [1, 0, 1], [-2.0, 0.5, 40.0])

add("binomial", 3, 10, 0.3)
add("binomial", 0, 5, 0.1)
add("binomial", 5, 5, 0.9)
add("binomial", 500, 1000, 0.5)
add("binomial", 1, 100, 1e-4)
add("binomial", [0, 3, 10], 10, 0.4)
add("binomial", [0, 3, 10], [5, 10, 20], 0.4)
add("binomial", [0, 3, 10], 10, [0.1, 0.5, 0.9])

add("binomial_logit", 3, 10, -0.5)
add("binomial_logit", 0, 20, 30.0)
add("binomial_logit", 20, 20, 30.0)
add("binomial_logit", 7, 12, -30.0)
add("binomial_logit", 50, 100, 0.0)
add("binomial_logit", [0, 3, 10], 10, 0.4)
add("binomial_logit", [0, 3, 10], 10, [-1.0, 0.0, 2.0])

add("beta_binomial", 3, 10, 2.0, 3.0)
add("beta_binomial", 0, 5, 0.5, 0.5)
add("beta_binomial", 500, 1000, 50.0, 50.0)
add("beta_binomial", 10, 10, 1.0, 1.0)
add("beta_binomial", 1, 100, 0.1, 20.0)
add("beta_binomial", [0, 3, 10], 10, 2.0, 3.0)
add("beta_binomial", [0, 3, 10], 10, [0.5, 2.0, 8.0], 3.0)

add("poisson", 0, 1.0)
add("poisson", 3, 2.5)
add("poisson", 1000, 950.0)
add("poisson", 100000, 100000.0)
add("poisson", 0, 1e-5)
add("poisson", 20, 0.5)                    # far right tail
add("poisson", [0, 2, 7], 3.0)
add("poisson", [0, 2, 7], [0.5, 2.0, 10.0])

add("poisson_log", 0, 0.0)
add("poisson_log", 3, 0.9)
add("poisson_log", 1000, 6.9)
add("poisson_log", 0, -20.0)
add("poisson_log", 25, 3.0)
add("poisson_log", [0, 2, 7], 1.1)
add("poisson_log", [0, 2, 7], [-1.0, 0.5, 2.0])

add("neg_binomial_2", 0, 1.0, 1.0)
add("neg_binomial_2", 5, 3.0, 2.5)
add("neg_binomial_2", 100, 10.0, 0.5)
add("neg_binomial_2", 7, 7.0, 1e6)         # nearly Poisson
add("neg_binomial_2", 0, 1e-3, 10.0)
add("neg_binomial_2", 2, 50.0, 1e-2)
add("neg_binomial_2", [0, 2, 7], 3.0, 2.0)
add("neg_binomial_2", [0, 2, 7], [0.5, 2.0, 10.0], 2.0)

add("neg_binomial_2_log", 0, 0.0, 1.0)
add("neg_binomial_2_log", 5, 1.1, 2.5)
add("neg_binomial_2_log", 100, 2.3, 0.5)
add("neg_binomial_2_log", 7, 2.0, 1e6)
add("neg_binomial_2_log", 3, -5.0, 4.0)
add("neg_binomial_2_log", [0, 2, 7], 1.1, 2.0)
add("neg_binomial_2_log", [0, 2, 7], [-1.0, 0.5, 2.0], 2.0)

add("categorical", 1, [0.2, 0.3, 0.5])
add("categorical", 3, [0.2, 0.3, 0.5])
add("categorical", 2, [0.25, 0.25, 0.25, 0.25])
add("categorical", 4, [0.5, 0.3, 0.2 - 1e-12, 1e-12])
add("categorical", 1, [1.0])

add("categorical_logit", 2, [0.0, 0.0, 0.0])
add("categorical_logit", 3, [1.0, 2.0, 3.0])
add("categorical_logit", 1, [-30.0, 0.0, 30.0])
add("categorical_logit", 2, [700.0, 0.0, -5.0])   # naive softmax overflows
add("categorical_logit", 4, [0.5, -1.2, 2.2, 0.1])

add("neg_binomial", 0, 1.0, 1.0)
add("neg_binomial", 5, 3.0, 0.5)
add("neg_binomial", 100, 10.0, 0.2)
add("neg_binomial", 3, 1e4, 1e3)           # nearly Poisson
add("neg_binomial", [0, 2, 7], 2.0, 0.7)
add("neg_binomial", [0, 2, 7], [0.5, 2.0, 10.0], [1.0, 0.3, 2.0])

add("ordered_logistic", 1, 0.3, [-1.0, 0.5, 2.0])
add("ordered_logistic", 2, 0.3, [-1.0, 0.5, 2.0])
add("ordered_logistic", 4, 0.3, [-1.0, 0.5, 2.0])
add("ordered_logistic", 1, 30.0, [-1.0, 0.5])        # far into the last category
add("ordered_logistic", 2, -3.0, [0.0])
add("ordered_logistic", 3, 1.0, [0.0, 1.0 - 1e-9, 1.5])  # adjacent cutpoints
add("ordered_logistic", [1, 3, 2, 4], 0.2, [-0.5, 0.5, 1.5])
add("ordered_logistic", [1, 3, 2, 4], [-1.0, 0.0, 2.0, 5.0], [-0.5, 0.5, 1.5])

add("multinomial", [1, 0, 2], [0.2, 0.3, 0.5])
add("multinomial", [10, 20, 30, 40], [0.1, 0.2, 0.3, 0.4])
add("multinomial", [0, 0, 5], [0.1, 0.1, 0.8])
add("multinomial", [3], [1.0])

add("multinomial_logit", [1, 0, 2], [0.0, 0.5, -1.0])
add("multinomial_logit", [10, 20, 30, 40], [700.0, 700.5, 699.0, 701.0])  # naive softmax overflows
add("multinomial_logit", [1, 4], [-3.0, 3.0])

GLM_X = [[1.0, 0.5], [0.2, -1.0], [0.3, 0.3], [-1.0, 2.0], [0.5, 0.1]]
add("poisson_log_glm", [0, 3, 1, 5, 2], GLM_X, 0.3, [0.5, -0.2])
add("poisson_log_glm", [0, 3, 1, 5, 2], GLM_X, [0.1, 0.2, 0.3, 0.4, 0.5], [1.0, 0.7])
add("poisson_log_glm", 4, [[0.5, 1.5]], -1.0, [2.0, 0.1])
add("bernoulli_logit_glm", [0, 1, 1, 0, 1], GLM_X, -0.5, [1.5, -2.0])
add("bernoulli_logit_glm", [0, 1, 1, 0, 1], GLM_X, [0.0, 1.0, -1.0, 2.0, 0.5], [20.0, 3.0])
add("normal_id_glm", [0.4, -1.0, 2.5, 0.0, 1.0], GLM_X, 0.2, [1.0, -0.5], 0.8)
add("normal_id_glm", [0.4, -1.0, 2.5, 0.0, 1.0], GLM_X, [0.1, 0.2, 0.3, 0.4, 0.5], [1.0, -0.5], 2.5)

# --- multivariate -----------------------------------------------------------
def simplex(alpha):
    th = RNG.dirichlet(alpha)
    th = np.maximum(th, 1e-300)
    th[-1] = 1.0 - th[:-1].sum()
    assert th[-1] > 0
    return [float(t) for t in th]


add("dirichlet", [1 / 3, 1 / 3, 1 - 2 / 3], [1.0, 1.0, 1.0])
add("dirichlet", simplex([2.0, 3.0, 4.0]), [2.0, 3.0, 4.0])
add("dirichlet", simplex([10.0, 20.0, 30.0, 40.0]), [10.0, 20.0, 30.0, 40.0])
add("dirichlet", [1e-8, 1 - 1e-8], [0.5, 0.5])
add("dirichlet", simplex([0.3, 0.4, 0.5]), [0.3, 0.4, 0.5])
add("dirichlet", simplex([1.0] * 6), [0.8, 1.2, 2.0, 5.0, 0.5, 1.0])


def chol(K, scale=1.0):
    L = np.tril(RNG.normal(size=(K, K)) * scale)
    for i in range(K):
        L[i, i] = abs(L[i, i]) + 0.5 * scale
    return [[float(round(v, 6)) for v in row] for row in L]


add("multi_normal_cholesky", [0.3], [0.0], [[2.0]])
add("multi_normal_cholesky", [1.0, -1.0], [0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]])
L3 = chol(3)
add("multi_normal_cholesky", [float(round(v, 6)) for v in RNG.normal(size=3)], [0.1, -0.2, 0.3], L3)
L4 = chol(4, 0.5)
add("multi_normal_cholesky", [float(round(v, 6)) for v in RNG.normal(size=4)], [1.0, 2.0, 3.0, 4.0], L4)
add("multi_normal_cholesky", [10.0, -10.0, 5.0], [0.0, 0.0, 0.0], L3)   # far from the mean
add("multi_normal_cholesky", [0.5, 0.4], [0.5, 0.5], [[1e-3, 0.0], [2.0, 0.1]])  # strong correlation


def cov(L):
    L = np.asarray(L)
    return [[float(v) for v in row] for row in L @ L.T]


add("multi_normal", [0.3], [0.0], [[4.0]])
add("multi_normal", [1.0, -1.0], [0.0, 0.5], [[2.0, 0.3], [0.3, 1.0]])
add("multi_normal", [float(round(v, 6)) for v in RNG.normal(size=3)], [0.1, -0.2, 0.3], cov(L3))
add("multi_normal", [10.0, -10.0, 5.0], [0.0, 0.0, 0.0], cov(L3))
add("multi_normal", [float(round(v, 6)) for v in RNG.normal(size=4)], [1.0, 2.0, 3.0, 4.0], cov(L4))


# ---------------------------------------------------------------------------
# Evaluate
# ---------------------------------------------------------------------------
def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def explain_logit_loss(c, sp):
    """scipy is handed the probability expit(alpha) ROUNDED to double; for
    |alpha| ~ 30 that rounding alone changes log(1 - p) in the 4th digit.
    Confirm that scipy's value is exactly what the rounded probability gives,
    so the disagreement is scipy's input rounding, not a wrong reference."""
    if c["dist"] == "ordered_logistic":
        ks, etas = np.broadcast_arrays(np.asarray(c["x"]), np.asarray(c["args"][0], float))
        cuts = np.concatenate([[-np.inf], np.asarray(c["args"][1], float), [np.inf]])
        rounded = mp.fsum(mp.log(M(sc.expit(e - cuts[k - 1])) - M(sc.expit(e - cuts[k])))
                          for k, e in zip(ks.ravel(), etas.ravel()))
        return rel(sp, float(rounded)) < 1e-9
    if c["dist"] == "bernoulli_logit_glm":
        p = [float(v) for v in sc.expit(_linear(*c["args"]))]
        return rel(sp, float(mp_logp("bernoulli", c["x"], [p]))) < 1e-9
    if c["dist"] not in ("bernoulli_logit", "binomial_logit"):
        return False
    base = "bernoulli" if c["dist"] == "bernoulli_logit" else "binomial"
    args = list(c["args"])
    args[-1] = float(sc.expit(np.asarray(args[-1], float))) if not isinstance(args[-1], list) \
        else [float(v) for v in sc.expit(np.asarray(args[-1], float))]
    return rel(sp, float(mp_logp(base, c["x"], args))) < 1e-9


def build_lpdf():
    out, notes = [], []
    for c in CASES:
        exact = mp_logp(c["dist"], c["x"], c["args"])
        val = float(exact)
        assert math.isfinite(val), c
        sp = scipy_logp(c["dist"], c["x"], c["args"])
        r = rel(sp, val)
        if r > 1e-9:
            assert explain_logit_loss(c, sp), ("scipy disagrees with the 50-digit value", c, val, sp)
            notes.append((c["dist"], c["x"], c["args"], val, sp, r, abs(sp - val)))
        out.append({"dist": c["dist"], "x": c["x"], "args": c["args"], "logp": val})
    return out, notes


# ---------------------------------------------------------------------------
# Special functions
# ---------------------------------------------------------------------------
def m_lgamma(x):
    if x > 0:
        return mp.loggamma(x)
    return mp.log(abs(mp.gamma(x)))


def m_polygamma(n, x):
    return mp.psi(int(n), x)


def m_inc_beta(a, b, x):
    # The limits I_x(0, b) = 1 and I_x(a, 0) = 0 (0 < x < 1), as Stan's binomial cdfs use them.
    if a == 0:
        return mp.mpf(1)
    if b == 0:
        return mp.mpf(0)
    return mp.betainc(a, b, 0, x, regularized=True)


INC_BETA_POINTS = [(1.0, 1.0, 0.5), (2.0, 3.0, 0.4), (0.5, 0.5, 1e-3), (10.0, 20.0, 0.3), (0.01, 0.01, 0.5),
                   (100.0, 0.5, 0.999), (500000.0, 0.5, 0.99999), (1.5, 0.5, 3e-10), (200.0, 300.0, 0.41),
                   (0.1, 50.0, 0.2), (3.0, 2.0, 0.9999), (0.0, 2.0, 0.3), (2.0, 0.0, 0.3)]
GAMMA_POINTS = [(1.0, 1.0), (0.5, 2.0), (3.0, 0.5), (10.0, 12.0), (1000.0, 1000.0), (0.01, 0.5), (50.0, 20.0),
                (2.5, 40.0), (1e-3, 1e-3), (20.0, 60.0), (1.0, 700.0), (7.0, 1e-5)]
INC_BETA_DERIVATIVE_POINTS = [(2.0, 3.0, 0.4), (0.5, 0.5, 0.2), (10.0, 20.0, 0.3), (1.5, 0.5, 0.9), (40.0, 3.0, 0.97)]
GAMMA_DERIVATIVE_POINTS = [(2.5, 1.0), (3.0, 7.0), (0.5, 0.2), (20.0, 25.0), (4.0, 1.5)]

SPECIAL = {
    "exp": (mp.exp, [0.0, 1.0, -1.5, 1e-10, 700.0, -700.0, -745.0 + 36.0]),
    "log": (mp.log, [1.0, 2.5, 1e-300, 1e300, 1.0 + 1e-10, 5e-324 * 4]),
    "log1p": (mp.log1p, [1e-15, -0.5, 3.0, 1e10, -1.0 + 1e-10, -1e-300]),
    "expm1": (mp.expm1, [1e-15, -1e-10, 0.5, 5.0, -50.0, 700.0]),
    "log1m": (lambda x: mp.log1p(-x), [1e-15, 0.5, -10.0, 1.0 - 1e-10, 0.999, -1e300]),
    "sqrt": (mp.sqrt, [0.0, 2.0, 0.25, 1e-300, 1e300, 7.0]),
    "square": (lambda x: x * x, [3.0, -1.5, 1e150, 1e-150, 0.0, 1.1]),
    "inv": (lambda x: 1 / x, [3.0, -0.25, 1e-300, 1e300, 7.0, -1e-10]),
    "logit": (lambda x: mp.log(x / (1 - x)), [0.5, 1e-10, 1.0 - 1e-10, 0.25, 0.9, 1e-300]),
    "inv_logit": (lambda x: 1 / (1 + mp.exp(-x)), [0.0, 2.5, 30.0, -30.0, -700.0, 40.0, 1e-10]),
    "log_inv_logit": (lambda x: -mp.log1p(mp.exp(-x)), [0.0, 1.0, 30.0, -30.0, 800.0, -800.0, 40.0]),
    "log1m_inv_logit": (lambda x: -mp.log1p(mp.exp(x)), [0.0, -1.0, 30.0, -30.0, 800.0, -800.0, -40.0]),
    "log1p_exp": (lambda x: mp.log1p(mp.exp(x)), [0.0, 1e-10, 30.0, -30.0, 800.0, -800.0, 40.0]),
    "log1m_exp": (lambda x: mp.log(-mp.expm1(x)), [-1e-10, -1.0, -0.6931471805599453, -30.0, -800.0, -1e-300, -40.0]),
    "lgamma": (m_lgamma, [1.0 + 1e-8, 2.0 - 1e-8, 0.5, 1e-10, 1e-300, 1e10, 1e300, -2.5]),
    "digamma": (mp.digamma, [1.0, 0.5, 1e-10, 1e10, -0.5, -2.5, 30.0, 1.4616321449683622]),
    "trigamma": (lambda x: mp.psi(1, x), [1.0, 0.5, 1e-10, 1e10, -0.5, -2.5, 30.0]),
    "sin": (mp.sin, [0.5, 1e-10, math.pi, -3.0, 100.0, 1e6, 1e22]),
    "cos": (mp.cos, [0.5, 1e-10, math.pi / 2, -3.0, 100.0, 1e6, 1e22]),
    "tan": (mp.tan, [0.5, 1e-10, math.pi / 2, -3.0, 100.0, 1e6, math.pi / 4]),
    "tanh": (mp.tanh, [0.0, 0.5, 1e-10, 20.0, -20.0, -3.0, 1e-300]),
    "abs": (abs, [-3.5, 0.0, 2.0, -1e-300, 1e300, -5e-324]),
    "erf": (mp.erf, [0.0, 0.5, 1e-10, 3.0, -2.0, 6.0, -1e-300]),
    "erfc": (mp.erfc, [0.0, 0.5, 3.0, 10.0, 26.0, -2.0, -6.0, 1e-10]),
    "Phi": (mp.ncdf, [0.0, 1.96, -1.96, -10.0, -37.0, 8.0, 1e-10, -20.0]),
    "lbeta": (lambda a, b: m_lgamma(a) + m_lgamma(b) - m_lgamma(a + b),
              [(1.0, 1.0), (0.5, 0.5), (1e-10, 1.0), (100.0, 200.0), (1e10, 1e10), (2.5, 1e5), (1e-8, 1e-8), (3.0, 4.0)]),
    "lchoose": (lambda n, k: m_lgamma(n + 1) - m_lgamma(k + 1) - m_lgamma(n - k + 1),
                [(10.0, 3.0), (5.0, 1.0), (1000.0, 500.0), (1e6, 10.0), (4.5, 2.2), (50.0, 49.0), (20.0, 1.0), (1e10, 3.0)]),
    "log_sum_exp": (lambda a, b: mp.log(mp.exp(a) + mp.exp(b)),
                    [(0.0, 0.0), (1000.0, 1000.0), (-1000.0, -1000.0), (0.0, -50.0), (800.0, -800.0), (2.0, 3.0), (-1e-10, 1e-10)]),
    "log_diff_exp": (lambda a, b: mp.log(mp.exp(a) - mp.exp(b)),
                     [(0.0, -1.0), (1000.0, 999.0), (0.0, -50.0), (1e-10, 0.0), (-1000.0, -1001.0), (3.0, 2.9999999), (0.0, -1e-10)]),
    "pow": (lambda x, y: mp.power(x, y),
            [(2.0, 10.0), (2.0, 0.5), (1e10, -3.0), (10.0, 308.0), (-2.0, 3.0), (1.0000001, 1e8), (0.0, 2.0), (2.5, -1.5)]),
    "fmin": (min, [(1.0, 2.0), (-3.0, -3.5), (1e300, -1e300), (2.5, 2.5000001), (-1e-300, 1e-300)]),
    "fmax": (max, [(1.0, 2.0), (-3.0, -3.5), (1e300, -1e300), (2.5, 2.5000001), (-1e-300, 1e-300)]),
    "polygamma": (m_polygamma,
                  [(n, x) for n in (0, 1, 2, 3) for x in (0.5, 1.0, 3.7, 1e-5, 100.0, -1.5)]),
    "log_erfc": (lambda x: mp.log(mp.erfc(x)), [-30.0, -3.0, 0.0, 0.5, 5.0, 25.9, 26.0, 27.5, 100.0, 1e5, 1e10]),
    "atan": (mp.atan, [0.0, 0.5, -2.0, 1e10, -1e-10, 1e300]),
    "atan2": (mp.atan2, [(1.0, 1.0), (1.0, -1.0), (-1.0, -1e-10), (0.0, 2.0), (3.0, 0.0), (-2.5, 7.0), (1e-300, -1.0)]),
    "inc_beta": (m_inc_beta, INC_BETA_POINTS),
    "gamma_p": (lambda a, x: mp.gammainc(a, 0, x, regularized=True), GAMMA_POINTS),
    "gamma_q": (lambda a, x: mp.gammainc(a, x, mp.inf, regularized=True), GAMMA_POINTS),
}

# Partial derivatives of the incomplete functions, named as the IR names them
# (inc_beta_d101 = d^2 I / da dx), by mpmath's numerical differentiation at 50 digits.
for orders in [(1, 0, 0), (0, 1, 0), (0, 0, 1), (2, 0, 0), (1, 1, 0), (0, 2, 0), (1, 0, 1), (0, 1, 1), (0, 0, 2), (3, 0, 0)]:
    SPECIAL["inc_beta_d" + "".join(map(str, orders))] = (
        (lambda o: lambda a, b, x: mp.diff(m_inc_beta, (a, b, x), o))(orders), INC_BETA_DERIVATIVE_POINTS)
for orders in [(1, 0), (0, 1), (2, 0), (1, 1), (0, 2), (3, 0)]:
    for name, upper in (("gamma_p", False), ("gamma_q", True)):
        f = SPECIAL[name][0]
        SPECIAL[name + "_d" + "".join(map(str, orders))] = (
            (lambda o, f: lambda a, x: mp.diff(f, (a, x), o))(orders, f), GAMMA_DERIVATIVE_POINTS)

# Cross-check against double-precision libraries (tolerance, function).
DOUBLE_IMPL = {
    "exp": np.exp, "log": np.log, "log1p": np.log1p, "expm1": np.expm1,
    "log1m": lambda x: np.log1p(-x), "sqrt": np.sqrt, "square": np.square, "inv": lambda x: 1 / x,
    "logit": sc.logit, "inv_logit": sc.expit, "log_inv_logit": sc.log_expit,
    "log1m_inv_logit": lambda x: sc.log_expit(-x), "log1p_exp": lambda x: np.logaddexp(0, x),
    "log1m_exp": lambda x: np.log(-np.expm1(x)) if x > -0.693 else np.log1p(-np.exp(x)),
    "lgamma": sc.gammaln, "digamma": sc.digamma, "trigamma": lambda x: sc.polygamma(1, x),
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "tanh": np.tanh, "abs": np.abs,
    "erf": sc.erf, "erfc": sc.erfc, "Phi": sc.ndtr, "lbeta": sc.betaln,
    "lchoose": lambda n, k: -np.log1p(n) - sc.betaln(n - k + 1, k + 1),
    "log_sum_exp": np.logaddexp, "log_diff_exp": lambda a, b: a + (np.log(-np.expm1(b - a)) if b - a > -0.693 else np.log1p(-np.exp(b - a))),
    "pow": np.power, "fmin": np.fmin, "fmax": np.fmax, "polygamma": lambda n, x: sc.polygamma(int(n), x),
    "log_erfc": lambda x: np.log(sc.erfc(x)), "atan": np.arctan, "atan2": np.arctan2,
    "inc_beta": sc.betainc, "gamma_p": sc.gammainc, "gamma_q": sc.gammaincc,
}


def build_special():
    out, notes = [], []
    for fn, (f, pts) in SPECIAL.items():
        for p in pts:
            args = list(p) if isinstance(p, tuple) else [p]
            margs = [int(a) if (fn == "polygamma" and i == 0) else M(a) for i, a in enumerate(args)]
            v = f(*margs)
            val = float(v)
            assert math.isfinite(val), (fn, args)
            jargs = [int(a) if (fn == "polygamma" and i == 0) else float(a) for i, a in enumerate(args)]
            if fn not in DOUBLE_IMPL:
                out.append({"fn": fn, "x": jargs, "value": val})
                continue
            d = float(DOUBLE_IMPL[fn](*jargs))
            if val == 0.0:
                bad = d != 0.0 and abs(d) > 1e-300
            else:
                bad = not (abs(d - val) <= 1e-12 * abs(val))
            if bad:
                notes.append((fn, jargs, val, d, abs(d - val) / abs(val) if val else abs(d)))
            out.append({"fn": fn, "x": jargs, "value": val})
    return out, notes


# ---------------------------------------------------------------------------
# Cumulative distribution functions: lcdf, lccdf (and cdf) of every distribution
# with one, at 50 digits (100 where a complement is taken), cross-checked with
# scipy's logcdf / logsf.
# ---------------------------------------------------------------------------
def mp_cdf(dist, x, a):
    """(F(x), 1 - F(x)) for one element, each computed without cancellation."""
    if dist in ("normal", "std_normal", "lognormal"):
        mu, s = a if dist != "std_normal" else (mp.mpf(0), mp.mpf(1))
        z = ((mp.log(x) if dist == "lognormal" else x) - mu) / s
        return mp.ncdf(z), mp.ncdf(-z)
    if dist == "student_t":
        nu, mu, s = a

        def F(t):  # Abramowitz & Stegun 26.7.1 via the hypergeometric form
            with mp.workdps(120):
                c = mp.gamma((nu + 1) / 2) / (mp.sqrt(nu * mp.pi) * mp.gamma(nu / 2))
                return mp.mpf(1) / 2 + t * c * mp.hyp2f1(mp.mpf(1) / 2, (nu + 1) / 2, mp.mpf(3) / 2, -t * t / nu)
        t = (x - mu) / s
        return F(t), F(-t)
    if dist == "cauchy":
        mu, s = a
        z = (x - mu) / s
        with mp.workdps(120):
            return mp.mpf(1) / 2 + mp.atan(z) / mp.pi, mp.mpf(1) / 2 - mp.atan(z) / mp.pi
    if dist == "double_exponential":
        mu, s = a
        z = (x - mu) / s
        if z < 0:
            return mp.exp(z) / 2, 1 - mp.exp(z) / 2
        return 1 - mp.exp(-z) / 2, mp.exp(-z) / 2
    if dist == "logistic":
        mu, s = a
        z = (x - mu) / s
        return 1 / (1 + mp.exp(-z)), 1 / (1 + mp.exp(z))
    if dist == "gumbel":
        mu, b = a
        z = (x - mu) / b
        return mp.exp(-mp.exp(-z)), -mp.expm1(-mp.exp(-z))
    if dist == "exponential":
        (b,) = a
        return -mp.expm1(-b * x), mp.exp(-b * x)
    if dist in ("gamma", "chi_square"):
        al, u = (a[0], a[1] * x) if dist == "gamma" else (a[0] / 2, x / 2)
        return mp.gammainc(al, 0, u, regularized=True), mp.gammainc(al, u, mp.inf, regularized=True)
    if dist in ("inv_gamma", "inv_chi_square"):
        al, u = (a[0], a[1] / x) if dist == "inv_gamma" else (a[0] / 2, 1 / (2 * x))
        return mp.gammainc(al, u, mp.inf, regularized=True), mp.gammainc(al, 0, u, regularized=True)
    if dist == "weibull":
        al, s = a
        return -mp.expm1(-(x / s) ** al), mp.exp(-(x / s) ** al)
    if dist == "rayleigh":
        (s,) = a
        return -mp.expm1(-x ** 2 / (2 * s ** 2)), mp.exp(-x ** 2 / (2 * s ** 2))
    if dist == "pareto":
        ymin, al = a
        S = (ymin / x) ** al if x >= ymin else mp.mpf(1)
        with mp.workdps(120):
            return 1 - S, S
    if dist == "beta":
        p, q = a
        return mp.betainc(p, q, 0, x, regularized=True), mp.betainc(p, q, x, 1, regularized=True)
    if dist == "uniform":
        lo, hi = a
        return (x - lo) / (hi - lo), (hi - x) / (hi - lo)
    if dist == "half_normal":
        (s,) = a
        return mp.erf(x / (s * mp.sqrt(2))), mp.erfc(x / (s * mp.sqrt(2)))
    if dist == "half_cauchy":
        (s,) = a
        return 2 * mp.atan(x / s) / mp.pi, 2 * mp.atan(s / x) / mp.pi
    # Discrete: F(n) = sum of the pmf up to n, its complement at 120 digits.
    pmf_dist, pa = DISCRETE_PMF[dist](a)
    with mp.workdps(120):
        F = mp.fsum(mp.exp(mp_scalar(pmf_dist, k, pa)) for k in range(0, x + 1))
        return F, 1 - F


DISCRETE_PMF = {
    "bernoulli": lambda a: ("bernoulli", a),
    "bernoulli_logit": lambda a: ("bernoulli_logit", a),
    "binomial": lambda a: ("binomial", a),
    "binomial_logit": lambda a: ("binomial_logit", a),
    "poisson": lambda a: ("poisson", a),
    "poisson_log": lambda a: ("poisson_log", a),
    "neg_binomial_2": lambda a: ("neg_binomial_2", a),
    "neg_binomial_2_log": lambda a: ("neg_binomial_2_log", a),
    "neg_binomial": lambda a: ("neg_binomial", a),
}

SCIPY_CDF = {
    "normal": lambda mu, s: st.norm(mu, s),
    "std_normal": lambda: st.norm(),
    "lognormal": lambda mu, s: st.lognorm(s=s, scale=np.exp(mu)),
    "student_t": lambda nu, mu, s: st.t(df=nu, loc=mu, scale=s),
    "cauchy": lambda mu, s: st.cauchy(mu, s),
    "double_exponential": lambda mu, s: st.laplace(mu, s),
    "logistic": lambda mu, s: st.logistic(mu, s),
    "gumbel": lambda mu, b: st.gumbel_r(mu, b),
    "exponential": lambda b: st.expon(scale=1 / b),
    "gamma": lambda al, b: st.gamma(al, scale=1 / b),
    "inv_gamma": lambda al, b: st.invgamma(al, scale=b),
    "chi_square": lambda nu: st.chi2(nu),
    "inv_chi_square": lambda nu: st.invgamma(nu / 2, scale=0.5),
    "weibull": lambda al, s: st.weibull_min(al, scale=s),
    "rayleigh": lambda s: st.rayleigh(scale=s),
    "pareto": lambda ymin, al: st.pareto(al, scale=ymin),
    "beta": lambda p, q: st.beta(p, q),
    "uniform": lambda lo, hi: st.uniform(lo, hi - lo),
    "half_normal": lambda s: st.halfnorm(scale=s),
    "half_cauchy": lambda s: st.halfcauchy(scale=s),
    "bernoulli": lambda p: st.bernoulli(p),
    "bernoulli_logit": lambda al: st.bernoulli(sc.expit(al)),
    "binomial": lambda N, p: st.binom(N, p),
    "binomial_logit": lambda N, al: st.binom(N, sc.expit(al)),
    "poisson": lambda lam: st.poisson(lam),
    "poisson_log": lambda al: st.poisson(np.exp(al)),
    "neg_binomial_2": lambda mu, phi: st.nbinom(phi, phi / (mu + phi)),
    "neg_binomial_2_log": lambda eta, phi: st.nbinom(phi, phi / (np.exp(eta) + phi)),
    "neg_binomial": lambda al, b: st.nbinom(al, b / (1 + b)),
}

CDF_CASES = []


def cdf_case(dist, x, *args):
    xt, pts = SIG[dist]
    CDF_CASES.append({"dist": dist, "x": coerce(x, xt), "args": [coerce(a, t) for a, t in zip(args, pts)]})


cdf_case("normal", 0.0, 0.0, 1.0)
cdf_case("normal", 1.5, -0.3, 2.0)
cdf_case("normal", -40.0, 0.0, 1.0)       # far tail: the cdf underflows, its log does not
cdf_case("normal", 40.0, 1.0, 1.0)
cdf_case("normal", [-1.0, 0.25, 3.0], [0.0, -2.0, 10.0], 1.3)
cdf_case("std_normal", 0.5)
cdf_case("std_normal", -38.5)
cdf_case("std_normal", [-1.0, 0.25, 3.0, 9.0])
cdf_case("lognormal", 1.0, 0.0, 1.0)
cdf_case("lognormal", 1e-6, 0.0, 0.5)
cdf_case("lognormal", 1e6, 2.0, 1.0)
cdf_case("lognormal", [0.5, 1.0, 4.0], [0.0, 1.0, -1.0], 0.7)
cdf_case("student_t", 0.0, 3.0, 0.0, 2.5)  # brms's half-t normaliser
cdf_case("student_t", -2.0, 3.0, 0.0, 1.0)
cdf_case("student_t", 2.0, 3.0, 0.0, 1.0)
cdf_case("student_t", -1e3, 2.5, 0.0, 1.0)
cdf_case("student_t", 1e3, 2.5, 0.0, 1.0)
cdf_case("student_t", -2.0, 1e6, 0.0, 1.0)  # nearly normal
cdf_case("student_t", 0.3, 0.5, 0.2, 0.01)
cdf_case("student_t", 1e-8, 7.0, 0.0, 1.0)
cdf_case("student_t", [-1.0, 0.0, 4.0], [1.0, 5.0, 30.0], 0.5, 2.0)
cdf_case("cauchy", 0.0, 0.0, 1.0)
cdf_case("cauchy", -1e8, 0.0, 1.0)          # 1/2 + atan(z)/pi would cancel
cdf_case("cauchy", 3.0, 2.0, 0.5)
cdf_case("cauchy", [-2.0, 0.0, 7.5], [0.0, 1.0, 2.0], 2.0)
cdf_case("double_exponential", 0.0, 0.0, 1.0)
cdf_case("double_exponential", -40.0, 0.0, 1.0)
cdf_case("double_exponential", 3.0, 1.0, 0.5)
cdf_case("double_exponential", [-1.0, 0.5, 2.0], [-1.0, 0.0, 1.0], 1.5)
cdf_case("logistic", 0.0, 0.0, 1.0)
cdf_case("logistic", -800.0, 0.0, 1.0)
cdf_case("logistic", 50.0, 0.0, 1.0)
cdf_case("logistic", [-2.0, 0.0, 3.0], [0.0, 1.0, -4.0], 1.2)
cdf_case("gumbel", 0.0, 0.0, 1.0)
cdf_case("gumbel", -3.0, 0.0, 1.0)
cdf_case("gumbel", 30.0, 1.0, 2.0)
cdf_case("gumbel", [-1.0, 0.5, 4.0], [0.0, 1.0, 2.0], 2.0)
cdf_case("exponential", 1.0, 1.0)
cdf_case("exponential", 1e-8, 3.0)
cdf_case("exponential", 100.0, 0.5)
cdf_case("exponential", [0.1, 1.0, 5.0], [0.5, 1.0, 4.0])
cdf_case("gamma", 1.0, 1.0, 1.0)
cdf_case("gamma", 0.5, 2.5, 3.0)
cdf_case("gamma", 50.0, 30.0, 0.7)
cdf_case("gamma", 1e-3, 0.5, 2.0)
cdf_case("gamma", 1000.0, 1000.0, 1.0)
cdf_case("gamma", [0.2, 1.0, 6.0], [0.5, 2.0, 9.0], 0.5)
cdf_case("inv_gamma", 1.0, 1.0, 1.0)
cdf_case("inv_gamma", 0.1, 3.0, 2.0)
cdf_case("inv_gamma", 100.0, 0.5, 1.5)
cdf_case("inv_gamma", [0.2, 1.0, 6.0], [0.5, 2.0, 9.0], 0.5)
cdf_case("chi_square", 1.0, 1.0)
cdf_case("chi_square", 0.01, 3.0)
cdf_case("chi_square", 50.0, 10.0)
cdf_case("chi_square", [0.5, 2.0, 9.0], [1.0, 4.0, 7.5])
cdf_case("inv_chi_square", 1.0, 1.0)
cdf_case("inv_chi_square", 0.05, 3.0)
cdf_case("inv_chi_square", [0.1, 0.5, 3.0], [1.0, 4.0, 7.5])
cdf_case("weibull", 1.0, 1.0, 1.0)
cdf_case("weibull", 1e-4, 3.0, 0.2)
cdf_case("weibull", 10.0, 0.5, 2.0)
cdf_case("weibull", [0.3, 1.0, 2.5], [0.8, 1.5, 4.0], 2.0)
cdf_case("rayleigh", 1.0, 1.0)
cdf_case("rayleigh", 0.01, 2.0)
cdf_case("rayleigh", 10.0, 1.5)
cdf_case("rayleigh", [0.3, 1.0, 2.5], [0.5, 1.0, 2.0])
cdf_case("pareto", 1.5, 1.0, 2.0)
cdf_case("pareto", 1e4, 0.5, 3.0)
cdf_case("pareto", 7.3, 0.1, 0.8)
cdf_case("pareto", [1.0, 2.0, 10.0], [0.5, 1.0, 2.0], 1.5)
cdf_case("beta", 0.5, 1.0, 1.0)
cdf_case("beta", 1e-10, 0.5, 2.0)
cdf_case("beta", 1 - 1e-10, 3.0, 0.5)
cdf_case("beta", 0.3, 2.5, 7.1)
cdf_case("beta", 0.999, 100.0, 0.1)
cdf_case("beta", [0.1, 0.5, 0.9], [0.5, 1.0, 4.0], 3.0)
cdf_case("uniform", 0.5, 0.0, 1.0)
cdf_case("uniform", -3.0, -10.0, 10.0)
cdf_case("uniform", [0.1, 0.5, 0.9], [-1.0, 0.0, 0.5], 2.0)
cdf_case("half_normal", 0.5, 1.0)
cdf_case("half_normal", 1e-5, 2.0)
cdf_case("half_normal", 30.0, 3.5)
cdf_case("half_normal", [0.1, 1.0, 3.0], [0.5, 1.0, 2.0])
cdf_case("half_cauchy", 0.5, 1.0)
cdf_case("half_cauchy", 1e6, 1.0)
cdf_case("half_cauchy", 1e-5, 2.5)
cdf_case("half_cauchy", [0.1, 1.0, 3.0], [0.5, 1.0, 2.0])
cdf_case("bernoulli", 0, 0.3)
cdf_case("bernoulli", 0, 1e-10)
cdf_case("bernoulli_logit", 0, 2.5)
cdf_case("bernoulli_logit", 0, -30.0)
cdf_case("binomial", 3, 10, 0.3)
cdf_case("binomial", 0, 5, 0.1)
cdf_case("binomial", 500, 1000, 0.5)
cdf_case("binomial", 1, 100, 1e-4)
cdf_case("binomial", [0, 3, 9], [5, 10, 20], 0.4)
cdf_case("binomial_logit", 3, 10, -0.5)
cdf_case("binomial_logit", 7, 12, 2.0)
cdf_case("poisson", 0, 1.0)
cdf_case("poisson", 3, 2.5)
cdf_case("poisson", 1000, 950.0)
cdf_case("poisson", 20, 0.5)
cdf_case("poisson", [0, 2, 7], [0.5, 2.0, 10.0])
cdf_case("poisson_log", 3, 0.9)
cdf_case("poisson_log", 25, 3.0)
cdf_case("neg_binomial_2", 0, 1.0, 1.0)
cdf_case("neg_binomial_2", 5, 3.0, 2.5)
cdf_case("neg_binomial_2", 100, 10.0, 0.5)
cdf_case("neg_binomial_2", [0, 2, 7], [0.5, 2.0, 10.0], 2.0)
cdf_case("neg_binomial_2_log", 5, 1.1, 2.5)
cdf_case("neg_binomial_2_log", 3, -5.0, 4.0)
cdf_case("neg_binomial", 5, 3.0, 0.5)
cdf_case("neg_binomial", [0, 2, 7], [0.5, 2.0, 10.0], [1.0, 0.3, 2.0])


def mp_cdfs(dist, x, args):
    """log F and log(1 - F), summed over the broadcast elements."""
    arrs = np.broadcast_arrays(np.asarray(x, dtype=object), *[np.asarray(a, dtype=object) for a in args])
    lf, ls = mp.mpf(0), mp.mpf(0)
    for idx in np.ndindex(arrs[0].shape):
        xv = int(arrs[0][idx]) if SIG[dist][0] == I else M(arrs[0][idx])
        av = [int(arr[idx]) if t == I else M(arr[idx]) for t, arr in zip(SIG[dist][1], arrs[1:])]
        F, S = mp_cdf(dist, xv, av)
        lf += mp.log(F)
        ls += mp.log(S)
    return lf, ls


def scipy_cdfs(dist, x, args):
    arrs = np.broadcast_arrays(np.asarray(x, float), *[np.asarray(a, float) for a in args])
    lf = ls = 0.0
    for idx in np.ndindex(arrs[0].shape):
        d = SCIPY_CDF[dist](*[float(a[idx]) for a in arrs[1:]])
        lf += float(d.logcdf(arrs[0][idx]))
        ls += float(d.logsf(arrs[0][idx]))
    return lf, ls


# Truncated distributions, y ~ d(args) T[lower, upper]: log p(y) - log(F(upper) - F(lower)),
# with F(lower - 1) for a discrete d (its lower bound is in the support); None is no bound.
TRUNC_CASES = [
    ("normal", 0.5, [0.0, 1.0], -1.0, 2.0),
    ("normal", 3.0, [0.0, 1.0], 2.5, None),
    ("normal", -1.5, [1.0, 2.0], None, 0.0),
    ("normal", [0.5, 1.0, 1.5], [[0.0, 1.0, 2.0], 1.5], 0.0, 3.0),
    ("student_t", 1.2, [3.0, 0.0, 2.5], 0.0, None),   # a half-t
    ("gamma", 2.0, [2.0, 1.5], 1.0, 5.0),
    ("poisson", 2, [1.5], 1, None),                     # zero-truncated Poisson
    ("poisson", [2, 3, 5], [[1.5, 3.0, 4.0]], 2, 8),
    ("binomial", 4, [10, 0.3], None, 6),
]


def mp_truncated(dist, x, args, lower, upper):
    xs, *rest = np.broadcast_arrays(np.asarray(x, dtype=object), *[np.asarray(a, dtype=object) for a in args])
    total = mp.mpf(0)
    discrete = SIG[dist][0] == I
    for idx in np.ndindex(xs.shape):
        xv = int(xs[idx]) if discrete else M(xs[idx])
        av = [int(a[idx]) if t == I else M(a[idx]) for t, a in zip(SIG[dist][1], rest)]
        with mp.workdps(120):
            lo = mp.mpf(0) if lower is None else mp_cdf(dist, lower - 1 if discrete else M(lower), av)[0]
            hi = mp.mpf(1) if upper is None else mp_cdf(dist, upper if discrete else M(upper), av)[0]
            total += mp_scalar(dist, xv, av) - mp.log(hi - lo)
    return total


def build_cdf():
    out, notes = [], []
    for dist, x, args, lower, upper in TRUNC_CASES:
        xt, pts = SIG[dist]
        args = [coerce(a, t) for a, t in zip(args, pts)]
        x = coerce(x, xt)
        out.append({"dist": dist, "fn": "truncated", "x": x, "args": args, "lower": lower, "upper": upper,
                    "value": float(mp_truncated(dist, x, args, lower, upper))})
    for c in CDF_CASES:
        lf, ls = mp_cdfs(c["dist"], c["x"], c["args"])
        slf, sls = scipy_cdfs(c["dist"], c["x"], c["args"])
        for fn, exact, sp in (("lcdf", lf, slf), ("lccdf", ls, sls)):
            val = float(exact)
            assert math.isfinite(val), (c, fn)
            # Errors relative to max(1, |value|), as the test measures them.
            if not abs(sp - val) <= 1e-9 * max(1.0, abs(val)):
                notes.append((c["dist"], fn, c["x"], c["args"], val, sp))
            out.append({"dist": c["dist"], "fn": fn, "x": c["x"], "args": c["args"], "value": val})
        if lf > -700:
            out.append({"dist": c["dist"], "fn": "cdf", "x": c["x"], "args": c["args"], "value": float(mp.exp(lf))})
    return out, notes


def write_cases(path, cases):
    # One case per line; floats are written with repr (shortest round-trip).
    with open(path, "w") as f:
        f.write('{"cases": [\n')
        f.write(",\n".join(json.dumps(c, allow_nan=False) for c in cases))
        f.write("\n]}\n")


def main():
    lp, lp_notes = build_lpdf()
    sp, sp_notes = build_special()
    write_cases(os.path.join(HERE, "lpdf_reference.json"), lp)
    write_cases(os.path.join(HERE, "special_functions.json"), sp)
    cdf, cdf_notes = build_cdf()
    write_cases(os.path.join(HERE, "cdf_reference.json"), cdf)
    print(f"cdf_reference.json: {len(cdf)} cases")
    if cdf_notes:
        print("\ncdf cases where double-precision scipy differs from the 50-digit value by > 1e-9 (of max(1, |value|)):")
        for n in cdf_notes:
            print("  %s %s x=%s args=%s exact=%r scipy=%r" % n)
    print(f"lpdf_reference.json: {len(lp)} cases")
    print(f"special_functions.json: {len(sp)} cases")
    if lp_notes:
        print("\nlogp cases where double-precision scipy differs from the 50-digit value by > 1e-9 rel"
              "\n(all explained by scipy receiving expit(alpha) rounded to double):")
        for n in lp_notes:
            print("  %s x=%s args=%s exact=%r scipy=%r rel=%.2e abs=%.2e" % n)
    if sp_notes:
        print("\nspecial-function cases where the double-precision library differs by > 1e-12 rel:")
        for n in sp_notes:
            print("  %s %s exact=%r double=%r rel=%.2e" % n)


if __name__ == "__main__":
    main()
