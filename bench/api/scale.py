#!/usr/bin/env python3
"""bench/api/scale.py — what one PATCH and one GET cost as the databases grow.

For each store (scripts/services --store) and each database count N
(ascending), the bench seeds databases through the API until N exist, then
times --requests GETs of one database and as many PATCHes (each flips the
database's size, so every PATCH writes) on databases picked at random among
the N, one request at a time on one keep-alive connection: the latency of a
lone request is its cost, with no queueing in it.  A write path whose cost
grows with the number of databases (a query the store cannot serve from an
index, a findAndModify that scans) shows as a PATCH column that climbs from
row to row.

    bench/api/scale.py [--store ferretdb,secantus] [--databases 100,1000,10000]
                       [--requests 300] [--repeat 3] [--build build[,build2...]]

Each row holds the medians over --repeat rounds (every round times GET then
PATCH, each stopping early, after at least 20 requests, once it has taken
--budget seconds: on a store where a PATCH takes a second that keeps the run
bounded); "x at N0" is PATCH's median over its median at the first count, in
the same run.  With several --build directories (e.g. a build of the main
branch and one of a change) each runs the whole sequence on fresh services,
so the change's cost is a ratio measured in one run.  api.processes = 1, api.threads as in etc/dbaasd.conf,
reconciler off, one worker, log level info.
"""
import argparse
import concurrent.futures
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ROOT, call, default_threads, start_dbaasd  # noqa: E402

SIZES = ("db.t3.medium", "db.t3.large")


class Conn:
    """One keep-alive HTTP connection with a bearer key."""

    def __init__(self, port, key):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.key = key

    def request(self, method, path, body=None, check=True):
        """The decoded body; with CHECK=False, None for a failed request."""
        data = json.dumps(body).encode() if body is not None else None
        self.c.request(method, path, body=data,
                       headers={"Authorization": f"Bearer {self.key}",
                                "Content-Type": "application/json"})
        r = self.c.getresponse()
        payload = r.read()
        if r.status >= 300:
            if check:
                raise SystemExit(f"{method} {path}: {r.status} {payload[:200]!r}")
            return None
        return json.loads(payload or b"null")


def start_services(store):
    env = dict(os.environ, DBAASD_STORE=store,
               DBAASD_SERVICES_DIR=str(ROOT / ".work" / f"bench-scale-{store}-{os.getpid()}"))
    out = subprocess.run([str(ROOT / "scripts/services"), "start", "--owner", str(os.getpid())],
                         capture_output=True, text=True, env=env, check=True)
    for line in out.stdout.splitlines():
        k, _, v = line.partition("=")
        env[k] = v
    return env


def seed(port, key, prv, first, last, sizes):
    """Create databases first..last-1 with 8 concurrent connections."""
    def worker(chunk):
        c = Conn(port, key)
        for i in chunk:
            d = c.request("POST", "/api/v1/databases",
                          {"name": f"s{i}", "engine": "postgres", "version": "16.4",
                           "size": SIZES[0], "replicas": 3, "storage_gb": 10,
                           "provider_id": prv})
            sizes[d["id"]] = SIZES[0]
    idx = list(range(first, last))
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        list(ex.map(worker, [idx[k::8] for k in range(8)]))


def timed(conn, n, one, rng, ids, budget):
    """Median and p90 latency (ms) of N calls of ONE on random ids, fewer (but
    at least 20) when they take more than BUDGET seconds; how many; how many
    failed (ONE returns false; a failure's latency counts too)."""
    lat, failed = [], 0
    end = time.monotonic() + budget
    while len(lat) < n and (len(lat) < 20 or time.monotonic() < end):
        dbid = rng.choice(ids)
        t0 = time.perf_counter()
        failed += not one(conn, dbid)
        lat.append((time.perf_counter() - t0) * 1000)
    lat.sort()
    return statistics.median(lat), lat[int(len(lat) * 0.9)], len(lat), failed


