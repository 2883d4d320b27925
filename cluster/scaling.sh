#!/usr/bin/env bash
# Strong and weak scaling of build/radiotwin (docs/scaling.md has the measured figures and the
# model of where scaling holds). A benchmark, not a test.
#
#   bash cluster/scaling.sh --mode strong|weak|both --ranks "1 2 4 8"
#        [--problem darcy|transport|coupled] [--level L | --dofs D] [--launcher "mpirun -n"]
#        [--hours H] [--backend Trilinos|PETSc] [--set "A/B=v" ...] [--dry-run] [--list-ladder]
#
# Problems (all on the sphere-in-sphere geometry of configs/benchmark/darcy_benchmark.prm:
# tumour 5 mm, necrotic core 2 mm, host 10 mm; Q1):
#   darcy      configs/benchmark/darcy_benchmark.prm: mesh, one AMG-CG solve
#   transport  configs/transport/default_7days.prm, H hours (default 12) of uniform 60-min
#              steps (GMRES + ILU per field and step, nodal reaction), no VTU/DVH output
#   coupled    configs/coupled/lesion_1cm_14days.prm, the same with the whole-body model
#              coupled (CVODE, serial and replicated on every rank)
#
# Sizes come from a refinement ladder: level L = 6 (g - 3) + s + 1 for global refinements
# g = 3..8 and sub-level s = 0..5 (s = 0: uniform; s = 1..5: one more refinement of the
# cells within 0.25 / 0.75 / 1.5 / 2.5 / 3.4 mm of the tumour surface). Consecutive levels
# differ by about 1.4x in DoFs (8x per global refinement); --list-ladder prints them
# (measured DoFs for g <= 4, extrapolated above).
#
#   strong  one level (--level L, or the level nearest --dofs D; default level 13,
#           about 626 k DoFs) on every rank count.
#   weak    the first rank count N0 runs the base level (--level L, or --dofs D DoFs per
#           rank: the level nearest N0 D; default 80 k DoFs per rank); rank count N runs
#           the level whose DoFs are nearest N / N0 times the base run's measured DoFs.
#           The table shows how far DoFs/rank drifts from the base (column "dev").
#
# Efficiency: strong E = T_ref N_ref / (T N); weak E = (T_ref / n_ref) / (T / n) with
# n = DoFs per rank (time per DoF-per-rank, so the ladder's drift in n does not count as
# loss), both against the first rank count. Darcy: E of "solve" (set-up + assembly + AMG +
# CG) and of the whole run; transport: E of the time loop per step and of the whole run.
#
# Writes results/scaling/<mode>_<problem>.csv and one run directory (summary.json, log) per
# run under results/scaling/<mode>_<problem>/.
#
# Environment: RADIOTWIN (the executable; else RADIOTWIN_BIN as in the SLURM scripts; default
# build/radiotwin), MPIEXEC (default mpirun; the default launcher is "$MPIEXEC -n").
# --launcher "srun -n", or "srun --ntasks={n} --cpu-bind=cores" ({n} is replaced by the rank
# count, else the count is appended), runs inside a Slurm allocation.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=""; ranks="1 2"; problem=darcy; level=""; dofs=""; hours=12; backend=""
launcher="${MPIEXEC:-mpirun} -n"; dry=0; list=0; extra=()
usage() { sed -n '2,41p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) mode="$2"; shift 2 ;;
    --ranks) ranks="$2"; shift 2 ;;
    --problem) problem="$2"; shift 2 ;;
    --level) level="$2"; shift 2 ;;
    --dofs) dofs="$2"; shift 2 ;;
    --launcher) launcher="$2"; shift 2 ;;
    --hours) hours="$2"; shift 2 ;;
    --backend) backend="$2"; shift 2 ;;
    --set) extra+=(--set "$2"); shift 2 ;;
    --dry-run) dry=1; shift ;;
    --list-ladder) list=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument $1 (--help)" >&2; exit 2 ;;
  esac
done

# ---- ladder, table rows and CSV: one Python helper (standard library only) ----
read -r -d '' HELPER <<'PY' || true
import json, math, os, sys

# DoFs measured (Q1, darcy_benchmark.prm geometry) for g = 3, 4 and (5, 0).
MEASURED = {(3, 0): 9993, (3, 1): 16525, (3, 2): 24595, (3, 3): 32665, (3, 4): 40776,
            (3, 5): 56875, (4, 0): 78737, (4, 1): 115607, (4, 2): 169371, (4, 3): 233901,
            (4, 4): 320894, (4, 5): 427721, (5, 0): 625953}
