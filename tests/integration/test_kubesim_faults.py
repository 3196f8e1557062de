"""dbaasd-kubesim fault injection (/_sim/faults) and request accounting
(/_sim/counters, /_sim/requests): what resilience tests of dbaasd rely on."""
import http.client
import socket
import ssl
import time

import pytest

from conftest import wait_for
from kubesim_util import KubeSim, kubesim, mongodb, ops_request  # noqa: F401

MG = "/apis/kubedb.com/v1/namespaces/demo/mongodbs"


def test_error_fault_by_verb_resource_and_count(kubesim):
    kubesim.add_fault(action="error", code=503, verbs=["create"], resource="mongodbs", count=2)
    for _ in range(2):
        r = kubesim.request("POST", MG, mongodb("x"))
        assert r.status == 503 and r.json()["reason"] == "ServiceUnavailable"
    assert kubesim.request("GET", MG).status == 200          # other verbs unaffected
    assert kubesim.request("POST", MG, mongodb("x")).status == 201   # count spent
    assert kubesim.sim("GET", "faults") == []


def test_500_and_429_with_retry_after(kubesim):
    kubesim.add_fault(action="error", code=429, retry_after=2, verbs=["list"], count=1)
    r = kubesim.request("GET", MG)
    assert r.status == 429 and r.headers["Retry-After"] == "2"
    assert r.headers["Content-Type"].startswith("text/plain")
    kubesim.add_fault(action="error", code=500, resource="mongodbs", name="boom")
    assert kubesim.request("GET", MG + "/boom").status == 500
    assert kubesim.request("GET", MG + "/other").status == 404


def test_probability(kubesim):
    kubesim.add_fault(action="error", code=500, verbs=["get"], probability=0.5)
    codes = [kubesim.request("GET", MG + "/x").status for _ in range(200)]
    fails = codes.count(500)
    assert 60 < fails < 140, fails
    assert set(codes) == {404, 500}


def test_latency_with_jitter(kubesim):
    kubesim.add_fault(action="latency", latency_ms=300, jitter_ms=100, verbs=["get"])
    t0 = time.monotonic()
    assert kubesim.request("GET", MG + "/x").status == 404
    took = time.monotonic() - t0
    assert 0.29 <= took < 1.5, took
    t0 = time.monotonic()
    kubesim.request("GET", MG)          # list: not delayed
    assert time.monotonic() - t0 < 0.25


def test_hang_until_client_gives_up_then_server_fine(kubesim):
    kubesim.add_fault(action="hang", verbs=["get"], count=1)
    with pytest.raises((socket.timeout, TimeoutError, OSError)):
        kubesim.request("GET", MG + "/x", timeout=0.5)
    assert kubesim.request("GET", MG + "/x").status == 404
    wait_for(lambda: kubesim.count(verb="get", code=0) == 1, 5,
             "the hung request to be counted as unanswered (code 0)")


def test_connection_reset(kubesim):
    kubesim.add_fault(action="reset", verbs=["create"], count=1)
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected, OSError)):
        kubesim.request("POST", MG, mongodb("r"))
    assert kubesim.request("POST", MG, mongodb("r")).status == 201


def test_watch_closed_early_and_expired(kubesim):
    kubesim.add_fault(action="watch_close", after_ms=200, count=1)
    t0 = time.monotonic()
    w = kubesim.watch("mongodbs", "demo", resourceVersion=kubesim.info()["resourceVersion"])
    assert w.next() is None and time.monotonic() - t0 < 2
    kubesim.add_fault(action="watch_expire", resource="mongodbs", count=1)
    w = kubesim.watch("mongodbs", "demo", resourceVersion=kubesim.info()["resourceVersion"])
    ev = w.next()
    assert ev["type"] == "ERROR" and ev["object"]["code"] == 410
    assert w.next() is None


