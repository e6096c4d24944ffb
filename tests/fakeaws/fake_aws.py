#!/usr/bin/python3
"""A local fake of Amazon SageMaker (DescribeEndpoint, UpdateEndpointWeightsAndCapacities) and
Amazon CloudWatch (GetMetricData) for tests. Every request but /_fake/* must carry a valid SigV4
signature; the signature is recomputed with botocore.

Usage: fake_aws.py --port 0 --scenario FILE   (prints "LISTENING <port>" once it serves)

Scenario keys (all optional):
  region            "eu-west-1"
  credentials       [{"accessKeyId", "secretAccessKey", "sessionToken": null, "expired": false}]
  endpoints         [{"name", "status": "InService", "configName"?,
                      "variants": [{"name", "weight", "instances", "image"?}]}]
  updateDescribes   2: after an update, this many DescribeEndpoint calls answer "Updating"; the
                    next one answers "InService" (0: InService at once)
  updateSeconds     null, or: Updating for this many wall-clock seconds (wins when given)
  metrics           {"rps": 20, "historyMinutes": 180, "delaySeconds": 0,
                     "variants": {NAME: {"latencyMs", "sigma", "error5xx", "error4xx"}}}
  deny              action names answered with AccessDeniedException
  throttle          the next N signed requests answer ThrottlingException

Control (unsigned): POST /_fake/control with any of
  {"throttle": N} {"expire": bool} {"deny": [...]} {"status": "Failed", "endpoint"?: NAME}
  {"metrics": {"rps"?, "variants": {...}}}  (from the current minute on)
  {"setWeights": {VARIANT: w}, "endpoint"?: NAME}  (InService at once)
  {"failNext": {"status": 500, "type": "InternalFailure", "message"?}}
answers {"ok": true}. GET /_fake/requests: the recorded requests. GET /_fake/state: endpoints.

Metrics: per minute and variant, invocations = round(rps * sum over the minute's weight
segments of seconds * CurrentWeight/sum(weights)); errors = round(invocations * ratio);
ModelLatency in microseconds, log-normal (median latencyMs * deterministic jitter of +-3 %,
sigma). Periods of N minutes: Sum/SampleCount add up, Average is invocation-weighted, pNN is the
exact quantile of the mixture of the minutes' log-normals. Minute parameters are those in
effect at the minute's end. Datapoints are stamped at the period start (aligned to the
period); only periods that ended delaySeconds ago appear.
"""
import argparse
import base64
import calendar
import datetime
import hashlib
import json
import math
import re
import signal
import statistics
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

ACCOUNT = "123456789012"
NAME_RE = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
CW_NS = "http://monitoring.amazonaws.com/doc/2010-08-01/"
STAT_RE = re.compile(r"^(SampleCount|Average|Sum|Minimum|Maximum|p(\d{1,2}(\.\d{1,2})?|100))$")
ND = statistics.NormalDist()
# JSON error type -> query protocol code
QUERY_CODES = {
    "MissingAuthenticationTokenException": "MissingAuthenticationToken",
    "UnrecognizedClientException": "InvalidClientTokenId",
    "InvalidSignatureException": "SignatureDoesNotMatch",
    "IncompleteSignatureException": "IncompleteSignature",
    "ExpiredTokenException": "ExpiredToken",
    "ThrottlingException": "Throttling",
    "AccessDeniedException": "AccessDenied",
    "UnknownOperationException": "InvalidAction",
}


class ApiError(Exception):
    def __init__(self, status, type_, message):
        super().__init__(message)
        self.status, self.type, self.message = status, type_, message


def validation(msg):
    return ApiError(400, "ValidationException", msg)


