#!/usr/bin/env python3
"""Check that rendered images are real pictures: each file exists, is a valid PNG of plausible
size and is not blank (more than one colour, enough pixels differing from the background,
enough contrast). One line per image with the measured numbers; exit status 1 and a line
naming what is wrong when any check fails.

    check_images.py PNG...                          the files given
    check_images.py DIR [--expect NAME...]          the files NAME in DIR (default: every PNG in it)

The background is the most frequent colour of the image border; a pixel is non-background
when one of its channels differs from it by more than 8 (of 255). Needs Pillow and numpy
(Debian: python3-pil, python3-numpy).
"""
import argparse
import os
import sys

try:
    import numpy as np
    from PIL import Image
except ImportError as e:
    sys.exit("check_images: needs Pillow and numpy (%s); Debian: apt-get install python3-pil "
             "python3-numpy, then run with /usr/bin/python3" % e)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def measure(path):
    """Width, height, number of colours, background colour and share, non-background
    fraction and the standard deviation of the grey values (0-255) of one PNG."""
    with open(path, "rb") as f:
        if f.read(8) != PNG_SIGNATURE:
            raise ValueError("not a PNG file (bad signature)")
    with Image.open(path) as image:
        image.verify()  # checks the chunks and their CRCs
    with Image.open(path) as image:
        rgb = np.asarray(image.convert("RGB"), dtype=np.int16)
    height, width = rgb.shape[:2]
    flat = rgb.reshape(-1, 3)
    packed = (flat[:, 0].astype(np.int64) << 16) | (flat[:, 1] << 8) | flat[:, 2]
    colours = len(np.unique(packed))
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    values, counts = np.unique(border, axis=0, return_counts=True)
    background = values[np.argmax(counts)]
    differs = (np.abs(flat - background) > 8).any(axis=1)
    grey = flat @ np.array([0.299, 0.587, 0.114])
    return {"width": width, "height": height, "colours": colours,
            "background": tuple(int(c) for c in background),
            "foreground": float(differs.mean()), "std": float(grey.std())}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="PNG files, or one folder")
    parser.add_argument("--expect", nargs="+", metavar="NAME",
                        help="with a folder: the file names that must be in it")
    parser.add_argument("--min-size", default="200x150", help="smallest WIDTHxHEIGHT (200x150)")
    parser.add_argument("--max-size", default="10000x10000", help="largest WIDTHxHEIGHT")
    parser.add_argument("--min-foreground", type=float, default=0.02,
                        help="smallest fraction of non-background pixels (0.02)")
    parser.add_argument("--min-std", type=float, default=5.0,
                        help="smallest standard deviation of the grey values, 0-255 (5)")
    args = parser.parse_args()
    min_w, min_h = (int(n) for n in args.min_size.lower().split("x"))
    max_w, max_h = (int(n) for n in args.max_size.lower().split("x"))

    if len(args.paths) == 1 and os.path.isdir(args.paths[0]):
        folder = args.paths[0]
        names = args.expect or sorted(n for n in os.listdir(folder) if n.lower().endswith(".png"))
        if not names:
            sys.exit("check_images: FAILED: no PNG in %s" % folder)
        files = [os.path.join(folder, n) for n in names]
    elif args.expect:
        sys.exit("check_images: --expect needs exactly one folder before it")
    else:
        files = args.paths

    failures = []
    for path in files:
        problem = None
        if os.path.isdir(path):
            problem = "a folder (give a folder alone, with --expect NAME...)"
        elif not os.path.isfile(path):
            problem = "missing"
        else:
            try:
                m = measure(path)
            except Exception as e:  # a truncated or corrupt file: Pillow raises various errors
                problem = "not a valid PNG (%s)" % e
        if problem is None:
            print("%s: %dx%d, %d colours, background %s, non-background %.1f %%, grey std %.1f"
                  % (path, m["width"], m["height"], m["colours"], m["background"],
                     100 * m["foreground"], m["std"]))
            if not (min_w <= m["width"] <= max_w and min_h <= m["height"] <= max_h):
                problem = "size %dx%d outside %s..%s" % (m["width"], m["height"], args.min_size,
                                                        args.max_size)
            elif m["colours"] < 2:
                problem = "a single colour"
            elif m["foreground"] <= args.min_foreground:
                problem = "blank: only %.2f %% of the pixels differ from the background (need > %g %%)" % (
                    100 * m["foreground"], 100 * args.min_foreground)
            elif m["std"] <= args.min_std:
                problem = "too little contrast: grey std %.2f (need > %g)" % (m["std"], args.min_std)
        if problem:
            print("FAILED %s: %s" % (path, problem))
            failures.append(path)
    if failures:
        sys.exit("check_images: %d of %d images failed: %s" % (len(failures), len(files),
                                                               " ".join(failures)))
    print("check_images: all %d images ok" % len(files))


if __name__ == "__main__":
    main()
