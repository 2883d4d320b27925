#!/usr/bin/env python3
"""The calibrated whole-body model of a patient twin against the measured points (radiotwin
twin with Twin/Calibration/Parameters): RUN/calibration_data.csv and RUN/calibrated_curves.csv
as RUN/calibration_fits.png, and the predicted cycles (RUN/predicted_cycles.csv) as
RUN/predicted_cycles.png.

    python3 postprocessing/plot_calibration.py RUN

One panel per fitted tissue: the measured activities [MBq] with their standard uncertainty,
held-out points as open squares, the calibrated model and its 95% band (linear propagation of
the parameter covariance). The second picture: absorbed dose per cycle [Gy] with 95% bars per
organ and lesion. The radiotwin run calls this script itself when Output/Plots is true.
Exit status: 0 written, 1 bad input, 2 no matplotlib.
"""
import argparse
import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plot_tacs import panels, read_table  # noqa: E402


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run", help="the twin run's output folder")
    args = p.parse_args()
    try:
        curves = read_table(os.path.join(args.run, "calibrated_curves.csv"))
        data = read_rows(os.path.join(args.run, "calibration_data.csv"))
        cycles = read_rows(os.path.join(args.run, "predicted_cycles.csv"))
    except (OSError, ValueError, KeyError) as e:
        raise SystemExit("plot_calibration: error: %s" % e)
    tissues = [name[:-len("_model_MBq")] for name in curves if name.endswith("_model_MBq")]
    n = len(tissues)
    drawn = panels(n, "plot_calibration")
    if drawn is None:
        return 2
    plt, fig, axes = drawn
    t = curves["time_h"]
    for ax, tissue in zip(axes.flat, tissues):
        a = curves[tissue + "_model_MBq"]
        s = curves[tissue + "_model_sd_MBq"]
        ax.fill_between(t, [max(x - 1.96 * y, 1e-12) for x, y in zip(a, s)], [x + 1.96 * y for x, y in zip(a, s)],
                        color="tab:blue", alpha=0.25, lw=0, label="95% band")
        ax.plot(t, a, "-", color="tab:blue", label="calibrated model")
        for used, style, label in (("1", "o", "measured"), ("0", "s", "held out")):
            pts = [r for r in data if r["tissue"] == tissue and r["used_in_fit"] == used]
            if pts:
                ax.errorbar([float(r["time_h"]) for r in pts], [float(r["measured_MBq"]) for r in pts],
                            yerr=[float(r["sigma_MBq"]) for r in pts], fmt=style, color="k", ms=4, capsize=2,
                            mfc="k" if used == "1" else "none", label=label)
        ax.set_yscale("log")
        ax.set_title(tissue, fontsize=9)
        ax.set_xlabel("time after injection [h]")
        ax.set_ylabel("activity [MBq]")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.tight_layout()
    out = os.path.join(args.run, "calibration_fits.png")
    fig.savefig(out, dpi=110)
    print("plot_calibration: wrote " + out)

    names = []
    for r in cycles:
        if r["tissue"] not in names and float(r["absorbed_dose_Gy"]) > 0:
            names.append(r["tissue"])
    n_cycles = max(int(r["cycle"]) for r in cycles)
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(names) * max(1, n_cycles) / 2 + 3), 3.8))
    width = 0.8 / n_cycles
    for c in range(1, n_cycles + 1):
        rows_c = {r["tissue"]: r for r in cycles if int(r["cycle"]) == c}
        d = [float(rows_c[k]["absorbed_dose_Gy"]) for k in names]
        e = [1.96 * float(rows_c[k]["absorbed_dose_sd_Gy"]) for k in names]
        ax.bar([i + (c - 1 - (n_cycles - 1) / 2) * width for i in range(len(names))], d, width, yerr=e, capsize=2,
               label="cycle %d%s" % (c, " (measured)" if c == 1 else " (predicted)"))
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("absorbed dose per cycle [Gy]")
    ax.set_title("Predicted doses per cycle (95% bars from the parameter covariance)", fontsize=9)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=7)
    fig.tight_layout()
    out = os.path.join(args.run, "predicted_cycles.png")
    fig.savefig(out, dpi=110)
    print("plot_calibration: wrote " + out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
