"""src/common's MongoDB and Redis helpers against the real servers, including
their timeouts and reconnects (through tests/integration/helpers/common_probe)."""
import json
import subprocess
import time

import pytest

from conftest import binary, free_port, run, spawn, wait_for

PROBE = "tests/integration/helpers/common_probe"


def probe(mode, conf, *extra, timeout=30):
    r = run([binary(PROBE), mode, str(conf), *map(str, extra)], timeout=timeout)
    lines = [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
    return r, lines


def test_mongo_round_trip_and_indexes(services, base_settings, write_config):
    conf = write_config(base_settings)
    r, lines = probe("mongo", conf)
    assert r.returncode == 0, r.stdout + r.stderr
    assert lines[-1]["ok"] and lines[-1]["found"] == 1
    db = services.mongo()[base_settings["mongodb.database"]]
    assert db.events.find_one({"_id": lines[-1]["id"]})["msg"] == "probe"
    want = {
        "providers": {"name_unique": True},
        "databases": {"live_key_unique": True, "tenant_id": False, "provider_id": False,
                      "status": False},
        "operations": {"database_id": False, "status": False, "tenant_id": False},
        "events": {"database_id": False},
        "api_keys": {"hash_unique": True, "tenant": False},
    }
    for coll, idx in want.items():
        got = {i["name"]: bool(i.get("unique")) for i in db[coll].list_indexes()}
        for name, uniq in idx.items():
            assert name in got, f"{coll}.{name} missing: {got}"
            assert got[name] == uniq, f"{coll}.{name} unique={got[name]}"


def test_mongo_unique_live_key_rejects_duplicates(services, base_settings, write_config):
    conf = write_config(base_settings)
    assert probe("mongo", conf)[0].returncode == 0
    db = services.mongo()[base_settings["mongodb.database"]]
    db.databases.insert_one({"_id": "db-a", "live_key": "acme/prv/ns/orders"})
    import pymongo.errors
    with pytest.raises(pymongo.errors.DuplicateKeyError):
        db.databases.insert_one({"_id": "db-b", "live_key": "acme/prv/ns/orders"})


def test_mongo_unreachable_fails_fast(base_settings, write_config):
    conf = write_config(dict(base_settings, **{
        "mongodb.uri": f"mongodb://127.0.0.1:{free_port()}/",
        "mongodb.server_selection_timeout_ms": 500,
        "mongodb.connect_timeout_ms": 300}))
    t0 = time.monotonic()
    r, lines = probe("mongo-ping", conf)
    assert r.returncode == 1
    assert not lines[-1]["ok"]
    assert time.monotonic() - t0 < 3.0


def test_mongo_silent_server_times_out(base_settings, write_config, black_hole):
    conf = write_config(dict(base_settings, **{
        "mongodb.uri": f"mongodb://127.0.0.1:{black_hole.port}/",
        "mongodb.server_selection_timeout_ms": 500,
        "mongodb.connect_timeout_ms": 300,
        "mongodb.socket_timeout_ms": 500}))
    t0 = time.monotonic()
    r, lines = probe("mongo-ping", conf)
    assert r.returncode == 1
    assert time.monotonic() - t0 < 4.0


def test_redis_keys_carry_the_prefix(services, base_settings, write_config):
    conf = write_config(base_settings)
    r, lines = probe("redis", conf)
    assert r.returncode == 0, r.stdout + r.stderr
    key = base_settings["redis.prefix"] + "probe:k"
    assert lines[-1]["key"] == key
    assert services.redis().get(key) == "v1"


class OwnRedis:
    """A Redis server of this test alone, so it can be killed and restarted."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.dir = tmp_path
        self.proc = None

    def start(self):
        self.proc = spawn(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                           "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis
        wait_for(lambda: _pings(redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=0.5)), 10,
                 "redis-server to answer")

    def kill(self):
        self.proc.kill()
        self.proc.wait()


def _pings(client):
    try:
        return client.ping()
    except Exception:
        return False


@pytest.fixture
def own_redis(tmp_path):
    r = OwnRedis(tmp_path)
    r.start()
    yield r
    if r.proc.poll() is None:
        r.kill()


def _follow(proc):
    """Iterator over the JSON lines a running probe prints."""
    for line in proc.stdout:
        if line.startswith("{"):
            yield json.loads(line)


@pytest.mark.parametrize("mode,key", [("redis-sync", "ok"), ("redis-async", "connected")])
def test_redis_reconnects_after_restart(own_redis, base_settings, write_config, mode, key):
    conf = write_config(dict(base_settings, **{"redis.port": own_redis.port,
                                               "redis.reconnect_max_ms": 500}))
    proc = spawn([binary(PROBE), mode, str(conf), "8"], stdout=subprocess.PIPE, text=True)
    events = _follow(proc)
    try:
        assert next(events)[key] is True
        own_redis.kill()
        assert next(events)[key] is False
        t_restart = time.monotonic()
        own_redis.start()
        assert next(events)[key] is True
        assert time.monotonic() - t_restart < 2.0, "reconnect took longer than the backoff cap"
    finally:
        proc.kill()
        proc.wait()


def test_redis_async_connect_timeout(black_hole, base_settings, write_config):
    """A server that accepts but never answers: no connection is reported, the
    probe keeps running on time, and the attempts are cut by the timeout."""
    conf = write_config(dict(base_settings, **{"redis.port": black_hole.port,
                                               "redis.connect_timeout_ms": 200,
                                               "redis.command_timeout_ms": 200,
                                               "redis.reconnect_max_ms": 200}))
    t0 = time.monotonic()
    r, lines = probe("redis-async", conf, 2)
    assert r.returncode == 0
    assert not any(x.get("connected") for x in lines)
    assert time.monotonic() - t0 < 4.0
    # The handshake times out and is retried: several connections were made.
    assert len(black_hole.conns) >= 3
