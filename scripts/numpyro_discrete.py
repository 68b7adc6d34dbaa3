#!/usr/bin/env python3
"""NumPyro beside ppl on a mixture with explicit discrete assignments (ppl's
Tests/Data/discrete/explicit.ppl): the same model, fitted by SVI with a Bernoulli guide per
point under TraceGraph_ELBO (NumPyro's score function estimator, Rao-Blackwellised by the
plate; `--method tracegraph`), or the reference posterior of the marginalised model by NUTS
(`--method nuts`). Prints one JSON line: the posterior mean and sd of mu[1], mu[2], p and
the seconds of the fit (for SVI, the second run of the jitted loop: the first compiles it).

The model is ppl's exactly: mu ordered with a normal(0, 5) density on its values (an
improper uniform over ordered vectors plus a factor), p uniform, z[n] ~ bernoulli(p),
y[n] ~ normal(mu[z[n] + 1], 1).
"""
import argparse
import json
import time

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints
from numpyro.infer import MCMC, NUTS, SVI, TraceGraph_ELBO
from numpyro.infer.autoguide import AutoNormal
from numpyro.optim import Adam


def prior(y):
    mu = numpyro.sample("mu", dist.ImproperUniform(constraints.ordered_vector, (), (2,)))
    numpyro.factor("mu_prior", dist.Normal(0, 5).log_prob(mu).sum())
    p = numpyro.sample("p", dist.Uniform(0, 1))
    return mu, p


def explicit(y):
    mu, p = prior(y)
    with numpyro.plate("n", y.shape[0]):
        z = numpyro.sample("z", dist.Bernoulli(p))
        numpyro.sample("y", dist.Normal(mu[z.astype(jnp.int32)], 1), obs=y)


def marginalised(y):
    mu, p = prior(y)
    with numpyro.plate("n", y.shape[0]):
        lp = jnp.stack([jnp.log1p(-p) + dist.Normal(mu[0], 1).log_prob(y), jnp.log(p) + dist.Normal(mu[1], 1).log_prob(y)])
        numpyro.factor("y", jax.scipy.special.logsumexp(lp, axis=0))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--particles", type=int, default=8)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--method", choices=["nuts", "tracegraph"], required=True)
    args = ap.parse_args()
    y = jnp.array(json.load(open(args.data))["y"])
    out = {}

    if args.method == "nuts":
        t = time.time()
        mcmc = MCMC(NUTS(marginalised), num_warmup=1000, num_samples=4000, num_chains=1, progress_bar=False)
        mcmc.run(jax.random.PRNGKey(0), y)
        s = mcmc.get_samples()
        print(json.dumps({"nuts_marginalised": summary(s["mu"], s["p"], time.time() - t)}))
        return

    continuous = AutoNormal(numpyro.handlers.block(explicit, hide=["z"]))

    def guide(y):
        continuous(y)
        logits = numpyro.param("z_logits", jnp.zeros(y.shape[0]))
        with numpyro.plate("n", y.shape[0]):
            numpyro.sample("z", dist.Bernoulli(logits=logits))

    svi = SVI(explicit, guide, Adam(args.lr), TraceGraph_ELBO(num_particles=args.particles))
    # The first run compiles the loop; the second, timed, is its steady state.
    svi.run(jax.random.PRNGKey(1), args.steps, y, progress_bar=False)
    t = time.time()
    result = svi.run(jax.random.PRNGKey(1), args.steps, y, progress_bar=False)
    seconds = time.time() - t
    draws = numpyro.infer.Predictive(continuous, params=result.params, num_samples=4000)(jax.random.PRNGKey(2), y)
    out["numpyro_tracegraph"] = summary(draws["mu"], draws["p"], seconds)
    out["numpyro_tracegraph"]["steps"] = args.steps
    out["numpyro_tracegraph"]["final_elbo"] = float(-np.mean(np.asarray(result.losses[-200:])))
    print(json.dumps(out))


def summary(mu, p, seconds):
    mu, p = np.asarray(mu), np.asarray(p)
    return {"mu[1]": [float(mu[:, 0].mean()), float(mu[:, 0].std())], "mu[2]": [float(mu[:, 1].mean()), float(mu[:, 1].std())],
            "p": [float(p.mean()), float(p.std())], "seconds": seconds}


if __name__ == "__main__":
    main()
