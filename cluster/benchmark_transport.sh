#!/usr/bin/env bash
# Transport benchmark: the default 7-day run (configs/transport/default_7days.prm) on 1 and 2
# MPI ranks; prints DoFs, steps, seconds per step and per step and DoF, and the breakdown
# (assembly, reaction, linear solve, output) from each run's summary.json. Not a test.
#
#   bash cluster/benchmark_transport.sh [--ranks "1 2"] [--hours 168]
set -euo pipefail
cd "$(dirname "$0")/.."
ranks="1 2"; hours=168
while [ $# -gt 0 ]; do
  case "$1" in
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
