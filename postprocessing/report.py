#!/usr/bin/env python3
"""The report of a RadioTwin run: its standard pictures and RUN_DIR/report.md.

    python3 postprocessing/report.py RUN_DIR [--no-render] [--pvbatch PATH]

Draws, with the existing scripts:
  - the ParaView mid-plane views (render_views.py under pvbatch and xvfb-run) into
    RUN_DIR/figures/: activity [MBq/mL] at the first, a middle and the last output time,
    absorbed dose [Gy] and hypoxia-adjusted BED [Gy] at the last, pO2 [mmHg];
  - RUN_DIR/dvh.png (plot_dvh.py), when the run computed doses;
  - RUN_DIR/time_activity.png (plot_tacs.py), only when the run did not draw it itself.
Then writes RUN_DIR/report.md: the run's key facts, the absorbed dose and BED of every organ
and lesion of the whole-body model, the meshed lesion's voxel dosimetry and oxygen, the organs
at risk against their limits (docs/physics.md section 11), the pictures, and what to open in
ParaView. Prints where the report is.

--no-render skips the ParaView views. Where pvbatch, xvfb-run or ParaView's Python modules are
missing, the views are skipped too and the report says which and why. ParaView's Python modules
are looked for in $RADIOTWIN_PARAVIEW_PYTHONPATH, else /opt/paraview-python/usr/lib/python3/
dist-packages (where .ci/setup.sh unpacks python3-paraview). Plots use $RADIOTWIN_PYTHON, this
Python, or /usr/bin/python3, whichever has matplotlib.

Exit status: 0 report written (a picture that could not be drawn is named in the report and in
a warning), 1 bad input (RUN_DIR is not a folder, or its summary.json is missing or unreadable).
"""
import argparse
import datetime
import glob
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(HERE)
DEFAULT_PV_PYTHONPATH = "/opt/paraview-python/usr/lib/python3/dist-packages"
FIGURES = "figures"  # the ParaView views, inside RUN_DIR

# Organs at risk (docs/physics.md section 11): tissue, summary key, quantity, limit [Gy], note.
LIMITS = [
    ("kidney", "BED_Gy", "BED", 40.0, "no risk factors"),
    ("kidney", "BED_Gy", "BED", 28.0, "with risk factors"),
    ("red_marrow", "absorbed_dose_Gy", "absorbed dose", 2.0, ""),
    ("salivary_glands", "absorbed_dose_Gy", "absorbed dose", 26.0, "parotid"),
    ("salivary_glands", "BED_Gy", "BED", 31.5, "parotid"),
]
# The whole-body organs in the order of the dose table (organs at risk first); tissues not
# listed here and not a lesion follow in the summary's order.
ORGAN_ORDER = ["kidney", "salivary_glands", "red_marrow", "liver", "spleen", "prostate", "GI",
               "lungs", "heart", "bone", "muscle", "skin", "brain", "adipose", "rest"]
NOT_TISSUES = {"blood", "urine"}  # no absorbed dose of their own
# The meshed lesion's voxel sets, in table order.
SETS = ["tumour", "viable_tumour", "rim", "core", "necrotic_core", "hypoxic_tumour",
        "normoxic_tumour", "host"]
# The ParaView views: (file name prefix, caption with the unit).
VIEWS = [("activity_MBq_per_mL", "activity [MBq/mL]"),
         ("dose_Gy", "absorbed dose [Gy]"),
         ("bed_hypoxia_adjusted_Gy", "hypoxia-adjusted BED [Gy]"),
         ("pO2_mmHg", "pO2 [mmHg]")]


class BadInput(Exception):
    pass


def warn(message):
    print("report: warning: %s" % message, file=sys.stderr)


