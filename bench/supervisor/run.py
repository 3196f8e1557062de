#!/usr/bin/python3
"""bench/supervisor — how fast a killed role is back, whether reloads under
load fail requests, and what the supervisor costs in memory.

    bench/supervisor/run.py [--kills N] [--reloads N] [--seconds S]

Needs a build (scripts/test or make) and starts its own Redis and
MongoDB-wire server through scripts/services.  Prints its figures.
"""
import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests/integration"))

from conftest import free_port, render_config  # noqa: E402
from dbaasd_util import Dbaasd, health, pid_alive  # noqa: E402


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def start_services(workdir):
    env = dict(os.environ, DBAASD_SERVICES_DIR=str(workdir / "services"))
    out = subprocess.run([str(ROOT / "scripts/services"), "start", "--owner", str(os.getpid())],
                         env=env, capture_output=True, text=True, check=True).stdout
    return env, dict(l.split("=", 1) for l in out.splitlines() if "=" in l)


def time_to_replacement(d, role, port, redis, prefix):
    """Seconds from kill -9 of ROLE until its replacement serves (api) or heartbeats."""
    title = f"dbaasd: {role} 0"
    [old] = d.child_pids(title)
    t0 = time.monotonic()
    os.kill(old, signal.SIGKILL)
    while True:
        new = [p for p in d.child_pids(title) if p != old]
        if new:
            if role == "api":
                try:
                    if health(port)["pid"] == new[0]:
                        return time.monotonic() - t0
                except OSError:
                    pass
            elif any(f.endswith(f":{new[0]}") for f in redis.hkeys(prefix + "heartbeats")):
                return time.monotonic() - t0
        if time.monotonic() - t0 > 10:
            raise RuntimeError(f"{role} not replaced within 10 s")
        time.sleep(0.001)


def reload_under_load(d, port, reloads, seconds):
    wrk = subprocess.Popen(["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency",
                            f"http://127.0.0.1:{port}/health"],
                           stdout=subprocess.PIPE, text=True)
    gap = seconds / (reloads + 1)
    done = 0
    for _ in range(reloads):
        time.sleep(gap)
        # d.reload() runs the binary d was started from (DBAASD_BUILD_DIR).
        done += d.reload().returncode == 0
    out = wrk.communicate()[0]
    total = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    socket_errors = sum(int(x) for x in errs.groups()) if errs else 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
    return done, total, rps, socket_errors, int(non2xx.group(1)) if non2xx else 0, p50, p99


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=15)
    ap.add_argument("--reloads", type=int, default=10)
    ap.add_argument("--seconds", type=int, default=12)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dbaasd-bench-sup-"))
    env, svc = start_services(work)
    import redis as redislib
    r = redislib.Redis(host="127.0.0.1", port=int(svc["DBAASD_REDIS_PORT"]), decode_responses=True)
    port = free_port()
    settings = {
        "mongodb.uri": svc["DBAASD_MONGO_URI"], "mongodb.database": "bench_sup",
        "redis.port": int(svc["DBAASD_REDIS_PORT"]), "redis.prefix": "benchsup:",
        "api.listen": f"127.0.0.1:{port}", "api.processes": 1, "workers.count": 2,
        "supervisor.heartbeat_interval_ms": 200, "supervisor.restart_reset_s": 1,
        "supervisor.restart_intensity": 1000,  # the bench kills on purpose
        "log.level": "warn",
    }
    conf = work / "dbaasd.conf"
    conf.write_text(render_config(settings))
    d = Dbaasd(conf, work / "dbaasd.log")
    d.start(wait_ready=False)
    try:
        deadline = time.monotonic() + 10
        while not (d.child_pids("dbaasd: api") and len(d.child_pids("dbaasd: worker")) == 2):
            if time.monotonic() > deadline:
                raise RuntimeError("dbaasd did not start")
            time.sleep(0.05)
        time.sleep(1)
        idle_rss = rss_kb(d.pid)
        print(f"machine: {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}")
        for role in ("api", "worker"):
            times = []
            for _ in range(a.kills):
                times.append(time_to_replacement(d, role, port, r, "benchsup:"))
                time.sleep(1.2)  # past restart_reset_s: every kill is a first crash
            print(f"kill -9 -> {role} replacement {'serving' if role == 'api' else 'heartbeating'}: "
                  f"median {statistics.median(times) * 1000:.0f} ms, "
                  f"p90 {pct(times, 90) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
                  f"(n={len(times)}; includes the 100 ms restart delay)")
        done, total, rps, serr, non2xx, p50, p99 = reload_under_load(d, port, a.reloads, a.seconds)
        print(f"wrk -t2 -c32 {a.seconds}s on GET /health with {done}/{a.reloads} reloads: "
              f"{total} requests, {rps:.0f} req/s, p50 {p50}, p99 {p99}, "
              f"socket errors {serr}, non-2xx {non2xx}")
        print(f"supervisor RSS: idle {idle_rss} kB, after the run {rss_kb(d.pid)} kB")
        roles = {t: rss_kb(p) for p, t in d.children()}
        print("role RSS (kB): " + ", ".join(f"{t[8:]}={v}" for t, v in sorted(roles.items())))
    finally:
        d.stop()
        subprocess.run([str(ROOT / "scripts/services"), "stop"], env=env)


if __name__ == "__main__":
    main()
