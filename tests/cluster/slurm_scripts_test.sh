#!/usr/bin/env bash
# The SLURM scripts (cluster/radiotwin.slurm, sweep_array.slurm, collect_sweep.slurm,
# submit_sweep.sh) run here without SLURM (ctest cluster_slurm_scripts): stub sbatch, srun and
# scontrol on PATH record their calls, the scheduler's variables are set by hand, and a job
# that sbatch "submitted" is replayed with the environment and arguments it was given.
# radiotwin is tests/cluster/fake_radiotwin.sh (its interface without the physics), or with
# --real the real executable on configs/examples/restart_small.prm (about 290 time steps, ~5 s).
#
#   slurm_scripts_test.sh [--real build/radiotwin] [--work DIR]
#
# RADIOTWIN_PYTHON (default python3) runs postprocessing/sweep.py.
# Checks: a fresh run completes without --resume and without resubmitting; a complete folder
# is left alone; SIGUSR1 to the batch shell (srun or mpirun) makes radiotwin checkpoint and
# exit 75 and the job resubmit itself once, with the count incremented; the resubmitted job
# resumes (--resume) on another rank count and completes; SIGTERM and a spent budget stop
# without resubmitting (exit 75); failures propagate; array task K runs sweep case K only,
# --collect reports the missing case and then gathers the CSV; submit_sweep.sh chains the
# array and the collection. Exit status 0 pass, 1 fail.
# shellcheck disable=SC2016,SC2034  # the checks are eval'd strings
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
real='' work=''
while [ $# -gt 0 ]; do
  case $1 in
    --real) real=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) sed -n '2,18p' "$0" >&2; exit 1 ;;
  esac
done
[ -n "$work" ] || work=$(mktemp -d "${TMPDIR:-/tmp}/slurm_scripts_test.XXXXXX")
rm -rf "$work" && mkdir -p "$work/stubs" "$work/logs" "$work/submit" || exit 1
work=$(cd "$work" && pwd)
submit=$work/submit logs=$work/logs
failures=0
ok() { echo "ok: $*"; }
bad() { echo "FAILED: $*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
has() { grep -qF -- "$2" "$1" 2> /dev/null; }  # has FILE TEXT

# --- the scheduler's commands ------------------------------------------------------------
cat > "$work/stubs/sbatch" << 'EOF'
#!/usr/bin/env bash
# stub sbatch: records the call (sbatch.N: arguments, RADIOTWIN_* and SLURM_* environment) and
# a replay of the job (sbatch.N.sh: its RADIOTWIN_* environment, script and arguments)
n=$(( $(cat "$STUB_LOG_DIR/sbatch.count" 2> /dev/null || echo 0) + 1 ))
echo "$n" > "$STUB_LOG_DIR/sbatch.count"
{ printf 'arg: %s\n' "$@"; env | grep -E '^(RADIOTWIN_|SLURM_)' | sort | sed 's/^/env: /'
  echo "cwd: $PWD"; } > "$STUB_LOG_DIR/sbatch.$n"
script='' rest=()
for a; do if [ -z "$script" ]; then [ "${a#-}" = "$a" ] && script=$a; else rest+=("$a"); fi; done
{ for v in $(compgen -e | grep '^RADIOTWIN_'); do printf 'export %s=%q\n' "$v" "${!v}"; done
  printf 'exec bash %q' "$script"; printf ' %q' ${rest[@]+"${rest[@]}"}; echo; } > "$STUB_LOG_DIR/sbatch.$n.sh"
id=$((1233 + n))
for a; do [ "$a" = --parsable ] && { echo "$id"; exit 0; }; done
echo "Submitted batch job $id"
EOF
cat > "$work/stubs/srun" << 'EOF'
#!/usr/bin/env bash
# stub srun: records the call, then runs the program (on N ranks with mpirun if STUB_SRUN_MPI=1)
printf '%q ' srun "$@" >> "$STUB_LOG_DIR/srun.log"; echo >> "$STUB_LOG_DIR/srun.log"
n=1
while [ $# -gt 0 ]; do
  case $1 in
    -n|--ntasks) n=$2; shift 2 ;;
    -N|--nodes|-c|--cpus-per-task) shift 2 ;;
    --ntasks=*) n=${1#*=}; shift ;;
    -*) shift ;;
    *) break ;;
  esac
