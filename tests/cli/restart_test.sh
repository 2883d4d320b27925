#!/usr/bin/env bash
# Checkpoint/restart tests on the coupled case configs/examples/restart_coupled.prm (transport,
# whole-body ODEs, dose/BED, oxygen, VTU/CSV bookkeeping). Every run's results are compared
# number by number with an uninterrupted run by tests/cli/compare_runs.py.
#
#   restart_test.sh MODE --exe build/radiotwin --work DIR
#
# MODE
#   kill1      1 rank: run to T; run with checkpoints, kill -9 after the one past T/2, resume
#              to T: identical to 1e-12 (relative). And the wall-time trigger: with
#              'Every T minutes' small, checkpoints are written and the results unchanged.
#   kill2      the same on 2 ranks; then the killed 2-rank run resumed on 1 rank: equal to
#              the solver tolerance (1e-6 relative); and SIGUSR1 to mpirun: exit 75, resume,
#              identical to 1e-12.
#   corrupt    newest checkpoint damaged (a flipped byte; then truncated): reported, the
#              previous one is used, results identical; all damaged: exit 1 with one
#              message; changed parameters at resume: exit 1; a checkpoint whose mesh differs
#              from the parameters' mesh: exit 1 before the first solve; a part's state of
#              another version, and a checkpoint of an older format: exit 1 with one message.
set -uo pipefail
mode=$1; shift
exe=build/radiotwin; work=/tmp/radiotwin_restart_test
while [ $# -gt 0 ]; do
  case "$1" in
    --exe) exe=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
prm=$source_dir/configs/examples/restart_coupled.prm
compare="python3 $here/compare_runs.py"
mpiexec=${MPIEXEC:-mpirun}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
rm -rf "$work"; mkdir -p "$work"
# T from the case; checkpoints are taken at T/4 and T/2 (the first step reaching each).
end_h=$(sed -n 's/^ *set End time \[h\] *= *//p' "$prm")
half_h=$(python3 -c "print('%g' % (float($end_h) / 2))"); quarter_h=$(python3 -c "print('%g' % (float($end_h) / 4))")
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

# launcher RANKS: the run's command without its options, in the array 'cmd' (1 rank
# without mpirun)
launcher() {
  if [ "$1" -gt 1 ]; then cmd=("$mpiexec" -n "$1" "$exe" "$prm"); else cmd=("$exe" "$prm"); fi
}

run() { # run RANKS DIR [args...]
  local dir=$2; launcher "$1"; shift 2
  "${cmd[@]}" --set "Output/Directory=$dir" "$@" > "$dir.log" 2>&1
}

# Steps of the uninterrupted run, from its summary.
steps_of() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['transport']['steps'])" "$1/summary.json"; }

# killed RANKS DIR: run with checkpoints at T/4 and T/2 and kill -9 every process of the run as
# soon as the second is complete.
killed() {
  local n=$1 dir=$2
  launcher "$n"
  "${cmd[@]}" --set "Output/Directory=$dir" --set "Checkpoint/At times [h]=$quarter_h, $half_h" \
    > "$dir.log" 2>&1 &
  local pid=$! count=0
  for _ in $(seq 1 1200); do
    count=$(ls "$dir"/checkpoints/step_*[0-9]/checkpoint.json 2> /dev/null | wc -l)
    [ "$count" -ge 2 ] && break
    kill -0 $pid 2> /dev/null || break
    sleep 0.05
  done
  pkill -9 -f "Output/Directory=$dir( |$)" 2> /dev/null
  wait $pid 2> /dev/null
  if [ -f "$dir/summary.json" ]; then
    fail "$dir: the run finished before it was killed (make the case longer)"
  elif [ "$count" -lt 2 ]; then
    fail "$dir: the checkpoint at T/2 did not appear (see $dir.log)"
  else
    ok "$dir killed -9 after its checkpoint at T/2 = $half_h h ($(grep 'checkpoint: ' "$dir.log" | tail -1 | sed 's/^ *//'); last line: $(tail -1 "$dir.log" | sed 's/  */ /g'))"
  fi
}

resume() { # resume RANKS DIR [args...] -> exit status
  local dir=$2; launcher "$1"; shift 2
  "${cmd[@]}" --resume "$dir" "$@" > "$dir.resume.log" 2>&1
}

agree() { # agree REFERENCE DIR RTOL WHAT [compare_runs options]
  if $compare "$1" "$2" --rtol "$3" "${@:5}" > "$2.compare.log" 2>&1; then
    ok "$4: $(grep 'worst relative' "$2.compare.log" | awk '{print $NF}' | sort -g | tail -1) worst relative difference (rtol $3 ${*:5})"
  else
    fail "$4"; cat "$2.compare.log"
  fi
}

