"""Reference values of the container builtins and of the elementwise functions composed of
elementwise ops (Stan's conventions), computed with numpy: container_reference.json. Each case is an expression over the data below, its value
flattened row by row, and its shape (empty for a scalar)."""
import json
import math

import numpy as np

rng = np.random.default_rng(13)
G = rng.normal(size=(3, 3))
data = {
    "A": G @ G.T + 3 * np.eye(3),
    "M": rng.normal(size=(3, 3)),
    "B": rng.normal(size=(3, 2)),
    "P": rng.normal(size=(4, 2)),
    "v": rng.normal(size=3),
    "w": rng.normal(size=2),
    "rv": rng.normal(size=3),
    "t": rng.normal(size=4),
    "t2": rng.normal(size=2),
    "u": rng.normal(size=6),
    "x": float(rng.normal()),
}
d = data
declarations = {
    "A": "matrix[3, 3]", "M": "matrix[3, 3]", "B": "matrix[3, 2]", "P": "matrix[4, 2]",
    "v": "vector[3]", "w": "vector[2]", "rv": "row_vector[3]", "t": "vector[4]",
    "t2": "vector[2]", "u": "vector[6]", "x": "real",
}


def sqexp(a, b, alpha, rho):
    a = a.reshape(len(a), -1)
    b = b.reshape(len(b), -1)
    d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
    return alpha ** 2 * np.exp(-d2 / (2 * rho ** 2))


cases = [
    ("cholesky_decompose(A)", np.linalg.cholesky(d["A"])),
    ("log_determinant_spd(A)", np.linalg.slogdet(d["A"])[1]),
    ("gp_exp_quad_cov(t, 1.3, 0.7)", sqexp(d["t"], d["t"], 1.3, 0.7)),
    ("gp_exp_quad_cov(P, 1.3, 0.7)", sqexp(d["P"], d["P"], 1.3, 0.7)),
    ("gp_exp_quad_cov(t, t2, 1.3, 0.7)", sqexp(d["t"], d["t2"], 1.3, 0.7)),
    ("quad_form(A, v)", d["v"] @ d["A"] @ d["v"]),
    ("quad_form(A, B)", d["B"].T @ d["A"] @ d["B"]),
    ("quad_form_sym(A, B)", d["B"].T @ d["A"] @ d["B"]),
    ("quad_form_diag(M, v)", np.diag(d["v"]) @ d["M"] @ np.diag(d["v"])),
    ("add_diag(M, 0.5)", d["M"] + 0.5 * np.eye(3)),
    ("add_diag(M, v)", d["M"] + np.diag(d["v"])),
    ("append_row(v, w)", np.concatenate([d["v"], d["w"]])),
    ("append_row(x, v)", np.concatenate([[d["x"]], d["v"]])),
    ("append_row(v, x)", np.concatenate([d["v"], [d["x"]]])),
    ("append_row(M, rv)", np.vstack([d["M"], d["rv"]])),
    ("append_row(rv, M)", np.vstack([d["rv"], d["M"]])),
    ("append_col(M, v)", np.hstack([d["M"], d["v"][:, None]])),
    ("append_col(rv, x)", np.concatenate([d["rv"], [d["x"]]])),
    ("append_col(x, rv)", np.concatenate([[d["x"]], d["rv"]])),
    ("append_col(M, B)", np.hstack([d["M"], d["B"]])),
    ("rep_array(x, 3)", np.full(3, d["x"])),
    ("segment(u, 2, 3)", d["u"][1:4]),
    ("head(u, 2)", d["u"][:2]),
    ("tail(u, 2)", d["u"][-2:]),
    ("reverse(u)", d["u"][::-1]),
    ("reverse(rv)", d["rv"][::-1]),
    ("to_matrix(u, 2, 3)", d["u"].reshape((2, 3), order="F")),
    ("to_matrix(u, 2, 3, 0)", d["u"].reshape((2, 3), order="C")),
    ("to_matrix(v)", d["v"][:, None]),
    ("to_matrix(rv)", d["rv"][None, :]),
    ("to_matrix(M, 1, 9)", d["M"].reshape((1, 9), order="F")),
]


# Stan's elementwise functions composed of elementwise ops, on scalars and on vectors
# (the elements of e, the positive p, q in (-1, 1), g from 1, the non-integers h, the ints k).
data.update({
    "e": np.array([-2.5, -0.5, 0.0, 0.3, 1.7, -1.5]),
    "p": np.array([0.2, 0.5, 1.0, 2.5, 7.0, 11.0]),
    "q": np.array([-0.9, -0.3, 0.0, 0.2, 0.6, 0.95]),
    "g": np.array([1.0, 1.001, 1.5, 3.0, 10.0, 100.0]),
    "k": np.array([0, 1, 2, 3, 4, 5]),
    "h": np.array([-2.5, -0.5, 0.4, 3.0, 1.7, -1.5]),
})
declarations.update({"e": "vector[6]", "p": "vector[6]", "q": "vector[6]", "g": "vector[6]", "k": "int[6]", "h": "vector[6]"})
e, pp, q, g, k = data["e"], data["p"], data["q"], data["g"], data["k"]
def stan_round(v):
    return np.sign(v) * np.floor(np.abs(v) + 0.5)
