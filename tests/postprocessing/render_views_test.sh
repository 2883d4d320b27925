#!/usr/bin/env bash
# The rendering test (ctest paraview_render_views): run the small case on 2 ranks, render its
# standard views with pvbatch (postprocessing/render_views.py) and check that every expected
# PNG is a real picture (check_images.py): activity at 1, 6 and 24 h, dose_Gy and
# bed_hypoxia_adjusted_Gy at 24 h, pO2_mmHg at 0 h; then the ParaView macro
# (postprocessing/paraview_open.py) opens the run and its screenshot is checked the same way.
#
#   render_views_test.sh SOURCE_DIR WORK_DIR RADIOTWIN PVBATCH PV_PYTHONPATH PYTHON MPIEXEC [NUMPROC_FLAG]
#
# Exit status 0 pass, 1 fail, 77 skipped (no pvbatch, xvfb-run or ParaView Python modules).
set -uo pipefail

if [ $# -lt 7 ]; then
  sed -n '2,11p' "$0" >&2
  exit 1
fi
source_dir=$1 work=$2 radiotwin=$3 pvbatch=$4 pv_pythonpath=$5 python=$6
shift 6
mpi=("$@")

skip() { echo "render_views_test: SKIPPED: $*"; exit 77; }
fail() { echo "render_views_test: FAILED: $*" >&2; exit 1; }

[ -x "$pvbatch" ] || skip "pvbatch not found (apt-get install paraview, or run .ci/setup.sh)"
command -v xvfb-run > /dev/null || skip "xvfb-run not found (apt-get install xvfb xauth)"
[ -d "$pv_pythonpath/paraview" ] || skip "no ParaView Python modules in $pv_pythonpath (.ci/setup.sh unpacks python3-paraview there)"

run="$work/render_views"
rm -rf "$run"
mkdir -p "$work"

# 1. the small case
"${mpi[@]}" 2 "$radiotwin" "$source_dir/configs/examples/render_small.prm" \
  --set "Output/Directory=$run" > "$work/render_views_run.log" 2>&1 || {
    tail -n 30 "$work/render_views_run.log" >&2; fail "radiotwin failed, log: $work/render_views_run.log"; }
[ -f "$run/transport.pvd" ] || fail "radiotwin wrote no $run/transport.pvd"

# 2. the views (a second try when the X server of xvfb-run -a did not come up)
render() {
  PYTHONPATH="$pv_pythonpath${PYTHONPATH:+:$PYTHONPATH}" xvfb-run -a "$pvbatch" \
    "$source_dir/postprocessing/render_views.py" "$run" "$run/png" > "$work/render_views_pvbatch.log" 2>&1
}
x_failed() { grep -qiE "bad X server connection|xvfb failed|cannot open display" "$work/render_views_pvbatch.log"; }
if ! render && ! { x_failed && echo "render_views_test: no X server, trying again" && sleep 2 && render; }; then
  grep -v " INFO| " "$work/render_views_pvbatch.log" | tail -n 30 >&2
  fail "render_views.py failed, log: $work/render_views_pvbatch.log"
fi
grep "^render_views: \|\.png$" "$work/render_views_pvbatch.log"

# 3. the images: activity at the three output times, dose and hypoxia-adjusted BED at the
# last, pO2 (render_small.prm enables the oxygen model).
expected=(activity_MBq_per_mL_t1h.png activity_MBq_per_mL_t6h.png activity_MBq_per_mL_t24h.png
          dose_Gy_t24h.png bed_hypoxia_adjusted_Gy_t24h.png pO2_mmHg_t0h.png)
# The slice covers about 40 % of each image; 15 % catches a picture with only bar and title.
"$python" "$source_dir/tests/postprocessing/check_images.py" "$run/png" --expect "${expected[@]}" \
  --min-foreground 0.15 || fail "an image is missing or blank"

# 4. the ParaView macro (postprocessing/paraview_open.py): the run opened as the GUI would,
# its screenshot a real picture of the activity slice.
PYTHONPATH="$pv_pythonpath${PYTHONPATH:+:$PYTHONPATH}" xvfb-run -a "$pvbatch" \
  "$source_dir/postprocessing/paraview_open.py" "$run" --screenshot "$run/png/paraview_open.png" \
  > "$work/paraview_open.log" 2>&1 || { tail -n 20 "$work/paraview_open.log" >&2; fail "paraview_open.py failed"; }
grep -q "transport.pvd: activity_MBq_per_mL on the mid-plane" "$work/paraview_open.log" ||
  fail "paraview_open.py did not show the activity (log: $work/paraview_open.log)"
"$python" "$source_dir/tests/postprocessing/check_images.py" "$run/png" --expect paraview_open.png \
  --min-foreground 0.15 || fail "the paraview_open.py screenshot is missing or blank"
echo "render_views_test: passed (${#expected[@]} images and the ParaView macro's screenshot)"
