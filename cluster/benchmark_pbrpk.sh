#!/usr/bin/env bash
# Whole-body PBRPK benchmark: `radiotwin pbrpk configs/pbrpk/standard_7p4GBq.prm` (one 6-week
# cycle), N runs of the whole process; prints the median whole-process time, the median
# in-process integration time per cycle, CVODE steps and RHS/Jacobian evaluations, for the
# sparse (KLU, default) and the dense (former) Newton solver, and their ratio; with
# --baseline EXE also for another build (e.g. one from before the change). Not a test.
# Output/Plots = false: the time is the model's, not matplotlib's.
#
#   bash cluster/benchmark_pbrpk.sh [--runs 11] [--baseline EXE]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=11; baseline=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --baseline) baseline="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
exe=${RADIOTWIN:-build/radiotwin}
[ -x "$exe" ] || { echo "build first: $exe not found" >&2; exit 1; }
config=configs/pbrpk/standard_7p4GBq.prm
out=results/benchmark_pbrpk
mkdir -p "$out"

# run LABEL EXE [--set ...]: N runs; one line "label wall_s integration_s steps rhs jac"
# (medians of the times), the summary of the last run kept in $out/LABEL.
run() {
  local label=$1 program=$2; shift 2
  local dir="$out/$label" times="$out/$label.times"
  : > "$times"
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s.%N)
    "$program" pbrpk "$config" --set "Output/Directory=$dir" "$@" > "$dir.log" 2>&1 ||
      { echo "run failed, see $dir.log" >&2; exit 1; }
    end=$(date +%s.%N)
    python3 -c "import json, sys; s = json.load(open(sys.argv[1]))['solver']; \
print(float(sys.argv[2]) - float(sys.argv[3]), s['wall_time_s'], s['cvode_steps'], \
s['rhs_evaluations'], s.get('cvode_jacobian_evaluations', '-'))" \
      "$dir/summary.json" "$end" "$start" >> "$times"
  done
  python3 - "$label" "$times" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[2])]
wall = statistics.median(float(r[0]) for r in rows)
integration = statistics.median(float(r[1]) for r in rows)
print(f"{sys.argv[1]} {wall:.4f} {integration:.4f} {rows[-1][2]} {rows[-1][3]} {rows[-1][4]}")
PY
}

results="$out/results.txt"
{
  # The model's process, without the plots that a run draws afterwards (Output/Plots, about
  # 1.5 s of Python and matplotlib; builds before it have no such parameter).
  run sparse "$exe" --set "Output/Plots=false"
  run dense "$exe" --set "Output/Plots=false" --set "Whole body/Integration/Linear solver=dense"
  if [ -n "$baseline" ]; then
    run baseline "$baseline"
  fi
} > "$results"

python3 - "$results" "$runs" <<'PY'
import sys
rows = {r[0]: r[1:] for r in (l.split() for l in open(sys.argv[1]))}
print(f"radiotwin pbrpk configs/pbrpk/standard_7p4GBq.prm (1008 h = one 6-week cycle), "
      f"median of {sys.argv[2]} runs")
print("%-9s %12s %18s %7s %6s %9s" % ("solver", "process [s]", "integration [ms]", "steps",
                                      "RHS", "Jacobian"))
for label, (wall, integration, steps, rhs, jac) in rows.items():
    print("%-9s %12.3f %18.1f %7s %6s %9s" % (label, float(wall), 1e3 * float(integration),
                                              steps, rhs, jac))
s = rows["sparse"]
for label in [l for l in rows if l != "sparse"]:
    r = rows[label]
    print(f"sparse vs {label}: integration {float(r[1]) / float(s[1]):.1f}x faster, "
          f"whole process {float(r[0]) / float(s[0]):.1f}x faster")
PY
