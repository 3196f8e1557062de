#!/usr/bin/env python3
"""bench/api — the API's throughput and latency against the raw driver ceiling.

For api.processes = 1 and 2:

* closed loop (wrk): GET one database, GET a list of 50 and PATCH
  (alternating sizes, so every PATCH writes), against the same MongoDB work
  issued directly with libmongoc (bench/api/mongo_ceiling) by as many client
  processes as the API has MongoDB clients (api.processes x api.threads);
* open loop: GET one at each --rate (bench/api/fixedrate, wrk2-style latency
  from the scheduled send time) with the CPU the API processes and the
  MongoDB server spent per request, next to the same find at the same rate
  straight from libmongoc (bench/api/mongo_fixedrate: the floor under the
  API's latency).

Prints two Markdown tables; with --repeat N every cell is the median of N
rounds.

    bench/api/run.py [--seconds 10] [--rate 500,1000] [--processes 1,2] [--threads N]
                     [--repeat N] [--build build] [--store S]

--threads sets api.threads (handler threads per API process); without it the
value of etc/dbaasd.conf (the built-in default) applies.

Uses the services of scripts/services when DBAASD_REDIS_PORT and
DBAASD_MONGO_URI are set, otherwise starts its own (and stops them), with
the MongoDB-wire store --store names (scripts/services --store: mongod,
ferretdb, secantus; default $DBAASD_STORE, else auto).  bench/api/scale.py
measures how PATCH and GET grow with the number of databases.
"""
import argparse
import ctypes
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port, method, path, key, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": f"Bearer {key}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"null")


def services(store=None):
    if "DBAASD_REDIS_PORT" in os.environ and "DBAASD_MONGO_URI" in os.environ:
        if store and os.environ.get("DBAASD_MONGO_KIND") != store:
            raise SystemExit(f"--store {store}, but the services in the environment run "
                             f"{os.environ.get('DBAASD_MONGO_KIND')}")
        return dict(os.environ), None
    env = dict(os.environ, DBAASD_SERVICES_DIR=str(ROOT / ".work" / f"bench-{os.getpid()}"))
    if store:
        env["DBAASD_STORE"] = store
    out = subprocess.run([str(ROOT / "scripts/services"), "start", "--owner", str(os.getpid())],
                         capture_output=True, text=True, env=env, check=True)
    for line in out.stdout.splitlines():
        k, _, v = line.partition("=")
        env[k] = v
    return env, env


def die_with_parent():
    """In the child: SIGTERM when this script dies, so an interrupted run leaves no dbaasd."""
    ctypes.CDLL(None).prctl(1, signal.SIGTERM, 0, 0, 0)   # PR_SET_PDEATHSIG