def load_summary(run_dir):
    if not os.path.isdir(run_dir):
        raise BadInput("'%s' is not a folder (expected a RadioTwin results folder)" % run_dir)
    path = os.path.join(run_dir, "summary.json")
    if not os.path.isfile(path):
        raise BadInput("%s not found: not a finished RadioTwin run (a run writes summary.json "
                       "last; run radiotwin first, or give its Output/Directory)" % path)
    try:
        with open(path) as f:
            summary = json.load(f)
    except (OSError, ValueError) as e:
        raise BadInput("%s is unreadable: %s" % (path, e)) from None
    if not isinstance(summary, dict):
        raise BadInput("%s is not a RadioTwin summary (not a JSON object)" % path)
    return summary


def read_parameters(run_dir):
    """{'Section/Sub/Name': value} from RUN_DIR/parameters.prm (empty when it is missing)."""
    values, path = {}, []
    try:
        with open(os.path.join(run_dir, "parameters.prm")) as f:
            lines = f.read().splitlines()
    except OSError:
        return values
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line.startswith("subsection "):
            path.append(line[len("subsection "):].strip())
        elif line == "end" and path:
            path.pop()
        elif line.startswith("set ") and "=" in line:
            name, value = line[4:].split("=", 1)
            values["/".join(path + [name.strip()])] = value.strip()
    return values


def whole_body(summary):
    """The whole-body part of a summary: 'whole_body' of a coupled run, the summary itself of
    a radiotwin pbrpk run."""
    if isinstance(summary.get("whole_body"), dict):
        return summary["whole_body"]
    return summary if "tissues" in summary else {}


def get(d, *keys, default=None):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return default
        d = d[k]
    return d


def fmt(x, digits=3):
    """A number with `digits` significant digits, '-' when absent."""
    if x is None:
        return "-"
    if isinstance(x, int) and not isinstance(x, bool):
        return str(x)
    if x == 0:
        return "0"
    if abs(x) >= 10 ** digits:
        return "%.0f" % x
    if abs(x) < 10 ** -3:
        return "%.*g" % (digits, x)
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
    return "%.*f" % (decimals, x)


def label(name):
    return name.replace("_", " ")


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def shown_path(path):
    """path relative to the RadioTwin folder when inside it (commands in the report are run
    from there), else absolute."""
    path = os.path.abspath(path)
    rel = os.path.relpath(path, SOURCE_DIR)
    return path if rel.startswith("..") else rel


# ----------------------------------------------------------------------------- pictures
def plot_python():
    """A Python with matplotlib for the plot scripts: $RADIOTWIN_PYTHON, this one, or
    /usr/bin/python3 (Debian's, with python3-matplotlib)."""
    candidates = [os.environ.get("RADIOTWIN_PYTHON"), sys.executable, "/usr/bin/python3"]
    for python in [c for c in candidates if c]:
        try:
            ok = subprocess.run([python, "-c", "import matplotlib"], capture_output=True,
                                timeout=60).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return python
    return None


def run_plot(python, script, run_dir, notes, what):
    """Run one plot script on run_dir; a failure becomes a note. True when it drew."""
    if python is None:
        notes.append("%s not drawn: no Python with matplotlib (apt-get install "
                     "python3-matplotlib)." % what)
        return False
    r = subprocess.run([python, os.path.join(HERE, script), run_dir], capture_output=True,
                       text=True)
    if r.returncode != 0:
        message = (r.stderr.strip() or r.stdout.strip()).splitlines()
        notes.append("%s not drawn: %s failed: %s" % (what, script, message[-1] if message
                                                      else "exit %d" % r.returncode))
        warn(notes[-1])
        return False
    return True


