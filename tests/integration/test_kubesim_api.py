"""dbaasd-kubesim: discovery, CRUD verbs, Status errors, auth and TLS, checked
on the wire against the shapes of a real kube-apiserver 1.30 (kube-samples)."""
import json
import socket
import ssl
import urllib.request

import pytest

from conftest import wait_for
from kubesim_util import (KubeSim, READONLY_TOKEN, database, kubesim, mongodb,  # noqa: F401
                          ops_request, resource_path)

MG = "/apis/kubedb.com/v1/namespaces/demo/mongodbs"


def test_version_and_discovery(kubesim):
    v = kubesim.ok("GET", "/version")
    assert v["major"] == "1" and v["minor"] == "30" and v["gitVersion"].startswith("v1.30.")
    api = kubesim.ok("GET", "/api")
    assert api["kind"] == "APIVersions" and api["versions"] == ["v1"]
    assert api["serverAddressByClientCIDRs"][0]["serverAddress"] == f"127.0.0.1:{kubesim.port}"
    groups = {g["name"]: g for g in kubesim.ok("GET", "/apis")["groups"]}
    assert groups["kubedb.com"]["preferredVersion"]["groupVersion"] == "kubedb.com/v1"
    assert groups["ops.kubedb.com"]["preferredVersion"]["version"] == "v1alpha1"
    rl = kubesim.ok("GET", "/apis/kubedb.com/v1")
    names = {r["name"]: r for r in rl["resources"]}
    assert set(names) >= {"mongodbs", "mongodbs/status", "postgreses", "mysqls", "mariadbs", "redises"}
    assert names["mongodbs"]["kind"] == "MongoDB" and names["mongodbs"]["shortNames"] == ["mg"]
    assert "watch" in names["mongodbs"]["verbs"] and names["mongodbs"]["namespaced"]
    assert names["mongodbs/status"]["verbs"] == ["get", "patch", "update"]
    ops = {r["name"] for r in kubesim.ok("GET", "/apis/ops.kubedb.com/v1alpha1")["resources"]}
    assert {"mongodbopsrequests", "postgresopsrequests", "mysqlopsrequests",
            "mariadbopsrequests", "redisopsrequests"} <= ops


@pytest.mark.parametrize("version", ["v2", "v2beta1"])
def test_aggregated_discovery(kubesim, version):
    accept = (f"application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList,"
              "application/json")
    r = kubesim.request("GET", "/apis", headers={"Accept": accept})
    assert r.status == 200
    assert r.headers["Content-Type"] == \
        f"application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList"
    doc = r.json()
    assert doc["kind"] == "APIGroupDiscoveryList"
    assert doc["apiVersion"] == f"apidiscovery.k8s.io/{version}"
    kubedb = next(i for i in doc["items"] if i["metadata"]["name"] == "kubedb.com")
    res = {x["resource"]: x for x in kubedb["versions"][0]["resources"]}
    assert res["redises"]["responseKind"]["kind"] == "Redis"
    assert res["redises"]["subresources"][0]["subresource"] == "status"
    core = kubesim.request("GET", "/api", headers={"Accept": accept}).json()
    assert {x["resource"] for x in core["items"][0]["versions"][0]["resources"]} == \
        {"namespaces", "secrets"}


def test_openapi_documents(kubesim):
    root = kubesim.ok("GET", "/openapi/v3")
    url = root["paths"]["apis/kubedb.com/v1"]["serverRelativeURL"]
    doc = kubesim.ok("GET", url)
    patch = next(p["patch"] for k, p in doc["paths"].items() if "/mongodbs/" in k)
    assert patch["x-kubernetes-group-version-kind"]["kind"] == "MongoDB"
    assert any(p["name"] == "fieldValidation" for p in patch["parameters"])
    assert "application/strategic-merge-patch+json" not in patch["requestBody"]["content"]
    pb = kubesim.request("GET", "/openapi/v2",
                         headers={"Accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"})
    assert pb.status == 200 and pb.body.startswith(b"\x0a\x032.0")


@pytest.mark.parametrize("path", [
    "/apis/kubedb.com/v1/namespaces/demo/nothings",
    "/apis/kubedb.com/v9/namespaces/demo/mongodbs",
    "/apis/nope.example.com/v1/namespaces/demo/things",
    "/apis/kubedb.com/v1/namespaces/demo/mongodbs/x/scale",
    "/nothing/here",
])
def test_unknown_paths_are_plain_404(kubesim, path):
    r = kubesim.request("GET", path)
    assert r.status == 404
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert r.body == b"404 page not found\n"


