"""dbaasd-kubesim's simulated KubeDB operator: database lifecycle, OpsRequest
admission (KubeDB's webhooks), the OpsRequest queue rules, timeouts, and the
changes written back into the database spec."""
import pytest

from conftest import wait_for
from kubesim_util import KubeSim, database, kubesim, mongodb, ops_request  # noqa: F401

ENGINES = [  # kind, plural, ops kind, ops plural, main container, component, hscale field
    ("MongoDB", "mongodbs", "MongoDBOpsRequest", "mongodbopsrequests", "mongodb", "replicaSet", "replicas"),
    ("Postgres", "postgreses", "PostgresOpsRequest", "postgresopsrequests", "postgres", "postgres", "replicas"),
    ("MySQL", "mysqls", "MySQLOpsRequest", "mysqlopsrequests", "mysql", "mysql", "member"),
    ("MariaDB", "mariadbs", "MariaDBOpsRequest", "mariadbopsrequests", "mariadb", "mariadb", "member"),
    ("Redis", "redises", "RedisOpsRequest", "redisopsrequests", "redis", "redis", "replicas"),
]


def db_manifest(kind, name, replicas=3, storage="10Gi", **spec):
    if kind == "MongoDB":
        return mongodb(name, replicas=replicas, storage=storage, **spec)
    return database(kind, name, replicas=replicas, storage=storage, **spec)


def conditions(obj):
    return {c["type"]: c["status"] for c in obj.get("status", {}).get("conditions", [])}


def test_database_lifecycle(kubesim):
    kubesim.set_config(provision_delay_ms=400)
    w = kubesim.watch("mongodbs", "demo", resourceVersion=kubesim.info()["resourceVersion"])
    kubesim.create("mongodbs", "demo", mongodb("life"))
    phases = []
    while "Ready" not in phases:
        ev = w.next()
        phases.append(ev["object"].get("status", {}).get("phase"))
    assert phases[0] is None and "Provisioning" in phases and phases[-1] == "Ready"
    obj = kubesim.get("mongodbs", "demo", "life")
    assert obj["metadata"]["finalizers"] == ["kubedb.com"]
    assert obj["status"]["observedGeneration"] == obj["metadata"]["generation"]
    assert conditions(obj)["Ready"] == "True" and conditions(obj)["ProvisioningStarted"] == "True"
    w.close()
    # A spec change moves generation; the operator follows with observedGeneration.
    out = kubesim.patch("mongodbs", "demo", "life", {"spec": {"version": "8.0.18"}})
    wait_for(lambda: kubesim.get("mongodbs", "demo", "life")["status"]["observedGeneration"]
             == out["metadata"]["generation"], 5, "observedGeneration")


def test_halt_and_resume(kubesim):
    kubesim.create("postgreses", "demo", database("Postgres", "pg"))
    kubesim.wait_phase("postgreses", "demo", "pg", "Ready")
    kubesim.patch("postgreses", "demo", "pg", {"spec": {"halted": True}})
    kubesim.wait_phase("postgreses", "demo", "pg", "Halted")
    assert conditions(kubesim.get("postgreses", "demo", "pg"))["Halted"] == "True"
    kubesim.set_config(provision_delay_ms=300)
    w = kubesim.watch("postgreses", "demo", resourceVersion=kubesim.info()["resourceVersion"])
    kubesim.patch("postgreses", "demo", "pg", {"spec": {"halted": False}})
    seen = []
    while not seen or seen[-1] != "Ready":
        seen.append(w.next()["object"]["status"]["phase"])
    assert "Provisioning" in seen
    w.close()


def test_delete_runs_finalizer_after_delay(kubesim):
    kubesim.set_config(delete_delay_ms=1000)
    kubesim.create("redises", "demo", database("Redis", "rd"))
    kubesim.wait_phase("redises", "demo", "rd", "Ready")
    r = kubesim.delete("redises", "demo", "rd")
    assert r.status == 200 and r.json()["metadata"]["deletionTimestamp"]
    assert kubesim.get("redises", "demo", "rd") is not None     # held by the finalizer
    kubesim.wait_gone("redises", "demo", "rd", timeout=5)


