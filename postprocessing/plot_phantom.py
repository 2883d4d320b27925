#!/usr/bin/env python3
"""Pictures of a synthetic patient (radiotwin phantom): coronal slices of its SPECT images.

    python3 postprocessing/plot_phantom.py RUN [--output FILE.png]

Reads RUN/labels.nii, RUN/labels.csv and RUN/spect_*.nii (NIfTI-1, float32, as radiotwin writes
them) and draws, for every imaging time, the coronal slice through the kidneys' centre of the
activity concentration [kBq/mL] (one logarithmic colour scale), with the organ outlines of the
label map. Writes RUN/phantom.png. Exit status: 0 written, 1 bad input, 2 no matplotlib.
"""
import argparse
import csv
import glob
import os
import re
import struct
import sys


def read_nifti(path):
    import numpy as np
    with open(path, "rb") as f:
        raw = f.read()
    if struct.unpack("<i", raw[:4])[0] != 348:
        raise SystemExit("plot_phantom: error: %s is not a little-endian NIfTI-1 file" % path)
    dims = struct.unpack("<8h", raw[40:56])
    datatype = struct.unpack("<h", raw[70:72])[0]
    pixdim = struct.unpack("<8f", raw[76:108])
    offset = int(struct.unpack("<f", raw[108:112])[0])
    slope, intercept = struct.unpack("<2f", raw[112:120])
    if datatype != 16:
        raise SystemExit("plot_phantom: error: %s: float32 data expected (datatype %d)" % (path, datatype))
    n = dims[1] * dims[2] * dims[3]
    data = np.frombuffer(raw, dtype="<f4", count=n, offset=offset).reshape(dims[3], dims[2], dims[1])
    if slope not in (0.0, 1.0) or intercept != 0.0:
        data = data * (slope or 1.0) + intercept
    return data, pixdim[1:4]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run", help="the phantom's output folder")
    p.add_argument("--output", help="the PNG to write (default RUN/phantom.png)")
    args = p.parse_args()
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np
        from matplotlib.colors import LogNorm
    except ImportError:
        print("plot_phantom: matplotlib and numpy are needed (apt-get install python3-matplotlib)", file=sys.stderr)
        return 2
    labels, spacing = read_nifti(os.path.join(args.run, "labels.nii"))
    names = {int(r["label"]): r["name"] for r in csv.DictReader(open(os.path.join(args.run, "labels.csv")))}
    images = sorted(glob.glob(os.path.join(args.run, "spect_*h.nii")))
    if not images:
        raise SystemExit("plot_phantom: error: no spect_*h.nii in %s" % args.run)
    kidney = [k for k, v in names.items() if v.startswith("kidney")]
    ys = np.nonzero(np.isin(labels, kidney))[1] if kidney else [labels.shape[1] // 2]
    y = int(np.median(ys))
    volumes = [read_nifti(f)[0] for f in images]
    top = max(v[:, y, :].max() for v in volumes) / 1e3
    fig, axes = plt.subplots(1, len(images), figsize=(1.9 * len(images) + 1.6, 4.4), constrained_layout=True)
    extent = [0, labels.shape[2] * spacing[0], 0, labels.shape[0] * spacing[2]]
    for ax, path, volume in zip(np.atleast_1d(axes), images, volumes):
        t = re.search(r"spect_(\d+)h", path).group(1).lstrip("0") or "0"
        im = ax.imshow(np.maximum(volume[:, y, :] / 1e3, top * 1e-4), origin="lower", extent=extent,
                       cmap="inferno", norm=LogNorm(vmin=top * 1e-4, vmax=top))
        organ = labels[:, y, :]
        for k in names:
            if names[k] != "body" and (organ == k).any():
                ax.contour((organ == k).astype(float), levels=[0.5], colors="cyan", linewidths=0.6,
                           extent=extent, origin="lower")
        ax.set_title("%s h" % t, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(im, ax=axes, shrink=0.8, label="activity concentration [kBq/mL]")
    fig.suptitle("synthetic patient: coronal SPECT slice through the kidneys, organ outlines in cyan", fontsize=9)
    out = args.output or os.path.join(args.run, "phantom.png")
    fig.savefig(out, dpi=100)
    print("plot_phantom: wrote " + out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
