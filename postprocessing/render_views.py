"""Render the standard views of a RadioTwin run to PNG with ParaView (pvbatch).

Usage (headless; see README "Looking at results"):
    xvfb-run -a pvbatch postprocessing/render_views.py RUN_DIR [OUT_DIR]
                                                       [--times 1,24,168] [--size 1200x900]
                                                       [--activity-scale linear|log]

All views are slices by the mid-plane (z = centre of the data's bounds, seen from +z), each
with a scalar bar titled by the array name (which carries the unit) and a title giving the
time in h. Written to OUT_DIR (default RUN_DIR), named <array>_t<time>h.png:
  - activity_MBq_per_mL at the first, a middle and the last output time of transport.pvd, on
    one colour scale (--times: the output times nearest to those given instead), linear from
    the lowest to the highest value, or with --activity-scale log logarithmic over the three
    decades below the highest (the activity of a 14-day run falls a hundredfold);
  - dose_Gy and bed_hypoxia_adjusted_Gy at the last output time;
  - pO2_mmHg from the Darcy/oxygen output (radiotwin.pvd, t = 0 h), or else from the last
    transport output, with the boundary of the hypoxic region (array 'hypoxic' = 0.5) as a
    white line and the vessels of vessel_network.vtp within 0.1 mm of the plane in red.
A view whose array the run does not have (an older run, a run without transport) is skipped
with a notice. Exit status 0 (the PNGs written are listed), 1 when RUN_DIR holds no .pvd.
"""
import argparse
import glob
import json
import os
import sys

from paraview.simple import (ColorBy, Contour, ExtractEdges, Hide, PVDReader, SaveScreenshot, Show,
                             Text, XMLPolyDataReader)
from vtkmodules.vtkCommonCore import vtkLogger

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pv_common import colour, midplane, show_lines, vessel_slab, white_view  # noqa: E402

ACTIVITY = "activity_MBq_per_mL"
LAST_TIME_VIEWS = [("dose_Gy", "Turbo"), ("bed_hypoxia_adjusted_Gy", "Turbo")]
OXYGEN, HYPOXIC = "pO2_mmHg", "hypoxic"
SLAB_HALF_WIDTH = 1e-4  # m: the vessels drawn are those within 0.1 mm of the plane
VESSEL_RGB = (1.0, 0.1, 0.1)


def parse_arguments():
    parser = argparse.ArgumentParser(
        prog="pvbatch postprocessing/render_views.py",
        description="Mid-plane views (activity, dose, BED, pO2 with vessels) of a RadioTwin run as PNG.")
    parser.add_argument("run_dir", help="results folder of a run (transport.pvd, radiotwin.pvd, ...)")
    parser.add_argument("out_dir", nargs="?", help="where the PNGs go (default RUN_DIR)")
    parser.add_argument("--times", help="activity times in h, comma separated; the nearest output "
                        "times are used (default: first, middle and last output time)")
    parser.add_argument("--size", default="1200x900", help="image size WIDTHxHEIGHT in pixels")
    parser.add_argument("--activity-scale", choices=("linear", "log"), default="linear",
                        help="the activity views' common colour scale: linear (default) or "
                        "logarithmic over three decades")
    args = parser.parse_args()
    try:
        args.size = [int(n) for n in args.size.lower().split("x")]
        assert len(args.size) == 2 and min(args.size) >= 100
    except (ValueError, AssertionError):
        parser.error("--size wants WIDTHxHEIGHT, e.g. 1200x900 (at least 100 pixels each)")
    if args.times is not None:
        try:
            args.times = [float(t) for t in args.times.split(",") if t.strip()]
            assert args.times
        except (ValueError, AssertionError):
            parser.error("--times wants hours separated by commas, e.g. 1,24,168")
    args.out_dir = args.out_dir or args.run_dir
    return args


def time_values(reader):
    values = reader.TimestepValues
    try:
        return sorted(float(t) for t in values)
    except TypeError:  # one time step: ParaView gives a number
        return [float(values)]


def nearest(times, wanted):
    chosen = []
    for w in wanted:
        t = min(times, key=lambda s: abs(s - w))
        if abs(t - w) > 1e-9 * max(1.0, abs(w)):
            print("render_views: no output at %g h, using the nearest, %g h" % (w, t))
        if t not in chosen:
            chosen.append(t)
    return sorted(chosen)