def test_create_get_and_server_fields(kubesim):
    obj = kubesim.create("mongodbs", "demo", mongodb("mg-a"))
    meta = obj["metadata"]
    assert meta["name"] == "mg-a" and meta["namespace"] == "demo" and meta["generation"] == 1
    assert len(meta["uid"]) == 36 and meta["creationTimestamp"].endswith("Z")
    assert int(meta["resourceVersion"]) > 0
    assert "status" not in obj
    # KubeDB's mutating webhook filled the defaults.
    spec = obj["spec"]
    assert spec["deletionPolicy"] == "Delete"
    c = spec["podTemplate"]["spec"]["containers"][0]
    assert c["name"] == "mongodb"
    assert c["resources"] == {"limits": {"memory": "1024Mi"},
                              "requests": {"cpu": "500m", "memory": "1024Mi"}}
    got = kubesim.request("GET", MG + "/mg-a")
    assert got.status == 200 and got.headers["Content-Type"] == "application/json"
    # Custom resources come back with sorted keys, compact.
    assert got.body.startswith(b'{"apiVersion":"kubedb.com/v1","kind":"MongoDB","metadata":{')
    assert got.json()["metadata"]["uid"] == meta["uid"]


def test_create_drops_status_and_generate_name(kubesim):
    m = mongodb("ignored")
    m["metadata"] = {"generateName": "mg-gen-"}
    m["status"] = {"phase": "Hacked"}
    obj = kubesim.create("mongodbs", "demo", m)
    assert obj["metadata"]["name"].startswith("mg-gen-") and len(obj["metadata"]["name"]) == 12
    assert "status" not in obj


def test_create_errors(kubesim):
    kubesim.create("mongodbs", "demo", mongodb("dup"))
    r = kubesim.request("POST", MG, mongodb("dup"))
    assert r.status == 409
    assert r.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                        "message": 'mongodbs.kubedb.com "dup" already exists',
                        "reason": "AlreadyExists",
                        "details": {"name": "dup", "group": "kubedb.com", "kind": "mongodbs"},
                        "code": 409}
    r = kubesim.request("POST", MG, '{"apiVersion":')
    assert r.status == 400 and r.json()["reason"] == "BadRequest"
    assert r.json()["message"].startswith("the object provided is unrecognized (must be of type MongoDB)")
    bad = mongodb("Bad_Name")
    r = kubesim.request("POST", MG, bad)
    assert r.status == 422
    st = r.json()
    assert st["reason"] == "Invalid" and st["details"]["kind"] == "MongoDB"
    assert st["message"].startswith('MongoDB.kubedb.com "Bad_Name" is invalid: metadata.name: Invalid value')
    assert st["details"]["causes"][0] == {**st["details"]["causes"][0],
                                         "reason": "FieldValueInvalid", "field": "metadata.name"}
    wrong = mongodb("mg-k")
    wrong["kind"] = "Postgres"
    st = kubesim.request("POST", MG, wrong).json()
    assert st["code"] == 422 and st["message"] == \
        'Postgres.kubedb.com "mg-k" is invalid: kind: Invalid value: "Postgres": must be MongoDB'
    noname = mongodb("x")
    noname["metadata"] = {}
    st = kubesim.request("POST", MG, noname).json()
    assert st["code"] == 422 and st["details"]["causes"][0]["reason"] == "FieldValueRequired"
    r = kubesim.request("POST", "/apis/kubedb.com/v1/namespaces/no-such-ns/mongodbs", mongodb("x"))
    assert r.status == 404 and r.json()["message"] == 'namespaces "no-such-ns" not found'
    assert r.json()["details"] == {"name": "no-such-ns", "kind": "namespaces"}


def test_get_and_delete_not_found(kubesim):
    for method in ("GET", "DELETE"):
        r = kubesim.request(method, MG + "/mg-missing")
        assert r.status == 404
        assert r.json()["message"] == 'mongodbs.kubedb.com "mg-missing" not found'
        assert r.json()["details"] == {"name": "mg-missing", "group": "kubedb.com", "kind": "mongodbs"}
    r = kubesim.request("PATCH", MG + "/mg-missing", {"spec": {}},
                        content_type="application/merge-patch+json")
    assert r.status == 404


