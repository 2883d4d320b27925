#!/usr/bin/env bash
# The shipped SLURM scripts under a real scheduler (ctest cluster_real_slurm): a one-node
# cluster on this machine (tests/cluster/local_slurm.sh: munged, slurmctld, slurmd), the real
# radiotwin, real sbatch, srun, scontrol and scancel.
#
#   real_slurm_test.sh --radiotwin build/radiotwin [--work DIR]
#
# Checks:
#  (a) cluster/radiotwin.slurm with a 1-minute limit and --signal=B:USR1@50 on a run that
#      needs longer: the job gets SIGUSR1, radiotwin checkpoints and exits 75, the job
#      resubmits itself (after itself), the next job resumes, and so on until the run is
#      complete; summary.json and every CSV are identical (1e-12) to an uninterrupted run;
#  (b) a sweep (cluster/submit_sweep.sh): the job array runs every case and the collection
#      job, after it, writes sweep_results.csv with one row per case;
#  (c) scancel of a running radiotwin.slurm job: radiotwin checkpoints (SIGTERM), the job does
#      not resubmit, and nothing is left in the queue.
# The daemons are stopped on every exit (trap). Exit 0 pass, 1 fail, 77 skipped (SLURM not
# installed, not root, or the daemons do not start; the reason is printed).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
radiotwin='' work=''
while [ $# -gt 0 ]; do
  case $1 in
    --radiotwin) radiotwin=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) sed -n '2,20p' "$0" >&2; exit 1 ;;
  esac
