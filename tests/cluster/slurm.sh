#!/usr/bin/env bash
# The Slurm path of docs/distributed.md, run for real. Installs Slurm and
# MUNGE from Debian's packages (when missing), starts a one-node cluster
# on this machine (its own MUNGE key, socket, ports and slurm.conf in a
# temporary folder), submits examples/slurm/stress.sbatch as a 4-task
# array on examples/stress/contagion.toml and examples/slurm/merge.sbatch
# after it (--dependency=afterok), exactly as the doc says, waits for both,
# and compares the merged folder byte for byte with one unsharded run.
# The daemons are stopped and the folder removed however it ends.
#
# The job scripts are submitted as they are in the repository, the same
# bytes the doc shows (checked first, also where Slurm cannot run); the
# test sets only what the doc says a user sets: CASCADE, CONFIG, RESULTS,
# SHARDS and --array.
#
# Usage: tests/cluster/slurm.sh [CASCADE_BINARY]   (default: builds
# target/release/cascade). Exits 0 with a printed reason, and runs nothing,
# only where the Debian packages are missing and cannot be installed.
# CASCADE_SLURM_TIMEOUT (seconds, default 300) bounds the wait for the jobs;
# CASCADE_KEEP_TMP=1 keeps the temporary folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
# shellcheck source=tests/cluster/common.sh
. tests/cluster/common.sh

started=$SECONDS
say() { printf 'slurm: %s\n' "$*"; }

# 1. The doc shows the job scripts that are submitted below.
doc_shows docs/distributed.md examples/slurm/stress.sbatch
doc_shows docs/distributed.md examples/slurm/merge.sbatch

# 2. Slurm and MUNGE from Debian's packages.
commands=(slurmctld slurmd sbatch scontrol squeue scancel munged munge unmunge)
missing_commands() {
  local c
  for c in "${commands[@]}"; do command -v "$c" >/dev/null || echo "$c"; done
}
skip() {
  say "SKIPPED: $*"
  exit 0
}
if [[ -n $(missing_commands) ]]; then
  [[ $(uname -s) == Linux ]] || skip "not Linux, no Debian packages"
  command -v apt-get >/dev/null || skip "no apt-get: cannot install Debian's slurmctld, slurmd, munge"
  [[ $(id -u) == 0 ]] || skip "not root: cannot apt-get install slurmctld slurmd munge"
  say "installing slurmctld slurmd slurm-client munge (Debian packages)"
  install_started=$SECONDS
  apt_log=$(mktemp)
  apt_opts=(-y -q -o DPkg::Lock::Timeout=600)
  if ! { DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update &&
    DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install \
      --no-install-recommends slurmctld slurmd slurm-client munge; } >"$apt_log" 2>&1; then
    tail -n 20 "$apt_log"
    rm -f "$apt_log"
    skip "apt-get could not install the packages (its last lines above)"
  fi
  rm -f "$apt_log"
  say "packages installed in $((SECONDS - install_started)) s"
  still=$(missing_commands)
  [[ -z $still ]] || { echo "error: installed, yet missing: ${still//$'\n'/ }" >&2; exit 1; }
fi

# 3. The binary every job runs, and the run to compare with.
bin=$(cascade_binary "$@")
[[ -x $bin ]] || { echo "error: $bin is not an executable" >&2; exit 1; }
config=$repo/examples/stress/contagion.toml
shards=4