def test_put_requires_current_resource_version(kubesim):
    kubesim.create("mongodbs", "demo", mongodb("mg-put"))
    kubesim.wait_phase("mongodbs", "demo", "mg-put", "Ready")   # the operator is done writing
    obj = kubesim.get("mongodbs", "demo", "mg-put")
    stale = json.loads(json.dumps(obj))
    obj["spec"]["replicas"] = 5
    new = kubesim.ok("PUT", MG + "/mg-put", obj)
    assert new["spec"]["replicas"] == 5 and new["metadata"]["generation"] == 2
    assert int(new["metadata"]["resourceVersion"]) > int(obj["metadata"]["resourceVersion"])
    stale["spec"]["replicas"] = 7
    r = kubesim.request("PUT", MG + "/mg-put", stale)
    assert r.status == 409 and r.json()["reason"] == "Conflict"
    assert r.json()["message"] == ('Operation cannot be fulfilled on mongodbs.kubedb.com "mg-put": '
                                   "the object has been modified; please apply your changes to the "
                                   "latest version and try again")
    del new["metadata"]["resourceVersion"]
    r = kubesim.request("PUT", MG + "/mg-put", new)
    assert r.status == 422 and r.json()["details"]["causes"][0]["field"] == "metadata.resourceVersion"
    r = kubesim.request("PUT", MG + "/mg-nope", mongodb("mg-nope"))
    assert r.status == 404


def test_merge_and_json_patch(kubesim):
    kubesim.create("mongodbs", "demo", mongodb("mg-p"))
    out = kubesim.patch("mongodbs", "demo", "mg-p",
                        {"metadata": {"labels": {"tier": "gold"}}, "spec": {"replicas": 5, "monitor": {"y": 1}}})
    assert out["metadata"]["labels"] == {"app": "test", "tier": "gold"}
    assert out["spec"]["replicas"] == 5 and out["spec"]["monitor"] == {"y": 1}
    assert out["metadata"]["generation"] == 2
    out = kubesim.patch("mongodbs", "demo", "mg-p", {"spec": {"monitor": None}})
    assert "monitor" not in out["spec"] and out["metadata"]["generation"] == 3
    # Labels and annotations do not move the generation.
    out = kubesim.patch("mongodbs", "demo", "mg-p", {"metadata": {"annotations": {"a": "b"}}})
    assert out["metadata"]["generation"] == 3
    out = kubesim.patch("mongodbs", "demo", "mg-p",
                        [{"op": "test", "path": "/spec/replicas", "value": 5},
                         {"op": "replace", "path": "/spec/replicas", "value": 7},
                         {"op": "add", "path": "/metadata/labels/new", "value": "v"}], kind="json")
    assert out["spec"]["replicas"] == 7 and out["metadata"]["labels"]["new"] == "v"
    r = kubesim.request("PATCH", MG + "/mg-p", [{"op": "test", "path": "/spec/replicas", "value": 42}],
                        content_type="application/json-patch+json")
    assert r.status == 422
    assert r.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                        "message": "the server rejected our request due to an error in our request",
                        "reason": "Invalid", "details": {}, "code": 422}
    assert kubesim.get("mongodbs", "demo", "mg-p")["spec"]["replicas"] == 7


def test_patch_cannot_rename(kubesim):
    kubesim.create("mongodbs", "demo", mongodb("mg-n"))
    for body, ctype in [({"metadata": {"name": "other"}}, "application/merge-patch+json"),
                        ([{"op": "replace", "path": "/metadata/name", "value": "other"}],
                         "application/json-patch+json")]:
        r = kubesim.request("PATCH", MG + "/mg-n", body, content_type=ctype)
        assert r.status == 400, r
        st = r.json()
        assert st["reason"] == "BadRequest"
        assert st["message"] == "the name of the object (other) does not match the name on the URL (mg-n)"
    assert kubesim.get("mongodbs", "demo", "other") is None
    assert kubesim.get("mongodbs", "demo", "mg-n")["metadata"]["generation"] == 1


