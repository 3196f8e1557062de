"""dbaasd-kubesim with real clients: the oldest and newest bundled kubectl
(over HTTPS with the kubeconfig kubesim wrote, fresh discovery cache each),
and Debian's python3-kubernetes (paged lists, watch resumption, 410 recovery)."""
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import run, spawn, wait_for
from kubesim_util import KubeSim, mongodb

KUBECTL_DIR = Path("/usr/lib/google-cloud-sdk/bin")
# The oldest and newest bundled with google-cloud-sdk, and whatever `kubectl` is on the
# PATH (that dispatcher on these machines; Debian's kubernetes-client 1.20 elsewhere).
KUBECTLS = ["kubectl.1.27", "kubectl.1.33", "kubectl"]

MANIFEST = """\
apiVersion: kubedb.com/v1
kind: MongoDB
metadata:
  name: orders
  namespace: demo
  labels: {app: shop}
spec:
  version: "8.0.17"
  replicas: 3
  replicaSet: {name: rs0}
  storageType: Durable
  storage:
    storageClassName: standard
    accessModes: [ReadWriteOnce]
    resources: {requests: {storage: 50Gi}}
  deletionPolicy: Delete
"""


def kubectl_path(name):
    p = KUBECTL_DIR / name
    if p.exists():
        return str(p)
    if name == "kubectl" and shutil.which("kubectl"):
        return shutil.which("kubectl")
    pytest.skip(f"{p} is not installed (the google-cloud-sdk kubectl package provides it)")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with KubeSim(tmp_path_factory.mktemp("kubectl"), provision_delay=100, ops_delay=100,
                 delete_delay=100) as ks:
        yield ks


class Kubectl:
    def __init__(self, binary, ks, cache):
        self.base = [binary, "--kubeconfig", str(ks.kubeconfig), "--cache-dir", str(cache),
                     "--request-timeout", "20s"]

    def __call__(self, *args, stdin=None, check=True, timeout=40):
        r = subprocess.run(self.base + list(args), input=stdin, capture_output=True, text=True,
                           timeout=timeout)
        if check:
            assert r.returncode == 0, f"kubectl {' '.join(args)}: {r.stdout}{r.stderr}"
        return r