# 4. A one-node cluster in a temporary folder.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cascade-slurm.XXXXXX")
chmod 755 "$tmp"
mkdir -p "$tmp"/{munge,state,spool,log,work,results}
pids=()
job_ids=()
cleanup() {
  local status=$? pid
  set +e
  if [[ ${#job_ids[@]} -gt 0 ]]; then
    scancel "${job_ids[@]}" 2>/dev/null
    for _ in {1..20}; do
      [[ -z $(squeue -h -j "$(IFS=,; echo "${job_ids[*]}")" 2>/dev/null) ]] && break
      sleep 0.5
    done
  fi
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid=${pids[i]}
    kill "$pid" 2>/dev/null
    for _ in {1..20}; do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if [[ ${CASCADE_KEEP_TMP:-} == 1 ]]; then say "kept $tmp"; else rm -rf "$tmp"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Everything a failure needs to be understood, then exit 1.
fail() {
  echo "error: $*" >&2
  local f logs=("$tmp"/work/*.out "$tmp"/log/jobcomp.txt "$tmp"/log/munged.out)
  # A daemon's log file, or what it printed before it could open one.
  for f in slurmctld slurmd; do
    if [[ -s $tmp/log/$f.log ]]; then logs+=("$tmp/log/$f.log"); else logs+=("$tmp/log/$f.out"); fi
  done
  for f in "${logs[@]}"; do
    [[ -f $f ]] || continue
    echo "---- ${f#"$tmp"/} (last 40 lines)" >&2
    tail -n 40 "$f" >&2
  done
  if [[ ${#job_ids[@]} -gt 0 ]]; then
    echo "---- scontrol show job" >&2
    for id in "${job_ids[@]}"; do scontrol show job "$id" >&2; done
  fi
  exit 1
}

# A TCP port nothing listens on (two runs of this test may share a machine).
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge/munge.key"
socket=$tmp/munge/munge.sock
munged --foreground --force --socket="$socket" --key-file="$tmp/munge/munge.key" \
  --pid-file="$tmp/munge/munged.pid" --seed-file="$tmp/munge/seed" \
  --log-file="$tmp/log/munged.log" >"$tmp/log/munged.out" 2>&1 &
pids+=($!)
for _ in {1..40}; do
  munge -n -S "$socket" 2>/dev/null | unmunge -S "$socket" >/dev/null 2>&1 && break
  sleep 0.25
done
munge -n -S "$socket" | unmunge -S "$socket" >/dev/null || fail "munged did not start"

host=$(hostname -s)
node=cascade-node
export SLURM_CONF=$tmp/slurm.conf
cat >"$SLURM_CONF" <<EOF
# A one-node cluster for tests/cluster/slurm.sh. The node is declared with
# 16 CPUs whatever the machine has (config_overrides), so that the four
# 4-CPU tasks of stress.sbatch run side by side as on a real cluster.
ClusterName=cascadetest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$tmp/log/jobcomp.txt
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
DependencyParameters=kill_invalid_depend
ReturnToService=2
MinJobAge=3600
NodeName=$node NodeHostname=$host NodeAddr=127.0.0.1 CPUs=16 RealMemory=16384 State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF

cluster_started=$SECONDS
slurmctld -D -f "$SLURM_CONF" >"$tmp/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" -N "$node" >"$tmp/log/slurmd.out" 2>&1 &
pids+=($!)
# scontrol's one-line answer, retried: a busy machine can time a query out.
query() {
  local _
  for _ in {1..5}; do scontrol "$@" -o 2>/dev/null && return; sleep 1; done
  scontrol "$@" -o
}
node_state() { query show node "$node" | sed -n 's/.* State=\([A-Z_+]*\).*/\1/p'; }
until [[ $(node_state) == IDLE ]]; do
  ((SECONDS - cluster_started < 60)) || fail "the node is not idle after 60 s (state: '$(node_state)')"
  sleep 0.5
done
say "cluster up in $((SECONDS - cluster_started)) s (slurm $(scontrol --version | cut -d' ' -f2))"

# 5. The documented submission: the array, then the merge after it.
export CASCADE=$bin CONFIG=$config RESULTS=$tmp/results SHARDS=$shards
cd "$tmp/work"
stress_id=$(sbatch --parsable --array=0-$((shards - 1)) "$repo/examples/slurm/stress.sbatch") ||
  fail "sbatch refused stress.sbatch"
stress_id=${stress_id%%;*}
job_ids+=("$stress_id")
merge_id=$(sbatch --parsable --dependency=afterok:"$stress_id" "$repo/examples/slurm/merge.sbatch") ||
  fail "sbatch refused merge.sbatch"
merge_id=${merge_id%%;*}
job_ids+=("$merge_id")
cd "$repo"
say "submitted array job $stress_id (tasks 0-$((shards - 1))) and merge job $merge_id"

timeout=${CASCADE_SLURM_TIMEOUT:-300}
job_state() { query show job "$1" | sed -n 's/.* JobState=\([A-Z_]*\).*/\1/p'; }
jobs_started=$SECONDS
while :; do
  state=$(job_state "$merge_id") || fail "scontrol cannot reach slurmctld"
  case $state in
    COMPLETED) break ;;
    PENDING | CONFIGURING | RUNNING | COMPLETING | "") ;;
    *) fail "merge job $merge_id ended $state" ;;
  esac
  ((SECONDS - jobs_started < timeout)) || fail "jobs not done after $timeout s (merge job: $state)"
  sleep 0.5
done
say "jobs done in $((SECONDS - jobs_started)) s"

# Every array task ran and succeeded, each writing its own shard folder.
tasks=$(query show job "$stress_id") || fail "scontrol cannot reach slurmctld"
[[ $(grep -c ' JobState=COMPLETED .* ExitCode=0:0 ' <<<"$tasks") == "$shards" ]] ||
  fail "not all $shards array tasks completed with exit code 0"
for ((i = 0; i < shards; i++)); do
  [[ -s $tmp/results/shard-$i/manifest.json ]] || fail "array task $i wrote no shard-$i"
done

# 6. The merge equals one unsharded run, byte for byte.
"$bin" stress "$config" --out "$tmp/single" --quiet
[[ -s $tmp/single/scenarios.csv && -s $tmp/results/merged/scenarios.csv ]] ||
  fail "no scenarios.csv to compare"
diff -r "$tmp/single" "$tmp/results/merged" >&2 ||
  fail "the merged folder differs from the unsharded run (diff above)"
files=("$tmp"/single/*)
say "merged $shards shards == unsharded run, byte for byte (${#files[@]} files)"
say "passed in $((SECONDS - started)) s"
