#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs `luv verify` on
# docs/SPEC.md's default bound, every shipped variant, every engine, within a
# budget (about 1-3 minutes on 2 cores). Reports go to out/:
#   out/verify.json, out/verify.junit.xml, out/verify.sarif, out/counterexamples/
# Extra arguments go to `luv verify` (e.g. --variant reference --budget 60).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Only the tool: the tests are the test command's business (scripts/test.sh).
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target luv
mkdir -p out
exec ./build/luv verify --json out/verify.json --junit out/verify.junit.xml --sarif out/verify.sarif \
  --save out/counterexamples "$@"
