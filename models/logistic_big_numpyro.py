#!/usr/bin/env python3
"""NumPyro's side of `ppl-bench minibatch`: logistic_big.ppl's model with
numpyro.plate("N", N, subsample_size=M) and AutoNormal, Adam(lr), Trace_ELBO with one
particle, float64. Reads logistic_big.data.npz (make_logistic_big.py), then commands,
one a line on standard input, each answered by one JSON line on standard output:

  time     S more steps from the current state, as one cached jax.jit of lax.scan over
           svi.update (compiled before the first command); {"seconds": wall clock}
  fit T    steps from the current state until T in all; {"steps", "params": {name:
           {"mean", "sd"}}}: AutoNormal's loc and scale, which are the guide's mean and sd

    python logistic_big_numpyro.py DATA.npz --batch 1000 --scan-steps 1000 [--lr 0.01]
"""
import argparse
import json
import sys
import time

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpyro  # noqa: E402
import numpyro.distributions as dist  # noqa: E402
from numpyro.infer import SVI, Trace_ELBO  # noqa: E402
from numpyro.infer.autoguide import AutoNormal  # noqa: E402
from numpyro.optim import Adam  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("data")
ap.add_argument("--batch", type=int, default=1000)
ap.add_argument("--scan-steps", type=int, default=1000)
ap.add_argument("--lr", type=float, default=0.01)
ap.add_argument("--seed", type=int, default=0)
a = ap.parse_args()

d = np.load(a.data)
X, y = jnp.asarray(d["X"], dtype=jnp.float64), jnp.asarray(d["y"], dtype=jnp.float64)
N, K = X.shape


def model(X, y):
    alpha = numpyro.sample("alpha", dist.Normal(0.0, 2.5))
    beta = numpyro.sample("beta", dist.Normal(0.0, 2.5).expand([K]).to_event(1))
    with numpyro.plate("N", N, subsample_size=a.batch) as idx:
        numpyro.sample("y", dist.Bernoulli(logits=alpha + X[idx] @ beta), obs=y[idx])


guide = AutoNormal(model)
svi = SVI(model, guide, Adam(a.lr), loss=Trace_ELBO(num_particles=1))
state = svi.init(jax.random.PRNGKey(a.seed), X, y)
scan = jax.jit(lambda st, X, y: jax.lax.scan(lambda s, _: svi.update(s, X, y), st, None, length=a.scan_steps))
t0 = time.perf_counter()
jax.block_until_ready(scan(state, X, y))
print(json.dumps({"ready": True, "compile_s": time.perf_counter() - t0}), flush=True)
steps = 0
for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    if words[0] == "time":
        t0 = time.perf_counter()
        state, losses = scan(state, X, y)
        jax.block_until_ready((state, losses))
        steps += a.scan_steps
        print(json.dumps({"seconds": time.perf_counter() - t0}), flush=True)
    elif words[0] == "fit":
        while steps < int(words[1]):
            state, losses = scan(state, X, y)
            steps += a.scan_steps
        p = svi.get_params(state)
        out = {"alpha": {"mean": float(p["alpha_auto_loc"]), "sd": float(p["alpha_auto_scale"])}}
        for k in range(K):
            out[f"beta[{k + 1}]"] = {"mean": float(p["beta_auto_loc"][k]), "sd": float(p["beta_auto_scale"][k])}
        print(json.dumps({"steps": steps, "params": out}), flush=True)
