"""Black-box tests of the Kubernetes client (src/common/kube*) against
dbaasd-kubesim over HTTPS with its CA and a bearer token.

The client is driven by tests/integration/helpers/kube_drive, which prints
one JSON line per result; what it did is checked against kubesim's own
request log, counters and watch history, never against the driver's word
alone.  kubesim cannot check client certificates, so the tests against it
authenticate with a token; the wire shapes kubesim cannot be asked for (a
garbage line, a plain HTTP 410 on a watch, a server requiring a client
certificate) come from small scripted servers at the end.
"""
import json
import subprocess
import time

import pytest

from conftest import binary, spawn, wait_for
from kubesim_util import ADMIN_TOKEN, READONLY_TOKEN, KubeSim, mongodb

NS = "demo"
COLL = f"/apis/kubedb.com/v1/namespaces/{NS}/mongodbs"


def providers(ks, pid="a", token=ADMIN_TOKEN, ca=True, **extra):
    p = {"id": pid, "url": ks.url, "token": token}
    if ca:
        p["ca_file"] = str(ks.ca_file)
    p.update(extra)
    return p


def drive(*args, provs, timeout=120, check=True):
    """Run kube_drive; returns its JSON lines.  No credential may appear in its
    output (its log is on stderr; --debug makes it log every retry)."""
    cmd = [binary("tests/integration/helpers/kube_drive"), "--providers", json.dumps(provs)]
    cmd += [str(a) for a in args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    for p in provs:
        assert p["token"] not in r.stdout and p["token"] not in r.stderr, "token leaked"
    if check:
        assert r.returncode == 0, f"kube_drive {args}: rc={r.returncode} {r.stderr}"
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def one(ks, *args, **kw):
    (res,) = drive(*args, provs=[providers(ks, **kw.pop("prov", {}))], **kw)
    return res


@pytest.fixture
def ks(tmp_path):
    with KubeSim(tmp_path / "ks", tls=True, namespaces=[NS], args=["--no-operator"]) as k:
        yield k


def gets_log(ks, name=None):
    return [r for r in ks.requests_log() if r["verb"] == "get" and
            (name is None or r["name"] == name)]


# ---- requests and their classes ----

def test_crud_and_error_classes(ks):
    body = json.dumps(mongodb("m1", replicas=1))
    r = one(ks, "req", "POST", COLL, body)
    assert (r["code"], r["err"], r["name"], r["attempts"]) == (201, "ok", "m1", 1)
    r = one(ks, "req", "POST", COLL, body)
    assert (r["code"], r["err"], r["reason"], r["attempts"]) == (409, "already_exists",
                                                                  "AlreadyExists", 1)
    assert one(ks, "req", "GET", f"{COLL}/m1")["err"] == "ok"
    r = one(ks, "req", "GET", f"{COLL}/nope")
    assert (r["code"], r["err"], r["reason"]) == (404, "not_found", "NotFound")
    r = one(ks, "req", "GET", f"/apis/kubedb.com/v1/namespaces/{NS}/nothings/x")
    assert (r["code"], r["err"]) == (404, "unknown_resource")
    r = one(ks, "req", "MERGE", f"{COLL}/m1", '{"metadata":{"labels":{"x":"y"}}}')
    assert (r["code"], r["err"]) == (200, "ok")
    assert ks.get("mongodbs", NS, "m1")["metadata"]["labels"]["x"] == "y"
    r = one(ks, "req", "JSONPATCH", f"{COLL}/m1",
            '[{"op":"test","path":"/metadata/labels/x","value":"nope"}]')
    assert r["err"] == "invalid" and r["code"] == 422
    stale = ks.get("mongodbs", NS, "m1")
    stale["metadata"]["resourceVersion"] = "1"
    r = one(ks, "req", "PUT", f"{COLL}/m1", json.dumps(stale))
    assert (r["code"], r["err"], r["reason"]) == (409, "conflict", "Conflict")
    r = one(ks, "req", "DELETE", f"{COLL}/m1",
            '{"preconditions":{"resourceVersion":"1"}}')
    assert (r["code"], r["err"]) == (409, "conflict")
    r = one(ks, "req", "DELETE", f"{COLL}/m1", '{"propagationPolicy":"Background"}')
    assert (r["code"], r["err"]) == (200, "ok")
    assert ks.get("mongodbs", NS, "m1") is None
    r = one(ks, "req", "GET", f"{COLL}/m1", prov={"token": "wrong-token"})
    assert (r["code"], r["err"]) == (401, "unauthorized")
    r = one(ks, "req", "POST", COLL, json.dumps(mongodb("m2", replicas=1)),
            prov={"token": READONLY_TOKEN})
    assert (r["code"], r["err"]) == (403, "forbidden")
    # Nothing above was retried: one request each reached the server.
    assert ks.count(verb="create", resource="mongodbs") == 3


def test_tls_is_verified_unless_insecure(ks):
    r = one(ks, "req", "GET", COLL, prov={"ca": False})
    assert (r["code"], r["err"], r["attempts"]) == (0, "transport", 1)
    r = one(ks, "req", "GET", COLL, prov={"ca": False, "insecure": True})
    assert (r["code"], r["err"]) == (200, "ok")


# ---- LIST pager ----

def test_list_10000_in_pages_of_500_bounded_memory(ks):
    p = [providers(ks, qps=5000, burst=500)]
    (c,) = drive("--n", 10000, "--concurrency", 32, "create", COLL, provs=p, timeout=300)
    assert c["created"] == 10000
    truth = ks.list("mongodbs", NS)
    (paged,) = drive("--limit", 500, "list", COLL, provs=p)
    assert (paged["list"], paged["items"], paged["pages"], paged["dups"]) == ("ok", 10000, 20, 0)
    assert paged["rv"] == truth["metadata"]["resourceVersion"]
    log = [r for r in ks.requests_log() if r["verb"] == "list"]
    assert len(log) >= 21   # ours (20) after the truth list
    # One page at a time: the whole list in one reply costs much more memory.
    (whole,) = drive("--limit", 20000, "list", COLL, provs=p)
    assert whole["items"] == 10000 and whole["pages"] == 1
    if not paged.get("asan"):   # ASan's quarantine keeps freed pages resident
        assert paged["maxrss_kb"] < whole["maxrss_kb"] * 0.6, (paged, whole)


def test_list_restarts_when_continue_expires(ks):
    for i in range(30):
        ks.create("mongodbs", NS, mongodb(f"m{i:02d}", replicas=1))
    proc = spawn([binary("tests/integration/helpers/kube_drive"), "--providers",
                  json.dumps([providers(ks)]), "--limit", "10", "--page-delay-ms", "1500",
                  "list", COLL], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # While the client holds its first page, the cluster moves on and compacts.
        wait_for(lambda: any(x["verb"] == "list" for x in ks.requests_log()), 10, "page 1")
        ks.create("mongodbs", NS, mongodb("m30", replicas=1))
        ks.compact()
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    r = json.loads(out.splitlines()[-1])
    assert r["list"] == "ok" and r["restarts"] == 1, (r, err)
    assert (r["items"], r["dups"], r["pages"]) == (31, 0, 5)
    codes = [x["code"] for x in ks.requests_log() if x["verb"] == "list"]
    assert codes == [200, 410, 200, 200, 200, 200]


# ---- WATCH ----

def apply_events(cache, lines):
    """An informer's cache from the driver's output (relists replace it)."""
    relisting = None
    for ln in lines:
        if "relist_item" in ln:
            if relisting is None:
                relisting = {}
            relisting[ln["relist_item"]] = ln["rv"]
        elif "relist" in ln:
            cache.clear()
            cache.update(relisting or {})
            relisting = None
        elif ln.get("ev") in ("ADDED", "MODIFIED"):
            cache[ln["name"]] = ln["rv"]
        elif ln.get("ev") == "DELETED":
            cache.pop(ln["name"], None)
    return cache


def history(ks, rv):
    """Every change after RV, from kubesim's own watch history (no faults)."""
    ks.clear_faults()
    now = ks.list("mongodbs", NS)["metadata"]["resourceVersion"]
    w = ks.watch("mongodbs", NS, timeout=10, resourceVersion=rv)
    out = []
    try:
        while True:
            ev = w.next()
            assert ev is not None and ev["type"] != "ERROR", ev
            out.append((ev["type"], ev["object"]["metadata"]["name"],
                        ev["object"]["metadata"]["resourceVersion"]))
            # The history ends at the RV of the last change before it was read.
            if int(ev["object"]["metadata"]["resourceVersion"]) >= int(now) - 0:
                break
    finally:
        w.close()
    return out


def test_watch_survives_closes_bookmarks_and_relists_on_410(tmp_path):
    with KubeSim(tmp_path / "ks", tls=True, namespaces=[NS],
                 args=["--no-operator", "--bookmark-interval", "1"]) as ks:
        for i in range(5):
            ks.create("mongodbs", NS, mongodb(f"w{i}", replicas=1))
        rv0 = ks.list("mongodbs", NS)["metadata"]["resourceVersion"]
        # Three connections are cut early; the client must resume each time.
        ks.add_fault(action="watch_close", verbs=["watch"], after_ms=300, count=3)
        out = tmp_path / "watch.out"
        with open(out, "w") as f:
            proc = spawn([
                binary("tests/integration/helpers/kube_drive"), "--providers",
                json.dumps([providers(ks)]), "--rv", rv0, "--timeout-s", "3", "--relist",
                "--seconds", "14", "--retry-initial-ms", "50", "--retry-max-ms", "300",
                "watch", COLL], stdout=f, stderr=subprocess.DEVNULL)
        try:
            for i in range(40):
                name = f"w{i % 5}"
                ks.patch("mongodbs", NS, name, {"metadata": {"labels": {"n": str(i)}}})
                if i == 20:
                    ks.create("mongodbs", NS, mongodb("w-new", replicas=1))
                    ks.delete("mongodbs", NS, "w0")
                time.sleep(0.05)
            wait_for(lambda: ks.count(verb="watch") >= 4, 10, "the watch to reconnect 3 times")
            # The next reconnect (its 3 s timeout) is answered ERROR 410: re-list.
            ks.add_fault(action="watch_expire", verbs=["watch"], count=1)
            wait_for(lambda: '"relist"' in out.read_text(), 10, "a re-list after the 410")
            for i in range(10):
                ks.patch("mongodbs", NS, "w1", {"metadata": {"labels": {"after": str(i)}}})
            final = {o["metadata"]["name"]: o["metadata"]["resourceVersion"]
                     for o in ks.list("mongodbs", NS)["items"]}
            last_rv = max(int(v) for v in final.values())
            wait_for(lambda: any(json.loads(ln).get("rv") == str(last_rv)
                                 for ln in out.read_text().splitlines() if ln.strip()),
                     10, "the last change to reach the client")
        finally:
            proc.terminate()
            proc.wait(10)
        lines = [json.loads(ln) for ln in out.read_text().splitlines() if ln.strip()]
        assert any(ln.get("end") == "gone" for ln in lines)
        assert any(ln.get("ev") == "BOOKMARK" for ln in lines)
        # The client's cache is exactly the cluster's state.
        assert apply_events({f"w{i}": None for i in range(5)}, lines) == final
        # No event twice, none missing: the events before the 410 are exactly
        # kubesim's history from rv0 up to the last one the client saw.
        events = [ln for ln in lines if ln.get("ev") in ("ADDED", "MODIFIED", "DELETED")]
        rvs = [e["rv"] for e in events]
        assert len(rvs) == len(set(rvs)), "an event was delivered twice"
        gone_at = next(i for i, ln in enumerate(lines) if ln.get("end") == "gone")
        before = [(e["ev"], e["name"], e["rv"]) for e in lines[:gone_at]
                  if e.get("ev") in ("ADDED", "MODIFIED", "DELETED")]
        hist = history(ks, rv0)
        assert before == hist[:len(before)]
        assert len(before) >= 42   # 40 patches, a create and a delete
        # Reconnects resumed from the last resourceVersion, never from scratch.
        assert not any(e["ev"] == "ADDED" and e["name"] != "w-new" for e in events)


def test_watch_http_410_and_garbage_free_reconnect(ks):
    # A watch from a resourceVersion kubesim no longer has: ends "gone" at once.
    for i in range(3):
        ks.create("mongodbs", NS, mongodb(f"g{i}", replicas=1))
    ks.add_fault(action="watch_expire", verbs=["watch"], count=1)
    lines = drive("--rv", "1", "--seconds", 5, "watch", COLL, provs=[providers(ks)])
    assert lines[0]["end"] == "gone" and lines[0]["code"] == 410
    assert lines[-1]["exit"] == "ended"


# ---- limits ----

def test_429_retry_after_is_honoured(ks):
    ks.create("mongodbs", NS, mongodb("r1", replicas=1))
    ks.add_fault(action="error", code=429, retry_after=1, verbs=["get"], count=3)
    r = one(ks, "--retry-initial-ms", 10, "req", "GET", f"{COLL}/r1")
    assert (r["err"], r["attempts"]) == ("ok", 4)
    log = gets_log(ks, "r1")
    assert [x["code"] for x in log] == [429, 429, 429, 200]
    gaps = [b["t_ms"] - a["t_ms"] for a, b in zip(log, log[1:])]
    assert all(g >= 1000 for g in gaps), gaps
    # A Retry-After beyond kube.retry_max_ms is not waited for: the caller decides.
    ks.add_fault(action="error", code=429, retry_after=30, verbs=["get"], count=1)
    r = one(ks, "req", "GET", f"{COLL}/r1")
    assert (r["err"], r["code"], r["attempts"], r["retry_after_ms"]) == \
        ("too_many_requests", 429, 1, 30000)


def test_429_storm_every_request_lands(ks):
    ks.create("mongodbs", NS, mongodb("s1", replicas=1))
    ks.add_fault(action="error", code=429, retry_after=1, verbs=["get"], probability=0.5)
    (st,) = drive("--retry-max", 12, "--n", 40, "--concurrency", 8, "--job",
                  f"a:{COLL}/s1", "load", provs=[providers(ks, qps=1000, burst=100)])
    assert st["classes"] == {"ok": 40}
    log = gets_log(ks, "s1")
    assert len(log) == st["attempts"]
    assert sum(1 for x in log if x["code"] == 429) == st["attempts"] - 40


def test_5xx_30_percent_retried_idempotent_only(ks):
    ks.create("mongodbs", NS, mongodb("f1", replicas=1))
    ks.add_fault(action="error", code=503, verbs=["get"], probability=0.3)
    # (30 % failures make runs of 5 in a row likely: this test is about
    # retries, so the breaker gets a threshold it will not reach.)
    (st,) = drive("--debug", "--retry-max", 10, "--retry-initial-ms", 5, "--retry-max-ms", 50,
                  "--breaker-threshold", 1000, "--n", 200, "--concurrency", 10, "--job", f"a:{COLL}/f1", "load",
                  provs=[providers(ks, qps=1000, burst=100)])
    assert st["classes"] == {"ok": 200}
    log = gets_log(ks, "f1")
    assert len(log) == st["attempts"]
    fails = sum(1 for x in log if x["code"] == 503)
    assert 0.15 < fails / len(log) < 0.45
    ks.clear_faults()
    # Not repeatable: a JSON patch, a POST with generateName.
    ks.add_fault(action="error", code=503, verbs=["patch", "create"], count=2)
    r = one(ks, "req", "JSONPATCH", f"{COLL}/f1",
            '[{"op":"add","path":"/metadata/labels/z","value":"1"}]')
    assert (r["err"], r["attempts"]) == ("server_error", 1)
    gen = mongodb("x", replicas=1)
    del gen["metadata"]["name"]
    gen["metadata"]["generateName"] = "gen-"
    r = one(ks, "req", "POST", COLL, json.dumps(gen))
    assert (r["err"], r["attempts"]) == ("server_error", 1)


def test_ambiguous_post_then_409_reads_the_object_back(ks):
    # The first attempt "fails" after the object exists (as when a reply is
    # lost): the retry meets 409 AlreadyExists and the client reads it back.
    ks.create("mongodbs", NS, mongodb("amb", replicas=1))
    ks.add_fault(action="error", code=503, verbs=["create"], count=1)
    r = one(ks, "--retry-initial-ms", 5, "req", "POST", COLL,
            json.dumps(mongodb("amb", replicas=1)))
    assert (r["err"], r["code"], r["name"]) == ("ok", 200, "amb")
    assert r["flags"] == 3   # adopted | ambiguous
    assert [x["code"] for x in ks.requests_log() if x["name"] == "amb" or
            x["verb"] == "create"][-3:] == [503, 409, 200]


def test_hung_requests_time_out(ks):
    ks.create("mongodbs", NS, mongodb("h1", replicas=1))
    ks.add_fault(action="hang", verbs=["get"], count=1)
    t0 = time.monotonic()
    r = one(ks, "--request-timeout-ms", 500, "--retry-max", 0, "req", "GET", f"{COLL}/h1")
    took = time.monotonic() - t0
    assert (r["err"], r["code"]) == ("timeout", 0)
    assert 0.45 < took < 3
    ks.add_fault(action="hang", verbs=["get"], count=1)
    r = one(ks, "--request-timeout-ms", 500, "--retry-initial-ms", 5, "req", "GET", f"{COLL}/h1")
    assert (r["err"], r["attempts"], r["flags"]) == ("ok", 2, 2)


def test_breaker_opens_fails_fast_and_closes(ks):
    ks.create("mongodbs", NS, mongodb("b1", replicas=1))
    ks.add_fault(action="error", code=500, verbs=["get"], count=3)
    lines = drive("--debug", "--hook", "--retry-max", 0, "--breaker-threshold", 3,
                  "--breaker-cooldown-ms", 600, "--n", 12, "--gap-ms", 100,
                  "seq", f"{COLL}/b1", provs=[providers(ks)])
    res = [ln["err"] for ln in lines if "i" in ln]
    assert res[:3] == ["server_error"] * 3
    k = 3
    while res[k] == "circuit_open":
        k += 1
    assert k >= 4, res               # failed fast while open
    assert res[k:] == ["ok"] * (12 - k), res   # the probe succeeded: closed again
    # The hook saw every transition, in order (contacts repeat "closed").
    states = [ln["state"] for ln in lines if "state" in ln]
    changes = [s for i, s in enumerate(states) if i == 0 or states[i - 1] != s]
    assert changes[-3:] == ["open", "half_open", "closed"], states
    # Requests that failed fast never reached the cluster.
    assert len(gets_log(ks, "b1")) == 3 + (12 - k)


def test_rate_never_above_the_limit(ks):
    ks.create("mongodbs", NS, mongodb("q1", replicas=1))
    qps, burst, n = 40, 5, 120
    (st,) = drive("--n", n, "--concurrency", 20, "--job", f"a:{COLL}/q1", "load",
                  provs=[providers(ks, qps=qps, burst=burst)])
    assert st["classes"] == {"ok": n}
    t = sorted(x["t_ms"] for x in gets_log(ks, "q1"))
    assert len(t) == n
    # The client admits at most burst + qps per second; the server sees
    # arrivals, which connection set-up (the first burst opens connections)
    # and a loaded machine can bunch by a fraction of a second.
    for i, start in enumerate(t):
        in_window = sum(1 for x in t[i:] if x < start + 1000)
        assert in_window <= qps * 1.25 + burst, (i, in_window)
    # Unlimited, the 120 requests would land within a few hundred ms.
    assert t[-1] - t[0] >= 0.8 * (n - burst) / qps * 1000


def test_in_flight_cap_queues_the_rest(ks):
    ks.create("mongodbs", NS, mongodb("c1", replicas=1))
    ks.add_fault(action="latency", latency_ms=300, verbs=["get"])
    (st,) = drive("--n", 20, "--concurrency", 20, "--job", f"a:{COLL}/c1", "load",
                  provs=[providers(ks, qps=1000, burst=100, max_inflight=4)])
    assert st["classes"] == {"ok": 20}
    assert st["ms"] >= 5 * 300 - 50      # 20 requests, 4 at a time, 300 ms each
    t = sorted(x["t_ms"] for x in gets_log(ks, "c1"))
    for i, start in enumerate(t):
        assert sum(1 for x in t[i:] if x < start + 250) <= 4, t


def test_hung_provider_does_not_slow_another(tmp_path):
    with KubeSim(tmp_path / "a", tls=True, namespaces=[NS], args=["--no-operator"]) as a, \
            KubeSim(tmp_path / "b", tls=True, namespaces=[NS], args=["--no-operator"]) as b:
        a.create("mongodbs", NS, mongodb("i1", replicas=1))
        b.create("mongodbs", NS, mongodb("i1", replicas=1))
        provs = [providers(a, "a", qps=1000, burst=100, max_inflight=4),
                 providers(b, "b", qps=1000, burst=100, max_inflight=4)]
        common = ["--request-timeout-ms", 1000, "--retry-max", 1, "--retry-initial-ms", 10,
                  "--n", 300, "--concurrency", 4, "--seconds", 60]

        def run(jobs):
            stats = drive(*common, *[x for j in jobs for x in ("--job", f"{j}:{COLL}/i1")],
                          "load", provs=provs)
            return {s["provider"]: s for s in stats}

        # Alternate runs with provider a healthy and hung (the machine is
        # shared: medians of three pairs, and the ratio is the figure).
        alone, with_hung = [], []
        for _ in range(3):
            a.clear_faults()
            r = run(["a", "b"])
            assert r["a"]["classes"] == {"ok": 300} and r["b"]["classes"] == {"ok": 300}
            alone.append(r["b"]["p99_ms"])
            a.add_fault(action="hang", verbs=["get"])
            r = run(["a", "b"])
            assert r["b"]["classes"] == {"ok": 300}
            assert "ok" not in r["a"]["classes"]     # timed out, then failed fast
            with_hung.append(r["b"]["p99_ms"])
        ratio = sorted(with_hung)[1] / max(sorted(alone)[1], 1.0)
        assert ratio < 3, (alone, with_hung)


# ---- wire shapes kubesim cannot be asked for: a scripted server ----

class ScriptedWatch:
    """A plain-HTTP server answering watches from a script, one entry per connection.

    Each entry is (status, [bytes...]): a 200 entry is sent as chunked pieces
    exactly as given (events packed and cut anywhere, as a real apiserver's
    backlog is); another status is sent with a Status body.  The
    resourceVersion each connection asked for is recorded.
    """

    def __init__(self, script):
        import http.server
        import threading
        self.script = list(script)
        self.asked = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                import urllib.parse as up
                q = up.parse_qs(up.urlsplit(self.path).query)
                outer.asked.append(q.get("resourceVersion", [""])[0])
                status, pieces = outer.script.pop(0) if outer.script else (200, [])
                if status != 200:
                    body = json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                       "reason": "Expired", "code": status,
                                       "message": "too old"}).encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for p in pieces:
                    if isinstance(p, float):
                        time.sleep(p)     # the stream stays open that long
                        continue
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(p), p))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
                self.close_connection = True

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}"
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def event(kind, name, rv):
    return json.dumps({"type": kind, "object": {
        "apiVersion": "kubedb.com/v1", "kind": "MongoDB",
        "metadata": {"name": name, "resourceVersion": str(rv)}}}).encode() + b"\n"