def test_unknown_fields_dropped_with_warning_or_strict_400(kubesim):
    m = mongodb("mg-u")
    m["spec"]["replica"] = 3                     # a typo of replicas
    m["metadata"]["colour"] = "red"
    r = kubesim.request("POST", MG, m)
    assert r.status == 201
    obj = r.json()
    assert "replica" not in obj["spec"] and "colour" not in obj["metadata"]
    assert "replica" not in kubesim.get("mongodbs", "demo", "mg-u")["spec"]
    # One Warning per field (urllib joins repeated headers in .headers, so read them all).
    req = urllib.request.Request(kubesim.url + MG + "/mg-u", method="PATCH",
                                 data=json.dumps({"spec": {"replica": 4, "tpyo": 1}}).encode(),
                                 headers={"Authorization": f"Bearer {kubesim.token}",
                                          "Content-Type": "application/merge-patch+json"})
    with urllib.request.urlopen(req, context=kubesim.ssl, timeout=10) as resp:
        warnings = resp.headers.get_all("Warning")
        assert "replica" not in json.loads(resp.read())["spec"]
    assert warnings == ['299 - "unknown field \\"spec.replica\\""', '299 - "unknown field \\"spec.tpyo\\""']
    # Ignore: dropped silently.
    r = kubesim.request("PATCH", MG + "/mg-u", {"spec": {"replica": 4}}, query={"fieldValidation": "Ignore"},
                        content_type="application/merge-patch+json")
    assert r.status == 200 and "Warning" not in r.headers
    # Strict (kubectl's default): 400 naming every unknown field, nothing written.
    m = mongodb("mg-s")
    m["spec"]["replica"] = 3
    m["spec"]["storage"]["size"] = "1Gi"         # below spec.storage the schema is open
    m["oops"] = True
    r = kubesim.request("POST", MG, m, query={"fieldValidation": "Strict"})
    assert r.status == 400, r
    assert r.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                        "message": 'MongoDB in version "v1" cannot be handled as a MongoDB: strict decoding '
                                   'error: unknown field "spec.replica", unknown field "oops"',
                        "reason": "BadRequest", "code": 400}
    assert kubesim.get("mongodbs", "demo", "mg-s") is None
    r = kubesim.request("PUT", "/api/v1/namespaces/demo/secrets/s", {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "dat": {}},
        query={"fieldValidation": "Strict"})
    assert r.status == 400 and r.json()["message"].endswith('strict decoding error: unknown field "dat"')
    r = kubesim.request("POST", MG, mongodb("mg-v"), query={"fieldValidation": "Loose"})
    assert r.status == 422 and r.json()["details"]["kind"] == "CreateOptions"
    assert 'fieldValidation: Unsupported value: "Loose"' in r.json()["message"]


def test_strategic_merge_is_415(kubesim):
    kubesim.create("mongodbs", "demo", mongodb("mg-smp"))
    r = kubesim.request("PATCH", MG + "/mg-smp", {"spec": {"replicas": 2}},
                        content_type="application/strategic-merge-patch+json")
    assert r.status == 415 and r.json()["reason"] == "UnsupportedMediaType"
    assert "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml" \
        in r.json()["message"]


def test_apply_patch(kubesim):
    m = mongodb("mg-ssa")
    r = kubesim.request("PATCH", MG + "/mg-ssa", m, content_type="application/apply-patch+yaml")
    assert r.status == 422 and r.json()["details"]["causes"][0]["field"] == "fieldManager"
    r = kubesim.request("PATCH", MG + "/mg-ssa?fieldManager=tests", m,
                        content_type="application/apply-patch+yaml")
    assert r.status == 201 and r.json()["metadata"]["name"] == "mg-ssa"
    m["spec"]["replicas"] = 5
    r = kubesim.request("PATCH", MG + "/mg-ssa?fieldManager=tests", m,
                        content_type="application/apply-patch+yaml")
    assert r.status == 200 and r.json()["spec"]["replicas"] == 5


def test_status_subresource(kubesim):
    kubesim.create("mongodbs", "demo", mongodb("mg-st"))
    kubesim.wait_phase("mongodbs", "demo", "mg-st", "Ready")
    before = kubesim.get("mongodbs", "demo", "mg-st")
    out = kubesim.patch("mongodbs", "demo", "mg-st", {"status": {"phase": "Hacked"}})
    assert out["status"]["phase"] == "Ready"
    assert out["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]  # no-op
    out = kubesim.patch("mongodbs", "demo", "mg-st",
                        {"status": {"phase": "Critical"}, "spec": {"replicas": 99}}, sub="status")
    assert out["status"]["phase"] == "Critical" and out["spec"]["replicas"] == 3
    # The operator is level-triggered: it puts its own view of the status back.
    wait_for(lambda: kubesim.ok("GET", MG + "/mg-st/status")["status"]["phase"] == "Ready", 5,
             "the operator to restore the phase")


def test_delete_without_finalizers_returns_status(kubesim):
    obj = kubesim.create("secrets", "demo", {"apiVersion": "v1", "kind": "Secret",
                                             "metadata": {"name": "s1"},
                                             "stringData": {"password": "hunter2"}})
    assert obj["data"] == {"password": "aHVudGVyMg=="} and obj["type"] == "Opaque"
    r = kubesim.delete("secrets", "demo", "s1")
    assert r.status == 200
    assert r.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                        "details": {"name": "s1", "kind": "secrets", "uid": obj["metadata"]["uid"]}}
    assert kubesim.get("secrets", "demo", "s1") is None