class State:
    def __init__(self, sc):
        self.lock = threading.Lock()
        self.start = time.time()
        self.region = sc.get("region", "eu-west-1")
        self.credentials = sc.get("credentials") or [
            {"accessKeyId": "AKIDEXAMPLE",
             "secretAccessKey": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}]
        self.update_describes = sc.get("updateDescribes", 2)
        self.update_seconds = sc.get("updateSeconds")
        m = sc.get("metrics") or {}
        self.rps = m.get("rps", 20)
        self.history_minutes = m.get("historyMinutes", 180)
        self.delay = m.get("delaySeconds", 0)
        self.metric_history = [(-math.inf, self.rps, dict(m.get("variants") or {}))]
        self.deny = list(sc.get("deny") or [])
        self.throttle = int(sc.get("throttle") or 0)
        self.fail_next = None
        self.requests = []
        self.endpoints = {}
        eps = sc.get("endpoints") or [{"name": "fraud-scorer", "variants": [
            {"name": "prod-v1", "weight": 0.9, "instances": 1},
            {"name": "canary-v2", "weight": 0.1, "instances": 1}]}]
        for e in eps:
            variants = []
            for v in e.get("variants", []):
                image = v.get("image") or "%s.dkr.ecr.%s.amazonaws.com/%s:latest" % (
                    ACCOUNT, self.region, v["name"])
                variants.append({"VariantName": v["name"], "image": image,
                                 "CurrentWeight": float(v.get("weight", 1.0)),
                                 "DesiredWeight": float(v.get("weight", 1.0)),
                                 "CurrentInstanceCount": int(v.get("instances", 1)),
                                 "DesiredInstanceCount": int(v.get("instances", 1))})
            self.endpoints[e["name"]] = {
                "EndpointName": e["name"], "EndpointConfigName": e.get("configName", e["name"] + "-config"),
                "EndpointStatus": e.get("status", "InService"),
                "CreationTime": round(self.start - self.history_minutes * 60 - 3600, 3),
                "LastModifiedTime": round(self.start - self.history_minutes * 60 - 3600, 3),
                "variants": variants, "pending": None,
                "weights": [(-math.inf, {v["VariantName"]: v["CurrentWeight"] for v in variants})]}

    def arn(self, name):
        return "arn:aws:sagemaker:%s:%s:endpoint/%s" % (self.region, ACCOUNT, name.lower())

    def settle(self, ep, describing=False):
        p = ep["pending"]
        if not p:
            return
        now = time.time()
        if p.get("until") is not None:
            done = now >= p["until"]
            when = p["until"] if done else None
        else:
            if describing:
                p["left"] -= 1
            done = p["left"] < 0
            when = now
        if done:
            for v in ep["variants"]:
                v["CurrentWeight"] = v["DesiredWeight"]
                v["CurrentInstanceCount"] = v["DesiredInstanceCount"]
            ep["weights"].append((when, {v["VariantName"]: v["CurrentWeight"] for v in ep["variants"]}))
            ep["EndpointStatus"] = "InService"
            ep["LastModifiedTime"] = round(when, 3)
            ep["pending"] = None

    def public(self, ep):
        out = {k: ep[k] for k in ("EndpointName", "EndpointConfigName", "EndpointStatus",
                                  "CreationTime", "LastModifiedTime")}
        out["EndpointArn"] = self.arn(ep["EndpointName"])
        out["ProductionVariants"] = [{
            "VariantName": v["VariantName"],
            "DeployedImages": [{"SpecifiedImage": v["image"],
                                "ResolvedImage": v["image"].split(":")[0] + "@sha256:" +
                                hashlib.sha256(v["image"].encode()).hexdigest(),
                                "ResolutionTime": ep["CreationTime"]}],
            "CurrentWeight": v["CurrentWeight"], "DesiredWeight": v["DesiredWeight"],
            "CurrentInstanceCount": v["CurrentInstanceCount"],
            "DesiredInstanceCount": v["DesiredInstanceCount"]} for v in ep["variants"]]
        if ep["EndpointStatus"] == "Failed":
            out["FailureReason"] = ep.get("FailureReason", "Failed by the test")
        return out


STATE = None


def check_name(value, field):
    if value is None:
        raise validation("1 validation error detected: Value null at '%s' failed to satisfy "
                         "constraint: Member must not be null" % field)
    if not isinstance(value, str) or len(value) > 63:
        raise validation("1 validation error detected: Value '%s' at '%s' failed to satisfy "
                         "constraint: Member must have length less than or equal to 63" % (value, field))
    if not re.fullmatch(NAME_RE, value):
        raise validation("1 validation error detected: Value '%s' at '%s' failed to satisfy "
                         "constraint: Member must satisfy regular expression pattern: %s"
                         % (value, field, NAME_RE))


def find_endpoint(name):
    check_name(name, "endpointName")
    ep = STATE.endpoints.get(name)
    if ep is None:
        raise validation('Could not find endpoint "%s".' % STATE.arn(name))
    return ep


def describe_endpoint(body):
    ep = find_endpoint(body.get("EndpointName"))
    STATE.settle(ep, describing=True)
    return STATE.public(ep)


