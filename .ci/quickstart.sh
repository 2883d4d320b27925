#!/usr/bin/env bash
# README command 1: install what is missing, build, run the first twin (configs/first_twin.prm:
# a meshed lesion coupled to the whole-body model, oxygen, dose and BED; about 30 s on 2 cores)
# on all cores, draw its pictures and report (postprocessing/report.py), and say where they are.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
run=results/first_twin
start=$(date +%s.%N)
mpirun -n "$(nproc)" build/radiotwin configs/first_twin.prm
end=$(date +%s.%N)
wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
echo
python3 postprocessing/report.py "$run"
echo
echo "The run took $wall s wall on $(nproc) MPI ranks (configs/first_twin.prm)."
echo "Report:   $run/report.md (dose table, BED against limits, pictures in $run/figures/)"
echo "ParaView: $run/transport.pvd (activity, dose, BED, pO2) and $run/radiotwin.pvd (IFP, pO2), or"
echo "          RADIOTWIN_RUN=$run paraview --script=postprocessing/paraview_open.py"
