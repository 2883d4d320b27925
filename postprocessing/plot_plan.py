#!/usr/bin/env python3
"""The radiobiological optimiser's plan (radiotwin optimise): RUN/plan.csv, RUN/pareto_front.csv
and RUN/summary.json as RUN/plan.png.

    python3 postprocessing/plot_plan.py RUN

Left: the activity of each cycle [GBq], optimised against the reference plan, with the target
lesions' mean BED of both. Right: the tumour-kidney trade-off - the optimum's target BED [Gy]
at each kidney BED limit (the Pareto front, with the kidney BED each reaches), and the
reference plan as a point. The radiotwin run calls this script itself when Output/Plots is true.
Exit status: 0 written, 1 bad input, 2 no matplotlib.
"""
import argparse
import csv
import json
import os
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run", help="the optimiser run's output folder")
    args = p.parse_args()
    try:
        plan = list(csv.DictReader(open(os.path.join(args.run, "plan.csv"))))
        front = list(csv.DictReader(open(os.path.join(args.run, "pareto_front.csv"))))
        summary = json.load(open(os.path.join(args.run, "summary.json")))
    except (OSError, ValueError) as e:
        print("plot_plan: error: %s" % e, file=sys.stderr)
        return 1
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot_plan: matplotlib is not installed (apt-get install python3-matplotlib)", file=sys.stderr)
        return 2
    best, ref = summary["optimum"], summary["reference"]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    cycles = [int(r["cycle"]) for r in plan]
    a.bar([c - 0.2 for c in cycles], [float(r["optimised_activity_GBq"]) for r in plan], 0.4,
          label="optimised (target BED %.3g Gy)" % best["target_mean_BED_Gy"])
    a.bar([c + 0.2 for c in cycles], [float(r["reference_activity_GBq"]) for r in plan], 0.4,
          label="reference (target BED %.3g Gy)" % ref["target_mean_BED_Gy"])
    a.set_xlabel("cycle")
    a.set_ylabel("activity [GBq]")
    a.set_xticks(cycles)
    binding = [l for l in best["limits"] if abs(l["margin_Gy"]) <= 1e-4 * l["limit_Gy"]]
    a.set_title("Plan; binding: " + (", ".join("%s %s %g Gy" % (l["tissue"], l["quantity"], l["limit_Gy"])
                                                for l in binding) or "the activity bound"), fontsize=9)
    a.legend(fontsize=8)
    a.grid(alpha=0.3, axis="y")
    if front:
        kidney = [k for k in front[0] if k.startswith("kidney_BED") and k != "kidney_BED_limit_Gy"]
        ok = [r for r in front if r["feasible"] == "1"]
        x = [float(r[kidney[0]]) if kidney else float(r["kidney_BED_limit_Gy"]) for r in ok]
        b.plot(x, [float(r["target_mean_BED_Gy"]) for r in ok], "o-", label="optimum at each kidney BED limit")
        for r, xx in zip(ok, x):
            b.annotate("%g" % float(r["kidney_BED_limit_Gy"]), (xx, float(r["target_mean_BED_Gy"])), fontsize=7,
                       textcoords="offset points", xytext=(4, -10))
    kidney_ref = ref["tissues"].get("kidney", {}).get("BED_Gy")
    if kidney_ref is not None:
        b.plot([kidney_ref], [ref["target_mean_BED_Gy"]], "s", color="tab:orange", label="reference plan")
    b.set_xlabel("kidney BED over the treatment [Gy]")
    b.set_ylabel("target lesions' mean BED [Gy]")
    b.set_title("Tumour-kidney trade-off (labels: the kidney BED limit [Gy])", fontsize=9)
    b.grid(alpha=0.3)
    b.legend(fontsize=8)
    fig.tight_layout()
    out = os.path.join(args.run, "plan.png")
    fig.savefig(out, dpi=110)
    print("plot_plan: wrote " + out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
