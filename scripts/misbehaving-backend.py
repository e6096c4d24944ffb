#!/usr/bin/env python3
"""A Control API backend that misbehaves on purpose, for looking at what the console shows.

It serves GET /v1/rollout and GET /metrics on 127.0.0.1 with counters that grow like real
traffic, and bends the spec as asked:

  --state-stable       report state "stable" while a canary is staged (spec: "canary")
  --empty-canary       after promote, keep an empty canary entry (no model, 0 %)
  --break-metrics-after S
                       after S seconds, answer /metrics with text that does not parse
  --relabel-after S    after S seconds, the canary's counters carry on under a new version label
  --restart-after S    after S seconds, every counter starts again from zero (a restart)
  --metrics-outage A:B metrics answer 503 from A to B seconds (a gap in the charts)

  scripts/misbehaving-backend.py --port 8089 --state-stable --break-metrics-after 20 &
  canary-console --url http://127.0.0.1:8089

Only for looking and testing: it accepts no actions (they answer 405).
"""
import argparse
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

args = None
started = time.monotonic()


def document():
    variants = [{"name": "production", "model": "fraud", "version": "1.4.0", "weight": 90}]
    if args.empty_canary:
        variants[0]["weight"] = 100
        variants.append({"name": "canary", "model": "", "version": "", "weight": 0})
        state = "promoted"
    else:
        variants.append({"name": "canary", "model": "fraud", "version": "2.0.0", "weight": 10})
        state = "stable" if args.state_stable else "canary"
    return {"revision": 12, "state": state, "updated_at": "2026-12-01T12:00:00.000Z",
            "variants": variants}


def metrics():
    t = time.monotonic() - started
    # Counters that carry on from an earlier life of the process; a restart starts them at 0.
    carried = 50000
    if args.restart_after and t > args.restart_after:
        t -= args.restart_after
        carried = 0
    prod = int(900 * t)
    can = int(100 * t)
    can_version = "2.0.1" if args.relabel_after and t > args.relabel_after else "2.0.0"
    buckets = [0.025, 0.05, 0.1, 0.25, 0.5, 1.0]
    lines = ["# TYPE canary_requests_total counter",
             f'canary_requests_total{{variant="production",version="1.4.0"}} {prod}',
             f'canary_requests_total{{variant="canary",version="{can_version}"}} {can + carried}',
             "# TYPE canary_request_errors_total counter",
             f'canary_request_errors_total{{variant="production",version="1.4.0"}} {prod // 200}',
             f'canary_request_errors_total{{variant="canary",version="{can_version}"}} {can // 40}',
             "# TYPE canary_request_duration_seconds histogram"]
    for variant, version, n, share in (("production", "1.4.0", prod, [0.3, 0.7, 0.95, 0.99, 1, 1]),
                                       ("canary", can_version, can, [0.2, 0.6, 0.9, 0.97, 0.995, 1])):
        for le, s in zip(buckets, share):
            lines.append(f'canary_request_duration_seconds_bucket{{variant="{variant}",'
                         f'version="{version}",le="{le}"}} {int(n * s)}')
        lines.append(f'canary_request_duration_seconds_bucket{{variant="{variant}",'
                     f'version="{version}",le="+Inf"}} {n}')
        lines.append(f'canary_request_duration_seconds_count{{variant="{variant}",'
                     f'version="{version}"}} {n}')
    lines.append("# TYPE canary_traffic_weight gauge")
    lines.append('canary_traffic_weight{variant="production",version="1.4.0"} 90')
    lines.append(f'canary_traffic_weight{{variant="canary",version="{can_version}"}} 10')
    return "\n".join(lines) + "\n"


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *_):
        pass

    def answer(self, status, content_type, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/v1/rollout":
            self.answer(200, "application/json", json.dumps(document()))
        elif self.path == "/metrics":
            t = time.monotonic() - started
            broken = args.break_metrics_after is not None and t > args.break_metrics_after
            if args.metrics_outage:
                a, b = (float(x) for x in args.metrics_outage.split(":"))
                if a <= t < b:
                    self.answer(503, "text/plain", "metrics temporarily unavailable\n")
                    return
            if broken:
                self.answer(200, "text/plain; version=0.0.4",
                            "# TYPE canary_requests_total counter\ncanary_requests_total{{ 1\n")
            else:
                self.answer(200, "text/plain; version=0.0.4", metrics())
        else:
            self.answer(404, "application/problem+json",
                        json.dumps({"type": "about:blank", "title": "Not Found", "status": 404}))

    def do_PUT(self):
        self.answer(405, "application/problem+json",
                    json.dumps({"type": "about:blank", "title": "Method Not Allowed",
                                "status": 405}))

    do_POST = do_PUT


def main():
    global args
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--state-stable", action="store_true")
    parser.add_argument("--empty-canary", action="store_true")
    parser.add_argument("--break-metrics-after", type=float)
    parser.add_argument("--relabel-after", type=float)
    parser.add_argument("--restart-after", type=float)
    parser.add_argument("--metrics-outage")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"misbehaving backend on http://127.0.0.1:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
