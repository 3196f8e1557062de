"""Start dbaasd-kubesim for black-box tests and talk to it.

    from kubesim_util import KubeSim

    with KubeSim(tmp_path, tls=True, namespaces=["demo"]) as ks:
        ks.create("mongodbs", "demo", manifest)
        ks.wait_phase("mongodbs", "demo", "orders", "Ready")
        ks.add_fault(action="error", code=503, verbs=["create"], resource="mongodbopsrequests")
        assert ks.count(verb="create", resource="mongodbopsrequests", code=201) == 1

A KubeSim is one simulated cluster: a real process on a free loopback port
(HTTP or HTTPS with the CA it generated), its kubeconfig, an admin token
and a read-only token.  Requests go through `requests`-free plain urllib
with the simulator's CA, so nothing here hides wire behaviour: `request()`
returns the status, headers and raw body.  The `kubesim` fixture gives each
test its own simulator; reconciler and worker tests can import KubeSim
directly to start several clusters.
"""
import json
import os
import selectors
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import binary, spawn, wait_for

ADMIN_TOKEN = "kubesim-admin-token"
READONLY_TOKEN = "kubesim-readonly-token"

GROUPS = {
    "namespaces": ("", "v1", False), "secrets": ("", "v1", True),
    "mongodbs": ("kubedb.com", "v1", True), "postgreses": ("kubedb.com", "v1", True),
    "mysqls": ("kubedb.com", "v1", True), "mariadbs": ("kubedb.com", "v1", True),
    "redises": ("kubedb.com", "v1", True),
    "mongodbopsrequests": ("ops.kubedb.com", "v1alpha1", True),
    "postgresopsrequests": ("ops.kubedb.com", "v1alpha1", True),
    "mysqlopsrequests": ("ops.kubedb.com", "v1alpha1", True),
    "mariadbopsrequests": ("ops.kubedb.com", "v1alpha1", True),
    "redisopsrequests": ("ops.kubedb.com", "v1alpha1", True),
}


def resource_path(resource, namespace=None, name=None, sub=None):
    """The API path of a resource collection or object."""
    group, version, namespaced = GROUPS[resource]
    base = f"/apis/{group}/{version}" if group else f"/api/{version}"
    if namespaced and namespace:
        base += f"/namespaces/{namespace}"
    path = f"{base}/{resource}"
    if name:
        path += f"/{name}"
    if sub:
        path += f"/{sub}"
    return path


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<Response {self.status} {self.body[:300]!r}>"


def mongodb(name, replicas=3, version="8.0.17", storage="10Gi", **spec):
    """A MongoDB manifest (replica set when replicas > 1)."""
    s = {"version": version, "replicas": replicas, "storageType": "Durable",
         "storage": {"storageClassName": "standard", "accessModes": ["ReadWriteOnce"],
                     "resources": {"requests": {"storage": storage}}}}
    if replicas > 1:
        s["replicaSet"] = {"name": "rs0"}
    s.update(spec)
    return {"apiVersion": "kubedb.com/v1", "kind": "MongoDB",
            "metadata": {"name": name, "labels": {"app": "test"}}, "spec": s}


def database(kind, name, replicas=1, version="1.0", storage="10Gi", **spec):
    """A database manifest of any KubeDB kind."""
    s = {"version": version, "replicas": replicas, "storageType": "Durable",
         "storage": {"resources": {"requests": {"storage": storage}}}}
    s.update(spec)
    return {"apiVersion": "kubedb.com/v1", "kind": kind, "metadata": {"name": name}, "spec": s}


def ops_request(kind, name, db, type_, **spec):
    s = {"type": type_, "databaseRef": {"name": db}}
    s.update(spec)
    return {"apiVersion": "ops.kubedb.com/v1alpha1", "kind": kind,
            "metadata": {"name": name}, "spec": s}


