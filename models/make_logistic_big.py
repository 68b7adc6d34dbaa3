#!/usr/bin/env python3
"""The data of logistic_big.ppl and its reference posterior (numpy only, seeded).

    python3 models/make_logistic_big.py [--rows 1000000] [--out models/big]

writes OUT/logistic_big.data.json (Stan JSON: N, K, X, y; about 190 MB at a million
rows, so models/big is not in the repository), OUT/logistic_big.data.npz (the same
arrays, for the NumPyro side of `ppl-bench minibatch`) and OUT/logistic_big.reference.json.
The models/logistic_big.data.json beside the model is made
with --rows 2000 (the same seed), for the example-model tests.

The reference: the posterior of alpha, beta under the model's priors (normal(0, 2.5)
each) by the Laplace approximation at the exact mode. Newton's method on the log density
(gradient X'(y - p) - theta / 6.25, Hessian -X' diag(p(1 - p)) X - I / 6.25, with the
intercept as a column of ones) runs until the Newton decrement is below 1e-20; the
reference means are the mode and the sds the square roots of the diagonal of the inverse
negative Hessian. At a million rows the posterior is Gaussian to within O(N^-1/2) of an
sd in its skewness (Bernstein-von Mises), far below the 0.1 sd the bench asks for.
"""
import argparse
import json
import os

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--rows", type=int, default=1_000_000)
ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "big"))
a = ap.parse_args()
os.makedirs(a.out, exist_ok=True)

rng = np.random.default_rng(20261130)
N, K = a.rows, 20
X = rng.standard_normal((N, K))
X = np.round(X, 6)
alpha_true = -0.5
beta_true = rng.normal(0.0, 0.5, size=K)
eta = alpha_true + X @ beta_true
y = (rng.uniform(size=N) < 1.0 / (1.0 + np.exp(-eta))).astype(np.int64)

# The mode by Newton's method, the intercept first.
Z = np.hstack([np.ones((N, 1)), X])
prior_precision = 1.0 / 2.5 ** 2
theta = np.zeros(K + 1)
for _ in range(100):
    p = 1.0 / (1.0 + np.exp(-(Z @ theta)))
    g = Z.T @ (y - p) - prior_precision * theta
    H = (Z * (p * (1 - p))[:, None]).T @ Z + prior_precision * np.eye(K + 1)
    step = np.linalg.solve(H, g)
    theta += step
    if g @ step < 1e-20:
        break
p = 1.0 / (1.0 + np.exp(-(Z @ theta)))
H = (Z * (p * (1 - p))[:, None]).T @ Z + prior_precision * np.eye(K + 1)
sd = np.sqrt(np.diag(np.linalg.inv(H)))
names = ["alpha"] + [f"beta[{k + 1}]" for k in range(K)]
reference = {
    "method": "Laplace approximation at the exact posterior mode (Newton's method, numpy)",
    "rows": N,
    "params": {n: {"mean": float(m), "sd": float(s)} for n, m, s in zip(names, theta, sd)},
}
with open(os.path.join(a.out, "logistic_big.reference.json"), "w") as f:
    json.dump(reference, f, indent=1)
np.savez(os.path.join(a.out, "logistic_big.data.npz"), N=N, K=K, X=X, y=y)
with open(os.path.join(a.out, "logistic_big.data.json"), "w") as f:
    f.write('{"N": %d, "K": %d, "y": [' % (N, K))
    f.write(",".join(map(str, y.tolist())))
    f.write('], "X": [')
    f.write(",".join("[" + ",".join("%.6f" % v for v in row) + "]" for row in X))
    f.write("]}\n")
