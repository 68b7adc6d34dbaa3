#!/usr/bin/env python3
"""Reference posteriors, by NumPyro NUTS, for the example models with constrained types and
the Gaussian process.

Run from the repository root with a Python that has numpyro (see ../shared/bench/README.md):

    .venv-anchors/bin/python models/make_reference_constrained.py [--model varying_slopes garch_bounded gp]

Writes models/reference/NAME.json: for every scalar component (1-based names, `L_Omega[2,1]`)
of every latent and derived site that varies, the posterior mean, sd, q05, q50, q95, split
r-hat and bulk effective sample size, from 4 chains of 1,000 warm-up and 2,500 kept NUTS
draws in float64. The format of ../shared/bench/reference: `latent_sites` are the model's
params as ppl names them.

Each NumPyro model is the .ppl model's density term by term:
- varying_slopes: NumPyro's LKJCholesky is Stan's lkj_corr_cholesky; a `normal` prior on a
  `vector<lower=0>` is a half-normal (the truncation only changes the constant).
- garch_bounded: ppl's beta1 is `real<lower=0, upper=1 - alpha1>` with no prior statement, so
  (alpha1, beta1) is uniform on the triangle alpha1 + beta1 < 1. Here beta1 = (1 - alpha1) u
  with u uniform on (0, 1), which has density 1 / (1 - alpha1); a factor log(1 - alpha1)
  makes it uniform on the triangle again. The reported sigma is the last volatility, as in ppl.
- gp: `std_normal()` on a `real<lower=0>` is a half-normal; the marginal likelihood is the
  multivariate normal with the Cholesky factor of K + sigma^2 I, as in ppl.
"""
import argparse
import json
import os
import platform
import time

import numpyro

numpyro.enable_x64()
numpyro.set_host_device_count(1)

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import numpyro.distributions as dist  # noqa: E402
from numpyro.diagnostics import effective_sample_size, split_gelman_rubin  # noqa: E402
from numpyro.infer import MCMC, NUTS  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SETTINGS = {"num_warmup": 1000, "num_samples": 2500, "num_chains": 4, "target_accept_prob": 0.9, "seed": 20261}


def varying_slopes(data):
    j = data["J"]
    g = jnp.asarray(data["g"]) - 1
    x1, x2 = jnp.asarray(data["x1"]), jnp.asarray(data["x2"])
    mu = numpyro.sample("mu", dist.Normal(0.0, 5.0).expand([3]).to_event(1))
    tau = numpyro.sample("tau", dist.HalfNormal(2.0).expand([3]).to_event(1))
    l_omega = numpyro.sample("L_Omega", dist.LKJCholesky(3, concentration=2.0))
    z = numpyro.sample("z", dist.Normal(0.0, 1.0).expand([3, j]).to_event(2))
    sigma = numpyro.sample("sigma", dist.HalfNormal(1.0))
    beta = numpyro.deterministic("beta", (tau[:, None] * l_omega) @ z)
    numpyro.deterministic("Omega", l_omega @ l_omega.T)
    eta = mu[0] + beta[0][g] + (mu[1] + beta[1][g]) * x1 + (mu[2] + beta[2][g]) * x2
    numpyro.sample("y", dist.Normal(eta, sigma), obs=jnp.asarray(data["y"]))


def garch_bounded(data):
    r = jnp.asarray(data["r"])
    mu = numpyro.sample("mu", dist.Normal(0.0, 1.0))
    alpha0 = numpyro.sample("alpha0", dist.HalfNormal(1.0))
    alpha1 = numpyro.sample("alpha1", dist.Uniform(0.0, 1.0))
    u = numpyro.sample("beta1_unit", dist.Uniform(0.0, 1.0))
    beta1 = numpyro.deterministic("beta1", (1.0 - alpha1) * u)
    numpyro.factor("uniform_on_the_triangle", jnp.log1p(-alpha1))

    def step(previous, r_before):
        s = jnp.sqrt(alpha0 + alpha1 * (r_before - mu) ** 2 + beta1 * previous ** 2)
        return s, s

    last, rest = jax.lax.scan(step, jnp.asarray(data["sigma1"], dtype=jnp.float64), r[:-1])
    sigma = jnp.concatenate([jnp.asarray([data["sigma1"]]), rest])
    numpyro.deterministic("sigma", last)
    numpyro.sample("r", dist.Normal(mu, sigma), obs=r)


