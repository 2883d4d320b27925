#!/usr/bin/env python3
"""The radiobiological optimiser (radiotwin optimise; docs/optimiser.md, issue 21 point 3).

1. A case with a closed-form optimum: one cycle, a fixed peptide amount (hot replaces cold, so
   every dose is linear in the activity), the red-marrow dose the only limit. The tumour BED
   grows with the activity, so the optimum is the activity at which the marrow reaches its limit:
   A* = limit / (marrow dose per GBq), the dose per GBq from the reference plan. Within 1e-6.
2. The standard patient (configs/optimise/standard_patient.prm, 3 cycles to keep it short): the
   optimum meets every limit to 1e-6 relative, is at least as good as the feasible reference,
   and more permissive kidney limits never give a worse tumour BED (the Pareto front).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twin_images_test import Checks, arguments, run  # noqa: E402


def main():
    args = arguments(("--configs", {"required": True}))
    check = Checks()

    # 1. Closed form.
    limit = 0.1
    folder = os.path.join(args.work, "closed_form")
    prm = folder + ".prm"
    with open(prm, "w") as f:
        f.write("subsection Optimiser\n  set Target lesions = Tumor1\n  set Organ limits = red_marrow dose: %g\n"
                "  set Cycles = 1\n  set Peptide = fixed amount\n  set Reference plan [GBq] = 7.4\nend\n"
                "subsection Output\n  set Directory = %s\n  set Plots = false\nend\n" % (limit, folder))
    print(run([args.radiotwin, "optimise", prm]))
    s = json.load(open(os.path.join(folder, "summary.json")))
    per_GBq = s["reference"]["limits"][0]["value_Gy"] / 7.4
    expected = limit / per_GBq
    got = s["optimum"]["activities_GBq"][0]
    check(abs(got / expected - 1) < 1e-6, "1. optimum %.9g GBq, closed form limit / (dose per GBq) = %.9g GBq (%.2g)" %
          (got, expected, got / expected - 1))
    check(abs(s["optimum"]["limits"][0]["value_Gy"] / limit - 1) < 1e-6, "1. the marrow limit binds: %.9g Gy" %
          s["optimum"]["limits"][0]["value_Gy"])

    # 2. The standard patient, 3 cycles, three kidney limits.
    folder = os.path.join(args.work, "standard")
    print(run([args.radiotwin, "optimise", os.path.join(args.configs, "optimise", "standard_patient.prm"),
               "--set", "Optimiser/Cycles=3", "--set", "Optimiser/Pareto kidney BED limits [Gy]=8, 15, 40",
               "--set", "Output/Directory=" + folder, "--set", "Output/Plots=false"]))
    s = json.load(open(os.path.join(folder, "summary.json")))
    for plan in [s["optimum"]] + s["pareto_front"]:
        for l in plan["limits"]:
            limit = plan.get("kidney_BED_limit_Gy", l["limit_Gy"]) if l["tissue"] == "kidney" else l["limit_Gy"]
            check(l["value_Gy"] <= limit * (1 + 1e-6), "2. %s %s %.6g <= %g Gy (plan %s GBq)" %
                  (l["tissue"], l["quantity"], l["value_Gy"], limit, ", ".join("%.4g" % a for a in plan["activities_GBq"])))
    ref = s["reference"]
    if ref["feasible"]:
        check(s["optimum"]["target_mean_BED_Gy"] >= ref["target_mean_BED_Gy"] * (1 - 1e-9),
              "2. optimum target BED %.5g Gy >= reference %.5g Gy" % (s["optimum"]["target_mean_BED_Gy"],
                                                                      ref["target_mean_BED_Gy"]))
    front = [p["target_mean_BED_Gy"] for p in s["pareto_front"]]
    check(all(b >= a * (1 - 1e-6) for a, b in zip(front, front[1:])),
          "2. more permissive kidney limits never give a worse tumour BED: %s Gy" % ", ".join("%.5g" % x for x in front))
    check.finish()


if __name__ == "__main__":
    main()
