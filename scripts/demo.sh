#!/usr/bin/env bash
# make demo-cli: the reference gateway with simulated production and canary models under load,
# watched live with canaryctl. Ctrl-C stops both.
set -euo pipefail
build=${1:-build/debug}
bin="$build/bin"
runtime=$(mktemp -d)
trap 'kill "$gateway" 2>/dev/null; wait "$gateway" 2>/dev/null; rm -rf "$runtime"' EXIT

token="$runtime/token"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$token"
"$bin/canary-gateway" --demo --listen 127.0.0.1:0 --token-file "$token" > "$runtime/out" &
gateway=$!
for _ in $(seq 1 100); do
    url=$(sed -n 's/^canary-gateway listening on //p' "$runtime/out")
    [[ -n $url ]] && break
    kill -0 "$gateway" 2>/dev/null || { echo "demo: the gateway did not start" >&2; exit 1; }
    sleep 0.1
done
[[ -n $url ]] || { echo "demo: the gateway did not report its address" >&2; exit 1; }

cat <<EOT
Canary gateway demo running at $url (simulated production 2.3.0 and canary 2.4.0 under load).
In another terminal, try:
  $bin/canaryctl --url $url status
  $bin/canaryctl --url $url --token-file $token set-weight 25
  $bin/canaryctl --url $url --token-file $token rollback
Watching live numbers below (Ctrl-C to stop the demo).
EOT
sleep 1
"$bin/canaryctl" --url "$url" watch
