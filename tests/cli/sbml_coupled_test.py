#!/usr/bin/env python3
"""An imported SBML whole-body model coupled to the meshed lesion (docs/sbml.md).

The native model is exported (radiotwin pbrpk, 'Export native model'); a short coupled run
with the native model and the same run with 'Whole body/Model = sbml' and the exported
mapping must agree: every organ's and lesion's TIA, dose and BED in summary.json's whole_body
section and the meshed tumour's mean dose, to the tolerance given (the two integrate the same
equations; the imported model's Jacobian is by differences). The imported coupled run must
also conserve ligand to round-off. A coupled run whose mapping names no plasma species is
refused with one message naming the parameter.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

COARSE = ["--set", "Geometry/Global refinements=2", "--set", "Geometry/Rim refinements=1",
          "--set", "Transport/Time stepping/End time [h]=48",
          "--set", "Transport/Time stepping/Output times [h]=48", "--set", "Output/Plots=false",
          # A fixed schedule (30-min steps) and the exchange Newton to round-off, so that the
          # step sizes and the iteration path do not depend on the last digits of the body.
          "--set", "Transport/Time stepping/Step control=growth",
          "--set", "Transport/Time stepping/Initial time step [min]=30",
          "--set", "Transport/Time stepping/Time step growth factor [-]=1",
          "--set", "Coupling/Plasma tolerance [-]=1e-10"]


def run(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


def mapping_overrides(prm_path):
    """The 'Whole body/SBML' block the export appended, as --set arguments."""
    text = open(prm_path).read()
    block = text[text.index("# RadioTwin"):]
    sets, path = [], []
    for line in block.splitlines():
        line = line.strip()
        if line.startswith("subsection "):
            path.append(line[len("subsection "):])
        elif line == "end":
            path.pop()
        elif line.startswith("set ") and path[:1] == ["Whole body"]:
            name, value = line[4:].split("=", 1)
            value = value.strip()
            if name.strip() == "File":
                value = os.path.join(os.path.dirname(prm_path), value)
            sets += ["--set", "/".join(path + [name.strip()]) + "=" + value]
    return sets


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--radiotwin", required=True)
    parser.add_argument("--mpiexec", required=True)
    parser.add_argument("--pbrpk-config", required=True)
    parser.add_argument("--coupled-config", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--tolerance", type=float, default=1e-7)
    parser.add_argument("--compare", required=True, help="cluster/tools/compare_summaries.py")
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    export = os.path.join(args.work, "export")
    rc, out = run([args.radiotwin, "pbrpk", args.pbrpk_config, "--set", "Output/Directory=" + export,
                   "--set", "Whole body/SBML/Export native model=true", "--set", "Output/Plots=false"])
    if rc != 0:
        sys.exit("export failed:\n" + out)
    sbml = mapping_overrides(os.path.join(export, "whole_body_sbml.prm"))
    mpi = [args.mpiexec, "-n", "2", args.radiotwin, args.coupled_config] + COARSE
    results = {}
    for name, extra in (("native", []), ("imported", sbml)):
        folder = os.path.join(args.work, name)
        rc, out = run(mpi + ["--set", "Output/Directory=" + folder] + extra)
        print(out[-1500:])
        if rc != 0:
            sys.exit("%s coupled run failed (exit %d)" % (name, rc))
        results[name] = json.load(open(os.path.join(folder, "summary.json")))

    failures = []
    # Every TIA, dose and BED of summary.json: the organs, the lesions, the meshed tumour's
    # regions (cluster/tools/compare_summaries.py).
    rc, out = run([sys.executable, args.compare] + [os.path.join(args.work, n, "summary.json")
                                                    for n in ("native", "imported")] +
                  ["--limit", str(args.tolerance)])
    print(out.strip())
    if rc != 0:
        failures.append("summary.json figures differ by more than %g" % args.tolerance)
    b = results["imported"]["whole_body"]
    defect = b["conservation"]["max_relative_defect_total_ligand"]
    print("imported coupled run: total ligand conserved to %.3g" % defect)
    if defect > 1e-10:
        failures.append("the imported coupled run loses ligand: %.3g" % defect)

    no_plasma = []
    for flag, value in zip(sbml[::2], sbml[1::2]):
        if not value.startswith("Whole body/SBML/Plasma species"):
            no_plasma += [flag, value]
    rc, out = run(mpi + ["--set", "Output/Directory=" + os.path.join(args.work, "bad")] + no_plasma +
                  ["--set", "Whole body/SBML/Plasma species="])
    message = [line for line in out.splitlines() if line.startswith("radiotwin: error")]
    print(message[0] if message else out.strip()[-400:])
    if rc != 1 or not message or "Plasma species" not in message[0]:
        failures.append("a coupled run without plasma species gave exit %d" % rc)
    if failures:
        print("\n".join("FAIL: " + f for f in failures))
        sys.exit(1)
    print("sbml coupled: passed")


if __name__ == "__main__":
    main()
