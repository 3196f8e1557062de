"""Handler threads: a slow MongoDB holds one thread, not the API process.

These tests run their own FerretDB (or mongod) and Redis (the fixture of
test_api_outage.py) and make MongoDB slow by stopping its process with
SIGSTOP: connections stay open and requests wait, exactly like a server
that hangs, until SIGCONT.  Meanwhile the same API process must keep
answering what does not need MongoDB, answer 503 at once when its queue is
full, survive clients that give up, and finish what it started when told to
stop."""
import http.client
import json
import os
import signal
import socket
import statistics
import struct
import threading
import time
from contextlib import contextmanager

from api_util import V1, Api, db_body
from conftest import wait_for
from test_api_outage import own  # noqa: F401  (the fixture)

STOP_S = 1.5    # how long MongoDB hangs in these tests


def start_api(own, tmp_path, **over):
    settings = {"api.key_cache_ttl_ms": 60000, "mongodb.socket_timeout_ms": 10000,
                "mongodb.op_timeout_ms": 10000}
    settings.update(over)
    a = Api(own.services(), tmp_path, settings).start()
    t, _ = a.tenant("slow")
    d = t.post(f"{V1}/databases", db_body(a.provider()["id"])).json
    assert t.get(f"{V1}/databases/{d['id']}").status == 200     # key cached from now on
    return a, t, f"{V1}/databases/{d['id']}"


@contextmanager
def mongodb_hangs(own):
    os.kill(own.mongo_proc.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(own.mongo_proc.pid, signal.SIGCONT)


def in_background(fn, n):
    """Run FN() in N threads; returns (threads, results) with (status, headers, secs)."""
    results = []

    def run():
        t0 = time.monotonic()
        try:
            status, headers = fn()
        except Exception as e:  # noqa: BLE001  (reported through the result)
            status, headers = repr(e), {}
        results.append((status, headers, time.monotonic() - t0))
    threads = [threading.Thread(target=run) for _ in range(n)]
    for th in threads:
        th.start()
    return threads, results


def get(port, path, key, timeout=15):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path, headers={"Authorization": f"Bearer {key}"})
        r = c.getresponse()
        r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}
    finally:
        c.close()


def patch(port, path, key, body, timeout=15):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("PATCH", path, body=json.dumps(body),
                  headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}
    finally:
        c.close()


def api_pid(a):
    [pid] = a.d.child_pids("dbaasd: api")
    return pid


def exited_cleanly(a):
    """After a.stop(): every API process exited 0 and no sanitizer spoke."""
    stopped = [e for e in a.d.events() if e.get("event") in ("role_stopped", "role_died")
               and e.get("role") == "api"]
    return stopped and all(e["event"] == "role_stopped" and e["exit"] == "0" for e in stopped) \
        and "Sanitizer" not in a.log_text()


def test_slow_mongodb_does_not_delay_health(own, tmp_path):
    a, t, url = start_api(own, tmp_path, **{"api.threads": 4})
    try:
        with mongodb_hangs(own):
            threads, slow = in_background(lambda: get(a.port, url, t.key), 2)
            time.sleep(0.3)     # both finds are now waiting for MongoDB
            took = []
            for _ in range(20):
                t0 = time.monotonic()
                r = a.anon.get("/health")
                took.append(time.monotonic() - t0)
                assert r.status == 200, r
            time.sleep(STOP_S)
        for th in threads:
            th.join(timeout=15)
        # the GETs really waited for MongoDB, and then succeeded
        assert [s for s, _, _ in slow] == [200, 200], slow
        assert min(secs for _, _, secs in slow) >= STOP_S
        # ... while /health of the same process answered at once
        assert statistics.median(took) < 0.02 and max(took) < 0.2, took
    finally:
        a.stop()
    assert exited_cleanly(a)


