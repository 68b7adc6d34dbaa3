#!/usr/bin/env python3
"""Long reference posteriors for the hard example models (issue 21), by NUTS in NumPyro.

Run from the repository root, with a Python that has numpyro and jax (and scipy):

    python models/make_reference.py [--model NAME ...]

For each model of numpyro_models.MODELS: 4 chains run one after another, 1,000 warm-up
and 2,500 kept draws each by default, float64, NumPyro's NUTS with a dense mass matrix
(target acceptance 0.8, tree depth 10, unless the model's "nuts" entry says otherwise).
For the models marked "whiten", NUTS runs in whitened coordinates: NumPyro's
unconstrained parameters are written u = mode + L z, with the mode found by a damped
Newton method and L L' the inverse Hessian there (see nuts_whitened: an affine change of
variables, the same posterior). Writes reference/NAME.json in the format of the bench's references: for every scalar component
(1-based names, beta[1]) of every latent and derived site, its mean, sd, q05, q50, q95,
rank-normalised split R-hat and bulk and tail effective sample sizes (Vehtari et al.
2021, "Rank-normalization, folding, and localization"), and over the run: R-hat max,
divergences per chain, tree-depth hits, the settings, the package versions and the run
time. A model with a "direct" twin (the literal translation of the ppl model, when the
reference is sampled in another parameterisation) has that run's diagnostics recorded
under "direct_nuts"; one with exact posterior moments ("moments") has the reference's
differences from them under "crosscheck_exact". The script fails (non-zero exit) if any R-hat is 1.01 or more or any
transition diverged in the reference run.
"""
import argparse
import json
import os
import platform
import sys
import time

import numpyro

numpyro.enable_x64()
numpyro.set_host_device_count(1)

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from numpyro.diagnostics import effective_sample_size, split_gelman_rubin  # noqa: E402
from jax.flatten_util import ravel_pytree  # noqa: E402
from numpyro.infer import MCMC, NUTS  # noqa: E402
from numpyro.infer.util import initialize_model  # noqa: E402
from scipy import stats  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import numpyro_models as M  # noqa: E402

OUT_DIR = os.path.join(HERE, "reference")


def z_scale(x):
    """Rank-normalise all draws together (chains x draws), ranks to normal scores."""
    ranks = stats.rankdata(x, method="average").reshape(x.shape)
    return stats.norm.ppf((ranks - 0.375) / (x.size + 0.25))


def split_chains(x):
    half = x.shape[1] // 2
    return np.concatenate([x[:, :half], x[:, x.shape[1] - half:]], axis=0)


def rank_rhat(x):
    """max(bulk R-hat, tail R-hat): split R-hat of the rank-normalised draws and of the
    rank-normalised distances from the median."""
    bulk = split_gelman_rubin(z_scale(x))
    tail = split_gelman_rubin(z_scale(np.abs(x - np.median(x))))
    return float(max(bulk, tail))


def ess_bulk(x):
    return float(effective_sample_size(z_scale(split_chains(x))))


def ess_tail(x):
    """The smaller ESS of the indicators of the 5% and 95% quantiles."""
    q05, q95 = np.quantile(x, [0.05, 0.95])
    return float(min(effective_sample_size(split_chains((x <= q).astype(float))) for q in (q05, q95)))


def summarize(x):
    """x: chains x draws of one scalar component."""
    flat = x.reshape(-1)
    q05, q50, q95 = np.quantile(flat, [0.05, 0.5, 0.95])
    return dict(mean=float(flat.mean()), sd=float(flat.std(ddof=1)), q05=float(q05),
                q50=float(q50), q95=float(q95), r_hat=rank_rhat(x), ess_bulk=ess_bulk(x),
                ess_tail=ess_tail(x))


def components(site, draws):
    """(name, chains x draws) for every scalar component of a site, 1-based names."""
    shape = draws.shape[2:]
    if not shape:
        yield site, draws
        return
    for index in np.ndindex(*shape):
        yield f"{site}[{','.join(str(i + 1) for i in index)}]", draws[(Ellipsis,) + index]


def mode(potential, start):
    """The minimum of `potential` (the negative log posterior on NumPyro's flattened
    unconstrained space) and the Hessian there. Newton's method with Levenberg-Marquardt
    damping scaled by the Hessian's diagonal, so that its steps do not depend on the
    parameters' scales."""
    grad, hess = jax.jit(jax.grad(potential)), jax.jit(jax.hessian(potential))
    v, damping = np.asarray(start, dtype=np.float64), 1e-3
    for _ in range(1000):
        f, g, h = float(potential(v)), np.asarray(grad(v)), np.asarray(hess(v))
        scale = np.diag(np.maximum(np.abs(np.diag(h)), 1e-12))
        while damping < 1e12:
            step = np.linalg.solve(h + damping * scale, g)
            if float(potential(v - step)) <= f:
                break
            damping *= 10
        else:
            raise RuntimeError(f"no descent step from {v}")
        v, damping = v - step, max(damping / 10, 1e-12)
        if np.all(np.linalg.eigvalsh(h) > 0) and g @ np.linalg.solve(h, g) < 1e-16:
            return v, np.asarray(hess(v))
    raise RuntimeError("no mode in 1000 Newton steps")