def test_do_not_terminate_blocks_delete_and_halt(kubesim):
    kubesim.create("mysqls", "demo", database("MySQL", "keep", deletionPolicy="DoNotTerminate"))
    r = kubesim.delete("mysqls", "demo", "keep")
    assert r.status == 403 and r.json()["reason"] == "Forbidden"
    assert 'denied the request' in r.json()["message"] and "DoNotTerminate" in r.json()["message"]
    assert kubesim.get("mysqls", "demo", "keep") is not None
    r = kubesim.request("PATCH", "/apis/kubedb.com/v1/namespaces/demo/mysqls/keep", {"spec": {"halted": True}},
                        content_type="application/merge-patch+json")
    assert r.status == 422 and r.json()["details"]["causes"][0]["field"] == "spec.halted"


def test_database_validation(kubesim):
    cases = [
        (mongodb("sa", replicas=3, replicaSet=None), "spec.replicas"),
        (mongodb("zero", replicas=0), "spec.replicas"),
        (mongodb("nover", version=""), "spec.version"),
        (mongodb("st", storageType="Fast"), "spec.storageType"),
        (mongodb("halt", storageType="Ephemeral", deletionPolicy="Halt"), "spec.deletionPolicy"),
    ]
    cases[0][0]["spec"].pop("replicaSet")
    for m, field in cases:
        r = kubesim.request("POST", "/apis/kubedb.com/v1/namespaces/demo/mongodbs", m)
        assert r.status == 422, (m["metadata"]["name"], r)
        st = r.json()
        assert st["reason"] == "Invalid" and st["details"]["causes"][0]["field"] == field
        assert st["message"].startswith('admission webhook "vmongodb.kb.io" denied the request: ')
    kubesim.create("mongodbs", "demo", mongodb("imm"))
    r = kubesim.request("PATCH", "/apis/kubedb.com/v1/namespaces/demo/mongodbs/imm",
                        {"spec": {"storageType": "Ephemeral"}}, content_type="application/merge-patch+json")
    assert r.status == 422 and "immutable" in r.json()["message"]


def ops_post(ks, plural, obj):
    return ks.request("POST", f"/apis/ops.kubedb.com/v1alpha1/namespaces/demo/{plural}", obj)


