#!/usr/bin/env bash
# The rollout-policy benchmark of docs/benchmarks.md: the four benchmark scenarios, 1,000 whole
# rollouts each, every policy, in a Release build. Usage: bench/simulate.sh [BUILD_DIR] [RUNS]
# The JSON reports go to $OUT (default: a temporary folder), the tables to stdout.
set -euo pipefail
build=${1:-build/release}
runs=${2:-1000}
here=$(cd "$(dirname "$0")" && pwd)
scenarios="$here/../docs/examples/scenarios"
out=${OUT:-$(mktemp -d)}
ctl="$build/bin/canaryctl"
[[ -x $ctl ]] || { echo "no $ctl: build it first (cmake --preset release && cmake --build build/release --target canaryctl)" >&2; exit 2; }

for scenario in aa errors-1-to-2 tail-2pct-3x accuracy-minus-2; do
    echo "== $scenario ($runs runs, seed 1)"
    "$ctl" simulate --scenario "$scenarios/$scenario.json" --runs "$runs" --seed 1 --json \
        > "$out/$scenario.json"
    python3 - "$out/$scenario.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
def s(v, unit=""):
    return "never" if v is None else f"{v:.0f}{unit}"
for p in r["policies"]:
    line = f'{p["name"]:<16} false rollbacks {100 * p["false_rollback_rate"]:5.1f} %'
    if r["regression"]:
        t, q = p["time_to_rollback_s"], p["canary_requests_to_rollback"]
        line += (f'  detected {100 * p["detection_rate"]:5.1f} %'
                 f'  time median {s(t["median"], " s")} p90 {s(t["p90"], " s")}'
                 f'  canary requests median {s(q["median"])} p90 {s(q["p90"])}')
    else:
        t = p["time_to_promotion_s"]
        line += f'  promoted {p["promotions"]}' + (f'  median {s(t["median"], " s")}' if t else "")
    if p.get("rollbacks_by_gate"):
        line += "  by gate " + ", ".join(f"{k} {v}" for k, v in p["rollbacks_by_gate"].items())
    print(line)
for n in r["notes"]:
    print(n)
print(f'{r["elapsed_s"]:.1f} s wall-clock, {r["runs_per_second"]:.1f} runs/s')
PY
    echo
done
echo "JSON reports in $out"