def test_delete_with_finalizer_then_patch_removes(kubesim):
    kubesim.set_config(delete_delay_ms=600000)   # the operator must not finalize
    kubesim.create("mongodbs", "demo", mongodb("mg-fin"))
    wait_for(lambda: kubesim.get("mongodbs", "demo", "mg-fin")["metadata"].get("finalizers"), 5,
             "the kubedb.com finalizer")
    r = kubesim.delete("mongodbs", "demo", "mg-fin")
    assert r.status == 200
    obj = r.json()
    assert obj["kind"] == "MongoDB" and obj["metadata"]["deletionTimestamp"]
    assert obj["metadata"]["deletionGracePeriodSeconds"] == 0
    assert obj["metadata"]["generation"] == 2
    w = kubesim.watch("mongodbs", "demo", resourceVersion=obj["metadata"]["resourceVersion"])
    out = kubesim.patch("mongodbs", "demo", "mg-fin", {"metadata": {"finalizers": None}})
    assert "finalizers" not in out["metadata"]
    ev = w.next()
    assert ev["type"] == "DELETED" and ev["object"]["metadata"]["name"] == "mg-fin"
    assert int(ev["object"]["metadata"]["resourceVersion"]) > int(obj["metadata"]["resourceVersion"])
    assert kubesim.get("mongodbs", "demo", "mg-fin") is None
    w.close()


SECRETS = "/api/v1/namespaces/demo/secrets"


def secret(name, owner=None, finalizers=None):
    meta = {"name": name}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "Secret", "name": owner["metadata"]["name"],
                                    "uid": owner["metadata"]["uid"]}]
    if finalizers:
        meta["finalizers"] = finalizers
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "data": {}}


def test_delete_foreground_lingers_until_dependents_are_gone(kubesim):
    owner = kubesim.create("secrets", "demo", secret("owner"))
    kubesim.create("secrets", "demo", secret("dep", owner))
    kubesim.create("secrets", "demo", secret("bystander"))
    w = kubesim.watch("secrets", "demo", resourceVersion=kubesim.info()["resourceVersion"])
    r = kubesim.request("DELETE", SECRETS + "/owner", {"kind": "DeleteOptions", "apiVersion": "v1",
                                                      "propagationPolicy": "Foreground"})
    assert r.status == 200
    obj = r.json()
    assert obj["kind"] == "Secret" and obj["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert obj["metadata"]["deletionTimestamp"] and obj["metadata"]["deletionGracePeriodSeconds"] == 0
    assert kubesim.get("secrets", "demo", "owner") is not None      # it lingers
    # The collector deletes the dependent first, then releases the owner.
    kubesim.wait_gone("secrets", "demo", "owner")
    assert kubesim.get("secrets", "demo", "dep") is None
    assert kubesim.get("secrets", "demo", "bystander") is not None
    evs = [(e["type"], e["object"]["metadata"]["name"]) for e in w.events(3)]
    assert evs == [("MODIFIED", "owner"), ("DELETED", "dep"), ("DELETED", "owner")]
    w.close()


def test_delete_orphan_keeps_dependents(kubesim):
    owner = kubesim.create("secrets", "demo", secret("owner", finalizers=["example.com/hold"]))
    kubesim.create("secrets", "demo", secret("dep", owner))
    r = kubesim.request("DELETE", SECRETS + "/owner", query={"propagationPolicy": "Orphan"})
    assert r.status == 200
    assert r.json()["metadata"]["finalizers"] == ["example.com/hold", "orphan"]
    # The collector strips the ownerReferences and its finalizer; the other holds the owner.
    wait_for(lambda: kubesim.get("secrets", "demo", "owner")["metadata"]["finalizers"] == ["example.com/hold"],
             5, "the orphan finalizer to go")
    assert "ownerReferences" not in kubesim.get("secrets", "demo", "dep")["metadata"]
    kubesim.patch("secrets", "demo", "owner", {"metadata": {"finalizers": None}})
    assert kubesim.get("secrets", "demo", "owner") is None
    assert kubesim.get("secrets", "demo", "dep") is not None
    r = kubesim.request("DELETE", SECRETS + "/dep", query={"propagationPolicy": "Sideways"})
    assert r.status == 422 and r.json()["details"]["causes"][0]["field"] == "propagationPolicy"
    assert 'Unsupported value: "Sideways"' in r.json()["message"]


def test_delete_dry_run_answers_like_a_delete(kubesim):
    obj = kubesim.create("secrets", "demo", secret("plain"))
    r = kubesim.request("DELETE", SECRETS + "/plain", query={"dryRun": "All"})
    assert r.status == 200
    assert r.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                        "details": {"name": "plain", "kind": "secrets", "uid": obj["metadata"]["uid"]}}
    assert kubesim.get("secrets", "demo", "plain") is not None
    kubesim.create("secrets", "demo", secret("held", finalizers=["example.com/hold"]))
    r = kubesim.request("DELETE", SECRETS + "/held", query={"dryRun": "All"})
    assert r.status == 200 and r.json()["metadata"]["deletionTimestamp"]
    assert "deletionTimestamp" not in kubesim.get("secrets", "demo", "held")["metadata"]