done
if [ "${STUB_SRUN_MPI:-0}" = 1 ] && [ "$n" -gt 1 ]; then exec mpirun -n "$n" "$@"; fi
exec "$@"
EOF
cat > "$work/stubs/scontrol" << 'EOF'
#!/usr/bin/env bash
# stub scontrol: "show job ID" prints a job record (Command=$STUB_JOB_COMMAND, 10 min limit)
echo "scontrol $*" >> "$STUB_LOG_DIR/scontrol.log"
[ "${1:-} ${2:-}" = "show job" ] || { echo "scontrol stub: only 'show job ID'" >&2; exit 1; }
cat << RECORD
JobId=$3 JobName=${SLURM_JOB_NAME:-radiotwin}
   JobState=RUNNING Reason=None Dependency=(null)
   RunTime=00:00:05 TimeLimit=00:10:00 TimeMin=N/A
   Partition=${SLURM_JOB_PARTITION:-debug} AllocNode:Sid=login1:1234
   NumNodes=1 NumCPUs=2 NumTasks=${SLURM_NTASKS:-1} CPUs/Task=1
   Command=${STUB_JOB_COMMAND:-(null)}
   WorkDir=$PWD
RECORD
EOF
chmod +x "$work/stubs/"*

# --- the environment of a job ------------------------------------------------------------
export RADIOTWIN_PYTHON=${RADIOTWIN_PYTHON:-python3}
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(RADIOTWIN_|SLURM_|SBATCH_|FAKE_RADIOTWIN_)' | grep -v '^RADIOTWIN_PYTHON$')
export PATH="$work/stubs:$PATH" STUB_LOG_DIR=$logs STUB_JOB_COMMAND=$source_dir/cluster/radiotwin.slurm
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export SLURM_SUBMIT_DIR=$submit SLURM_JOB_NAME=radiotwin SLURM_JOB_NUM_NODES=1 \
  SLURM_JOB_PARTITION=debug SLURM_CONF=/etc/slurm/slurm.conf
export RADIOTWIN_HOME=$source_dir RADIOTWIN_PRM=$source_dir/configs/examples/restart_small.prm
if [ -n "$real" ]; then
  real=$(cd "$(dirname "$real")" && pwd)/$(basename "$real")
  [ -x "$real" ] || { echo "slurm_scripts_test: --real $real: not an executable" >&2; exit 1; }
  export RADIOTWIN_BIN=$real STUB_SRUN_MPI=1
  echo "slurm_scripts_test: real radiotwin $real"
else
  export RADIOTWIN_BIN=$here/fake_radiotwin.sh FAKE_RADIOTWIN_STEPS=200 FAKE_RADIOTWIN_STEP_S=0.01
  echo "slurm_scripts_test: the stub radiotwin $RADIOTWIN_BIN"
fi
slurm=$source_dir/cluster/radiotwin.slurm
every=(--set "Checkpoint/Every N steps=20")  # a checkpoint early: the cue to send the signal

# job NAME SCRIPT [ARGS]: run a batch script as SLURM would (in the submit directory, with the
# environment of the call); output in $work/NAME.log, exit status in $rc.
job() { local name=$1; shift; (cd "$submit" && exec bash "$@") > "$work/$name.log" 2>&1; rc=$?; }
# signalled NAME SIGNAL OUTPUT SCRIPT [ARGS]: the same in the background; SIGNAL to the batch
# shell once OUTPUT holds a checkpoint.
signalled() {
  local name=$1 sig=$2 dir=$3 i pid; shift 3
  (cd "$submit" && exec bash "$@") > "$work/$name.log" 2>&1 &
  pid=$!
  for ((i = 0; i < 1200; i++)); do
    compgen -G "$dir/checkpoints/*/checkpoint.json" > /dev/null && break
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.05
  done
  if compgen -G "$dir/checkpoints/*/checkpoint.json" > /dev/null; then kill -"$sig" "$pid"
  else echo "note: $name: no checkpoint appeared in $dir; no signal sent"; fi
  wait "$pid"; rc=$?
}
sbatch_calls() { cat "$logs/sbatch.count" 2> /dev/null || echo 0; }
srun_calls() { grep -c . "$logs/srun.log" 2> /dev/null || echo 0; }
complete() { grep -Eqs '"status"[[:space:]]*:[[:space:]]*"complete"' "$1/summary.json"; }
show() { echo "---- $work/$1.log:"; tail -n 15 "$work/$1.log"; }

