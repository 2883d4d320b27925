#!/usr/bin/env python3
"""The include direction of RadioTwin's layers: a file includes only its own layer or those below.

    check_layers.py [SOURCE_DIR]
    check_layers.py --self-test     (an upward include in a small tree must be reported)

The layers, lowest first (a folder's layer is that of its longest matching prefix):

    physics/base/    foundation: errors with file:line, parameter files, CSV tables, JSON, units,
                     atomic files, version
    physics/         pure laws and small structs, no mesh
    meshes/          distributed mesh, regions, vessel networks and their files, generators
    solvers/         Darcy, transport, oxygen, dose, each owning its DoFs and vectors
    coupling/        tumour <-> whole body, vessels <-> tissue, the whole-body model
    postprocessing/  writers (VTU/PVD, profiles, tables), called by the application
    coupling/app/    main, command line, Simulator and its parts, pbrpk driver, checkpoints

Tests (tests/) may include any layer. Exit 1 with one line per upward include
(file:line: what it includes, and the two layers).
"""
import os
import re
import sys

LAYERS = ["physics/base/", "physics/", "meshes/", "solvers/", "coupling/", "postprocessing/",
          "coupling/app/"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def layer_of(path):
    matches = [l for l in LAYERS if path.startswith(l)]
    return max(matches, key=len) if matches else None


def self_test():
    import tempfile
    with tempfile.TemporaryDirectory() as top:
        files = {"physics/base/table.h": "", "physics/law.h": '#include "physics/base/table.h"\n',
                 "solvers/solver.h": '#include "physics/law.h"\n',
                 "meshes/mesh.h": '#include "physics/law.h"\n#include "solvers/solver.h"\n',
                 "coupling/app/main.cc": '#include "postprocessing/writer.h"\n',
                 "postprocessing/writer.h": '#include "coupling/app/simulator.h"\n'}
        for name, text in files.items():
            os.makedirs(os.path.join(top, os.path.dirname(name)), exist_ok=True)
            open(os.path.join(top, name), "w").write(text)
        problems, n = check(top)
    expected = ["meshes/mesh.h:2", "postprocessing/writer.h:1"]
    found = [p.split(": ")[0] for p in problems]
    print("\n".join(problems))
    if found != expected or n != len(files):
        print(f"FAILED: expected upward includes at {expected}, found {found}")
        return 1
    print("self-test: the two upward includes were reported, the four downward ones were not")
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    top = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                          os.path.join(os.path.dirname(__file__), "..", ".."))
    problems, files = check(top)
    for p in problems:
        print(p)
    print(f"{files} files checked, {len(problems)} upward include(s)")
    return 1 if problems or files == 0 else 0


def check(top):
    problems, files = [], 0
    for folder in sorted({l.split("/")[0] for l in LAYERS}):
        for root, _, names in os.walk(os.path.join(top, folder)):
            for name in sorted(names):
                if not name.endswith((".h", ".cc", ".h.in")):
                    continue
                path = os.path.relpath(os.path.join(root, name), top)
                mine = layer_of(path)
                files += 1
                for number, line in enumerate(open(os.path.join(root, name)), 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    target = layer_of(m.group(1))
                    if target is None:
                        continue  # generated or third-party
                    if LAYERS.index(target) > LAYERS.index(mine):
                        problems.append(f"{path}:{number}: includes \"{m.group(1)}\": layer "
                                        f"{mine} must not include the higher layer {target}")
    return problems, files


if __name__ == "__main__":
    sys.exit(main())