def render_views(run_dir, args, notes):
    """The ParaView views into RUN_DIR/figures/ with render_views.py; missing tools and
    failures become notes. Returns the PNGs written."""
    skipped = "ParaView views (activity, dose, BED, pO2) skipped: "
    if args.no_render:
        notes.append(skipped + "`--no-render` was given.")
        return []
    if not glob.glob(os.path.join(run_dir, "*.pvd")):
        notes.append(skipped + "the run wrote no .pvd file.")
        return []
    pvbatch = args.pvbatch or shutil.which("pvbatch")
    if not pvbatch or not os.access(pvbatch, os.X_OK):
        notes.append(skipped + "pvbatch not found%s (apt-get install paraview, or run "
                     ".ci/setup.sh)." % (" at " + args.pvbatch if args.pvbatch else " on PATH"))
        warn(notes[-1])
        return []
    xvfb = shutil.which("xvfb-run")
    if not xvfb:
        notes.append(skipped + "xvfb-run not found on PATH; pvbatch needs a display to draw "
                     "(apt-get install xvfb xauth, or run .ci/setup.sh).")
        warn(notes[-1])
        return []
    pv_path = os.environ.get("RADIOTWIN_PARAVIEW_PYTHONPATH", DEFAULT_PV_PYTHONPATH)
    env = dict(os.environ)
    hint = ""
    if os.path.isdir(os.path.join(pv_path, "paraview")):
        env["PYTHONPATH"] = pv_path + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    else:  # a ParaView with its own modules may still work
        hint = (" (no ParaView Python modules in %s: .ci/setup.sh unpacks python3-paraview "
                "there; or set RADIOTWIN_PARAVIEW_PYTHONPATH)" % pv_path)
    out_dir = os.path.join(run_dir, FIGURES)
    os.makedirs(out_dir, exist_ok=True)
    for old in glob.glob(os.path.join(out_dir, "*.png")):  # ours, from an earlier report
        os.remove(old)
    log = os.path.join(out_dir, "render_views.log")
    # One logarithmic scale for the activity: it falls a hundredfold over two weeks.
    command = [xvfb, "-a", pvbatch, os.path.join(HERE, "render_views.py"), run_dir, out_dir,
               "--activity-scale", "log"]
    for attempt in (1, 2):  # a second try when the X server of xvfb-run -a did not come up
        with open(log, "w") as f:
            r = subprocess.run(command, stdout=f, stderr=subprocess.STDOUT, env=env)
        with open(log) as f:
            text = f.read()
        if r.returncode == 0 or attempt == 2 or not re.search(
                r"bad X server connection|xvfb failed|cannot open display", text, re.I):
            break
        time.sleep(2)
    written = [line.strip() for line in text.splitlines() if line.strip().endswith(".png")
               and os.path.isfile(line.strip())]
    if r.returncode != 0:
        last = [line for line in text.splitlines() if line.strip() and " INFO| " not in line]
        notes.append(skipped + "pvbatch render_views.py failed (exit %d)%s: %s; log: %s" % (
            r.returncode, hint, last[-1].strip() if last else "no output", shown_path(log)))
        warn(notes[-1])
    for line in text.splitlines():
        # (a run without a vessel network expects no vessels in the oxygen view)
        if line.startswith("render_views: notice:") and "vessel_network.vtp" not in line:
            notes.append("ParaView: " + line[len("render_views: notice: "):])
    return written


