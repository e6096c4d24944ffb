#!/usr/bin/env bash
# make bench: every benchmark against a Release build; results go to stdout (copy them into
# docs/benchmarks.md with the date). Usage: bench/run.sh BUILD_DIR
set -euo pipefail
build=${1:-build/release}
here=$(cd "$(dirname "$0")" && pwd)
bin="$build/bin"

echo "== exposition parser"
"$build/bench/bench_expositionparser"
echo
echo "== KPIs over scrapes with 286,000 distinct series"
"$build/bench/bench_kpis" 286000
echo
echo "== canaryctl metrics-lint against promtool check metrics (60 MB generated exposition)"
"$here/lint-vs-promtool.sh" "$build" 60
echo
echo "== time-series store"
"$build/bench/bench_timeseries"
if [[ -x $build/bench/bench_dashboard ]]; then
    echo
    echo "== dashboard refresh"
    "$build/bench/bench_dashboard"
fi

echo
echo "== gateway: POST /v1/predict over keep-alive (wrk, loopback; simulated models p50 0.2 ms)"
work=$(mktemp -d)
trap 'kill "$gw" 2>/dev/null; wait "$gw" 2>/dev/null; rm -rf "$work"' EXIT
echo bench-token > "$work/token"
"$bin/canary-gateway" --config "$here/gateway-bench.json" --listen 127.0.0.1:0 \
    --token-file "$work/token" > "$work/out" 2> "$work/err" &
gw=$!
for _ in $(seq 1 100); do
    url=$(sed -n 's/^canary-gateway listening on //p' "$work/out")
    [[ -n $url ]] && break
    sleep 0.1
done
[[ -n $url ]] || { cat "$work/err"; exit 1; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$gw/stat"; }
hz=$(getconf CLK_TCK)

run_wrk() { # LABEL CONNECTIONS DELAY_MS
    local before after
    before=$(cpu_ticks)
    WRK_DELAY_MS=$3 wrk -t2 -c"$2" -d10s --latency -s "$here/predict.lua" "$url" > "$work/wrk"
    after=$(cpu_ticks)
    local rps p50 p99 cpu
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk")
    p50=$(awk '$1 == "50%" {print $2}' "$work/wrk")
    p99=$(awk '$1 == "99%" {print $2}' "$work/wrk")
    cpu=$(awk -v a="$before" -v b="$after" -v hz="$hz" 'BEGIN {printf "%.0f", (b - a) / hz / 10 * 100}')
    printf '%-34s %10s req/s   p50 %8s   p99 %8s   gateway CPU %4s %% of one core\n' \
        "$1" "$rps" "$p50" "$p99" "$cpu"
    grep -E "Non-2xx|Socket errors" "$work/wrk" || true
}
run_wrk "paced ~5,000 req/s, 64 connections" 64 12
run_wrk "flat out, 64 connections" 64 0
run_wrk "flat out, 256 connections" 256 0
