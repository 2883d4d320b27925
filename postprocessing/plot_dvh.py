#!/usr/bin/env python3
"""Plot the cumulative dose-volume histograms of a RadioTwin run.

    python3 postprocessing/plot_dvh.py RUN_DIR

Reads RUN_DIR/dvh.csv (first column dose_Gy, then one column <set>_volume_fraction per
volume: tumour, viable_tumour, rim, core, necrotic_core, hypoxic_tumour, normoxic_tumour,
host, ...; each the fraction of the set's volume receiving at least that dose) and, when
present, RUN_DIR/dvh_bed_hypoxia_adjusted.csv (first column bed_hypoxia_adjusted_Gy, the
same other columns). Writes RUN_DIR/dvh.png: one panel per file, dose in Gy against volume
in %, one curve per set (sets whose column is zero throughout are left out). Lines starting
with '#' are comments.

Exit status: 0 plot written, 1 dvh.csv missing or malformed (or the BED file malformed).
"""
import csv
import os
import sys

SUFFIX = "_volume_fraction"
PANELS = [("dvh.csv", "dose_Gy", "absorbed dose [Gy]", "dose-volume histogram"),
          ("dvh_bed_hypoxia_adjusted.csv", "bed_hypoxia_adjusted_Gy",
           "hypoxia-adjusted BED [Gy]", "BED-volume histogram (hypoxia-adjusted)")]


class Malformed(Exception):
    pass


def read_dvh(path, first_column):
    """The dose column and {set: volume fractions} of one DVH file; Malformed when it is not
    a DVH table."""
    with open(path, newline="") as f:
        rows = [r for r in csv.reader(line for line in f if not line.lstrip().startswith("#"))
                if r and any(c.strip() for c in r)]
    if not rows:
        raise Malformed("empty")
    header = [c.strip() for c in rows[0]]
    if header[0] != first_column:
        raise Malformed("the first column is '%s', expected '%s'" % (header[0], first_column))
    sets = header[1:]
    if not sets:
        raise Malformed("no <set>%s columns" % SUFFIX)
    bad = [c for c in sets if not c.endswith(SUFFIX) or c == SUFFIX]
    if bad:
        raise Malformed("column '%s' is not named <set>%s" % (bad[0], SUFFIX))
    if len(set(sets)) != len(sets):
        raise Malformed("a column name appears twice")
    if len(rows) < 3:
        raise Malformed("%d data row(s); a histogram needs at least 2" % (len(rows) - 1))
    values = []
    for n, row in enumerate(rows[1:], start=1):
        if len(row) != len(header):
            raise Malformed("data row %d has %d fields, the header %d" % (n, len(row), len(header)))
        try:
            values.append([float(c) for c in row])
        except ValueError:
            raise Malformed("data row %d: not a number in %s" % (n, row)) from None
    dose = [v[0] for v in values]
    if any(b < a for a, b in zip(dose, dose[1:])):
        raise Malformed("%s decreases" % first_column)
    curves = {}
    for k, name in enumerate(sets, start=1):
        column = [v[k] for v in values]
        if any(not (-1e-9 <= x <= 1 + 1e-6) for x in column):
            raise Malformed("%s has values outside [0, 1]" % name)
        curves[name[:-len(SUFFIX)]] = column
    return dose, curves


def main():
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        sys.exit(__doc__)
    run_dir = sys.argv[1]
    panels = []
    for filename, first_column, xlabel, title in PANELS:
        path = os.path.join(run_dir, filename)
        if not os.path.exists(path):
            if filename == "dvh.csv":
                sys.exit("plot_dvh: %s not found (a run writes it when it computes doses)" % path)
            continue
        try:
            dose, curves = read_dvh(path, first_column)
        except (Malformed, OSError, csv.Error) as e:
            sys.exit("plot_dvh: %s is malformed: %s" % (path, e))
        shown = {s: c for s, c in curves.items() if any(x != 0 for x in c)}
        for s in curves:
            if s not in shown:
                print("plot_dvh: %s: %s is zero throughout, not plotted" % (filename, s))
        panels.append((dose, shown, xlabel, title))

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("plot_dvh: python3-matplotlib is not installed (apt-get install python3-matplotlib)")
    # one colour per set, the same in every panel
    names = list(dict.fromkeys(s for p in panels for s in p[1]))
    palette = plt.get_cmap("tab10")
    colours = {s: palette(i % 10) for i, s in enumerate(names)}
    fig, axes = plt.subplots(1, len(panels), figsize=(6.4 * len(panels), 4.8), squeeze=False)
    for ax, (dose, shown, xlabel, title) in zip(axes[0], panels):
        for s, column in shown.items():
            ax.plot(dose, [100 * x for x in column], color=colours[s], label=s.replace("_", " "))
        ax.set_xlabel(xlabel)
        ax.set_ylabel("volume [%]")
        ax.set_title(title)
        ax.set_xlim(left=min(0.0, dose[0]), right=dose[-1])
        ax.set_ylim(0, 102)
        ax.grid(True, alpha=0.3)
        if shown:
            ax.legend(fontsize="small")
        else:
            ax.text(0.5, 0.5, "every set is zero", transform=ax.transAxes, ha="center")
    fig.tight_layout()
    out = os.path.join(run_dir, "dvh.png")
    fig.savefig(out, dpi=120)
    print("plot_dvh: wrote %s" % out)


if __name__ == "__main__":
    main()
