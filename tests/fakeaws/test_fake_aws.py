#!/usr/bin/python3
"""Self-test of fake_aws.py with real botocore clients and hand-signed requests."""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
import warnings

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
AKID, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN_AKID, TOKEN_SECRET, TOKEN = "ASIATOKEN", "tokensecret", "the-session-token"
REGION = "eu-west-1"
SCENARIO = {
    "region": REGION,
    "credentials": [{"accessKeyId": AKID, "secretAccessKey": SECRET},
                    {"accessKeyId": TOKEN_AKID, "secretAccessKey": TOKEN_SECRET, "sessionToken": TOKEN}],
    "endpoints": [{"name": "fraud-scorer", "variants": [
        {"name": "prod-v1", "weight": 0.9, "instances": 1}, {"name": "canary-v2", "weight": 0.1, "instances": 1}]},
        {"name": "other", "variants": [{"name": "a", "weight": 1}]}],
    "updateDescribes": 2,
    "metrics": {"rps": 20, "historyMinutes": 30,
                "variants": {"canary-v2": {"latencyMs": 60, "sigma": 0.4}}},
}


class FakeAwsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        warnings.simplefilter("ignore", ResourceWarning)
        cls.scenario_file = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(SCENARIO, cls.scenario_file)
        cls.scenario_file.close()
        cls.proc = subprocess.Popen(["/usr/bin/python3",
                                     os.path.join(HERE, "fake_aws.py"), "--port", "0", "--scenario",
                                     cls.scenario_file.name], stdout=subprocess.PIPE, text=True)
        line = cls.proc.stdout.readline()
        assert line.startswith("LISTENING "), line
        cls.url = "http://127.0.0.1:%d" % int(line.split()[1])

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait(10)
        cls.proc.stdout.close()
        os.unlink(cls.scenario_file.name)

    def client(self, service, akid=AKID, secret=SECRET, token=None, region=REGION):
        return botocore.session.get_session().create_client(
            service, endpoint_url=self.url, region_name=region, aws_access_key_id=akid,
            aws_secret_access_key=secret, aws_session_token=token,
            config=Config(retries={"total_max_attempts": 1}))

    def control(self, cmd):
        req = urllib.request.Request(self.url + "/_fake/control", json.dumps(cmd).encode(), method="POST")
        with urllib.request.urlopen(req, timeout=5) as r:
            self.assertEqual(json.load(r), {"ok": True})

    def fetch(self, path):
        with urllib.request.urlopen(self.url + path, timeout=5) as r:
            return json.load(r)

    def code(self, fn, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(**kw)
        return cm.exception.response["Error"]["Code"], cm.exception.response["Error"].get("Message")

    def test_describe_and_update(self):
        sm = self.client("sagemaker")
        d = sm.describe_endpoint(EndpointName="other")
        self.assertEqual(d["EndpointStatus"], "InService")
        self.assertEqual(d["EndpointArn"], "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/other")
        self.assertEqual(d["ProductionVariants"][0]["CurrentWeight"], 1.0)
        sm.update_endpoint_weights_and_capacities(
            EndpointName="other", DesiredWeightsAndCapacities=[{"VariantName": "a", "DesiredWeight": 2.0}])
        code, msg = self.code(sm.update_endpoint_weights_and_capacities, EndpointName="other",
                              DesiredWeightsAndCapacities=[{"VariantName": "a", "DesiredWeight": 3.0}])
        self.assertEqual(code, "ValidationException")
        self.assertIn("Cannot update in-progress endpoint", msg)
        for _ in range(2):
            d = sm.describe_endpoint(EndpointName="other")
            self.assertEqual(d["EndpointStatus"], "Updating")
            self.assertEqual(d["ProductionVariants"][0]["DesiredWeight"], 2.0)
            self.assertEqual(d["ProductionVariants"][0]["CurrentWeight"], 1.0)
        d = sm.describe_endpoint(EndpointName="other")
        self.assertEqual(d["EndpointStatus"], "InService")
        self.assertEqual(d["ProductionVariants"][0]["CurrentWeight"], 2.0)
        code, msg = self.code(sm.describe_endpoint, EndpointName="missing")
        self.assertEqual(code, "ValidationException")
        self.assertIn('Could not find endpoint "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/missing"', msg)
        code, msg = self.code(sm.update_endpoint_weights_and_capacities, EndpointName="other",
                              DesiredWeightsAndCapacities=[{"VariantName": "zz", "DesiredWeight": 1.0}])
        self.assertIn("zz", msg)
        code, msg = self.code(sm.update_endpoint_weights_and_capacities, EndpointName="other",
                              DesiredWeightsAndCapacities=[{"VariantName": "a", "DesiredWeight": 0.0}])
        self.assertEqual(code, "ValidationException")

    def test_auth_errors(self):
        self.assertEqual(self.code(self.client("sagemaker", secret="wrong").describe_endpoint,
                                   EndpointName="other")[0], "InvalidSignatureException")
        self.assertEqual(self.code(self.client("sagemaker", akid="AKIDUNKNOWN").describe_endpoint,
                                   EndpointName="other")[0], "UnrecognizedClientException")
        self.assertEqual(self.code(self.client("sagemaker", region="us-east-1").describe_endpoint,
                                   EndpointName="other")[0], "InvalidSignatureException")
        self.assertEqual(self.code(self.client("sagemaker", TOKEN_AKID, TOKEN_SECRET).describe_endpoint,
                                   EndpointName="other")[0], "UnrecognizedClientException")
        self.assertEqual(self.code(self.client("sagemaker", TOKEN_AKID, TOKEN_SECRET, "bad").describe_endpoint,
                                   EndpointName="other")[0], "UnrecognizedClientException")
        self.client("sagemaker", TOKEN_AKID, TOKEN_SECRET, TOKEN).describe_endpoint(EndpointName="other")
        code, msg = self.code(self.client("cloudwatch", secret="wrong").get_metric_data, **self.gmd_args())
        self.assertEqual(code, "SignatureDoesNotMatch")

    def test_expired_throttle_deny(self):
        sm = self.client("sagemaker")
        self.control({"expire": True})
        try:
            self.assertEqual(self.code(sm.describe_endpoint, EndpointName="other")[0], "ExpiredTokenException")
        finally:
            self.control({"expire": False})
        self.control({"throttle": 1})
        self.assertEqual(self.code(sm.describe_endpoint, EndpointName="other"),
                         ("ThrottlingException", "Rate exceeded"))
        sm.describe_endpoint(EndpointName="other")
        self.control({"deny": ["UpdateEndpointWeightsAndCapacities"]})
        try:
            code, msg = self.code(sm.update_endpoint_weights_and_capacities, EndpointName="other",
                                  DesiredWeightsAndCapacities=[{"VariantName": "a", "DesiredWeight": 1.0}])
            self.assertEqual(code, "AccessDeniedException")
            self.assertIn("sagemaker:UpdateEndpointWeightsAndCapacities on resource: "
                          "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/other", msg)
        finally:
            self.control({"deny": []})

    def test_fail_next_and_status(self):
        sm = self.client("sagemaker")
        self.control({"failNext": {"status": 500, "type": "InternalFailure"}})
        with self.assertRaises(ClientError) as cm:
            sm.describe_endpoint(EndpointName="other")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 500)
        self.assertEqual(cm.exception.response["Error"]["Code"], "InternalFailure")
        self.control({"status": "Failed", "endpoint": "other"})
        try:
            self.assertEqual(sm.describe_endpoint(EndpointName="other")["EndpointStatus"], "Failed")
            code, msg = self.code(sm.update_endpoint_weights_and_capacities, EndpointName="other",
                                  DesiredWeightsAndCapacities=[{"VariantName": "a", "DesiredWeight": 1.0}])
            self.assertEqual(code, "ValidationException")
        finally:
            self.control({"status": "InService", "endpoint": "other"})

    def gmd_args(self, metric="Invocations", stat="Sum", period=60, minutes=20, **extra):
        now = int(time.time())
        queries = [{"Id": "m_" + v.replace("-", "_"), "MetricStat": {"Metric": {
            "Namespace": "AWS/SageMaker", "MetricName": metric,
            "Dimensions": [{"Name": "EndpointName", "Value": "fraud-scorer"}, {"Name": "VariantName", "Value": v}]},
            "Period": period, "Stat": stat}, "ReturnData": True} for v in ("prod-v1", "canary-v2")]
        args = {"MetricDataQueries": queries, "StartTime": now - minutes * 60, "EndTime": now}
        args.update(extra)
        return args

    def test_metrics_query_form(self):
        cw = self.client("cloudwatch")
        r = cw.get_metric_data(**self.gmd_args())
        byid = {x["Id"]: x for x in r["MetricDataResults"]}
        self.assertGreaterEqual(len(byid["m_prod_v1"]["Values"]), 19)
        for v in byid["m_prod_v1"]["Values"]:
            self.assertLessEqual(abs(v - 1080), 1)
        for v in byid["m_canary_v2"]["Values"]:
            self.assertLessEqual(abs(v - 120), 1)
        ts = byid["m_prod_v1"]["Timestamps"]
        self.assertGreater(ts[0], ts[1])  # TimestampDescending
        self.assertEqual(ts[0].timestamp() % 60, 0)
        p50 = cw.get_metric_data(**self.gmd_args("ModelLatency", "p50"))["MetricDataResults"][1]["Values"]
        p99 = cw.get_metric_data(**self.gmd_args("ModelLatency", "p99"))["MetricDataResults"][1]["Values"]
        self.assertTrue(55000 < p50[0] < 65000, p50[0])
        self.assertGreater(p99[0], p50[0] * 2)
        # pagination
        seen, token, pages = {}, None, 0
        args = self.gmd_args(MaxDatapoints=7)  # the same request each page, as a token requires
        while True:
            if token:
                args["NextToken"] = token
            page = cw.get_metric_data(**args)
            pages += 1
            for x in page["MetricDataResults"]:
                seen.setdefault(x["Id"], []).extend(x["Values"])
            token = page.get("NextToken")
            if not token:
                break
        self.assertGreater(pages, 2)
        self.assertLessEqual(abs(len(seen["m_prod_v1"]) - len(byid["m_prod_v1"]["Values"])), 1)
        # validation
        bad = self.gmd_args(period=90)
        self.assertEqual(self.code(cw.get_metric_data, **bad)[0], "InvalidParameterValue")
        bad = self.gmd_args()
        bad["MetricDataQueries"][1]["Id"] = bad["MetricDataQueries"][0]["Id"]
        self.assertEqual(self.code(cw.get_metric_data, **bad)[0], "ValidationError")
        bad = self.gmd_args(stat="Median")
        self.assertEqual(self.code(cw.get_metric_data, **bad)[0], "InvalidParameterValue")

    def signed(self, body, akid=AKID, secret=SECRET, tamper=None):
        req = AWSRequest("POST", self.url + "/", data=body, headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "GraniteServiceVersion20100801.GetMetricData"})
        SigV4Auth(Credentials(akid, secret), "monitoring", REGION).add_auth(req)
        data = tamper if tamper is not None else body
        r = urllib.request.Request(self.url + "/", data, dict(req.headers.items()), method="POST")
        try:
            with urllib.request.urlopen(r, timeout=5) as resp:
                return resp.status, dict(resp.headers), json.load(resp)
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), json.load(e)

    def test_metrics_json_form(self):
        body = json.dumps(self.gmd_args()).encode()
        status, headers, r = self.signed(body)
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/x-amz-json-1.0")
        byid = {x["Id"]: x for x in r["MetricDataResults"]}
        self.assertTrue(all(abs(v - 1080) <= 1 for v in byid["m_prod_v1"]["Values"]))
        self.assertIsInstance(byid["m_prod_v1"]["Timestamps"][0], int)
        q = self.client("cloudwatch").get_metric_data(**self.gmd_args())
        by_time = dict(zip(byid["m_prod_v1"]["Timestamps"], byid["m_prod_v1"]["Values"]))
        query_form = q["MetricDataResults"][0]
        same = [(v, by_time[int(t.timestamp())]) for t, v in zip(query_form["Timestamps"], query_form["Values"])
                if int(t.timestamp()) in by_time]
        self.assertGreater(len(same), 10)
        self.assertTrue(all(a == b for a, b in same))
        status, headers, r = self.signed(body, tamper=body.replace(b"Sum", b"Max"))
        self.assertEqual((status, r["__type"]), (403, "InvalidSignatureException"))
        self.assertEqual(headers["x-amzn-ErrorType"], "InvalidSignatureException")
        bad = self.gmd_args()
        bad["StartTime"], bad["EndTime"] = bad["EndTime"], bad["StartTime"]
        status, _, r = self.signed(json.dumps(bad).encode())
        self.assertEqual((status, r["__type"]), (400, "InvalidParameterCombination"))
        log = self.fetch("/_fake/requests")
        self.assertTrue(any(e["signatureOk"] and e["protocol"] == "json1.0" for e in log))
        self.assertTrue(any(not e["signatureOk"] and e["errorType"] == "InvalidSignatureException" for e in log))

    def test_weight_change_shows_in_metrics(self):
        # weights switched 61 minutes in the past cannot be had; check the current minute's split
        # by asking the fake for data after a setWeights on a second endpoint
        changed = time.time()
        self.control({"setWeights": {"prod-v1": 0.5, "canary-v2": 0.5}, "endpoint": "fraud-scorer"})
        state = {e["EndpointName"]: e for e in self.fetch("/_fake/state")}
        self.assertEqual(state["fraud-scorer"]["ProductionVariants"][1]["CurrentWeight"], 0.5)
        # the minute in progress mixes both; earlier minutes keep 0.9/0.1
        r = self.client("cloudwatch").get_metric_data(**self.gmd_args())
        res = r["MetricDataResults"][0]
        self.assertTrue(all(abs(v - 1080) <= 1 for t, v in zip(res["Timestamps"], res["Values"])
                            if t.timestamp() + 60 <= changed))
        self.control({"setWeights": {"prod-v1": 0.9, "canary-v2": 0.1}, "endpoint": "fraud-scorer"})


