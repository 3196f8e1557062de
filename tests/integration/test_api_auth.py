"""Authentication black-box: bearer keys, roles, the key cache's staleness bound,
API key management, the bootstrap key file and dbaasd --create-admin-key."""
import time

import pytest

from api_util import V1, Api, Client, db_body, new_key
from conftest import binary, run, wait_for


@pytest.fixture(scope="module")
def api(services, tmp_path_factory):
    a = Api(services, tmp_path_factory.mktemp("apiauth")).start()
    yield a
    a.stop()


@pytest.mark.parametrize("header", [None, "Bearer", "Basic dXNlcjpwdw==",
                                    "Bearer " + new_key(), "Bearer short"])
def test_missing_or_bad_key_is_401(api, header):
    h = {"Authorization": header} if header else {}
    r = api.anon.get(f"{V1}/databases", headers=h)
    assert r.status == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.headers["content-type"] == "application/problem+json"


def test_service_endpoints_need_no_key(api):
    for path in ("/health", "/ready", "/metrics", "/openapi.json"):
        assert api.anon.get(path).status == 200, path


def test_tenant_key_cannot_use_admin_routes(api):
    t, _ = api.tenant("roles")
    for method, path in [("GET", f"{V1}/providers"), ("POST", f"{V1}/providers"),
                         ("GET", f"{V1}/api-keys"), ("POST", f"{V1}/api-keys"),
                         ("DELETE", f"{V1}/api-keys/key-01JD0000000000000000000000"),
                         ("PATCH", f"{V1}/providers/prv-01JD0000000000000000000000")]:
        r = t.request(method, path, body={} if method in ("POST", "PATCH") else None)
        assert r.status == 403, (method, path, r)


def test_key_is_stored_hashed_and_shown_once(api):
    import hashlib
    r = api.admin.post(f"{V1}/api-keys", {"role": "tenant", "tenant": "hashy", "name": "ci"})
    assert r.status == 201 and r.headers["location"].endswith(r.json["id"])
    key = r.json["key"]
    assert key.startswith("dbaas_") and len(key) >= 6 + 43     # 32 random bytes
    doc = api.db.api_keys.find_one({"_id": r.json["id"]})
    assert doc["hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(doc)
    listed = api.admin.get(f"{V1}/api-keys?limit=500")
    assert r.json["id"] in listed.text and key not in listed.text
    assert all("key" not in k and "hash" not in k for k in listed.json["items"])
    assert key not in api.log_text()


@pytest.mark.parametrize("body,field,status", [
    ({}, "role", 400), ({"role": "root"}, "role", 422), ({"role": "tenant"}, "tenant", 422),
    ({"role": "admin", "tenant": "x"}, "tenant", 422), ({"role": "tenant", "tenant": "A B"},
                                                        "tenant", 422),
    ({"role": "tenant", "tenant": "x", "extra": 1}, "extra", 400),
])
def test_api_key_validation(api, body, field, status):
    r = api.admin.post(f"{V1}/api-keys", body)
    assert r.status == status and r.json["errors"][0]["field"] == field, r


def test_deleted_key_stops_working_within_the_cache_bound(api):
    """api.key_cache_ttl_ms is 500 here: once deleted, the key must fail within it
    (at once in the process that deleted it; this dbaasd has one API process)."""
    t, info = api.tenant("shortlived")
    assert t.get(f"{V1}/databases").status == 200
    assert api.admin.delete(f"{V1}/api-keys/{info['id']}").status == 204
    assert t.get(f"{V1}/databases").status == 401
    assert api.admin.delete(f"{V1}/api-keys/{info['id']}").status == 404


def test_deleted_key_expires_from_other_processes(services, tmp_path):
    """Two API processes: the one that did not delete the key forgets it within
    api.key_cache_ttl_ms."""
    a = Api(services, tmp_path, {"api.processes": 2, "api.key_cache_ttl_ms": 700}).start()
    try:
        t, info = a.tenant("spread")
        # warm both processes' caches: fresh connections spread over both
        for _ in range(20):
            assert Client(a.port, t.key).get(f"{V1}/databases").status == 200
        a.db.api_keys.delete_one({"_id": info["id"]})      # behind every cache's back
        t0 = time.monotonic()
        wait_for(lambda: all(Client(a.port, t.key).get(f"{V1}/databases").status == 401
                             for _ in range(10)), 3, "every process to forget the key")
        assert time.monotonic() - t0 < 0.7 + 1.0
    finally:
        a.stop()


def test_last_used_is_recorded(api):
    t, info = api.tenant("usage")
    assert t.get(f"{V1}/databases").status == 200
    wait_for(lambda: api.db.api_keys.find_one({"_id": info["id"]})["last_used_at"], 5,
             "last_used_at to be written")


def test_bootstrap_key_file_malformed_stops_dbaasd_with_78(services, tmp_path):
    bad = tmp_path / "bad.key"
    bad.write_text("not a key!\n")
    a = Api(services, tmp_path, {"api.bootstrap_admin_key_file": str(bad)})
    a.d.start(wait_ready=False)
    try:
        assert a.d.wait_exit(15) == 78
        ev = [e for e in a.d.events() if e.get("event") == "bootstrap_key_invalid"]
        assert ev and "malformed" in ev[0]["error"]
    finally:
        a.stop()


def test_bootstrap_key_file_unreadable_stops_dbaasd_with_78(services, tmp_path):
    a = Api(services, tmp_path, {"api.bootstrap_admin_key_file": str(tmp_path / "missing")})
    a.d.start(wait_ready=False)
    try:
        assert a.d.wait_exit(15) == 78
        assert any(e.get("event") == "bootstrap_key_invalid" for e in a.d.events())
    finally:
        a.stop()


def test_create_admin_key_cli(services, tmp_path):
    a = Api(services, tmp_path, {"api.bootstrap_admin_key_file": ""})
    r = run([binary("dbaasd"), "--create-admin-key", "-c", str(a.conf)])
    assert r.returncode == 0, r.stderr
    key = r.stdout.strip()
    assert key.startswith("dbaas_") and "shown only this once" in r.stderr
    a.d.start()
    try:
        c = Client(a.port, key)
        assert c.get(f"{V1}/api-keys").status == 200
        assert c.get(f"{V1}/providers").status == 200
    finally:
        a.stop()


def test_help_mentions_create_admin_key():
    r = run([binary("dbaasd"), "--help"])
    assert "--create-admin-key" in r.stdout


def test_unknown_route_and_method(api):
    assert api.admin.get(f"{V1}/nothing").status == 404
    r = api.admin.request("PUT", f"{V1}/databases")
    assert r.status == 405 and set(r.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}


def test_tenant_from_key_not_body(api):
    t, _ = api.tenant("owner")
    p = api.provider()["id"]
    r = t.post(f"{V1}/databases", db_body(p))
    assert r.status == 201 and r.json["tenant"] == "owner"