def run_chains(kernel, cfg, seed, init=None, data=None):
    """The chains' draws (chains x draws x ...) and their diagnostics."""
    mcmc = MCMC(kernel, num_warmup=cfg["num_warmup"], num_samples=cfg["num_samples"],
                num_chains=cfg["num_chains"], chain_method="sequential", progress_bar=False)
    start = time.time()
    mcmc.run(jax.random.PRNGKey(seed), init_params=init, extra_fields=("diverging", "num_steps"), **(data or {}))
    draws = mcmc.get_samples(group_by_chain=True)
    jax.block_until_ready(draws)
    extra = mcmc.get_extra_fields(group_by_chain=True)
    diverging, steps = np.asarray(extra["diverging"]), np.asarray(extra["num_steps"])
    return draws, dict(seconds=time.time() - start, divergent_per_chain=[int(d) for d in diverging.sum(axis=1)],
                       max_treedepth_hits=int((steps >= 2 ** cfg["max_tree_depth"] - 1).sum()),
                       mean_leapfrog_steps=float(steps.mean()))


def nuts_whitened(fn, data, cfg, seed):
    """NUTS on z, where NumPyro's unconstrained parameters are u = mode + L z and L L' is
    the inverse Hessian at the mode: an affine change of variables (constant Jacobian), so
    the posterior is the same, but z is close to isotropic. The posteriors of these models
    span five orders of magnitude in scale; NUTS's warm-up does not undo that by itself
    (its mass matrix estimate is regularised towards 1e-3 times the identity, which swamps
    a variance of 1e-9). Each chain starts at z = 2 x a standard normal draw (over-dispersed,
    so that R-hat compares chains that began apart). Returns the sites' draws
    (chains x draws x ...) and the run's diagnostics."""
    info = initialize_model(jax.random.PRNGKey(seed), fn, model_kwargs=data)
    flat, unravel = ravel_pytree(info.param_info.z)
    potential = jax.jit(lambda v: info.potential_fn(unravel(v)))
    centre, hessian = mode(potential, flat)
    factor = jnp.asarray(np.linalg.cholesky(np.linalg.inv(hessian)))
    kernel = NUTS(potential_fn=lambda z: potential(centre + factor @ z), target_accept_prob=cfg["target_accept"],
                  max_tree_depth=cfg["max_tree_depth"], dense_mass=cfg["dense_mass"])
    init = jnp.asarray(2 * np.random.default_rng(seed).standard_normal((cfg["num_chains"], flat.size)))
    z, diag = run_chains(kernel, cfg, seed, init)
    u = centre + jnp.reshape(z, (-1, flat.size)) @ factor.T
    sites = jax.vmap(lambda v: info.postprocess_fn(unravel(v)))(u)
    shape = (cfg["num_chains"], cfg["num_samples"])
    return {k: np.asarray(v, dtype=np.float64).reshape(shape + v.shape[1:]) for k, v in sites.items()}, diag


def nuts_direct(fn, data, cfg, seed):
    """NUTS on the model as written, from NumPyro's default start."""
    kernel = NUTS(fn, target_accept_prob=cfg["target_accept"], max_tree_depth=cfg["max_tree_depth"],
                  dense_mass=cfg["dense_mass"])
    draws, diag = run_chains(kernel, cfg, seed, data=data)
    return {k: np.asarray(v, dtype=np.float64) for k, v in draws.items()}, diag


def diagnostics(draws, run, sites):
    """R-hat max and bulk ESS min over the components of `sites`, with the run's own."""
    rhats, ess = [], []
    for site in sites:
        for _, x in components(site, draws[site]):
            rhats.append(rank_rhat(x))
            ess.append(ess_bulk(x))
    return dict(r_hat_max=max(rhats), ess_bulk_min=min(ess), num_divergent=sum(run["divergent_per_chain"]),
                divergent_per_chain=run["divergent_per_chain"], max_treedepth_hits=run["max_treedepth_hits"],
                mean_leapfrog_steps=run["mean_leapfrog_steps"], runtime_s=round(run["seconds"], 2))


def versions():
    from importlib import metadata
    out = {"python": platform.python_version()}
    for package in ("jax", "jaxlib", "numpyro", "numpy", "scipy"):
        out[package] = metadata.version(package)
    return out


