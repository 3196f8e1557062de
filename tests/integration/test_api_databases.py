"""/api/v1/databases black-box: the desired-state writes, every validation rule,
ETag/If-Match, tenant isolation, pagination, events and the reconciler nudge."""
import threading

import pytest

from api_util import V1, Api, db_body
from conftest import wait_for


@pytest.fixture(scope="module")
def api(services, tmp_path_factory):
    a = Api(services, tmp_path_factory.mktemp("apidb")).start()
    yield a
    a.stop()


@pytest.fixture(scope="module")
def acme(api):
    return api.tenant("acme")[0]


@pytest.fixture(scope="module")
def globex(api):
    return api.tenant("globex")[0]


@pytest.fixture(scope="module")
def prv(api):
    return api.provider()["id"]


def create(client, prv, **over):
    r = client.post(f"{V1}/databases", db_body(prv, **over))
    assert r.status == 201, r
    return r


def test_create_returns_location_etag_and_desired_state(api, acme, prv):
    r = create(acme, prv, name="orders", storage_gb=50)
    d = r.json
    assert r.headers["location"] == f"{V1}/databases/{d['id']}"
    assert r.headers["etag"] == '"1"'
    assert d["id"].startswith("db-") and d["tenant"] == "acme"
    assert d["namespace"] == "dbaas-acme" and d["deletion_policy"] == "Delete"
    assert d["status"] == "provisioning" and d["generation"] == 1
    assert d["observed_generation"] == 0 and d["current_size"] is None
    assert d["storage_gb"] == 50 and d["paused"] is False
    for f in ("created_at", "updated_at"):
        assert d[f].endswith("Z")
    doc = api.db.databases.find_one({"_id": d["id"]})
    assert doc["live_key"] == f"acme/{prv}/dbaas-acme/orders"
    # the reconciler is nudged with the database id
    assert d["id"] in api.services.redis().lrange(api.prefix + "nudges", 0, -1)
    # and the history says what happened
    ev = acme.get(f"{V1}/databases/{d['id']}/events").json["items"]
    assert ev[0]["action"] == "create" and ev[0]["generation"] == 1


def test_get_with_etag(acme, prv):
    d = create(acme, prv).json
    r = acme.get(f"{V1}/databases/{d['id']}")
    assert r.status == 200 and r.json == d
    assert r.headers["etag"] == '"1"'
    assert r.headers["x-request-id"].startswith("req-")


def test_request_id_is_echoed(acme):
    r = acme.get(f"{V1}/databases", headers={"X-Request-Id": "my-trace-123"})
    assert r.headers["x-request-id"] == "my-trace-123"
    r = acme.get(f"{V1}/databases", headers={"X-Request-Id": "bad id with spaces"})
    assert r.headers["x-request-id"].startswith("req-")


def test_unique_name_per_tenant_provider_namespace(api, acme, globex, prv):
    create(acme, prv, name="dup")
    r = acme.post(f"{V1}/databases", db_body(prv, name="dup"))
    assert r.status == 409 and r.json["errors"][0]["field"] == "name"
    create(globex, prv, name="dup")                      # another tenant
    create(acme, prv, name="dup", namespace="other-ns")   # another namespace
    create(acme, api.provider()["id"], name="dup")        # another provider