class Run:
    """The readers of one results folder, each with its mid-plane slice."""

    def __init__(self, folder):
        self.folder = folder
        self.transport = self._reader("transport.pvd")
        self.darcy = self._reader("radiotwin.pvd")
        network_file = os.path.join(folder, "vessel_network.vtp")
        self.network = XMLPolyDataReader(FileName=network_file) if os.path.exists(network_file) else None

    def _reader(self, name):
        path = os.path.join(self.folder, name)
        if not os.path.exists(path):
            return None
        reader = PVDReader(FileName=path)
        times = time_values(reader)
        reader.UpdatePipeline(times[0])
        zmin, zmax = reader.GetDataInformation().GetBounds()[4:6]
        # The centre of the bounds, nudged by 1e-6 of the height: the meshes are symmetric, and
        # a plane through their faces leaves gaps in the slice.
        z = 0.5 * (zmin + zmax)
        plane = midplane(reader, z + 1e-6 * (zmax - zmin))
        return {"reader": reader, "times": times, "z": z, "height": zmax - zmin, "slice": plane,
                "edges": ExtractEdges(Input=plane), "arrays": set(reader.PointData.keys()),
                "file": name}


def place_bar(bar):
    """A vertical scalar bar at the right edge, big enough to read."""
    bar.WindowLocation = "Any Location"
    bar.Orientation = "Vertical"
    bar.Position = [0.84, 0.1]
    bar.ScalarBarLength = 0.76
    bar.ScalarBarThickness = 24
    bar.TitleFontSize = 22
    bar.LabelFontSize = 18
    bar.RangeLabelFormat = "%-#.3g"
    bar.AddRangeLabels = 1


def fit_camera(view, bounds, size):
    """Parallel projection from +z, the slice filling the left 80 % (the bar is on the right)
    below the title."""
    xmin, xmax, ymin, ymax = bounds[:4]
    width, height = size
    room_x, room_y = 0.80, 0.82  # fractions of the image the slice may fill
    centre_x, centre_y = 0.42, 0.46  # where its centre goes (fractions of the image)
    scale = max((ymax - ymin) / (2 * room_y), (xmax - xmin) * height / (2 * room_x * width))
    world_w, world_h = 2 * scale * width / height, 2 * scale
    fx = 0.5 * (xmin + xmax) + (0.5 - centre_x) * world_w
    fy = 0.5 * (ymin + ymax) + (0.5 - centre_y) * world_h
    view.CameraParallelProjection = 1
    view.CameraPosition = [fx, fy, 1.0]
    view.CameraFocalPoint = [fx, fy, 0.0]
    view.CameraViewUp = [0, 1, 0]
    view.CameraParallelScale = scale


class Renderer:
    def __init__(self, out_dir, size):
        self.out_dir, self.size = out_dir, size
        self.view = white_view(size)
        self.title = Text(Text="")
        self.written = []

    def render(self, source, time, field, preset, data_range=None, subtitle="", overlays=(),
               log=False):
        """One PNG: the slice of source at time coloured by field, with overlays (functions
        that show something more in the view and return its display) just for this image."""
        view = self.view
        view.ViewTime = time
        plane = source["slice"]
        plane.UpdatePipeline(time)
        source["edges"].UpdatePipeline(time)
        # deal.II writes each cell on its own: where refinement levels meet on a curved
        # surface (hanging nodes) the slice has hairline cracks. The cell edges, drawn thick
        # just behind the slice in the same colours, fill them. Coloured before the slice:
        # ColorBy rescales the shared colour map to the edges' range, colour() then sets it.
        filler = Show(source["edges"], view)
        ColorBy(filler, ("POINTS", field))
        filler.LineWidth = 3.0
        filler.Ambient, filler.Diffuse = 1.0, 0.0
        filler.Position = [0.0, 0.0, -0.01 * source["height"]]
        display = Show(plane, view)
        place_bar(colour(display, view, field, field, preset, data_range=data_range, log=log))
        display.Ambient, display.Diffuse = 1.0, 0.0  # unlit: the colours of the bar exactly
        self.title.Text = "%s at t = %g h\nmid-plane z = %.3g mm%s" % (
            field, time, source["z"] * 1e3, ("; " + subtitle) if subtitle else "")
        title_display = Show(self.title, view)
        title_display.WindowLocation = "Upper Center"
        title_display.Color = [0, 0, 0]
        title_display.FontSize = 22
        title_display.Justification = "Center"
        shown = [show() for show in overlays]
        fit_camera(view, plane.GetDataInformation().GetBounds(), self.size)
        filename = os.path.join(self.out_dir, "%s_t%gh.png" % (field, time))
        SaveScreenshot(filename, view, ImageResolution=self.size)
        display.SetScalarBarVisibility(view, False)
        Hide(plane, view)
        Hide(source["edges"], view)
        for o in shown:
            o.Visibility = 0
        self.written.append(filename)


def slice_range(source, field, times):
    low, high = float("inf"), -float("inf")
    for t in times:
        source["slice"].UpdatePipeline(t)
        lo, hi = source["slice"].PointData[field].GetRange()
        low, high = min(low, lo), max(high, hi)
    return low, high