def test_finalizer_without_domain_path_warns(kubesim):
    m = mongodb("mg-w")
    m["metadata"]["finalizers"] = ["kubedb.com"]
    r = kubesim.request("POST", MG, m)
    assert r.status == 201
    # The capture create-201-finalizer: one Warning header, code 299, agent "-".
    assert r.headers["Warning"] == ('299 - "metadata.finalizers: \\"kubedb.com\\": prefer a domain-qualified '
                                    'finalizer name to avoid accidental conflicts with other finalizer writers"')
    m = mongodb("mg-q")
    m["metadata"]["finalizers"] = ["example.com/hold", "orphan"]
    assert "Warning" not in kubesim.request("POST", MG, m).headers
    # On update only a finalizer the object did not have warns.
    r = kubesim.request("PATCH", MG + "/mg-w", {"metadata": {"labels": {"a": "b"}}},
                        content_type="application/merge-patch+json")
    assert r.status == 200 and "Warning" not in r.headers
    r = kubesim.request("PATCH", MG + "/mg-q", {"metadata": {"finalizers": ["example.com/hold", "orphan", "mine"]}},
                        content_type="application/merge-patch+json")
    assert r.status == 200 and '\\"mine\\": prefer a domain-qualified' in r.headers["Warning"]


def test_delete_precondition_conflict(kubesim):
    kubesim.create("mongodbs", "demo", mongodb("mg-pre"))
    r = kubesim.request("DELETE", MG + "/mg-pre",
                        {"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"resourceVersion": "1"}})
    assert r.status == 409 and r.json()["details"]["kind"] == "MongoDB"
    assert "the ResourceVersion in the precondition (1) does not match" in r.json()["message"]


def test_table_output(kubesim):
    kubesim.create("mongodbs", "demo", mongodb("mg-t"))
    kubesim.wait_phase("mongodbs", "demo", "mg-t", "Ready")
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    t = kubesim.request("GET", MG, headers={"Accept": accept}).json()
    assert t["kind"] == "Table" and t["apiVersion"] == "meta.k8s.io/v1"
    assert [c["name"] for c in t["columnDefinitions"]] == ["Name", "Version", "Status", "Age"]
    row = t["rows"][0]
    assert row["cells"][:3] == ["mg-t", "8.0.17", "Ready"] and row["cells"][3].endswith("s")
    assert row["object"]["kind"] == "PartialObjectMetadata"
    assert row["object"]["metadata"]["name"] == "mg-t"
    one = kubesim.request("GET", MG + "/mg-t", headers={"Accept": accept}).json()
    assert one["kind"] == "Table" and len(one["rows"]) == 1


def test_namespaces_lifecycle(kubesim):
    ns = kubesim.create("namespaces", None, {"apiVersion": "v1", "kind": "Namespace",
                                             "metadata": {"name": "doomed"}})
    assert ns["status"]["phase"] == "Active"
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "doomed"}
    assert list(ns)[:3] == ["kind", "apiVersion", "metadata"]   # built-ins keep struct order
    kubesim.create("mongodbs", "doomed", mongodb("inside"))
    r = kubesim.delete("namespaces", None, "doomed")
    assert r.status == 200 and r.json()["status"]["phase"] == "Terminating"
    r = kubesim.request("POST", "/apis/kubedb.com/v1/namespaces/doomed/mongodbs", mongodb("late"))
    assert r.status == 403 and r.json()["details"]["causes"][0]["reason"] == "NamespaceTerminating"
    # The namespace controller deletes the content (the finalizer runs), then the namespace.
    kubesim.wait_gone("mongodbs", "doomed", "inside")
    kubesim.wait_gone("namespaces", None, "doomed")


def test_deletion_timestamp_text_is_not_terminating(kubesim):
    # Only metadata.deletionTimestamp means terminating, not the same text in a label or annotation.
    kubesim.create("namespaces", None, {
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "lookalike", "labels": {"deletionTimestamp": "x"},
                     "annotations": {"note": "deletionTimestamp"}}})
    kubesim.create("mongodbs", "lookalike", mongodb("inside"))
    assert kubesim.get("namespaces", None, "lookalike")["status"]["phase"] == "Active"
    r = kubesim.delete("namespaces", None, "lookalike")
    assert r.status == 200 and r.json()["status"]["phase"] == "Terminating"
    kubesim.wait_gone("mongodbs", "lookalike", "inside")
    kubesim.wait_gone("namespaces", None, "lookalike")