def test_watch_packed_chunks_garbage_and_http_410():
    backlog = event("ADDED", "x", 11) + event("MODIFIED", "x", 12) + event("MODIFIED", "y", 13)
    cut = [backlog[i:i + 7] for i in range(0, len(backlog), 7)]   # events across chunks
    srv = ScriptedWatch([
        (200, cut + [b"}{ not an event\n", 5.0]),         # garbage: the client restarts
        (200, [event("BOOKMARK", "", 20)[:-1], b"\n" + event("DELETED", "x", 21), 1.2]),
        (410, []),                                          # a plain HTTP 410
    ])
    try:
        p = [{"id": "a", "url": srv.url, "token": "scripted-secret-token"}]
        lines = drive("--debug", "--rv", "10", "--retry-initial-ms", 20, "--retry-max-ms", 100,
                      "--seconds", 15, "watch", COLL, provs=p)
    finally:
        srv.close()
    evs = [(ln["ev"], ln["rv"]) for ln in lines if "ev" in ln]
    assert evs == [("ADDED", "11"), ("MODIFIED", "12"), ("MODIFIED", "13"),
                   ("BOOKMARK", "20"), ("DELETED", "21")]
    # Resumed after the garbage from 13, after the clean end from 21 (the bookmark moved it).
    assert srv.asked == ["10", "13", "21"]
    end = next(ln for ln in lines if "end" in ln)
    assert (end["end"], end["code"]) == ("gone", 410)


