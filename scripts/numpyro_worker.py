#!/usr/bin/env python3
"""NumPyro's side of `ppl-bench grad` and `ppl-bench fit`, kept alive between timings so
the two systems can be timed alternately (ppl, NumPyro, ppl, NumPyro, ...) without paying
NumPyro's compile again for every run.

  python numpyro_worker.py --bench DIR --model NAME

Reads one request a line on stdin and answers each with one JSON line on stdout:

  grad S SECONDS     jitted value-and-gradient of the potential (vmapped over S points when
                     S > 1), as the bench's grad_numpyro.py times it: {"grads_per_s", "compile_s"}
  svi GUIDE STEPS    SVI steps (Trace_ELBO with 1 particle, Adam 0.01) of meanfield
                     (AutoNormal), iaf (AutoIAFNormal) or dais4 / dais8 (AutoDAIS, K = 4 / 8),
                     as the bench's run_numpyro.py builds them, under one cached jit of a lax.scan of STEPS steps: {"us_per_step",
                     "compile_s"}; the first request for a guide compiles (not timed)

  python numpyro_worker.py --bench DIR --model NAME --end-to-end GUIDE --steps N

fits the model from the start of the process (imports, tracing and compiling included) with
N SVI steps, draws 1000 times from the guide and prints the posterior means: the process
time of this is what `ppl fit` is compared with.
"""
import argparse
import json
import os
import sys
import time


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--end-to-end", default=None, choices=["meanfield", "iaf"])
    ap.add_argument("--steps", type=int, default=3000)
    return ap.parse_args()


ARGS = parse_args()

import numpyro  # noqa: E402

numpyro.enable_x64()

import jax  # noqa: E402
import numpy as np  # noqa: E402
from jax.flatten_util import ravel_pytree  # noqa: E402
from numpyro.infer import SVI, Trace_ELBO  # noqa: E402
from numpyro.infer.autoguide import AutoDAIS, AutoIAFNormal, AutoNormal  # noqa: E402
from numpyro.infer.util import initialize_model  # noqa: E402
from numpyro.optim import Adam  # noqa: E402

sys.path.insert(0, os.path.join(ARGS.bench, "anchors"))
import numpyro_models as M  # noqa: E402

SPEC = M.MODELS[ARGS.model]
DATA = M.load_data(ARGS.model, data_dir=os.path.join(ARGS.bench, "data")) if SPEC["data"] else {}


def block(x):
    return jax.block_until_ready(x)


def guide_of(kind):
    if kind == "meanfield":
        return AutoNormal(SPEC["fn"])
    if kind.startswith("dais"):
        # AutoDAIS with K = 4 or 8 leapfrog steps and its other defaults, as run_numpyro.py
        # builds it: the counterpart of hvi with as many gradient evaluations per step.
        return AutoDAIS(SPEC["fn"], K=int(kind[4:]))
    info = initialize_model(jax.random.PRNGKey(0), SPEC["fn"], model_kwargs=DATA)
    d = ravel_pytree(info.param_info.z)[0].shape[0]
    # run_numpyro.py's network: NumPyro's AutoregressiveNN refuses widths below D.
    h = max(32, d)
    return AutoIAFNormal(SPEC["fn"], num_flows=2, hidden_dims=[h, h])


class Grad:
    def __init__(self, s):
        info = initialize_model(jax.random.PRNGKey(0), SPEC["fn"], model_kwargs=DATA)
        flat0, unravel = ravel_pytree(info.param_info.z)
        pot = lambda flat: info.potential_fn(unravel(flat))
        d = flat0.shape[0]
        key = jax.random.PRNGKey(1)
        if s == 1:
            g, x = jax.jit(jax.value_and_grad(pot)), flat0 + 0.1 * jax.random.normal(key, (d,), dtype=flat0.dtype)
        else:
            g = jax.jit(jax.vmap(jax.value_and_grad(pot)))
            x = flat0 + 0.1 * jax.random.normal(key, (s, d), dtype=flat0.dtype)
        self.f = lambda: g(x)
        t0 = time.perf_counter()
        block(self.f())
        self.compile_s = time.perf_counter() - t0

    def time(self, seconds):
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            block(self.f())
            n += 1
        return n, time.perf_counter() - t0


class Steps:
    def __init__(self, kind, steps):
        svi = SVI(SPEC["fn"], guide_of(kind), Adam(0.01), loss=Trace_ELBO(num_particles=1))

        def body(st, _):
            return svi.update(st, **DATA)

        self.scan = jax.jit(lambda st: jax.lax.scan(body, st, None, length=steps))
        self.state = svi.init(jax.random.PRNGKey(0), **DATA)
        self.steps = steps
        t0 = time.perf_counter()
        block(self.scan(self.state))
        self.compile_s = time.perf_counter() - t0

    def time(self):
        t0 = time.perf_counter()
        block(self.scan(self.state))
        return (time.perf_counter() - t0) / self.steps


def serve():
    grads, steps = {}, {}
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "grad":
            s, seconds = int(words[1]), float(words[2])
            if s not in grads:
                grads[s] = Grad(s)
            n, dt = grads[s].time(seconds)
            answer = dict(grads_per_s=n * s / dt, compile_s=grads[s].compile_s)
        elif words[0] == "svi":
            kind, count = words[1], int(words[2])
            if (kind, count) not in steps:
                steps[kind, count] = Steps(kind, count)
            answer = dict(us_per_step=1e6 * steps[kind, count].time(), compile_s=steps[kind, count].compile_s)
        else:
            answer = dict(error=f"unknown request {words[0]!r}")
        print(json.dumps(answer), flush=True)


def end_to_end(kind, count):
    svi = SVI(SPEC["fn"], guide_of(kind), Adam(0.01), loss=Trace_ELBO(num_particles=1))
    result = svi.run(jax.random.PRNGKey(0), count, progress_bar=False, **DATA)
    draws = svi.guide.sample_posterior(jax.random.PRNGKey(1), result.params, sample_shape=(1000,), **DATA)
    means = {k: np.asarray(v).mean(axis=0).tolist() for k, v in draws.items() if k in SPEC["latent"]}
    print(json.dumps(dict(steps=count, means=means)), flush=True)


if __name__ == "__main__":
    if ARGS.end_to_end:
        end_to_end(ARGS.end_to_end, ARGS.steps)
    else:
        serve()
