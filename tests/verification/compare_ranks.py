#!/usr/bin/env python3
"""Run one config on 1 and on 2 MPI ranks and check that the results agree: every column of
radial_profile.csv and every physical number of summary.json to a relative tolerance (relative
to the largest magnitude of the column or quantity). Timing, memory, rank count and iteration
counts are excluded: they may differ."""
import argparse, csv, json, os, subprocess, sys

ap = argparse.ArgumentParser()
ap.add_argument("--radiotwin", required=True)
ap.add_argument("--mpiexec", required=True)
ap.add_argument("--config", required=True)
ap.add_argument("--work", required=True)
ap.add_argument("--tolerance", type=float, default=1e-8)
ap.add_argument("--set", action="append", default=[], help="extra parameter overrides")
args = ap.parse_args()

dirs = {}
for n in (1, 2):
    d = os.path.join(args.work, "np%d" % n)
    cmd = [args.mpiexec, "-n", str(n), args.radiotwin, args.config,
           "--set", "Output/Directory=" + d, "--set", "Output/Write VTU=false"]
    for extra in args.set:
        cmd += ["--set", extra]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("run on %d ranks failed:\n%s\n%s" % (n, r.stdout, r.stderr))
    dirs[n] = d

failures = []
worst = 0.0

def compare(name, a, b, scale):
    global worst
    rel = abs(a - b) / scale if scale > 0 else abs(a - b)
    worst = max(worst, rel)
    if rel > args.tolerance:
        failures.append("%s: %r vs %r (relative %.3g)" % (name, a, b, rel))

rows = [list(csv.DictReader(open(os.path.join(dirs[n], "radial_profile.csv")))) for n in (1, 2)]
if len(rows[0]) != len(rows[1]) or not rows[0]:
    sys.exit("profiles differ in length: %d vs %d" % (len(rows[0]), len(rows[1])))
for col in rows[0][0].keys():
    scale = max(abs(float(r[col])) for r in rows[0])
    for i, (r1, r2) in enumerate(zip(*rows)):
        compare("radial_profile.csv[%d].%s" % (i, col), float(r1[col]), float(r2[col]), scale)

skip = {"wall_time_s", "peak_memory_MB_per_rank_max", "mpi_ranks", "cg_iterations",
        "last_gmres_iterations", "time_loop_wall_s", "coupling_iterations",
        "coupling_final_relative_change", "cvode_steps", "rhs_evaluations",
        "radiotwin_version", "parameter_file"}
def walk(a, b, path):
    if isinstance(a, dict):
        for k in a:
            if k not in skip:
                walk(a[k], b[k], path + "/" + k)
    elif isinstance(a, (int, float)) and not isinstance(a, bool):
        # Errors and defects are differences of close numbers: compare them absolutely.
        absolute = "error" in path or "defect" in path
        compare(path, float(a), float(b), 1.0 if absolute else abs(float(a)))
    elif a != b:
        failures.append("%s: %r vs %r" % (path, a, b))
s = [json.load(open(os.path.join(dirs[n], "summary.json"))) for n in (1, 2)]
walk(s[0], s[1], "summary.json")

print("largest relative difference between 1 and 2 ranks: %.3g (tolerance %g)" % (worst, args.tolerance))
if failures:
    print("\n".join(failures[:20]))
    sys.exit(1)
