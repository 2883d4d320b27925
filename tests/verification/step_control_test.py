#!/usr/bin/env python3
"""Error-estimate time steps and the linearised plasma exchange on the coupled lesion
(configs/coupled/lesion_1cm_14days.prm, coarser mesh, 14 days, 2 ranks), against the fixed
schedule it replaced (steps growing 1.2x to 60 min, 10-min reaction sub-steps, Newton on the
plasma to 1e-9): every dose, BED and TIA of summary.json within 1%, in at most half the steps
and fewer exchange evaluations per step, and the step balance and the coupled conservation
still closing to round-off."""
import argparse, json, os, subprocess, sys

ap = argparse.ArgumentParser()
ap.add_argument("--radiotwin", required=True)
ap.add_argument("--mpiexec", required=True)
ap.add_argument("--config", required=True)
ap.add_argument("--compare", required=True, help="cluster/tools/compare_summaries.py")
ap.add_argument("--work", required=True)
args = ap.parse_args()
common = ["Geometry/Global refinements=2", "Transport/Time stepping/End time [h]=336",
          "Transport/Time stepping/Output times [h]=24, 336"]


def run(name, *overrides):
    out = os.path.join(args.work, "step_control_" + name)
    cmd = [args.mpiexec, "-n", "2", args.radiotwin, args.config, "--set", "Output/Directory=" + out]
    for o in common + list(overrides):
        cmd += ["--set", o]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("%s failed:\n%s\n%s" % (" ".join(cmd), r.stdout, r.stderr))
    path = os.path.join(out, "summary.json")
    s = json.load(open(path))
    t = s["transport"]
    print("%-16s %4d steps  %.2f exchanges/step  %.1f s" % (
        name, t["steps"], t["coupling_newton_iterations_per_step"], s["wall_time_s"]["total"]))
    return path, s


fixed_path, fixed = run("fixed", "Transport/Time stepping/Step control=growth",
                        "Transport/Time stepping/Time step growth factor [-]=1.2",
                        "Transport/Time stepping/Maximum time step [min]=60",
                        "Transport/Time stepping/Maximum reaction step [min]=10",
                        "Coupling/Plasma tolerance [-]=1e-9")
error_path, error = run("error_estimate")
problems = []
r = subprocess.run([sys.executable, args.compare, fixed_path, error_path, "--limit", "0.01"],
                   capture_output=True, text=True)
print(r.stdout.strip())
if r.returncode != 0:
    problems.append("doses differ by more than 1%")
if not error["transport"]["steps"] <= 0.5 * fixed["transport"]["steps"]:
    problems.append("%d steps, not at most half of %d" % (error["transport"]["steps"], fixed["transport"]["steps"]))
if not (error["transport"]["coupling_newton_iterations_per_step"] <
        fixed["transport"]["coupling_newton_iterations_per_step"]):
    problems.append("no fewer exchange evaluations per step")
if error["transport"]["step_control"]["kind"] != "error estimate":
    problems.append("the config does not use the error estimate")
defect = error["transport"]["max_step_balance_relative_defect"]
conservation = error["whole_body"]["conservation"]
worst = max(v for k, v in conservation.items() if k.startswith("max_relative_defect"))
print("step balance defect %.2e, coupled conservation defect %.2e" % (defect, worst))
if not defect < 1e-8:
    problems.append("step balance defect %.2e" % defect)
if not worst < 1e-10:
    problems.append("coupled conservation defect %.2e" % worst)
if problems:
    sys.exit("FAIL: " + "; ".join(problems))
print("ok")
