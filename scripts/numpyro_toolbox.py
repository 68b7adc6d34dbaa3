#!/usr/bin/env python3
"""NumPyro's counterparts of ppl's laplace, lowrank and svgd families and of its Rényi
objective, fitted on one bench model; prints one JSON line (accuracy against the bench's
reference posterior and time per step), for `ppl-bench fit`.

  laplace  AutoLaplaceApproximation (the MAP by SVI, then the Hessian at it)
  lowrank  AutoLowRankMultivariateNormal (its default rank, round(sqrt(D)))
  renyi    AutoNormal under RenyiELBO(alpha, num_particles=8)
  svgd     SVGD (AutoDelta particles, RBF kernel, Adagrad as NumPyro recommends)

Accuracy as the bench's anchors measure it: per latent component, |mean - ref| / ref sd and
|log(sd / ref sd)|, averaged. Time per step: the second `run` of the jitted loop over its
steps (the first compiles it).
"""
import argparse
import json
import math
import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
from numpyro.contrib.einstein import SVGD, RBFKernel
from numpyro.infer import SVI, Predictive, RenyiELBO, Trace_ELBO
from numpyro.infer.autoguide import AutoLaplaceApproximation, AutoLowRankMultivariateNormal, AutoNormal
from numpyro.optim import Adagrad, Adam

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--method", required=True, choices=["laplace", "lowrank", "renyi", "svgd"])
    ap.add_argument("--bench", default=os.path.join(HERE, "..", "..", "shared", "bench"))
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--alpha", type=float, default=0.5)
    ap.add_argument("--particles", type=int, default=20, help="SVGD's particles")
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args()


def block(x):
    jax.tree_util.tree_map(lambda a: a.block_until_ready() if hasattr(a, "block_until_ready") else a, x)


def components(site, arr):
    if arr.ndim == 1:
        yield site, arr
        return
    for idx in np.ndindex(*arr.shape[1:]):
        yield f"{site}[{','.join(str(i + 1) for i in idx)}]", arr[(slice(None),) + idx]


def main():
    a = parse_args()
    numpyro.enable_x64()
    sys.path.insert(0, os.path.join(a.bench, "anchors"))
    import numpyro_models as M

    spec = M.MODELS[a.model]
    data = M.load_data(spec["data"], data_dir=os.path.join(a.bench, "data"), float_dtype=jnp.float64) if spec["data"] else {}
    model = spec["fn"]
    key = jax.random.PRNGKey(a.seed)
    k_fit, k_draw = jax.random.split(key)

    if a.method == "svgd":
        fitter = SVGD(model, Adagrad(step_size=0.05), RBFKernel(), num_stein_particles=a.particles)
    else:
        guide = {"laplace": AutoLaplaceApproximation, "lowrank": AutoLowRankMultivariateNormal,
                 "renyi": AutoNormal}[a.method](model)
        loss = RenyiELBO(alpha=a.alpha, num_particles=8) if a.method == "renyi" else Trace_ELBO()
        fitter = SVI(model, guide, Adam(a.lr), loss=loss)

    def run(steps):
        t0 = time.perf_counter()
        result = fitter.run(k_fit, steps, progress_bar=False, **data)
        block(result.params)
        return result, time.perf_counter() - t0

    run(a.steps)  # compiles
    result, seconds = run(a.steps)
    per_step = seconds / a.steps

    if a.method == "svgd":
        out = Predictive(fitter.guide, params=result.params, num_samples=1, batch_ndims=1)(k_draw, **data)
        draws = {k: np.asarray(v, dtype=np.float64).reshape((-1,) + v.shape[2:]) for k, v in out.items()}
    else:
        draws = {k: np.asarray(v, dtype=np.float64)
                 for k, v in fitter.guide.sample_posterior(k_draw, result.params, sample_shape=(a.draws,), **data).items()}

    ref = json.load(open(os.path.join(a.bench, "reference", a.model + ".json")))
    errors, logsd, sds = [], [], {}
    for site in spec["latent"]:
        for name, x in components(site, draws[site]):
            x = x[np.isfinite(x)]
            r = dict(ref["components"][name])
            r.update(ref.get("analytic", {}).get(name, {}))
            sd = float(x.std(ddof=1))
            sds[name] = sd
            errors.append(abs(float(x.mean()) - r["mean"]) / r["sd"])
            logsd.append(abs(math.log(sd / r["sd"])) if sd > 0 else float("inf"))
    line = dict(model=a.model, method=a.method, steps=a.steps, s_per_1000_jit=1000 * per_step,
                mean_err=float(np.mean(errors)), logsd_err=float(np.mean(logsd)))
    if a.model == "funnel":
        line["sd_v"] = sds["v"]
    if a.model == "banana":
        line["sd_z2"] = sds["z2"]
    print(json.dumps(line))


if __name__ == "__main__":
    main()