def start_dbaasd(build, env, processes, work, threads=None):
    port = free_port()
    key = "dbaas_" + secrets.token_urlsafe(32)
    (work / "admin.key").write_text(key + "\n")
    db = f"bench_{secrets.token_hex(4)}"
    conf = work / f"bench-{processes}.conf"
    threads_line = f" threads = {threads};" if threads else ""
    conf.write_text(f"""
mongodb: {{ uri = "{env['DBAASD_MONGO_URI']}"; database = "{db}"; }};
redis: {{ port = {env['DBAASD_REDIS_PORT']}; prefix = "{db}:"; }};
api: {{ listen = "127.0.0.1:{port}"; processes = {processes};{threads_line}
        bootstrap_admin_key_file = "{work / 'admin.key'}"; }};
workers: {{ count = 1; }};
reconciler: {{ enabled = false; }};
log: {{ level = "info"; file = "{work / f'dbaasd-{processes}.log'}"; }};
""")
    proc = subprocess.Popen([str(build / "dbaasd"), "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)
    deadline = time.monotonic() + 15
    while True:
        try:
            call(port, "GET", "/api/v1/api-keys", key)
            break
        except Exception:
            if time.monotonic() > deadline:
                proc.kill()
                raise SystemExit("dbaasd did not start")
            time.sleep(0.1)
    return proc, port, key, db


def seed(port, admin):
    prv = call(port, "POST", "/api/v1/providers", admin,
               {"name": "bench", "server": "https://10.0.0.1:6443", "token": "t"})["id"]
    tenant = call(port, "POST", "/api/v1/api-keys", admin, {"role": "tenant", "tenant": "bench"})
    ids = []
    for i in range(60):
        d = call(port, "POST", "/api/v1/databases", tenant["key"],
                 {"name": f"b{i}", "engine": "postgres", "version": "16.4",
                  "size": "db.t3.medium", "replicas": 3, "storage_gb": 10, "provider_id": prv})
        ids.append(d["id"])
    return tenant["key"], ids[len(ids) // 2]


LUA_GET = 'wrk.headers["Authorization"] = "Bearer {key}"\n'
LUA_PATCH = '''wrk.headers["Authorization"] = "Bearer {key}"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  local size = (n % 2 == 0) and "db.t3.large" or "db.t3.medium"
  return wrk.format("PATCH", "{path}", nil, '{{"size": "' .. size .. '"}}')
end
'''


def wrk(port, path, script, seconds, work):
    time.sleep(2)   # let the previous run's backlog drain
    lua = work / "bench.lua"
    lua.write_text(script)
    out = subprocess.run(["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", "-s", str(lua),
                          f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {}
    for p in ("50", "99"):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        v = float(m.group(1))
        lat[p] = v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, lat["50"], lat["99"], int(non2xx.group(1)) if non2xx else 0


def fixedrate(build, port, path, rate, seconds, key):
    out = subprocess.run([str(build / "bench/api/fixedrate"), str(port), path, str(rate),
                          str(seconds), "32", key], capture_output=True, text=True).stdout
    return dict(zip(out.split()[::2], out.split()[1::2]))


def driver_fixedrate(build, env, db, dbid, rate, seconds, clients):
    """The floor under the fixed-rate rows: the same find straight from libmongoc."""
    out = subprocess.run([str(build / "bench/api/mongo_fixedrate"), env["DBAASD_MONGO_URI"], db,
                          dbid, str(rate), str(seconds), str(clients)],
                         capture_output=True, text=True).stdout
    return dict(zip(out.split()[::2], out.split()[1::2]))


def cpu_s(pid):
    """User + system CPU seconds of PID so far."""
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def api_pids(proc):
    out = subprocess.run(["pgrep", "-P", str(proc.pid), "-f", "^dbaasd: api"],
                         capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def measured_fixedrate(build, env, proc, port, path, rate, seconds, key):
    """fixedrate, plus the CPU the API processes and the MongoDB server spent per request."""
    api, mongo = api_pids(proc), int((Path(env["DBAASD_SERVICES_DIR"]) / "mongo.pid").read_text())
    a0, m0 = sum(cpu_s(p) for p in api), cpu_s(mongo)
    fr = fixedrate(build, port, path, rate, seconds, key)
    n = max(1, int(fr["sent"]))
    fr["api_cpu_ms"] = (sum(cpu_s(p) for p in api) - a0) * 1000 / n
    fr["db_cpu_ms"] = (cpu_s(mongo) - m0) * 1000 / n
    return fr


def ceiling(build, env, db, dbid, seconds, clients):
    out = subprocess.run([str(build / "bench/api/mongo_ceiling"), env["DBAASD_MONGO_URI"], db,
                          dbid, "bench", str(seconds), str(clients)],
                         capture_output=True, text=True).stdout
    return {k: float(v) for k, v in (line.split() for line in out.splitlines())}


def default_threads():
    """api.threads as the example configuration (= the built-in default) sets it."""
    m = re.search(r"^\s*threads\s*=\s*(\d+);", (ROOT / "etc/dbaasd.conf").read_text(), re.M)
    return int(m.group(1))


def one_round(build, env, processes, threads, rates, seconds):
    """Every measurement for one api.processes value: (closed-loop rows, fixed-rate rows)."""
    rows, fixed = [], []
    clients = processes * threads   # as many driver clients as the API has MongoDB clients
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        proc, port, admin, db = start_dbaasd(build, env, processes, work, threads)
        try:
            key, dbid = seed(port, admin)
            one = f"/api/v1/databases/{dbid}"
            # open loop first, on a quiet server; then the closed-loop runs
            fr = {r: measured_fixedrate(build, env, proc, port, one, r, seconds, key)
                  for r in rates}
            floor = {r: driver_fixedrate(build, env, db, dbid, r, seconds, clients) for r in rates}
            res = {
                "GET one": wrk(port, one, LUA_GET.format(key=key), seconds, work),
                "GET list of 50": wrk(port, "/api/v1/databases?limit=50",
                                      LUA_GET.format(key=key), seconds, work),
                "PATCH": wrk(port, one, LUA_PATCH.format(key=key, path=one), seconds, work),
            }
            ceil = ceiling(build, env, db, dbid, max(3, seconds // 2), clients)
        finally:
            proc.terminate()
            proc.wait(30)
    for name, cname in (("GET one", "get"), ("GET list of 50", "list"), ("PATCH", "patch")):
        rows.append((processes, name) + res[name] + (ceil[cname],))
    for r in rates:
        a, d = fr[r], floor[r]
        fixed.append((processes, r, float(a["p50_ms"]), float(a["p99_ms"]), int(a["errors"]),
                      float(d["p50_ms"]), float(d["p99_ms"]), int(d["errors"]),
                      a["api_cpu_ms"], a["db_cpu_ms"]))
    return rows, fixed


def median_rows(rounds):
    """Cell by cell median over the rounds (the machines are shared and noisy)."""
    out = []
    for cells in zip(*rounds):
        head = cells[0][:2]
        cols = list(zip(*(c[2:] for c in cells)))
        out.append(head + tuple(statistics.median(col) if col[0] is not None else None
                                for col in cols))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rate", default="500,1000", help="fixed rates (req/s) for GET one")
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--processes", default="1,2", help="api.processes values to run")
    ap.add_argument("--threads", type=int, default=default_threads(), help="api.threads")
    ap.add_argument("--store", help="MongoDB-wire store (scripts/services --store)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="rounds per api.processes value; cells are the medians")
    a = ap.parse_args()
    build = Path(a.build)
    rates = [int(r) for r in a.rate.split(",")]
    env, own = services(a.store)
    rows, fixed = [], []
    try:
        for processes in (int(p) for p in a.processes.split(",")):
            rounds = [one_round(build, env, processes, a.threads, rates, a.seconds)
                      for _ in range(a.repeat)]
            rows += median_rows([r for r, _ in rounds])
            fixed += median_rows([f for _, f in rounds])
    finally:
        if own is not None:
            subprocess.run([str(ROOT / "scripts/services"), "stop"], env=own)
    print(f"api.threads = {a.threads}, {a.repeat} round(s) of {a.seconds} s, medians")
    print()
    print("| api.processes | request | req/s | p50 ms | p99 ms | non-2xx | driver ceiling ops/s | API / ceiling |")
    print("|---|---|---|---|---|---|---|---|")
    for p, name, rps, p50, p99, bad, c in rows:
        print(f"| {p} | {name} | {rps:.0f} | {p50:.2f} | {p99:.2f} | {bad:.0f} | {c:.0f} | {rps / c:.0%} |")
    print()
    print("| api.processes | GET one at | API p50 ms | API p99 ms | API errors | driver p50 ms | driver p99 ms | driver errors | API CPU ms/req | MongoDB server CPU ms/req |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for p, r, ap50, ap99, aerr, dp50, dp99, derr, acpu, dcpu in fixed:
        print(f"| {p} | {r:.0f}/s | {ap50:.2f} | {ap99:.2f} | {aerr:.0f} | {dp50:.2f} | {dp99:.2f} "
              f"| {derr:.0f} | {acpu:.3f} | {dcpu:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