case "$mode" in
  kill1 | kill2)
    n=${mode#kill}
    ref=$work/full_np$n
    run "$n" "$ref" || { fail "reference run (see $ref.log)"; exit 1; }
    ok "reference: $(steps_of "$ref") steps on $n rank(s) to T = $end_h h"
    dir=$work/killed_np$n
    killed "$n" "$dir"
    if [ "$n" -gt 1 ]; then cp -r "$dir" "$work/killed_np2_for_1"; fi
    resume "$n" "$dir"
    rc=$?
    [ $rc -eq 0 ] || fail "resume exited $rc (see $dir.resume.log)"
    grep -q "resuming from .*, t = $half_h h" "$dir.resume.log" ||
      fail "the resume did not start from T/2: $(grep resuming "$dir.resume.log")"
    agree "$ref" "$dir" 1e-12 "run to T/2 + kill -9 + resume to T on $n rank(s) = run to T"
    if [ "$n" -eq 1 ]; then
      # Wall-time trigger: a checkpoint whenever 0.1 s have passed since the last one.
      dir=$work/every_t_minutes
      run 1 "$dir" --set "Checkpoint/Every T minutes [min]=0.00167" --set "Checkpoint/Keep=3"
      written=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['checkpoints']['written'])" "$dir/summary.json" 2> /dev/null || echo 0)
      kept=$(ls -d "$dir"/checkpoints/step_*[0-9] 2> /dev/null | wc -l)
      [ "$written" -ge 3 ] && [ "$kept" -eq 3 ] &&
        ok "Every T minutes = 0.1 s: $written checkpoints written, the newest 3 kept" ||
        fail "Every T minutes: $written written, $kept kept (expected >= 3 and 3)"
      agree "$ref" "$dir" 1e-12 "checkpoints do not change the results"
    fi
    if [ "$n" -gt 1 ]; then
      # Another rank count: the mesh is repartitioned and the steady fields recomputed there.
      dir=$work/killed_np2_for_1
      resume 1 "$dir"; rc=$?
      [ $rc -eq 0 ] || fail "2 -> 1 rank resume exited $rc (see $dir.resume.log)"
      grep -q "written on 2 ranks" "$dir.resume.log" || fail "2 -> 1: the checkpoint was not the 2-rank one"
      agree "$ref" "$dir" 1e-6 "checkpoint on 2 ranks resumed on 1 rank = run to T on 2 ranks" --across-ranks
      # SIGUSR1 (what a batch scheduler sends before the time limit) to mpirun.
      dir=$work/signal_np2
      launcher 2
      "${cmd[@]}" --set "Output/Directory=$dir" > "$dir.log" 2>&1 &
      pid=$!
      for _ in $(seq 1 600); do grep -q " t = " "$dir.log" 2> /dev/null && break; sleep 0.05; done
      kill -USR1 $pid
      wait $pid; rc=$?
      if [ $rc -ne 75 ]; then
        fail "SIGUSR1: exit status $rc, expected 75 (see $dir.log)"
      elif [ -f "$dir/summary.json" ]; then
        fail "SIGUSR1: a stopped run must not write summary.json"
      else
        ok "SIGUSR1 to mpirun: checkpoint at step $(grep -o 'checkpoint: step [0-9]*' "$dir.log" | tail -1 | awk '{print $3}'), exit 75"
        resume 2 "$dir"; rc=$?
        [ $rc -eq 0 ] || fail "resume after SIGUSR1 exited $rc"
        agree "$ref" "$dir" 1e-12 "stopped by SIGUSR1 and resumed on 2 ranks = run to T"
      fi
    fi
    ;;
  corrupt)
    ref=$work/full_np1
    run 1 "$ref" || { fail "reference run (see $ref.log)"; exit 1; }
    dir=$work/corrupt
    killed 1 "$dir"
    newest=$(ls -d "$dir"/checkpoints/step_*[0-9] | sort | tail -1)
    previous=$(ls -d "$dir"/checkpoints/step_*[0-9] | sort | head -1)
    cp -r "$dir" "$work/corrupt_truncated"
    cp -r "$dir" "$work/corrupt_all"
    cp -r "$dir" "$work/changed_parameters"
    cp -r "$dir" "$work/changed_mesh"
    cp -r "$dir" "$work/old_part_state"
    cp -r "$dir" "$work/old_format"
    # One flipped byte in the middle of the nodal data.
    python3 - "$newest/mesh_fixed.data" << 'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 0x40