def main():
    args = parse_arguments()
    vtkLogger.SetStderrVerbosity(vtkLogger.VERBOSITY_WARNING)  # no INFO lines from the filters
    run_dir = args.run_dir
    if not os.path.isdir(run_dir):
        sys.exit("render_views: '%s' is not a folder (expected a RadioTwin results folder with "
                 "transport.pvd and/or radiotwin.pvd)" % run_dir)
    if not glob.glob(os.path.join(run_dir, "*.pvd")):
        sys.exit("render_views: no .pvd file in '%s': not a RadioTwin results folder "
                 "(expected transport.pvd and/or radiotwin.pvd)" % run_dir)
    run = Run(run_dir)
    if run.transport is None and run.darcy is None:
        sys.exit("render_views: '%s' has neither transport.pvd nor radiotwin.pvd" % run_dir)
    summary_file = os.path.join(run_dir, "summary.json")
    if os.path.exists(summary_file):
        try:
            with open(summary_file) as f:
                status = json.load(f).get("status")
            if status not in (None, "complete"):
                print("render_views: notice: summary.json says the run is '%s'" % status)
        except (ValueError, OSError):
            print("render_views: notice: summary.json is unreadable; rendering what is there")
    os.makedirs(args.out_dir, exist_ok=True)
    r = Renderer(args.out_dir, args.size)
    tr = run.transport

    # (a) activity at a few times, one colour scale for all
    if tr is None:
        print("render_views: notice: no transport.pvd, skipping the activity, dose and BED views")
    elif ACTIVITY not in tr["arrays"]:
        print("render_views: notice: transport output has no %s, skipping its view" % ACTIVITY)
    else:
        times = tr["times"]
        wanted = args.times or [times[0], times[len(times) // 2], times[-1]]
        chosen = nearest(times, wanted)
        data_range = slice_range(tr, ACTIVITY, chosen)
        log = args.activity_scale == "log" and data_range[1] > 0
        if log:  # three decades below the highest value
            data_range = (max(data_range[0], 1e-3 * data_range[1]), data_range[1])
        for t in chosen:
            r.render(tr, t, ACTIVITY, "Inferno (matplotlib)", data_range, log=log,
                     subtitle="same %scolour scale at %s h" % (
                         "logarithmic " if log else "", ", ".join("%g" % c for c in chosen))
                     if len(chosen) > 1 else ("logarithmic colour scale" if log else ""))

    # (b) dose and BED at the last time
    if tr is not None:
        for field, preset in LAST_TIME_VIEWS:
            if field in tr["arrays"]:
                r.render(tr, tr["times"][-1], field, preset)
            else:
                print("render_views: notice: transport output has no %s, skipping its view" % field)

    # (c) pO2 with the hypoxic boundary and the vessels near the plane
    source = next((s for s in (run.darcy, tr) if s is not None and OXYGEN in s["arrays"]), None)
    if source is None:
        print("render_views: notice: no %s in %s, skipping the oxygen view" % (
            OXYGEN, " or ".join(s["file"] for s in (run.darcy, tr) if s is not None)))
    else:
        overlays, notes = [], []
        if HYPOXIC in source["arrays"]:
            edge = Contour(Input=source["slice"], ContourBy=["POINTS", HYPOXIC], Isosurfaces=[0.5])
            overlays.append(lambda: show_lines(edge, r.view, (1.0, 1.0, 1.0), 2.5))
            notes.append("white: hypoxic boundary")
        if run.network is not None:
            slab = vessel_slab(run.network, source["z"], SLAB_HALF_WIDTH)
            slab.UpdatePipeline()
            if slab.GetDataInformation().GetNumberOfCells() > 0:
                def show_slab():
                    d = show_lines(slab, r.view, VESSEL_RGB, 3.0)
                    d.RenderLinesAsTubes = 1
                    return d
                overlays.append(show_slab)
                notes.append("red: vessels within %g mm" % (SLAB_HALF_WIDTH * 1e3))
            else:  # none near the plane: the whole network, faint
                def show_all():  # moved in front of the slice as a whole
                    run.network.UpdatePipeline()
                    zmin = run.network.GetDataInformation().GetBounds()[4]
                    d = show_lines(run.network, r.view, VESSEL_RGB, 1.0,
                                   z_offset=source["z"] - zmin + 1e-4)
                    d.Opacity = 0.3
                    return d
                overlays.append(show_all)
                notes.append("red: all vessels (none within %g mm)" % (SLAB_HALF_WIDTH * 1e3))
        else:
            print("render_views: notice: no vessel_network.vtp, oxygen view without vessels")
        time = source["times"][-1] if source is tr else source["times"][0]
        r.render(source, time, OXYGEN, "Viridis (matplotlib)", subtitle=", ".join(notes),
                 overlays=overlays)

    print("render_views: wrote %d PNG%s" % (len(r.written), "" if len(r.written) == 1 else "s"))
    for f in r.written:
        print(f)


main()