def update_weights(body):
    ep = find_endpoint(body.get("EndpointName"))
    STATE.settle(ep)
    arn = STATE.arn(ep["EndpointName"])
    items = body.get("DesiredWeightsAndCapacities")
    if not items:
        raise validation("1 validation error detected: Value '%s' at 'desiredWeightsAndCapacities' "
                         "failed to satisfy constraint: Member must have length greater than or "
                         "equal to 1" % ("null" if items is None else "[]"))
    byname = {v["VariantName"]: v for v in ep["variants"]}
    seen = set()
    for i, it in enumerate(items, 1):
        check_name(it.get("VariantName"), "desiredWeightsAndCapacities.%d.member.variantName" % i)
        for key, field in (("DesiredWeight", "desiredWeight"), ("DesiredInstanceCount", "desiredInstanceCount")):
            val = it.get(key)
            if val is not None and (not isinstance(val, (int, float)) or val < 0):
                raise validation("1 validation error detected: Value '%s' at 'desiredWeightsAndCapacities."
                                 "%d.member.%s' failed to satisfy constraint: Member must have value "
                                 "greater than or equal to 0" % (val, i, field))
        if it.get("DesiredWeight") is None and it.get("DesiredInstanceCount") is None:
            raise validation('Either DesiredWeight or DesiredInstanceCount must be specified for '
                             'variant "%s".' % it["VariantName"])
        if it["VariantName"] in seen:
            raise validation('Variant "%s" is specified more than once.' % it["VariantName"])
        seen.add(it["VariantName"])
    missing = [it["VariantName"] for it in items if it["VariantName"] not in byname]
    if missing:
        raise validation('The variant(s) "[%s]" are not present in the endpoint "%s".'
                         % (", ".join(missing), arn))
    if ep["EndpointStatus"] != "InService":
        raise validation('Cannot update in-progress endpoint "%s".' % arn)
    new = {n: v["DesiredWeight"] for n, v in byname.items()}
    for it in items:
        if it.get("DesiredWeight") is not None:
            new[it["VariantName"]] = float(it["DesiredWeight"])
    if sum(new.values()) <= 0:
        raise validation('The sum of the variant weights of endpoint "%s" must be greater than 0.' % arn)
    for it in items:
        v = byname[it["VariantName"]]
        if it.get("DesiredWeight") is not None:
            v["DesiredWeight"] = float(it["DesiredWeight"])
        if it.get("DesiredInstanceCount") is not None:
            v["DesiredInstanceCount"] = int(it["DesiredInstanceCount"])
    now = time.time()
    ep["EndpointStatus"] = "Updating"
    ep["LastModifiedTime"] = round(now, 3)
    if STATE.update_seconds is not None:
        ep["pending"] = {"until": now + float(STATE.update_seconds)}
    else:
        ep["pending"] = {"left": int(STATE.update_describes)}
    if STATE.update_seconds is None and STATE.update_describes <= 0:
        STATE.settle(ep)
    return {"EndpointArn": arn}


# ---------------------------------------------------------------- metrics

UNITS = {"Invocations": "None", "Invocation4XXErrors": "None", "Invocation5XXErrors": "None",
         "ModelLatency": "Microseconds"}


def jitter(*parts):
    h = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return 1.0 + 0.03 * (int.from_bytes(h[:8], "big") / 2 ** 64 * 2 - 1)


def params_at(t, variant):
    rps, params = STATE.rps, {}
    for when, r, p in STATE.metric_history:
        if when < t:
            rps, params = r, p
    d = {"latencyMs": 40, "sigma": 0.3, "error5xx": 0.002, "error4xx": 0.001}
    d.update(params.get(variant) or {})
    return rps, d


def minute(ep, variant, m0):
    """One minute of one variant: (invocations, e4, e5, median_us, sigma) or None."""
    hist = ep["weights"]
    share_seconds = 0.0
    for i, (when, weights) in enumerate(hist):
        seg_start = max(when, m0)
        seg_end = min(hist[i + 1][0] if i + 1 < len(hist) else math.inf, m0 + 60)
        total = sum(weights.values())
        if seg_end > seg_start and total > 0:
            share_seconds += (seg_end - seg_start) * weights.get(variant, 0.0) / total
    rps, p = params_at(m0 + 60, variant)
    inv = int(round(rps * share_seconds + 1e-9))
    if inv <= 0:
        return None
    median = p["latencyMs"] * 1000.0 * jitter(ep["EndpointName"], variant, m0)
    return (inv, int(round(inv * p["error4xx"])), int(round(inv * p["error5xx"])), median, p["sigma"])


