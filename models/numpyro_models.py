"""NumPyro versions of the hard example models (issue 21), for make_reference.py.

Each function is the posterior of the ppl model of the same name in this directory:
the same priors, likelihood and constraints, every density normalised as NumPyro's
are (ppl adds the same constants or none; the posterior is the same either way). Where
NUTS needs another parameterisation to sample the posterior well, the function says so;
the sites named in the registry below (the ppl model's params) keep their meaning.

Data are the keyword arguments, loaded from NAME.data.json by ``load_data``.
"""
import json
import os

import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist

HERE = os.path.dirname(os.path.abspath(__file__))


def kid_iq(N, kid_score, mom_hs, mom_iq, mom_income):
    alpha = numpyro.sample("alpha", dist.Normal(0.0, 100.0))
    beta_hs = numpyro.sample("beta_hs", dist.Normal(0.0, 10.0))
    beta_iq = numpyro.sample("beta_iq", dist.Normal(0.0, 10.0))
    beta_income = numpyro.sample("beta_income", dist.Normal(0.0, 10.0))
    sigma = numpyro.sample("sigma", dist.HalfNormal(50.0))
    mean = alpha + beta_hs * mom_hs + beta_iq * mom_iq + beta_income * mom_income
    numpyro.sample("kid_score", dist.Normal(mean, sigma), obs=kid_score)


def house_prices(N, K, X, log_price):
    alpha = numpyro.sample("alpha", dist.Normal(0.0, 20.0))
    beta = numpyro.sample("beta", dist.Normal(0.0, 5.0).expand([K]).to_event(1))
    sigma = numpyro.sample("sigma", dist.HalfNormal(1.0))
    numpyro.sample("log_price", dist.Normal(alpha + X @ beta, sigma), obs=log_price)


def loan_default(N, age, income, loan, credit_score, default):
    alpha = numpyro.sample("alpha", dist.Normal(0.0, 10.0))
    beta_age = numpyro.sample("beta_age", dist.Normal(0.0, 2.5))
    beta_income = numpyro.sample("beta_income", dist.Normal(0.0, 2.5))
    beta_loan = numpyro.sample("beta_loan", dist.Normal(0.0, 2.5))
    beta_score = numpyro.sample("beta_score", dist.Normal(0.0, 2.5))
    eta = alpha + beta_age * age + beta_income * income + beta_loan * loan + beta_score * credit_score
    numpyro.sample("default", dist.Bernoulli(logits=eta), obs=default)


def ar_k(K, T, y):
    """The ppl model's loop, vectorised: mu[t] = alpha + sum_k phi[k] y[t-k], t > K."""
    alpha = numpyro.sample("alpha", dist.Normal(0.0, 5.0))
    phi = numpyro.sample("phi", dist.Normal(0.0, 2.0).expand([K]).to_event(1))
    sigma = numpyro.sample("sigma", dist.HalfNormal(2.0))
    lags = jnp.stack([y[K - k:T - k] for k in range(1, K + 1)], axis=1)
    numpyro.sample("y", dist.Normal(alpha + lags @ phi, sigma), obs=y[K:])


def garch11(T, r, sigma1):
    mu = numpyro.sample("mu", dist.Normal(0.0, 1.0))
    alpha0 = numpyro.sample("alpha0", dist.HalfNormal(1.0))
    persistence = numpyro.sample("persistence", dist.Uniform(0.0, 1.0))
    share = numpyro.sample("share", dist.Uniform(0.0, 1.0))
    numpyro.factor("triangle_jacobian", jnp.log(persistence))
    alpha1 = numpyro.deterministic("alpha1", persistence * share)
    beta1 = numpyro.deterministic("beta1", persistence * (1.0 - share))

    def step(s, r_prev):
        s = jnp.sqrt(alpha0 + alpha1 * (r_prev - mu) ** 2 + beta1 * s * s)
        return s, s

    _, rest = jax.lax.scan(step, jnp.asarray(sigma1, dtype=r.dtype), r[:-1])
    sigma = jnp.concatenate([jnp.reshape(sigma1, (1,)).astype(r.dtype), rest])
    numpyro.deterministic("sigma", sigma[-1])  # the ppl model's local, after its loop
    numpyro.sample("r", dist.Normal(mu, sigma), obs=r)


def hsgp(N, x, y, M, c):
    xc = x - jnp.mean(x)
    L = c * jnp.max(jnp.abs(xc))
    sqrt_lambda = jnp.arange(1, M + 1) * jnp.pi / (2.0 * L)
    phi = jnp.sin(sqrt_lambda[None, :] * (xc[:, None] + L)) / jnp.sqrt(L)
    intercept = numpyro.sample("intercept", dist.Normal(0.0, 5.0))
    rho = numpyro.sample("rho", dist.InverseGamma(5.0, 5.0))
    alpha = numpyro.sample("alpha", dist.HalfNormal(2.0))
    sigma = numpyro.sample("sigma", dist.HalfNormal(1.0))
    beta = numpyro.sample("beta", dist.Normal(0.0, 1.0).expand([M]).to_event(1))
    spd = alpha ** 2 * jnp.sqrt(2.0 * jnp.pi) * rho * jnp.exp(-0.5 * (rho * sqrt_lambda) ** 2)
    f = numpyro.deterministic("f", phi @ (jnp.sqrt(spd) * beta))
    numpyro.sample("y", dist.Normal(intercept + f, sigma), obs=y)


