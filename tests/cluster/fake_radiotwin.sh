#!/usr/bin/env bash
# A stand-in for build/radiotwin with its command line, checkpoints and exit statuses, for the
# SLURM scripts' test (tests/cluster/slurm_scripts_test.sh). No physics: it "runs" time steps
# by sleeping.
#
#   fake_radiotwin.sh [pbrpk] FILE.prm [--set "Section/Name=value" ...] [--resume DIR]
#
# - Output/Directory (default results/<FILE name>) is the output folder; --resume DIR continues
#   from the newest DIR/checkpoints/step_NNNNNNNN/checkpoint.json (exit 1 when there is none).
# - Checkpoint/Every N steps and Checkpoint/Keep as in radiotwin (Every T minutes is accepted).
# - SIGUSR1 or SIGTERM: the current step ends, a checkpoint is written, exit 75.
# - Otherwise summary.json ("status": "complete") is written last, exit 0. Its
#   tissues/kidney/absorbed_dose_Gy is 0.01 x Whole body/Integration/Duration [h] (else 1),
#   so that a sweep over the duration has a metric.
# - Every start and end is appended to OUTPUT/fake_radiotwin.log.
# Environment: FAKE_RADIOTWIN_STEPS (default 20; pbrpk runs have none), FAKE_RADIOTWIN_STEP_S
# (seconds per step, default 0.05), FAKE_RADIOTWIN_EXIT (end with this status after step 1).
set -u

error() { echo "radiotwin: error: $*" >&2; exit 1; }

mode=simulate
if [ "${1:-}" = pbrpk ]; then mode=pbrpk; shift; fi
prm='' resume='' sets=()
while [ $# -gt 0 ]; do
  case $1 in
    --set) [ $# -ge 2 ] || error "--set needs \"Section/Name=value\""; sets+=("$2"); shift 2 ;;
    --resume) [ $# -ge 2 ] || error "--resume needs the run's output folder"; resume=$2; shift 2 ;;
    -*) error "unknown option '$1'" ;;
    *) [ -z "$prm" ] || error "more than one parameter file ('$prm', '$1')"; prm=$1; shift ;;
  esac
done
[ -n "$prm" ] || error "no parameter file given"
[ -f "$prm" ] || error "$prm: cannot open the parameter file"

name=$(basename "$prm"); out="results/${name%.*}"
every=0 keep=2 dose=1
for s in "${sets[@]}"; do
  [[ $s == */*=* ]] || error "--set \"$s\": expected \"Section/Name=value\""
  key=${s%%=*} value=${s#*=}
  case $key in
    Output/Directory) out=$value ;;
    "Checkpoint/Every N steps") [[ $value =~ ^[0-9]+$ ]] || error "parameter '$key': '$value' is not an integer >= 0"; every=$value ;;
    "Checkpoint/Keep") [[ $value =~ ^[1-9][0-9]*$ ]] || error "parameter '$key': '$value' is not an integer >= 1"; keep=$value ;;
    "Checkpoint/Every T minutes [min]") [[ $value =~ ^[0-9]+([.][0-9]*)?$ ]] || error "parameter '$key': '$value' is not a number >= 0" ;;
    "Whole body/Integration/Duration [h]")
      [[ $value =~ ^[0-9]+([.][0-9]*)?$ ]] || error "parameter '$key': '$value' must be a positive number"
      dose=$(awk -v d="$value" 'BEGIN { printf "%.6g", 0.01 * d }') ;;
  esac
done

step=0 from="fresh"
if [ -n "$resume" ]; then
  out=$resume
  newest=$(compgen -G "$resume/checkpoints/step_*/checkpoint.json" | sort | tail -n 1)
  [ -n "$newest" ] || error "--resume $resume: no valid checkpoint in $resume/checkpoints"
  step=$(basename "$(dirname "$newest")"); step=$((10#${step#step_}))
  from="resume from step $step"
fi
steps=${FAKE_RADIOTWIN_STEPS:-20}
[ "$mode" = pbrpk ] && steps=0
mkdir -p "$out" || exit 2
echo "start: $from; mode $mode; args: $*" >> "$out/fake_radiotwin.log"
echo "radiotwin (fake): $mode run of $prm into $out/, $from, steps $((step + 1)) to $steps"

checkpoint() {  # the manifest last, as radiotwin does; keep the newest $keep
  local dir
  dir=$(printf '%s/checkpoints/step_%08d' "$out" "$1")
  mkdir -p "$dir" && echo "state at step $1" > "$dir/state.txt" &&
    printf '{"step": %d, "ranks": 1}\n' "$1" > "$dir/checkpoint.json.tmp" &&
    mv "$dir/checkpoint.json.tmp" "$dir/checkpoint.json" || exit 2
  compgen -G "$out/checkpoints/step_*/checkpoint.json" | sort -r | tail -n +$((keep + 1)) |
    while read -r old; do rm -rf "$(dirname "$old")"; done
}

stop=
trap 'stop=1' USR1 TERM
while [ "$step" -lt "$steps" ]; do
  sleep "${FAKE_RADIOTWIN_STEP_S:-0.05}"
  step=$((step + 1))
  if [ -n "${FAKE_RADIOTWIN_EXIT:-}" ]; then
    echo "radiotwin: error: failure at step $step (FAKE_RADIOTWIN_EXIT)" >&2
    echo "end: exit $FAKE_RADIOTWIN_EXIT at step $step" >> "$out/fake_radiotwin.log"
    exit "$FAKE_RADIOTWIN_EXIT"
  fi
  if [ -n "$stop" ]; then
    checkpoint "$step"
    echo "radiotwin (fake): checkpointed at step $step and stopped: resume me"
    echo "end: checkpointed and stopped at step $step (exit 75)" >> "$out/fake_radiotwin.log"
    exit 75
  fi
  if [ "$every" -gt 0 ] && [ $((step % every)) -eq 0 ]; then checkpoint "$step"; fi
done
printf '{"status": "complete", "steps": %d, "mode": "%s",\n "tissues": {"kidney": {"absorbed_dose_Gy": %s}}}\n' \
  "$step" "$mode" "$dose" > "$out/summary.json.tmp" && mv "$out/summary.json.tmp" "$out/summary.json" || exit 2
echo "end: complete after step $step (exit 0)" >> "$out/fake_radiotwin.log"
echo "radiotwin (fake): complete; results: $out/"
