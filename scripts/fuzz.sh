#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz) with clang 14, AddressSanitizer and
# UndefinedBehaviorSanitizer in build/fuzz, then runs each for SECONDS (default 20) on a fresh
# copy of its seed corpus. Exits 1 if any harness crashed, leaked, timed out or ran out of memory,
# naming the harness and the saved reproducer. See docs/fuzzing.md.
#
#   scripts/fuzz.sh [SECONDS]          build and run every harness
#   FUZZ_ONLY=fuzz_boundedjson scripts/fuzz.sh 60    one harness (space-separated list)
set -euo pipefail

seconds=${1:-20}
if ! [[ $seconds =~ ^[0-9]+$ ]] || [[ $seconds -lt 1 ]]; then
    echo "fuzz.sh: SECONDS must be a whole number of seconds, got \"$seconds\"" >&2
    exit 2
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build/fuzz
artifacts=$build/artifacts
harnesses=(fuzz_exposition_text fuzz_exposition_openmetrics fuzz_boundedjson fuzz_rolloutstate fuzz_plan
           fuzz_gatewayconfig fuzz_gatewayrequest fuzz_haproxystat fuzz_prometheusanswer)
if [[ -n ${FUZZ_ONLY:-} ]]; then
    read -r -a harnesses <<<"$FUZZ_ONLY"
fi

for tool in clang++-14 cmake ninja; do
    if ! command -v "$tool" >/dev/null; then
        echo "fuzz.sh: $tool is missing; run installer/deps-debian.sh" >&2
        exit 2
    fi
done

# Everything is instrumented for coverage and the sanitizers; only the harnesses link libFuzzer's
# main (tests/fuzz/CMakeLists.txt adds -fsanitize=fuzzer to them). No build type: -O1 -g and the
# library assertions are set here, so NDEBUG never hides an assert.
sanitize="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
flags="$sanitize -fno-omit-frame-pointer -O1 -g -D_GLIBCXX_ASSERTIONS"

start=$(date +%s)
mkdir -p "$build"
cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_CXX_COMPILER=clang++-14 \
    -DCMAKE_BUILD_TYPE= \
    -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCANARY_FUZZ=ON -DCANARY_BUILD_TESTS=OFF -DCANARY_BUILD_BENCH=OFF -DCANARY_WERROR=OFF \
    >"$build/configure.log" 2>&1 || {
    cat "$build/configure.log" >&2
    echo "fuzz.sh: configuring $build failed" >&2
    exit 2
}
cmake --build "$build" --target "${harnesses[@]}"
built=$(date +%s)
echo "fuzz.sh: built ${#harnesses[@]} harnesses in $((built - start)) s"

mkdir -p "$artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
for harness in "${harnesses[@]}"; do
    seeds=$root/tests/fuzz/corpus/$harness
    if [[ ! -d $seeds ]]; then
        echo "fuzz.sh: no seed corpus $seeds" >&2
        exit 2
    fi
    # A fresh copy: the run adds what it finds there, and the committed seeds stay small.
    corpus=$(mktemp -d "${TMPDIR:-/tmp}/$harness.XXXXXX")
    cp "$seeds"/* "$corpus"/
    log=$build/$harness.log
    prefix=$artifacts/$harness-
    rm -f "$prefix"*
    echo "fuzz.sh: $harness for $seconds s"
    status=0
    "$build/fuzz/$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$prefix" "$corpus" >"$log" 2>&1 || status=$?
    rm -rf "$corpus"
    if [[ $status -ne 0 ]]; then
        reproducer=$(ls -t "$prefix"* 2>/dev/null | head -n 1 || true)
        echo "fuzz.sh: $harness FAILED (exit $status); reproducer: ${reproducer:-none saved}; log: $log" >&2
        # The sanitizer's verdict, or for an abort() the harness's own message just before it.
        awk '/runtime error|ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|SUMMARY:/ {print; n++}
             /ERROR: libFuzzer/ {print prev; print; n++}
             {prev = $0}
             n >= 3 {exit}' "$log" >&2
        echo "fuzz.sh:   reproduce with $build/fuzz/$harness ${reproducer:-<file>}" >&2
        failed+=("$harness")
    else
        runs=$(grep -m 1 -o "stat::number_of_executed_units: *[0-9]*" "$log" | grep -o "[0-9]*$" || echo "?")
        echo "fuzz.sh: $harness ok ($runs runs)"
    fi
done

echo "fuzz.sh: build $((built - start)) s, runs $(($(date +%s) - built)) s"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz.sh: ${#failed[@]} harness(es) failed: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz.sh: every harness ran $seconds s without a finding"
