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


# The models below are the hard ones of issue 21: posteriors that defeat a naive
# variational fit (unscaled predictors, strongly correlated coefficients, time series,
# a Gaussian process, a hierarchical scale that can run to zero). Their long reference
# posteriors are made by make_reference.py.


def kid_iq():
    rng = np.random.default_rng(111)
    N = 300
    alpha, beta_hs, beta_iq, beta_income, sigma = 20.0, 6.0, 0.55, 1.2e-4, 17.0
    mom_hs = (rng.uniform(size=N) < 0.8).astype(float)
    mom_iq = rng.normal(100.0, 15.0, size=N)
    mom_income = np.round(np.exp(rng.normal(np.log(40000.0), 0.6, size=N)), -2)  # dollars a year
    kid_score = (alpha + beta_hs * mom_hs + beta_iq * mom_iq + beta_income * mom_income
                 + rng.normal(0.0, sigma, size=N))
    write("kid_iq", {"N": N, "kid_score": kid_score, "mom_hs": mom_hs, "mom_iq": mom_iq,
                     "mom_income": mom_income},
          {"alpha": alpha, "beta_hs": beta_hs, "beta_iq": beta_iq, "beta_income": beta_income,
           "sigma": sigma})


def house_prices():
    """Raw (uncentred) cubic features of area, age and distance, and a garden dummy with its
    interactions with the three: K = 23 columns, in the order the model's header lists."""
    rng = np.random.default_rng(112)
    N = 500
    area = rng.uniform(0.5, 2.5, size=N)        # floor area, 100 m^2
    age = rng.uniform(0.0, 8.0, size=N)         # decades since built
    dist = rng.uniform(0.2, 3.0, size=N)        # distance to the centre, 10 km
    garden = (rng.uniform(size=N) < 0.4).astype(float)
    # The truth is smooth but not polynomial, as real prices are.
    sigma = 0.15
    log_price = (12.0 + 0.9 * np.log(area) - 0.35 * np.log1p(age) + 0.02 * age
                 - 0.4 * np.sqrt(dist) + 0.12 * garden + 0.05 * garden * area
                 + rng.normal(0.0, sigma, size=N))
    a, g, d = area, age, dist
    X = np.column_stack([
        a, g, d,
        a * a, g * g, d * d, a * g, a * d, g * d,
        a ** 3, g ** 3, d ** 3, a * a * g, a * a * d, g * g * a, g * g * d, d * d * a, d * d * g,
        a * g * d,
        garden, garden * a, garden * g, garden * d,
    ])
    write("house_prices", {"N": N, "K": X.shape[1], "X": X, "log_price": log_price},
          {"sigma": sigma})


def loan_default():
    rng = np.random.default_rng(113)
    N = 400
    age = rng.integers(21, 71, size=N).astype(float)                              # years
    income = np.round(np.exp(rng.normal(np.log(45000.0), 0.5, size=N)), -2)      # dollars a year
    loan = np.round(rng.uniform(1000.0, 40000.0, size=N), -2)                     # dollars
    credit_score = np.round(np.clip(rng.normal(680.0, 70.0, size=N), 300, 850))
    alpha, b_age, b_income, b_loan, b_score = 5.0, -0.02, -2.5e-5, 6e-5, -0.009
    eta = alpha + b_age * age + b_income * income + b_loan * loan + b_score * credit_score
    default = (rng.uniform(size=N) < 1.0 / (1.0 + np.exp(-eta))).astype(int)
    write("loan_default", {"N": N, "age": age, "income": income, "loan": loan,
                           "credit_score": credit_score, "default": default},
          {"alpha": alpha, "beta_age": b_age, "beta_income": b_income, "beta_loan": b_loan,
           "beta_score": b_score})


def ar_k():
    rng = np.random.default_rng(114)
    K, T = 4, 200
    # A persistent AR(4): the reciprocal roots of its characteristic polynomial are
    # 0.9, 0.5 and 0.5 exp(+-i pi/3); the series sits near a level of 10.
    roots = np.array([0.9, 0.5, 0.5 * np.exp(1j * np.pi / 3), 0.5 * np.exp(-1j * np.pi / 3)])
    phi = -np.real(np.poly(roots))[1:]          # 1 - phi_1 z - ... = prod (1 - r z)
    level, sigma = 10.0, 0.5
    alpha = level * (1.0 - phi.sum())
    y = np.full(T + 200, level)
    for t in range(K, T + 200):
        y[t] = alpha + phi @ y[t - K:t][::-1] + rng.normal(0.0, sigma)
    write("ar_k", {"K": K, "T": T, "y": y[200:]}, {"alpha": alpha, "phi": phi, "sigma": sigma})


def garch11():
    rng = np.random.default_rng(115)
    T = 200
    mu, alpha0, alpha1, beta1 = 0.05, 0.05, 0.12, 0.83
    sigma1 = 1.0
    r = np.empty(T)
    s = sigma1
    for t in range(T):
        if t > 0:
            s = np.sqrt(alpha0 + alpha1 * (r[t - 1] - mu) ** 2 + beta1 * s * s)
        r[t] = mu + s * rng.normal()
    write("garch11", {"T": T, "r": r, "sigma1": sigma1},
          {"mu": mu, "alpha0": alpha0, "persistence": alpha1 + beta1,
           "share": alpha1 / (alpha1 + beta1), "alpha1": alpha1, "beta1": beta1})