def gp(data):
    x = jnp.asarray(data["x"])
    rho = numpyro.sample("rho", dist.InverseGamma(5.0, 5.0))
    alpha = numpyro.sample("alpha", dist.HalfNormal(1.0))
    sigma = numpyro.sample("sigma", dist.HalfNormal(1.0))
    k = alpha ** 2 * jnp.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / rho ** 2) + sigma ** 2 * jnp.eye(x.shape[0])
    numpyro.sample("y", dist.MultivariateNormal(jnp.zeros(x.shape[0]), scale_tril=jnp.linalg.cholesky(k)),
                   obs=jnp.asarray(data["y"]))


# The sites as ppl names them: its params ("latent", beta1 a deterministic site here) and lets.
MODELS = {
    "varying_slopes": {"fn": varying_slopes, "latent": ["mu", "tau", "L_Omega", "z", "sigma"], "derived": ["beta", "Omega"]},
    "garch_bounded": {"fn": garch_bounded, "latent": ["mu", "alpha0", "alpha1", "beta1"], "derived": ["sigma"]},
    "gp": {"fn": gp, "latent": ["rho", "alpha", "sigma"], "derived": []},
}


def components(site, draws):
    """(name, chains x draws) for every scalar component, 1-based as ppl names them."""
    event = draws.shape[2:]
    if not event:
        yield site, draws
        return
    for idx in np.ndindex(*event):
        yield f"{site}[{','.join(str(i + 1) for i in idx)}]", draws[(slice(None), slice(None)) + idx]


def summary(x):
    flat = x.reshape(-1)
    q05, q50, q95 = np.quantile(flat, [0.05, 0.5, 0.95])
    return {"mean": float(flat.mean()), "sd": float(flat.std(ddof=1)), "q05": float(q05), "q50": float(q50),
            "q95": float(q95), "r_hat": float(split_gelman_rubin(x)), "ess_bulk": float(effective_sample_size(x))}


def run(name):
    spec = MODELS[name]
    with open(os.path.join(HERE, f"{name}.data.json")) as f:
        data = json.load(f)
    kernel = NUTS(spec["fn"], target_accept_prob=SETTINGS["target_accept_prob"])
    mcmc = MCMC(kernel, num_warmup=SETTINGS["num_warmup"], num_samples=SETTINGS["num_samples"],
                num_chains=SETTINGS["num_chains"], chain_method="sequential", progress_bar=False)
    start = time.time()
    mcmc.run(jax.random.PRNGKey(SETTINGS["seed"]), data, extra_fields=("diverging",))
    seconds = time.time() - start
    samples = mcmc.get_samples(group_by_chain=True)
    out = {}
    for site in spec["latent"] + spec["derived"]:
        for component, x in components(site, np.asarray(samples[site], dtype=np.float64)):
            # Components fixed by the type (L_Omega[1,1] = 1, zeros above the diagonal, Omega's
            # unit diagonal) have no posterior spread to compare.
            if np.ptp(x) > 1e-12:
                out[component] = summary(x)
    r_hats = [c["r_hat"] for c in out.values()]
    result = {
        "model": name,
        "latent_sites": spec["latent"],
        "derived_sites": spec["derived"],
        "method": "NUTS",
        "settings": SETTINGS | {"chain_method": "sequential", "precision": "float64"},
        "packages": {"python": platform.python_version(), "jax": jax.__version__, "numpyro": numpyro.__version__,
                     "numpy": np.__version__},
        "n_draws": SETTINGS["num_samples"] * SETTINGS["num_chains"],
        "r_hat_max": max(r_hats),
        "ess_bulk_min": min(c["ess_bulk"] for c in out.values()),
        "num_divergent": int(np.asarray(mcmc.get_extra_fields()["diverging"]).sum()),
        "runtime_s": round(seconds, 1),
        "components": out,
    }
    os.makedirs(os.path.join(HERE, "reference"), exist_ok=True)
    path = os.path.join(HERE, "reference", f"{name}.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"{name}: r-hat max {result['r_hat_max']:.4f}, {result['num_divergent']} divergent, "
          f"{seconds:.0f} s -> {os.path.relpath(path)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", nargs="*", default=list(MODELS))
    for name in parser.parse_args().model:
        run(name)


if __name__ == "__main__":
    main()
