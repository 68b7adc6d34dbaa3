# Writes mixture.json: 80 draws from 0.35 N(2, 1) + 0.65 N(-1.5, 1) (numpy seed 5).
import json
import numpy as np
r = np.random.default_rng(5)
N = 80
upper = r.random(N) < 0.35
y = np.where(upper, r.normal(2, 1, N), r.normal(-1.5, 1, N))
json.dump({"N": N, "y": [round(float(v), 6) for v in y]}, open("mixture.json", "w"))
