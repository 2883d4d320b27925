#!/usr/bin/env bash
# README command 1: install what is missing, build, run the default simulation on all cores,
# and say where the results are.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun -n "$(nproc)" build/radiotwin configs/default.prm
echo
echo "Open results/default/radiotwin.pvd in ParaView; numbers in results/default/summary.json."