def test_ops_forced_failed_and_db_critical(kubesim):
    kubesim.set_config(ops_delay_ms=100)
    kubesim.create("mongodbs", "demo", mongodb("f"))
    kubesim.wait_phase("mongodbs", "demo", "f", "Ready")
    kubesim.add_fault(action="ops_fail", resource="mongodbopsrequests", count=1)
    kubesim.create("mongodbopsrequests", "demo", ops_request("MongoDBOpsRequest", "x", "f", "Restart"))
    kubesim.wait_phase("mongodbopsrequests", "demo", "x", "Failed")
    kubesim.create("mongodbopsrequests", "demo", ops_request("MongoDBOpsRequest", "y", "f", "Restart"))
    kubesim.wait_phase("mongodbopsrequests", "demo", "y", "Successful")
    fid = kubesim.add_fault(action="db_critical", resource="mongodbs", namespace="demo", name="f")
    kubesim.wait_phase("mongodbs", "demo", "f", "Critical")
    kubesim.sim("DELETE", f"faults/{fid}")
    kubesim.wait_phase("mongodbs", "demo", "f", "Ready")


def test_counters_and_request_log(kubesim):
    kubesim.sim("DELETE", "counters")
    since = kubesim.sim("GET", "requests")["next"]
    kubesim.create("mongodbs", "demo", mongodb("c"))
    kubesim.request("POST", MG, mongodb("c"))
    kubesim.request("GET", MG + "/c")
    assert kubesim.count(verb="create", resource="mongodbs", code=201) == 1
    assert kubesim.count(verb="create", resource="mongodbs", code=409) == 1
    assert kubesim.count(verb="get", resource="mongodbs") == 1
    log = kubesim.requests_log(since)
    assert [(e["verb"], e["code"], e["name"]) for e in log] == \
        [("create", 201, ""), ("create", 409, ""), ("get", 200, "c")]
    assert log[0]["t_ms"] <= log[-1]["t_ms"]


def test_fault_validation(kubesim):
    for bad in [{"action": "explode"}, {"action": "error", "code": 200},
                {"action": "error", "verbs": ["fly"]}, {"action": "latency"},
                {"action": "error", "resource": "widgets"}, {"action": "error", "probability": 2},
                {"action": "error", "color": "red"}, {"action": 7},
                {"action": "error", "count": 1.5}, {"action": "error", "name": 5},
                {"action": "error", "namespace": "x" * 254}]:
        r = kubesim.request("POST", "/_sim/faults", bad)
        assert r.status == 422, (bad, r)
        assert r.json()["error"]
    # The message names the offending field first.
    for bad, field in [({"action": "error", "code": 200}, "code"),
                       ({"action": "error", "count": 1.5}, "count"),
                       ({"action": "error", "name": 5}, "name"),
                       ({"action": "error", "color": "red"}, "color"),
                       ({"action": "error", "probability": 2}, "probability")]:
        r = kubesim.request("POST", "/_sim/faults", bad)
        assert r.status == 422 and r.json()["error"].startswith(field + ": "), (bad, r)
    r = kubesim.request("POST", "/_sim/faults", b'{"action":"error","action":"hang"}')
    assert r.status == 422 and r.json()["error"].startswith("action: "), r
    assert kubesim.request("POST", "/_sim/faults", b"{nope").status == 400
    # "*" and a fractional probability are still accepted.
    assert kubesim.add_fault(action="error", resource="*", name="*", probability=0.25) > 0


def test_reset_clears_everything(kubesim):
    kubesim.create("mongodbs", "demo", mongodb("gone"))
    kubesim.add_fault(action="error", code=500, verbs=["delete"])
    rv = kubesim.info()["resourceVersion"]
    w = kubesim.watch("mongodbs", "demo", resourceVersion=rv)
    info = kubesim.reset()
    assert info["objects"]["mongodbs"] == 0 and info["objects"]["namespaces"] >= 1
    assert info["resourceVersion"] > rv          # resourceVersions never go back
    assert w.next() is None                       # open watches end
    assert kubesim.sim("GET", "faults") == []
    assert kubesim.get("namespaces", None, "demo") is not None
    r = kubesim.request("GET", MG, query={"watch": "1", "resourceVersion": str(rv)})
    assert b'"code":410' in r.body


def test_faults_never_touch_admin_endpoints(kubesim):
    kubesim.add_fault(action="error", code=500)
    assert kubesim.request("GET", MG).status == 500
    assert kubesim.info()["url"] == kubesim.url
    kubesim.clear_faults()
    assert kubesim.request("GET", MG).status == 200