def test_ops_admission(kubesim):
    kubesim.create("mongodbs", "demo", mongodb("rs", replicas=3, storage="10Gi"))
    kubesim.create("mongodbs", "demo", mongodb("solo", replicas=1))
    K, P = "MongoDBOpsRequest", "mongodbopsrequests"
    cases = [
        (ops_request(K, "o1", "rs", "Frobnicate"), "spec.type", "FieldValueNotSupported"),
        (ops_request(K, "o2", "nope", "Restart"), "spec.databaseRef.name", "FieldValueInvalid"),
        (ops_request(K, "o3", "rs", "VolumeExpansion",
                     volumeExpansion={"mode": "Online", "replicaSet": "10Gi"}),
         "spec.volumeExpansion.replicaSet", "FieldValueInvalid"),
        (ops_request(K, "o4", "rs", "VolumeExpansion", volumeExpansion={"replicaSet": "20Gi"}),
         "spec.volumeExpansion.mode", "FieldValueRequired"),
        (ops_request(K, "o5", "rs", "HorizontalScaling", horizontalScaling={"replicas": 0}),
         "spec.horizontalScaling.replicas", "FieldValueInvalid"),
        (ops_request(K, "o6", "solo", "HorizontalScaling", horizontalScaling={"replicas": 3}),
         "spec.type", "FieldValueInvalid"),
        (ops_request(K, "o7", "rs", "VerticalScaling",
                     verticalScaling={"requests": {"cpu": "1"}}), "spec.verticalScaling", "FieldValueInvalid"),
        (ops_request(K, "o8", "rs", "UpdateVersion"), "spec.updateVersion.targetVersion", "FieldValueRequired"),
        (ops_request(K, "o9", "rs", "Restart", timeout="soon"), "spec.timeout", "FieldValueInvalid"),
    ]
    for obj, field, reason in cases:
        r = ops_post(kubesim, P, obj)
        assert r.status == 422, (obj["metadata"]["name"], r)
        cause = r.json()["details"]["causes"][0]
        assert (cause["field"], cause["reason"]) == (field, reason), obj["metadata"]["name"]
        assert 'MongoDBOpsRequest.ops.kubedb.com "%s" is invalid' % obj["metadata"]["name"] in r.json()["message"]
    assert "greater than current storage" in ops_post(kubesim, P, cases[2][0]).json()["message"]
    ok = ops_post(kubesim, P, ops_request(K, "fine", "rs", "VolumeExpansion",
                                          volumeExpansion={"mode": "Online", "replicaSet": "20Gi"}))
    assert ok.status == 201
    # An OpsRequest's spec is immutable.
    r = kubesim.request("PATCH", "/apis/ops.kubedb.com/v1alpha1/namespaces/demo/mongodbopsrequests/fine",
                        {"spec": {"apply": "Always"}}, content_type="application/merge-patch+json")
    assert r.status == 422