# (a) a fresh run: no --resume, complete, no resubmission
SLURM_JOB_ID=1000 SLURM_NTASKS=1 RADIOTWIN_OUTPUT=out/fresh job fresh "$slurm"
out=$submit/out/fresh
check "fresh run: exit 0 (got $rc)" [ "$rc" = 0 ]
check "fresh run: the log says fresh" has "$work/fresh.log" "fresh run into $out"
check "fresh run: srun called once" [ "$(srun_calls)" = 1 ]
check "fresh run: no --resume" eval '! has "$logs/srun.log" --resume'
check "fresh run: -n SLURM_NTASKS, Output/Directory and Checkpoint/Every T minutes passed" \
  eval 'has "$logs/srun.log" "srun -n 1 " && has "$logs/srun.log" "Output/Directory=$out" &&
        has "$logs/srun.log" "Every\ T\ minutes\ \[min\]=30"'
check "fresh run: summary.json complete" complete "$out"
check "fresh run: nothing resubmitted" [ "$(sbatch_calls)" = 0 ]
[ $failures = 0 ] || show fresh

# ... and again on the complete folder: nothing runs
SLURM_JOB_ID=1001 SLURM_NTASKS=1 RADIOTWIN_OUTPUT=out/fresh job again "$slurm"
check "complete folder: exit 0, radiotwin not run" eval '[ "$rc" = 0 ] && [ "$(srun_calls)" = 1 ] && has "$work/again.log" "nothing to run"'

# (c) SIGUSR1 (the time limit) during a run: checkpoint, exit 75, resubmitted once. As in
# SLURM, the job runs a copy of the script (in the spool folder); scontrol names the original.
f=$failures
out=$submit/out/chain
mkdir -p "$work/spool" && cp "$slurm" "$work/spool/slurm_script" && cp "$slurm" "$submit/my_run.slurm"
SLURM_JOB_ID=1002 SLURM_NTASKS=1 RADIOTWIN_OUTPUT=out/chain STUB_JOB_COMMAND=$submit/my_run.slurm \
  signalled chain USR1 "$out" "$work/spool/slurm_script" "${every[@]}"
check "USR1: the job ends with exit 0 after resubmitting (got $rc)" [ "$rc" = 0 ]
check "USR1: radiotwin exited 75 and the job was resubmitted as job 1234" \
  has "$work/chain.log" "checkpointed and stopped; resubmitted as job 1234 (resubmission 1 of at most 10)"
check "USR1: sbatch called exactly once" [ "$(sbatch_calls)" = 1 ]
check "USR1: no summary.json (the run is not complete)" [ ! -e "$out/summary.json" ]
s=$logs/sbatch.1
check "resubmission: RADIOTWIN_RESUBMIT_COUNT=1, absolute RADIOTWIN_OUTPUT" \
  eval 'has "$s" "env: RADIOTWIN_RESUBMIT_COUNT=1" && has "$s" "env: RADIOTWIN_OUTPUT=$out"'
check "resubmission: the script scontrol names, after this job, same size and time limit" \
  eval 'has "$s" "arg: $submit/my_run.slurm" && has "$s" "env: RADIOTWIN_SCRIPT=$submit/my_run.slurm" && has "$s" "arg: --dependency=afterany:1002" &&
        has "$s" "arg: --ntasks=1" && has "$s" "arg: --time=00:10:00" && has "$s" "arg: --job-name=radiotwin" &&
        has "$s" "arg: --export=ALL"'
check "resubmission: the script's arguments passed on" has "$s" "arg: Checkpoint/Every N steps=20"
check "resubmission: this job's SLURM_* not passed on (SLURM_CONF kept)" \
  eval '! grep -q "^env: SLURM_JOB_ID" "$s" && has "$s" "env: SLURM_CONF="'
check "resubmission: sbatch ran in the submit directory" has "$s" "cwd: $submit"
[ $failures = "$f" ] || show chain

# (b) the resubmitted job, on 2 ranks: --resume, complete, no further resubmission
f=$failures
(export SLURM_JOB_ID=1234 SLURM_NTASKS=2; cd "$submit" && exec bash "$logs/sbatch.1.sh") > "$work/resumed.log" 2>&1
rc=$?
check "resumed job: exit 0 (got $rc)" [ "$rc" = 0 ]
check "resumed job: the log says resuming" has "$work/resumed.log" "resuming: $out holds a checkpoint"
check "resumed job: --resume OUTPUT on 2 ranks" eval 'tail -n 1 "$logs/srun.log" | grep -qF -- "--resume $out" &&
                                                       tail -n 1 "$logs/srun.log" | grep -qF "srun -n 2 "'