def aggregate(metric, stat, mins):
    inv = sum(x[0] for x in mins)
    if metric == "ModelLatency":
        if stat == "SampleCount":
            return float(inv)
        means = [(x[0], x[3] * math.exp(x[4] ** 2 / 2)) for x in mins]
        if stat == "Sum":
            return sum(n * a for n, a in means)
        if stat == "Average":
            return sum(n * a for n, a in means) / inv
        if stat == "Minimum":
            return min(x[3] * math.exp(x[4] * ND.inv_cdf(1 / (x[0] + 1))) for x in mins)
        if stat == "Maximum":
            return max(x[3] * math.exp(x[4] * ND.inv_cdf(x[0] / (x[0] + 1))) for x in mins)
        q = float(stat[1:]) / 100
        q = min(max(q, 1e-6), 1 - 1e-6)
        if len(mins) == 1:
            return mins[0][3] * math.exp(mins[0][4] * ND.inv_cdf(q))
        lo = min(x[3] * math.exp(x[4] * ND.inv_cdf(q)) for x in mins)
        hi = max(x[3] * math.exp(x[4] * ND.inv_cdf(q)) for x in mins)
        for _ in range(60):
            mid = (lo + hi) / 2
            cdf = sum(x[0] * ND.cdf((math.log(mid) - math.log(x[3])) / x[4]) for x in mins) / inv
            lo, hi = (mid, hi) if cdf < q else (lo, mid)
        return (lo + hi) / 2
    count = {"Invocations": inv, "Invocation4XXErrors": sum(x[1] for x in mins),
             "Invocation5XXErrors": sum(x[2] for x in mins)}[metric]
    rate = count / inv
    if stat == "Sum":
        return float(count)
    if stat == "SampleCount":
        return float(inv)
    if stat == "Average":
        return rate
    if stat == "Minimum":
        return 1.0 if count == inv else 0.0
    if stat == "Maximum":
        return 1.0 if count > 0 else 0.0
    return 1.0 if float(stat[1:]) / 100 > 1 - rate else 0.0


def series(q, start, end, cutoff):
    ms = q["MetricStat"]
    metric = ms["Metric"]
    dims = {d.get("Name"): d.get("Value") for d in metric.get("Dimensions") or []}
    name = metric.get("MetricName")
    if (metric.get("Namespace") != "AWS/SageMaker" or name not in UNITS
            or set(dims) != {"EndpointName", "VariantName"} or len(metric.get("Dimensions")) != 2
            or (ms.get("Unit") and ms["Unit"] != UNITS[name])):
        return []
    ep = STATE.endpoints.get(dims["EndpointName"])
    if ep is None:
        return []
    period = ms["Period"]
    gen_start = math.floor((STATE.start - STATE.history_minutes * 60) / 60) * 60
    out = []
    t = math.floor(start / period) * period
    while t < end and t + period <= cutoff:
        mins = []
        for m0 in range(int(t), int(t + period), 60):
            if m0 >= gen_start:
                x = minute(ep, dims["VariantName"], m0)
                if x:
                    mins.append(x)
        if mins:
            out.append((int(t), aggregate(name, ms["Stat"], mins)))
        t += period
    return out


def cw_error(code, msg):
    return ApiError(400, code, msg)