def test_bearer_tokens(kubesim):
    r = kubesim.request("GET", MG, token="wrong")
    assert r.status == 401
    assert r.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                        "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
    assert kubesim.request("GET", MG, token=READONLY_TOKEN).status == 200
    r = kubesim.request("POST", MG, mongodb("ro"), token=READONLY_TOKEN)
    assert r.status == 403 and r.json()["reason"] == "Forbidden"
    assert r.json()["message"] == ('mongodbs.kubedb.com is forbidden: User "viewer" cannot create '
                                   'resource "mongodbs" in API group "kubedb.com" in the namespace "demo"')
    assert kubesim.request("POST", "/_sim/reset", token=READONLY_TOKEN).status == 403
    assert kubesim.request("GET", "/_sim/info", token=None).status == 401


def test_no_token_is_system_anonymous(kubesim):
    # No Authorization header: anonymous auth, then RBAC says no (403), as a real apiserver.
    r = kubesim.request("GET", MG, token=None)
    assert r.status == 403
    assert r.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                        "message": 'mongodbs.kubedb.com is forbidden: User "system:anonymous" cannot list '
                                   'resource "mongodbs" in API group "kubedb.com" in the namespace "demo"',
                        "reason": "Forbidden", "details": {"group": "kubedb.com", "kind": "mongodbs"},
                        "code": 403}
    r = kubesim.request("GET", MG + "/x", token=None)
    assert r.status == 403 and r.json()["details"]["name"] == "x"
    assert r.json()["message"].startswith('mongodbs.kubedb.com "x" is forbidden: User "system:anonymous" cannot get')
    r = kubesim.request("GET", "/apis", token=None)
    assert r.status == 403
    assert r.json()["message"] == 'forbidden: User "system:anonymous" cannot get path "/apis"'
    assert r.json()["details"] == {}
    assert kubesim.request("GET", "/version", token=None).status == 200
    assert kubesim.request("GET", "/_sim/info", token=None).status == 401


def test_https_kubeconfig_and_ca(kubesim):
    import yaml
    kc = yaml.safe_load(kubesim.kubeconfig.read_text())
    cluster = kc["clusters"][0]["cluster"]
    assert cluster["server"] == kubesim.url and kubesim.url.startswith("https://127.0.0.1:")
    assert kc["users"][0]["user"]["token"]
    # The CA verifies the server for both names in its certificate.
    for host in ("127.0.0.1", "localhost"):
        ctx = ssl.create_default_context(cafile=str(kubesim.ca_file))
        with socket.create_connection(("127.0.0.1", kubesim.port)) as s:
            with ctx.wrap_socket(s, server_hostname=host) as t:
                assert t.version() in ("TLSv1.2", "TLSv1.3")
    # An unverified client is refused by its own TLS stack.
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(kubesim.url + "/version", timeout=5,
                               context=ssl.create_default_context())


def test_plain_http_without_auth(tmp_path):
    with KubeSim(tmp_path, tls=False, auth=False) as ks:
        assert ks.url.startswith("http://")
        assert ks.request("GET", "/apis/kubedb.com/v1/mongodbs", token=None).status == 200


