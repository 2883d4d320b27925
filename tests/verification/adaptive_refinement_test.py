#!/usr/bin/env python3
"""Adaptive refinement against uniform refinement on the embedded-sphere closed form
(configs/verification/embedded_sphere_amr.prm, 2 ranks): with 4 Kelly cycles from level 2 the
IFP's relative L2 error must be below that of one more uniform refinement (level 4, 429 k Q2
DoFs) with less than half its DoFs, and the error must fall from cycle 2 to cycle 4."""
import argparse, json, os, subprocess, sys

ap = argparse.ArgumentParser()
ap.add_argument("--radiotwin", required=True)
ap.add_argument("--mpiexec", required=True)
ap.add_argument("--config", required=True)
ap.add_argument("--work", required=True)
args = ap.parse_args()


def run(name, *overrides):
    out = os.path.join(args.work, "adaptive_" + name)
    cmd = [args.mpiexec, "-n", "2", args.radiotwin, args.config, "--set", "Output/Directory=" + out]
    for o in overrides:
        cmd += ["--set", o]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("%s failed:\n%s\n%s" % (" ".join(cmd), r.stdout, r.stderr))
    s = json.load(open(os.path.join(out, "summary.json")))
    error, dofs = s["verification"]["ifp_relative_L2_error"], s["darcy"]["dofs"]
    print("%-22s %8d DoFs  relative L2 error %.4f  %.1f s" % (name, dofs, error, s["wall_time_s"]["total"]))
    return error, dofs


adaptive2 = run("adaptive_2_cycles", "Darcy/Adaptive refinement/Cycles=2")
adaptive4 = run("adaptive_4_cycles", "Darcy/Adaptive refinement/Cycles=4")
uniform = run("uniform_level_4", "Darcy/Adaptive refinement/Cycles=0", "Geometry/Global refinements=4")
problems = []
if not adaptive4[0] < uniform[0]:
    problems.append("adaptive error %.4f not below the uniform %.4f" % (adaptive4[0], uniform[0]))
if not adaptive4[1] < 0.5 * uniform[1]:
    problems.append("adaptive DoFs %d not below half the uniform %d" % (adaptive4[1], uniform[1]))
if not adaptive4[0] < 0.8 * adaptive2[0]:
    problems.append("error did not fall from cycle 2 (%.4f) to 4 (%.4f)" % (adaptive2[0], adaptive4[0]))
if problems:
    sys.exit("FAILED: " + "; ".join(problems))
print("passed")