@pytest.mark.parametrize("version", KUBECTLS)
def test_kubectl(cluster, tmp_path, version):
    k = Kubectl(kubectl_path(version), cluster, tmp_path / "cache")
    ns = "kc" + version.replace(".", "")[-3:]
    cluster.create("namespaces", None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    manifest = MANIFEST.replace("namespace: demo", f"namespace: {ns}")
    # get with table output on every kind
    for res in ("mongodbs", "postgreses", "mysqls", "mariadbs", "redises", "mongodbopsrequests",
                "postgresopsrequests", "mysqlopsrequests", "mariadbopsrequests", "redisopsrequests",
                "secrets"):
        r = k("get", res, "-n", ns)
        assert "No resources found" in r.stdout + r.stderr
    assert "Active" in k("get", "namespaces").stdout
    # create -f, then get shows the printer columns
    assert "mongodb.kubedb.com/orders created" in k("create", "-f", "-", stdin=manifest).stdout
    wait_for(lambda: "Ready" in k("get", "mg", "orders", "-n", ns).stdout, 10, "orders Ready in kubectl get")
    out = k("get", "mg", "-n", ns).stdout.splitlines()
    assert out[0].split() == ["NAME", "VERSION", "STATUS", "AGE"]
    assert out[1].split()[:3] == ["orders", "8.0.17", "Ready"]
    # apply -f of a changed manifest (merge patch under the hood)
    assert "configured" in k("apply", "-f", "-", stdin=manifest.replace("replicas: 3", "replicas: 5")).stdout
    assert cluster.get("mongodbs", ns, "orders")["spec"]["replicas"] == 5
    assert "unchanged" in k("apply", "-f", "-", stdin=manifest.replace("replicas: 3", "replicas: 5")).stdout
    # patch --type=merge
    k("patch", "mongodb", "orders", "-n", ns, "--type=merge", "-p", '{"spec":{"version":"8.0.18"}}')
    assert cluster.get("mongodbs", ns, "orders")["spec"]["version"] == "8.0.18"
    # get -w NAME sees a change
    w = subprocess.Popen(k.base + ["get", "mg", "orders", "-n", ns, "-w", "--no-headers", "-o",
                                   "custom-columns=NAME:.metadata.name,T:.metadata.labels.touched"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert w.stdout.readline().split() == ["orders", "<none>"]
        # kubectl watches with fieldSelector=metadata.name=orders; wait until it does.
        wait_for(lambda: any(e["verb"] == "watch" and e["code"] == 200 and e["namespace"] == ns
                             for e in cluster.requests_log()) or
                 cluster.info()["watchers"] > 0, 10, "kubectl's watch")
        cluster.patch("mongodbs", ns, "orders", {"metadata": {"labels": {"touched": "yes"}}})
        assert w.stdout.readline().split() == ["orders", "yes"]
    finally:
        w.kill()
        w.wait()
    # get --chunk-size=2 over several pages
    for i in range(5):
        cluster.create("mongodbs", ns, mongodb(f"page-{i}"))
    before = cluster.count(verb="list", resource="mongodbs")
    names = k("get", "mg", "-n", ns, "--chunk-size=2", "-o", "name").stdout.split()
    assert names == ["mongodb.kubedb.com/orders"] + [f"mongodb.kubedb.com/page-{i}" for i in range(5)]
    assert cluster.count(verb="list", resource="mongodbs") - before == 3
    # delete waits for DELETED (the finalizer runs after the delete delay)
    assert f'mongodb.kubedb.com "orders" deleted' in k("delete", "mongodb", "orders", "-n", ns).stdout
    assert cluster.get("mongodbs", ns, "orders") is None
    # built-in kinds (kubectl 1.28+ sends them as protobuf; strategic merge for labels)
    k("create", "secret", "generic", "auth", "-n", ns, "--from-literal=password=hunter2")
    sec = cluster.get("secrets", ns, "auth")
    assert sec["data"] == {"password": "aHVudGVyMg=="} and sec["type"] == "Opaque"
    k("label", "secret", "auth", "-n", ns, "team=db")
    assert cluster.get("secrets", ns, "auth")["metadata"]["labels"] == {"team": "db"}
    k("create", "namespace", ns + "-extra")
    assert cluster.get("namespaces", None, ns + "-extra")["status"]["phase"] == "Active"
    k("delete", "secret", "auth", "-n", ns)
    assert cluster.get("secrets", ns, "auth") is None
    # a read-only user is refused writes with RBAC's wording
    r = subprocess.run(k.base + ["--token", "kubesim-readonly-token", "delete", "mg", "page-0", "-n", ns],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and 'User "viewer" cannot delete resource "mongodbs"' in r.stderr


def test_python_kubernetes_pagination_and_watch(tmp_path):
    kubernetes = pytest.importorskip("kubernetes")
    from kubernetes import client, config, watch
    from kubernetes.client.rest import ApiException

    with KubeSim(tmp_path, provision_delay=100, args=["--history", "30"]) as ks:
        api_client = config.new_client_from_config(config_file=str(ks.kubeconfig))
        api = client.CustomObjectsApi(api_client)
        for i in range(7):
            ks.create("mongodbs", "demo", mongodb(f"py-{i}"))
        # Paged list: three pages of 3, one snapshot.
        names, cont, rvs = [], None, set()
        while True:
            page = api.list_namespaced_custom_object("kubedb.com", "v1", "demo", "mongodbs",
                                                     limit=3, _continue=cont)
            names += [o["metadata"]["name"] for o in page["items"]]
            rvs.add(page["metadata"]["resourceVersion"])
            cont = page["metadata"].get("continue")
            if not cont:
                break
        assert names == [f"py-{i}" for i in range(7)] and len(rvs) == 1
        list_rv = rvs.pop()
        # Watch from the list's RV, stop, resume from the last RV seen.
        ks.patch("mongodbs", "demo", "py-0", {"metadata": {"labels": {"v": "1"}}})
        w = watch.Watch()
        seen_rv = None
        for ev in w.stream(api.list_namespaced_custom_object, "kubedb.com", "v1", "demo", "mongodbs",
                           resource_version=list_rv, timeout_seconds=5):
            if ev["object"]["metadata"]["name"] == "py-0" and \
                    ev["object"]["metadata"].get("labels", {}).get("v") == "1":
                seen_rv = ev["object"]["metadata"]["resourceVersion"]
                w.stop()
        assert seen_rv is not None
        ks.patch("mongodbs", "demo", "py-1", {"metadata": {"labels": {"v": "2"}}})
        seen = False
        for ev in w.stream(api.list_namespaced_custom_object, "kubedb.com", "v1", "demo", "mongodbs",
                           resource_version=seen_rv, timeout_seconds=5):
            assert int(ev["object"]["metadata"]["resourceVersion"]) > int(seen_rv)
            if ev["object"]["metadata"]["name"] == "py-1" and \
                    ev["object"]["metadata"].get("labels", {}).get("v") == "2":
                seen = True
                w.stop()
        # A timed-out watch ends the loop quietly; the resumed event must have come.
        assert seen
        # Too old: the server answers an ERROR 410 event; the client raises, re-lists and re-watches.
        for i in range(40):
            ks.patch("mongodbs", "demo", "py-2", {"metadata": {"annotations": {"i": str(i)}}})
        with pytest.raises(ApiException) as exc:
            for _ in watch.Watch().stream(api.list_namespaced_custom_object, "kubedb.com", "v1", "demo",
                                          "mongodbs", resource_version=seen_rv, timeout_seconds=5):
                pass
        assert exc.value.status == 410
        fresh = api.list_namespaced_custom_object("kubedb.com", "v1", "demo", "mongodbs")
        assert len(fresh["items"]) == 7
        w = watch.Watch()
        ks.patch("mongodbs", "demo", "py-3", {"metadata": {"labels": {"after": "relist"}}})
        seen = False
        for ev in w.stream(api.list_namespaced_custom_object, "kubedb.com", "v1", "demo", "mongodbs",
                           resource_version=fresh["metadata"]["resourceVersion"], timeout_seconds=5):
            if ev["object"]["metadata"]["name"] == "py-3":
                assert ev["type"] == "MODIFIED"
                seen = True
                w.stop()
        assert seen
        # Core API through the same client.
        core = client.CoreV1Api(api_client)
        assert "demo" in [n.metadata.name for n in core.list_namespace().items]
