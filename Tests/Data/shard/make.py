"""Writes the data fixtures of ShardTests (run once; the files are committed).

linreg.npz (np.savez: stored members) and linreg_compressed.npz (np.savez_compressed) hold
a linear regression of N = 1001 rows, a number no rank count of the tests divides, for
linreg.ppl. counts.npz holds counts for counts.ppl whose last row is -1, below the
declared lower bound 0: only the rank holding that row can see it.
"""
import numpy as np

rng = np.random.default_rng(20)
N, K = 1001, 3
X = rng.normal(size=(N, K))
y = 0.5 + X @ np.array([1.0, -2.0, 0.3]) + 0.7 * rng.normal(size=N)
np.savez("linreg.npz", N=N, K=K, X=X, y=y)
np.savez_compressed("linreg_compressed.npz", N=N, K=K, X=X, y=y)

counts = rng.poisson(3.0, size=N)
counts[-1] = -1
np.savez("counts.npz", N=N, y=counts)
