#!/usr/bin/env bash
# A whole demo stack for the console's HAProxy and Prometheus kinds, on free loopback ports in a
# temporary folder: two canary-gateway instances serve the production (2.3.0) and the canary
# (2.4.0) model, HAProxy splits traffic between them by server weight, a third canary-gateway
# sends 200 predictions/s through HAProxy, and Prometheus scrapes the two model gateways.
# Prints the --backend and --metrics URLs for canary-console and canaryctl; Ctrl-C stops all.
#
#   scripts/demo-haproxy-prometheus.sh [BUILD_DIR]      (default build/debug)
#
# Needs haproxy and prometheus (installer/deps-debian.sh installs both).
set -euo pipefail
build=${1:-build/debug}
bin="$build/bin"
haproxy_bin=$(command -v haproxy || echo /usr/sbin/haproxy)
prometheus_bin=$(command -v prometheus || echo /usr/bin/prometheus)
for tool in "$bin/canary-gateway" "$haproxy_bin" "$prometheus_bin"; do
    [[ -x $tool ]] || { echo "demo: $tool is missing (build it, or run installer/deps-debian.sh)" >&2; exit 1; }
done

dir=$(mktemp -d -t canary-haproxy-demo.XXXXXX)
pids=()
stop() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts a gateway on a free port; sets $started to its port.
start_gateway() {
    local name=$1
    shift
    "$bin/canary-gateway" --listen 127.0.0.1:0 "$@" > "$dir/$name.out" 2> "$dir/$name.err" &
    pids+=($!)
    local url=
    for _ in $(seq 1 100); do
        url=$(sed -n 's/^canary-gateway listening on //p' "$dir/$name.out")
        [[ -n $url ]] && break
        kill -0 "${pids[-1]}" 2>/dev/null || { echo "demo: the $name gateway did not start:" >&2; cat "$dir/$name.err" >&2; exit 1; }
        sleep 0.1
    done
    [[ -n $url ]] || { echo "demo: the $name gateway did not report its address" >&2; exit 1; }
    started=${url##*:}
}

# The two models: the canary is a little slower and fails a little more often.
cat > "$dir/production.json" <<JSON
{"production": {"model": "fraud-model", "version": "2.3.0",
  "simulate": {"latency_p50_ms": 40, "latency_p99_ms": 120, "error_rate": 0.005}}}
JSON
cat > "$dir/canary.json" <<JSON
{"production": {"model": "fraud-model", "version": "2.4.0",
  "simulate": {"latency_p50_ms": 45, "latency_p99_ms": 160, "error_rate": 0.012}}}
JSON
start_gateway production --config "$dir/production.json" --load 0
production_port=$started
start_gateway canary --config "$dir/canary.json" --load 0
canary_port=$started

frontend_port=$(free_port)
socket="$dir/haproxy.sock"
cat > "$dir/haproxy.cfg" <<CFG
global
    stats socket $socket mode 600 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend web
    bind 127.0.0.1:$frontend_port
    default_backend models
backend models
    balance roundrobin
    server prod 127.0.0.1:$production_port weight 243
    server can 127.0.0.1:$canary_port weight 13
CFG
"$haproxy_bin" -db -f "$dir/haproxy.cfg" > "$dir/haproxy.log" 2>&1 &
pids+=($!)

# The load: a gateway whose only model is HAProxy's frontend, driven by its load generator, so
# every prediction passes through HAProxy and the weights decide who serves it.
cat > "$dir/load.json" <<JSON
{"production": {"model": "haproxy", "version": "frontend",
  "upstream": "http://127.0.0.1:$frontend_port/v1/predict", "timeout_ms": 2000}}
JSON
start_gateway load --config "$dir/load.json" --load 200

# Prometheus labels each model gateway's series with the slot it serves (the gateways themselves
# each call their one model "production"), and drops the gateways' own weight gauge: the weights
# are HAProxy's, read from its socket.
prometheus_port=$(free_port)
cat > "$dir/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: canary-gw
    static_configs:
      - targets: ['127.0.0.1:$production_port']
        labels: {variant: production}
      - targets: ['127.0.0.1:$canary_port']
        labels: {variant: canary}
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: canary_traffic_weight
        action: drop
YML
"$prometheus_bin" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/prometheus" \
    --web.listen-address=127.0.0.1:$prometheus_port --log.level=warn > "$dir/prometheus.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 150); do
    [[ -S $socket ]] && curl -fs "http://127.0.0.1:$prometheus_port/-/ready" > /dev/null 2>&1 && break
    sleep 0.1
done
[[ -S $socket ]] || { echo "demo: HAProxy did not start:" >&2; cat "$dir/haproxy.log" >&2; exit 1; }

backend="haproxy+unix://$socket?backend=models&production=prod&canary=can"
metrics="prometheus+http://127.0.0.1:$prometheus_port?job=canary-gw"
cat <<EOT
HAProxy demo running in $dir:
  production gateway 127.0.0.1:$production_port (fraud-model 2.3.0), canary gateway 127.0.0.1:$canary_port (2.4.0)
  HAProxy frontend   http://127.0.0.1:$frontend_port (200 predictions/s), canary weight 13 of 256 (5.1 %)
  Prometheus         http://127.0.0.1:$prometheus_port

  --backend '$backend'
  --metrics '$metrics'

Try:
  $bin/canary-console --backend '$backend' --metrics '$metrics'
(canaryctl takes the same two URLs as --backend and --metrics.)
Ctrl-C stops the demo.
EOT
# Runs until Ctrl-C, or until one part of the stack ends by itself.
wait -n "${pids[@]}"