BANDS = [0.0, 0.25, 0.75, 1.5, 2.5, 3.4]   # rim band half-width [mm] of sub-level s
GMIN, GMAX = 3, 8
LMAX = 6 * (GMAX - GMIN + 1)

def params(L):
    if not 1 <= L <= LMAX:
        sys.exit("ladder level %d outside 1..%d" % (L, LMAX))
    g, s = GMIN + (L - 1) // 6, (L - 1) % 6
    return g, (1 if s else 0), BANDS[s]

def rho_model(g, w):
    # One more refinement of the band |r - 5 mm| < w + delta_g (delta_g: the cells that
    # straddle the band edge, about one cell; 0.44 mm at g = 3) inside the 10 mm sphere.
    x = w + 0.44 * 2.0 ** (3 - g)
    f = min(1.0, ((5 + x) ** 3 - max(0.0, 5 - x) ** 3) / 1000.0)
    return 1 + 7 * f

def estimate(L):
    g, r, w = params(L)
    s = (L - 1) % 6
    if (g, s) in MEASURED:
        return MEASURED[(g, s)], "measured"
    base = MEASURED[(5, 0)] * 8.0 ** (g - 5)
    if s == 0:
        return int(round(base)), "estimated"
    rho4 = MEASURED[(4, s)] / MEASURED[(4, 0)]
    return int(round(base * rho4 * rho_model(g, w) / rho_model(4, w))), "estimated"

def nearest(target):
    return min(range(1, LMAX + 1), key=lambda L: abs(math.log(estimate(L)[0] / target)))

def loadavg():
    try:
        return open("/proc/loadavg").read().split()[0]
    except OSError:
        return ""

cmd = sys.argv[1]
if cmd == "params":
    g, r, w = params(int(sys.argv[2]))
    print(g, r, w, estimate(int(sys.argv[2]))[0])
elif cmd == "nearest":
    L = nearest(float(sys.argv[2]))
    if abs(math.log(estimate(L)[0] / float(sys.argv[2]))) > math.log(1.3):
        sys.stderr.write("warning: %.0f DoFs wanted; the nearest ladder level %d has ~%d\n"
                         % (float(sys.argv[2]), L, estimate(L)[0]))
    print(L)
elif cmd == "list":
    print("%5s %4s %4s %8s %14s  %s" % ("level", "g", "rim", "band mm", "DoFs", "source"))
    for L in range(1, LMAX + 1):
        g, r, w = params(L)
        d, src = estimate(L)
        print("%5d %4d %4d %8.2f %14d  %s" % (L, g, r, w, d, src))
