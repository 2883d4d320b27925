#!/usr/bin/env python3
"""RadioTwin parameter sweeps: run one case per point of a parameter grid, collect one CSV
row of summary metrics per case, and plot each metric against the swept parameter.

    python3 postprocessing/sweep.py configs/sweeps/tumour_sink.json [--jobs N] [--ranks R]
                                    [--radiotwin PATH] [--mpiexec CMD] [--output DIR]
                                    [--dry-run] [--no-plots] [--case K | --collect | --count]

The sweep file (JSON) names a base parameter file, the swept parameters (each a parameter
path with a list of values, or a range), fixed overrides and the metrics to collect:

    {
      "description": "tumour sink: total tumour burden 0.01 -> 3 L",
      "base": "../coupled/lesion_1cm_14days.prm",          (relative to the sweep file)
      "mode": "simulate",                                    (or "pbrpk")
      "set": ["Output/Write VTU=false"],                      (fixed overrides, optional)
      "parameters": [
        {"path": "Coupling/Represented lesion volume [mL]",
         "range": {"from": 10, "to": 3000, "count": 6, "scale": "log"}},
        {"path": "Whole body/Injection/Injections",
         "values": ["0, 0, 10.18, 0", "0, 0, 10.18, 46.91"],
         "x": [10.18, 57.09], "label": "peptide amount [nmol]"}   (x, label optional)
      ],
      "metrics": {"kidney_dose_Gy": "whole_body/tissues/kidney/absorbed_dose_Gy"},
      "output": "results/sweeps/tumour_sink",                (relative to the working directory)
      "jobs": 1, "ranks": 2                                   (defaults; options override)
    }

Several parameters make a grid (every combination). Each case runs in its own folder
OUTPUT/case_NNN (case.json: its overrides; run.log: its output). A case whose folder holds
a complete summary.json for the same overrides is not run again, so re-running a sweep
resumes it. A failed case is reported and the others go on. Results: OUTPUT/sweep_results.csv
(one row per case: parameters, status, metrics) and OUTPUT/<metric>.png.

On a cluster each case can be its own job (cluster/sweep_array.slurm, a SLURM job array):
--count prints the number of cases, --case K runs case K alone (0-based, in the order of
the CSV; no CSV written), and --collect runs nothing: it gathers the case folders into the
CSV and plots, reporting cases that are missing, unfinished or failed.

Exit status: 0 all cases complete, 1 bad sweep file or options, 3 some cases failed.
"""
import argparse
import concurrent.futures
import csv
import itertools
import json
import math
import os
import shlex
import shutil
import subprocess
import sys
import time


class SweepError(Exception):
    """Bad sweep file or options: one message, exit status 1."""


def fail(where, message):
    raise SweepError(f"{where}: {message}")


def expand_values(sweep_file, index, p):
    where = f"{sweep_file}: parameters[{index}]"
    if not isinstance(p, dict) or not isinstance(p.get("path"), str) or "/" not in p["path"]:
        fail(where, "needs a 'path' of the form 'Section/Name'")
    if ("values" in p) == ("range" in p):
        fail(where, f"'{p['path']}': give exactly one of 'values' (a list) or 'range'")
    if "values" in p:
        values = p["values"]
        if not isinstance(values, list) or not values:
            fail(where, f"'{p['path']}': 'values' must be a non-empty list")
    else:
        r = p["range"]
        try:
            lo, hi, n = float(r["from"]), float(r["to"]), int(r["count"])
        except (KeyError, TypeError, ValueError):
            fail(where, f"'{p['path']}': 'range' needs numbers 'from', 'to' and an integer 'count'")
        scale = r.get("scale", "linear")
        if n < 1 or scale not in ("linear", "log") or (scale == "log" and (lo <= 0 or hi <= 0)):
            fail(where, f"'{p['path']}': 'count' >= 1; 'scale' linear or log (log needs from, to > 0)")
        if n == 1:
            values = [lo]
        elif scale == "log":
            values = [lo * (hi / lo) ** (k / (n - 1)) for k in range(n)]
        else:
            values = [lo + (hi - lo) * k / (n - 1) for k in range(n)]
        values = [float(f"{v:.6g}") for v in values]
    x = p.get("x")
    if x is not None and (not isinstance(x, list) or len(x) != len(values)):
        fail(where, f"'{p['path']}': 'x' must list one number per value")
    if x is None:
        x = [v if isinstance(v, (int, float)) else i for i, v in enumerate(values)]
    label = p.get("label", p["path"].split("/")[-1])
    return {"path": p["path"], "values": values, "x": x, "label": label,
            "log": p.get("range", {}).get("scale") == "log" or p.get("log", False)}


