"""Reference values of the container builtins (Stan's conventions), computed with numpy:
container_reference.json. Each case is an expression over the data below, its value
flattened row by row, and its shape (empty for a scalar)."""
import json
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
