#!/usr/bin/env bash
# Submits a RadioTwin sweep to SLURM: a job array with one task per case
# (cluster/sweep_array.slurm), then the collection into sweep_results.csv and plots
# (cluster/collect_sweep.slurm) once every task has ended.
#
#   bash cluster/submit_sweep.sh SWEEP.json [sbatch options for the array tasks]
#   bash cluster/submit_sweep.sh configs/sweeps/receptor_density.json --ntasks=4 --time=2:00:00
#
# The environment (RADIOTWIN_SWEEP_OUTPUT, RADIOTWIN_BIN, RADIOTWIN_LAUNCHER, RADIOTWIN_MODULES,
# ...; see cluster/sweep_array.slurm) is passed on to both jobs. RADIOTWIN_COLLECT_SBATCH_ARGS
# holds sbatch options for the collection job (default none: its own 30 min limit), e.g.
# "--time=5 --partition=short" where the partition's MaxTime is shorter.
set -euo pipefail
if [ $# -lt 1 ] || [ "${1#-}" != "$1" ]; then sed -n '2,10p' "$0" >&2; exit 1; fi
home=$(cd "$(dirname "$0")/.." && pwd)
sweep=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
python=${RADIOTWIN_PYTHON:-python3}
count=()
[ -n "${RADIOTWIN_SWEEP_OUTPUT:-}" ] && count+=(--output "$RADIOTWIN_SWEEP_OUTPUT")
n=$("$python" "$home/postprocessing/sweep.py" "$sweep" --count ${count[@]+"${count[@]}"})
export RADIOTWIN_SWEEP=$sweep RADIOTWIN_HOME=${RADIOTWIN_HOME:-$home}
array=$(sbatch --parsable --export=ALL --array="0-$((n - 1))" "$@" "$home/cluster/sweep_array.slurm")
array=${array%%;*}  # --parsable: "id" or "id;cluster"
# shellcheck disable=SC2206  # options, split on spaces
collect_args=(${RADIOTWIN_COLLECT_SBATCH_ARGS:-})
collect=$(sbatch --parsable --export=ALL --dependency="afterany:$array" ${collect_args[@]+"${collect_args[@]}"} \
  "$home/cluster/collect_sweep.slurm")
collect=${collect%%;*}
echo "submit_sweep: $n case(s) of $sweep: array job $array (tasks 0-$((n - 1))); collection job $collect runs after it"
echo "submit_sweep: follow with squeue -j $array,$collect; logs radiotwin-sweep-${array}_K.log, radiotwin-sweep-collect-$collect.log"
