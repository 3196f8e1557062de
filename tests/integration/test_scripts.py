"""scripts/services: throw-away servers that never outlive their run."""
import os
import signal
import subprocess
import time

import pytest

from conftest import ROOT, spawn, wait_for
from dbaasd_util import pid_alive

SERVICES = str(ROOT / "scripts/services")


def _start(tmp_path, *args):
    env = dict(os.environ, DBAASD_SERVICES_DIR=str(tmp_path / "svc"))
    env.pop("DBAASD_STORE", None)
    out = subprocess.run([SERVICES, "start", *args], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    settings = dict(l.split("=", 1) for l in out.stdout.splitlines() if "=" in l)
    pids = [int((tmp_path / "svc" / f"{n}.pid").read_text()) for n in ("redis", "mongo")]
    return env, settings, pids


def _holding(directory):
    """Live processes whose command line mentions DIRECTORY (servers and watcher)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if directory in cmd and pid_alive(int(d)):
            out.append(int(d))
    return out


def test_stop_leaves_nothing(tmp_path):
    env, settings, pids = _start(tmp_path)
    assert settings["DBAASD_MONGO_URI"].startswith("mongodb://127.0.0.1:")
    assert all(pid_alive(p) for p in pids)
    # start again while running: the same servers, nothing new
    again = subprocess.run([SERVICES, "start"], env=env, capture_output=True, text=True)
    assert again.returncode == 0 and "DBAASD_REDIS_PORT=" + settings["DBAASD_REDIS_PORT"] in again.stdout
    subprocess.run([SERVICES, "stop"], env=env, check=True, timeout=60)
    assert not any(pid_alive(p) for p in pids)
    assert _holding(str(tmp_path / "svc")) == []
    assert not (tmp_path / "svc").exists()


def _cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().split(b"\0")


def _ping(uri):
    import pymongo
    return pymongo.MongoClient(uri, serverSelectionTimeoutMS=5000).admin.command("ping")["ok"]


def test_the_store_is_a_choice(tmp_path):
    env, settings, pids = _start(tmp_path, "--store", "secantus")
    try:
        assert settings["DBAASD_MONGO_KIND"] == "secantus"
        assert b"secantus" in _cmdline(pids[1]) and _ping(settings["DBAASD_MONGO_URI"]) == 1
        # asking for another store replaces the running one; DBAASD_STORE is the default
        out = subprocess.run([SERVICES, "start"], env=dict(env, DBAASD_STORE="ferretdb"),
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        now = dict(l.split("=", 1) for l in out.stdout.splitlines() if "=" in l)
        assert now["DBAASD_MONGO_KIND"] == "ferretdb" and _ping(now["DBAASD_MONGO_URI"]) == 1
        assert not any(pid_alive(p) for p in pids)
        assert b"--handler=sqlite" in _cmdline(int((tmp_path / "svc" / "mongo.pid").read_text()))
    finally:
        subprocess.run([SERVICES, "stop"], env=env, check=True, timeout=60)
    assert _holding(str(tmp_path / "svc")) == []


def test_an_unknown_store_is_refused(tmp_path):
    env = dict(os.environ, DBAASD_SERVICES_DIR=str(tmp_path / "svc"))
    out = subprocess.run([SERVICES, "start", "--store", "mongo"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2 and "unknown store 'mongo'" in out.stderr
    assert not (tmp_path / "svc").exists()


@pytest.mark.parametrize("store", ["ferretdb", "secantus"])
def test_killed_owner_takes_the_services_down(tmp_path, store):
    owner = spawn(["sleep", "300"])
    env, _, pids = _start(tmp_path, "--store", store, "--owner", str(owner.pid))
    owner.send_signal(signal.SIGKILL)  # like a test run killed with -9
    owner.wait()
    wait_for(lambda: not any(pid_alive(p) for p in pids), 15, "the services to stop")
    wait_for(lambda: _holding(str(tmp_path / "svc")) == [], 10, "the watcher to finish")
