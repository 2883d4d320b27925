#!/usr/bin/env python3
"""The patient twin from SPECT images of a synthetic patient (docs/twin.md).

1. radiotwin phantom without blur or noise: the activities measured per labelled region in
   the NIfTI images equal the model's (float32 voxels: 1e-6), and the fitted TIAs lie within 2
   standard deviations and 10 % of the model's true TIAs (truth.json).
2. With 10 mm FWHM blur and counting noise (18000 counts/MBq): the labelled body holds 95-100.5 %
   of the model's activity (the blur spills a few percent across its outline), and the
   partial-volume losses are there as they should be: every small organ and lesion loses
   activity (recovery < 1) but keeps more than half of it.
3. Malformed input: a label map on another grid, a label without a name in the table, a
   missing image: exit 1 and one message naming the files.
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys


def run(cmd, expect=0):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != expect:
        sys.exit("exit %d (expected %d): %s\n%s" % (done.returncode, expect, " ".join(cmd), done.stdout + done.stderr))
    return done.stdout + done.stderr


class Checks:
    """Named checks printed as 'ok'/'FAIL'; finish() exits non-zero when any failed."""

    def __init__(self):
        self.failures = []

    def __call__(self, ok, text):
        print(("ok   " if ok else "FAIL ") + text)
        if not ok:
            self.failures.append(text)

    def finish(self):
        if self.failures:
            sys.exit("%d check(s) failed" % len(self.failures))
        print("all checks passed")


def arguments(*extra):
    """--radiotwin and --work (emptied), plus @p extra as (flag, keyword arguments) pairs."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--radiotwin", required=True)
    ap.add_argument("--work", required=True)
    for flag, options in extra:
        ap.add_argument(flag, **options)
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    return args


def phantom(radiotwin, folder, extra):
    prm = folder + ".prm"
    with open(prm, "w") as f:
        f.write("subsection Phantom\n%s\nend\nsubsection Output\n  set Directory = %s\n  set Plots = false\nend\n"
                % (extra, folder))
    run([radiotwin, "phantom", prm])
    return json.load(open(os.path.join(folder, "truth.json")))


def measurements(folder):
    rows = list(csv.DictReader(open(os.path.join(folder, "twin", "region_measurements.csv"))))
    out = {}
    for r in rows:
        out.setdefault(r["region"], []).append(float(r["activity_MBq"]))
    return out


def main():
    args = arguments()
    failures = []

    # 1. Exact images.
    clean = os.path.join(args.work, "clean")
    truth = phantom(args.radiotwin, clean, "  set Resolution FWHM [mm] = 0")
    print(run([args.radiotwin, "twin", os.path.join(clean, "twin.prm"), "--set", "Output/Plots=false"]))
    measured = measurements(clean)
    worst = 0.0
    for region, values in measured.items():
        for m, t in zip(values, truth["activity_MBq"][region]):
            worst = max(worst, abs(m - t) / t)
    print("exact images: measured activities within %.2e of the model's" % worst)
    if worst > 1e-6:
        failures.append("measured activities differ from the model's by %.3g" % worst)
    table = list(csv.DictReader(open(os.path.join(clean, "twin", "dose_table.csv"))))
    for r in table:
        tia, sd = float(r["time_integrated_activity_MBq_h"]), float(r["time_integrated_activity_sd_MBq_h"])
        true = truth["time_integrated_activity_MBq_h"][r["organ"]]
        print("  %-16s TIA %10.5g +- %8.3g, true %10.5g (%+.2f %%)" % (r["organ"], tia, sd, true, 100 * (tia / true - 1)))
        if abs(tia - true) > 2 * sd or abs(tia / true - 1) > 0.10:
            failures.append("%s: TIA %.5g +- %.3g vs the true %.5g" % (r["organ"], tia, sd, true))
    if len(table) != 8:
        failures.append("%d regions in the dose table, 8 expected" % len(table))

    # 2. Blur and noise.
    blurred = os.path.join(args.work, "blurred")
    truth_b = phantom(args.radiotwin, blurred, "  set Counts per MBq = 18000\n  set Seed = 7")
    run([args.radiotwin, "twin", os.path.join(blurred, "twin.prm"), "--set", "Output/Plots=false",
         "--set", "Twin/Images/Regions="])
    measured_b = measurements(blurred)
    total_image = [sum(v[i] for v in measured_b.values()) for i in range(len(truth_b["imaging_times_h"]))]
    total_model = [sum(v[i] for v in truth_b["activity_MBq"].values()) for i in range(len(truth_b["imaging_times_h"]))]
    for t, a, b in zip(truth_b["imaging_times_h"], total_image, total_model):
        print("blurred, %g h: body activity in the images %.5g MBq, in the model %.5g MBq" % (t, a, b))
        if not 0.95 <= a / b <= 1.005:
            failures.append("at %g h the images hold %.5g MBq, the model %.5g" % (t, a, b))
    for region in ("kidney_left", "kidney_right", "salivary_left", "salivary_right", "lesion_01", "lesion_02"):
        recovery = measured_b[region][0] / truth_b["activity_MBq"][region][0]
        print("  recovery at 4 h, %-15s %.3f" % (region, recovery))
        if not 0.5 < recovery < 1.0:
            failures.append("%s: recovery %.3f outside (0.5, 1)" % (region, recovery))

    # 3. Malformed input.
    coarse = os.path.join(args.work, "coarse")
    phantom(args.radiotwin, coarse, "  set Resolution FWHM [mm] = 0\n  set Voxel size [mm] = 6\n  set Imaging times [h] = 4, 24, 48")
    twin = os.path.join(clean, "twin.prm")
    cases = [
        (["--set", "Twin/Images/Label map=" + os.path.join(coarse, "labels.nii")], "are not on the same grid"),
        (["--set", "Twin/Images/SPECT images=4: spect_004h.nii, 24: spect_024h.nii, 48: no_such.nii"],
         "no_such.nii: cannot open the SPECT image at 48"),
    ]
    table_short = os.path.join(args.work, "labels_short.csv")
    with open(table_short, "w") as f:
        f.writelines(open(os.path.join(clean, "labels.csv")).readlines()[:-1])  # the body's label dropped
    cases.append((["--set", "Twin/Images/Label table=" + table_short], "has no name in"))
    for extra, expected in cases:
        out = run([args.radiotwin, "twin", twin, "--set", "Output/Directory=" + os.path.join(args.work, "bad")] + extra, 1)
        message = [line for line in out.splitlines() if line.startswith("radiotwin: error")]
        print(message[0] if message else out)
        if len(message) != 1 or expected not in message[0]:
            failures.append("bad input %s: %s" % (extra[-1], out.strip()))
    if failures:
        print("\n".join("FAIL: " + f for f in failures))
        sys.exit(1)
    print("twin from images: passed")


if __name__ == "__main__":
    main()
