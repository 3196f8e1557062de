"""MongoDB and Redis outages: requests that need them fail fast with 503 and
Retry-After, the API process keeps running, and it recovers by itself when
they come back.  This test runs its own redis-server and MongoDB-wire server
(of the store the suite runs on, started as scripts/services starts it) so it
can stop and restart them."""
import subprocess
import time

import pytest

from api_util import V1, Api, db_body, promtool_ok
from conftest import ROOT, Services, free_port, spawn, wait_for


def _answers(fn):
    try:
        return fn()
    except Exception:
        return False


class OwnServices:
    def __init__(self, tmp, store):
        self.tmp = tmp
        self.store = store
        self.redis_port = free_port()
        self.mongo_port = free_port()
        self.redis_proc = self.mongo_proc = None

    def start_redis(self):
        import redis
        self.redis_proc = spawn(["redis-server", "--port", str(self.redis_port), "--bind",
                                 "127.0.0.1", "--save", "", "--appendonly", "no", "--dir",
                                 str(self.tmp)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        c = redis.Redis(host="127.0.0.1", port=self.redis_port, socket_timeout=0.5)
        wait_for(lambda: _answers(c.ping), 10, "redis-server")

    def start_mongo(self):
        import pymongo
        d = self.tmp / "mongo"
        d.mkdir(exist_ok=True)
        cmd = subprocess.run([str(ROOT / "scripts/services"), "command", self.store,
                              str(self.mongo_port), str(d)],
                             capture_output=True, text=True, timeout=30)
        assert cmd.returncode == 0, cmd.stderr
        args = cmd.stdout.splitlines()
        self.mongo_proc = spawn(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        c = pymongo.MongoClient(f"mongodb://127.0.0.1:{self.mongo_port}/",
                                serverSelectionTimeoutMS=300)
        wait_for(lambda: _answers(lambda: c.admin.command("ping")), 30, "the MongoDB-wire server")

    @staticmethod
    def _stop(p):
        if p is not None and p.poll() is None:
            p.kill()
            p.wait()

    def stop_redis(self):
        self._stop(self.redis_proc)

    def stop_mongo(self):
        self._stop(self.mongo_proc)

    def services(self):
        return Services({"DBAASD_REDIS_HOST": "127.0.0.1", "DBAASD_REDIS_PORT": str(self.redis_port),
                         "DBAASD_MONGO_URI": f"mongodb://127.0.0.1:{self.mongo_port}/"})


@pytest.fixture
def own(tmp_path, services):
    o = OwnServices(tmp_path, services.mongo_kind)
    o.start_redis()
    o.start_mongo()
    yield o
    o.stop_redis()
    o.stop_mongo()


def metric(a, series):
    """The value of SERIES in /metrics, or 0."""
    m = a.anon.get("/metrics")
    for line in m.text.splitlines() if m.status == 200 else []:
        if line.rsplit(" ", 1)[0] == series:
            return float(line.rsplit(" ", 1)[1])
    return 0


def timed(fn):
    t0 = time.monotonic()
    r = fn()
    return r, time.monotonic() - t0


def test_mongodb_outage_fails_fast_and_recovers(own, tmp_path):
    a = Api(own.services(), tmp_path, {"mongodb.connect_timeout_ms": 300,
                                       "mongodb.server_selection_timeout_ms": 500,
                                       "mongodb.socket_timeout_ms": 1000,
                                       "api.key_cache_ttl_ms": 60000}).start()
    try:
        t, _ = a.tenant("outage")
        d = t.post(f"{V1}/databases", db_body(a.provider()["id"])).json
        own.stop_mongo()
        for _ in range(5):
            r, secs = timed(lambda: t.get(f"{V1}/databases/{d['id']}"))
            assert r.status == 503 and r.headers["retry-after"] == "1", r
            assert secs < 1.5, f"a request took {secs:.2f}s while MongoDB was down"
        r, secs = timed(lambda: t.patch(f"{V1}/databases/{d['id']}", {"size": "db.t3.large"}))
        assert r.status == 503 and secs < 1.5
        assert a.anon.get("/ready").status == 503
        assert a.anon.get("/health").status == 200
        assert a.d.role_count("api") == 1
        own.start_mongo()
        wait_for(lambda: t.get(f"{V1}/databases/{d['id']}").status == 200, 20,
                 "the API to reach MongoDB again")
        # Each handler thread has its own client, and one that failed while
        # the server was down retries only after libmongoc's cooldown (5 s):
        # a store that restarts fast (SecantusDB, ~0.5 s) can answer one
        # thread before another's cooldown ends.
        wait_for(lambda: t.patch(f"{V1}/databases/{d['id']}",
                                 {"size": "db.t3.large"}).status == 200, 20,
                 "a PATCH to succeed again")
        wait_for(lambda: a.anon.get("/ready").status == 200, 20, "/ready to be 200 again")
        assert not [e for e in a.d.events() if e.get("event") == "role_died"]
        wait_for(lambda: metric(a, 'dbaas_api_dependency_failures_total{service="mongodb"}') >= 6,
                 10, "the MongoDB failures to be counted")
    finally:
        a.stop()


def test_redis_outage_writes_still_succeed(own, tmp_path):
    a = Api(own.services(), tmp_path, {"redis.connect_timeout_ms": 200,
                                       "redis.command_timeout_ms": 300,
                                       "redis.reconnect_max_ms": 300}).start()
    try:
        t, _ = a.tenant("noredis")
        prv = a.provider()["id"]
        d = t.post(f"{V1}/databases", db_body(prv)).json
        own.stop_redis()
        r, secs = timed(lambda: t.patch(f"{V1}/databases/{d['id']}", {"size": "db.t3.large"}))
        assert r.status == 200 and secs < 1.0, r        # desired state stored, nudge lost
        r = t.post(f"{V1}/databases", db_body(prv))
        assert r.status == 201
        r = t.post(f"{V1}/databases", db_body(prv), headers={"Idempotency-Key": "k1"})
        assert r.status == 503 and r.headers["retry-after"] == "1"
        assert a.anon.get("/metrics").status == 503
        assert a.anon.get("/ready").status == 503
        assert t.get(f"{V1}/databases/{d['id']}").json["size"] == "db.t3.large"
        own.start_redis()
        wait_for(lambda: a.anon.get("/ready").status == 200, 10, "the API to reach Redis again")

        assert wait_for(lambda: metric(a, "dbaas_api_nudge_failures_total"), 10,
                        "the nudge failures to be published") >= 2
        assert metric(a, 'dbaas_api_dependency_failures_total{service="redis"}') >= 2
        ok, out = promtool_ok(a.anon.get("/metrics").text)
        assert ok, out
        r = t.post(f"{V1}/databases", db_body(prv), headers={"Idempotency-Key": "k1"})
        assert r.status == 201
    finally:
        a.stop()
