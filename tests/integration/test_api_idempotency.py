"""Idempotency-Key on POST: replay of the first response, 422 on a different
body, and concurrent duplicates that never create two resources."""
import json
import threading
import uuid

import pytest

from api_util import V1, Api, Client, db_body


@pytest.fixture(scope="module")
def api(services, tmp_path_factory):
    a = Api(services, tmp_path_factory.mktemp("apiidem"), {"api.processes": 2}).start()
    yield a
    a.stop()


@pytest.fixture(scope="module")
def env(api):
    return api.tenant("idem")[0], api.provider()["id"]


def test_same_key_same_body_replays(api, env):
    t, p = env
    body = db_body(p)
    h = {"Idempotency-Key": str(uuid.uuid4())}
    r1 = t.post(f"{V1}/databases", body, headers=h)
    r2 = t.post(f"{V1}/databases", body, headers=h)
    assert r1.status == r2.status == 201
    assert r2.json == r1.json and r2.headers["location"] == r1.headers["location"]
    assert r2.headers["etag"] == r1.headers["etag"]
    assert r2.headers.get("idempotent-replayed") == "true"
    assert api.db.databases.count_documents({"name": body["name"]}) == 1
    # the finished record keeps api.idempotency_ttl_s (the pending marker only 60 s)
    ttl = api.services.redis().ttl(next(iter(api.services.redis().scan_iter(
        api.prefix + "idem:*"))))
    assert 3600 < ttl <= 86400


def test_same_key_different_body_is_422(env):
    t, p = env
    h = {"Idempotency-Key": str(uuid.uuid4())}
    assert t.post(f"{V1}/databases", db_body(p), headers=h).status == 201
    r = t.post(f"{V1}/databases", db_body(p), headers=h)
    assert r.status == 422 and r.json["errors"][0]["field"] == "Idempotency-Key"


def test_failed_validation_is_replayed_too(env):
    t, p = env
    h = {"Idempotency-Key": str(uuid.uuid4())}
    body = db_body(p, storage_gb=0)
    assert t.post(f"{V1}/databases", body, headers=h).status == 422
    r = t.post(f"{V1}/databases", body, headers=h)
    assert r.status == 422 and r.headers.get("idempotent-replayed") == "true"


def test_keys_are_per_api_key(api, env):
    t, p = env
    other, _ = api.tenant("idem2")
    h = {"Idempotency-Key": "shared-key-" + uuid.uuid4().hex}
    a = t.post(f"{V1}/databases", db_body(p), headers=h)
    b = other.post(f"{V1}/databases", db_body(p), headers=h)
    assert a.status == b.status == 201 and a.json["id"] != b.json["id"]


def test_a_request_in_flight_is_409(api, env):
    """A pending marker (what a request in progress, or one whose process died,
    leaves) answers 409 for the same request and 422 for another."""
    import hashlib
    t, p = env
    body = db_body(p)
    keys = api.admin.get(f"{V1}/api-keys?limit=500").json["items"]
    kid = next(k["id"] for k in keys if k["tenant"] == "idem")
    hv = str(uuid.uuid4())
    raw = json.dumps(body).encode()
    rh = hashlib.sha256(f"{V1}/databases".encode() + b"\0" + raw).hexdigest()
    rkey = f"{api.prefix}idem:{kid}:{hashlib.sha256(hv.encode()).hexdigest()}"
    api.services.redis().set(rkey, "P:" + rh, ex=60)
    r = t.request("POST", f"{V1}/databases", raw=raw, headers={
        "Idempotency-Key": hv, "Content-Type": "application/json"})
    assert r.status == 409, r
    r = t.post(f"{V1}/databases", db_body(p), headers={"Idempotency-Key": hv})
    assert r.status == 422
    api.services.redis().delete(rkey)
    r = t.request("POST", f"{V1}/databases", raw=raw, headers={
        "Idempotency-Key": hv, "Content-Type": "application/json"})
    assert r.status == 201


def test_bad_header_is_400(env):
    t, p = env
    r = t.post(f"{V1}/databases", db_body(p), headers={"Idempotency-Key": "x" * 300})
    assert r.status == 400 and r.json["errors"][0]["field"] == "Idempotency-Key"


def test_concurrent_duplicates_create_one_database(api, env):
    t, p = env
    body = db_body(p)
    h = {"Idempotency-Key": str(uuid.uuid4())}
    out = []
    start = threading.Barrier(8)

    def send():
        c = Client(api.port, t.key)
        start.wait()
        out.append(c.post(f"{V1}/databases", body, headers=h))
        c.close()
    threads = [threading.Thread(target=send) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    created = {r.json["id"] for r in out if r.status == 201}
    assert len(created) == 1, out
    assert {r.status for r in out} <= {201, 409}, out
    assert api.db.databases.count_documents({"name": body["name"]}) == 1
    # once the first finished, every retry gets its response
    r = t.post(f"{V1}/databases", body, headers=h)
    assert r.status == 201 and r.json["id"] in created


def test_concurrent_duplicates_without_key_rely_on_the_unique_name(api, env):
    t, p = env
    body = db_body(p)
    out = []

    def send():
        c = Client(api.port, t.key)
        out.append(c.post(f"{V1}/databases", body).status)
        c.close()
    threads = [threading.Thread(target=send) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(out) == [201] + [409] * 5
    assert api.db.databases.count_documents({"name": body["name"]}) == 1


def test_actions_accept_the_header(api, env):
    t, p = env
    d = t.post(f"{V1}/databases", db_body(p)).json
    h = {"Idempotency-Key": str(uuid.uuid4())}
    r1 = t.post(f"{V1}/databases/{d['id']}/pause", headers=h)
    r2 = t.post(f"{V1}/databases/{d['id']}/pause", headers=h)
    assert r1.status == r2.status == 202 and r1.json == r2.json
    # pause is idempotent by itself: only the header proves the reply was replayed
    assert "idempotent-replayed" not in r1.headers
    assert r2.headers.get("idempotent-replayed") == "true"