def test_client_certificate_from_memory(tmp_path):
    """kubesim cannot check client certificates, so a small TLS server that
    requires one (signed by its CA) stands in: the client presents the
    certificate and key it was given as PEM in memory."""
    import http.server
    import ssl
    import threading

    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=tmp_path)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
            "ca.crt", "-days", "1", "-subj", "/CN=test-ca")
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1"), ("client", None)):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
                f"{name}.csr", "-subj", f"/CN=dbaasd-{name}")
        sign = ["x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", f"{name}.crt", "-days", "1"]
        if ext:
            (tmp_path / f"{name}.ext").write_text(ext + "\n")
            sign += ["-extfile", f"{name}.ext"]
        openssl(*sign)
    seen = []

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_GET(self):
            subject = dict(x[0] for x in self.connection.getpeercert()["subject"])
            seen.append(subject["commonName"])
            body = json.dumps({"kind": "Namespace", "metadata": {"name": "ok"}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp_path / "server.crt", tmp_path / "server.key")
    ctx.load_verify_locations(tmp_path / "ca.crt")
    ctx.verify_mode = ssl.CERT_REQUIRED
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"https://127.0.0.1:{srv.server_address[1]}"
    base = {"id": "a", "url": url, "ca_file": str(tmp_path / "ca.crt"), "token": "unused-token"}
    try:
        (r,) = drive("req", "GET", "/api/v1/namespaces/ok", provs=[dict(
            base, cert_file=str(tmp_path / "client.crt"), key_file=str(tmp_path / "client.key"))])
        assert (r["err"], r["code"], r["name"]) == ("ok", 200, "ok")
        assert seen == ["dbaasd-client"]
        # Without a certificate the server refuses the handshake.
        (r,) = drive("--retry-max", 0, "req", "GET", "/api/v1/namespaces/ok", provs=[base])
        assert (r["err"], r["code"]) == ("transport", 0)
        assert seen == ["dbaasd-client"]
    finally:
        srv.shutdown()
        srv.server_close()
    key = (tmp_path / "client.key").read_text()
    assert key.splitlines()[1] not in json.dumps(r)