@pytest.mark.parametrize("over,field,status,msg", [
    ({"name": "Orders"}, "name", 422, "DNS-1123"),
    ({"name": "a" * 41}, "name", 422, "at most 40"),
    ({"name": "-x"}, "name", 422, "DNS-1123"),
    ({"engine": "oracle"}, "engine", 422, "unknown engine"),
    ({"version": "9.6"}, "version", 422, "postgres 9.6 is not offered"),
    ({"size": "huge"}, "size", 422, "unknown size"),
    ({"replicas": 0}, "replicas", 422, "postgres allows 1 to 5, got 0"),
    ({"replicas": 6}, "replicas", 422, "postgres allows 1 to 5, got 6"),
    ({"engine": "mongodb", "version": "7.0.16", "replicas": 2}, "replicas", 422,
     "mongodb allows 1 (standalone) or 3 to 7, got 2"),
    ({"engine": "redis", "version": "7.4.1", "replicas": 3}, "replicas", 422,
     "redis allows exactly 1, got 3"),
    ({"storage_gb": 0}, "storage_gb", 422, "between 1 and 65536"),
    ({"storage_gb": 65537}, "storage_gb", 422, "between 1 and 65536"),
    ({"namespace": "Bad_NS"}, "namespace", 422, "DNS-1123"),
    ({"deletion_policy": "Sometimes"}, "deletion_policy", 422, "one of"),
    ({"provider_id": "nope"}, "provider_id", 422, "provider id"),
    ({"tenant": "other"}, "tenant", 422, "only admin keys"),
    ({"color": "red"}, "color", 400, "unknown field"),
    ({"replicas": "3"}, "replicas", 400, "must be an integer"),
    ({"replicas": 1.5}, "replicas", 400, "must be an integer"),
    ({"storage_gb": True}, "storage_gb", 400, "must be an integer"),
    ({"name": 7}, "name", 400, "must be a string"),
    ({"engine": None}, "engine", 400, "required"),
])
def test_create_validation(acme, prv, over, field, status, msg):
    r = acme.post(f"{V1}/databases", db_body(prv, **over))
    assert r.status == status, r
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json["status"] == status
    errs = {e["field"]: e["message"] for e in r.json["errors"]}
    assert field in errs and msg in errs[field], r.json
    assert msg in r.json["detail"] or len(r.json["errors"]) > 1


def test_create_missing_fields_listed(acme):
    r = acme.post(f"{V1}/databases", {"name": "x"})
    assert r.status == 400
    assert {e["field"] for e in r.json["errors"]} == {
        "engine", "version", "size", "replicas", "storage_gb", "provider_id"}


def test_provider_must_exist_and_be_enabled(api, acme):
    r = acme.post(f"{V1}/databases", db_body("prv-01JD0000000000000000000000"))
    assert r.status == 422 and r.json["errors"][0] == {"field": "provider_id",
                                                       "message": "no such provider"}
    p = api.provider()["id"]
    assert api.admin.patch(f"{V1}/providers/{p}", {"enabled": False}).status == 200
    r = acme.post(f"{V1}/databases", db_body(p))
    assert r.status == 422 and "disabled" in r.json["errors"][0]["message"]


def test_admin_creates_for_a_tenant(api, acme, prv):
    r = api.admin.post(f"{V1}/databases", db_body(prv))
    assert r.status == 422 and r.json["errors"][0]["field"] == "tenant"
    r = api.admin.post(f"{V1}/databases", db_body(prv, tenant="acme"))
    assert r.status == 201 and r.json["tenant"] == "acme"
    assert acme.get(f"{V1}/databases/{r.json['id']}").status == 200


def test_tenant_isolation(api, acme, globex, prv):
    d = create(acme, prv).json
    for method, path, body in [("GET", f"{V1}/databases/{d['id']}", None),
                               ("PATCH", f"{V1}/databases/{d['id']}", {"size": "db.t3.large"}),
                               ("DELETE", f"{V1}/databases/{d['id']}", None),
                               ("POST", f"{V1}/databases/{d['id']}/pause", None),
                               ("GET", f"{V1}/databases/{d['id']}/events", None)]:
        r = globex.request(method, path, body=body)
        assert r.status == 404, (method, path, r)
    ids = [x["id"] for x in globex.get(f"{V1}/databases?limit=500").json["items"]]
    assert d["id"] not in ids
    assert all(x["tenant"] == "globex" for x in globex.get(f"{V1}/databases").json["items"])
    assert acme.get(f"{V1}/databases/{d['id']}").json["size"] == "db.t3.medium"
    # the admin sees every tenant and can filter by one
    items = api.admin.get(f"{V1}/databases?tenant=acme&limit=500").json["items"]
    assert d["id"] in [x["id"] for x in items] and {x["tenant"] for x in items} == {"acme"}


def test_unknown_id_is_404(acme):
    assert acme.get(f"{V1}/databases/db-01JD0000000000000000000000").status == 404
    assert acme.get(f"{V1}/databases/not-an-id").status == 404