check "resumed job: summary.json complete" complete "$out"
check "resumed job: nothing resubmitted" [ "$(sbatch_calls)" = 1 ]
if [ -z "$real" ]; then
  check "resumed job: the run went on from the checkpoint (step >= 20)" \
    grep -Eq "^start: resume from step ([2-9][0-9]|[0-9]{3})" "$out/fake_radiotwin.log"
fi
[ $failures = "$f" ] || show resumed

# (d) the resubmission budget spent: exit 75, no sbatch
f=$failures
out=$submit/out/budget
SLURM_JOB_ID=1003 SLURM_NTASKS=1 RADIOTWIN_OUTPUT=out/budget RADIOTWIN_MAX_RESUBMITS=3 RADIOTWIN_RESUBMIT_COUNT=3 \
  signalled budget USR1 "$out" "$slurm" "${every[@]}"
check "budget spent: exit 75 (got $rc)" [ "$rc" = 75 ]
check "budget spent: not resubmitted" [ "$(sbatch_calls)" = 1 ]
check "budget spent: the log says so" has "$work/budget.log" "resubmission budget spent (3 of 3"
[ $failures = "$f" ] || show budget

# SIGTERM (scancel, preemption): checkpoint, exit 75, no resubmission
f=$failures
out=$submit/out/term
SLURM_JOB_ID=1004 SLURM_NTASKS=1 RADIOTWIN_OUTPUT=out/term signalled term TERM "$out" "$slurm" "${every[@]}"
check "TERM: exit 75 (got $rc), not resubmitted" eval '[ "$rc" = 75 ] && [ "$(sbatch_calls)" = 1 ]'
check "TERM: the log says how to resume" has "$work/term.log" "after SIGTERM"
[ $failures = "$f" ] || show term

# mpirun as the launcher: it passes SIGUSR1 on, and radiotwin's 75 back
if command -v mpirun > /dev/null; then
  f=$failures
  out=$submit/out/mpirun
  SLURM_JOB_ID=1005 SLURM_NTASKS=1 RADIOTWIN_OUTPUT=out/mpirun RADIOTWIN_LAUNCHER=mpirun \
    signalled mpirun USR1 "$out" "$slurm" "${every[@]}"
  check "mpirun: USR1 reaches radiotwin, exit 75, resubmitted (job exit $rc)" \
    eval '[ "$rc" = 0 ] && [ "$(sbatch_calls)" = 2 ] && has "$logs/sbatch.2" "env: RADIOTWIN_RESUBMIT_COUNT=1"'
  [ $failures = "$f" ] || show mpirun
else
  echo "note: no mpirun here: the mpirun launcher is not checked"
fi

# Failures propagate; bad settings stop before running anything
SLURM_JOB_ID=1006 SLURM_NTASKS=1 RADIOTWIN_PRM='' job noprm "$slurm"
check "no RADIOTWIN_PRM: exit 1 with a message" eval '[ "$rc" = 1 ] && has "$work/noprm.log" "RADIOTWIN_PRM (the parameter file) is not set"'
if [ -z "$real" ]; then
  SLURM_JOB_ID=1007 SLURM_NTASKS=1 RADIOTWIN_OUTPUT=out/fails FAKE_RADIOTWIN_EXIT=2 job fails "$slurm"
  check "radiotwin exit 2: the job exits 2, not resubmitted" \
    eval '[ "$rc" = 2 ] && [ "$(sbatch_calls)" = 2 ] && has "$work/fails.log" "radiotwin failed: exit status 2"'
fi

# (e) a sweep as a job array: task K runs case K; --collect gathers the CSV
f=$failures
sweep=$work/sweep.json sweep_out=$work/sweep_out
cat > "$sweep" << EOF
{"description": "slurm scripts test", "base": "$source_dir/configs/pbrpk/standard_7p4GBq.prm",
 "mode": "pbrpk", "set": ["Whole body/Integration/Output interval [h]=6"],
 "parameters": [{"path": "Whole body/Integration/Duration [h]", "values": [24, 48], "label": "duration [h]"}],
 "metrics": {"kidney_dose_Gy": "tissues/kidney/absorbed_dose_Gy"}, "output": "$sweep_out"}