# ----------------------------------------------------------------------------- report
def key_facts(summary, prm, run_dir):
    wb = whole_body(summary)
    tr = summary.get("transport", {})
    rows = []
    if summary.get("parameter_file"):
        rows.append(("parameter file", "`%s`" % shown_path(summary["parameter_file"])))
    if wb.get("model"):
        rows.append(("whole-body model", wb["model"]))
    rows.append(("status", summary.get("status", "?")))
    if "injected_activity_MBq" in wb:
        rows.append(("injected activity", "%s GBq (%s nmol hot + %s nmol cold ligand)" % (
            fmt(wb["injected_activity_MBq"] / 1000), fmt(wb.get("injected_hot_nmol")),
            fmt(wb.get("injected_cold_nmol")))))
    duration = wb.get("duration_h", tr.get("end_time_h"))
    if duration is not None:
        rows.append(("simulated time", "%s h (%s d)" % (fmt(duration), fmt(duration / 24))))
    geometry = prm.get("Geometry/Type")
    radius = prm.get("Geometry/Tumour radius [mm]")
    if radius:
        text = "%s mm radius tumour" % radius
        core = prm.get("Geometry/Necrotic core radius [mm]")
        if core and float(core) > 0:
            text += ", %s mm radius necrotic core" % core
        if geometry:
            text += " (%s" % geometry
            host = prm.get("Geometry/Host size [mm]")
            text += ", host %s mm)" % host if host and "sphere in" in geometry else ")"
        tumour_mL = get(summary, "darcy", "regions", "tumour", "volume_mL")
        core_mL = get(summary, "darcy", "regions", "necrotic_core", "volume_mL", default=0.0)
        if tumour_mL is not None:
            text += "; meshed volume %s mL" % fmt(tumour_mL + core_mL)
        rows.append(("meshed lesion", text))
    meshed = meshed_lesion(summary)
    if meshed:
        name, t = meshed
        rows.append(("coupling", "the meshed lesion is lesion `%s` of the whole-body model, "
                     "standing for %s mL (x %s)" % (name, fmt(t.get("represented_volume_mL")),
                                                   fmt(t.get("scale_represented_over_meshed")))))
    oxygen = summary.get("oxygen")
    if oxygen:
        rows.append(("oxygen", "on: hypoxic below %s mmHg, severely hypoxic below %s mmHg" % (
            fmt(oxygen.get("hypoxia_threshold_mmHg")),
            fmt(oxygen.get("severe_hypoxia_threshold_mmHg")))))
    dosimetry = get(tr, "dosimetry")
    if dosimetry:
        rows.append(("dose in the lesion", "%s energy deposition; target BED %g Gy" % (
            dosimetry.get("energy_deposition", "?"), dosimetry.get("target_bed_Gy", 0))))
    mesh = []
    if "cells" in summary:
        mesh.append("%d cells" % summary["cells"])
    if get(summary, "darcy", "dofs") is not None:
        mesh.append("%d DoFs (Darcy)" % summary["darcy"]["dofs"])
    if "dofs_per_field" in tr:
        mesh.append("%d DoFs per transport field" % tr["dofs_per_field"])
    if "steps" in tr:
        control = get(tr, "step_control", "kind")
        mesh.append("%d time steps%s" % (tr["steps"], " (%s step control)" % control if control else ""))
    if mesh:
        rows.append(("discretisation", ", ".join(mesh)))
    total = get(summary, "wall_time_s", "total")
    if total is not None:
        text = "%s s on %s MPI rank%s" % (fmt(total), summary.get("mpi_ranks", "?"),
                                         "" if summary.get("mpi_ranks") == 1 else "s")
        if "time_loop_wall_s" in tr:
            text += " (time loop %s s)" % fmt(tr["time_loop_wall_s"])
        if "peak_memory_MB_per_rank_max" in summary:
            text += "; peak memory %s MB per rank" % fmt(summary["peak_memory_MB_per_rank_max"])
        rows.append(("wall time", text))
    return table(["fact", "value (with its unit)"], rows)


def meshed_lesion(summary):
    for name, t in whole_body(summary).get("tissues", {}).items():
        if isinstance(t, dict) and "represented_volume_mL" in t:
            return name, t
    return None


def is_lesion(name, t):
    return "represented_volume_mL" in t or ("receptors_nmol" in t and name not in ORGAN_ORDER)


def dose_table(summary):
    tissues = whole_body(summary).get("tissues", {})
    have = {n: t for n, t in tissues.items()
            if isinstance(t, dict) and "absorbed_dose_Gy" in t and n not in NOT_TISSUES}
    organs = [n for n in ORGAN_ORDER if n in have]
    organs += [n for n in have if n not in organs and not is_lesion(n, have[n])]
    lesions = [n for n in have if n not in organs]
    meshed = meshed_lesion(summary)
    rows = []
    for n in organs + lesions:
        t = have[n]
        name = label(n)
        if meshed and n == meshed[0]:
            name = "**%s (meshed lesion)**" % n
        elif n in lesions:
            name = "%s (lesion)" % n
        mass = t.get("mass_kg")
        rows.append((name, fmt(mass * 1000 if mass is not None else None),
                     fmt(t.get("time_integrated_activity_MBq_h")),
                     fmt(t.get("absorbed_dose_Gy")),
                     fmt(t.get("absorbed_dose_per_activity_Gy_per_GBq")),
                     fmt(t.get("BED_Gy"))))
    return table(["organ or lesion", "mass [g]", "TIA [MBq h]", "absorbed dose [Gy]",
                  "dose per activity [Gy/GBq]", "BED [Gy]"], rows)


