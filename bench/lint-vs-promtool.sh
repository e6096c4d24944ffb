#!/usr/bin/env bash
# canaryctl metrics-lint against `promtool check metrics` on the same generated exposition, in the
# same run: wall time (median of RUNS runs) and maximum resident memory of each.
# Usage: bench/lint-vs-promtool.sh [BUILD_DIR] [MEGABYTES]   (defaults: build/release 60; RUNS=5)
# BASELINE=/path/to/another/canaryctl measures that one too (e.g. an older build).
set -euo pipefail
build=${1:-build/release}
megabytes=${2:-60}
runs=${RUNS:-5}
canaryctl="$build/bin/canaryctl"
[[ -x $canaryctl ]] || { echo "no $canaryctl: build the canaryctl target first" >&2; exit 1; }
command -v promtool > /dev/null || { echo "promtool is missing (Debian package prometheus)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
input="$work/metrics.txt"

# A realistic text 0.0.4 exposition: in turn a counter family (handlers x methods x codes), a
# gauge family and a latency histogram family (12 buckets), each with HELP and TYPE, until the
# size is reached. Every family name is new, as in a large exporter.
awk -v target=$((megabytes * 1000 * 1000)) '
function out(line) { print line; bytes += length(line) + 1 }
BEGIN {
    split("GET POST PUT DELETE", methods, " ")
    split("200 201 400 404 429 500 503", codes, " ")
    split("0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10 +Inf", bounds, " ")
    value = 1
    for (f = 1; bytes < target; f++) {
        kind = f % 3
        if (kind == 1) {
            name = "app_http_requests_" f "_total"
            out("# HELP " name " Requests served, by handler, method and status code.")
            out("# TYPE " name " counter")
            for (h = 0; h < 30; h++)
                for (m = 1; m <= 4; m++)
                    for (c = 1; c <= 7; c++) {
                        value += 7
                        out(name "{code=\"" codes[c] "\",handler=\"/api/v1/resource" h \
                            "\",instance=\"10.0." (f % 250) "." h ":9100\",method=\"" \
                            methods[m] "\"} " value)
                    }
        } else if (kind == 2) {
            name = "app_queue_depth_" f
            out("# HELP " name " Items waiting in the queue.")
            out("# TYPE " name " gauge")
            for (q = 0; q < 200; q++)
                out(name "{instance=\"10.0." (f % 250) "." (q % 100) ":9100\",queue=\"q" q \
                    "\"} " (q * 3.25))
        } else {
            name = "app_request_duration_seconds_" f
            out("# HELP " name " Request latency.")
            out("# TYPE " name " histogram")
            for (h = 0; h < 30; h++) {
                count = 0
                labels = "handler=\"/api/v1/resource" h "\",instance=\"10.0." (f % 250) "." h ":9100\""
                for (b = 1; b <= 12; b++) {
                    count += 11 + b
                    out(name "_bucket{" labels ",le=\"" bounds[b] "\"} " count)
                }
                out(name "_sum{" labels "} " (count * 0.042))
                out(name "_count{" labels "} " count)
            }
        }
    }
}' > "$input"
printf 'input: %s bytes, %s lines, %s families\n' "$(stat -c %s "$input")" \
    "$(wc -l < "$input")" "$(grep -c '^# TYPE' "$input")"

measure() { # LABEL COMMAND...: prints median seconds and the largest max RSS over $runs runs
    local label=$1 rc
    shift
    : > "$work/times"
    for _ in $(seq 1 "$runs"); do
        rc=0
        /usr/bin/time -f '%e %M' -a -o "$work/times" "$@" < "$input" > /dev/null 2>&1 || rc=$?
    done
    sort -n "$work/times" | awk -v label="$label" -v rc="$rc" -v runs="$runs" '
        { t[NR] = $1; if ($2 > rss) rss = $2 }
        END { printf "%-40s median %6.2f s (min %.2f, max %.2f, %d runs)   max RSS %7.1f MiB   exit %d\n",
                     label, t[int((NR + 1) / 2)], t[1], t[NR], runs, rss / 1024, rc }'
}
measure "canaryctl metrics-lint FILE" "$canaryctl" metrics-lint "$input"
measure "canaryctl metrics-lint - (stdin)" "$canaryctl" metrics-lint -
if [[ -n ${BASELINE:-} ]]; then
    measure "baseline: metrics-lint FILE" "$BASELINE" metrics-lint "$input"
fi
measure "promtool check metrics < FILE" promtool check metrics
