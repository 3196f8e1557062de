"""scripts/services: throw-away servers that never outlive their run."""
import os
import signal
import subprocess
import time

from conftest import ROOT, spawn, wait_for
from dbaasd_util import pid_alive

SERVICES = str(ROOT / "scripts/services")


def _start(tmp_path, *args):
    env = dict(os.environ, DBAASD_SERVICES_DIR=str(tmp_path / "svc"))
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


def test_killed_owner_takes_the_services_down(tmp_path):
    owner = spawn(["sleep", "300"])
    env, _, pids = _start(tmp_path, "--owner", str(owner.pid))
    owner.send_signal(signal.SIGKILL)  # like a test run killed with -9
    owner.wait()
    wait_for(lambda: not any(pid_alive(p) for p in pids), 15, "the services to stop")
    wait_for(lambda: _holding(str(tmp_path / "svc")) == [], 10, "the watcher to finish")
