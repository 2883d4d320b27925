#!/usr/bin/env python3
"""Calibrate the whole-body model's population parameters to clinical mean doses.

Adjusts one parameter per organ - the receptor densities of kidney, salivary glands and liver
by default - until the standard 7.4 GBq [177Lu]Lu-PSMA-617 injection gives the clinical
absorbed dose per activity of physics-reference section 11 (targets below, in Gy/GBq), and
writes the parameter file of the calibrated set. The organs interact only weakly (they share
the plasma), so each parameter is moved by a secant step on log-log axes per round, all at
once, until every dose is within --tolerance of its target.

    python3 postprocessing/calibrate_population.py --radiotwin build/radiotwin \
        --base configs/pbrpk/standard_7p4GBq.prm --out configs/pbrpk/clinical_population.prm

Exit status 0 when calibrated, 1 when a target is not reached in --rounds rounds.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

# organ key in summary.json: (parameter path, clinical target Gy/GBq, where it comes from)
TARGETS = {
    "kidney": ("Whole body/Receptor densities/Kidney [nmol L^-1]", 0.43,
               "VISION dosimetry sub-study, cycle 1: 0.43 +- 0.16 Gy/GBq (n = 30)"),
    "salivary_glands": ("Whole body/Receptor densities/Salivary glands [nmol L^-1]", 0.48,
                        "middle of 0.39 (Peters 2022) - 0.58 (Violet 2019, parotid) Gy/GBq"),
    "liver": ("Whole body/Receptor densities/Liver [nmol L^-1]", 0.10,
              "Violet 2019: 0.10; Peters 2022: 0.09 Gy/GBq"),
}


def doses(radiotwin, base, values, work):
    cmd = [radiotwin, "pbrpk", base, "--set", "Output/Directory=" + work, "--set", "Output/Plots=false"]
    for path, value in values.items():
        cmd += ["--set", "%s=%.6g" % (path, value)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit("radiotwin failed:\n" + done.stdout + done.stderr)
    tissues = json.load(open(os.path.join(work, "summary.json")))["tissues"]
    return {k: v["absorbed_dose_per_activity_Gy_per_GBq"] for k, v in tissues.items()
            if "absorbed_dose_per_activity_Gy_per_GBq" in v}


def default_value(radiotwin, path):
    """The parameter's default from --print-parameters=json."""
    done = subprocess.run([radiotwin, "--print-parameters=json"], capture_output=True, text=True)
    node = json.loads(done.stdout)
    for part in path.split("/"):
        node = node[part]
    return float(node["value"] if isinstance(node, dict) and "value" in node else node)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--radiotwin", required=True)
    ap.add_argument("--base", required=True, help="pbrpk parameter file of the standard injection")
    ap.add_argument("--out", help="parameter file to write (the base's values plus the calibrated ones)")
    ap.add_argument("--tolerance", type=float, default=0.002, help="relative, on each dose")
    ap.add_argument("--rounds", type=int, default=12)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="radiotwin_calibration_")
    values = {path: default_value(args.radiotwin, path) for path, _, _ in TARGETS.values()}
    start = dict(values)
    current = doses(args.radiotwin, args.base, values, work)
    first = dict(current)
    previous = None
    for rnd in range(args.rounds):
        errors = {k: current[k] / TARGETS[k][1] - 1 for k in TARGETS}
        print("round %d: " % rnd + ", ".join("%s %.4f Gy/GBq (%+.2f%%)" % (k, current[k], 100 * e)
                                           for k, e in errors.items()))
        if all(abs(e) <= args.tolerance for e in errors.values()):
            break
        new = dict(values)
        for organ, (path, target, _) in TARGETS.items():
            # log dose against log parameter: the slope of the last step, or 0.5 at first
            slope = 0.5
            if previous is not None and values[path] != previous[0][path]:
                slope = (math.log(current[organ]) - math.log(previous[1][organ])) / \
                        (math.log(values[path]) - math.log(previous[0][path]))
                slope = min(max(slope, 0.05), 2.0)
            new[path] = values[path] * math.exp(math.log(target / current[organ]) / slope)
        previous = (values, current)
        values = new
        current = doses(args.radiotwin, args.base, values, work)
    else:
        sys.exit("not calibrated in %d rounds" % args.rounds)

    print("\n%-16s %-52s %10s %10s %10s %10s" % ("organ", "parameter", "published", "calibrated",
                                                  "Gy/GBq was", "Gy/GBq now"))
    for organ, (path, target, source) in TARGETS.items():
        print("%-16s %-52s %10.4g %10.4g %10.4f %10.4f" % (organ, path, start[path], values[path],
                                                            first[organ], current[organ]))
    print("%-16s %-52s %10s %10s %10.4f %10.4f" % ("red_marrow", "(not adjusted)", "", "", first["red_marrow"],
                                                  current["red_marrow"]))
    if args.out:
        lines = ["# Clinically calibrated population set (issue 20 point 9; docs/physics.md section 4):",
                 "# the published model's defaults with the receptor densities below adjusted so that the",
                 "# standard 7.4 GBq [177Lu]Lu-PSMA-617 bolus gives the clinical mean absorbed doses per",
                 "# activity of physics-reference section 11. Written by postprocessing/calibrate_population.py",
                 "# from %s; the published defaults stay the model's defaults." % os.path.relpath(args.base),
                 "#"]
        for organ, (path, target, source) in TARGETS.items():
            lines.append("#   %-16s %.3f Gy/GBq (published defaults: %.3f); target %.2f: %s" %
                         (organ, current[organ], first[organ], target, source))
        lines.append("#   %-16s %.3f Gy/GBq (not adjusted; clinical 0.017-0.03, Peters 2022 / MIRT 2017)" %
                     ("red_marrow", current["red_marrow"]))
        lines.append("#\n#   radiotwin pbrpk %s\n" % os.path.relpath(args.out))
        lines.append("subsection Whole body\n  subsection Receptor densities")
        for organ, (path, target, source) in TARGETS.items():
            name = path.split("/")[-1]
            lines.append("    # published default %.4g" % start[path])
            lines.append("    set %s = %.4g" % (name, values[path]))
        lines.append("  end\n  subsection Injection\n    set Injections       = 0, 0, 10.18, 46.91\n"
                     "    set Number of cycles = 1\n  end\n  subsection Integration\n    set Duration [h]        = 1008\n"
                     "    set Output interval [h] = 1\n  end\nend\n\nsubsection Output\n"
                     "  set Directory = results/pbrpk_clinical_population\nend")
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")
        print("\nwrote " + args.out)


if __name__ == "__main__":
    main()
