"""GET /openapi.json is a structurally valid OpenAPI 3 document that matches
the server: every documented path and method is routed, answers with a
documented status and carries the documented required fields; every route of
src/api/router.c is documented.  GET /metrics passes promtool and shows what
the service does."""
import json
import re
import time

import pytest

from api_util import V1, Api, db_body, promtool_ok
from conftest import ROOT, wait_for

METHODS = {"get", "post", "patch", "delete", "put"}


@pytest.fixture(scope="module")
def api(services, tmp_path_factory):
    a = Api(services, tmp_path_factory.mktemp("apidoc")).start()
    yield a
    a.stop()


@pytest.fixture(scope="module")
def doc(api):
    r = api.anon.get("/openapi.json")
    assert r.status == 200 and r.headers["content-type"] == "application/json"
    return r.json


def resolve(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        assert node["$ref"].startswith("#/"), node
        cur = doc
        for part in node["$ref"][2:].split("/"):
            cur = cur[part]
        node = cur
    return node


def walk_refs(doc, node):
    if isinstance(node, dict):
        if "$ref" in node:
            resolve(doc, node)
        for v in node.values():
            walk_refs(doc, v)
    elif isinstance(node, list):
        for v in node:
            walk_refs(doc, v)


def test_document_structure(doc):
    assert re.fullmatch(r"3\.0\.\d+", doc["openapi"])
    assert doc["info"]["title"] and doc["info"]["version"]
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    walk_refs(doc, doc)                      # every $ref resolves
    op_ids = set()
    for path, item in doc["paths"].items():
        assert path.startswith("/")
        names = set(re.findall(r"{(\w+)}", path))
        shared = [p["name"] for p in item.get("parameters", []) if p["in"] == "path"]
        for method, op in item.items():
            if method == "parameters":
                continue
            assert method in METHODS, (path, method)
            assert op["operationId"] not in op_ids
            op_ids.add(op["operationId"])
            params = item.get("parameters", []) + op.get("parameters", [])
            for p in params:
                assert {"name", "in", "schema"} <= set(p) and p["in"] in (
                    "path", "query", "header"), p
                if p["in"] == "path":
                    assert p["required"] is True
            assert names == set(shared + [p["name"] for p in op.get("parameters", [])
                                          if p["in"] == "path"]), path
            assert op["responses"], (path, method)
            for code, resp in op["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d", code), code
                assert "description" in resolve(doc, resp)
    for name, schema in doc["components"]["schemas"].items():
        for req in schema.get("required", []):
            assert req in schema["properties"], (name, req)


def test_every_route_is_documented(doc):
    src = (ROOT / "src/api/router.c").read_text()
    routes = re.findall(r'EVHTTP_REQ_(\w+), (?:V1 )?"([^"]+)"', src)
    assert len(routes) > 20
    for method, pattern in routes:
        full = pattern if pattern in ("/health", "/ready", "/metrics", "/openapi.json") \
            else V1 + pattern
        assert method.lower() in doc["paths"].get(full, {}), (method, full)


@pytest.fixture(scope="module")
def ids(api):
    prv = api.provider()["id"]
    t, _ = api.tenant("docs")
    d = t.post(f"{V1}/databases", db_body(prv)).json
    other_prv = api.provider()["id"]
    key = api.admin.post(f"{V1}/api-keys", {"role": "tenant", "tenant": "gone"}).json["id"]
    return {"databases": d["id"], "providers": other_prv, "api-keys": key,
            "operations": "op-01JD0000000000000000000000"}


def example_body(path, method, prv):
    if path == f"{V1}/databases" and method == "post":
        return db_body(prv)
    if path == f"{V1}/databases/{{id}}" and method == "patch":
        return {"storage_gb": 30}
    if path == f"{V1}/providers" and method == "post":
        return {"name": "doc-prv", "server": "https://k:6443"}
    if path == f"{V1}/providers/{{id}}" and method == "patch":
        return {"qps": 7}
    if path == f"{V1}/api-keys" and method == "post":
        return {"role": "tenant", "tenant": "docs"}
    return None


def check_required(doc, schema, value, where):
    schema = resolve(doc, schema)
    for part in schema.get("allOf", []):
        check_required(doc, part, value, where)
    for f in schema.get("required", []):
        assert f in value, (where, f)
    if schema.get("type") == "object":
        for f, sub in schema.get("properties", {}).items():
            sub = resolve(doc, sub)
            if f in value and sub.get("type") == "array" and "items" in sub:
                for item in value[f]:
                    check_required(doc, sub["items"], item, where)


ORDER = {"get": 0, "post": 1, "patch": 2, "delete": 3}


def test_every_documented_operation_answers_as_documented(api, doc, ids):
    prv = api.provider()["id"]
    ops = sorted(((p, m) for p, item in doc["paths"].items() for m in item if m in METHODS),
                 key=lambda pm: ORDER[pm[1]])
    for path, method in ops:
        op = doc["paths"][path][method]
        coll = path.split("/")[3] if path.startswith(V1) else None
        url = path.replace("{id}", ids.get(coll, ""))
        r = api.admin.request(method.upper(), url, body=example_body(path, method, prv))
        # routed: the router's own 404/405 would mean the route is missing
        assert r.status != 405, (method, url, r)
        assert not (r.status == 404 and r.json.get("detail") == "no such resource"), (method, url)
        assert str(r.status) in op["responses"], (method, url, r.status, list(op["responses"]))
        resp = resolve(doc, op["responses"][str(r.status)])
        for h in resp.get("headers", {}):
            assert h.lower() in r.headers, (method, url, h)
        content = resp.get("content", {})
        if "application/json" in content and r.status < 300:
            check_required(doc, content["application/json"]["schema"], r.json, (method, url))
        if r.status >= 400:
            assert r.headers["content-type"] == "application/problem+json"
            check_required(doc, {"$ref": "#/components/schemas/Problem"}, r.json, (method, url))


def test_metrics_pass_promtool_and_show_the_service(api, ids):
    # make traffic of several kinds, then wait for it to be published
    api.admin.get(f"{V1}/databases/{ids['databases']}")
    api.anon.get(f"{V1}/databases")

    def scrape():
        r = api.anon.get("/metrics")
        return r.text if 'code="401"' in r.text else None
    text = wait_for(scrape, 10, "request counters in /metrics")
    ok, out = promtool_ok(text)
    assert ok, out
    assert api.anon.get("/metrics").headers["content-type"].startswith("text/plain")
    for name in ("dbaas_drift_detected_total", "dbaas_reconciliation_cycle_total",
                 "dbaas_reconciliation_cycle_duration_seconds", "dbaas_operations_created_total",
                 "dbaas_http_requests_total", "dbaas_http_request_duration_seconds",
                 "dbaas_queue_length", "dbaas_queue_pending", "dbaas_operations",
                 "dbaas_api_dependency_failures_total"):
        assert f"# TYPE {name} " in text, name
    assert re.search(r'dbaas_http_requests_total\{route="/api/v1/databases/\{id\}",'
                     r'method="GET",code="200"\} \d+', text)
    assert re.search(r'dbaas_http_request_duration_seconds_bucket\{route="/api/v1/databases",'
                     r'method="GET",code="401",le="\+Inf"\} \d+', text)
    assert 'dbaas_queue_length{stream="ops"}' in text
    # every histogram series lists every bucket of its family, ascending, ending at +Inf
    groups = {}
    for m in re.finditer(r'dbaas_http_request_duration_seconds_bucket\{(.*),le="([^"]+)"\} (\S+)',
                         text):
        groups.setdefault(m.group(1), []).append((m.group(2), float(m.group(3))))
    assert groups
    for labels, buckets in groups.items():
        les = [b for b, _ in buckets]
        assert les[0] == "0.0005" and les[-1] == "+Inf" and len(les) == 13, (labels, les)
        counts = [c for _, c in buckets]
        assert counts == sorted(counts), (labels, buckets)


def test_metrics_aggregate_other_processes(api):
    """A series another process published (any role) is summed in."""
    r = api.services.redis()
    r.hset(api.prefix + "metrics:meta", "dbaas_reconciliation_cycle_total",
           "counter||reconciliation cycles run")
    r.hincrbyfloat(api.prefix + "metrics:c", "dbaas_reconciliation_cycle_total{}", 3)
    r.hincrbyfloat(api.prefix + "metrics:c", "dbaas_reconciliation_cycle_total{}", 4)
    r.hset(api.prefix + "metrics:c", 'bogus{bad="', "1")           # malformed: skipped
    r.hset(api.prefix + "metrics:c", "dbaas_operations_created_total{source=\"x\"}", "NaNx")
    text = api.anon.get("/metrics").text
    assert "\ndbaas_reconciliation_cycle_total 7\n" in text
    assert "bogus" not in text and "NaNx" not in text
    ok, out = promtool_ok(text)
    assert ok, out


def test_operation_counts_by_type_and_status(api, ids):
    import datetime
    from dbaasd_util import new_id
    now = datetime.datetime.now(datetime.timezone.utc)
    for st in ("failed", "failed", "completed"):
        api.db.operations.insert_one({"_id": new_id("op-"),
                                      "database_id": ids["databases"], "type": "expand_volume",
                                      "status": st, "created_at": now})

    def counted():
        t = api.anon.get("/metrics").text
        return 'dbaas_operations{type="expand_volume",status="failed"} 2' in t
    wait_for(counted, 10, "the cached operation counts to refresh")


def test_health_forgets_processes_silent_for_ten_minutes(api):
    r = api.services.redis()
    key = api.prefix + "heartbeats"
    live = set(r.hkeys(key))
    assert live, "the running roles heartbeat"
    old = int(time.time() * 1000) - 11 * 60 * 1000
    gone = {f"worker:{999990 + i}": json.dumps({"at_ms": old, "role": "worker"}) for i in range(3)}
    r.hset(key, mapping=gone)
    h = api.anon.get("/health")
    assert h.status == 200 and h.json["status"] == "healthy", h
    left = set(r.hkeys(key))
    assert not left & set(gone), left     # all three dropped, by one HDEL
    assert live <= left                   # the live ones kept