def lesion_table(summary):
    sets = get(summary, "transport", "dosimetry", "sets", default={})
    if not sets:
        return None
    names = [s for s in SETS if s in sets] + [s for s in sets if s not in SETS]
    oxygen_regions = get(summary, "oxygen", "regions", default={})
    target = get(summary, "transport", "dosimetry", "target_bed_Gy")
    adjusted = any("fraction_bed_hypoxia_adjusted_above_target" in d for d in sets.values())
    rows = []
    # The oxygen model reports per mesh region: its 'tumour' is the viable tumour (the
    # dosimetry's 'tumour' set holds the necrotic core too).
    region_of = {s: s for s in oxygen_regions}
    if "tumour" in oxygen_regions and "viable_tumour" in sets:
        region_of["viable_tumour"] = "tumour"
        del region_of["tumour"]
    for s in names:
        d = sets[s]
        hypoxic = get(oxygen_regions, region_of.get(s), "hypoxic_fraction")
        po2 = get(oxygen_regions, region_of.get(s), "pO2_mean_mmHg")
        above = d.get("fraction_bed_hypoxia_adjusted_above_target", d.get("fraction_bed_above_target"))
        rows.append((label(s), fmt(d.get("volume_mL")), fmt(d.get("dose_mean_Gy")),
                     fmt(d.get("D90_Gy")), fmt(d.get("bed_mean_Gy")),
                     fmt(d.get("bed_hypoxia_adjusted_mean_Gy")),
                     fmt(100 * above if above is not None else None),
                     fmt(po2), fmt(100 * hypoxic if hypoxic is not None else None)))
    return table(["voxel set", "volume [mL]", "mean dose [Gy]", "D90 [Gy]", "mean BED [Gy]",
                  "mean hypoxia-adj. BED [Gy]",
                  "%sBED >= %g Gy [%% of volume]" % ("hypoxia-adj. " if adjusted else "", target or 0),
                  "mean pO2 [mmHg]", "hypoxic [% of volume]"], rows)


def limits_table(summary):
    tissues = whole_body(summary).get("tissues", {})
    rows = []
    for tissue, key, quantity, limit, note in LIMITS:
        value = get(tissues, tissue, key)
        if value is None:
            rows.append((label(tissue), quantity, "-", "%g" % limit, "-", "-", "not in the run"))
            continue
        status = "PASS" if value <= limit else "**EXCEEDS**"
        rows.append((label(tissue) + (" (%s)" % note if note else ""), quantity, fmt(value),
                     "%g" % limit, fmt(limit - value), fmt(100 * value / limit), status))
    return table(["organ", "quantity", "value [Gy]", "limit [Gy]", "margin [Gy]",
                  "share of limit [%]", "status"], rows)


def view_time(path):
    m = re.search(r"_t([-+0-9.eE]+)h\.png$", path)
    return float(m.group(1)) if m else 0.0