def get_metric_data(req):
    queries = req.get("MetricDataQueries")
    if queries is None:
        raise ApiError(400, "MissingParameter", "The parameter MetricDataQueries is required.")
    if not isinstance(queries, list) or not 1 <= len(queries) <= 500:
        raise cw_error("ValidationError", "1 validation error detected: Value at 'metricDataQueries' "
                       "failed to satisfy constraint: Member must have length between 1 and 500")
    for key in ("StartTime", "EndTime"):
        if req.get(key) is None:
            raise ApiError(400, "MissingParameter", "The parameter %s is required." % key)
    start, end = req["StartTime"], req["EndTime"]
    if start >= end:
        raise cw_error("InvalidParameterCombination",
                       "The parameter StartTime must be less than the parameter EndTime.")
    ids = set()
    for i, q in enumerate(queries, 1):
        qid = q.get("Id")
        if not isinstance(qid, str) or not re.fullmatch(r"[a-z][a-zA-Z0-9_]*", qid):
            raise cw_error("ValidationError", "The value %s for parameter MetricDataQueries.member.%d.Id "
                           "is invalid: it must start with a lowercase letter and contain only letters, "
                           "numbers and underscores." % (qid, i))
        if qid in ids:
            raise cw_error("ValidationError", "The values for parameter id in MetricDataQueries are not unique.")
        ids.add(qid)
        if q.get("Expression") is not None:
            raise cw_error("InvalidParameterValue", "Expressions are not supported by this fake "
                           "(MetricDataQueries.member.%d.Expression)." % i)
        ms = q.get("MetricStat")
        if not ms:
            raise cw_error("InvalidParameterCombination", "Exactly one of MetricStat and Expression "
                           "must be specified for MetricDataQueries.member.%d." % i)
        for key in ("Metric", "Period", "Stat"):
            if ms.get(key) is None:
                raise ApiError(400, "MissingParameter", "The parameter MetricDataQueries.member.%d."
                               "MetricStat.%s is required." % (i, key))
        p = ms["Period"]
        if not isinstance(p, int) or p < 60 or p % 60:
            raise cw_error("InvalidParameterValue", "The parameter MetricDataQueries.member.%d.MetricStat."
                           "Period must be a multiple of 60 and at least 60." % i)
        if not STAT_RE.match(str(ms["Stat"])):
            raise cw_error("InvalidParameterValue", "The value %s for parameter MetricDataQueries.member.%d."
                           "MetricStat.Stat is not a valid statistic." % (ms["Stat"], i))
    scan = req.get("ScanBy") or "TimestampDescending"
    if scan not in ("TimestampDescending", "TimestampAscending"):
        raise cw_error("InvalidParameterValue", "The value %s for parameter ScanBy is invalid." % scan)
    maxdp = req.get("MaxDatapoints") or 100800
    if not isinstance(maxdp, int) or maxdp < 1:
        raise cw_error("InvalidParameterValue", "The parameter MaxDatapoints must be greater than 0.")
    digest = hashlib.sha256(json.dumps([queries, start, end, scan], sort_keys=True,
                                       default=str).encode()).hexdigest()[:16]
    cutoff = time.time() - STATE.delay
    offsets = [0] * len(queries)
    if req.get("NextToken"):
        try:
            tok = json.loads(base64.b64decode(req["NextToken"]))
            assert tok["d"] == digest and len(tok["o"]) == len(queries)
            offsets, cutoff = tok["o"], tok["c"]
        except Exception:
            raise ApiError(400, "InvalidNextToken", "The service couldn't process the NextToken.")
    budget, results, more = maxdp, [], False
    for i, q in enumerate(queries):
        s = series(q, start, end, cutoff)
        if scan == "TimestampDescending":
            s.reverse()
        take = s[offsets[i]:offsets[i] + budget]
        budget -= len(take)
        offsets[i] += len(take)
        partial = offsets[i] < len(s)
        more = more or partial
        if q.get("ReturnData", True) is not False:
            results.append({"Id": q["Id"], "Label": q.get("Label") or q["MetricStat"]["Metric"].get("MetricName"),
                            "Timestamps": [t for t, _ in take], "Values": [v for _, v in take],
                            "StatusCode": "PartialData" if partial else "Complete"})
    out = {"MetricDataResults": results, "Messages": []}
    if more:
        out["NextToken"] = base64.b64encode(json.dumps({"o": offsets, "c": cutoff, "d": digest}).encode()).decode()
    return out


def parse_time(v):
    if isinstance(v, (int, float)):
        return float(v)
    s = str(v)
    try:
        return float(s)
    except ValueError:
        pass
    s = s.replace("Z", "+00:00")
    dt = datetime.datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return dt.timestamp()


def unflatten(pairs):
    tree = {}
    for key, value in pairs:
        node, parts = tree, key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[parts[-1]] = value

    def fix(n):
        if not isinstance(n, dict):
            return n
        if set(n) == {"member"} and isinstance(n["member"], dict):
            return [fix(v) for _, v in sorted(n["member"].items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0)]
        return {k: fix(v) for k, v in n.items()}
    return fix(tree)


def normalize_cw(req, query):
    def num(v, kind):
        if v is None or not query:
            return v
        try:
            return kind(v)
        except ValueError:
            raise cw_error("InvalidParameterValue", "Invalid value %s." % v)
    for key in ("StartTime", "EndTime"):
        if req.get(key) is not None:
            try:
                req[key] = parse_time(req[key])
            except ValueError:
                raise cw_error("InvalidParameterValue", "Invalid timestamp for %s: %s" % (key, req[key]))
    req["MaxDatapoints"] = num(req.get("MaxDatapoints"), int)
    qs = req.get("MetricDataQueries")
    if isinstance(qs, list):
        for q in qs:
            if not isinstance(q, dict):
                continue
            if query and "ReturnData" in q:
                q["ReturnData"] = q["ReturnData"] == "true"
            ms = q.get("MetricStat")
            if isinstance(ms, dict) and "Period" in ms:
                ms["Period"] = num(ms["Period"], int)
    return req


