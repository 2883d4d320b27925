#!/usr/bin/env python3
"""The patient twin's classical dosimetry on a synthetic patient (docs/twin.md).

configs/twin/classical_dosimetry.prm fits the whole-body model's activities at the clinical
times (4, 24, 48, 96, 168 h) per organ and lesion. Against the model's own time-integrated
activities (radiotwin pbrpk on the same protocol, integrated continuously from 0 to 6
weeks) every fitted TIA must lie within two of its standard deviations and within 10 %
(kidney 5 %), the absorbed dose must be TIA x energy per decay / mass (to the masses' four
digits), every organ must have a chosen model, and the plot must exist.
"""
import argparse
import csv
import json
import os
import subprocess
import sys

ENERGY_J = 147.9 * 1.602176634e-16  # mean electron energy per 177Lu decay [J]


def run(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit("failed (exit %d): %s\n%s" % (done.returncode, " ".join(cmd), done.stdout + done.stderr))
    return done.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--radiotwin", required=True)
    ap.add_argument("--configs", required=True, help="the configs folder")
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    truth_dir, twin_dir = os.path.join(args.work, "model"), os.path.join(args.work, "twin")
    run([args.radiotwin, "pbrpk", os.path.join(args.configs, "pbrpk", "standard_7p4GBq.prm"),
         "--set", "Output/Directory=" + truth_dir, "--set", "Output/Plots=false"])
    print(run([args.radiotwin, "twin", os.path.join(args.configs, "twin", "classical_dosimetry.prm"),
               "--set", "Output/Directory=" + twin_dir]))
    truth = json.load(open(os.path.join(truth_dir, "summary.json")))["tissues"]
    rows = list(csv.DictReader(open(os.path.join(twin_dir, "dose_table.csv"))))
    failures = []
    print("%-16s %6s %12s %12s %10s %8s" % ("organ", "model", "TIA fitted", "TIA model", "diff", "in sd"))
    for r in rows:
        organ = r["organ"]
        tia, sd = float(r["time_integrated_activity_MBq_h"]), float(r["time_integrated_activity_sd_MBq_h"])
        true_tia = truth[organ]["time_integrated_activity_MBq_h"]
        diff = tia / true_tia - 1
        print("%-16s %6s %12.5g %12.5g %+9.2f%% %8.2f" % (organ, r["model"], tia, true_tia, 100 * diff,
                                                          abs(tia - true_tia) / sd))
        if r["model"] not in ("mono", "bi", "uptake"):
            failures.append("%s: no model chosen" % organ)
        if abs(tia - true_tia) > 2 * sd or abs(diff) > (0.05 if organ == "kidney" else 0.10):
            failures.append("%s: TIA %.5g +- %.3g vs the model's %.5g" % (organ, tia, sd, true_tia))
        mass = float(r["mass_kg"])
        dose_expected = tia * 3.6e9 * ENERGY_J / mass
        if abs(float(r["absorbed_dose_Gy"]) / dose_expected - 1) > 1e-3:
            failures.append("%s: dose %s Gy is not TIA x E / m = %.6g Gy" % (organ, r["absorbed_dose_Gy"], dose_expected))
    if len(rows) != 8:
        failures.append("%d organs in dose_table.csv, 8 expected" % len(rows))
    if not os.path.isfile(os.path.join(twin_dir, "tac_fits.png")):
        failures.append("no tac_fits.png")
    if failures:
        print("\n".join("FAIL: " + f for f in failures))
        sys.exit(1)
    print("twin classical dosimetry: passed")


if __name__ == "__main__":
    main()
