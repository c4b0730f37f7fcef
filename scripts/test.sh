#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every ctest test,
# then the unit and replay tests again under AddressSanitizer and UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh build
ctest --test-dir build --output-on-failure -j"$(nproc)"

# The sanitizer pass builds only what the unit and replay labels run, less
# explore_test: it re-runs the same Runner thousands of times (8 min of CPU
# under ASan in Debug) and runs in the normal build above.
asan_targets=(luv impl_unit_tests properties_unit_tests model_unit_tests verify_unit_tests layer_test
              cli_test counterexample_format_test corpus_replay_test replay_cli_test output_file_test)
cmake -S . -B build-asan -DLUV_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$(nproc)" --target "${asan_targets[@]}"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j"$(nproc)" -L 'unit|replay'