def meta_analysis(J, y, se):
    """Centred, as the ppl model is written. NUTS diverges in its funnel; the reference
    is sampled with meta_analysis_noncentred, the same posterior."""
    mu = numpyro.sample("mu", dist.Normal(0.0, 1.0))
    tau = numpyro.sample("tau", dist.HalfNormal(1.0))
    theta = numpyro.sample("theta", dist.Normal(mu, tau).expand([J]).to_event(1))
    numpyro.sample("y", dist.Normal(theta, se), obs=y)


def meta_analysis_noncentred(J, y, se):
    """theta = mu + tau * eta with eta ~ std_normal: the density of (mu, tau, theta) is
    that of meta_analysis (the map eta -> theta is the change of variables)."""
    mu = numpyro.sample("mu", dist.Normal(0.0, 1.0))
    tau = numpyro.sample("tau", dist.HalfNormal(1.0))
    eta = numpyro.sample("eta", dist.Normal(0.0, 1.0).expand([J]).to_event(1))
    theta = numpyro.deterministic("theta", mu + tau * eta)
    numpyro.sample("y", dist.Normal(theta, se), obs=y)


def meta_analysis_moments(y, se):
    """Posterior means and sds of mu, tau and theta by quadrature, independent of NUTS:
    theta integrates out (y[j] ~ normal(mu, sqrt(tau^2 + se[j]^2))), so p(mu, tau | y) is
    summed on a 900 x 1600 grid, and theta[j] given (mu, tau, y) is normal (precision
    1/tau^2 + 1/se[j]^2)."""
    import numpy as np
    from scipy import stats
    y, se = np.asarray(y), np.asarray(se)
    mu, tau = np.meshgrid(np.linspace(-0.2, 0.7, 900), np.linspace(1e-6, 0.8, 1600), indexing="ij")
    log_p = stats.norm.logpdf(mu, 0.0, 1.0) + stats.halfnorm.logpdf(tau, scale=1.0)
    for yj, sj in zip(y, se):
        log_p += stats.norm.logpdf(yj, mu, np.sqrt(tau ** 2 + sj ** 2))
    w = np.exp(log_p - log_p.max())
    w /= w.sum()

    def moments(mean, var=0.0):
        m = (w * mean).sum()
        return dict(mean=float(m), sd=float(np.sqrt((w * (var + mean ** 2)).sum() - m ** 2)))

    out = {"mu": moments(mu), "tau": moments(tau)}
    for j, (yj, sj) in enumerate(zip(y, se)):
        var = 1.0 / (1.0 / tau ** 2 + 1.0 / sj ** 2)
        out[f"theta[{j + 1}]"] = moments(var * (mu / tau ** 2 + yj / sj ** 2), var)
    return out


# Registry: "latent" are the ppl model's params (sites summarised and scored), "derived"
# further deterministic sites summarised; "fn" is sampled for the reference, "direct" (if
# any) is the literal translation, also run and recorded to show why it was not used;
# "moments" (if any) computes exact posterior means and sds from the data, to check the
# reference against; "whiten": sample in coordinates whitened at the mode (make_reference.nuts_whitened), for
# the posteriors whose scales differ by orders of magnitude; "nuts" overrides the default
# NUTS settings.
MODELS = {
    "kid_iq": dict(fn=kid_iq, latent=["alpha", "beta_hs", "beta_iq", "beta_income", "sigma"],
                   derived=[], whiten=True),
    "house_prices": dict(fn=house_prices, latent=["alpha", "beta", "sigma"], derived=[], whiten=True),
    "loan_default": dict(fn=loan_default,
                         latent=["alpha", "beta_age", "beta_income", "beta_loan", "beta_score"],
                         derived=[], whiten=True),
    "ar_k": dict(fn=ar_k, latent=["alpha", "phi", "sigma"], derived=[], whiten=True),
    "garch11": dict(fn=garch11, latent=["mu", "alpha0", "persistence", "share"],
                    derived=["alpha1", "beta1", "sigma"], whiten=True, nuts=dict(target_accept=0.95)),
    "hsgp": dict(fn=hsgp, latent=["intercept", "rho", "alpha", "sigma", "beta"], derived=["f"],
                 nuts=dict(target_accept=0.99, dense_mass=False)),
    "meta_analysis": dict(fn=meta_analysis_noncentred, direct=meta_analysis,
                          latent=["mu", "tau", "theta"], derived=[], moments=meta_analysis_moments,
                          nuts=dict(target_accept=0.95, dense_mass=False)),
}


def load_data(name):
    """NAME.data.json as keyword arguments: JSON ints stay Python ints (sizes), arrays of
    ints become int32 arrays, everything else float arrays of JAX's default float."""
    with open(os.path.join(HERE, name + ".data.json")) as f:
        raw = json.load(f)
    out = {}
    for key, value in raw.items():
        if isinstance(value, int):
            out[key] = value
        else:
            is_int = isinstance(value, list) and all(isinstance(v, int) for v in _leaves(value))
            out[key] = jnp.asarray(value, dtype=jnp.int32 if is_int else jnp.result_type(float))
    return out


def _leaves(value):
    if isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value
