"""Render a RadioTwin run's interstitial-flow fields to PNG with ParaView (pvbatch).

Usage (headless; see README "Looking at results"):
    xvfb-run -a pvbatch postprocessing/render_darcy.py RESULTS_DIR [OUT_DIR]

Writes OUT_DIR/ifp_midplane.png (IFP [mmHg] on the z = 0 plane) and
OUT_DIR/velocity_midplane.png (|u| [um s^-1] with arrows), OUT_DIR defaulting to RESULTS_DIR.
With a vessel network (RESULTS_DIR/vessel_network.vtp), the vessels within 0.1 mm of the
plane are drawn over both slices, and OUT_DIR/network_pressure.png shows the whole network
coloured by blood pressure [mmHg].
"""
import os
import sys

from paraview.simple import (ColorBy, Glyph, Hide, PVDReader, ResetCamera, SaveScreenshot, Show,
                             XMLPolyDataReader)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pv_common import colour, look_down_z, midplane, show_lines, vessel_slab, white_view  # noqa: E402

if len(sys.argv) < 2:
    sys.exit(__doc__)
results = sys.argv[1]
out = sys.argv[2] if len(sys.argv) > 2 else results
os.makedirs(out, exist_ok=True)

reader = PVDReader(FileName=os.path.join(results, "radiotwin.pvd"))
reader.UpdatePipeline()
midplane_slice = midplane(reader, 0.0)
view = white_view([900, 800])

network_file = os.path.join(results, "vessel_network.vtp")
network = XMLPolyDataReader(FileName=network_file) if os.path.exists(network_file) else None
if network is not None:
    # The vessels in a slab |z| < 0.1 mm around the slice, as black lines above it.
    slab = vessel_slab(network, 0.0, 1e-4)
    show_lines(slab, view, (0.0, 0.0, 0.0), 1.5)


def save(field, title, filename, vector=False):
    display = Show(midplane_slice, view)
    colour(display, view, field, title, "Viridis (matplotlib)", vector)
    look_down_z(view)
    SaveScreenshot(os.path.join(out, filename), view, ImageResolution=[900, 800])
    Hide(midplane_slice, view)


save("ifp_mmHg", "IFP [mmHg]", "ifp_midplane.png")

arrows = Glyph(Input=midplane_slice, GlyphType="Arrow")
arrows.OrientationArray = ["POINTS", "velocity_um_per_s"]
# Arrows scaled by |u| (the longest 8 % of the domain): where the fluid is still, no arrow.
arrows.ScaleArray = ["POINTS", "velocity_um_per_s"]
arrows.MaximumNumberOfSamplePoints = 600
arrows.GlyphMode = "Uniform Spatial Distribution (Bounds Based)"
bounds = reader.GetDataInformation().GetBounds()
u_max = reader.PointData["velocity_um_per_s"].GetRange(-1)[1]
arrows.ScaleFactor = 0.08 * (bounds[1] - bounds[0]) / max(u_max, 1e-30)
arrow_display = Show(arrows, view)
arrow_display.DiffuseColor = [0.85, 0.1, 0.1]
ColorBy(arrow_display, None)
save("velocity_um_per_s", "|u| [um s^-1]", "velocity_midplane.png", vector=True)
print("wrote", os.path.join(out, "ifp_midplane.png"), "and", os.path.join(out, "velocity_midplane.png"))

if network is not None:
    Hide(arrows, view)
    Hide(slab, view)
    display = Show(network, view)
    colour(display, view, "blood_pressure_mmHg", "blood pressure [mmHg]", "Cool to Warm")
    view.CameraPosition = [1, 0.6, 0.8]
    view.CameraFocalPoint = [0, 0, 0]
    view.CameraViewUp = [0, 0, 1]
    ResetCamera(view)
    SaveScreenshot(os.path.join(out, "network_pressure.png"), view, ImageResolution=[900, 800])
    print("wrote", os.path.join(out, "network_pressure.png"))