done
[ -n "$radiotwin" ] && [ -x "$radiotwin" ] || { echo "real_slurm_test: --radiotwin EXECUTABLE is required" >&2; exit 1; }
radiotwin=$(cd "$(dirname "$radiotwin")" && pwd)/$(basename "$radiotwin")
[ -n "$work" ] || work=$(mktemp -d "${TMPDIR:-/tmp}/real_slurm_test.XXXXXX")
# A previous run's daemons (a killed test) first.
# shellcheck source=tests/cluster/local_slurm.sh
. "$here/local_slurm.sh"
[ -d "$work/cluster" ] && local_slurm_stop "$work/cluster"
rm -rf "$work" && mkdir -p "$work/submit" || exit 1
work=$(cd "$work" && pwd)
python=${RADIOTWIN_PYTHON:-python3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(RADIOTWIN_|SLURM_|SBATCH_)' | grep -v '^RADIOTWIN_PYTHON$')

failures=0
ok() { echo "ok: $*"; }
bad() { echo "FAILED: $*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
has() { grep -qF -- "$2" "$1" 2> /dev/null; }
complete() { grep -Eqs '"status"[[:space:]]*:[[:space:]]*"complete"' "$1/summary.json"; }

if ! local_slurm_start "$work/cluster" 2> "$work/start.err"; then
  echo "SKIPPED: no local SLURM cluster here: $(cat "$work/start.err")"
  local_slurm_stop "$work/cluster"
  exit 77
fi
trap 'local_slurm_stop "$work/cluster"' EXIT
echo "a one-node SLURM cluster is up: SLURM_CONF=$SLURM_CONF"
sinfo

queue_empty() { [ -z "$(squeue -h -o %i 2> /dev/null)" ]; }
wait_queue_empty() {  # wait_queue_empty SECONDS
  local i
  for ((i = 0; i < $1; i++)); do queue_empty && return 0; sleep 1; done
  return 1
}

# The run: 1,440 transport steps on 9,728 cells (~70 s on one idle core), so that a 1-minute
# job cannot finish it and the signal (10-40 s into the job) comes during a step.
prm=$source_dir/configs/examples/restart_small.prm
steps=(--set "Geometry/Global refinements=3"
       --set "Transport/Time stepping/Initial time step [min]=1"
       --set "Transport/Time stepping/Maximum time step [min]=1")

# The uninterrupted reference, beside the cluster (it does not need it).
"$radiotwin" "$prm" "${steps[@]}" --set "Output/Directory=$work/reference" > "$work/reference.log" 2>&1 &
reference_pid=$!

# --- (a) time limit, signal, checkpoint, resubmission, resume ----------------------------
out=$work/limited
(cd "$work/submit" &&
  RADIOTWIN_HOME=$source_dir RADIOTWIN_BIN=$radiotwin RADIOTWIN_PRM=$prm RADIOTWIN_OUTPUT=$out \
  RADIOTWIN_CHECKPOINT_MINUTES= RADIOTWIN_LAUNCHER=srun \
  sbatch --time=1 --ntasks=1 --signal=B:USR1@50 "$source_dir/cluster/radiotwin.slurm" "${steps[@]}") \
  > "$work/sbatch_a.log" 2>&1
check "(a) sbatch cluster/radiotwin.slurm: accepted" has "$work/sbatch_a.log" "Submitted batch job"
first_job=$(grep -o '[0-9][0-9]*' "$work/sbatch_a.log" | tail -n 1)
# It needs two or three jobs of one minute each; allow six.
wait_queue_empty 360
check "(a) the queue empties (the run ends within 6 min)" queue_empty
wait "$reference_pid"
check "(a) the uninterrupted reference run completes" complete "$work/reference"
logs=$(ls "$work/submit"/radiotwin-*.log 2> /dev/null)
n_jobs=$(wc -l <<< "$logs")
echo "--- (a): $n_jobs job(s); their logs:"
for l in $logs; do echo "== $l"; cat "$l"; done
check "(a) the first job got SIGUSR1 before its limit and radiotwin checkpointed" \
  eval 'has "$work/submit/radiotwin-$first_job.log" "got SIGUSR1" &&
        has "$work/submit/radiotwin-$first_job.log" "checkpointed and stopped; resubmitted as job"'
check "(a) at least two jobs ran, each after the previous one" [ "$n_jobs" -ge 2 ]
check "(a) a later job resumed from the checkpoint" eval 'grep -l "resuming: " $logs > /dev/null'
check "(a) the last job completed the run" eval 'complete "$out" && has "$(ls -t $logs | head -n 1)" "complete: $out/summary.json"'
check "(a) results identical to the uninterrupted run (1e-12)" \
  "$python" "$source_dir/tests/cli/compare_runs.py" --rtol 1e-12 "$work/reference" "$out"

# --- (b) a sweep: job array and collection -----------------------------------------------
sweep=$work/sweep.json sweep_out=$work/sweep_out
cat > "$sweep" << EOF
{"description": "real SLURM test", "base": "$source_dir/configs/pbrpk/standard_7p4GBq.prm",
 "mode": "pbrpk", "set": ["Whole body/Integration/Output interval [h]=6"],
 "parameters": [{"path": "Whole body/Integration/Duration [h]", "values": [24, 48, 96], "label": "duration [h]"}],
 "metrics": {"kidney_dose_Gy": "tissues/kidney/absorbed_dose_Gy"}, "output": "$sweep_out"}
EOF
(cd "$work/submit" && RADIOTWIN_HOME=$source_dir RADIOTWIN_BIN=$radiotwin RADIOTWIN_PYTHON=$python \
  RADIOTWIN_COLLECT_SBATCH_ARGS="--time=2" \
  bash "$source_dir/cluster/submit_sweep.sh" "$sweep" --ntasks=1 --time=2) > "$work/submit_sweep.log" 2>&1
rc=$?
check "(b) submit_sweep.sh: exit 0, the array and the collection submitted" eval '[ "$rc" = 0 ] && has "$work/submit_sweep.log" "collection job"'
wait_queue_empty 180
check "(b) the queue empties" queue_empty
cat "$work/submit_sweep.log"
for k in 0 1 2; do
  check "(b) array task $k ran case $k to completion" complete "$sweep_out/case_00$k"
done
csv=$sweep_out/sweep_results.csv
check "(b) the collection job wrote sweep_results.csv with a row per case" \
  eval '[ -f "$csv" ] && [ "$(tail -n +2 "$csv" | grep -c .)" = 3 ]'
[ -f "$csv" ] && cat "$csv"

# --- (c) scancel: checkpoint, no resubmission ----------------------------------------------
out_c=$work/cancelled
(cd "$work/submit" &&
  RADIOTWIN_HOME=$source_dir RADIOTWIN_BIN=$radiotwin RADIOTWIN_PRM=$prm RADIOTWIN_OUTPUT=$out_c \
  RADIOTWIN_CHECKPOINT_MINUTES= RADIOTWIN_LAUNCHER=srun \
  sbatch --time=3 --ntasks=1 --signal=B:USR1@10 --output="$work/cancelled-%j.log" \
    "$source_dir/cluster/radiotwin.slurm" "${steps[@]}") \
  > "$work/sbatch_c.log" 2>&1
job_c=$(grep -o '[0-9][0-9]*' "$work/sbatch_c.log" | tail -n 1)
log_c=$work/cancelled-$job_c.log
# --signal=B:USR1@10: the script's own default (600 s before the limit) is longer than this
# 3-minute job, so SLURM would send the time-limit signal at once, before the cancellation.
# Cancel once radiotwin itself is running: its Darcy solve is done, so its signal handlers are
# in place and its time steps begin. (Matching 'step' matched the job's own "running: ... Time
# stepping" line, so on a loaded machine the job could be cancelled before radiotwin started;
# waiting for a progress line, ten seconds in, let the job's own time-limit signal come first.)
for _ in $(seq 1 360); do
  grep -q 'Darcy: converged' "$log_c" 2> /dev/null && break
  sleep 0.5
done
grep -q 'Darcy: converged' "$log_c" 2> /dev/null || echo "real_slurm_test: (c) radiotwin did not start within 180 s"
sleep 1
scancel "$job_c"
wait_queue_empty 60
check "(c) scancel: the queue empties" queue_empty
echo "--- (c) log:"; cat "$log_c"
check "(c) scancel: radiotwin checkpointed and the job did not resubmit" \
  eval 'has "$log_c" "not resubmitting" && compgen -G "$out_c/checkpoints/*/checkpoint.json" > /dev/null && ! complete "$out_c"'

echo
if [ "$failures" -eq 0 ]; then echo "real_slurm_test: all checks passed"; exit 0; fi
echo "real_slurm_test: $failures check(s) failed (daemon logs in $work/cluster)"
exit 1