def load_sweep(path, args):
    try:
        with open(path) as f:
            sweep = json.load(f)
    except OSError as e:
        raise SweepError(f"{path}: cannot read the sweep file ({e.strerror})")
    except json.JSONDecodeError as e:
        raise SweepError(f"{path}:{e.lineno}: malformed JSON: {e.msg}")
    if not isinstance(sweep, dict):
        fail(path, "the sweep file must hold a JSON object")
    known = {"description", "base", "mode", "set", "parameters", "metrics", "output", "jobs", "ranks"}
    for key in sweep:
        if key not in known:
            fail(path, f"unknown entry '{key}' (known: {', '.join(sorted(known))})")
    if not isinstance(sweep.get("base"), str):
        fail(path, "'base' (the parameter file the cases start from) is missing")
    base = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)), sweep["base"]))
    if not os.path.isfile(base):
        fail(path, f"'base': no such parameter file '{base}'")
    mode = sweep.get("mode", "simulate")
    if mode not in ("simulate", "pbrpk"):
        fail(path, "'mode' must be 'simulate' or 'pbrpk'")
    fixed = sweep.get("set", [])
    if not isinstance(fixed, list) or not all(isinstance(s, str) and "=" in s for s in fixed):
        fail(path, "'set' must be a list of \"Section/Name=value\" strings")
    params = sweep.get("parameters")
    if not isinstance(params, list) or not params:
        fail(path, "'parameters' must be a non-empty list")
    params = [expand_values(path, i, p) for i, p in enumerate(params)]
    metrics = sweep.get("metrics", {})
    if not isinstance(metrics, dict) or not all(isinstance(v, str) for v in metrics.values()):
        fail(path, "'metrics' must map column names to summary.json paths ('a/b/c')")
    output = args.output or sweep.get("output")
    if not output:
        fail(path, "'output' (the sweep's folder) is missing")
    jobs = args.jobs or int(sweep.get("jobs", 1))
    ranks = args.ranks or int(sweep.get("ranks", 1))
    if jobs < 1 or ranks < 1:
        fail(path, "'jobs' and 'ranks' must be >= 1")
    return {"base": base, "mode": mode, "set": fixed, "parameters": params, "metrics": metrics,
            "output": output, "jobs": jobs, "ranks": ranks, "mpiexec": args.mpiexec or "mpirun",
            "description": sweep.get("description", "")}


def find_radiotwin(given):
    candidates = [given, os.environ.get("RADIOTWIN"),
                  os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "radiotwin"),
                  shutil.which("radiotwin")]
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    raise SweepError("cannot find the radiotwin executable: build it (bash .ci/setup.sh) or "
                     "pass --radiotwin PATH")


def format_value(v):
    return repr(v) if isinstance(v, float) else str(v)


def make_cases(sweep):
    params = sweep["parameters"]
    cases = []
    for index, combo in enumerate(itertools.product(*[range(len(p["values"])) for p in params])):
        overrides = [f"{p['path']}={format_value(p['values'][i])}" for p, i in zip(params, combo)]
        cases.append({"index": index, "choice": combo, "overrides": overrides,
                      "folder": os.path.join(sweep["output"], f"case_{index:03d}")})
    return cases


def summary_of(folder):
    try:
        with open(os.path.join(folder, "summary.json")) as f:
            s = json.load(f)
        return s if s.get("status") == "complete" else None
    except (OSError, json.JSONDecodeError):
        return None


def recorded_case(folder):
    """The case.json a run left in its folder, or None."""
    try:
        with open(os.path.join(folder, "case.json")) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError):
        return None


def same_case(recorded, case, sweep):
    return (recorded.get("overrides") == case["overrides"] and recorded.get("set") == sweep["set"]
            and recorded.get("base") == sweep["base"])


def already_done(case, sweep):
    recorded = recorded_case(case["folder"])
    return (recorded is not None and same_case(recorded, case, sweep)
            and summary_of(case["folder"]) is not None)