class WeightHistoryTest(unittest.TestCase):
    """The weight history drives later minutes' invocations (in-process, with a change back-dated)."""

    def test_later_minutes_follow_the_weights(self):
        sys.dont_write_bytecode = True
        sys.path.insert(0, HERE)
        import fake_aws
        fake_aws.STATE = fake_aws.State(SCENARIO)
        ep = fake_aws.STATE.endpoints["fraud-scorer"]
        now = int(time.time()) // 60 * 60
        ep["weights"].append((now - 600, {"prod-v1": 0.5, "canary-v2": 0.5}))
        ep["weights"].append((now - 270, {"prod-v1": 1.0, "canary-v2": 0.0}))
        self.assertEqual(fake_aws.minute(ep, "canary-v2", now - 900)[0], 120)
        self.assertEqual(fake_aws.minute(ep, "canary-v2", now - 480)[0], 600)
        self.assertEqual(fake_aws.minute(ep, "canary-v2", now - 300)[0], 300)  # half the minute at 0.5
        self.assertIsNone(fake_aws.minute(ep, "canary-v2", now - 240))  # no datapoint at weight 0

    def test_update_seconds(self):
        sys.dont_write_bytecode = True
        sys.path.insert(0, HERE)
        import fake_aws
        fake_aws.STATE = fake_aws.State(dict(SCENARIO, updateSeconds=0.2))
        fake_aws.update_weights({"EndpointName": "other",
                                 "DesiredWeightsAndCapacities": [{"VariantName": "a", "DesiredWeight": 3}]})
        self.assertEqual(fake_aws.describe_endpoint({"EndpointName": "other"})["EndpointStatus"], "Updating")
        deadline = time.time() + 5
        while fake_aws.describe_endpoint({"EndpointName": "other"})["EndpointStatus"] != "InService":
            self.assertLess(time.time(), deadline)
            time.sleep(0.05)
        ep = fake_aws.STATE.endpoints["other"]
        self.assertEqual(ep["variants"][0]["CurrentWeight"], 3.0)
        self.assertEqual(ep["weights"][-1][1], {"a": 3.0})


if __name__ == "__main__":
    unittest.main()
