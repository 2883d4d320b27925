#!/usr/bin/env python3
"""Regression cases: run a shipped case and compare its results with the stored reference.

    regression.py run CASE --radiotwin EXE --work DIR [--set A/B=v ...] [--expect-difference]
    regression.py bless [CASE ...] --radiotwin EXE --work DIR

A case is tests/regression/CASE.prm, a complete parameter file whose first line says how it
runs and how closely it must agree:

    # regression: [mode=pbrpk] ranks=N rtol=R [atol=A] [restart_at_h=T]

Its reference is tests/regression/CASE/: summary.json and the CSV files of the run. `run`
compares every number of them with tests/cli/compare_runs.py: a pair agrees when
|a - b| <= rtol max(|a|, |b|) + atol; wall times, memory, versions, and CVODE work counters
are not compared; round-off measures (balance defects, relative residuals) only need to stay
below 1e-9 in both runs. `--expect-difference` inverts the verdict (the test that a deliberate
change of a physical parameter is caught). `restart_at_h=T` writes a checkpoint at T, then
resumes the finished run from it: the resumed results are compared.

`bless` reruns the cases (all without names) and stores their outputs as the new reference,
after an intended change of results; review `git diff tests/regression` before committing.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
COMPARE = os.path.join(HERE, "..", "cli", "compare_runs.py")
STORED = re.compile(r"^(summary\.json|.*\.csv)$")


def case_names():
    return sorted(f[:-4] for f in os.listdir(HERE) if f.endswith(".prm"))


def directives(case):
    first = open(os.path.join(HERE, case + ".prm")).readline()
    m = re.match(r"#\s*regression:(.*)", first)
    if not m:
        sys.exit(f"{case}.prm:1: the first line must be '# regression: ranks=N rtol=R ...'")
    d = dict(kv.split("=", 1) for kv in m.group(1).split())
    d.setdefault("mode", "simulate")
    d.setdefault("ranks", "1")
    d.setdefault("atol", "1e-300")
    if "rtol" not in d:
        sys.exit(f"{case}.prm:1: rtol= is missing")
    return d


def run_case(case, exe, work, overrides):
    d = directives(case)
    out = os.path.join(work, case)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(work, exist_ok=True)
    n = int(d["ranks"])
    launcher = [os.environ.get("MPIEXEC", "mpirun"), "-n", str(n)] if n > 1 else []
    base = launcher + [exe] + (["pbrpk"] if d["mode"] == "pbrpk" else [])
    base += [os.path.join(HERE, case + ".prm"), "--set", f"Output/Directory={out}"]
    for o in overrides:
        base += ["--set", o]
    commands = [base]
    if "restart_at_h" in d:
        commands = [base + ["--set", f"Checkpoint/At times [h]={d['restart_at_h']}"],
                    base + ["--set", f"Checkpoint/At times [h]={d['restart_at_h']}",
                            "--resume", out]]
    log = open(out + ".log", "w")
    for c in commands:
        log.write("$ " + " ".join(c) + "\n")
        log.flush()
        rc = subprocess.call(c, stdout=log, stderr=subprocess.STDOUT)
        if rc != 0:
            print(open(out + ".log").read()[-3000:])
            sys.exit(f"{case}: radiotwin exited with {rc} (log {out}.log)")
    if "restart_at_h" in d and "resuming from" not in open(out + ".log").read():
        sys.exit(f"{case}: the second run did not resume from a checkpoint (log {out}.log)")
    return out, d


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("action", choices=["run", "bless"])
    p.add_argument("cases", nargs="*")
    p.add_argument("--radiotwin", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--set", action="append", default=[], dest="overrides")
    p.add_argument("--expect-difference", action="store_true")
    a = p.parse_args()
    cases = a.cases or (case_names() if a.action == "bless" else [])
    if not cases:
        sys.exit("run: name the case")
    unknown = [c for c in cases if c not in case_names()]
    if unknown:
        sys.exit(f"unknown case(s) {', '.join(unknown)}; the cases: {', '.join(case_names())}")
    status = 0
    for case in cases:
        out, d = run_case(case, os.path.abspath(a.radiotwin), os.path.abspath(a.work), a.overrides)
        ref = os.path.join(HERE, case)
        if a.action == "bless":
            shutil.rmtree(ref, ignore_errors=True)
            os.makedirs(ref)
            for f in sorted(os.listdir(out)):
                if STORED.match(f):
                    shutil.copy(os.path.join(out, f), ref)
            print(f"{case}: reference stored in {ref} ({len(os.listdir(ref))} files)")
            continue
        print(f"{case}: {out} against {ref}")
        rc = subprocess.call([sys.executable, COMPARE, ref, out, "--rtol", d["rtol"],
                              "--atol", d["atol"], "--round-off", "1e-9"])
        if a.expect_difference:
            print("the change was detected" if rc != 0 else "FAILED: the change was not detected")
            rc = 0 if rc != 0 else 1
        status = status or rc
    return status


if __name__ == "__main__":
    sys.exit(main())
