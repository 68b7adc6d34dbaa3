#!/usr/bin/env python3
"""Simulate the data sets for the example models in this directory.

Run from the repository root:   python3 models/make_data.py

Deterministic (one fixed seed per model, numpy only). Writes NAME.data.json
next to each NAME.ppl, plus true_values.json with the parameter values the data
were simulated from, so fitted posteriors can be checked against them.
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TRUE = {}


def _clean(v):
    """Convert numpy values to plain JSON: ints stay ints, reals get 6 decimals."""
    if isinstance(v, np.ndarray):
        return [_clean(x) for x in v.tolist()]  # a matrix becomes a list of rows
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if isinstance(v, (bool, np.bool_)):
        raise TypeError("booleans are not valid ppl data")
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return round(float(v), 6)
    raise TypeError(f"cannot serialise {type(v)}")


def write(name, data, truth):
    path = os.path.join(HERE, f"{name}.data.json")
    with open(path, "w") as f:
        json.dump({k: _clean(v) for k, v in data.items()}, f, separators=(",", ":"))
        f.write("\n")
    TRUE[name] = {k: _clean(v) for k, v in truth.items()}
    print(f"wrote {os.path.relpath(path)}")


def regression():
    rng = np.random.default_rng(101)
    N, K = 100, 3
    alpha, beta, sigma = 1.5, np.array([2.0, -1.0, 0.5]), 0.8
    X = rng.normal(0.0, 1.0, size=(N, K))
    y = alpha + X @ beta + rng.normal(0.0, sigma, size=N)
    write("regression", {"N": N, "K": K, "X": X, "y": y},
          {"alpha": alpha, "beta": beta, "sigma": sigma})


def logistic_regression():
    rng = np.random.default_rng(102)
    N, K = 200, 2
    alpha, beta = -0.5, np.array([1.2, -0.8])
    X = rng.normal(0.0, 1.0, size=(N, K))
    p = 1.0 / (1.0 + np.exp(-(alpha + X @ beta)))
    y = (rng.uniform(size=N) < p).astype(int)
    write("logistic_regression", {"N": N, "K": K, "X": X, "y": y},
          {"alpha": alpha, "beta": beta})


def radon_hierarchical():
    rng = np.random.default_rng(103)
    J = 10
    sizes = np.array([6, 10, 12, 15, 18, 20, 22, 25, 30, 12])  # unbalanced counties
    N = int(sizes.sum())  # 170
    mu_a, sigma_a, beta, sigma_y = 1.3, 0.5, -0.7, 0.6
    z = rng.normal(0.0, 1.0, size=J)
    a = mu_a + sigma_a * z
    g = np.repeat(np.arange(1, J + 1), sizes)
    x = (rng.uniform(size=N) < 0.3).astype(float)  # 1 = measured on the first floor
    y = a[g - 1] + beta * x + rng.normal(0.0, sigma_y, size=N)
    write("radon_hierarchical", {"N": N, "J": J, "g": g, "x": x, "y": y},
          {"mu_a": mu_a, "sigma_a": sigma_a, "beta": beta, "sigma_y": sigma_y,
           "z": z, "a": a})


def normal_mixture():
    rng = np.random.default_rng(104)
    N = 200
    theta = np.array([0.3, 0.7])
    mu = np.array([-2.0, 2.0])
    sigma = np.array([0.7, 1.0])
    comp = (rng.uniform(size=N) >= theta[0]).astype(int)  # 0 -> first, 1 -> second
    y = rng.normal(mu[comp], sigma[comp])
    write("normal_mixture", {"N": N, "y": y},
          {"theta": theta, "mu": mu, "sigma": sigma})


def ar1():
    rng = np.random.default_rng(105)
    T = 150
    alpha, rho, sigma = 0.5, 0.7, 0.5
    y = np.empty(T)
    y[0] = alpha / (1 - rho) + rng.normal(0.0, sigma / np.sqrt(1 - rho ** 2))
    for t in range(1, T):
        y[t] = alpha + rho * y[t - 1] + rng.normal(0.0, sigma)
    write("ar1", {"T": T, "y": y}, {"alpha": alpha, "rho": rho, "sigma": sigma})


def stochastic_volatility():
    rng = np.random.default_rng(106)
    T = 100
    mu, phi, sigma = -1.0, 0.9, 0.5
    h_std = rng.normal(0.0, 1.0, size=T)
    h = np.empty(T)
    h[0] = mu + sigma * h_std[0] / np.sqrt(1 - phi ** 2)
    for t in range(1, T):
        h[t] = mu + phi * (h[t - 1] - mu) + sigma * h_std[t]
    y = rng.normal(0.0, np.exp(h / 2))
    write("stochastic_volatility", {"T": T, "y": y},
          {"mu": mu, "phi": phi, "sigma": sigma, "h_std": h_std, "h": h})


def poisson_counts():
    rng = np.random.default_rng(107)
    N, K = 150, 2
    alpha, beta = 0.5, np.array([0.4, -0.3])
    X = rng.normal(0.0, 1.0, size=(N, K))
    exposure = rng.uniform(0.5, 5.0, size=N)  # e.g. person-years at risk
    y = rng.poisson(exposure * np.exp(alpha + X @ beta))
    write("poisson_counts", {"N": N, "K": K, "X": X, "exposure": exposure, "y": y},
          {"alpha": alpha, "beta": beta})


def student_t_regression():
    rng = np.random.default_rng(108)
    N = 200
    alpha, beta, sigma, nu = 1.0, 2.0, 1.0, 3.0
    x = rng.normal(0.0, 1.0, size=N)
    y = alpha + beta * x + sigma * rng.standard_t(nu, size=N)
    write("student_t_regression", {"N": N, "x": x, "y": y},
          {"alpha": alpha, "beta": beta, "sigma": sigma, "nu": nu})


def dirichlet_categorical():
    rng = np.random.default_rng(109)
    N, K = 200, 4
    theta = np.array([0.1, 0.2, 0.3, 0.4])
    alpha = np.ones(K)
    y = rng.choice(np.arange(1, K + 1), size=N, p=theta)
    write("dirichlet_categorical", {"N": N, "K": K, "alpha": alpha, "y": y},
          {"theta": theta})


def zero_inflated_poisson():
    rng = np.random.default_rng(110)
    N = 200
    a, b, zi = 1.0, 0.5, 0.3
    x = rng.normal(0.0, 1.0, size=N)
    structural_zero = rng.uniform(size=N) < zi
    y = np.where(structural_zero, 0, rng.poisson(np.exp(a + b * x)))
    write("zero_inflated_poisson", {"N": N, "x": x, "y": y},
          {"a": a, "b": b, "zi": zi})


def varying_slopes():
    rng = np.random.default_rng(111)
    J, n_per = 30, 10
    N = J * n_per
    mu = np.array([1.0, -0.5, 0.8])
    tau = np.array([0.7, 0.4, 0.5])
    omega = np.array([[1.0, 0.4, -0.3], [0.4, 1.0, 0.2], [-0.3, 0.2, 1.0]])
    sigma = 0.6
    cov = np.diag(tau) @ omega @ np.diag(tau)
    coef = mu + rng.multivariate_normal(np.zeros(3), cov, size=J)   # J x 3
    g = np.repeat(np.arange(1, J + 1), n_per)
    x1 = rng.normal(0.0, 1.0, size=N)
    x2 = rng.normal(0.0, 1.0, size=N)
    c = coef[g - 1]
    y = c[:, 0] + c[:, 1] * x1 + c[:, 2] * x2 + rng.normal(0.0, sigma, size=N)
    write("varying_slopes", {"N": N, "J": J, "g": g, "x1": x1, "x2": x2, "y": y},
          {"mu": mu, "tau": tau, "Omega": omega, "sigma": sigma})


def garch_bounded():
    rng = np.random.default_rng(112)
    T = 300
    mu, alpha0, alpha1, beta1 = 0.1, 0.2, 0.15, 0.75
    sigma1 = float(np.sqrt(alpha0 / (1 - alpha1 - beta1)))
    r = np.empty(T)
    sigma = sigma1
    for t in range(T):
        if t > 0:
            sigma = np.sqrt(alpha0 + alpha1 * (r[t - 1] - mu) ** 2 + beta1 * sigma ** 2)
        r[t] = mu + sigma * rng.normal()
    write("garch_bounded", {"T": T, "r": r, "sigma1": sigma1},
          {"mu": mu, "alpha0": alpha0, "alpha1": alpha1, "beta1": beta1})


if __name__ == "__main__":
    regression()
    logistic_regression()
    radon_hierarchical()
    normal_mixture()
    ar1()
    stochastic_volatility()
    poisson_counts()
    student_t_regression()
    dirichlet_categorical()
    zero_inflated_poisson()
    varying_slopes()
    garch_bounded()
    path = os.path.join(HERE, "true_values.json")
    with open(path, "w") as f:
        json.dump(TRUE, f, indent=2)
        f.write("\n")
    print(f"wrote {os.path.relpath(path)}")