class KubeSim:
    """One dbaasd-kubesim process (a context manager)."""

    def __init__(self, workdir, tls=True, namespaces=("demo",), auth=True, args=(),
                 provision_delay=200, ops_delay=300, delete_delay=200, halt_delay=100,
                 start_timeout=15):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.tls = tls
        self.token = ADMIN_TOKEN if auth else None
        self.url_file = self.dir / "kubesim.url"
        self.kubeconfig = self.dir / "kubeconfig"
        self.ca_file = self.dir / "ca.crt"
        cmd = [binary("dbaasd-kubesim"), "--listen", "127.0.0.1:0",
               "--url-file", str(self.url_file), "--kubeconfig", str(self.kubeconfig),
               "--provision-delay", str(provision_delay), "--ops-delay", str(ops_delay),
               "--delete-delay", str(delete_delay), "--halt-delay", str(halt_delay),
               "--log-level", "warn"]
        if tls:
            cmd += ["--tls", "--ca-file", str(self.ca_file)]
        if auth:
            cmd += ["--token", f"{ADMIN_TOKEN}:admin:admin",
                    "--token", f"{READONLY_TOKEN}:viewer:readonly"]
        for ns in namespaces:
            cmd += ["--namespace", ns]
        cmd += list(args)
        self.cmd = cmd
        self.log = open(self.dir / "kubesim.log", "wb")
        self.proc = spawn(cmd, stdout=subprocess.PIPE, stderr=self.log)
        line = self._first_line(start_timeout)
        if not line.startswith("listening url="):
            self.stop()
            raise AssertionError(f"kubesim did not start: {line!r}; log: {self.log_text()}")
        self.url = line.split("=", 1)[1].strip()
        assert self.url_file.read_text().strip() == self.url
        self.port = int(self.url.rsplit(":", 1)[1])
        self.ssl = ssl.create_default_context(cafile=str(self.ca_file)) if tls else None

    def _first_line(self, timeout):
        """The "listening url=..." line, or "" if none comes within TIMEOUT seconds."""
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        ready = sel.select(timeout)
        sel.close()
        return self.proc.stdout.readline().decode() if ready else ""

    def log_text(self):
        try:
            return (self.dir / "kubesim.log").read_text()
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if self.proc.stdout:
            self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # -- raw HTTP ---------------------------------------------------------
    def request(self, method, path, body=None, token="default", content_type=None,
                headers=None, query=None, timeout=10):
        """Send one request; return a Response whatever the status."""
        url = self.url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None
        hdrs = {"Accept": "application/json", "User-Agent": "kubesim-tests/1.0"}
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            data = data.encode() if isinstance(data, str) else data
            hdrs["Content-Type"] = content_type or "application/json"
        tok = self.token if token == "default" else token
        if tok:
            hdrs["Authorization"] = f"Bearer {tok}"
        hdrs.update(headers or {})
        req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=timeout, context=self.ssl) as r:
                return Response(r.status, dict(r.headers), r.read())
        except urllib.error.HTTPError as e:
            return Response(e.code, dict(e.headers), e.read())

    def ok(self, method, path, body=None, expect=(200, 201), **kw):
        r = self.request(method, path, body, **kw)
        assert r.status in (expect if isinstance(expect, tuple) else (expect,)), r
        return r.json()

    # -- Kubernetes API shortcuts ------------------------------------------
    def create(self, resource, namespace, obj, **kw):
        return self.ok("POST", resource_path(resource, namespace), obj, expect=201, **kw)

    def get(self, resource, namespace, name):
        r = self.request("GET", resource_path(resource, namespace, name))
        return r.json() if r.status == 200 else None

    def list(self, resource, namespace=None, **query):
        return self.ok("GET", resource_path(resource, namespace), query=query or None, expect=200)

    def patch(self, resource, namespace, name, patch, sub=None, kind="merge"):
        ctype = {"merge": "application/merge-patch+json",
                 "json": "application/json-patch+json"}[kind]
        return self.ok("PATCH", resource_path(resource, namespace, name, sub), patch,
                       content_type=ctype, expect=200)

    def delete(self, resource, namespace, name):
        return self.request("DELETE", resource_path(resource, namespace, name))

    def phase(self, resource, namespace, name):
        obj = self.get(resource, namespace, name)
        return obj.get("status", {}).get("phase") if obj else None

    def wait_phase(self, resource, namespace, name, phase, timeout=10):
        return wait_for(lambda: self.phase(resource, namespace, name) == phase, timeout,
                        f"{resource}/{name} to become {phase} "
                        f"(now {self.phase(resource, namespace, name)})")

    def wait_gone(self, resource, namespace, name, timeout=10):
        return wait_for(lambda: self.get(resource, namespace, name) is None, timeout,
                        f"{resource}/{name} to disappear")

    # -- /_sim/ -------------------------------------------------------------
    def sim(self, method, path, body=None, expect=(200, 201)):
        return self.ok(method, "/_sim/" + path, body, expect=expect)

    def add_fault(self, **rule):
        return self.sim("POST", "faults", rule, expect=201)["id"]

    def clear_faults(self):
        self.sim("DELETE", "faults")

    def reset(self, **what):
        return self.sim("POST", "reset", what or None)

    def counters(self):
        return self.sim("GET", "counters")["counters"]

    def count(self, verb=None, resource=None, code=None):
        """Requests answered, filtered by verb, resource and status code."""
        return sum(c["count"] for c in self.counters()
                   if (verb is None or c["verb"] == verb)
                   and (resource is None or c["resource"] == resource)
                   and (code is None or c["code"] == code))

    def requests_log(self, since=0):
        return self.sim("GET", f"requests?since={since}")["requests"]

    def info(self):
        return self.sim("GET", "info")

    def set_config(self, **cfg):
        return self.sim("PATCH", "config", cfg)

    def compact(self):
        return self.sim("POST", "compact")

    # -- watches --------------------------------------------------------------
    def watch(self, resource, namespace=None, timeout=10, **query):
        """Open a watch; returns a Watch whose events() yields decoded lines."""
        q = {"watch": "1"}
        q.update({k: str(v) for k, v in query.items()})
        return Watch(self, resource_path(resource, namespace) + "?" + urllib.parse.urlencode(q),
                     timeout)


class Watch:
    """A watch stream read line by line (one event per line)."""

    def __init__(self, ks, path, timeout):
        hdrs = {"Accept": "application/json"}
        if ks.token:
            hdrs["Authorization"] = f"Bearer {ks.token}"
        req = urllib.request.Request(ks.url + path, headers=hdrs)
        self.resp = urllib.request.urlopen(req, timeout=timeout, context=ks.ssl)
        self.status = self.resp.status
        self.headers = dict(self.resp.headers)

    def next(self):
        """The next event, or None at the end of the stream."""
        line = self.resp.readline()
        return json.loads(line) if line else None

    def events(self, n):
        out = []
        while len(out) < n:
            ev = self.next()
            if ev is None:
                break
            out.append(ev)
        return out

    def close(self):
        self.resp.close()


@pytest.fixture
def kubesim(tmp_path):
    """A fresh HTTPS kubesim with tokens and a "demo" namespace."""
    with KubeSim(tmp_path / "kubesim") as ks:
        yield ks
