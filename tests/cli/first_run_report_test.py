#!/usr/bin/env python3
"""The README's first run (ctest first_run_report): the shipped configs/first_twin.prm on 2
ranks, then postprocessing/report.py on its folder. Checks that

  - report.md has the dose table with kidney, red marrow, salivary glands and the meshed
    lesion, and the table "BED against limits" with a PASS/EXCEEDS status per limit;
  - every image the report links exists and is a real, non-blank PNG (check_images.py); with
    pvbatch, xvfb-run and ParaView's Python modules present, the six ParaView views are among
    them; without, the report says which pictures were skipped and why;
  - --no-render writes the report with a note that the ParaView views were skipped;
  - a folder without summary.json gives exit status 1 and one message naming that file.

    first_run_report_test.py --source-dir DIR --radiotwin EXE --mpiexec MPIEXEC
        --numproc-flag=-n --work DIR [--image-python PYTHON] [--pvbatch PVBATCH]
        [--paraview-python DIR]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--source-dir", required=True)
ap.add_argument("--radiotwin", required=True)
ap.add_argument("--mpiexec", required=True)
ap.add_argument("--numproc-flag", default="-n")
ap.add_argument("--work", required=True)
ap.add_argument("--image-python", default=sys.executable,
                help="a Python with Pillow and numpy, for check_images.py")
ap.add_argument("--pvbatch", default="")
ap.add_argument("--paraview-python", default="/opt/paraview-python/usr/lib/python3/dist-packages")
args = ap.parse_args()
if args.pvbatch.endswith("NOTFOUND"):  # CMake's find_program found none
    args.pvbatch = ""

problems = []
# ![alt](path), the alt text possibly with [unit] brackets
IMAGE_LINK = r"!\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)\)"


def fail(message):
    print("first_run_report_test: FAILED: %s" % message)
    problems.append(message)


def report_py(*arguments):
    env = dict(os.environ, RADIOTWIN_PARAVIEW_PYTHONPATH=args.paraview_python)
    command = [sys.executable, os.path.join(args.source_dir, "postprocessing", "report.py")]
    command += (["--pvbatch", args.pvbatch] if args.pvbatch else []) + list(arguments)
    start = time.time()
    r = subprocess.run(command, capture_output=True, text=True, env=env)
    return r, time.time() - start


def section(text, title):
    """The body of the '## title' section of a markdown text ('' when absent)."""
    m = re.search(r"^## %s\n(.*?)(?=^## |\Z)" % re.escape(title), text, re.M | re.S)
    return m.group(1) if m else ""


def table_rows(text):
    return [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in text.splitlines() if line.startswith("|") and not line.startswith("|---")]


run = os.path.join(args.work, "first_twin")
shutil.rmtree(run, ignore_errors=True)
os.makedirs(args.work, exist_ok=True)

# 1. the shipped case, as the README runs it
prm = os.path.join(args.source_dir, "configs", "first_twin.prm")
start = time.time()
r = subprocess.run([args.mpiexec, args.numproc_flag, "2", args.radiotwin, prm,
                    "--set", "Output/Directory=" + run], capture_output=True, text=True)
wall = time.time() - start
with open(os.path.join(args.work, "first_twin_run.log"), "w") as f:
    f.write(r.stdout + r.stderr)
if r.returncode != 0 or not os.path.isfile(os.path.join(run, "summary.json")):
    print((r.stdout + r.stderr)[-3000:])
    sys.exit("first_run_report_test: FAILED: radiotwin %s exited %d (log %s/first_twin_run.log)"
             % (prm, r.returncode, args.work))
print("first_run_report_test: configs/first_twin.prm on 2 ranks: %.1f s wall" % wall)

# 2. the report
r, seconds = report_py(run)
print(r.stdout + r.stderr)
print("first_run_report_test: report.py: %.1f s" % seconds)
report = os.path.join(run, "report.md")
if r.returncode != 0:
    fail("report.py exited %d" % r.returncode)
if not os.path.isfile(report):
    sys.exit("first_run_report_test: FAILED: no %s" % report)
if "report: wrote %s" % report not in r.stdout:
    fail("report.py did not print where the report is ('report: wrote %s')" % report)
text = open(report).read()

# the dose table: the organs at risk and the meshed lesion, each with a dose in Gy
doses = table_rows(section(text, "Absorbed dose and BED, organs and lesions"))
if not doses or "absorbed dose [Gy]" not in doses[0]:
    fail("report.md has no dose table with a column 'absorbed dose [Gy]'")
else:
    col = doses[0].index("absorbed dose [Gy]")
    for name in ("kidney", "red marrow", "salivary glands", "(meshed lesion)"):
        row = next((row for row in doses[1:] if name in row[0]), None)
        if row is None:
            fail("the dose table has no row for %s" % name)
        elif not re.fullmatch(r"[0-9.e+-]+", row[col]):
            fail("the dose table's %s row has no absorbed dose: %s" % (name, row))
# the limits
limits = table_rows(section(text, "BED against limits"))
if len(limits) < 5 or "limit [Gy]" not in limits[0] or "margin [Gy]" not in limits[0]:
    fail("report.md has no table 'BED against limits' with limit [Gy] and margin [Gy]")
else:
    expected = [("kidney", "BED", "40"), ("kidney", "BED", "28"),
                ("red marrow", "absorbed dose", "2"), ("salivary glands", "absorbed dose", "26")]
    limit_col = limits[0].index("limit [Gy]")
    for organ, quantity, limit in expected:
        if not any(row[0].startswith(organ) and row[1] == quantity and row[limit_col] == limit
                   and row[-1].strip("*") in ("PASS", "EXCEEDS") for row in limits[1:]):
            fail("no limits row: %s %s against %s Gy with PASS or EXCEEDS" % (organ, quantity, limit))
# every column of every table names its unit (or is the name column)
for rows in (doses, limits, table_rows(section(text, "The meshed lesion, voxel by voxel"))):
    if rows:
        unitless = [h for h in rows[0][1:] if not re.search(r"\[.+\]", h)
                    and h not in ("quantity", "status")]
        if unitless:
            fail("table columns without a unit: %s" % unitless)
if "paraview_open.py" not in section(text, "What to open in ParaView") or \
        "transport.pvd" not in section(text, "What to open in ParaView"):
    fail("report.md does not say what to open in ParaView (paraview_open.py, transport.pvd)")

# the images it links
links = re.findall(IMAGE_LINK, text)
images = [os.path.join(run, link) for link in links]
print("first_run_report_test: the report links %d images: %s" % (len(links), ", ".join(links)))
views = ["activity_MBq_per_mL_t4h.png", "activity_MBq_per_mL_t24h.png",
         "activity_MBq_per_mL_t336h.png", "dose_Gy_t336h.png",
         "bed_hypoxia_adjusted_Gy_t336h.png", "pO2_mmHg_t0h.png"]
for must in ["dvh.png", "time_activity.png"]:
    if must not in links:
        fail("the report does not link %s" % must)
can_render = (args.pvbatch and os.access(args.pvbatch, os.X_OK) and shutil.which("xvfb-run")
              and os.path.isdir(os.path.join(args.paraview_python, "paraview")))
if can_render:
    for view in views:
        if "figures/" + view not in links:
            fail("the report does not link the ParaView view figures/%s" % view)
else:
    print("first_run_report_test: no pvbatch, xvfb-run or ParaView Python modules: the ParaView "
          "views are not checked, only the note about them")
    if not re.search(r"ParaView views .* skipped: .*(pvbatch|xvfb-run|ParaView)",
                     section(text, "Notes")):
        fail("the report does not say that and why the ParaView views were skipped")
if images:
    c = subprocess.run([args.image_python, os.path.join(args.source_dir, "tests", "postprocessing",
                                                        "check_images.py")] + images,
                       capture_output=True, text=True)
    print(c.stdout + c.stderr)
    if c.returncode != 0:
        fail("a linked image is missing or not a real picture")

# 3. --no-render: the report still written, with a note on the skipped views
r, _ = report_py(run, "--no-render")
text = open(report).read()
if r.returncode != 0 or "`--no-render` was given" not in section(text, "Notes") or \
        any(link.startswith("figures/") for link in re.findall(IMAGE_LINK, text)):
    fail("report.py --no-render: exit %d, or no note on the skipped views, or ParaView views "
         "linked" % r.returncode)

# 4. a folder without summary.json: exit 1, one message naming the file
empty = os.path.join(args.work, "first_twin_no_summary")
shutil.rmtree(empty, ignore_errors=True)
os.makedirs(empty)
r, _ = report_py(empty)
missing = os.path.join(empty, "summary.json")
lines = [line for line in r.stderr.splitlines() if line.strip()]
if r.returncode != 1 or len(lines) != 1 or missing not in lines[0] or "Traceback" in r.stderr:
    fail("a folder without summary.json: expected exit 1 and one line naming %s, got exit %d: %r"
         % (missing, r.returncode, r.stderr))
if os.path.exists(os.path.join(empty, "report.md")):
    fail("report.py wrote a report for a folder without summary.json")

if problems:
    sys.exit("first_run_report_test: %d problem(s)" % len(problems))
print("first_run_report_test: passed (run %.1f s, %d images)" % (wall, len(images)))