elif cmd == "row":
    # row SUMMARY MODE PROBLEM RANKS LEVEL CSV
    path, mode, problem, n, L, csv = sys.argv[2:8]
    n, L = int(n), int(L)
    s = json.load(open(path)); t = s["wall_time_s"]; d = s["darcy"]
    g, r, w = params(L)
    get = lambda k: t.get(k, 0.0)
    setup = get("Darcy: setup (DoFs, constraints, mapping)") + get("Darcy: setup (sparsity, matrix)")
    dsolve = setup + get("Darcy: assembly") + get("Darcy: AMG setup") + get("Darcy: CG solve")
    mem = s["peak_memory_MB_per_rank_max"]
    if problem == "darcy":
        dofs = d["dofs"]
        T = dsolve
        vals = dict(cg=d["cg_iterations"], mesh=get("Mesh"), setup=setup,
                    assembly=get("Darcy: assembly"), amg=get("Darcy: AMG setup"),
                    cgsolve=get("Darcy: CG solve"), solve=dsolve, total=t["total"])
    else:
        tr = s["transport"]; steps = tr["steps"]; dofs = tr["dofs_per_field"]
        loop = tr["time_loop_wall_s"]
        wb = s.get("whole_body", {}).get("solver", {}).get("wall_time_s", 0.0)
        react = get("Transport: reaction and exchange") + get("Transport: reaction")
        T = loop / steps
        vals = dict(steps=steps, mesh=get("Mesh"), darcy=dsolve,
                    tsetup=get("Transport: setup") + get("Transport: assembly")
                    + get("Transport: system and preconditioner"),
                    react=react / steps, tsolve=get("Transport: transport solve") / steps,
                    wb=wb / steps, step=loop / steps, loop=loop, total=t["total"],
                    gmres=tr.get("last_gmres_iterations", 0),
                    newton=tr.get("coupling_newton_iterations_per_step", 0))
    per_rank = dofs / n
    total = t["total"]
    new = not os.path.exists(csv) or os.path.getsize(csv) == 0
    ref = None
    if not new:
        with open(csv) as f:
            head = f.readline().strip().split(","); first = f.readline().strip().split(",")
        if len(first) == len(head):
            ref = dict(zip(head, first))
    if ref is None:
        ref = {"ranks": n, "dofs_per_rank": per_rank, "T": T, "total_s": total}
    nr, pr = float(ref["ranks"]), float(ref["dofs_per_rank"])
    Tr, totr = float(ref["T"]), float(ref["total_s"])
    if mode == "strong":
        eff, eff_tot = Tr * nr / (T * n), totr * nr / (total * n)
    else:
        eff, eff_tot = (Tr / pr) / (T / per_rank), (totr / pr) / (total / per_rank)
    dev = 100.0 * (per_rank / pr - 1)
    common = [mode, problem, n, L, g, r, w, dofs, round(per_rank), "%.1f" % dev]
    if problem == "darcy":
        keys = ["cg", "mesh", "setup", "assembly", "amg", "cgsolve", "solve", "total"]
        header = ("mode,problem,ranks,level,global_refinements,rim_refinements,rim_band_mm,dofs,"
                  "dofs_per_rank,dofs_per_rank_dev_pct,cg_iterations,mesh_s,setup_s,assembly_s,"
                  "amg_setup_s,cg_solve_s,solve_s,total_s,T,efficiency,efficiency_total,"
                  "peak_MB_per_rank,loadavg,run_dir")
        print("%6d %5d %10d %9d %6.1f %4d %7.2f %6.2f %8.2f %6.2f %6.2f %7.2f %7.2f %6.2f %6.2f %7.0f" % (
            n, L, dofs, per_rank, dev, vals["cg"], vals["mesh"], vals["setup"], vals["assembly"],
            vals["amg"], vals["cgsolve"], vals["solve"], vals["total"], eff, eff_tot, mem))
    else:
        keys = ["steps", "mesh", "darcy", "tsetup", "react", "tsolve", "wb", "step", "loop",
                "total", "gmres", "newton"]
        header = ("mode,problem,ranks,level,global_refinements,rim_refinements,rim_band_mm,dofs,"
                  "dofs_per_rank,dofs_per_rank_dev_pct,steps,mesh_s,darcy_solve_s,"
                  "transport_setup_s,reaction_per_step_s,transport_solve_per_step_s,"
                  "whole_body_per_step_s,loop_per_step_s,loop_s,total_s,last_gmres_iterations,"
                  "coupling_newton_per_step,T,efficiency,efficiency_total,peak_MB_per_rank,"
                  "loadavg,run_dir")
        print("%6d %5d %10d %9d %6.1f %5d %6.2f %6.2f %6.2f %8.3f %8.3f %8.3f %8.3f %7.2f %6.2f %6.2f %7.0f" % (
            n, L, dofs, per_rank, dev, vals["steps"], vals["mesh"], vals["darcy"], vals["tsetup"],
            vals["react"], vals["tsolve"], vals["wb"], vals["step"], vals["total"], eff, eff_tot,
            mem))
    row = common + ["%.6g" % vals[k] if isinstance(vals[k], float) else vals[k] for k in keys]
    row += ["%.6g" % T, "%.4f" % eff, "%.4f" % eff_tot, "%.1f" % mem, loadavg(),
            os.path.dirname(path)]
    with open(csv, "a") as f:
        if new:
            f.write(header + "\n")
        f.write(",".join(str(x) for x in row) + "\n")
elif cmd == "dofs":
    s = json.load(open(sys.argv[2]))
    print(s["darcy"]["dofs"])
else:
    sys.exit("unknown helper command " + cmd)
PY
helper() { python3 -c "$HELPER" "$@"; }

if [ "$list" = 1 ]; then helper list; exit 0; fi
case "$mode" in strong|weak|both) ;; *) echo "--mode strong|weak|both required (--help)" >&2; exit 2 ;; esac
case "$problem" in
  darcy) prm=configs/benchmark/darcy_benchmark.prm ;;
  transport) prm=configs/transport/default_7days.prm ;;
  coupled) prm=configs/coupled/lesion_1cm_14days.prm ;;
  *) echo "--problem darcy|transport|coupled" >&2; exit 2 ;;
esac
[ -n "$level" ] && [ -n "$dofs" ] && { echo "give --level or --dofs, not both" >&2; exit 2; }
exe=${RADIOTWIN:-${RADIOTWIN_BIN:-build/radiotwin}}
if [ "$dry" = 0 ]; then
  [ -x "$exe" ] || command -v "$exe" > /dev/null || { echo "executable $exe not found (set RADIOTWIN)" >&2; exit 1; }
