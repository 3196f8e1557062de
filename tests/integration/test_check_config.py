"""dbaasd --check-config and the command line, through the real binary."""
import pytest

from conftest import ROOT, binary, run

BROKEN = [
    ("range", "workers:\n{\n  count = 0;\n};\n",
     "{f}:3: workers.count: must be between 1 and 256, got 0"),
    ("wrong type", 'workers: { count = "3"; };\n',
     "{f}:1: workers.count: must be an integer, got a string"),
    ("unknown setting", "\n\nworkers: { cuont = 3; };\n",
     "{f}:3: workers.cuont: unknown setting"),
    ("unknown section", "bogus: { a = 1; };\n",
     "{f}:1: bogus: unknown section (expected one of mongodb, redis, api, reconciler, "
     "workers, kube, supervisor, log, sizes, engines)"),
    ("syntax", "workers: {\n  count = ;\n};\n", "{f}:2: syntax error: syntax error"),
    ("bad choice", 'log: { level = "verbose"; };\n',
     '{f}:1: log.level: must be one of debug, info, warn, error; got "verbose"'),
    ("bool type", "reconciler: { enabled = 1; };\n",
     "{f}:1: reconciler.enabled: must be true or false, got an integer"),
    ("empty prefix", 'redis: { prefix = ""; };\n', "{f}:1: redis.prefix: must not be empty"),
    ("listen", 'api: { listen = "localhost"; };\n',
     '{f}:1: api.listen: expected HOST:PORT, got "localhost"'),
    ("relation", "supervisor: {\n  restart_initial_ms = 5000;\n  restart_max_ms = 1000;\n};\n",
     "{f}:2: supervisor.restart_initial_ms: must not exceed supervisor.restart_max_ms (1000)"),
    ("size quantity", 'sizes = ( { name = "a"; cpu = "1.5 cores"; memory = "1Gi"; } );\n',
     '{f}:1: sizes[0].cpu: must be a positive Kubernetes quantity (like "500m", "2", "1Gi"), '
     'got "1.5 cores"'),
    ("duplicate size", 'sizes = (\n { name = "a"; cpu = "1"; memory = "1Gi"; },\n'
     ' { name = "a"; cpu = "2"; memory = "2Gi"; }\n);\n',
     '{f}:3: sizes[1]: duplicate size name "a"'),
    ("unknown engine", 'engines: { oracle = { versions = ["19c"]; }; };\n',
     "{f}:1: engines.oracle: unknown engine (expected mongodb, postgres, mysql, mariadb or redis)"),
    ("engine range", 'engines: {\n  postgres = { versions = ["16.4"];\n'
     "    replicas_min = 4; replicas_max = 2; };\n};\n",
     "{f}:3: engines.postgres.replicas_min: must not exceed replicas_max (2)"),
    ("bad mongodb uri", 'mongodb: { uri = "mongodb://h:xx/"; };\n',
     "{f}:1: mongodb.uri: invalid URI: Invalid host string in URI"),
    ("two errors", "workers: {\n  count = 0;\n  slots = 0;\n};\n",
     "{f}:2: workers.count: must be between 1 and 256, got 0\n"
     "{f}:3: workers.slots: must be between 1 and 64, got 0"),
]


@pytest.mark.parametrize("name,text,want", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_file_is_rejected_with_its_line(tmp_path, name, text, want):
    f = tmp_path / "dbaasd.conf"
    f.write_text(text)
    r = run([binary("dbaasd"), "--check-config", "-c", str(f)])
    assert r.returncode == 1
    assert r.stderr == want.format(f=f) + "\n"
    assert r.stdout == ""


@pytest.mark.parametrize("conf", ["etc/dbaasd.conf", "etc/dbaasd.dev.conf"])
def test_shipped_configs_are_valid(conf):
    r = run([binary("dbaasd"), "--check-config", "--config", str(ROOT / conf)])
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"{ROOT / conf}: configuration is valid\n"


def test_missing_file(tmp_path):
    r = run([binary("dbaasd"), "--check-config", "-c", str(tmp_path / "nope.conf")])
    assert r.returncode == 1
    assert r.stderr == f"{tmp_path / 'nope.conf'}: cannot open: No such file or directory\n"


def test_version_and_help():
    r = run([binary("dbaasd"), "--version"])
    assert r.returncode == 0 and r.stdout.startswith("dbaasd ")
    r = run([binary("dbaasd"), "--help"])
    assert r.returncode == 0 and "--check-config" in r.stdout and "--config" in r.stdout


def test_bad_option_is_a_usage_error():
    r = run([binary("dbaasd"), "--no-such-option"])
    assert r.returncode == 2
    assert "usage: dbaasd" in r.stderr
