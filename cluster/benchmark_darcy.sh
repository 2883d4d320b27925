#!/usr/bin/env bash
# Darcy benchmark: a refinement ladder of configs/benchmark/darcy_benchmark.prm (Q1, about
# 60 k to 2 M DoFs) on 1 and 2 MPI ranks, both linear-algebra backends; prints DoFs, CG
# iterations and the seconds of each phase (from each run's summary.json), and writes the
# table to results/benchmark_darcy/benchmark.csv. A benchmark, not a test.
#
#   bash cluster/benchmark_darcy.sh [--ranks "1 2"] [--backends "PETSc Trilinos"] [--max-level 5]
#                                   [--min-level 1] [--repeat N] [--pretouch MB]
#
# --repeat N runs each case N times (one row each): on a shared machine the spread is the noise.
# --pretouch MB preloads cluster/tools/pretouch.c, which touches MB of heap per rank before
# main() and lets malloc reuse it: the run then pays no first-touch page faults. The gap to a
# plain run is the platform's page-fault cost, not the code's (docs/benchmarks.md, fourth pass).
#
# Environment: RADIOTWIN (the executable, default build/radiotwin), MPIEXEC (default mpirun).
set -euo pipefail
cd "$(dirname "$0")/.."
ranks="1 2"; backends="PETSc Trilinos"; min_level=1; max_level=6; repeat=1; pretouch_mb=
while [ $# -gt 0 ]; do
  case "$1" in
    --ranks) ranks="$2"; shift 2 ;;
    --backends) backends="$2"; shift 2 ;;
    --max-level) max_level="$2"; shift 2 ;;
    --min-level) min_level="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --pretouch) pretouch_mb="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
exe=${RADIOTWIN:-build/radiotwin}
mpiexec=${MPIEXEC:-mpirun}
[ -x "$exe" ] || { echo "build first: $exe not found (bash .ci/test.sh builds it)" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || { echo "--repeat: a positive integer, not '$repeat'" >&2; exit 2; }
out=results/benchmark_darcy
mkdir -p "$out"
preload=()
if [ -n "$pretouch_mb" ]; then
  [[ "$pretouch_mb" =~ ^[1-9][0-9]*$ ]] || { echo "--pretouch: megabytes per rank, not '$pretouch_mb'" >&2; exit 2; }
  ${CC:-cc} -O2 -shared -fPIC -o "$out/libpretouch.so" cluster/tools/pretouch.c
  # Inherited by the ranks of a local mpirun; the library ignores every program but radiotwin.
  preload=(env "LD_PRELOAD=$PWD/$out/libpretouch.so" "PRETOUCH_MB=$pretouch_mb")
fi

# level: global refinements, tumour refinements, rim refinements, rim band [mm]
ladder=("1|3 1 0 0.5" "2|4 0 0 0.5" "3|4 0 2 0.5" "4|5 0 0 0.5" "5|5 0 1 0.5" "6|5 0 1 1.6")
csv="$out/benchmark.csv"
echo "backend,ranks,dofs,cg_iterations,setup_s,assembly_s,amg_setup_s,cg_solve_s,assembled_and_solved_s,dofs_per_s,mesh_s,peak_memory_MB_per_rank" > "$csv"
printf "%-9s %5s %9s %5s %8s %8s %8s %8s %10s %10s %7s %8s\n" backend ranks DoFs CG setup assembly AMG CG-solve "asm+solve" "DoFs/s" mesh "MB/rank"
for backend in $backends; do
  for n in $ranks; do
    for entry in "${ladder[@]}"; do
      level=${entry%%|*}
      # shellcheck disable=SC2086 # the four numbers become $1..$4
      set -- ${entry#*|}
      if [ "$level" -gt "$max_level" ] || [ "$level" -lt "$min_level" ]; then continue; fi
      for ((run = 1; run <= repeat; run++)); do
        dir="$out/${backend}_np${n}_level${level}"
        "${preload[@]}" "$mpiexec" -n "$n" "$exe" configs/benchmark/darcy_benchmark.prm \
          --set "Geometry/Global refinements=$1" --set "Geometry/Tumour refinements=$2" \
          --set "Geometry/Rim refinements=$3" --set "Geometry/Rim band half-width [mm]=$4" \
          --set "Darcy/Linear solver/Linear algebra=$backend" --set "Output/Directory=$dir" \
          > "$dir.log" 2>&1 || { echo "run failed, see $dir.log" >&2; exit 1; }
        python3 - "$dir/summary.json" "$backend" "$n" "$csv" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); t = s["wall_time_s"]; d = s["darcy"]
setup = t["Darcy: setup (DoFs, constraints, mapping)"] + t["Darcy: setup (sparsity, matrix)"]
solve = setup + t["Darcy: assembly"] + t["Darcy: AMG setup"] + t["Darcy: CG solve"]
row = [sys.argv[2], sys.argv[3], d["dofs"], d["cg_iterations"], setup, t["Darcy: assembly"],
       t["Darcy: AMG setup"], t["Darcy: CG solve"], solve, d["dofs"] / solve, t["Mesh"],
       s["peak_memory_MB_per_rank_max"]]
print("%-9s %5s %9d %5d %8.2f %8.2f %8.2f %8.2f %10.2f %10.0f %7.2f %8.0f" % tuple(row))
open(sys.argv[4], "a").write(",".join(str(x) for x in row) + "\n")
PY
      done
    done
  done
done
echo "table: $csv"