def test_patch_updates_desired_state_and_bumps_generation(api, acme, prv):
    d = create(acme, prv, storage_gb=50).json
    r = acme.patch(f"{V1}/databases/{d['id']}", {"size": "db.t3.large", "storage_gb": 60})
    assert r.status == 200, r
    assert r.json["size"] == "db.t3.large" and r.json["storage_gb"] == 60
    assert r.json["generation"] == 2 and r.headers["etag"] == '"2"'
    doc = api.db.databases.find_one({"_id": d["id"]})
    assert doc["size"] == "db.t3.large" and doc["generation"] == 2
    ev = acme.get(f"{V1}/databases/{d['id']}/events").json["items"]
    assert ev[0]["action"] == "update" and "size db.t3.medium -> db.t3.large" in ev[0]["detail"]
    # the same values again change nothing
    r = acme.patch(f"{V1}/databases/{d['id']}", {"size": "db.t3.large"})
    assert r.status == 200 and r.json["generation"] == 2


def test_storage_never_decreases(acme, prv):
    d = create(acme, prv, storage_gb=50).json
    r = acme.patch(f"{V1}/databases/{d['id']}", {"storage_gb": 20})
    assert r.status == 422
    assert r.json["detail"] == "storage_gb cannot decrease (current 50, requested 20)"
    assert r.json["errors"][0]["field"] == "storage_gb"


@pytest.mark.parametrize("body,field,status", [
    ({}, "", 422), ({"name": "x"}, "name", 400), ({"replicas": "2"}, "replicas", 400),
    ({"size": "nope"}, "size", 422), ({"version": "1.0"}, "version", 422),
    ({"replicas": 9}, "replicas", 422), ({"storage_gb": 70000}, "storage_gb", 422),
])
def test_patch_validation(acme, prv, body, field, status):
    d = create(acme, prv).json
    r = acme.patch(f"{V1}/databases/{d['id']}", body)
    assert r.status == status, r
    assert r.json["errors"][0]["field"] == field


def test_standalone_topology_is_fixed(acme, prv):
    mongo = dict(engine="mongodb", version="7.0.16")
    solo = create(acme, prv, replicas=1, **mongo).json
    r = acme.patch(f"{V1}/databases/{solo['id']}", {"replicas": 3})
    assert r.status == 422 and "standalone mongodb database cannot be scaled out" in r.text
    rs = create(acme, prv, replicas=3, **mongo).json
    r = acme.patch(f"{V1}/databases/{rs['id']}", {"replicas": 1})
    assert r.status == 422 and "cannot be scaled down to 1" in r.text
    assert acme.patch(f"{V1}/databases/{rs['id']}", {"replicas": 5}).status == 200
    # postgres has no standalone rule: 1 is an ordinary value in range
    pg = create(acme, prv, replicas=1).json
    assert acme.patch(f"{V1}/databases/{pg['id']}", {"replicas": 3}).status == 200


def test_if_match(acme, prv):
    d = create(acme, prv).json
    url = f"{V1}/databases/{d['id']}"
    r = acme.patch(url, {"size": "db.t3.large"}, headers={"If-Match": '"7"'})
    assert r.status == 412
    r = acme.patch(url, {"size": "db.t3.large"}, headers={"If-Match": '"1"'})
    assert r.status == 200 and r.headers["etag"] == '"2"'
    r = acme.patch(url, {"size": "db.t3.small"}, headers={"If-Match": '"1"'})
    assert r.status == 412
    assert acme.get(url).json["size"] == "db.t3.large"
    r = acme.patch(url, {"size": "db.t3.small"}, headers={"If-Match": "garbage"})
    assert r.status == 400 and r.json["errors"][0]["field"] == "If-Match"


