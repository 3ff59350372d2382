#!/usr/bin/env bash
# Runs the full calibration with seeds 1-7 (`--set run.seed=N`) and prints, per target, the
# lowest and highest value over the seeds and how many seeds pass; exits non-zero when a
# confirmed target fails with any seed. The seed figures in docs/calibration.md come from here.
# Usage: scripts/calibrate_seeds.sh [BORDIN] [SEEDS...]   (default: target/release/bordin, 1-7)
set -euo pipefail
bordin=${1:-target/release/bordin}
shift || true
seeds=("$@")
[ ${#seeds[@]} -eq 0 ] && seeds=(1 2 3 4 5 6 7)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for s in "${seeds[@]}"; do
  "$bordin" calibrate --set "run.seed=$s" --out "$work/seed$s" >/dev/null 2>&1 || true
  [ -f "$work/seed$s/calibration.csv" ] || { echo "seed $s: calibrate wrote no calibration.csv" >&2; exit 1; }
done
awk -F, -v n=${#seeds[@]} '
  FNR == 1 { next }
  {
    id = $1; v = $4 + 0
    if (!(id in lo)) { order[++k] = id; lo[id] = v; hi[id] = v; conf[id] = $9; band[id] = "[" $6 ", " $7 "]" }
    if (v < lo[id]) lo[id] = v
    if (v > hi[id]) hi[id] = v
    pass[id] += ($8 == "1")
  }
  END {
    printf "%-6s %-10s %10s %10s %16s %s\n", "id", "confirmed", "min", "max", "band", "seeds passing"
    bad = 0
    for (i = 1; i <= k; i++) {
      id = order[i]
      printf "%-6s %-10s %10.3f %10.3f %16s %d of %d\n", id, conf[id], lo[id], hi[id], band[id], pass[id], n
      if (conf[id] == "yes" && pass[id] < n) bad++
    }
    if (bad) { printf "%d confirmed targets fail with some seed\n", bad; exit 1 }
    print "every confirmed target passes with every seed"
  }' "$work"/seed*/calibration.csv
