#!/usr/bin/env bash
# scripts/test.sh — the README's second command and what CI runs: the whole
# suite (ctest) against LLVM 14 and LLVM 19, then once more under
# AddressSanitizer + UndefinedBehaviorSanitizer.  A test that hangs fails
# after 300 s (the slowest takes under 20 s), so the suite stays within CI's
# time whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
versions=${SEGC_LLVM_VERSIONS:-"14 19"}
# shellcheck disable=SC2086
segc_deps $versions
jobs=$(nproc)
for v in $versions; do
  echo "== LLVM $v"
  segc_build "build-llvm$v" "$v"
  (cd "build-llvm$v" && ctest -j "$jobs" --output-on-failure --timeout 300)
done
first=${versions%% *}
echo "== LLVM $first with AddressSanitizer + UndefinedBehaviorSanitizer"
segc_build build-asan "$first" -DSEGC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest -j "$jobs" --output-on-failure --timeout 300)
echo "== all suites passed"