def hsgp():
    rng = np.random.default_rng(116)
    N, M, c = 100, 25, 1.5
    x = np.sort(rng.uniform(0.0, 10.0, size=N))
    # A smooth curve with features at more than one scale.
    f = 1.5 * np.sin(0.9 * x) + 0.6 * np.cos(2.1 * x + 0.4) + 0.08 * (x - 5.0)
    sigma = 0.3
    y = 2.0 + f + rng.normal(0.0, sigma, size=N)
    write("hsgp", {"N": N, "x": x, "y": y, "M": M, "c": c}, {"sigma": sigma})


def meta_analysis():
    rng = np.random.default_rng(117)
    J = 100
    mu, tau = 0.2, 0.1
    se = rng.uniform(0.2, 0.8, size=J)            # standard errors of the trials' estimates
    theta = mu + tau * rng.normal(size=J)
    y = theta + se * rng.normal(size=J)
    write("meta_analysis", {"J": J, "y": y, "se": se}, {"mu": mu, "tau": tau, "theta": theta})
def ar_loop():
    rng = np.random.default_rng(111)
    K, N = 3, 200
    alpha, beta, sigma = 0.5, np.array([0.5, -0.3, 0.2]), 0.7
    y = np.zeros(N)
    for n in range(N):
        lags = [y[n - k - 1] if n - k - 1 >= 0 else 0.0 for k in range(K)]
        y[n] = alpha + beta @ np.array(lags) + rng.normal(0.0, sigma)
    write("ar_loop", {"K": K, "N": N, "y": y}, {"alpha": alpha, "beta": beta, "sigma": sigma})
    # The same series for the vectorised form of the model (ppl-bench loops times the two).
    write("ar_lagged", {"K": K, "N": N, "y": y}, {"alpha": alpha, "beta": beta, "sigma": sigma})


def change_point():
    rng = np.random.default_rng(112)
    T, s, e, l = 30, 18, 3.0, 1.0
    D = np.concatenate([rng.poisson(e, size=s - 1), rng.poisson(l, size=T - s + 1)])
    write("change_point", {"T": T, "D": D, "r_e": 0.5, "r_l": 0.5}, {"s": s, "e": e, "l": l})


def multi_group():
    rng = np.random.default_rng(113)
    J, K = 8, 3
    mu, tau = np.array([1.0, -0.5, 2.0]), 0.7
    cov = np.array([[1.0, 0.5, 0.2], [0.5, 1.0, 0.3], [0.2, 0.3, 0.5]])
    L = np.linalg.cholesky(cov)
    theta = mu + tau * rng.normal(size=(J, K))
    y = theta + rng.normal(size=(J, K)) @ L.T
    write("multi_group", {"J": J, "K": K, "y": y, "L": L}, {"mu": mu, "tau": tau, "theta": theta})
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


def gp():
    rng = np.random.default_rng(114)
    N = 30
    rho, alpha, sigma = 1.2, 1.0, 0.3
    x = np.sort(rng.uniform(-5.0, 5.0, size=N))
    K = alpha ** 2 * np.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / rho ** 2) + 1e-9 * np.eye(N)
    f = np.linalg.cholesky(K) @ rng.normal(size=N)
    y = f + sigma * rng.normal(size=N)
    write("gp", {"N": N, "x": x, "y": y}, {"rho": rho, "alpha": alpha, "sigma": sigma})


def conjugate_normal():
    rng = np.random.default_rng(117)
    N, sigma = 20, 0.8
    beta = np.array([1.0, 0.7])
    x = rng.uniform(-2.0, 2.0, size=N)
    X = np.column_stack([np.ones(N), x])
    y = X @ beta + rng.normal(0.0, sigma, size=N)
    write("conjugate_normal", {"N": N, "K": 2, "X": X, "y": y, "sigma": sigma}, {"beta": beta})
    # New predictors for `ppl predict`, without outcomes.
    new_x = np.array([-3.0, -1.0, 0.0, 1.5, 3.0])
    path = os.path.join(HERE, "conjugate_normal.new.json")
    with open(path, "w") as f:
        json.dump({"N": len(new_x), "K": 2, "X": _clean(np.column_stack([np.ones(len(new_x)), new_x])), "sigma": sigma},
                  f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.relpath(path)}")


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
    kid_iq()
    house_prices()
    loan_default()
    ar_k()
    garch11()
    hsgp()
    meta_analysis()
    ar_loop()
    change_point()
    multi_group()
    varying_slopes()
    garch_bounded()
    gp()
    conjugate_normal()
    path = os.path.join(HERE, "true_values.json")
    with open(path, "w") as f:
        json.dump(TRUE, f, indent=2)
        f.write("\n")
    print(f"wrote {os.path.relpath(path)}")