with np.errstate(divide="ignore"):
    lmult = np.where(k == 0, 0.0, k * np.log(pp))
cases += [
    ("log10(p)", np.log10(pp)),
    ("log2(p)", np.log2(pp)),
    ("exp2(e)", np.exp2(e)),
    ("cbrt(e)", np.cbrt(e)),
    ("hypot(e, p)", np.hypot(e, pp)),
    ("fma(e, p, q)", e * pp + q),
    ("fdim(e, q)", np.maximum(e - q, 0)),
    ("inv_square(p)", 1 / pp ** 2),
    ("inv_cloglog(e)", 1 - np.exp(-np.exp(e))),
    ("Phi_approx(e)", 1 / (1 + np.exp(-(0.07056 * e ** 3 + 1.5976 * e)))),
    ("step(e)", np.where(e < 0, 0.0, 1.0)),
    ("int_step(e)", np.where(e > 0, 1.0, 0.0)),
    ("sinh(e)", np.sinh(e)),
    ("cosh(e)", np.cosh(e)),
    ("asinh(e)", np.arcsinh(e)),
    ("acosh(g)", np.arccosh(g)),
    ("atanh(q)", np.arctanh(q)),
    ("asin(q)", np.arcsin(q)),
    ("acos(q)", np.arccos(q)),
    ("tgamma(h)", np.array([math.gamma(v) for v in data["h"]])),
    ("lmultiply(k, p)", lmult),
    ("multiply_log(k, p)", lmult),
    ("binomial_coefficient_log(7, k)", np.array([math.log(math.comb(7, int(v))) for v in k])),
    ("trunc(e)", np.trunc(e)),
    ("round(e)", stan_round(e)),
    ("fmod(e, 0.7)", np.fmod(e, 0.7)),
    ("cov_exp_quad(t, 1.3, 0.7)", sqexp(d["t"], d["t"], 1.3, 0.7)),
    ("crossprod(B)", d["B"].T @ d["B"]),
    ("tcrossprod(B)", d["B"] @ d["B"].T),
    ("trace(M)", np.trace(d["M"])),
    ("identity_matrix(3)", np.eye(3)),
    ("columns_dot_product(M, A)", (d["M"] * d["A"]).sum(0)),
    ("rows_dot_product(M, A)", (d["M"] * d["A"]).sum(1)),
    ("mdivide_left_spd(A, v)", np.linalg.solve(d["A"], d["v"])),
    ("mdivide_left_spd(A, B)", np.linalg.solve(d["A"], d["B"])),
    ("mdivide_right_spd(rv, A)", np.linalg.solve(d["A"], d["rv"])),
    ("mdivide_right_tri_low(rv, cholesky_decompose(A))", d["rv"] @ np.linalg.inv(np.linalg.cholesky(d["A"]))),
    ("inverse_spd(A)", np.linalg.inv(d["A"])),
    ("distance(v, rv')", np.linalg.norm(d["v"] - d["rv"])),
    ("squared_distance(v, rv')", np.sum((d["v"] - d["rv"]) ** 2)),
    ("norm1(M)", np.abs(d["M"]).sum()),
    ("norm2(v)", np.linalg.norm(d["v"])),
    ("prod(e)", np.prod(e)),
    ("prod(u)", np.prod(d["u"])),
    ("col(M, 2)", d["M"][:, 1]),
    ("row(M, 3)", d["M"][2, :]),
    ("block(P, 2, 1, 2, 2)", d["P"][1:3, 0:2]),
    ("sub_col(P, 2, 2, 3)", d["P"][1:4, 1]),
    ("sub_row(M, 2, 2, 2)", d["M"][1, 1:3]),
    ("linspaced_vector(5, -1, 3)", np.linspace(-1, 3, 5)),
    ("linspaced_vector(1, -1, 3)", np.array([3.0])),
    ("ones_vector(3)", np.ones(3)),
    ("zeros_vector(2)", np.zeros(2)),
    ("ones_row_vector(2)", np.ones(2)),
    ("zeros_row_vector(3)", np.zeros(3)),
]


def plain(a):
    a = np.asarray(a, dtype=float)
    return a.tolist()


out = {
    "data": {k: {"type": declarations[k], "value": plain(v)} for k, v in data.items()},
    "cases": [{"expr": e, "value": np.asarray(v, dtype=float).ravel().tolist(), "shape": list(np.shape(v))}
              for e, v in cases],
}
with open(__file__.replace("make_container_reference.py", "container_reference.json"), "w") as f:
    json.dump(out, f)
