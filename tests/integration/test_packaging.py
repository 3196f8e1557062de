"""The systemd unit and the container entrypoint as shipped."""
import shutil

import pytest

from conftest import ROOT, binary, run

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