def figures_section(run_dir, views, extra):
    """Markdown for the pictures: views (ParaView PNGs), extra [(file, caption)]."""
    out = []
    rel = lambda p: os.path.relpath(p, run_dir).replace(os.sep, "/")
    activity = sorted((v for v in views if os.path.basename(v).startswith(VIEWS[0][0] + "_t")),
                      key=view_time)
    if activity:
        out.append("Activity [MBq/mL] on the mid-plane at %s h after the injection (one "
                   "logarithmic colour scale):\n" % ", ".join("%g" % view_time(v) for v in activity))
        out.append(table(["t = %g h" % view_time(v) for v in activity],
                         [["![activity at %g h](%s)" % (view_time(v), rel(v)) for v in activity]]))
        out.append("")
    others = [v for v in views if v not in activity]
    for prefix, caption in VIEWS[1:]:
        for v in sorted(others, key=view_time):
            if os.path.basename(v).startswith(prefix + "_t"):
                out.append("![%s at %g h](%s)\n" % (re.sub(r" \[.*?\]", "", caption),
                                                     view_time(v), rel(v)))
                out.append("*Mid-plane at t = %g h: %s%s.*\n" % (
                    view_time(v), caption,
                    "; white line: the hypoxic boundary" if prefix == "pO2_mmHg" else ""))
    known = tuple(p + "_t" for p, _ in VIEWS)
    for v in others:  # a view this script does not know yet
        if not os.path.basename(v).startswith(known):
            out.append("![%s](%s)\n" % (os.path.basename(v), rel(v)))
    for path, caption in extra:  # the alt text without the units' brackets
        out.append("![%s](%s)\n" % (re.sub(r" \[.*?\]", "", caption.split(":")[0]), rel(path)))
        out.append("*%s.*\n" % caption)
    return "\n".join(out) if out else "No pictures were drawn (see the notes below)."


def paraview_section(run_dir):
    run = shown_path(run_dir)
    files = [f for f in ("transport.pvd", "radiotwin.pvd", "vessel_network.vtp")
             if os.path.exists(os.path.join(run_dir, f))]
    if not files:
        return ("This run wrote no ParaView files (radiotwin.pvd, transport.pvd, "
                "vessel_network.vtp): a whole-body run has no mesh.")
    lines = ["From the RadioTwin folder (`%s`):" % SOURCE_DIR, "",
             "```bash",
             "RADIOTWIN_RUN=%s paraview --script=postprocessing/paraview_open.py" % run,
             "```", "",
             "It loads every output of the run, shows the mid-plane slice of the activity at the "
             "last output time and names a colour map with its unit for every field. Or open the "
             "files yourself:", ""]
    what = {"transport.pvd": "the tumour's time series: `activity_MBq_per_mL`, the six "
                             "concentrations, `receptor_occupancy`, `dose_rate_Gy_per_h`, "
                             "`dose_Gy`, `bed_Gy`, `bed_hypoxia_adjusted_Gy`, `pO2_mmHg`, `hypoxic`",
            "radiotwin.pvd": "the steady fields: `ifp_mmHg`, `velocity_um_per_s`, `pO2_mmHg`, "
                             "`hypoxic`, `region`",
            "vessel_network.vtp": "the vessel network: blood pressure [mmHg], flow [nL/min]"}
    for f in files:
        lines.append("- `%s/%s`: %s" % (run, f, what[f]))
    return "\n".join(lines)


