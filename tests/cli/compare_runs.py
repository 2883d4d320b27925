#!/usr/bin/env python3
"""Compare the results of two RadioTwin runs number by number.

    compare_runs.py DIR_A DIR_B --rtol 1e-12 [--atol 1e-300] [--across-ranks]

Compares every number of summary.json (except wall times, memory, checkpoint bookkeeping
and the version string) and of the CSV files both folders hold (region_totals.csv,
time_activity.csv, receptor_occupancy.csv, dvh*.csv, radial_profile.csv), and the entries
of the .pvd records. A pair of numbers agrees when |a - b| <= rtol max(|a|, |b|) + atol.
--across-ranks (runs on different rank counts, equal to the solver tolerance): round-off
measures (balance defects) and iteration counts are skipped, and a CSV entry may differ by
rtol times the largest magnitude of its column (values near zero carry the solver's
absolute error). --round-off X (regression cases): a round-off measure (balance defect,
relative residual) agrees when both values are at most X.
Prints the worst relative difference per file and every disagreement; exit 1 if any.
"""
import argparse
import csv
import json
import math
import os
import re
import sys

# Keys whose values differ between two runs of the same physics: timings, memory, where a
# run resumed, CVODE work counters (a restart starts the integrator afresh), versions.
IGNORED = re.compile(r"(wall|_s$|memory|checkpoints|radiotwin_version|parameter_file|"
                     r"mpi_ranks|rhs_evaluations|cvode|integrator_steps|^whole_body/steps$)")


def flatten(node, prefix=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from flatten(v, f"{prefix}{k}/" if prefix or k else k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from flatten(v, f"{prefix}{i}/")
    else:
        yield prefix.rstrip("/"), node


class Comparison:
    def __init__(self, rtol, atol):
        self.rtol, self.atol = rtol, atol
        self.failures = []
        self.worst = {}

    def number(self, where, a, b, scale_floor=0.0):
        try:
            x, y = float(a), float(b)
        except (TypeError, ValueError):
            if a != b:
                self.failures.append(f"{where}: '{a}' != '{b}'")
            return
        if math.isnan(x) and math.isnan(y):
            return
        scale = max(abs(x), abs(y), scale_floor)
        diff = abs(x - y)
        file = where.split(":")[0]
        rel = diff / scale if scale > 0 else 0.0
        self.worst[file] = max(self.worst.get(file, 0.0), rel)
        if not diff <= self.rtol * scale + self.atol:
            self.failures.append(f"{where}: {a} != {b} (relative {rel:.3g})")


ROUND_OFF = re.compile(r"(defect|iterations|newton_final_relative_residual)")
ROUND_OFF_MEASURE = re.compile(r"(defect|relative_residual)")


def compare_summary(c, a_dir, b_dir, across_ranks, round_off=None):
    a = dict(flatten(json.load(open(os.path.join(a_dir, "summary.json")))))
    b = dict(flatten(json.load(open(os.path.join(b_dir, "summary.json")))))
    keys = [k for k in a if not IGNORED.search(k) and not (across_ranks and ROUND_OFF.search(k))]
    missing = [k for k in keys if k not in b]
    for k in missing:
        c.failures.append(f"summary.json:{k}: only in {a_dir}")
    for k in keys:
        if k not in b:
            continue
        if round_off is not None and ROUND_OFF_MEASURE.search(k) and \
                all(isinstance(v, (int, float)) for v in (a[k], b[k])):
            if not (abs(float(a[k])) <= round_off and abs(float(b[k])) <= round_off):
                c.failures.append(f"summary.json:{k}: {a[k]}, {b[k]} (round-off measure above {round_off:g})")
            continue
        c.number(f"summary.json:{k}", a[k], b[k])
    return len(keys)


def column_scales(rows):
    scales = {}
    for row in rows:
        for j, x in enumerate(row):
            try:
                scales[j] = max(scales.get(j, 0.0), abs(float(x)))
            except ValueError:
                pass
    return scales


def compare_csv(c, name, a_dir, b_dir, across_ranks):
    rows_a = [r for r in csv.reader(open(os.path.join(a_dir, name))) if r and not r[0].startswith("#")]
    rows_b = [r for r in csv.reader(open(os.path.join(b_dir, name))) if r and not r[0].startswith("#")]
    if len(rows_a) != len(rows_b):
        c.failures.append(f"{name}: {len(rows_a)} rows against {len(rows_b)}")
        return
    floor = column_scales(rows_a) if across_ranks else {}
    for i, (ra, rb) in enumerate(zip(rows_a, rows_b)):
        if len(ra) != len(rb):
            c.failures.append(f"{name}: row {i + 1} has {len(ra)} against {len(rb)} columns")
            continue
        for j, (x, y) in enumerate(zip(ra, rb)):
            c.number(f"{name}: row {i + 1} column {j + 1}", x, y, floor.get(j, 0.0))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--rtol", type=float, required=True)
    p.add_argument("--atol", type=float, default=1e-300)
    p.add_argument("--across-ranks", action="store_true")
    p.add_argument("--round-off", type=float, default=None)
    args = p.parse_args()
    c = Comparison(args.rtol, args.atol)
    n = compare_summary(c, args.a, args.b, args.across_ranks, args.round_off)
    files = ["summary.json"]
    for name in sorted(os.listdir(args.a)):
        if name.endswith(".csv") or name.endswith(".pvd"):
            if not os.path.exists(os.path.join(args.b, name)):
                c.failures.append(f"{name}: missing in {args.b}")
                continue
            files.append(name)
            if name.endswith(".csv"):
                compare_csv(c, name, args.a, args.b, args.across_ranks)
            else:  # the entries, not the date line
                def entries(d):
                    return re.findall(r"<DataSet[^>]*>", open(os.path.join(d, name)).read())
                if entries(args.a) != entries(args.b):
                    c.failures.append(f"{name}: the records differ")
    for f in files:
        print(f"  {f:36s} worst relative difference {c.worst.get(f, 0.0):.3g}")
    print(f"  ({n} summary numbers, {len(files) - 1} other files, rtol {args.rtol:g})")
    for f in c.failures[:30]:
        print("  DIFFERENT " + f)
    if c.failures:
        print(f"FAILED: {len(c.failures)} difference(s)")
        return 1
    print("agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
