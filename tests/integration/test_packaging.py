"""The systemd unit and the container entrypoint as shipped."""
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, binary, free_port, run, spawn, wait_for

UNIT = ROOT / "packaging/systemd/dbaasd.service"


def _unit_settings():
    out = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            out.setdefault(k, []).append(v)
    return out


def test_unit_verifies(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    text = UNIT.read_text().replace("/usr/sbin/dbaasd", binary("dbaasd"))
    text = "\n".join(l for l in text.splitlines() if not l.startswith("Documentation="))
    unit = tmp_path / "dbaasd.service"
    unit.write_text(text + "\n")
    r = run(["systemd-analyze", "verify", str(unit)])
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr


def test_unit_matches_the_supervisor_contract():
    s = _unit_settings()
    assert s["Type"] == ["notify"]
    assert s["ExecReload"] == ["/usr/sbin/dbaasd --reload --pid $MAINPID"]
    assert s["RestartPreventExitStatus"] == ["78"]
    assert s["Restart"] == ["on-failure"]
    assert s["NoNewPrivileges"] == ["yes"] and s["ProtectSystem"] == ["strict"]
    assert s["User"] == ["dbaasd"]
    # The stop budget covers dbaasd's own 25 s drain.
    assert int(s["TimeoutStopSec"][0]) > 25


def test_container_entrypoint_is_dbaasd():
    text = (ROOT / "packaging/container/Dockerfile").read_text()
    assert 'ENTRYPOINT ["/usr/sbin/dbaasd", "-c", "/etc/dbaasd/dbaasd.conf"]' in text


def _killed_supervisor_leaves_shm(conf, env):
    """Start the supervisor, SIGKILL it once it runs main(); True if its counters file stays."""
    p = spawn([binary("dbaasd"), "-c", str(conf)], env=env, stdout=subprocess.DEVNULL,
              stderr=subprocess.DEVNULL)
    cmdline = Path(f"/proc/{p.pid}/cmdline")
    wait_for(lambda: cmdline.read_bytes().startswith(b"dbaasd: supervisor"), 10,
             "the supervisor's process title")
    p.send_signal(signal.SIGKILL)
    p.wait(10)
    shm = Path(f"/dev/shm/mongoc-{p.pid}")
    left = shm.exists()
    if left:
        shm.unlink()
    return left


def test_unit_environment_leaves_no_counters_file_when_killed(base_settings, write_config):
    """libmongoc's /dev/shm/mongoc-PID outlives a killed process unless the unit's Environment= is set."""
    bare = {k: v for k, v in os.environ.items() if k != "MONGOC_DISABLE_SHM"}
    # one port per run: the first run's API processes drain for a moment after the kill
    conf = write_config(base_settings, name="bare.conf")
    if not _killed_supervisor_leaves_shm(conf, bare):
        pytest.skip("this libmongoc makes no /dev/shm counters file")
    unit_env = dict(v.split("=", 1) for v in _unit_settings().get("Environment", []))
    assert unit_env.get("MONGOC_DISABLE_SHM") == "1"
    conf = write_config(dict(base_settings, **{"api.listen": f"127.0.0.1:{free_port()}"}),
                        name="unit.conf")
    assert not _killed_supervisor_leaves_shm(conf, dict(bare, **unit_env))
    assert "ENV MONGOC_DISABLE_SHM=1" in (ROOT / "packaging/container/Dockerfile").read_text()
