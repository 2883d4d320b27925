# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154  # home and launcher are for the scripts that source this; they set script_name
# What the SLURM scripts of cluster/ share; sourced by them, not run. A batch job runs a copy
# of its script in SLURM's spool folder, so they find this file in the RadioTwin checkout
# (RADIOTWIN_HOME, else the submit directory), and set script_name first.
#
# Defines: base (the job's working directory), home (the checkout, absolute), log, die, abs,
# load_modules (RADIOTWIN_MODULES) and launcher (RADIOTWIN_LAUNCHER, else srun when there is
# one, else mpirun).

base=$PWD
log() { echo "$script_name [$(date '+%F %T')] $*"; }
die() { log "error: $*" >&2; exit 1; }
# abs PATH: PATH relative to the job's working directory made absolute.
abs() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$base/$1" ;; esac; }
home=$(abs "${RADIOTWIN_HOME:-${SLURM_SUBMIT_DIR:-$base}}")

load_modules() {
  [ -n "${RADIOTWIN_MODULES:-}" ] || return 0
  if ! type module > /dev/null 2>&1; then
    # shellcheck disable=SC1090  # the site's module setup
    for f in /etc/profile.d/lmod.sh /etc/profile.d/modules.sh; do [ -r "$f" ] && . "$f"; done
  fi
  # shellcheck disable=SC2086  # a list of modules
  module load $RADIOTWIN_MODULES || die "module load $RADIOTWIN_MODULES failed"
}

if [ -n "${RADIOTWIN_LAUNCHER:-}" ]; then launcher=$RADIOTWIN_LAUNCHER
elif command -v srun > /dev/null; then launcher=srun
else launcher=mpirun; fi
