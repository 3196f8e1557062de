"""Schemathesis (pinned, from PyPI; scripts/deps installs it) against a real
dbaasd: every check the API can honestly pass, with a tenant key and then an
admin key, for a bounded time.  Runs when DBAASD_SCHEMATHESIS names the `st`
binary (scripts/test sets it with CI=true); DBAASD_SCHEMATHESIS_SECONDS
bounds each run (default 60)."""
import os
import subprocess

import pytest

from api_util import V1, Api, db_body

ST = os.environ.get("DBAASD_SCHEMATHESIS")
SECONDS = int(os.environ.get("DBAASD_SCHEMATHESIS_SECONDS", "60"))

pytestmark = pytest.mark.skipif(not ST, reason="DBAASD_SCHEMATHESIS (the st binary) not set")

# Checks the API cannot honestly pass, each with the reason:
#  positive_data_acceptance: a schema-valid request can still be refused for
#   what no schema can say: an opaque cursor that was never issued ("0": 400),
#   a stale If-Match (412), a provider_id that does not exist, a version
#   outside the configured catalog, a tenant given for an admin key (422),
#   a name already taken (409).
EXCLUDED = os.environ.get("DBAASD_ST_EXCLUDE", "positive_data_acceptance").split(",")


@pytest.fixture(scope="module")
def api(services, tmp_path_factory):
    a = Api(services, tmp_path_factory.mktemp("apist"), {"api.processes": 2}).start()
    a.t, a.tinfo = a.tenant("fuzz")
    a.prv = a.provider()["id"]
    r = a.t.post(f"{V1}/databases", db_body(a.prv))
    assert r.status == 201, r
    yield a
    a.stop()


def run_st(api, key, tmp_path, name):
    cmd = [ST, "run", f"http://127.0.0.1:{api.port}/openapi.json",
           "--checks", "all", "--exclude-checks", ",".join(EXCLUDED),
           "-H", f"Authorization: Bearer {key}", "--max-time", str(SECONDS),
           "--workers", "2", "--request-timeout", "10", "--seed", "16",
           "--suppress-health-check", "all", "--report", "junit",
           "--report-junit-path", str(tmp_path / f"{name}.xml")]
    # In TMP_PATH: st keeps a cache of past failures (.schemathesis/) in its
    # working directory and replays them; each run starts from nothing.
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=SECONDS * 4 + 120,
                       env=dict(os.environ, NO_COLOR="1"), cwd=tmp_path)
    return r


@pytest.mark.parametrize("who", ["tenant", "admin"])
def test_schemathesis(api, who, tmp_path):
    key = api.t.key if who == "tenant" else api.admin_key
    r = run_st(api, key, tmp_path, who)
    out = r.stdout + r.stderr
    print(out[-1500:])
    assert r.returncode == 0, out[-20000:]
    assert api.d.proc.poll() is None
    assert api.admin.get(f"{V1}/api-keys").status == 200     # not locked out
