#!/usr/bin/env bash
# README command 2: install what is missing, build, run the whole test suite through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh
cd build
ctest -j 2 --output-on-failure --timeout 900
