#!/usr/bin/env python3
"""The sweep runner (postprocessing/sweep.py) on a tiny case: three whole-body runs, one of
them failing on bad input; the failure is reported and the others complete; a second call
reuses the finished cases and runs only what is left; the CSV has one row per case and a PNG
per metric. Exit status 0 when every check holds.

    sweep_runner_test.py --radiotwin build/radiotwin --work DIR
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
source = os.path.normpath(os.path.join(here, "..", ".."))
failures = []


def check(condition, message):
    print(("ok: " if condition else "FAILED: ") + message)
    if not condition:
        failures.append(message)


def run_sweep(sweep_file, radiotwin):
    p = subprocess.run([sys.executable, os.path.join(source, "postprocessing", "sweep.py"),
                        sweep_file, "--radiotwin", radiotwin], capture_output=True, text=True)
    print(p.stdout + p.stderr)
    return p


def rows(output):
    with open(os.path.join(output, "sweep_results.csv")) as f:
        return list(csv.DictReader(f))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--radiotwin", required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    output = os.path.join(args.work, "out")
    sweep = {
        "description": "runner test",
        "base": os.path.join(source, "configs", "pbrpk", "standard_7p4GBq.prm"),
        "mode": "pbrpk",
        "set": ["Whole body/Integration/Output interval [h]=6"],
        "parameters": [{"path": "Whole body/Integration/Duration [h]", "values": [24, -5, 48],
                        "label": "duration [h]"}],
        "metrics": {"kidney_dose_Gy": "tissues/kidney/absorbed_dose_Gy",
                    "urine_pct": "urine_cumulative_pct_injected_ligand"},
        "output": output,
    }
    sweep_file = os.path.join(args.work, "sweep.json")
    with open(sweep_file, "w") as f:
        json.dump(sweep, f)

    # First call: the -5 h case is bad input (exit 1); the others complete.
    p = run_sweep(sweep_file, args.radiotwin)
    check(p.returncode == 3, f"a failed case gives exit status 3 (got {p.returncode})")
    r = rows(output)
    check(len(r) == 3, "one CSV row per case")
    check([x["status"] for x in r].count("complete") == 2, "two cases complete")
    check(r[1]["status"].startswith("failed (exit 1)") and "Duration" in r[1]["status"],
          f"the failure names exit status and parameter: '{r[1]['status']}'")
    check(r[0]["kidney_dose_Gy"] != "" and r[1]["kidney_dose_Gy"] == "", "metrics of complete cases only")
    check(float(r[2]["kidney_dose_Gy"]) > float(r[0]["kidney_dose_Gy"]),
          "the kidney dose grows with the duration (24 h -> 48 h)")
    check(float(r[2]["duration [h]"]) == 48.0, "the parameter column holds the value")
    check(all(x["reused"] == "False" for x in r), "first call: nothing reused")

    # Second call: finished cases are skipped; a case whose folder lost its summary reruns.
    os.remove(os.path.join(output, "case_002", "summary.json"))
    p = run_sweep(sweep_file, args.radiotwin)
    r = rows(output)
    check(p.returncode == 3, "the failing case still fails")
    check(r[0]["reused"] == "True" and r[0]["status"] == "complete", "case_000 reused")
    check(r[2]["reused"] == "False" and r[2]["status"] == "complete", "case_002 (incomplete) rerun")

    # Changing the fixed overrides invalidates the earlier results.
    sweep["parameters"][0]["values"] = [24]
    sweep["set"] = ["Whole body/Integration/Output interval [h]=12"]
    with open(sweep_file, "w") as f:
        json.dump(sweep, f)
    p = run_sweep(sweep_file, args.radiotwin)
    r = rows(output)
    check(p.returncode == 0 and len(r) == 1 and r[0]["reused"] == "False",
          "changed overrides rerun the case; exit 0 when all complete")

    try:
        import matplotlib  # noqa: F401
        check(os.path.isfile(os.path.join(output, "kidney_dose_Gy.png")), "a PNG per metric")
    except ImportError:
        print("note: matplotlib missing, plots not checked")

    # Bad sweep file: exit 1 with one message naming the file and entry.
    with open(sweep_file, "w") as f:
        json.dump({"base": sweep["base"], "parameters": [{"path": "Whole body/X"}], "output": output}, f)
    p = run_sweep(sweep_file, args.radiotwin)
    check(p.returncode == 1 and "parameters[0]" in p.stderr and p.stderr.count("\n") == 1,
          "a malformed sweep file: exit 1, one line naming the entry")
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