def test_full_queue_answers_503_at_once(own, tmp_path):
    # one thread: it runs one job and 32 more wait; the rest of a burst gets 503
    a, t, url = start_api(own, tmp_path, **{"api.threads": 1})
    n = 45
    try:
        with mongodb_hangs(own):
            threads, res = in_background(lambda: get(a.port, url, t.key), n)
            wait_for(lambda: sum(1 for s, _, _ in res if s == 503) >= n - 33, 5,
                     "the requests beyond the queue to get 503")
            time.sleep(STOP_S)
        for th in threads:
            th.join(timeout=30)
        busy = [(h, secs) for s, h, secs in res if s == 503]
        ok = [s for s, _, _ in res if s == 200]
        assert len(busy) + len(ok) == n, [s for s, _, _ in res]
        assert n - 33 <= len(busy) <= n - 32, len(busy)
        for h, secs in busy:
            assert h["retry-after"] == "1" and h["content-type"] == "application/problem+json"
            assert secs < STOP_S / 2, secs     # answered at once, not after the hang
        assert t.get(url).status == 200        # and the process is fine
        codes = [e.get("status") for e in a.d.events() if e.get("event") == "http_request"]
        assert codes.count("503") == len(busy)
    finally:
        a.stop()
    assert exited_cleanly(a)


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_client_gone_before_reply_does_no_harm(own, tmp_path):
    a, t, url = start_api(own, tmp_path, **{"api.threads": 2})
    def answered():
        return sum(1 for e in a.d.events() if e.get("event") == "http_request"
                   and e.get("path") == url)
    try:
        pid = api_pid(a)
        before, done = open_fds(pid), answered()
        req = (f"GET {url} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {t.key}\r\n\r\n").encode()
        with mongodb_hangs(own):
            for i in range(20):
                s = socket.create_connection(("127.0.0.1", a.port))
                s.sendall(req)
                time.sleep(0.02)
                if i % 2:   # half reset the connection, half close it politely
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
            time.sleep(0.3)
        # the replies to the vanished clients are sent into closed sockets
        wait_for(lambda: answered() == done + 20, 30, "every abandoned request to be answered")
        assert t.get(url).status == 200
        assert a.anon.get("/health").status == 200
        assert api_pid(a) == pid
        # (+1: the second thread's MongoDB connection may have opened since)
        wait_for(lambda: open_fds(pid) <= before + 1, 10, "the abandoned connections to close")
    finally:
        a.stop()
    assert exited_cleanly(a)


def test_stop_finishes_running_requests(own, tmp_path):
    a, t, url = start_api(own, tmp_path, **{"api.threads": 2})
    try:
        with mongodb_hangs(own):
            threads, res = in_background(lambda: get(a.port, url, t.key), 3)
            time.sleep(0.3)
            a.d.signal(signal.SIGTERM)
            time.sleep(0.5)     # draining: the three requests are queued or running
        for th in threads:
            th.join(timeout=15)
        assert [s for s, _, _ in res] == [200, 200, 200], res
        assert all(h.get("connection", "").lower() == "close" for _, h, _ in res)
        assert a.d.wait_exit(15) == 0
    finally:
        a.stop()
    assert exited_cleanly(a)
    assert any(e.get("event") == "drained" for e in a.d.events())


def test_writers_behind_a_hanging_writer_give_up_after_op_timeout(own, tmp_path):
    # Writes to one database take turns (doclock.c); with MongoDB hanging, the
    # first holds its turn until MongoDB answers, and the others must not
    # queue behind it for good: each gives up after mongodb.op_timeout_ms.
    a, t, url = start_api(own, tmp_path, **{"api.threads": 4, "mongodb.op_timeout_ms": 800})
    try:
        with mongodb_hangs(own):
            threads, res = in_background(
                lambda: patch(a.port, url, t.key, {"size": "db.t3.large"}), 3)
            wait_for(lambda: sum(1 for s, _, _ in res if s == 503) >= 2, 5,
                     "the writers waiting for their turn to give up")
            assert a.anon.get("/health").status == 200
        for th in threads:
            th.join(timeout=15)
        busy = [(h, secs) for s, h, secs in res if s == 503]
        assert sorted(s for s, _, _ in res) == [200, 503, 503], res
        for h, secs in busy:
            assert h["retry-after"] == "1" and h["content-type"] == "application/problem+json"
            assert 0.7 <= secs < 3, secs
        assert t.get(url).json["size"] == "db.t3.large"
    finally:
        a.stop()
    assert exited_cleanly(a)
