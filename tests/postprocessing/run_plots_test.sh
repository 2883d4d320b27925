#!/usr/bin/env bash
# The pictures a run draws itself (ctest run_plots): `radiotwin pbrpk` writes time_activity.png
# (Output/Plots = true, the default), a real picture (check_images.py); Output/Plots = false
# writes none; a missing interpreter is a warning, not a failure; plot_tacs.py names the file,
# line and column of a malformed time_activity.csv and exits 1.
#
#   run_plots_test.sh RADIOTWIN PYTHON WORK
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
radiotwin=$1 python=$2 work=$3
rm -rf "$work" && mkdir -p "$work" || exit 1
failures=0
check() { local what=$1; shift; if "$@"; then echo "ok: $what"; else echo "FAILED: $what"; failures=$((failures + 1)); fi; }
prm=$source_dir/configs/pbrpk/standard_7p4GBq.prm
short=(--set "Whole body/Integration/Duration [h]=168")

RADIOTWIN_PYTHON=$python "$radiotwin" pbrpk "$prm" "${short[@]}" --set "Output/Directory=$work/on" > "$work/on.log" 2>&1
check "pbrpk with plots: exit 0" [ $? = 0 ]
check "pbrpk with plots: time_activity.png says where it is" grep -q "plot: $work/on/time_activity.png" "$work/on.log"
check "pbrpk with plots: time_activity.png is a real picture" \
  "$python" "$here/check_images.py" "$work/on" --expect time_activity.png

"$radiotwin" pbrpk "$prm" "${short[@]}" --set "Output/Directory=$work/off" --set "Output/Plots=false" > "$work/off.log" 2>&1
check "Output/Plots = false: exit 0 and no picture" eval '[ $? = 0 ] && [ ! -e "$work/off/time_activity.png" ]'

RADIOTWIN_PYTHON=$work/no-such-python "$radiotwin" pbrpk "$prm" "${short[@]}" --set "Output/Directory=$work/nopy" > "$work/nopy.log" 2>&1
check "no interpreter: exit 0, a warning, the results intact" \
  eval '[ $? = 0 ] && grep -q "warning: no time_activity.png" "$work/nopy.log" && grep -q "\"status\": \"complete\"" "$work/nopy/summary.json"'

mkdir -p "$work/bad" && printf 'time_h,kidney_MBq\n0,1\n1,abc\n' > "$work/bad/time_activity.csv"
"$python" "$source_dir/postprocessing/plot_tacs.py" "$work/bad" > "$work/bad.log" 2>&1
rc=$?
check "malformed CSV: exit 1 naming file, line and column (got $rc: $(cat "$work/bad.log"))" \
  eval '[ "$rc" = 1 ] && grep -q "bad/time_activity.csv:3: column .kidney_MBq.: .abc. is not a number" "$work/bad.log"'

[ "$failures" = 0 ] && { echo "run_plots_test: all checks passed"; exit 0; }
echo "run_plots_test: $failures check(s) failed"; exit 1
