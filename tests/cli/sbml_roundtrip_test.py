#!/usr/bin/env python3
"""SBML export -> import round trip of the native whole-body model (docs/sbml.md).

`radiotwin pbrpk` on a shipped case with 'Whole body/SBML/Export native model = true' writes
whole_body.xml and whole_body_sbml.prm; running that prm imports the SBML file and must
reproduce every organ's and lesion's curve (time_activity.csv) and the summary's TIA, dose and
BED to 1e-8 relative (curves: the largest difference over the curve's largest value). Both
runs integrate with tight tolerances so that the comparison measures the export, not CVODE.
A mapping naming a species the file does not have ends with exit 1 and one message naming
the parameter.
"""
import argparse
import csv
import os
import shutil
import subprocess
import sys

TOLERANCE = 1e-8
TIGHT = ["--set", "Whole body/Integration/Relative tolerance=1e-11",
         "--set", "Whole body/Integration/Absolute tolerance [nmol]=1e-15",
         "--set", "Output/Plots=false"]


def run(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


def read_csv(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    header, data = rows[0], [[float(v) for v in r] for r in rows[1:]]
    return {name: [r[i] for r in data] for i, name in enumerate(header)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--radiotwin", required=True)
    parser.add_argument("--config", required=True, help="a pbrpk parameter file (native model)")
    parser.add_argument("--work", required=True)
    parser.add_argument("--compare", required=True, help="cluster/tools/compare_summaries.py")
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    native = os.path.join(args.work, "native")
    rc, out = run([args.radiotwin, "pbrpk", args.config, "--set", "Output/Directory=" + native,
                   "--set", "Whole body/SBML/Export native model=true"] + TIGHT)
    print(out)
    if rc != 0:
        sys.exit("native run failed (exit %d)" % rc)
    for name in ("whole_body.xml", "whole_body_sbml.prm"):
        if not os.path.isfile(os.path.join(native, name)):
            sys.exit("export wrote no " + name)
    imported = os.path.join(args.work, "imported")
    rc, out = run([args.radiotwin, "pbrpk", os.path.join(native, "whole_body_sbml.prm"),
                   "--set", "Output/Directory=" + imported] + TIGHT)
    print(out)
    if rc != 0:
        sys.exit("imported run failed (exit %d)" % rc)

    failures = []
    a, b = read_csv(os.path.join(native, "time_activity.csv")), read_csv(os.path.join(imported, "time_activity.csv"))
    if a["time_h"] != b["time_h"]:
        failures.append("the output times differ")
    compared = 0
    worst = (0.0, "")
    for name, values in b.items():
        if name == "time_h":
            continue
        if name not in a:
            failures.append("column %s is not in the native output" % name)
            continue
        scale = max(abs(v) for v in a[name]) or 1.0
        err = max(abs(x - y) for x, y in zip(a[name], values)) / scale
        compared += 1
        worst = max(worst, (err, name))
        if err > TOLERANCE:
            failures.append("%s differs by %.3g of its largest value" % (name, err))
    print("curves: %d columns compared, largest relative difference %.3g (%s)" % (compared, worst[0], worst[1]))
    if compared < 30:
        failures.append("only %d columns compared" % compared)

    # Every TIA, dose and BED of summary.json (cluster/tools/compare_summaries.py).
    rc, out = run([sys.executable, args.compare, os.path.join(native, "summary.json"),
                   os.path.join(imported, "summary.json"), "--limit", str(TOLERANCE)])
    print(out.strip())
    if rc != 0:
        failures.append("summary.json figures differ by more than %g" % TOLERANCE)

    # A mapping error: one message naming the parameter, exit 1.
    rc, out = run([args.radiotwin, "pbrpk", os.path.join(native, "whole_body_sbml.prm"),
                   "--set", "Output/Directory=" + os.path.join(args.work, "bad"),
                   "--set", "Whole body/SBML/Hot injection species=no_such_species"])
    print(out.strip())
    if rc != 1 or "Hot injection species" not in out or "no_such_species" not in out:
        failures.append("an unknown species in the mapping gave exit %d: %s" % (rc, out.strip()))

    if failures:
        print("\n".join("FAIL: " + f for f in failures))
        sys.exit(1)
    print("sbml round trip: passed")


if __name__ == "__main__":
    main()