def write_report(run_dir, summary, prm, views, extra, notes):
    case = os.path.splitext(os.path.basename(summary.get("parameter_file", "") or run_dir))[0]
    run_date = datetime.datetime.fromtimestamp(
        os.path.getmtime(os.path.join(run_dir, "summary.json"))).strftime("%Y-%m-%d %H:%M")
    wb = whole_body(summary)
    duration = wb.get("duration_h", get(summary, "transport", "end_time_h"))
    parts = ["# RadioTwin report: %s (%s)" % (case, run_date), "",
             "Run folder `%s`, version %s; report written %s by `postprocessing/report.py`." % (
                 shown_path(run_dir), summary.get("radiotwin_version", "?"),
                 datetime.datetime.now().strftime("%Y-%m-%d %H:%M")), "",
             "## The run", "", key_facts(summary, prm, run_dir), ""]
    if get(wb, "tissues"):
        parts += ["## Absorbed dose and BED, organs and lesions", "",
                  "Whole-body model, one injection, to the end of the run (%s h; not "
                  "extrapolated beyond it). TIA: time-integrated activity. BED is given for "
                  "the tissues with radiobiology parameters." % fmt(duration), "",
                  dose_table(summary), ""]
    lesion = lesion_table(summary)
    if lesion:
        meshed = meshed_lesion(summary)
        parts += ["## The meshed lesion, voxel by voxel", "",
                  "Dose, BED and pO2 at every node of the meshed lesion%s, per set of voxels "
                  "(`transport/dosimetry` and `oxygen` of summary.json; DVHs in `dvh.csv`). "
                  "D90: the dose that 90 %% of the set's volume receives at least. The rim is "
                  "the outer shell of the tumour, the core the rest; hypoxic: pO2 below the "
                  "first hypoxia threshold." % (" `%s`" % meshed[0] if meshed else ""),
                  "", lesion, ""]
    if get(wb, "tissues"):
        parts += ["## BED against limits", "",
                  "Organ-at-risk limits of docs/physics.md section 11 (kidney BED 40 Gy, 28 Gy "
                  "with risk factors; red marrow 2 Gy absorbed; salivary glands 26 Gy absorbed, "
                  "BED 31.5 Gy). The limits hold for the whole treatment: these values are one "
                  "injection to %s h, and well separated cycles add up. Margin = limit - "
                  "value." % fmt(duration), "", limits_table(summary), ""]
    parts += ["## Figures", "", figures_section(run_dir, views, extra), "",
              "## What to open in ParaView", "", paraview_section(run_dir), ""]
    if notes:
        parts += ["## Notes", ""] + ["- %s" % n for n in notes] + [""]
    path = os.path.join(run_dir, "report.md")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(parts))
    os.replace(tmp, path)
    return path


def main():
    parser = argparse.ArgumentParser(
        prog="report.py", description="Pictures and report.md of a RadioTwin run.",
        epilog="Exit status: 0 report written, 1 bad input (no summary.json).")
    parser.add_argument("run_dir", help="the run's output folder (holds summary.json)")
    parser.add_argument("--no-render", action="store_true",
                        help="skip the ParaView views (pvbatch); the plots are still drawn")
    parser.add_argument("--pvbatch", help="the pvbatch to use (default: pvbatch on PATH)")
    args = parser.parse_args()
    run_dir = args.run_dir.rstrip("/") or "/"
    try:
        summary = load_summary(run_dir)
    except BadInput as e:
        print("report: error: %s" % e, file=sys.stderr)
        return 1
    if summary.get("status") not in (None, "complete"):
        warn("summary.json says the run is '%s'" % summary.get("status"))
    prm = read_parameters(run_dir)
    notes = []
    started = time.time()

    views = render_views(run_dir, args, notes)
    python = None
    extra = []
    if os.path.exists(os.path.join(run_dir, "dvh.csv")):
        python = plot_python()
        if run_plot(python, "plot_dvh.py", run_dir, notes, "dvh.png (dose-volume histograms)"):
            extra.append((os.path.join(run_dir, "dvh.png"),
                          "Cumulative dose-volume histograms of the meshed lesion: absorbed "
                          "dose [Gy] and hypoxia-adjusted BED [Gy] against volume [%]"))
    tac = os.path.join(run_dir, "time_activity.png")
    if os.path.exists(os.path.join(run_dir, "time_activity.csv")):
        csv_time = os.path.getmtime(os.path.join(run_dir, "time_activity.csv"))
        if not os.path.exists(tac) or os.path.getmtime(tac) < csv_time:
            python = python or plot_python()
            run_plot(python, "plot_tacs.py", run_dir, notes,
                     "time_activity.png (time-activity curves)")
        if os.path.exists(tac):
            extra.append((tac, "Time-activity curves of the organs and lesions%s: activity "
                          "[MBq] and share of the injected activity [%%] against time [h]" % (
                              ", the meshed lesion included" if meshed_lesion(summary) else "")))

    path = write_report(run_dir, summary, prm, views, extra, notes)
    n = len(views) + len(extra)
    print("report: %d picture%s in %.1f s" % (n, "" if n == 1 else "s", time.time() - started))
    print("report: wrote %s" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
