#!/usr/bin/env python3
"""Simulate the data of ppca.ppl (numpy only, fixed seed): run from the repository root,
python3 models/make_ppca.py. Prints the maximum log-likelihood of one-factor PPCA on them,
in closed form (Tipping & Bishop 1999): with S the covariance of the rows (divided by N)
and l_1 >= ... >= l_D its eigenvalues, sigma^2 = mean(l_2..l_D) and
max log L = -N/2 (D log 2 pi + log l_1 + (D - 1) log sigma^2 + D)."""
import json
import os

import numpy as np

rng = np.random.default_rng(1999)
N, D = 200, 5
W = np.array([2.0, -1.5, 1.0, 0.5, -0.8])
mu = np.array([1.0, 0.0, -2.0, 3.0, 0.5])
X = mu + np.outer(rng.normal(size=N), W) + 0.6 * rng.normal(size=(N, D))
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "ppca.data.json"), "w") as f:
    json.dump({"N": N, "D": D, "X": np.round(X, 6).tolist()}, f, separators=(",", ":"))

X = np.round(X, 6)
S = np.cov(X, rowvar=False, bias=True)
l = np.sort(np.linalg.eigvalsh(S))[::-1]
s2 = l[1:].mean()
print("max log-likelihood", -N / 2 * (D * np.log(2 * np.pi) + np.log(l[0]) + (D - 1) * np.log(s2) + D))
print("sigma", np.sqrt(s2), "mu", X.mean(axis=0))
