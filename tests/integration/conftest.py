"""Shared fixtures for the black-box tests.

Every test talks to real processes: the dbaasd binaries from the build
directory, a real Redis and a real MongoDB-wire server (scripts/services).
Children are started with PR_SET_PDEATHSIG so that a killed test run leaves
no process behind, and every wait is a poll with a deadline.
"""
import ctypes
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("DBAASD_BUILD_DIR", ROOT / "build"))
_libc = ctypes.CDLL(None, use_errno=True)
# As the shipped unit does: no /dev/shm/mongoc-PID left by killed processes,
# whose reuse would add a libmongoc warning to an exact stderr (dbaasd(8)).
os.environ["MONGOC_DISABLE_SHM"] = "1"
PR_SET_PDEATHSIG = 1


def binary(rel):
    """Path of a built program (relative to the build directory)."""
    p = BUILD / rel
    if not p.exists():
        pytest.fail(f"{p} is not built: run scripts/test (or make check in {BUILD})")
    return str(p)


def _die_with_parent():
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def spawn(args, **kw):
    """Popen that dies with the test process (even on SIGKILL)."""
    kw.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.Popen(args, preexec_fn=_die_with_parent, **kw)


def run(args, timeout=30, **kw):
    kw.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                          preexec_fn=_die_with_parent, **kw)


def wait_for(predicate, timeout, what, interval=0.02):
    """Poll PREDICATE until it returns a truthy value or TIMEOUT seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _libconfig_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_libconfig_value(x) for x in v) + "]"
    s = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"'


def render_config(settings, extra=""):
    """libconfig text from {"section.name": value}; EXTRA is appended verbatim."""
    sections = {}
    for key, value in settings.items():
        sec, name = key.split(".", 1)
        sections.setdefault(sec, []).append(f"  {name} = {_libconfig_value(value)};")
    out = []
    for sec, lines in sections.items():
        out.append(f"{sec}:\n{{\n" + "\n".join(lines) + "\n};\n")
    return "\n".join(out) + extra


class Services:
    def __init__(self, env):
        self.env = env
        self.redis_host = env["DBAASD_REDIS_HOST"]
        self.redis_port = int(env["DBAASD_REDIS_PORT"])
        self.mongo_uri = env["DBAASD_MONGO_URI"]
        self.mongo_kind = env.get("DBAASD_MONGO_KIND", "mongod")

    def redis(self, **kw):
        import redis
        return redis.Redis(host=self.redis_host, port=self.redis_port,
                           decode_responses=True, socket_timeout=5, **kw)

    def mongo(self, **kw):
        import pymongo
        return pymongo.MongoClient(self.mongo_uri, serverSelectionTimeoutMS=5000, **kw)


def _parse_env(text):
    env = {}
    for line in text.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            env[k.strip()] = v.strip()
    return env


@pytest.fixture(scope="session")
def services():
    """Redis + MongoDB-wire server: the ones scripts/test started, or our own
    (of the store DBAASD_STORE names, see scripts/services)."""
    if "DBAASD_REDIS_PORT" in os.environ and "DBAASD_MONGO_URI" in os.environ:
        want, kind = os.environ.get("DBAASD_STORE", "auto"), os.environ.get("DBAASD_MONGO_KIND")
        if want != "auto" and kind != want:
            pytest.fail(f"DBAASD_STORE={want} but the services in the environment run {kind}")
        yield Services(os.environ)
        return
    env = dict(os.environ, DBAASD_SERVICES_DIR=str(ROOT / ".work" / f"services-{os.getpid()}"))
    out = subprocess.run([str(ROOT / "scripts/services"), "start", "--owner", str(os.getpid())],
                         capture_output=True, text=True, env=env, check=True, timeout=120)
    try:
        yield Services(_parse_env(out.stdout))
    finally:
        subprocess.run([str(ROOT / "scripts/services"), "stop"], env=env, timeout=60)


@pytest.fixture
def unique():
    """A short unique token for database names and key prefixes of one test."""
    return uuid.uuid4().hex[:10]


@pytest.fixture
def base_settings(services, unique):
    """Settings that point a dbaasd config at the test services, isolated per test."""
    return {
        "mongodb.uri": services.mongo_uri,
        "mongodb.database": f"t_{unique}",
        "mongodb.connect_timeout_ms": 1000,
        "mongodb.server_selection_timeout_ms": 2000,
        "redis.host": services.redis_host,
        "redis.port": services.redis_port,
        "redis.prefix": f"t{unique}:",
        "api.listen": f"127.0.0.1:{free_port()}",
    }


@pytest.fixture
def write_config(tmp_path):
    def write(settings, extra="", name="dbaasd.conf"):
        p = tmp_path / name
        p.write_text(render_config(settings, extra))
        return p
    return write


class BlackHole:
    """A TCP server that accepts connections and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.stopped = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.sock.settimeout(0.2)
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
                self.conns.append(c)
            except OSError:
                continue

    def close(self):
        self.stopped = True
        self.thread.join(timeout=5)
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.fixture
def black_hole():
    bh = BlackHole()
    yield bh
    bh.close()
