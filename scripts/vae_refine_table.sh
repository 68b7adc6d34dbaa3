#!/usr/bin/env bash
# Salimans et al. (2015)'s table on binarized Fashion-MNIST: models/vae.ppl fitted with the
# encoder's Gaussian alone (L = 0), refined by hvi with L = 1, 4, 8 leapfrog steps (one
# transition), and refined by iaf — the same decoder, the same epochs, the same seed — each
# scored on the first ROWS test images: the test ELBO (-L) and the importance-weighted
# log p(x) with K = IW draws per image, and the change in -log p(x) from the row above
# (iaf's: from L = 0), image by image (the same images in every row). Prints a Markdown table; the fits and
# scores stay in OUT, and a fit already there (with its time) is scored, not refitted.
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
echo "| guide | leapfrog L | -L (test ELBO) | -log p(x), K = $iw | change from the row above | seconds per epoch |"
echo "|---|---|---|---|---|---|"
previous=""
while IFS='|' read -r name refine; do
  fit="$out/$name.json"
  if [ ! -f "$fit" ] || [ ! -f "$out/$name.seconds" ]; then
    start=$(date +%s.%N)
    "$ppl" fit models/vae.ppl --data models/fashion_mnist.train.npz --epochs "$epochs" --seed "$seed" --draws-n 0 \
        --refine "$refine" --save "$fit" --quiet 2> "$out/$name.log" > /dev/null
    end=$(date +%s.%N)
    python3 -c "print(($end - $start) / $epochs)" > "$out/$name.seconds"
  fi
  "$ppl" score "$fit" --data models/fashion_mnist.test.npz --rows "$rows" --iw "$iw" --seed "$seed" --json "$out/$name.score.json" \
      > "$out/$name.score.txt"
  python3 - "$out" "$name" "$refine" "$previous" <<'PY'
import json, math, sys
out, name, refine, previous = sys.argv[1:5]
s = json.load(open(f"{out}/{name}.score.json"))
seconds = float(open(f"{out}/{name}.seconds").read())
leapfrog = "0" if refine == "off" else refine.split("leapfrog = ")[1].split()[0].rstrip("},") if "leapfrog" in refine else "—"
guide = "encoder" if refine == "off" else ("encoder + hvi" if refine.startswith("hvi") else "encoder + iaf")
change = "—"
if previous:
    p = json.load(open(f"{out}/{previous}.score.json"))
    d = [-(a - b) for a, b in zip(s["log_p_rows"], p["log_p_rows"])]
    m = sum(d) / len(d)
    se = math.sqrt(sum((x - m) ** 2 for x in d) / (len(d) - 1) / len(d))
    change = f"{m:+.2f} ± {se:.2f}" + (" (from L = 0)" if name == "iaf" else "")
print(f"| {guide} | {leapfrog} | {-s['elbo']:.2f} ± {s['elbo_se']:.2f} | {-s['log_p']:.2f} ± {s['log_p_se']:.2f} | {change} | {seconds:.1f} |")
PY
  previous=$name
  [ "$name" = L8 ] && previous=L0
done <<'LIST'
L0|off
L1|hvi { transitions = 1, leapfrog = 1 }
L4|hvi { transitions = 1, leapfrog = 4 }
L8|hvi { transitions = 1, leapfrog = 8 }
iaf|iaf { layers = 2 }
LIST