# ---------------------------------------------------------------- HTTP

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-aws"

    def log_message(self, *args):
        pass

    def send(self, status, body, ctype, headers=()):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", self.request_id)
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        self.request_id = str(uuid.uuid4())
        path = urllib.parse.urlsplit(self.path).path
        with STATE.lock:
            if path == "/_fake/requests":
                return self.send(200, json.dumps(STATE.requests), "application/json")
            if path == "/_fake/state":
                for ep in STATE.endpoints.values():
                    STATE.settle(ep)
                return self.send(200, json.dumps([STATE.public(ep) for ep in STATE.endpoints.values()]),
                                 "application/json")
        self.handle_api(b"")

    def do_POST(self):
        self.request_id = str(uuid.uuid4())
        body = self.read_body()
        if urllib.parse.urlsplit(self.path).path == "/_fake/control":
            return self.control(body)
        self.handle_api(body)

    def control(self, body):
        try:
            cmd = json.loads(body or b"{}")
        except ValueError:
            return self.send(400, json.dumps({"ok": False, "error": "not JSON"}), "application/json")
        with STATE.lock:
            now = time.time()
            if "throttle" in cmd:
                STATE.throttle = int(cmd["throttle"])
            if "expire" in cmd:
                for c in STATE.credentials:
                    c["expired"] = bool(cmd["expire"])
            if "deny" in cmd:
                STATE.deny = list(cmd["deny"] or [])
            if "failNext" in cmd:
                STATE.fail_next = cmd["failNext"]
            targets = ([STATE.endpoints[cmd["endpoint"]]] if cmd.get("endpoint") in STATE.endpoints
                       else list(STATE.endpoints.values()))
            if "status" in cmd:
                for ep in targets:
                    ep["EndpointStatus"] = cmd["status"]
                    ep["pending"] = None
            if "metrics" in cmd:
                _, rps, params = STATE.metric_history[-1]
                params = {k: dict(v) for k, v in params.items()}
                for k, v in (cmd["metrics"].get("variants") or {}).items():
                    params.setdefault(k, {}).update(v)
                STATE.metric_history.append((now, cmd["metrics"].get("rps", rps), params))
            if "setWeights" in cmd:
                for ep in targets:
                    for v in ep["variants"]:
                        if v["VariantName"] in cmd["setWeights"]:
                            v["CurrentWeight"] = v["DesiredWeight"] = float(cmd["setWeights"][v["VariantName"]])
                    ep["pending"] = None
                    ep["EndpointStatus"] = "InService"
                    ep["LastModifiedTime"] = round(now, 3)
                    ep["weights"].append((now, {v["VariantName"]: v["CurrentWeight"] for v in ep["variants"]}))
        self.send(200, json.dumps({"ok": True}), "application/json")

    def handle_api(self, body):
        try:
            self.serve_api(body)
        except Exception as e:  # a bug of the fake: answer 500 rather than drop the connection
            sys.stderr.write("fake_aws: %r\n" % e)
            self.send(500, json.dumps({"__type": "InternalFailure", "message": repr(e)}),
                      "application/x-amz-json-1.1", [("x-amzn-ErrorType", "InternalFailure")])

    def serve_api(self, body):
        target = self.headers.get("X-Amz-Target") or ""
        ctype = (self.headers.get("Content-Type") or "").lower()
        form = {}
        if target.startswith("SageMaker."):
            service, protocol, action = "sagemaker", "json1.1", target.split(".", 1)[1]
        elif target.startswith("GraniteServiceVersion20100801."):
            service, protocol, action = "monitoring", "json1.0", target.split(".", 1)[1]
        elif "x-www-form-urlencoded" in ctype or self.command == "GET":
            raw = body.decode("utf-8", "replace") if body else urllib.parse.urlsplit(self.path).query
            form = urllib.parse.parse_qsl(raw, keep_blank_values=True)
            service, protocol = "monitoring", "query"
            action = dict(form).get("Action", "")
        else:
            service, protocol, action = "sagemaker", "json1.1", target or ""
        entry = {"time": time.time(), "method": self.command, "path": self.path, "service": service,
                 "protocol": protocol, "action": action, "accessKeyId": None, "signatureOk": False,
                 "status": 200, "errorType": None}
        with STATE.lock:
            try:
                try:
                    entry["accessKeyId"] = self.authenticate(service, body)
                    entry["signatureOk"] = True
                    result = self.dispatch(service, protocol, action, body, form)
                except ApiError as e:
                    entry["status"], entry["errorType"] = e.status, e.type
                    raise
            except ApiError as e:
                STATE.requests.append(entry)
                return self.send_error_form(protocol, e)
            STATE.requests.append(entry)
        if protocol == "query":
            return self.send(200, query_xml(action, result), "text/xml")
        self.send(200, json.dumps(result), "application/x-amz-json-1.1" if protocol == "json1.1"
                  else "application/x-amz-json-1.0")

    def send_error_form(self, protocol, e):
        if protocol == "query":
            code = QUERY_CODES.get(e.type, e.type)
            msg = e.message
            if e.type == "MissingAuthenticationTokenException":
                msg = "Request is missing Authentication Token"
            xml = ('<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message>'
                   '</Error><RequestId>%s</RequestId></ErrorResponse>'
                   % (CW_NS, "Sender" if e.status < 500 else "Receiver", escape(code), escape(msg),
                      self.request_id))
            return self.send(e.status, xml, "text/xml")
        headers = [("x-amzn-ErrorType", e.type)]
        if protocol == "json1.0":
            headers.append(("x-amzn-query-error", "%s;%s" % (QUERY_CODES.get(e.type, e.type),
                                                              "Sender" if e.status < 500 else "Receiver")))
        self.send(e.status, json.dumps({"__type": e.type, "message": e.message}),
                  "application/x-amz-json-1.1" if protocol == "json1.1" else "application/x-amz-json-1.0",
                  headers)

    def authenticate(self, service, body):
        auth = self.headers.get("Authorization")
        if not auth:
            raise ApiError(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
        m = re.fullmatch(r"AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request"
                         r"\s*,\s*SignedHeaders=([a-z0-9;\-]+)\s*,\s*Signature=([0-9a-f]{64})\s*", auth.strip())
        if not m:
            raise ApiError(400, "IncompleteSignatureException",
                           "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' "
                           "parameters in the AWS4-HMAC-SHA256 form. Authorization=%s" % auth)
        akid, date, region, scope_service, signed, signature = m.groups()
        cred = next((c for c in STATE.credentials if c.get("accessKeyId") == akid), None)
        invalid_token = ApiError(403, "UnrecognizedClientException",
                                 "The security token included in the request is invalid.")
        if cred is None:
            raise invalid_token
        if cred.get("expired"):
            raise ApiError(400, "ExpiredTokenException", "The security token included in the request is expired")
        names = signed.split(";")
        token = self.headers.get("X-Amz-Security-Token")
        if cred.get("sessionToken"):
            if token != cred["sessionToken"] or "x-amz-security-token" not in names:
                raise invalid_token
        elif token is not None:
            raise invalid_token
        if region != STATE.region:
            raise ApiError(403, "InvalidSignatureException", "Credential should be scoped to a valid region.")
        if scope_service != service:
            raise ApiError(403, "InvalidSignatureException",
                           "Credential should be scoped to correct service: '%s'." % service)
        for h in ("host", "x-amz-date"):
            if h not in names:
                raise ApiError(403, "InvalidSignatureException",
                               "'%s' must be a 'SignedHeader' in the AWSv4 Signature." % h.title())
        amz_date = self.headers.get("X-Amz-Date") or ""
        dm = re.fullmatch(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z", amz_date)
        try:
            ts = calendar.timegm(datetime.datetime(*map(int, dm.groups())).timetuple())
        except (AttributeError, ValueError):
            raise ApiError(403, "IncompleteSignatureException", "Date must be in ISO-8601 'basic format'. "
                           "Got '%s'." % amz_date)
        if amz_date[:8] != date:
            raise ApiError(403, "InvalidSignatureException", "Date in Credential scope does not match "
                           "YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'."
                           % (date, amz_date[:8], amz_date))
        now = time.time()
        fmt = lambda t: time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))
        if ts < now - 300:
            raise ApiError(403, "InvalidSignatureException", "Signature expired: %s is now earlier than %s "
                           "(%s - 5 min.)" % (amz_date, fmt(now - 300), fmt(now)))
        if ts > now + 300:
            raise ApiError(403, "InvalidSignatureException", "Signature not yet current: %s is still later "
                           "than %s (%s + 5 min.)" % (amz_date, fmt(now + 300), fmt(now)))
        mismatch = ApiError(403, "InvalidSignatureException",
                            "The request signature we calculated does not match the signature you provided. "
                            "Check your AWS Secret Access Key and signing method. Consult the service "
                            "documentation for details.")
        pairs = []
        for n in names:
            values = self.headers.get_all(n)
            if not values:
                raise mismatch
            pairs += [(n, v) for v in values]
        sha = self.headers.get("X-Amz-Content-SHA256")
        if sha is not None and sha != hashlib.sha256(body).hexdigest():
            raise mismatch
        headers = HTTPHeaders()
        for n, v in pairs:
            headers[n] = v
        request = AWSRequest(method=self.command, url="http://%s%s" % (self.headers.get("Host"), self.path),
                             headers=headers, data=body)
        request.context["timestamp"] = amz_date
        signer = ExactSigner(Credentials(akid, cred.get("secretAccessKey", ""), cred.get("sessionToken")),
                             scope_service, region)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if expected != signature:
            raise mismatch
        return akid

    def dispatch(self, service, protocol, action, body, form):
        if STATE.fail_next:
            f, STATE.fail_next = STATE.fail_next, None
            raise ApiError(int(f.get("status", 500)), f.get("type", "InternalFailure"),
                           f.get("message", "We encountered an internal error. Please try again."))
        if STATE.throttle > 0:
            STATE.throttle -= 1
            raise ApiError(400, "ThrottlingException", "Rate exceeded")
        if service == "sagemaker":
            if action not in ("DescribeEndpoint", "UpdateEndpointWeightsAndCapacities"):
                raise ApiError(400, "UnknownOperationException", "")
            try:
                req = json.loads(body or b"{}")
                assert isinstance(req, dict)
            except Exception:
                raise ApiError(400, "SerializationException", "Start of structure or map found where not expected.")
            if action in STATE.deny:
                name = str(req.get("EndpointName"))
                raise ApiError(400, "AccessDeniedException",
                               "User: arn:aws:iam::%s:user/canary is not authorized to perform: sagemaker:%s "
                               "on resource: %s because no identity-based policy allows the sagemaker:%s action"
                               % (ACCOUNT, action, STATE.arn(name), action))
            return describe_endpoint(req) if action == "DescribeEndpoint" else update_weights(req)
        if action != "GetMetricData":
            if protocol == "query":
                raise ApiError(400, "UnknownOperationException",
                               "Could not find operation %s for version 2010-08-01" % action)
            raise ApiError(400, "UnknownOperationException", "")
        if action in STATE.deny:
            raise ApiError(400, "AccessDeniedException",
                           "User: arn:aws:iam::%s:user/canary is not authorized to perform: "
                           "cloudwatch:GetMetricData because no identity-based policy allows the "
                           "cloudwatch:GetMetricData action" % ACCOUNT)
        if protocol == "query":
            req = unflatten([(k, v) for k, v in form if k not in ("Action", "Version")])
        else:
            try:
                req = json.loads(body or b"{}")
                assert isinstance(req, dict)
            except Exception:
                raise ApiError(400, "SerializationException", "Start of structure or map found where not expected.")
        return get_metric_data(normalize_cw(req, protocol == "query"))