@pytest.mark.parametrize("kind,plural,okind,oplural,container,comp,hfield", ENGINES)
def test_ops_apply_changes_per_engine(tmp_path, kind, plural, okind, oplural, container, comp, hfield):
    with KubeSim(tmp_path, provision_delay=50, ops_delay=100) as ks:
        ks.create(plural, "demo", db_manifest(kind, "db", replicas=3, storage="10Gi"))
        ks.wait_phase(plural, "demo", "db", "Ready")
        gen0 = ks.get(plural, "demo", "db")["metadata"]["generation"]
        steps = [
            ("hs", "HorizontalScaling", {"horizontalScaling": {hfield: 5}}),
            ("vs", "VerticalScaling", {"verticalScaling": {comp: {"resources": {
                "requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"memory": "4Gi"}}}}}),
            ("ve", "VolumeExpansion", {"volumeExpansion": {"mode": "Offline", comp: "20Gi"}}),
            ("uv", "UpdateVersion", {"updateVersion": {"targetVersion": "9.9.9"}}),
        ]
        for name, type_, spec in steps:
            ks.create(oplural, "demo", ops_request(okind, name, "db", type_, **spec))
            ks.wait_phase(oplural, "demo", name, "Successful")
            ks.wait_phase(plural, "demo", "db", "Ready")
        db = ks.get(plural, "demo", "db")
        assert db["spec"]["replicas"] == 5
        c = next(c for c in db["spec"]["podTemplate"]["spec"]["containers"] if c["name"] == container)
        assert c["resources"]["requests"] == {"cpu": "2", "memory": "4Gi"}
        assert db["spec"]["storage"]["resources"]["requests"]["storage"] == "20Gi"
        assert db["spec"]["version"] == "9.9.9"
        assert db["metadata"]["generation"] == gen0 + 4
        assert "Paused" not in conditions(db)
        ops = ks.get(oplural, "demo", "uv")
        assert conditions(ops)["Successful"] == "True" and ops["status"]["observedGeneration"] == 1


def test_ops_phases_and_paused_condition(kubesim):
    kubesim.set_config(ops_delay_ms=600)
    kubesim.create("mongodbs", "demo", mongodb("p"))
    kubesim.wait_phase("mongodbs", "demo", "p", "Ready")
    w = kubesim.watch("mongodbopsrequests", "demo", resourceVersion=kubesim.info()["resourceVersion"])
    kubesim.create("mongodbopsrequests", "demo", ops_request("MongoDBOpsRequest", "r", "p", "Restart"))
    seen = []
    while not seen or seen[-1] != "Successful":
        seen.append(w.next()["object"].get("status", {}).get("phase"))
    assert [p for p in seen if p] == ["Pending", "Progressing", "Successful"]
    w.close()
    assert "Paused" not in conditions(kubesim.get("mongodbs", "demo", "p"))


def test_ops_queue_rules(kubesim):
    kubesim.set_config(ops_delay_ms=1500)   # wide enough for the checks while one runs
    kubesim.create("mongodbs", "demo", mongodb("q", replicas=3))
    kubesim.wait_phase("mongodbs", "demo", "q", "Ready")
    K, P = "MongoDBOpsRequest", "mongodbopsrequests"
    kubesim.create(P, "demo", ops_request(K, "a-restart", "q", "Restart"))
    kubesim.wait_phase(P, "demo", "a-restart", "Progressing")
    assert conditions(kubesim.get("mongodbs", "demo", "q"))["Paused"] == "True"
    kubesim.create(P, "demo", ops_request(K, "b-hs3", "q", "HorizontalScaling", horizontalScaling={"replicas": 4}))
    kubesim.create(P, "demo", ops_request(K, "c-ver", "q", "UpdateVersion", updateVersion={"targetVersion": "9"}))
    kubesim.create(P, "demo", ops_request(K, "d-hs5", "q", "HorizontalScaling", horizontalScaling={"replicas": 5}))
    # While one runs the rest wait; the older HorizontalScaling is superseded.
    kubesim.wait_phase(P, "demo", "b-hs3", "Skipped")
    assert kubesim.phase(P, "demo", "c-ver") == "Pending"
    assert kubesim.phase(P, "demo", "d-hs5") == "Pending"
    kubesim.wait_phase(P, "demo", "a-restart", "Successful")
    # The oldest survivor (c-ver) runs next, then d-hs5; never two at once.
    kubesim.wait_phase(P, "demo", "c-ver", "Progressing")
    assert kubesim.phase(P, "demo", "d-hs5") == "Pending"
    kubesim.wait_phase(P, "demo", "d-hs5", "Successful", timeout=10)
    db = kubesim.get("mongodbs", "demo", "q")
    assert db["spec"]["replicas"] == 5 and db["spec"]["version"] == "9"


def test_ops_timeout_fails_and_unpauses(kubesim):
    kubesim.set_config(ops_delay_ms=5000)
    kubesim.create("mariadbs", "demo", database("MariaDB", "m"))
    kubesim.wait_phase("mariadbs", "demo", "m", "Ready")
    kubesim.create("mariadbopsrequests", "demo",
                   ops_request("MariaDBOpsRequest", "slow", "m", "Restart", timeout="300ms"))
    kubesim.wait_phase("mariadbopsrequests", "demo", "slow", "Failed", timeout=5)
    assert "Paused" not in conditions(kubesim.get("mariadbs", "demo", "m"))


def test_if_ready_waits_for_ready_database(kubesim):
    kubesim.set_config(provision_delay_ms=2500, ops_delay_ms=100)
    K, P = "MongoDBOpsRequest", "mongodbopsrequests"
    kubesim.create("mongodbs", "demo", mongodb("slow"))
    kubesim.create("mongodbs", "demo", mongodb("other"))
    kubesim.create(P, "demo", ops_request(K, "wait", "slow", "Restart"))
    kubesim.create(P, "demo", ops_request(K, "now", "other", "UpdateVersion", apply="Always",
                                          updateVersion={"targetVersion": "9"}))
    kubesim.wait_phase(P, "demo", "now", "Successful")
    assert kubesim.phase("mongodbs", "demo", "slow") == "Provisioning"
    assert kubesim.phase(P, "demo", "wait") == "Pending"
    kubesim.wait_phase(P, "demo", "wait", "Successful", timeout=5)
