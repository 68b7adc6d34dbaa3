#!/usr/bin/env bash
# Salimans et al. (2015)'s table on binarized Fashion-MNIST: models/vae.ppl fitted with the
# encoder's Gaussian alone (L = 0), refined by hvi with L = 1, 4, 8 leapfrog steps (one
# transition), and refined by iaf — the same decoder, the same epochs — each scored on the
# first ROWS test images: the test ELBO (-L) and the importance-weighted log p(x) with K = IW
# draws per image. Prints a Markdown table; the fits and scores stay in OUT.
#
#   scripts/vae_refine_table.sh [EPOCHS] [SEED]     (env: PPL, OUT, ROWS, IW)
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-10}
seed=${2:-1}
ppl=${PPL:-ppl}
out=${OUT:-vae-table}
rows=${ROWS:-1000}
iw=${IW:-200}
[ -f models/fashion_mnist.train.npz ] || python3 models/make_fashion_mnist.py
mkdir -p "$out"
echo "| guide | leapfrog L | -L (test ELBO) | -log p(x), K = $iw | seconds per epoch |"
echo "|---|---|---|---|---|"
while IFS='|' read -r name refine; do
  fit="$out/$name.json"
  start=$(date +%s.%N)
  "$ppl" fit models/vae.ppl --data models/fashion_mnist.train.npz --epochs "$epochs" --seed "$seed" --draws-n 0 \
      --refine "$refine" --save "$fit" --quiet 2> "$out/$name.log" > /dev/null
  end=$(date +%s.%N)
  "$ppl" score "$fit" --data models/fashion_mnist.test.npz --rows "$rows" --iw "$iw" --seed "$seed" --json "$out/$name.score.json" \
      > "$out/$name.score.txt"
  python3 - "$out/$name.score.json" "$name" "$refine" "$start" "$end" "$epochs" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
name, refine, start, end, epochs = sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
leapfrog = "0" if refine == "off" else refine.split("leapfrog = ")[1].split()[0].rstrip("}, ") if "leapfrog" in refine else "—"
guide = "encoder" if refine == "off" else ("encoder + hvi" if refine.startswith("hvi") else "encoder + iaf")
print(f"| {guide} | {leapfrog} | {-s['elbo']:.2f} ± {s['elbo_se']:.2f} | {-s['log_p']:.2f} ± {s['log_p_se']:.2f} | {(end - start) / epochs:.1f} |")
PY
done <<'LIST'
L0|off
L1|hvi { transitions = 1, leapfrog = 1 }
L4|hvi { transitions = 1, leapfrog = 4 }
L8|hvi { transitions = 1, leapfrog = 8 }
iaf|iaf { layers = 2 }
LIST