def test_bad_requests_do_not_crash(kubesim):
    bodies = [b"", b"[]", b"null", b"\xff\xfe", b"{" * 5000, b'{"kind":1}', b'{"metadata":[]}',
              json.dumps({"apiVersion": "kubedb.com/v1", "kind": "MongoDB",
                          "metadata": {"name": "x", "labels": {"bad key!": "v"}}, "spec": {}})]
    for b in bodies:
        r = kubesim.request("POST", MG, b)
        assert 400 <= r.status < 500, (b[:20], r)
    for q in ("limit=abc", "resourceVersion=-1", "labelSelector=a%20in%20(", "timeoutSeconds=x&watch=1",
              "fieldSelector=spec.x%3D1", "continue=%25%25%25"):
        r = kubesim.request("GET", MG + "?" + q)
        assert r.status == 400, (q, r)
    assert kubesim.request("GET", "/version").status == 200


def test_request_body_limit(kubesim):
    r = kubesim.request("POST", MG, b'{"a":"' + b"x" * (4 << 20) + b'"}')
    assert r.status == 413 and r.json()["reason"] == "RequestEntityTooLarge"
    assert kubesim.request("GET", "/version").status == 200


def test_config_file_and_flag_errors(tmp_path):
    from conftest import binary, run
    conf = tmp_path / "kubesim.conf"
    conf.write_text('listen = "127.0.0.1:0";\ntls = false;\nnamespaces = [ "from-file" ];\n'
                    'tokens = ( { token = "file-token"; user = "ops"; role = "admin"; } );\n'
                    f'url_file = "{tmp_path}/url";\nrv_wait_ms = 1234;\n')
    with KubeSim(tmp_path / "ks", tls=False, auth=False, args=["-c", str(conf)]) as ks:
        assert ks.request("GET", MG, token=None).status == 403           # the file's token applies: anonymous
        assert ks.request("GET", "/api/v1/namespaces/from-file", token="file-token").status == 200
        assert ks.ok("GET", "/_sim/config", token="file-token")["rv_wait_ms"] == 1234
    for args, msg in [(["--provision-delay", "-5"], "--provision-delay: must be an integer"),
                      (["--token", ":x"], "token: expected TOKEN"),
                      (["--token", "t:u:god"], "role must be admin or readonly"),
                      (["--listen", "nonsense"], "expected HOST:PORT"),
                      (["extra"], "unexpected argument"),
                      (["-c", str(tmp_path / "missing.conf")], "missing.conf")]:
        r = run([binary("dbaasd-kubesim")] + args, timeout=10)
        assert r.returncode in (1, 2) and msg in r.stderr, (args, r.stderr)
    bad = tmp_path / "bad.conf"
    bad.write_text("history = 0;\n")
    r = run([binary("dbaasd-kubesim"), "-c", str(bad)], timeout=10)
    assert r.returncode == 2 and "history: must be from 1" in r.stderr
    assert run([binary("dbaasd-kubesim"), "--help"], timeout=10).stdout.startswith("usage: dbaasd-kubesim")


def test_delete_collection(kubesim):
    for name, tier in [("c1", "gold"), ("c2", "gold"), ("c3", "silver")]:
        m = mongodb(name)
        m["metadata"]["labels"]["tier"] = tier
        kubesim.create("mongodbs", "demo", m)
    r = kubesim.request("DELETE", MG, query={"labelSelector": "tier=gold"})
    assert r.status == 200
    lst = r.json()
    assert lst["kind"] == "MongoDBList"
    assert sorted(i["metadata"]["name"] for i in lst["items"]) == ["c1", "c2"]
    kubesim.wait_gone("mongodbs", "demo", "c1")
    kubesim.wait_gone("mongodbs", "demo", "c2")
    assert kubesim.get("mongodbs", "demo", "c3") is not None


def test_delete_collection_honours_the_field_selector(kubesim):
    for name in ("f1", "f2"):
        kubesim.create("mongodbs", "demo", mongodb(name))
    r = kubesim.request("DELETE", MG, query={"fieldSelector": "metadata.name=f1"})
    assert r.status == 200
    assert [i["metadata"]["name"] for i in r.json()["items"]] == ["f1"]
    kubesim.wait_gone("mongodbs", "demo", "f1")
    assert kubesim.get("mongodbs", "demo", "f2") is not None
    r = kubesim.request("DELETE", MG, query={"fieldSelector": "spec.replicas=3"})
    assert r.status == 400
