#!/usr/bin/env python3
"""Compare the dose, BED and time-integrated activity figures of two summary.json files.

    compare_summaries.py REFERENCE.json CANDIDATE.json [--limit 0.01]

Every number whose key names a dose, a BED or a time-integrated activity (anywhere in the
tree: whole-body organs and lesions, the meshed regions, the dose part) is compared;
prints the largest relative differences and exits 1 when one exceeds --limit.
"""
import argparse
import json
import re
import sys

KEYS = re.compile(r"(dose|BED|time_integrated_activity)", re.IGNORECASE)


def leaves(tree, path=()):
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from leaves(v, path + (str(k),))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield from leaves(v, path + (str(i),))
    elif isinstance(tree, (int, float)) and not isinstance(tree, bool):
        yield path, float(tree)


def figures(summary):
    # Wall times are not results (their keys name the parts, e.g. 'Dose: setup').
    return {"/".join(p): v for p, v in leaves(summary)
            if p and p[0] != "wall_time_s" and any(KEYS.search(k) for k in p)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("reference")
    ap.add_argument("candidate")
    ap.add_argument("--limit", type=float, default=0.01, help="largest relative difference allowed")
    ap.add_argument("--show", type=int, default=5, help="how many of the largest to print")
    a = ap.parse_args()
    ref, cand = (figures(json.load(open(f))) for f in (a.reference, a.candidate))
    missing = sorted(set(ref) - set(cand))
    if missing:
        print("compare_summaries: %s lacks %s" % (a.candidate, ", ".join(missing[:5])), file=sys.stderr)
        return 1
    rows = []
    for k, r in ref.items():
        c = cand[k]
        rows.append((abs(c - r) / abs(r) if r != 0 else abs(c), k, r, c))
    rows.sort(reverse=True)
    print("%d dose/BED/TIA figures; largest relative differences:" % len(rows))
    for d, k, r, c in rows[: a.show]:
        print("  %.3e  %s  (%.6g -> %.6g)" % (d, k, r, c))
    worst = rows[0][0] if rows else 0.0
    print("max_relative_difference %.3e (limit %.3g)" % (worst, a.limit))
    return 0 if worst <= a.limit else 1


if __name__ == "__main__":
    sys.exit(main())
