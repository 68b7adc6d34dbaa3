#!/usr/bin/env python3
"""Reference data for the LKJ distributions (stdlib/lkj.ppl).

Writes lkj_reference.json next to this script, in the format of lpdf_reference.json:
{"cases": [{"dist", "x", "args", "logp"}, ...]}. DistributionTests reads both files.

scipy has no LKJ distribution, so the values are computed here from the definition
(Lewandowski, Kurowicka & Joe 2009, "Generating random correlation matrices based on vines
and extended onion method", J. Multivariate Anal. 100):

  lkj_corr(Omega | eta) = det(Omega)^(eta - 1) / c_K(eta),
  log c_K(eta) = sum_{k=1}^{K-1} (K - k) [(2 b_k - 1) log 2 + log B(b_k, b_k)],
  b_k = eta + (K - 1 - k) / 2,

the vine construction: the K - k partial correlations of level k are independent
Beta(b_k, b_k) on (-1, 1). mpmath evaluates it at 50 digits on the exact double inputs.
Independent checks, asserted before anything is written:

* c_K(eta) against the integral of det(Omega)^(eta - 1) over the correlation matrices,
  by quadrature: for K = 2 over r in (-1, 1), for K = 3 over (r12, r13, r23) with r23
  between the roots of det = 0 (mpmath, 20 digits); and c_3(1) = pi^2 / 2, the volume
  of the 3×3 elliptope.
* lkj_corr_cholesky(L | eta) = lkj_corr(L L' | eta) + log|J| of the map from the free
  elements of L (below the diagonal) to those of Omega = L L' (below the diagonal),
  whose closed form sum_k (K - k) log L_kk is checked against a numerical Jacobian.

Deterministic: numpy's generator is seeded; run with python3 (numpy, scipy, mpmath).
"""

import json
import math
import os

import mpmath as mp
import numpy as np

mp.mp.dps = 50
RNG = np.random.default_rng(20241)


def log_normalizer(eta, k):
    eta = mp.mpf(eta)
    total = mp.mpf(0)
    for level in range(1, k):
        b = eta + mp.mpf(k - 1 - level) / 2
        total += (k - level) * ((2 * b - 1) * mp.log(2) + mp.log(mp.beta(b, b)))
    return total


def lkj_corr(omega, eta):
    m = mp.matrix([[mp.mpf(float(v)) for v in row] for row in omega])
    return (mp.mpf(eta) - 1) * mp.log(mp.det(m)) - log_normalizer(eta, len(omega))


def lkj_corr_cholesky(chol, eta):
    k = len(chol)
    l = mp.matrix([[mp.mpf(float(v)) for v in row] for row in chol])
    omega = l * l.T
    jacobian = sum((k - 1 - i) * mp.log(l[i, i]) for i in range(k))
    return (mp.mpf(eta) - 1) * mp.log(mp.det(omega)) - log_normalizer(eta, k) + jacobian


def check_normalizer():
    mp.mp.dps = 20
    for eta in [0.7, 1.0, 2.0, 3.5]:
        two = mp.quad(lambda r: (1 - r * r) ** (eta - 1), [-1, 1])
        assert abs(mp.log(two) - log_normalizer(eta, 2)) < 1e-12, eta
    for eta in [1.0, 2.5]:
        def inner(a, b):
            s = mp.sqrt((1 - a * a) * (1 - b * b))
            def det(c):
                return max(mp.mpf(0), 1 - a * a - b * b - c * c + 2 * a * b * c) ** (eta - 1)
            return mp.quad(det, [a * b - s, a * b + s])
        three = mp.quad(inner, [-1, 1], [-1, 1])
        assert abs(mp.log(three) - log_normalizer(eta, 3)) < 1e-8, (eta, three)
    mp.mp.dps = 50
    assert abs(log_normalizer(1.0, 3) - mp.log(mp.pi ** 2 / 2)) < 1e-40


def check_cholesky_jacobian():
    """The closed form of log|J| of L -> Omega against central differences."""
    for k in [2, 3, 4]:
        l = np.linalg.cholesky(random_correlation(k))
        free = [(i, j) for i in range(k) for j in range(i)]

        def omega_of(values):
            m = np.zeros((k, k))
            for (i, j), v in zip(free, values):
                m[i, j] = v
            for i in range(k):
                m[i, i] = math.sqrt(1 - sum(m[i, j] ** 2 for j in range(i)))
            o = m @ m.T
            return np.array([o[i, j] for i, j in free])

        x = np.array([l[i, j] for i, j in free])
        h = 1e-6
        jac = np.column_stack([(omega_of(x + h * e) - omega_of(x - h * e)) / (2 * h) for e in np.eye(len(free))])
        numerical = np.linalg.slogdet(jac)[1]
        closed = sum((k - 1 - i) * math.log(l[i, i]) for i in range(k))
        assert abs(numerical - closed) < 1e-7, (k, numerical, closed)


def random_correlation(k, concentration=1.0):
    """A correlation matrix from a Wishart-like draw, rounded to 6 digits and made exact."""
    a = RNG.normal(size=(k, k + 2))
    s = a @ a.T + concentration * np.eye(k)
    d = np.sqrt(np.diag(s))
    omega = np.round(s / np.outer(d, d), 6)
    np.fill_diagonal(omega, 1.0)
    return omega


def main():
    check_normalizer()
    check_cholesky_jacobian()
    cases = []
    for k, eta in [(1, 2.0), (2, 1.0), (2, 0.5), (3, 1.0), (3, 2.0), (4, 0.8), (4, 10.0), (5, 3.0)]:
        omega = random_correlation(k)
        chol = np.linalg.cholesky(omega)
        cases.append({"dist": "lkj_corr", "x": omega.tolist(), "args": [eta],
                      "logp": float(lkj_corr(omega, eta))})
        cases.append({"dist": "lkj_corr_cholesky", "x": chol.tolist(), "args": [eta],
                      "logp": float(lkj_corr_cholesky(chol, eta))})
    # Near the boundary: a strong correlation.
    strong = np.array([[1.0, 0.99], [0.99, 1.0]])
    cases.append({"dist": "lkj_corr", "x": strong.tolist(), "args": [4.0], "logp": float(lkj_corr(strong, 4.0))})
    cases.append({"dist": "lkj_corr_cholesky", "x": np.linalg.cholesky(strong).tolist(), "args": [4.0],
                  "logp": float(lkj_corr_cholesky(np.linalg.cholesky(strong), 4.0))})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lkj_reference.json")
    with open(path, "w") as f:
        f.write('{"cases": [\n' + ",\n".join(json.dumps(c) for c in cases) + "\n]}\n")
    print(f"wrote {len(cases)} cases to {path}")


if __name__ == "__main__":
    main()
