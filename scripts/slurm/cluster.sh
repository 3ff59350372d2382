#!/usr/bin/env bash
# A throwaway single-node SLURM cluster on this machine, without systemd, for testing
# `bordin slurm` for real (docs/sweeps.md).
#
#   cluster.sh start        munged, slurmctld -D and slurmd -D in the background, with a private
#                           munge key and socket and a slurm.conf for this host (name, CPUs) in
#                           $BORDIN_SLURM_DIR (default /tmp/bordin-slurm); prints the SLURM_CONF
#                           to export for sbatch/squeue.
#   cluster.sh stop         stops exactly the processes `start` recorded, removes the directory.
#   cluster.sh test BORDIN  starts a cluster, runs a small sweep whole, then as a 4-task job array
#                           submitted by the scripts `bordin slurm` writes plus the merge job, waits,
#                           and compares the two sweep.csv byte for byte; always stops the cluster.
#
# Runs as root (SlurmUser=root). Ports: $BORDIN_SLURM_PORT (slurmctld, default 6917) and the
# next one (slurmd).
set -euo pipefail

D=${BORDIN_SLURM_DIR:-/tmp/bordin-slurm}
PORT=${BORDIN_SLURM_PORT:-6917}
export SLURM_CONF="$D/slurm.conf"

log() { echo "cluster.sh: $*" >&2; }

start() {
    for c in munged mungekey slurmctld slurmd sbatch sinfo; do
        command -v "$c" >/dev/null || { log "$c not found; run scripts/slurm/install.sh"; exit 1; }
    done
    if [ -f "$D/pids" ]; then
        log "a cluster seems to run already ($D/pids); run: $0 stop"
        exit 1
    fi
    mkdir -p "$D/state" "$D/spool" "$D/log" "$D/munge"
    chmod 700 "$D" "$D/munge"
    local host cpus
    host=$(hostname -s)
    cpus=$(nproc)
    mungekey --create --keyfile="$D/munge/munge.key" --force 2>/dev/null
    chmod 600 "$D/munge/munge.key"
    : >"$D/pids"
    munged --force --socket="$D/munge/socket" --key-file="$D/munge/munge.key" \
        --pid-file="$D/munge/munged.pid" --log-file="$D/log/munged.log" \
        --seed-file="$D/munge/seed" 2>>"$D/log/munged.log"
    # munged daemonises itself; its pid file names it.
    for _ in $(seq 50); do [ -s "$D/munge/munged.pid" ] && break; sleep 0.1; done
    cat "$D/munge/munged.pid" >>"$D/pids"
    cat >"$SLURM_CONF" <<CONF
ClusterName=bordin
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$D/munge/socket
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    slurmctld -D -i -f "$SLURM_CONF" >>"$D/log/slurmctld.out" 2>&1 &
    echo $! >>"$D/pids"
    slurmd -D -f "$SLURM_CONF" >>"$D/log/slurmd.out" 2>&1 &
    echo $! >>"$D/pids"
    for _ in $(seq 150); do
        if [ "$(sinfo -h -o %T 2>/dev/null | head -1)" = "idle" ]; then
            log "cluster up: node $host, $cpus CPU(s); export SLURM_CONF=$SLURM_CONF"
            return 0
        fi
        sleep 0.2
    done
    log "the node did not come up; logs:"
    tail -n 20 "$D"/log/* >&2 || true
    stop
    exit 1
}

stop() {
    if [ -f "$D/pids" ]; then
        local pid
        while read -r pid; do
            [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
        done <"$D/pids"
        for _ in $(seq 50); do
            local alive=0
            while read -r pid; do
                [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && alive=1
            done <"$D/pids"
            [ "$alive" = 0 ] && break
            sleep 0.1
        done
        while read -r pid; do
            [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
        done <"$D/pids"
    fi
    rm -rf "$D"
}

# Waits until every job id given has left the queue; fails unless each COMPLETED.
wait_jobs() {
    local id state
    for _ in $(seq 600); do
        [ -z "$(squeue -h -j "$(IFS=,; echo "$*")" 2>/dev/null)" ] && break
        sleep 0.5
    done
    for id in "$@"; do
        state=$(scontrol show job "$id" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | sort -u | tr '\n' ' ')
        if [ "$state" != "JobState=COMPLETED " ]; then
            log "job $id: ${state:-unknown state}"
            return 1
        fi
    done
}

run_test() {
    local bordin=${1:?usage: cluster.sh test PATH_TO_BORDIN}
    bordin=$(realpath "$bordin")
    trap stop EXIT
    start
    local w="$D/work"
    mkdir -p "$w"
    # The test sweep shared with tests/sweep.rs.
    local fixtures
    fixtures="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../tests/fixtures/sweep" && pwd)"
    cp "$fixtures/base.toml" "$fixtures/sweep.toml" "$w/"
    "$bordin" sweep "$w/sweep.toml" --out "$w/whole" --quiet
    "$bordin" slurm "$w/sweep.toml" --array 4 --cpus 1 --time 00:10:00 --partition debug \
        --out "$w/array" --script-dir "$w/slurm" --bordin "$bordin" >/dev/null
    local ids
    ids=$("$w/slurm/submit.sh")
    log "submitted array and merge jobs: $ids"
    # shellcheck disable=SC2086
    if ! wait_jobs $ids; then
        tail -n 30 "$D"/log/slurmctld.log "$w"/slurm/logs/* >&2 || true
        exit 1
    fi
    local tasks
    tasks=$(ls "$w/slurm/logs" | grep -c '^sweep-' || true)
    if [ "$tasks" != 4 ]; then
        log "expected 4 array task logs, found $tasks"
        exit 1
    fi
    if cmp "$w/whole/sweep.csv" "$w/array/sweep.csv"; then
        log "PASS: 4-task job array + merge job == whole run ($(wc -l <"$w/array/sweep.csv") lines)"
    else
        log "FAIL: sweep.csv of the job array differs from the whole run"
        exit 1
    fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
test) shift; run_test "$@" ;;
*) echo "usage: $0 start|stop|test PATH_TO_BORDIN" >&2; exit 2 ;;
esac
