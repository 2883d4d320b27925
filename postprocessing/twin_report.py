#!/usr/bin/env python3
"""The report of a patient twin (radiotwin twin): RUN/report.md, for a physicist to read.

    python3 postprocessing/twin_report.py RUN

From RUN/summary.json (or RUN/calibration.json while the run is finishing), RUN/dose_table.csv
and RUN/predicted_cycles.csv: the classical dosimetry (fitted curves per organ and lesion), the
model-based calibration (fitted parameters with 95% intervals against the population, which
ones the data cannot determine, held-out points), the predicted doses and BED of the next
cycles with their uncertainty, the cumulative BED of the organs at risk against their limits
(docs/physics.md section 11, the limits of report.py), and the pictures. The radiotwin run
calls this script itself when Output/Plots is true.
Exit status: 0 written, 1 bad input.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plot_calibration import read_rows  # noqa: E402
from report import LIMITS  # noqa: E402


def fmt(x, digits=3):
    return "-" if x is None or x == "" else "%.*g" % (digits, float(x))


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run", help="the twin run's output folder")
    args = p.parse_args()
    run = args.run
    try:
        cal = json.load(open(os.path.join(run, "calibration.json")))
        doses = read_rows(os.path.join(run, "dose_table.csv"))
        cycles = read_rows(os.path.join(run, "predicted_cycles.csv"))
    except (OSError, ValueError) as e:
        print("twin_report: error: %s" % e, file=sys.stderr)
        return 1
    summary = {}
    if os.path.exists(os.path.join(run, "summary.json")):
        summary = json.load(open(os.path.join(run, "summary.json")))
    out = ["# Patient twin: %s" % summary.get("parameter_file", run), ""]
    if summary:
        out += ["Time-activity source: %s; injected activity %s MBq." %
                (summary.get("time_activity_source"), fmt(summary.get("injected_activity_MBq"), 5)), ""]

    out += ["## Classical dosimetry (sums of exponentials per organ, chosen by AICc)", "",
            table(["organ", "curve", "TIA [MBq h]", "mass [kg]", "dose [Gy]", "Gy/GBq", "BED [Gy]"],
                  [(r["organ"], r["model"],
                    "%s +- %s" % (fmt(r["time_integrated_activity_MBq_h"], 4), fmt(r["time_integrated_activity_sd_MBq_h"], 2)),
                    fmt(r["mass_kg"]),
                    "%s +- %s" % (fmt(r["absorbed_dose_Gy"]), fmt(r["absorbed_dose_sd_Gy"], 2)) if r["absorbed_dose_Gy"] else "-",
                    fmt(r["absorbed_dose_per_activity_Gy_per_GBq"]), fmt(r["BED_Gy"])) for r in doses]), ""]

    out += ["## Model-based calibration", "",
            "%s: %d parameters fitted to %d measured activities, %s after %d iterations and %d model "
            "runs (%.1f s); chi^2 = %.3g (data) + %.3g (prior, sd of ln theta = %g)." %
            (cal["solver"], len(cal["parameters"]), cal["n_data"], "converged" if cal["converged"] else
             "NOT converged", cal["iterations"], cal["model_runs"], cal["wall_time_s"], cal["chi2_data"],
             cal["chi2_prior"], cal["prior_sd_ln"]), "",
            table(["parameter", "unit", "population", "fitted", "95% interval", "data-only rel. se",
                   "identifiable"],
                  [(q["name"], q["unit"], fmt(q["population"], 4), fmt(q["value"], 4),
                    "%s - %s" % (fmt(q["ci95_lower"]), fmt(q["ci95_upper"])),
                    q["data_only_relative_se"] if isinstance(q["data_only_relative_se"], str) else fmt(q["data_only_relative_se"], 2),
                    "yes" if q["identifiable"] else "**no**") for q in cal["parameters"]]), ""]
    if cal["not_identifiable"]:
        out += ["The data cannot determine %s (relative standard error from the data alone above %g): "
                "their values stay near the population prior, and the predictions carry their prior "
                "uncertainty." % (", ".join(cal["not_identifiable"]), cal["identifiability_threshold"]), ""]
    if cal.get("held_out"):
        out += ["Held-out measurements (not fitted), predicted:", "",
                table(["tissue", "time [h]", "measured [MBq]", "predicted [MBq]", "error [%]"],
                      [(h["tissue"], fmt(h["time_h"]), fmt(h["measured_MBq"], 4),
                        "%s +- %s" % (fmt(h["predicted_MBq"], 4), fmt(h["predicted_sd_MBq"], 2)),
                        fmt(100 * h["relative_error"], 2)) for h in cal["held_out"]]), ""]

    n_cycles = max(int(r["cycle"]) for r in cycles)
    fitted = list(cal.get("tissues", {}).keys())
    shown = fitted + [t for t in ("red_marrow",) if t not in fitted]
    by = {(r["tissue"], int(r["cycle"])): r for r in cycles}
    out += ["## Predicted cycles", "",
            "The calibrated model given the same injection every %s h (cycle 1 is the measured one): "
            "absorbed dose and BED per cycle [Gy], +- one standard deviation from the parameter "
            "covariance. Every tissue of the model is in `predicted_cycles.csv`." % fmt(cal["cycle_interval_h"], 4), "",
            table(["tissue", "quantity"] + ["cycle %d" % c for c in range(1, n_cycles + 1)],
                  [(t, q) + tuple("%s +- %s" % (fmt(by[(t, c)][col]), fmt(by[(t, c)][col_sd], 2))
                                  for c in range(1, n_cycles + 1))
                   for t in shown if (t, 1) in by
                   for q, col, col_sd in (("dose", "absorbed_dose_Gy", "absorbed_dose_sd_Gy"),
                                          ("BED", "BED_Gy", "BED_sd_Gy"))]), ""]
    rows = []
    for tissue, key, quantity, limit, note in LIMITS:
        column = "BED_Gy" if key == "BED_Gy" else "absorbed_dose_Gy"
        total, allowed = 0.0, 0
        per = [r for r in cycles if r["tissue"] == tissue]
        if not per:
            continue
        for r in sorted(per, key=lambda r: int(r["cycle"])):
            total += float(r[column])
            if total <= limit:
                allowed = int(r["cycle"])
        rows.append((tissue, quantity, "%g" % limit + (" (%s)" % note if note else ""), fmt(total),
                     "%d of %d" % (allowed, n_cycles)))
    if rows:
        out += ["Cumulative organ-at-risk doses after %d cycles against the limits (cycles separated by "
                "weeks: BED adds up):" % n_cycles, "",
                table(["organ", "quantity", "limit [Gy]", "after all cycles [Gy]", "cycles within the limit"],
                      rows), ""]
    pde = summary.get("lesion_pde")
    if pde:
        runs = pde["runs"]
        out += ["## The lesion PDE twin (%s)" % pde["lesion"], "",
                "%d voxels and %d host voxels meshed (%s mL against %s mL segmented), the last image's uptake "
                "pattern as the receptor density map, the calibrated whole-body model around it: `%s` "
                "(ParaView: `%s_pde/run/transport.pvd`)." %
                (pde["voxels"], pde["host_voxels"], fmt(pde["meshed_volume_mL"], 4), fmt(pde["segmented_volume_mL"], 4),
                 pde["case"], pde["lesion"]), ""]
        if runs:
            out += [table(["run", "R0 [nmol/L]", "largest difference to the measured curve [%]", "factor"],
                          [(k + 1, fmt(r["receptor_density_nmol_per_L"], 4), fmt(100 * r["largest_relative_difference"], 3),
                            fmt(r["factor"], 4)) for k, r in enumerate(runs)]), ""]
    out += ["## Pictures", ""]
    for png, caption in (("tac_fits.png", "classical fits"), ("calibration_fits.png", "calibrated model"),
                         ("predicted_cycles.png", "predicted cycles")):
        if os.path.exists(os.path.join(run, png)):
            out += ["![%s](%s)" % (caption, png), ""]
    out += ["Files: `dose_table.csv`, `calibration.json`, `calibration_data.csv`, `calibrated_curves.csv`, "
            "`predicted_cycles.csv`, `summary.json`."]
    path = os.path.join(run, "report.md")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(out) + "\n")
    os.replace(tmp, path)
    print("twin_report: wrote " + path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
