"""Open a RadioTwin run in ParaView, ready to look at: every output kind of the folder
(Darcy/oxygen radiotwin.pvd, transport transport.pvd, the vessel network vessel_network.vtp)
loaded, a mid-plane slice coloured by its main field, and a named colour map with a title
carrying the unit for every field, so that switching the colouring in the GUI keeps them.

In the ParaView GUI (5.11):
    RADIOTWIN_RUN=results/lesion_1cm_14days paraview --script=postprocessing/paraview_open.py
or Macros > Import new macro... (this file) once, then set RADIOTWIN_RUN before starting
ParaView, or answer the folder prompt of the Python shell. Headless (a picture of what the
GUI would show, used by the test):
    xvfb-run -a pvbatch postprocessing/paraview_open.py RUN [--screenshot FILE.png]

Main fields: activity_MBq_per_mL (transport, last output time), ifp_mmHg (Darcy), the vessels
coloured by their pressure. Exit status 1 when RUN holds none of the three files.
"""
import os
import sys

from paraview.simple import (GetAnimationScene, GetColorTransferFunction, PVDReader, Render,
                             SaveScreenshot, Show, XMLPolyDataReader)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pv_common import colour, look_down_z, midplane, white_view  # noqa: E402

# Field: (title with its unit, ParaView preset). Fields not listed get their own name (which
# carries the unit, docs: "Units") and Viridis.
FIELDS = {
    "ifp_mmHg": ("interstitial fluid pressure [mmHg]", "Cool to Warm"),
    "velocity_um_per_s": ("Darcy velocity [um/s]", "Viridis (matplotlib)"),
    "pO2_mmHg": ("pO2 [mmHg]", "Viridis (matplotlib)"),
    "hypoxic": ("hypoxic (pO2 below threshold) [1]", "Grayscale"),
    "activity_MBq_per_mL": ("activity [MBq/mL]", "Inferno (matplotlib)"),
    "dose_Gy": ("absorbed dose [Gy]", "Turbo"),
    "dose_rate_Gy_per_h": ("dose rate [Gy/h]", "Turbo"),
    "bed_Gy": ("BED [Gy]", "Turbo"),
    "bed_hypoxia_adjusted_Gy": ("hypoxia-adjusted BED [Gy]", "Turbo"),
    "receptor_occupancy": ("receptor occupancy [1]", "Blues"),
    "pressure_mmHg": ("vascular pressure [mmHg]", "Rainbow Uniform"),
}


def run_folder():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    folder = args[0] if args else os.environ.get("RADIOTWIN_RUN", "")
    if not folder:
        try:
            folder = input("RadioTwin run folder: ")
        except EOFError:
            folder = ""
    return folder


def name_colour_maps(arrays):
    """A preset and a unit-carrying title for every field's colour map."""
    for name in arrays:
        title, preset = FIELDS.get(name, (name, "Viridis (matplotlib)"))
        lut = GetColorTransferFunction(name)
        if not lut.ApplyPreset(preset, True):
            lut.ApplyPreset("Viridis (matplotlib)", True)
        lut.ScalarRangeInitialized = 0


def main():
    folder = run_folder()
    screenshot = None
    if "--screenshot" in sys.argv:
        i = sys.argv.index("--screenshot")
        screenshot = sys.argv[i + 1] if i + 1 < len(sys.argv) else None
    files = {k: os.path.join(folder, f) for k, f in
             (("darcy", "radiotwin.pvd"), ("transport", "transport.pvd"), ("vessels", "vessel_network.vtp"))}
    present = {k: p for k, p in files.items() if os.path.exists(p)}
    if not present:
        sys.exit("paraview_open: '%s' holds none of radiotwin.pvd, transport.pvd, vessel_network.vtp: "
                 "not a RadioTwin results folder" % folder)
    view = white_view([1200, 900])
    shown = []
    # The transport on top when there is one: it is what a coupled run is about.
    for kind, field in (("transport", "activity_MBq_per_mL"), ("darcy", "ifp_mmHg")):
        if kind not in present:
            continue
        reader = PVDReader(registrationName=os.path.basename(present[kind]), FileName=present[kind])
        reader.UpdatePipeline()
        arrays = list(reader.PointData.keys())
        name_colour_maps(arrays)
        zmin, zmax = reader.GetDataInformation().GetBounds()[4:6]
        plane = midplane(reader, 0.5 * (zmin + zmax) + 1e-6 * (zmax - zmin))
        if not shown and field in arrays:
            display = Show(plane, view)
            colour(display, view, field, FIELDS[field][0], FIELDS[field][1])
            shown.append("%s: %s on the mid-plane" % (os.path.basename(present[kind]), field))
    if "vessels" in present:
        network = XMLPolyDataReader(registrationName="vessel_network.vtp", FileName=[present["vessels"]])
        network.UpdatePipeline()
        name_colour_maps(list(network.PointData.keys()) + list(network.CellData.keys()))
    scene = GetAnimationScene()
    scene.UpdateAnimationUsingDataTimeSteps()
    scene.GoToLast()  # the end of the run: dose and BED complete
    look_down_z(view)
    view.ResetCamera()
    Render(view)
    print("paraview_open: %s; colour maps named for every field; time: the last output" %
          ("; ".join(shown) or "loaded"))
    if screenshot:
        SaveScreenshot(screenshot, view, ImageResolution=[1200, 900])
        print("paraview_open: wrote %s" % screenshot)


main()