class ExactSigner(SigV4Auth):
    """botocore's SigV4 over exactly the headers the client named in SignedHeaders."""

    def headers_to_sign(self, request):
        out = HTTPHeaders()
        for name, value in request.headers.items():
            out[name.lower()] = value
        return out


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def query_xml(action, r):
    parts = ['<%sResponse xmlns="%s"><%sResult><MetricDataResults>' % (action, CW_NS, action)]
    for res in r["MetricDataResults"]:
        parts.append("<member><Id>%s</Id><Label>%s</Label><Timestamps>%s</Timestamps><Values>%s</Values>"
                     "<StatusCode>%s</StatusCode></member>" % (
                         escape(res["Id"]), escape(res["Label"] or ""),
                         "".join("<member>%s</member>" % iso(t) for t in res["Timestamps"]),
                         "".join("<member>%r</member>" % float(v) for v in res["Values"]), res["StatusCode"]))
    parts.append("</MetricDataResults><Messages/>")
    if r.get("NextToken"):
        parts.append("<NextToken>%s</NextToken>" % escape(r["NextToken"]))
    parts.append("</%sResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>"
                 % (action, uuid.uuid4(), action))
    return "".join(parts)


def main():
    global STATE
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--scenario")
    args = ap.parse_args()
    scenario = {}
    if args.scenario:
        with open(args.scenario) as f:
            text = f.read().strip()
            scenario = json.loads(text) if text else {}
    STATE = State(scenario)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    stop = lambda *a: threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("LISTENING %d" % server.server_address[1], flush=True)
    server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()
