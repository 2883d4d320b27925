#!/usr/bin/env python3
"""Write block.msh: a 3x3x3 block of 2 mm hexahedra (Gmsh format 2.2, ASCII), the centre cell
in physical volume group 1 (tumour), the others in group 2 (host). A small, hand-checkable
mesh for the Gmsh import path; coordinates in mm.

    python3 meshes/examples/make_block_msh.py > meshes/examples/block.msh
"""
n = 3
h = 2.0
x0 = -3.0
nodes = {}
for k in range(n + 1):
    for j in range(n + 1):
        for i in range(n + 1):
            nodes[(i, j, k)] = len(nodes) + 1
print("$MeshFormat\n2.2 0 8\n$EndMeshFormat")
print("$PhysicalNames\n2\n3 1 \"tumour\"\n3 2 \"host\"\n$EndPhysicalNames")
print("$Nodes\n%d" % len(nodes))
for (i, j, k), tag in nodes.items():
    print(tag, x0 + i * h, x0 + j * h, x0 + k * h)
print("$EndNodes")
cells = []
for k in range(n):
    for j in range(n):
        for i in range(n):
            corners = [(i, j, k), (i + 1, j, k), (i + 1, j + 1, k), (i, j + 1, k),
                       (i, j, k + 1), (i + 1, j, k + 1), (i + 1, j + 1, k + 1), (i, j + 1, k + 1)]
            group = 1 if (i, j, k) == (1, 1, 1) else 2
            cells.append((group, [nodes[c] for c in corners]))
print("$Elements\n%d" % len(cells))
for e, (group, c) in enumerate(cells, start=1):
    print(e, 5, 2, group, group, *c)
print("$EndElements")