def measure_store(store, counts, requests, repeat, build, threads, budget):
    env = start_services(store)
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            proc, port, admin, _ = start_dbaasd(build, env, 1, Path(tmp), threads)
            try:
                prv = call(port, "POST", "/api/v1/providers", admin,
                           {"name": "bench", "server": "https://10.0.0.1:6443", "token": "t"})["id"]
                key = call(port, "POST", "/api/v1/api-keys", admin,
                           {"role": "tenant", "tenant": "bench"})["key"]
                sizes, have, rng = {}, 0, random.Random(1)

                def get(c, dbid):
                    return c.request("GET", f"/api/v1/databases/{dbid}", check=False)

                def patch(c, dbid):
                    want = SIZES[1] if sizes[dbid] == SIZES[0] else SIZES[0]
                    ok = c.request("PATCH", f"/api/v1/databases/{dbid}", {"size": want},
                                   check=False)
                    if ok:
                        sizes[dbid] = want
                    return ok

                for n in counts:
                    t0 = time.monotonic()
                    seed(port, key, prv, have, n, sizes)
                    seeded_s, have = time.monotonic() - t0, n
                    ids = sorted(sizes)
                    # a fresh connection: one left idle while seeding has been
                    # closed by the API (api.request_timeout_ms); the first request is untimed
                    conn = Conn(port, key)
                    get(conn, ids[0])
                    rounds = [(timed(conn, requests, get, rng, ids, budget),
                               timed(conn, requests, patch, rng, ids, budget))
                              for _ in range(repeat)]
                    med = [statistics.median(r[k][j] for r in rounds)
                           for k in (0, 1) for j in (0, 1)]
                    timed_n = min(r[k][2] for r in rounds for k in (0, 1))
                    failed = sum(r[k][3] for r in rounds for k in (0, 1))
                    rows.append((store, build.name, n, *med, timed_n, failed, seeded_s))
                    print(f"# {store} {build.name} {n}: GET {med[0]:.2f} ms, PATCH {med[2]:.2f} ms "
                          f"(seeded in {seeded_s:.0f} s)", file=sys.stderr, flush=True)
            finally:
                proc.terminate()
                proc.wait(30)
                # why requests failed, as the API logged it
                errors = [l for l in (Path(tmp) / "dbaasd-1.log").read_text().splitlines()
                          if " level=warn " in l or " level=error " in l]
                for line in errors[:3]:
                    print(f"# {store}: {line}", file=sys.stderr)
    finally:
        subprocess.run([str(ROOT / "scripts/services"), "stop"], env=env)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", default="ferretdb,secantus",
                    help="stores to run on (scripts/services --store), comma-separated")
    ap.add_argument("--databases", default="100,1000,10000",
                    help="database counts, ascending (seeded through the API)")
    ap.add_argument("--requests", type=int, default=300, help="GETs and PATCHes per round")
    ap.add_argument("--repeat", type=int, default=3, help="rounds; cells are the medians")
    ap.add_argument("--budget", type=float, default=30,
                    help="seconds after which a round stops timing (at least 20 requests)")
    ap.add_argument("--build", default=str(ROOT / "build"),
                    help="build directories, comma-separated")
    ap.add_argument("--threads", type=int, default=default_threads(), help="api.threads")
    a = ap.parse_args()
    counts = [int(n) for n in a.databases.split(",")]
    if counts != sorted(counts) or counts[0] < 1:
        ap.error("--databases must be ascending positive counts")
    rows = []
    for store in a.store.split(","):
        for build in a.build.split(","):
            rows += measure_store(store, counts, a.requests, a.repeat, Path(build), a.threads,
                                  a.budget)
    print(f"up to {a.requests} GETs and {a.requests} PATCHes per round (at least 20, at most "
          f"{a.budget:.0f} s after that), one at a time, {a.repeat} round(s), medians")
    print()
    print("| store | build | databases | GET p50 ms | GET p90 ms | PATCH p50 ms | PATCH p90 ms "
          "| PATCH x at first count | fewest timed in a round | failed | seeding s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    first = {}
    for store, build, n, gp50, gp90, pp50, pp90, timed_n, failed, seeded in rows:
        first.setdefault((store, build), pp50)
        print(f"| {store} | {build} | {n:,} | {gp50:.2f} | {gp90:.2f} | {pp50:.2f} | {pp90:.2f} "
              f"| {pp50 / first[store, build]:.2f} | {timed_n} | {failed} | {seeded:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