def reference(name, args):
    spec = M.MODELS[name]
    data = M.load_data(name)
    cfg = dict(num_warmup=args.num_warmup, num_samples=args.num_samples, num_chains=args.num_chains,
               target_accept=0.8, max_tree_depth=10, dense_mass=True)
    cfg.update(spec.get("nuts") or {})
    sampler = nuts_whitened if spec.get("whiten") else nuts_direct
    draws, run = sampler(spec["fn"], data, cfg, args.seed)
    comps = {}
    for site in spec["latent"] + spec["derived"]:
        for cname, x in components(site, draws[site]):
            comps[cname] = summarize(x)
    latent_rhats = [comps[c]["r_hat"] for site in spec["latent"] for c, _ in components(site, draws[site])]
    diag = diagnostics(draws, run, spec["latent"] + spec["derived"])
    res = dict(
        model=name, latent_sites=spec["latent"], derived_sites=spec["derived"], packages=versions(),
        method=("NUTS, whitened by the Laplace approximation at the mode" if spec.get("whiten") else "NUTS")
               + ("" if spec.get("direct") is None else f", on the reparameterised twin {spec['fn'].__name__}"),
        settings=dict(num_warmup=cfg["num_warmup"], num_samples_per_chain=cfg["num_samples"],
                      num_chains=cfg["num_chains"], chain_method="sequential",
                      target_accept_prob=cfg["target_accept"], max_tree_depth=cfg["max_tree_depth"],
                      dense_mass=cfg["dense_mass"], seed=args.seed, precision="float64",
                      init="z = 2 x a standard normal draw per chain (u = mode + L z)" if spec.get("whiten")
                           else "numpyro default (init_to_uniform)"),
        n_draws=cfg["num_chains"] * cfg["num_samples"],
        r_hat_max=diag["r_hat_max"], r_hat_max_latent=max(latent_rhats), r_hat_ok=diag["r_hat_max"] < 1.01,
        **{k: v for k, v in diag.items() if k != "r_hat_max"},
        components=comps,
    )
    if spec.get("moments") is not None:
        exact = spec["moments"](**{k: np.asarray(v) for k, v in data.items() if not isinstance(v, int)})
        mean_diff = [abs(comps[c]["mean"] - e["mean"]) / e["sd"] for c, e in exact.items()]
        sd_ratio = [abs(np.log(comps[c]["sd"] / e["sd"])) for c, e in exact.items()]
        res["crosscheck_exact"] = dict(
            method=spec["moments"].__doc__.split(":")[0].strip(),
            max_abs_mean_diff_in_sd=float(max(mean_diff)), mean_abs_mean_diff_in_sd=float(np.mean(mean_diff)),
            max_abs_log_sd_ratio=float(max(sd_ratio)), mean_abs_log_sd_ratio=float(np.mean(sd_ratio)))
    if spec.get("direct") is not None:
        direct, direct_run = nuts_direct(spec["direct"], data, cfg, args.seed)
        res["direct_nuts"] = dict(
            diagnostics(direct, direct_run, spec["latent"]),
            note=f"NUTS on {spec['direct'].__name__}, the model as written, same settings but NumPyro's "
                 "default start (it has no mode): recorded to show why it is not the reference")
    return res


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", choices=list(M.MODELS), help="repeatable; default all")
    parser.add_argument("--seed", type=int, default=2101)
    parser.add_argument("--num-warmup", type=int, default=1000)
    parser.add_argument("--num-samples", type=int, default=2500)
    parser.add_argument("--num-chains", type=int, default=4)
    args = parser.parse_args()
    os.makedirs(OUT_DIR, exist_ok=True)
    failed = []
    for name in args.model or list(M.MODELS):
        res = reference(name, args)
        with open(os.path.join(OUT_DIR, name + ".json"), "w") as f:
            json.dump(res, f, indent=1)
            f.write("\n")
        print(f"{name}: r_hat_max {res['r_hat_max']:.4f}, ess_bulk_min {res['ess_bulk_min']:.0f}, "
              f"divergent {res['num_divergent']}, treedepth hits {res['max_treedepth_hits']}, "
              f"mean leapfrog steps {res['mean_leapfrog_steps']:.1f}, {res['runtime_s']} s", flush=True)
        if "crosscheck_exact" in res:
            c = res["crosscheck_exact"]
            print(f"   vs exact moments: mean diff max {c['max_abs_mean_diff_in_sd']:.3f} sd, "
                  f"|log sd ratio| max {c['max_abs_log_sd_ratio']:.3f}", flush=True)
        if "direct_nuts" in res:
            d = res["direct_nuts"]
            print(f"   as written: r_hat_max {d['r_hat_max']:.4f}, divergent {d['num_divergent']}", flush=True)
        if not res["r_hat_ok"] or res["num_divergent"] > 0:
            failed.append(name)
    if failed:
        sys.exit(f"reference not converged (R-hat >= 1.01 or divergences): {', '.join(failed)}")


if __name__ == "__main__":
    main()