def run_case(case, sweep, radiotwin, dry_run):
    folder = case["folder"]
    if already_done(case, sweep):
        return {"status": "complete", "reused": True, "wall_s": 0.0}
    command = [radiotwin] + (["pbrpk"] if sweep["mode"] == "pbrpk" else []) + [sweep["base"]]
    for o in sweep["set"] + case["overrides"] + [f"Output/Directory={folder}"]:
        command += ["--set", o]
    if sweep["ranks"] > 1:
        launcher = shlex.split(sweep["mpiexec"])
        launcher[0] = shutil.which(launcher[0]) or launcher[0]
        command = launcher + ["-n", str(sweep["ranks"])] + command
    if dry_run:
        print("  " + " ".join(f"'{c}'" if " " in c else c for c in command))
        return {"status": "dry run", "reused": False, "wall_s": 0.0}
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "case.json"), "w") as f:
        json.dump({"base": sweep["base"], "set": sweep["set"], "overrides": case["overrides"]}, f,
                  indent=2)
    outcome_file = os.path.join(folder, "outcome.json")  # for --collect; written when it ends
    if os.path.exists(outcome_file):
        os.remove(outcome_file)
    env = dict(os.environ)
    env.update({"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                "OMPI_MCA_rmaps_base_oversubscribe": "1"})
    start = time.time()
    with open(os.path.join(folder, "run.log"), "w") as log:
        log.write("$ " + " ".join(command) + "\n")
        log.flush()
        proc = subprocess.run(command, stdout=log, stderr=subprocess.PIPE, text=True, env=env)
        log.write(proc.stderr)
    wall = time.time() - start
    if proc.returncode == 0 and summary_of(folder) is not None:
        outcome = {"status": "complete", "reused": False, "wall_s": wall}
    else:
        lines = [l for l in proc.stderr.splitlines() if l.strip()]
        reason = lines[-1] if lines else "no summary.json written"
        outcome = {"status": f"failed (exit {proc.returncode}): {reason}", "reused": False,
                   "wall_s": wall}
    with open(outcome_file, "w") as f:
        json.dump(outcome, f)
    return outcome


def collected_outcome(case, sweep):
    """--collect: the outcome of a case run earlier (by another job), read from its folder."""
    folder = case["folder"]
    try:
        with open(os.path.join(folder, "outcome.json")) as f:
            recorded = json.load(f)
    except (OSError, json.JSONDecodeError):
        recorded = {}
    wall = float(recorded.get("wall_s", 0.0))
    if already_done(case, sweep):
        return {"status": "complete", "reused": False, "wall_s": wall}
    ran = recorded_case(folder)
    if ran is None:
        return {"status": "missing (never run)", "reused": False, "wall_s": 0.0}
    if not same_case(ran, case, sweep):
        return {"status": "missing (the folder holds a case with other parameters)",
                "reused": False, "wall_s": 0.0}
    if str(recorded.get("status", "")).startswith("failed"):
        return {"status": recorded["status"], "reused": False, "wall_s": wall}
    return {"status": "unfinished (no complete summary.json: still running, or killed)",
            "reused": False, "wall_s": wall}


def metric(summary, path):
    node = summary
    for key in path.split("/"):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node if isinstance(node, (int, float)) else None


def write_results(sweep, cases, outcomes):
    params = sweep["parameters"]
    header = ["case"] + [p["label"] for p in params] + ["status", "reused", "wall_s"] + list(sweep["metrics"])
    rows = []
    for case, outcome in zip(cases, outcomes):
        summary = summary_of(case["folder"]) if outcome["status"] == "complete" else None
        row = [os.path.basename(case["folder"])]
        row += [p["x"][i] for p, i in zip(params, case["choice"])]
        row += [outcome["status"], outcome["reused"], f"{outcome['wall_s']:.1f}"]
        for path in sweep["metrics"].values():
            v = metric(summary, path) if summary else None
            row.append("" if v is None else f"{v:.8g}")
        rows.append(row)
    path = os.path.join(sweep["output"], "sweep_results.csv")
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    os.replace(tmp, path)
    return header, rows, path


def plot(sweep, header, rows):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("sweep: python3-matplotlib is not installed; no plots (apt-get install "
              "python3-matplotlib)", file=sys.stderr)
        return []
    params = sweep["parameters"]
    first = params[0]
    written = []
    n_params = len(params)
    for m, name in enumerate(sweep["metrics"]):
        column = 1 + n_params + 3 + m
        series = {}
        for row in rows:
            if row[column] == "":
                continue
            key = tuple(row[2:1 + n_params])  # the other parameters' values
            series.setdefault(key, []).append((float(row[1]), float(row[column])))
        if not series:
            continue
        fig, ax = plt.subplots(figsize=(6, 4.2))
        for key, points in sorted(series.items()):
            points.sort()
            label = ", ".join(f"{p['label']} = {v}" for p, v in zip(params[1:], key)) or None
            ax.plot([p[0] for p in points], [p[1] for p in points], "o-", label=label)
        xs = [float(r[1]) for r in rows]
        if first["log"] or (min(xs) > 0 and max(xs) / min(xs) > 100):
            ax.set_xscale("log")
        ax.set_xlabel(first["label"])
        ax.set_ylabel(name)
        ax.set_title(sweep["description"] or name, fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        if len(series) > 1:
            ax.legend(fontsize=7)
        fig.tight_layout()
        path = os.path.join(sweep["output"], f"{name}.png")
        fig.savefig(path + ".tmp.png", dpi=120)
        os.replace(path + ".tmp.png", path)
        plt.close(fig)
        written.append(path)
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sweep", help="sweep file (JSON)")
    parser.add_argument("--jobs", type=int, help="cases run side by side (default: the file's, or 1)")
    parser.add_argument("--ranks", type=int, help="MPI ranks per case (default: the file's, or 1)")
    parser.add_argument("--radiotwin", help="the radiotwin executable (default: build/radiotwin)")
    parser.add_argument("--mpiexec", help="MPI launcher of cases on more than one rank, called as "
                        "CMD -n R radiotwin ... (default: mpirun; e.g. srun)")
    parser.add_argument("--output", help="the sweep's folder (default: the file's 'output')")
    parser.add_argument("--dry-run", action="store_true", help="print the commands only")
    parser.add_argument("--no-plots", action="store_true", help="write the CSV only")
    one = parser.add_mutually_exclusive_group()
    one.add_argument("--case", type=int, metavar="K",
                     help="run case K only (0-based; one task of a job array); writes no CSV")
    one.add_argument("--collect", action="store_true",
                     help="run nothing: collect the case folders into the CSV and plots")
    one.add_argument("--count", action="store_true", help="print the number of cases and exit")
    args = parser.parse_args()
    try:
        sweep = load_sweep(args.sweep, args)
        cases = make_cases(sweep)
        if args.case is not None and not 0 <= args.case < len(cases):
            raise SweepError(f"--case {args.case}: the sweep has cases 0 to {len(cases) - 1}")
        radiotwin = None if args.count or args.collect else find_radiotwin(args.radiotwin)
    except SweepError as e:
        print(f"sweep: error: {e}", file=sys.stderr)
        return 1
    if args.count:
        print(len(cases))
        return 0

    os.makedirs(sweep["output"], exist_ok=True)
    if args.collect:
        print(f"sweep: collecting {len(cases)} case(s) of {os.path.basename(sweep['base'])} "
              f"from {sweep['output']}/")
        outcomes = [collected_outcome(c, sweep) for c in cases]
        for c, o in zip(cases, outcomes):
            print(f"  case_{c['index']:03d} {'; '.join(c['overrides'])}: {o['status']}")
    else:
        selected = cases if args.case is None else [cases[args.case]]
        what = f"case {args.case} of {len(cases)}" if args.case is not None else f"{len(cases)} case(s)"
        print(f"sweep: {what} of {os.path.basename(sweep['base'])} into "
              f"{sweep['output']}/, {sweep['jobs']} at a time, {sweep['ranks']} rank(s) each")
        outcomes = [None] * len(cases)
        start = time.time()
        with concurrent.futures.ThreadPoolExecutor(max_workers=sweep["jobs"]) as pool:
            futures = {pool.submit(run_case, c, sweep, radiotwin, args.dry_run): c for c in selected}
            done = 0
            for future in concurrent.futures.as_completed(futures):
                case = futures[future]
                outcomes[case["index"]] = future.result()
                done += 1
                o = outcomes[case["index"]]
                note = "already done" if o["reused"] else f"{o['wall_s']:.1f} s"
                print(f"  [{done}/{len(selected)}] case_{case['index']:03d} "
                      f"{'; '.join(case['overrides'])}: {o['status']} ({note}); "
                      f"elapsed {time.time() - start:.0f} s", flush=True)
        if args.dry_run:
            return 0
        if args.case is not None:  # one array task: the collection writes the CSV
            complete = outcomes[args.case]["status"] == "complete"
            if not complete:
                print(f"  failed: {selected[0]['folder']} (see its run.log)", file=sys.stderr)
            return 0 if complete else 3
    header, rows, csv_path = write_results(sweep, cases, outcomes)
    plots = [] if args.no_plots else plot(sweep, header, rows)
    failed = [c for c, o in zip(cases, outcomes) if o["status"] != "complete"]
    print(f"sweep: {len(cases) - len(failed)} complete, {len(failed)} failed; results: {csv_path}"
          + (f", {len(plots)} plot(s)" if plots else ""))
    for c, o in zip(cases, outcomes):
        if o["status"] != "complete":
            print(f"  {o['status'].split(' ')[0]}: {c['folder']}"
                  + (" (see its run.log)" if os.path.isfile(os.path.join(c["folder"], "run.log")) else ""),
                  file=sys.stderr)
    return 3 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