def test_concurrent_patches_lose_no_update(api, acme, prv):
    d = create(acme, prv, storage_gb=10).json
    url = f"{V1}/databases/{d['id']}"
    results = []

    def bump(n):
        c = acme.with_key(acme.key)
        results.append(c.patch(url, {"storage_gb": n}).status)
        c.close()
    threads = [threading.Thread(target=bump, args=(11 + i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = results.count(200)
    # every successful write is one generation (storage only grows, so some may be refused)
    assert set(results) <= {200, 409, 422}, results
    assert acme.get(url).json["generation"] == 1 + sum(
        1 for e in acme.get(f"{V1}/databases/{d['id']}/events").json["items"]
        if e["action"] == "update")
    assert ok >= 1


def test_delete_then_changes_conflict(api, acme, prv):
    d = create(acme, prv, name="gone").json
    url = f"{V1}/databases/{d['id']}"
    r = acme.delete(url)
    assert r.status == 202 and r.json["status"] == "deleting" and r.json["generation"] == 2
    assert acme.delete(url).status == 202          # idempotent
    for method, path, body in [("PATCH", url, {"size": "db.t3.large"}),
                               ("POST", url + "/pause", None), ("POST", url + "/resume", None)]:
        r = acme.request(method, path, body=body)
        assert r.status == 409, (method, r)
    # while deleting, the name stays taken; once deleted (live_key = id) it is free
    assert acme.post(f"{V1}/databases", db_body(prv, name="gone")).status == 409
    api.db.databases.update_one({"_id": d["id"]},
                                {"$set": {"status": "deleted", "live_key": d["id"]}})
    assert acme.patch(url, {"size": "db.t3.large"}).status == 409
    create(acme, prv, name="gone")


def test_pause_and_resume(acme, prv):
    d = create(acme, prv).json
    url = f"{V1}/databases/{d['id']}"
    r = acme.post(url + "/pause")
    assert r.status == 202 and r.json["paused"] is True and r.json["status"] == "pausing"
    r = acme.post(url + "/pause")
    assert r.status == 202 and r.json["generation"] == 2      # no second change
    r = acme.post(url + "/resume", {})
    assert r.status == 202 and r.json["paused"] is False and r.json["status"] == "resuming"
    assert acme.post(url + "/pause", {"force": True}).status == 400
    actions = [e["action"] for e in acme.get(url + "/events").json["items"]]
    assert actions == ["resume", "pause", "create"]


def test_list_filters(acme, prv):
    a = create(acme, prv, name="flt-a").json
    b = create(acme, prv, name="flt-b", engine="mysql", version="8.4.3").json
    items = acme.get(f"{V1}/databases?engine=mysql&limit=500").json["items"]
    assert b["id"] in [x["id"] for x in items] and all(x["engine"] == "mysql" for x in items)
    items = acme.get(f"{V1}/databases?name=flt-a").json["items"]
    assert [x["id"] for x in items] == [a["id"]]
    assert acme.get(f"{V1}/databases?status=provisioning&provider_id={prv}").status == 200
    for q, field in [("engine=oracle", "engine"), ("status=happy", "status"), ("limit=0", "limit"),
                     ("limit=501", "limit"), ("limit=x", "limit"), ("cursor=zzz", "cursor"),
                     ("color=red", "color"), ("name=a&name=b", "name")]:
        r = acme.get(f"{V1}/databases?{q}")
        assert r.status == 400 and r.json["errors"][0]["field"] == field, (q, r)


def test_pagination_stable_while_inserting(api, prv):
    t, _ = api.tenant("pager")
    made = [create(t, prv, name=f"pg-{i}").json["id"] for i in range(23)]
    seen, cursor, pages = [], None, 0
    while True:
        url = f"{V1}/databases?limit=5" + (f"&cursor={cursor}" if cursor else "")
        page = t.get(url).json
        pages += 1
        seen += [x["id"] for x in page["items"]]
        create(t, prv, name=f"late-{pages}")   # inserted while paging: must not disturb
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 5
    assert seen == sorted(made, reverse=True)     # newest first, no duplicates, no gaps
    first = t.get(f"{V1}/databases?limit=5").json["items"]
    assert first[0]["name"] == "late-5"


def test_events_paginated_newest_first(acme, prv):
    d = create(acme, prv, storage_gb=10).json
    url = f"{V1}/databases/{d['id']}"
    for gb in range(11, 16):
        assert acme.patch(url, {"storage_gb": gb}).status == 200
    p1 = acme.get(url + "/events?limit=4").json
    p2 = acme.get(url + f"/events?limit=4&cursor={p1['next_cursor']}").json
    gens = [e["generation"] for e in p1["items"] + p2["items"]]
    assert gens == [6, 5, 4, 3, 2, 1] and p2["next_cursor"] is None


def test_nudge_failure_does_not_fail_the_write(api, acme, prv):
    """Covered with Redis really down in test_api_outage; here the key being
    of the wrong type makes LPUSH fail the same way for the API."""
    r = api.services.redis()
    r.delete(api.prefix + "nudges")
    r.set(api.prefix + "nudges", "not a list")
    try:
        d = create(acme, prv).json
        assert acme.get(f"{V1}/databases/{d['id']}").status == 200
        wait_for(lambda: "nudge_failed" in api.log_text(), 5, "the nudge failure to be logged")
    finally:
        r.delete(api.prefix + "nudges")
