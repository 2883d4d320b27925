"""Pieces shared by the ParaView (pvbatch) scripts render_darcy.py and render_views.py:
a white render view, colouring by a field with a titled scalar bar, a mid-plane slice, the
vessels near that plane, the camera looking down z. Imported from a script that pvbatch runs,
so it needs paraview.simple (see README "Looking at results").
"""
from paraview.simple import (Clip, ColorBy, GetActiveViewOrCreate, GetColorTransferFunction,
                             GetScalarBar, ResetCamera, Show, Slice)


def white_view(size):
    """The active render view, size [width, height] pixels, white, without orientation axes."""
    view = GetActiveViewOrCreate("RenderView")
    view.ViewSize = list(size)
    view.OrientationAxesVisibility = 0
    view.Background = [1.0, 1.0, 1.0]
    try:  # ParaView >= 5.10 uses palettes; keep a white background regardless
        view.UseColorPaletteForBackground = 0
    except AttributeError:
        pass
    return view


def colour(display, view, field, title, preset, vector=False, data_range=None, log=False):
    """Colour a display by a point field with a titled scalar bar (black text on white).

    The colour range is the displayed data's range, or data_range = (low, high) when given
    (low > 0 with log: a logarithmic colour scale, values below low in its lowest colour).
    Returns the scalar bar, for callers that place or size it themselves.
    """
    ColorBy(display, ("POINTS", field, "Magnitude") if vector else ("POINTS", field))
    lut = GetColorTransferFunction(field)
    lut.UseLogScale = 0  # preset and range are set on a linear scale, then mapped to log
    if not lut.ApplyPreset(preset, True):
        lut.ApplyPreset("Viridis (matplotlib)", True)
    if data_range is None:
        display.RescaleTransferFunctionToDataRange(True, False)
    else:
        low, high = data_range
        lut.RescaleTransferFunction(low, high if high > low else low + max(abs(low), 1.0) * 1e-6)
        lut.AutomaticRescaleRangeMode = "Never"
    if log:  # the preset's colours spread evenly over the decades, not over the values
        lut.MapControlPointsToLogSpace()
    lut.UseLogScale = 1 if log else 0
    display.SetScalarBarVisibility(view, True)
    bar = GetScalarBar(lut, view)
    bar.Title = title
    bar.ComponentTitle = ""
    bar.TitleColor = [0, 0, 0]
    bar.LabelColor = [0, 0, 0]
    return bar


def midplane(source, z=0.0):
    """The slice of source by the plane of constant z (normal along z)."""
    plane = Slice(Input=source)
    plane.SliceType.Normal = [0.0, 0.0, 1.0]
    plane.SliceType.Origin = [0.0, 0.0, z]
    return plane


def vessel_slab(network, z=0.0, half_width=1e-4):
    """The vessels of network (a line source) within half_width (m) of the plane at z,
    cut at the slab's faces."""
    above = Clip(Input=network, ClipType="Plane")
    above.ClipType.Origin = [0.0, 0.0, z - half_width]
    above.ClipType.Normal = [0.0, 0.0, 1.0]
    above.Invert = 0
    slab = Clip(Input=above, ClipType="Plane")
    slab.ClipType.Origin = [0.0, 0.0, z + half_width]
    slab.ClipType.Normal = [0.0, 0.0, 1.0]
    return slab


def show_lines(source, view, rgb=(0.0, 0.0, 0.0), width=1.5, z_offset=2e-4):
    """Show source as plain lines of one colour, moved z_offset (m) towards the camera so
    that they are drawn in front of a slice."""
    display = Show(source, view)
    display.ColorArrayName = ["POINTS", ""]
    display.AmbientColor = display.DiffuseColor = list(rgb)
    display.LineWidth = width
    display.Position = [0.0, 0.0, z_offset]
    return display


def look_down_z(view, focal_point=(0.0, 0.0, 0.0)):
    """Camera on the +z axis looking down at focal_point, y up, zoomed to the visible data."""
    view.CameraPosition = [focal_point[0], focal_point[1], focal_point[2] + 1.0]
    view.CameraFocalPoint = list(focal_point)
    view.CameraViewUp = [0, 1, 0]
    ResetCamera(view)
