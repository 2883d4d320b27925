#!/usr/bin/env bash
# Darcy benchmark: a refinement ladder of configs/benchmark/darcy_benchmark.prm (Q1, about
# 60 k to 2 M DoFs) on 1 and 2 MPI ranks, both linear-algebra backends; prints DoFs, CG
# iterations and the seconds of each phase (from each run's summary.json), and writes the
# table to results/benchmark_darcy/benchmark.csv. A benchmark, not a test.
#
#   bash cluster/benchmark_darcy.sh [--ranks "1 2"] [--backends "PETSc Trilinos"] [--max-level 5]
#                                   [--min-level 1] [--repeat N] [--pretouch MB]
#   bash cluster/benchmark_darcy.sh --vs-peer N [--ranks 2] [--backends Trilinos] [--level 5]
#
# --vs-peer N runs the FEniCSx peer (../shared/benchmarks/fenicsx_darcy.py, 101^3 Q1 cells =
# 1.06 M DoFs; install: apt-get install python3-dolfinx) and RadioTwin's level (default 5,
# 1.07 M DoFs) alternately, N pairs after one untimed warm-up of each, whole process each
# (wall clock around mpirun), and prints each pair's ratio RadioTwin/peer, their median and
# spread, and RadioTwin's phases. Table: results/benchmark_darcy/vs_peer.csv.
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
vs_peer=0; peer_level=5; ranks_given=no; backends_given=no; n_ranks=1
while [ $# -gt 0 ]; do
  case "$1" in
    --vs-peer) vs_peer="$2"; shift 2 ;;
    --level) peer_level="$2"; shift 2 ;;
    --ranks) ranks="$2"; ranks_given=yes; shift 2 ;;
    --backends) backends="$2"; backends_given=yes; shift 2 ;;
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

# One RadioTwin run of a ladder level: run_level LEVEL (ranks, backend and folder from
# $n_ranks, $backend_now, $dir_now)
run_level() {
  local entry
  entry=${ladder[$(($1 - 1))]}
  # shellcheck disable=SC2086 # the four numbers become $1..$4 of the subshell's set
  (set -- ${entry#*|}
   "${preload[@]}" "$mpiexec" -n "$n_ranks" "$exe" configs/benchmark/darcy_benchmark.prm \
     --set "Geometry/Global refinements=$1" --set "Geometry/Tumour refinements=$2" \
     --set "Geometry/Rim refinements=$3" --set "Geometry/Rim band half-width [mm]=$4" \
     --set "Darcy/Linear solver/Linear algebra=$backend_now" --set "Output/Directory=$dir_now" \
     > "$dir_now.log" 2>&1) || { echo "run failed, see $dir_now.log" >&2; exit 1; }
}

if [ "$vs_peer" != 0 ]; then
  [[ "$vs_peer" =~ ^[1-9][0-9]*$ ]] || { echo "--vs-peer: a number of pairs, not '$vs_peer'" >&2; exit 2; }
  [ "$ranks_given" = yes ] || ranks=2
  [ "$backends_given" = yes ] || backends=Trilinos
  peer=${RADIOTWIN_PEER:-../shared/benchmarks/fenicsx_darcy.py}
  [ -f "$peer" ] || { echo "the peer script $peer is missing (RADIOTWIN_PEER names another)" >&2; exit 1; }
  /usr/bin/python3 -c "import dolfinx" 2>/dev/null ||
    { echo "the peer needs FEniCSx: apt-get install -y --no-install-recommends python3-dolfinx" >&2; exit 1; }
  now() { date +%s.%N; }
  table="$out/vs_peer.csv"
  echo "pair,ranks,peer_s,radiotwin_s,ratio,peer_dofs,peer_cg_iterations,radiotwin_dofs,radiotwin_cg_iterations" > "$table"
  for n in $ranks; do
    for backend_now in $backends; do
      dir_now="$out/vs_peer_${backend_now}_np${n}"
      # Warm-up, untimed: the peer compiles its forms on its first run; both fill the page cache.
      "$mpiexec" -n "$n" /usr/bin/python3 "$peer" 101 > "$out/peer_np$n.log" 2>&1 ||
        { echo "peer failed, see $out/peer_np$n.log" >&2; exit 1; }
      n_ranks=$n run_level "$peer_level"
      printf "%4s %5s %9s %11s %7s\n" pair ranks "peer [s]" "RadioTwin [s]" ratio
      for ((pair = 1; pair <= vs_peer; pair++)); do
        t0=$(now)
        "$mpiexec" -n "$n" /usr/bin/python3 "$peer" 101 > "$out/peer_np$n.log" 2>&1 ||
          { echo "peer failed, see $out/peer_np$n.log" >&2; exit 1; }
        t1=$(now)
        n_ranks=$n run_level "$peer_level"
        t2=$(now)
        /usr/bin/python3 - "$t0" "$t1" "$t2" "$out/peer_np$n.log" "$dir_now/summary.json" "$pair" "$n" "$table" <<'PY'
import json, re, sys
t0, t1, t2 = map(float, sys.argv[1:4])
peer = open(sys.argv[4]).read()
m = re.search(r"dofs (\d+) ranks \d+ its (\d+)", peer)
s = json.load(open(sys.argv[5]))
peer_s, rt_s = t1 - t0, t2 - t1
print("%4s %5s %9.2f %11.2f %7.2f" % (sys.argv[6], sys.argv[7], peer_s, rt_s, rt_s / peer_s))
open(sys.argv[8], "a").write(",".join(map(str, [sys.argv[6], sys.argv[7], peer_s, rt_s, rt_s / peer_s,
    m.group(1), m.group(2), s["darcy"]["dofs"], s["darcy"]["cg_iterations"]])) + "\n")
PY
      done
      /usr/bin/python3 - "$table" "$n" "$dir_now/summary.json" "$out/peer_np$n.log" <<'PY'
import csv, json, statistics, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["ranks"] == sys.argv[2]]
ratios = sorted(float(r["ratio"]) for r in rows)
print("ratio RadioTwin/peer: median %.2f, min %.2f, max %.2f over %d pairs (peer median %.2f s, "
      "RadioTwin median %.2f s)" % (statistics.median(ratios), ratios[0], ratios[-1], len(ratios),
      statistics.median(float(r["peer_s"]) for r in rows),
      statistics.median(float(r["radiotwin_s"]) for r in rows)))
print("peer (last run):", open(sys.argv[4]).read().strip().splitlines()[-1])
s = json.load(open(sys.argv[3]))
print("RadioTwin (last run): %d DoFs, %d CG iterations, peak %.0f MB/rank; phases [s]:" %
      (s["darcy"]["dofs"], s["darcy"]["cg_iterations"], s["peak_memory_MB_per_rank_max"]))
for k, v in sorted(s["wall_time_s"].items(), key=lambda kv: -kv[1]):
    if v > 0.01:
        print("  %-45s %7.2f" % (k, v))
PY
    done
  done
  echo "table: $table"
  exit 0
fi
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
