#!/usr/bin/env bash
# Transport benchmark: the default 7-day run (configs/transport/default_7days.prm) on 1 and 2
# MPI ranks; prints DoFs, steps, seconds per step and per step and DoF, and the breakdown
# (assembly, reaction, linear solve, output) from each run's summary.json. Not a test.
#
#   bash cluster/benchmark_transport.sh [--ranks "1 2"] [--hours 168]
#
# --coupled: the coupled 14-day lesion (configs/coupled/lesion_1cm_14days.prm, 2 ranks) as
# shipped (error-estimate steps, linearised plasma exchange) against the fixed schedule it
# replaced (steps growing 1.2x to 60 min, 10-min reaction sub-steps, Newton on the plasma to
# 1e-9), in the same run: whole-process seconds, the phases, and their ratio; every dose, BED
# and TIA compared (cluster/tools/compare_summaries.py).
set -euo pipefail
cd "$(dirname "$0")/.."
ranks="1 2"; hours=168; coupled=no
while [ $# -gt 0 ]; do
  case "$1" in
    --coupled) coupled=yes; shift ;;
    --ranks) ranks="$2"; shift 2 ;;
    --hours) hours="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
exe=${RADIOTWIN:-build/radiotwin}
mpiexec=${MPIEXEC:-mpirun}
[ -x "$exe" ] || { echo "build first: $exe not found (bash .ci/test.sh builds it)" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
out=results/benchmark_transport
mkdir -p "$out"
if [ "$coupled" = yes ]; then
  config=configs/coupled/lesion_1cm_14days.prm
  run_case() { # name, overrides...
    local name=$1; shift
    local start end
    start=$(date +%s.%N)
    "$mpiexec" -n 2 "$exe" "$config" --set "Output/Directory=$out/$name" "$@" > "$out/$name.log" 2>&1 ||
      { echo "run failed, see $out/$name.log" >&2; exit 1; }
    end=$(date +%s.%N)
    python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$start" "$end" > "$out/$name.seconds"
  }
  run_case fixed --set "Transport/Time stepping/Step control=growth" \
    --set "Transport/Time stepping/Time step growth factor [-]=1.2" \
    --set "Transport/Time stepping/Maximum time step [min]=60" \
    --set "Transport/Time stepping/Maximum reaction step [min]=10" --set "Coupling/Plasma tolerance [-]=1e-9"
  run_case shipped
  python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
rows = {}
for name in ("fixed", "shipped"):
    s = json.load(open("%s/%s/summary.json" % (out, name)))
    t = s["wall_time_s"]
    rows[name] = dict(process=float(open("%s/%s.seconds" % (out, name)).read()), steps=s["transport"]["steps"],
                      exchanges=s["transport"]["coupling_newton_iterations_per_step"],
                      reaction=t.get("Transport: reaction and exchange", 0), solve=t.get("Transport: transport solve", 0),
                      system=t.get("Transport: system and preconditioner", 0),
                      body=s["whole_body"]["solver"]["wall_time_s"], output=t.get("Output: VTU", 0))
keys = ["process", "steps", "exchanges", "reaction", "solve", "system", "body", "output"]
print("%-8s" % "" + "".join("%11s" % k for k in keys))
for name, r in rows.items():
    print("%-8s" % name + "".join("%11.4g" % r[k] for k in keys))
print("ratio shipped/fixed, whole process: %.3f" % (rows["shipped"]["process"] / rows["fixed"]["process"]))
PY
  python3 cluster/tools/compare_summaries.py "$out/fixed/summary.json" "$out/shipped/summary.json" --limit 0.01
  exit $?
fi
printf "%5s %8s %6s %9s %14s %9s %9s %9s %9s %8s\n" ranks DoFs steps "s/step" "us/step/DoF" assembly reaction solve output total
# The config's output times up to the end (a time past the end is an error).
outputs=$(python3 -c "import sys; h = float(sys.argv[1]); t = [x for x in (1, 4, 24, 48, 96, 168) if x < h] + [h]; print(', '.join('%g' % x for x in t))" "$hours")
for n in $ranks; do
  dir="$out/np$n"
  "$mpiexec" -n "$n" "$exe" configs/transport/default_7days.prm \
    --set "Transport/Time stepping/End time [h]=$hours" --set "Transport/Time stepping/Output times [h]=$outputs" \
    --set "Output/Directory=$dir" \
    > "$dir.log" 2>&1 || { echo "run failed, see $dir.log" >&2; exit 1; }
  python3 - "$dir/summary.json" "$n" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); t = s["wall_time_s"]; tr = s["transport"]
loop = tr["time_loop_wall_s"]; steps = tr["steps"]; dofs = tr["dofs_per_field"]
print("%5s %8d %6d %9.3f %14.2f %9.2f %9.2f %9.2f %9.2f %8.1f" % (
    sys.argv[2], dofs, steps, loop / steps, 1e6 * loop / steps / dofs,
    t.get("Transport: assembly", 0), t.get("Transport: reaction", 0),
    t.get("Transport: transport solve", 0), t.get("Output: VTU", 0), loop))
PY
done