open(p, "wb").write(b)
PY
    resume 1 "$dir"; rc=$?
    [ $rc -eq 0 ] || fail "resume past a corrupted checkpoint exited $rc"
    grep -q "warning: checkpoint .*$(basename "$newest") is damaged: file 'mesh_fixed.data' fails its checksum" "$dir.resume.log" &&
      grep -q "resuming from .*$(basename "$previous")" "$dir.resume.log" &&
      ok "flipped byte: $(grep warning "$dir.resume.log")" ||
      fail "flipped byte not reported, or the previous checkpoint not used: $(head -3 "$dir.resume.log")"
    agree "$ref" "$dir" 1e-12 "resumed from the previous good checkpoint = run to T"
    # A truncated state file.
    dir=$work/corrupt_truncated
    newest_t=$dir/checkpoints/$(basename "$newest")
    truncate -s 100 "$newest_t/state.bin"
    resume 1 "$dir"; rc=$?
    grep -q "file 'state.bin' has 100 bytes, the manifest says" "$dir.resume.log" && [ $rc -eq 0 ] &&
      ok "truncated state.bin: reported, previous checkpoint used" ||
      fail "truncated state.bin: exit $rc, $(head -2 "$dir.resume.log")"
    # Every checkpoint damaged: a clear error, exit 1.
    dir=$work/corrupt_all
    for c in "$dir"/checkpoints/step_*; do truncate -s 10 "$c/mesh"; done
    resume 1 "$dir"; rc=$?
    msg=$(grep "radiotwin: error" "$dir.resume.log")
    [ $rc -eq 1 ] && echo "$msg" | grep -q "no usable checkpoint" &&
      ok "all damaged: exit 1, '$msg'" || fail "all damaged: exit $rc, '$msg'"
    # Different physics at resume.
    dir=$work/changed_parameters
    resume 1 "$dir" --set "Dosimetry/Target BED [Gy]=3"; rc=$?
    msg=$(grep "radiotwin: error" "$dir.resume.log")
    [ $rc -eq 1 ] && echo "$msg" | grep -q "parameter 'Dosimetry/Target BED \[Gy\]' is '3' but" &&
      ok "changed parameter: exit 1, '$msg'" || fail "changed parameter: exit $rc, '$msg'"
    # A mesh that differs from the checkpoint's (as after an edited mesh file): its manifest
    # claims 8 cells more. Reported right after the mesh is built, before the Darcy solve.
    dir=$work/changed_mesh
    manifest=$dir/checkpoints/$(basename "$newest")/checkpoint.json
    cells=$(sed -n 's/^ *"active_cells": *\([0-9]*\),$/\1/p' "$manifest")
    sed -i "s/\"active_cells\": $cells,/\"active_cells\": $((cells + 8)),/" "$manifest"
    resume 1 "$dir"; rc=$?
    msg=$(grep "radiotwin: error" "$dir.resume.log")
    [ -n "$cells" ] && [ $rc -eq 1 ] &&
      echo "$msg" | grep -q "holds a mesh of $((cells + 8)) cells, the parameters give $cells" &&
      ! grep -q "Darcy: converged" "$dir.resume.log" &&
      ok "changed mesh: exit 1 before the Darcy solve, '$msg'" ||
      fail "changed mesh: exit $rc, '$msg' (cells '$cells')"
    # A checkpoint whose transport state has another layout version (written by another
    # RadioTwin): refused with one message naming the part, before the Darcy solve.
    dir=$work/old_part_state
    for c in "$dir"/checkpoints/step_*; do
      python3 - "$c/checkpoint.json" << 'PY'
import json, sys
p = sys.argv[1]; m = json.load(open(p)); m["parts"]["transport"] = 0
open(p, "w").write(json.dumps(m, indent=2))
PY
    done
    resume 1 "$dir"; rc=$?
    msg=$(grep "radiotwin: error" "$dir.resume.log")
    [ $rc -eq 1 ] && echo "$msg" | grep -q "holds version 0 of the state of part 'transport', this RadioTwin reads version [0-9]*" &&
      ! grep -q "Darcy: converged" "$dir.resume.log" &&
      ok "old part state: exit 1, '$msg'" || fail "old part state: exit $rc, '$msg'"
    # A checkpoint of the format before the model parts: refused, naming the format.
    dir=$work/old_format
    for c in "$dir"/checkpoints/step_*; do
      sed -i 's/"radiotwin checkpoint 2"/"radiotwin checkpoint 1"/' "$c/checkpoint.json"
    done
    resume 1 "$dir"; rc=$?
    msg=$(grep "radiotwin: error" "$dir.resume.log")
    [ $rc -eq 1 ] && echo "$msg" | grep -q "written in the format 'radiotwin checkpoint 1'" &&
      ok "old format: exit 1, '$msg'" || fail "old format: exit $rc, '$msg'"
    # No checkpoint at all.
    mkdir -p "$work/empty"
    resume 1 "$work/empty"; rc=$?
    [ $rc -eq 1 ] && grep -q "none written" "$work/empty.resume.log" &&
      ok "no checkpoint: exit 1" || fail "no checkpoint: exit $rc"
    ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac
[ $failures -eq 0 ] && echo "PASSED ($mode)" || echo "FAILED ($mode): $failures"
[ $failures -eq 0 ]
