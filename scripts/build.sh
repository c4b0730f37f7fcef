#!/usr/bin/env bash
# Configures and builds luv into build/ (or $1, with extra cmake options after it).
# Line tables only (-g1): perf and gdb's backtraces keep functions, files and
# lines, at about two thirds of the build time of full debug info
# (bench/RESULTS.md, "The build"); each target's sources in unity batches
# (CMakeLists.txt, LUV_UNITY_BUILD). The sanitizer pass (test.sh) builds on its own.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
