#!/usr/bin/env bash
# Regenerates the shipped default posterior, configs/posterior/default.csv (the last generation
# of `bordin calibrate --posterior` with the embedded priors, configs/posterior/priors.toml),
# which `--posterior default` of run, experiment, power and sweep reads. About 30 minutes on
# 2 cores (docs/calibration.md, "The posterior"); resumable: run it again after a kill.
# Usage: scripts/default-posterior.sh [BORDIN] [WORK_DIR]
#   (default: target/release/bordin, posterior-default/)
# Then rebuild: the file is embedded in the binary.
set -euo pipefail
bordin=${1:-target/release/bordin}
work=${2:-posterior-default}
"$bordin" calibrate --posterior --out "$work"
last=$(awk -F, 'NR > 1 && $1 > g { g = $1 } END { print g + 0 }' "$work/posterior.csv")
awk -F, -v g="$last" 'NR == 1 || $1 == g' "$work/posterior.csv" > configs/posterior/default.csv.tmp
mv configs/posterior/default.csv.tmp configs/posterior/default.csv
echo "wrote configs/posterior/default.csv (generation $last, $(($(wc -l < configs/posterior/default.csv) - 1)) particles)"