EOF
py() { "$RADIOTWIN_PYTHON" "$source_dir/postprocessing/sweep.py" "$@"; }
check "sweep.py --count: 2" [ "$(py "$sweep" --count)" = 2 ]
export RADIOTWIN_SWEEP=$sweep SLURM_ARRAY_JOB_ID=2000
SLURM_JOB_ID=2001 SLURM_ARRAY_TASK_ID=1 SLURM_NTASKS=1 job array1 "$source_dir/cluster/sweep_array.slurm"
check "array task 1: exit 0 (got $rc)" [ "$rc" = 0 ]
check "array task 1: case_001 (48 h) complete, case_000 not run" \
  eval 'complete "$sweep_out/case_001" && has "$sweep_out/case_001/case.json" "Duration [h]=48" && [ ! -e "$sweep_out/case_000" ]'
check "array task 1: no CSV yet" [ ! -e "$sweep_out/sweep_results.csv" ]
SLURM_JOB_ID=2003 SLURM_NTASKS=1 job collect1 "$source_dir/cluster/collect_sweep.slurm"
csv=$sweep_out/sweep_results.csv
check "collect with case 0 missing: exit 3 (got $rc), the CSV says which" \
  eval '[ "$rc" = 3 ] && grep -q "^case_000,24,missing" "$csv" && grep -q "^case_001,48,complete" "$csv"'
n0=$(srun_calls)
SLURM_JOB_ID=2002 SLURM_ARRAY_TASK_ID=0 SLURM_NTASKS=2 job array0 "$source_dir/cluster/sweep_array.slurm"
check "array task 0 on 2 ranks: exit 0 (got $rc), through srun -n 2" \
  eval '[ "$rc" = 0 ] && complete "$sweep_out/case_000" && [ "$(srun_calls)" = $((n0 + 1)) ] &&
        tail -n 1 "$logs/srun.log" | grep -qF "srun -n 2 "'
SLURM_JOB_ID=2004 SLURM_NTASKS=1 job collect2 "$source_dir/cluster/collect_sweep.slurm"
check "collect: exit 0 (got $rc), 2 complete rows with the metric" \
  eval '[ "$rc" = 0 ] && [ "$(grep -c ",complete," "$csv")" = 2 ] && [ "$(wc -l < "$csv")" = 3 ]'
check "collect: the kidney dose grows with the duration (24 h -> 48 h)" \
  "$RADIOTWIN_PYTHON" -c 'import csv, sys; r = list(csv.DictReader(open(sys.argv[1])))
sys.exit(0 if float(r[1]["kidney_dose_Gy"]) > float(r[0]["kidney_dose_Gy"]) > 0 else 1)' "$csv"
SLURM_JOB_ID=2005 SLURM_ARRAY_TASK_ID=2 SLURM_NTASKS=1 job array2 "$source_dir/cluster/sweep_array.slurm"
check "array task 2 of 2 cases: exit 1" eval '[ "$rc" = 1 ] && has "$work/array2.log" "the sweep has cases 0 to 1"'
[ $failures = "$f" ] || { show array1; show collect1; show array0; show collect2; }
unset SLURM_ARRAY_JOB_ID

# submit_sweep.sh: the array (0-1) then the collection after it
f=$failures
n0=$(sbatch_calls)
(cd "$submit" && bash "$source_dir/cluster/submit_sweep.sh" "$sweep" --ntasks=2) > "$work/submit_sweep.log" 2>&1
rc=$?
a=$logs/sbatch.$((n0 + 1)) c=$logs/sbatch.$((n0 + 2))
check "submit_sweep.sh: exit 0 (got $rc), two submissions" [ "$rc" = 0 -a "$(sbatch_calls)" = $((n0 + 2)) ]
check "submit_sweep.sh: the array 0-1 with the options given" \
  eval 'has "$a" "arg: --array=0-1" && has "$a" "arg: --ntasks=2" && has "$a" "arg: $source_dir/cluster/sweep_array.slurm" &&
        has "$a" "env: RADIOTWIN_SWEEP=$sweep"'
check "submit_sweep.sh: the collection after the array" \
  eval 'has "$c" "arg: --dependency=afterany:$((1233 + n0 + 1))" && has "$c" "arg: $source_dir/cluster/collect_sweep.slurm"'
[ $failures = "$f" ] || show submit_sweep

echo "slurm_scripts_test: $failures failure(s); logs in $work"
[ $failures = 0 ]
