"""Helpers for the API black-box tests: a small HTTP client that keeps its
connection alive, a running dbaasd with an admin key, and test data."""
import http.client
import json
import os
import secrets
import subprocess
import uuid

from conftest import free_port, render_config, wait_for
from dbaasd_util import Dbaasd


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.raw = body
        self.text = body.decode("utf-8", "replace")
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return f"<{self.status} {self.text[:300]}>"


class Client:
    """HTTP/1.1 client on one keep-alive connection (reconnects when closed)."""

    def __init__(self, port, key=None, timeout=10):
        self.port = port
        self.key = key
        self.timeout = timeout
        self.conn = None

    def with_key(self, key):
        return Client(self.port, key, self.timeout)

    def request(self, method, path, body=None, headers=None, raw=None, key=None):
        h = dict(headers or {})
        k = key if key is not None else self.key
        if k:
            h.setdefault("Authorization", f"Bearer {k}")
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=data, headers=h)
                r = self.conn.getresponse()
                out = Resp(r.status, r.getheaders(), r.read())
                if out.headers.get("connection", "").lower() == "close":
                    self.close()
                return out
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 1:
                    raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


V1 = "/api/v1"


def new_key():
    return "dbaas_" + secrets.token_urlsafe(32)


class Api:
    """A running dbaasd, its admin client and its settings."""

    def __init__(self, services, tmp_path, overrides=None, extra=""):
        self.services = services
        self.unique = uuid.uuid4().hex[:10]
        self.admin_key = new_key()
        keyfile = tmp_path / f"admin-{self.unique}.key"
        keyfile.write_text(self.admin_key + "\n")
        self.settings = {
            "mongodb.uri": services.mongo_uri,
            "mongodb.database": f"t_{self.unique}",
            "mongodb.connect_timeout_ms": 1000,
            "mongodb.server_selection_timeout_ms": 1000,
            "mongodb.socket_timeout_ms": 3000,
            "redis.host": services.redis_host,
            "redis.port": services.redis_port,
            "redis.prefix": f"t{self.unique}:",
            "api.listen": f"127.0.0.1:{free_port()}",
            "api.processes": 1,
            "api.bootstrap_admin_key_file": str(keyfile),
            "api.key_cache_ttl_ms": 500,
            "workers.count": 1,
            "workers.block_ms": 200,
            "reconciler.enabled": False,
            "supervisor.heartbeat_interval_ms": 200,
        }
        self.settings.update(overrides or {})
        self.conf = tmp_path / f"dbaasd-{self.unique}.conf"
        self.conf.write_text(render_config(self.settings, extra))
        self.log_path = tmp_path / f"dbaasd-{self.unique}.log"
        self.d = Dbaasd(self.conf, self.log_path)
        self.port = int(self.settings["api.listen"].rsplit(":", 1)[1])
        self.admin = Client(self.port, self.admin_key)
        self.anon = Client(self.port)

    def start(self):
        self.d.start()
        wait_for(lambda: self.admin.get(f"{V1}/api-keys").status == 200, 10,
                 "the bootstrap admin key to work")
        return self

    def stop(self):
        self.admin.close()
        self.anon.close()
        return self.d.stop()

    @property
    def db(self):
        return self.services.mongo()[self.settings["mongodb.database"]]

    @property
    def prefix(self):
        return self.settings["redis.prefix"]

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def tenant(self, name):
        """(client, key) of a new tenant key."""
        r = self.admin.post(f"{V1}/api-keys", {"role": "tenant", "tenant": name})
        assert r.status == 201, r
        return Client(self.port, r.json["key"]), r.json

    def provider(self, name=None, **fields):
        body = {"name": name or f"p-{uuid.uuid4().hex[:8]}", "server": "https://10.0.0.1:6443",
                "token": "tok-" + secrets.token_hex(8)}
        body.update(fields)
        r = self.admin.post(f"{V1}/providers", body)
        assert r.status == 201, r
        return r.json


def db_body(prv, name=None, **over):
    b = {"name": name or f"db-{uuid.uuid4().hex[:8]}", "engine": "postgres", "version": "16.4",
         "size": "db.t3.medium", "replicas": 3, "storage_gb": 20, "provider_id": prv}
    b.update(over)
    return b


def promtool_ok(text):
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=30)
    return r.returncode == 0, r.stdout + r.stderr


def env_without_notify():
    env = dict(os.environ)
    env.pop("NOTIFY_SOCKET", None)
    return env
