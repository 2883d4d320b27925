#!/usr/bin/env bash
# Shared by the README commands: install what is missing (Debian 12, as root or with sudo),
# then configure and build RadioTwin in build/ (ccache-accelerated, -j2).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libdeal.ii-dev libsundials-dev libsuitesparse-dev libvtk9-dev libboost-test-dev nlohmann-json3-dev libcli11-dev libsbml5-dev libceres-dev libnlopt-cxx-dev cmake g++ make ccache numdiff python3 python3-matplotlib
          openmpi-bin git paraview xvfb xauth
          slurm-wlm munge)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
apt_updated=no
if [ ${#missing[@]} -gt 0 ]; then
  echo "radiotwin setup: installing ${missing[*]}"
  $sudo_cmd apt-get update -qq
  apt_updated=yes
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" > /tmp/radiotwin-apt.log 2>&1 || {
      echo "radiotwin setup: apt-get install failed, see /tmp/radiotwin-apt.log" >&2; exit 1; }
fi

# ParaView's Python modules, for the pvbatch scripts in postprocessing/: python3-paraview
# conflicts with python3-vtk9 (from libvtk9-dev), so it is unpacked into a folder of its own:
#   PYTHONPATH=/opt/paraview-python/usr/lib/python3/dist-packages xvfb-run -a pvbatch SCRIPT
pv_python=/opt/paraview-python
if [ ! -d "$pv_python/usr/lib/python3/dist-packages/paraview" ]; then
  echo "radiotwin setup: unpacking python3-paraview into $pv_python"
  [ "$apt_updated" = yes ] || $sudo_cmd apt-get update -qq
  pv_tmp=$(mktemp -d)
  if ! (cd "$pv_tmp" && apt-get download python3-paraview && $sudo_cmd mkdir -p "$pv_python" &&
        $sudo_cmd dpkg-deb -x python3-paraview_*.deb "$pv_python") > /tmp/radiotwin-apt-paraview.log 2>&1; then
    rm -rf "$pv_tmp"
    echo "radiotwin setup: unpacking python3-paraview failed, see /tmp/radiotwin-apt-paraview.log" >&2
    exit 1
  fi
  rm -rf "$pv_tmp"
fi

# Open MPI refuses to run as root unless told; containers and CI machines often are root.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

jobs=${RADIOTWIN_BUILD_JOBS:-2}
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > build-configure.log 2>&1 || {
    cat build-configure.log >&2; exit 1; }
  rm -f build-configure.log
fi
cmake --build build -j "$jobs" || { echo "radiotwin setup: build failed" >&2; exit 1; }
