#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing, benchmarking and packaging need.
# Idempotent: a quiet no-op when everything is already there. Uses sudo when not root.
set -euo pipefail

packages=(
    # build
    cmake ninja-build g++ make pkgconf
    qt6-base-dev qt6-base-dev-tools libgl-dev
    libqcustomplot-dev qtkeychain-qt6-dev
    libcurl4-openssl-dev nlohmann-json3-dev libboost-dev libsqlite3-dev
    # tests: a real Prometheus and HAProxy, promtool checks our /metrics, Xvfb runs the window, dpkg-dev computes .deb Depends
    prometheus haproxy xvfb xauth dpkg-dev file
    # benchmarks and looking at reports
    wrk poppler-utils
    # report tests: a JSON Schema validator and a CSV reader that are not ours
    python3 python3-jsonschema
    # SageMaker/CloudWatch tests: the fake AWS service checks every signature with botocore
    python3-botocore
    # fuzzing (scripts/fuzz.sh): clang with libFuzzer and the sanitizer runtimes
    clang-14 libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
echo "deps-debian: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
