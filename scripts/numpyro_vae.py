#!/usr/bin/env python3
"""NumPyro's examples/vae.py on the data vae.ppl fits, for the comparison in the README:
the same networks (400 softplus units, K = 50, weights initialised N(0, 0.01^2) by
stax.randn), Adam at 1e-3, batches of 128 drawn by a fresh permutation each epoch, and the
same fixed binarization (models/fashion_mnist.{train,test}.npz from make_fashion_mnist.py)
in place of the example's dynamic one. Prints one JSON line per epoch: its wall time (the
first includes JAX's compilation, reported apart), the train ELBO per image, and the test
ELBO per image (one draw per image, as the example's eval_test).

    .venv-anchors/bin/python scripts/numpyro_vae.py --epochs 5"""
import argparse
import json
import os
import time

import jax
import jax.numpy as jnp
import numpy as np
from jax import jit, lax, random
from jax.example_libraries import stax

import numpyro
import numpyro.distributions as dist
from numpyro import optim
from numpyro.infer import SVI, Trace_ELBO

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "models")


def encoder(hidden, k):
    return stax.serial(
        stax.Dense(hidden, W_init=stax.randn()), stax.Softplus, stax.FanOut(2),
        stax.parallel(stax.Dense(k, W_init=stax.randn()), stax.serial(stax.Dense(k, W_init=stax.randn()), stax.Exp)))


def decoder(hidden, d):
    return stax.serial(stax.Dense(hidden, W_init=stax.randn()), stax.Softplus, stax.Dense(d, W_init=stax.randn()), stax.Sigmoid)


def model(batch, hidden=400, k=50):
    n, d = batch.shape
    decode = numpyro.module("decoder", decoder(hidden, d), (n, k))
    with numpyro.plate("batch", n):
        z = numpyro.sample("z", dist.Normal(0, 1).expand([k]).to_event(1))
        numpyro.sample("obs", dist.Bernoulli(decode(z)).to_event(1), obs=batch)


def guide(batch, hidden=400, k=50):
    n, d = batch.shape
    encode = numpyro.module("encoder", encoder(hidden, k), (n, d))
    loc, scale = encode(batch)
    with numpyro.plate("batch", n):
        numpyro.sample("z", dist.Normal(loc, scale).to_event(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train = np.load(os.path.join(MODELS, "fashion_mnist.train.npz"))["X"].astype(np.float32)
    test = np.load(os.path.join(MODELS, "fashion_mnist.test.npz"))["X"].astype(np.float32)
    batch = 128
    steps = len(train) // batch
    svi = SVI(model, guide, optim.Adam(1e-3), Trace_ELBO())
    key = random.PRNGKey(args.seed)
    key, init = random.split(key)
    state = svi.init(init, jnp.asarray(train[:batch]))
    data = jnp.asarray(train)
    test_data = jnp.asarray(test)

    @jit
    def epoch(state, order):
        def body(i, val):
            total, state = val
            rows = lax.dynamic_slice_in_dim(order, i * batch, batch)
            state, loss = svi.update(state, data[rows])
            return total + loss, state
        return lax.fori_loop(0, steps, body, (0.0, state))

    @jit
    def evaluate(state):
        def body(i, total):
            rows = lax.dynamic_slice_in_dim(test_data, i * 100, 100)
            return total + svi.evaluate(state, rows)
        return lax.fori_loop(0, len(test) // 100, body, 0.0)

    for e in range(args.epochs):
        key, k = random.split(key)
        order = random.permutation(k, len(train))
        start = time.perf_counter()
        total, state = epoch(state, order)
        total.block_until_ready()
        seconds = time.perf_counter() - start
        test_elbo = -float(evaluate(state)) / (len(test) // 100 * 100)
        print(json.dumps({"epoch": e + 1, "seconds": seconds, "train_elbo": -float(total) / (steps * batch),
                          "test_elbo": test_elbo, "devices": str(jax.devices())}), flush=True)


if __name__ == "__main__":
    main()
