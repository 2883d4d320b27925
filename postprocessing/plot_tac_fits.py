#!/usr/bin/env python3
"""The fitted time-activity curves of a patient twin's classical dosimetry against the measured
points (radiotwin twin): RUN/measured_tacs.csv and RUN/fitted_curves.csv, as RUN/tac_fits.png.

    python3 postprocessing/plot_tac_fits.py RUN [--output FILE.png]

One panel per organ or lesion: the measured activities [MBq] with their standard uncertainty
as error bars, the curve the run chose (model named in the title, from RUN/summary.json) and
its TIA with standard deviation. The radiotwin run calls this script itself when Output/Plots
is true; a missing matplotlib only skips the picture.
Exit status: 0 written, 1 bad input, 2 no matplotlib.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plot_tacs import panels, read_table  # noqa: E402


def read_measured(path):
    """Like read_table, but an empty field is a missing point (None)."""
    import csv
    with open(path, newline="") as f:
        rows = [r for r in csv.reader(line for line in f if not line.lstrip().startswith("#")) if r]
    header = [h.strip() for h in rows[0]]
    columns = {name: [] for name in header}
    for row in rows[1:]:
        for name, value in zip(header, row):
            value = value.split("#")[0].strip()
            columns[name].append(float(value) if value else None)
    return columns


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run", help="the twin run's output folder")
    p.add_argument("--output", help="the PNG to write (default RUN/tac_fits.png)")
    args = p.parse_args()
    fitted = read_table(os.path.join(args.run, "fitted_curves.csv"))
    try:
        measured = read_measured(os.path.join(args.run, "measured_tacs.csv"))
        tissues = json.load(open(os.path.join(args.run, "summary.json")))["tissues"]
    except (OSError, ValueError, KeyError) as e:
        raise SystemExit("plot_tac_fits: error: %s" % e)
    organs = [name[:-len("_fit_MBq")] for name in fitted if name.endswith("_fit_MBq")]
    n = len(organs)
    drawn = panels(n, "plot_tac_fits")
    if drawn is None:
        return 2
    plt, fig, axes = drawn
    for ax, organ in zip(axes.flat, organs):
        t = [x for x, a in zip(measured["time_h"], measured[organ + "_MBq"]) if a is not None]
        a = [x for x in measured[organ + "_MBq"] if x is not None]
        sigma_column = measured.get(organ + "_sigma_MBq")
        if sigma_column:
            s = [x for x, y in zip(sigma_column, measured[organ + "_MBq"]) if y is not None]
            s = [x if x is not None else 0 for x in s]
        else:
            s = None
        info = tissues.get(organ, {})
        ax.errorbar(t, a, yerr=s, fmt="o", color="k", ms=4, capsize=2, label="measured")
        ax.plot(fitted["time_h"], fitted[organ + "_fit_MBq"], "-", color="tab:red",
                label="%s-exponential fit" % info.get("model", "?") if info.get("model") != "uptake"
                else "fit with uptake phase")
        tia, sd = info.get("time_integrated_activity_MBq_h"), info.get("time_integrated_activity_sd_MBq_h")
        title = organ
        if tia is not None:
            title += "\nTIA %.4g +- %.2g MBq h" % (tia, sd or 0)
        if "absorbed_dose_Gy" in info:
            title += ", %.3g Gy" % info["absorbed_dose_Gy"]
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("time after injection [h]")
        ax.set_ylabel("activity [MBq]")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.tight_layout()
    out = args.output or os.path.join(args.run, "tac_fits.png")
    fig.savefig(out, dpi=110)
    print("plot_tac_fits: wrote " + out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
