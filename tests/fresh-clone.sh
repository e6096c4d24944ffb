#!/usr/bin/env bash
# Clones the committed HEAD into an empty temporary folder (nothing beside it) and runs the
# standard CMake build a packager or a new user types, then the unit tests there. Extra arguments
# go to the configure step, e.g. -DCANARY_WERROR=ON (as CI passes) or -DCMAKE_CXX_COMPILER=clang++-14.
#
#   tests/fresh-clone.sh [--build-only] [CMAKE_ARGS...]
set -euo pipefail
run_tests=1
if [[ ${1:-} == --build-only ]]; then
    run_tests=0
    shift
fi
repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

git clone --quiet --no-local "$repo" "$work/canary-console"
cd "$work/canary-console"
echo "fresh-clone: $(git log -1 --format='%h %s') in an empty $work"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build --parallel "$(nproc)"
# The unit tests read only what the clone holds (tests/data); integration tests run in make test.
[[ $run_tests -eq 1 ]] || exit 0
ctest --test-dir build --label-regex unit --output-on-failure --parallel "$(nproc)"