fi
export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1}
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
export OMPI_MCA_rmaps_base_oversubscribe=${OMPI_MCA_rmaps_base_oversubscribe:-1}
cores=$(nproc 2> /dev/null || echo 0)

# run MODE N LEVEL DIR: one run, then its table row
run() {
  local mode=$1 n=$2 L=$3 dir=$4 g r w est launch
  read -r g r w est < <(helper params "$L") || true
  [ -n "$est" ] || exit 1
  local args=(--set "Geometry/Global refinements=$g" --set "Geometry/Tumour refinements=0"
              --set "Geometry/Rim refinements=$r" --set "Geometry/Rim band half-width [mm]=$w"
              --set "Output/Directory=$dir" --set "Output/Write VTU=false")
  [ -n "$backend" ] && args+=(--set "Darcy/Linear solver/Linear algebra=$backend")
  if [ "$problem" != darcy ]; then
    args+=(--set "Transport/Time stepping/End time [h]=$hours"
           --set "Transport/Time stepping/Initial time step [min]=60"
           --set "Transport/Time stepping/Maximum time step [min]=60"
           --set "Transport/Time stepping/Output times [h]=")
  fi
  [ ${#extra[@]} -gt 0 ] && args+=("${extra[@]}")
  if [[ "$launcher" == *"{n}"* ]]; then launch=${launcher//\{n\}/$n}; else launch="$launcher $n"; fi
  if [ "$dry" = 1 ]; then
    printf '# level %s (g %s, rim %s, band %s mm, ~%s DoFs, ~%s per rank):\n' "$L" "$g" "$r" "$w" "$est" $((est / n))
    printf '%s %s %s' "$launch" "$exe" "$prm"; printf ' %q' "${args[@]}"; echo
    return
  fi
  if [ "$cores" -gt 0 ] && [ "$n" -gt "$cores" ] && [[ "$launcher" == mpi* ]]; then
    echo "note: $n ranks on $cores cores (oversubscribed): timings not meaningful" >&2
  fi
  mkdir -p "$dir"
  # shellcheck disable=SC2086
  $launch "$exe" "$prm" "${args[@]}" > "$dir.log" 2>&1 ||
    { echo "run failed (ranks $n, level $L), see $dir.log" >&2; exit 1; }
  helper row "$dir/summary.json" "$mode" "$problem" "$n" "$L" "$csv"
}

header() {
  if [ "$problem" = darcy ]; then
    printf "%6s %5s %10s %9s %6s %4s %7s %6s %8s %6s %6s %7s %7s %6s %6s %7s\n" ranks level DoFs \
      DoFs/rank dev% CG mesh setup assembly AMG CG solve total E E_tot MB/rank
  else
    printf "%6s %5s %10s %9s %6s %5s %6s %6s %6s %8s %8s %8s %8s %7s %6s %6s %7s\n" ranks level DoFs \
      DoFs/rank dev% steps mesh darcy tsetup react/st solve/st body/st loop/st total E E_tot MB/rank
  fi
}

scaling() {
  local mode=$1 first="" base_dofs="" n L
  local out=results/scaling/${mode}_${problem}
  csv=results/scaling/${mode}_${problem}.csv
  if [ "$dry" = 0 ]; then mkdir -p "$out"; rm -f "$csv"; fi
  echo "== $mode scaling, $problem, ranks: $ranks (launcher: $launcher; $(date -u +%FT%TZ); host $(hostname))"
  [ "$problem" != darcy ] && echo "   $hours h of 60-min steps; columns react/solve/body/loop are seconds per step"
  [ "$dry" = 0 ] && header
  for n in $ranks; do
    if [ "$mode" = strong ]; then
      if [ -n "$level" ]; then L=$level; elif [ -n "$dofs" ]; then L=$(helper nearest "$dofs"); else L=13; fi
    elif [ -z "$first" ]; then
      first=$n
      if [ -n "$level" ]; then L=$level
      else L=$(helper nearest "$(python3 -c "print(${dofs:-80000} * $n)")"); fi
    else
      L=$(helper nearest "$(python3 -c "print($base_dofs * $n / $first)")")
    fi
    run "$mode" "$n" "$L" "$out/np${n}_L${L}"
    if [ -z "$base_dofs" ] && [ "$mode" = weak ]; then
      if [ "$dry" = 0 ]; then base_dofs=$(helper dofs "$out/np${n}_L${L}/summary.json")
      else read -r _ _ _ base_dofs < <(helper params "$L"); fi
    fi
  done
  [ "$dry" = 0 ] && echo "table: $csv"
  return 0
}

case "$mode" in
  strong|weak) scaling "$mode" ;;
  both) scaling strong; scaling weak ;;
esac
