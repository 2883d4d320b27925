#!/usr/bin/env python3
"""Time-activity curves of a RadioTwin run (radiotwin pbrpk, or a coupled run): organs and
lesions from RUN/time_activity.csv, as RUN/time_activity.png.

    python3 postprocessing/plot_tacs.py RUN [--output FILE.png] [--organs kidney,liver,...]

Left: activity [MBq] of every organ and lesion against time [h] (log scale), lesions dashed.
Right: percent of the injected activity, the same curves, with the urine's cumulative share
of the injected ligand. The radiotwin run calls this script itself when Output/Plots is true
(the default); a missing matplotlib only skips the picture.
Exit status: 0 written, 1 bad input (no or malformed time_activity.csv), 2 no matplotlib.
"""
import argparse
import csv
import os
import sys

# Organs drawn by default, in this order; every column <name>_MBq not listed here and not an
# organ of the model (lesions: Tumor*, lesion*, or the coupled lesion) is drawn as a lesion.
ORGANS = ["blood", "kidney", "salivary_glands", "liver", "spleen", "red_marrow", "GI",
          "muscle", "bone", "rest"]
OTHER_ORGANS = {"lungs", "prostate", "skin", "heart", "brain", "adipose"}
NOT_LESIONS = set(ORGANS) | OTHER_ORGANS | {"urine", "injected_activity", "released"}
# The vertical axes span this many decades below the largest value: a week after injection
# the fast organs have decayed below anything measurable.
DECADES = 5


def read_table(path):
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        raise SystemExit(f"plot_tacs: error: cannot read {path}: {e.strerror}")
    if len(rows) < 2 or not rows[0] or rows[0][0] != "time_h":
        raise SystemExit(f"plot_tacs: error: {path}: expected a header starting with 'time_h' "
                         "and at least one row")
    header = rows[0]
    columns = {name: [] for name in header}
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise SystemExit(f"plot_tacs: error: {path}:{line}: {len(row)} fields, the header "
                             f"has {len(header)}")
        for name, value in zip(header, row):
            try:
                columns[name].append(float(value))
            except ValueError:
                raise SystemExit(f"plot_tacs: error: {path}:{line}: column '{name}': "
                                 f"'{value}' is not a number")
    return columns


def panels(n, script):
    """matplotlib's pyplot and a figure of n panels, three to a row (None where matplotlib is
    missing: the caller returns 2)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("%s: matplotlib is not installed (apt-get install python3-matplotlib)" % script, file=sys.stderr)
        return None
    import math
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    return plt, fig, axes


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run", help="the run's output folder (holds time_activity.csv)")
    p.add_argument("--output", help="the PNG to write (default RUN/time_activity.png)")
    p.add_argument("--organs", help="comma-separated organs to draw (default: the main ones)")
    args = p.parse_args()
    table = read_table(os.path.join(args.run, "time_activity.csv"))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot_tacs: matplotlib is not installed (apt-get install python3-matplotlib): "
              "no picture", file=sys.stderr)
        return 2

    names = [c[:-len("_MBq")] for c in table if c.endswith("_MBq")]
    organs = args.organs.split(",") if args.organs else ORGANS
    unknown = [o for o in organs if o not in names]
    if args.organs and unknown:
        raise SystemExit(f"plot_tacs: error: --organs: no column {', '.join(u + '_MBq' for u in unknown)} "
                         f"in {args.run}/time_activity.csv")
    organs = [o for o in organs if o in names]
    lesions = [n for n in names if n not in NOT_LESIONS and n not in organs]
    t = table["time_h"]

    fig, (ax_a, ax_p) = plt.subplots(1, 2, figsize=(13, 5.2))
    cmap = plt.get_cmap("tab20")
    for i, name in enumerate(organs + lesions):
        # The meshed lesion's host shell (coupled runs) is tissue around a lesion, not one.
        shell = name.endswith("host_shell")
        style = ":" if shell else "--" if name in lesions else "-"
        colour = cmap(i % 20)
        label = name.replace("_", " ") + ("" if shell else " (lesion)" if name in lesions else "")
        a = table[name + "_MBq"]
        # Log axes: zeros (before the first injection reaches the organ) are not drawn.
        ax_a.plot([x for x, y in zip(t, a) if y > 0], [y for y in a if y > 0], style,
                  color=colour, label=label, lw=1.6)
        if name + "_pctIA" in table:
            pct = table[name + "_pctIA"]
            ax_p.plot([x for x, y in zip(t, pct) if y > 0], [y for y in pct if y > 0], style,
                      color=colour, lw=1.6)
    if "urine_cumulative_pct_injected_ligand" in table:
        ax_p.plot(t, table["urine_cumulative_pct_injected_ligand"], ":", color="k", lw=1.6,
                  label="urine, cumulative (% of injected ligand)")
        ax_p.legend(loc="lower right", fontsize=8)
    for ax in (ax_a, ax_p):
        ax.set_yscale("log")
        top = max((max(line.get_ydata(), default=0) for line in ax.get_lines()), default=1)
        ax.set_ylim(top * 10.0**-DECADES, top * 2)
    for ax in (ax_a, ax_p):
        ax.set_xlabel("time after the first injection [h]")
        ax.grid(True, which="both", alpha=0.3)
        ax.set_xlim(0, t[-1])
    ax_a.set_ylabel("activity [MBq]")
    ax_p.set_ylabel("activity [% of injected activity]")
    ax_a.set_title("organs and lesions")
    ax_p.set_title("share of the injected activity")
    ax_a.legend(loc="upper right", fontsize=7, ncol=2)
    fig.suptitle(f"Time-activity curves: {os.path.abspath(args.run)}", fontsize=9)
    fig.tight_layout()
    out = args.output or os.path.join(args.run, "time_activity.png")
    tmp = out + ".tmp.png"
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, out)  # atomically: a reader never sees half a picture
    print(f"plot_tacs: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
