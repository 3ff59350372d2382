#!/usr/bin/env bash
# Output digests of every command, for refactors that must not change behaviour.
#
#   scripts/digests.sh [BORDIN] > digests.txt
#
# Runs run (with --counterfactual and --report), report, power (with --assume and
# --emit-datasets), sweep, merge, slurm, calibrate --quick, trace (with a second therapist),
# trace --list, validate, default-scenario and every experiment (--quick) into a scratch folder,
# and prints one line per output file: its path and SHA-256. Time-dependent fields (wall
# times, rates) and the scratch folder's own path are removed before hashing, so two runs of
# the same binary print the same lines. Compare two binaries with `diff`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bordin="${1:-$root/target/release/bordin}"
bordin="$(cd "$(dirname "$bordin")" && pwd)/$(basename "$bordin")"
work="${KEEP:-$(mktemp -d)}"; mkdir -p "$work"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
cd "$work"
q() { "$bordin" "$@" >>"$work/stdout.txt" 2>>"$work/stderr.txt" || echo "exit $? from: $*" >>"$work/stdout.txt"; }

q run --out run --seed 11 --set run.patients=150 --set run.replicates=2 --counterfactual --report --quiet
q report run
q run --out run_nosessions --seed 3 --set run.patients=100 --sessions-output none --quiet
q power --n-per-arm 20,30 --reps 40 --target-power 0.5 --max-n 80 --emit-datasets 1 --out power --quiet --threads 2
q power --n-per-arm 20 --reps 30 --analysis ancova,lmm-endpoint --schedule pre-post --missing locf \
  --assume 'arms[1].technique_potency={ type = "normal", mean = 0.07, sd = 0.02, min = 0, max = 0.2 }' \
  --out power_assume --quiet
cp "$root/configs/sweeps/repair_skill.toml" sweep.toml
sed -i 's/^replicates = 4/replicates = 1/' sweep.toml
q sweep sweep.toml --out sweep --quiet --threads 2
q merge --out merged sweep
q slurm sweep.toml --array 3 --out sweep_slurm --script-dir slurm --bordin /usr/bin/bordin
q calibrate --quick --out calibration --threads 2
q trace --therapist warm-flexible --patient anxious-confronting --compare-therapist rigid-technical --out trace
q trace --therapist novice,repair_skill=0.8 --patient high-distress-low-capacity,expectancy=0.3 --sessions 10 --seed 5 --out trace2
"$bordin" trace --list >trace_list.txt 2>&1 || true
"$bordin" default-scenario >default_scenario.txt 2>&1 || true
"$bordin" validate "$root/configs/calibration/routine.toml" >validate.txt 2>&1 || true
"$bordin" validate /nonexistent.toml >validate_missing.txt 2>&1 || true
"$bordin" run --out bad --set design.planned_sessions=-3 >bad_set.txt 2>&1 || true
for c in "" run report validate default-scenario experiment calibrate trace power sweep merge slurm; do
  "$bordin" $c --help >"help_${c:-bordin}.txt" 2>&1 || true
done
for d in "$root"/experiments/[0-9]*/; do
  n="$(basename "$d")"
  q experiment "$d" --quick --out "exp/$n"
done

# Normalise what depends on time or on the scratch folder, then hash.
find . -type f ! -name '*.png' -print0 | xargs -0 sed -i -E \
  -e "s#$bordin#BORDIN#g" -e "s#$work#WORK#g" -e "s#$root#ROOT#g" \
  -e 's/("wall_time_seconds"|"wall_seconds"|"seconds"|"elapsed_seconds"): *[0-9.eE+-]+/\1: T/g' \
  -e 's/ in [0-9.]+ s on / in T s on /g' -e 's/threads; [0-9.]+ s</threads; T s</g' \
  -e 's/[0-9.]+ (patients|replicates|units)\/s/R \1\/s/g'
find . -type f -print0 | sort -z | xargs -0 sha256sum | sed 's#  \./#  #' | awk '{ print $2, substr($1, 1, 16) }'
