#!/usr/bin/env python3
"""Run one bad-input case of bad_input_cases.txt and check how radiotwin fails: exit status 1,
exactly one line on stderr that matches the case's pattern, no deal.II backtrace, and no output
folder created."""
import argparse, os, re, shutil, subprocess, sys

ap = argparse.ArgumentParser()
ap.add_argument("--cases", required=True, help="bad_input_cases.txt")
ap.add_argument("--case", required=True)
ap.add_argument("--radiotwin", required=True)
ap.add_argument("--mpiexec", required=True)
ap.add_argument("--work", required=True)
args = ap.parse_args()

case = None
for line in open(args.cases):
    if line.strip() and not line.startswith("#"):
        name, ranks, pattern, arguments = [f.strip() for f in line.split(" | ", 3)]
        if name == args.case:
            case = (int(ranks), pattern, [a.strip() for a in arguments.split(" ! ")])
if case is None:
    sys.exit("no case named %s in %s" % (args.case, args.cases))
ranks, pattern, arguments = case

cases_dir = os.path.join(os.path.dirname(os.path.abspath(args.cases)), "cases")
output_dir = os.path.join(args.work, "bad_input_" + args.case)
shutil.rmtree(output_dir, ignore_errors=True)
# One rank: the executable alone, as a user runs it. More: under mpiexec, whose own banner
# about the non-zero exit (framed by dashed lines) is not radiotwin's message.
launcher = [args.mpiexec, "-n", str(ranks)] if ranks > 1 else []
# Leading NAME=value arguments set the environment (RADIOTWIN_MEMORY_PER_RANK_MB=300).
env = dict(os.environ)
while arguments and re.fullmatch(r"[A-Z_]+=.*", arguments[0]):
    name, value = arguments.pop(0).split("=", 1)
    env[name] = value
cmd = launcher + [args.radiotwin] + arguments + ["--set", "Output/Directory=" + output_dir]
r = subprocess.run(cmd, capture_output=True, text=True, cwd=cases_dir, env=env)
stderr = re.sub(r"-{20,}\n.*?-{20,}\n", "", r.stderr, flags=re.S) if ranks > 1 else r.stderr

problems = []
if r.returncode != 1:
    problems.append("exit status %d, expected 1" % r.returncode)
lines = [l for l in stderr.splitlines() if l.strip()]
if len(lines) != 1:
    problems.append("expected one line on stderr, got %d" % len(lines))
if not re.search(pattern, stderr):
    problems.append("message does not match /%s/" % pattern)
for bad in ("Stacktrace", "An error occurred in line", "terminate called", "Aborted"):
    if bad in r.stderr or bad in r.stdout:
        problems.append("output contains '%s'" % bad)
if os.path.exists(output_dir):
    problems.append("output folder %s was created" % output_dir)
print("command:", " ".join(cmd))
print("stderr:", stderr.strip())
if problems:
    print("FAILED:", "; ".join(problems))
    sys.exit(1)
