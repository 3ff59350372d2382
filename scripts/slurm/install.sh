#!/usr/bin/env bash
# Installs SLURM (slurmctld, slurmd, the client commands) and munge from Debian's packages, for
# scripts/slurm/cluster.sh and tests/slurm.rs. Idempotent and quiet: does nothing when they are
# installed; prints apt's log only on failure. Needs root (or sudo).
set -euo pipefail
if command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
    && command -v sbatch >/dev/null && command -v munged >/dev/null; then
    exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends \
        slurmctld slurmd slurm-client munge; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "scripts/slurm/install.sh: installing SLURM failed" >&2
    exit 1
fi
echo "installed SLURM $(slurmctld -V 2>/dev/null | awk '{print $2}') and munge"
