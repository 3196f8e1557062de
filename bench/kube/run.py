#!/usr/bin/python3
"""bench/kube/run.py — what the Kubernetes client (src/common/kube*) costs.

Starts dbaasd-kubesim (plain HTTP on loopback, one token, no operator so only
the benchmark writes), loads 10,000 MongoDB objects through the client, then
measures and prints, each against a reference tool on the same URLs in the
same run (the machine is shared: compare the ratios):

  1. GET of one object: requests/s and p99 through the client
     (tests/integration/helpers/kube_drive, 32 in flight) vs wrk with 32
     connections; the client's overhead as a ratio;
  2. 1,000 concurrent watches in one client process: RSS, and the fan-out
     latency from a PATCH being sent to each watch having the event;
  3. LIST of 10,000 objects in pages of 500: the client's time vs curl
     fetching the same 20 pages over one keep-alive connection.

Usage: bench/kube/run.py [--build DIR] [--runs N] [--seconds S] [--watches N]
"""
import argparse
import ctypes
import http.client
import json
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "bench-token"
COLL = "/apis/kubedb.com/v1/namespaces/bench/mongodbs"


def die_with_parent():
    ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)


def start_kubesim(build):
    cmd = [str(build / "dbaasd-kubesim"), "--listen", "127.0.0.1:0", "--token",
           f"{TOKEN}:bench:admin", "--no-operator", "--log-level", "warn",
           "--namespace", "bench", "--watch-buffer", str(8 << 20)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                         preexec_fn=die_with_parent)
    line = p.stdout.readline().decode()
    if not line.startswith("listening url="):
        sys.exit(f"kubesim did not start: {line!r}")
    return p, line.split("=", 1)[1].strip()


def drive(build, url, *args, timeout=600):
    # Limits far above what is measured: the client's own cost, not its limiter.
    provs = [{"id": "a", "url": url, "token": TOKEN, "qps": 1e6, "burst": 100000,
              "max_inflight": 64},
             {"id": "writer", "url": url, "token": TOKEN, "qps": 1e6, "burst": 100000}]
    cmd = [str(build / "tests/integration/helpers/kube_drive"), "--providers", json.dumps(provs)]
    cmd += [str(a) for a in args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       preexec_fn=die_with_parent)
    if r.returncode != 0:
        sys.exit(f"kube_drive {args}: {r.stderr}")
    return [json.loads(x) for x in r.stdout.splitlines() if x.strip()]


def wrk(url, path, seconds):
    out = subprocess.run(["wrk", "-t1", "-c32", f"-d{seconds}s", "--latency", "-H",
                          f"Authorization: Bearer {TOKEN}", url + path],
                         capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 1e-3, "ms": 1, "s": 1e3}[p99.group(2)]
    return rps, float(p99.group(1)) * scale


def page_urls(url):
    """The 20 page URLs of one LIST (continue tokens from a first pass)."""
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    urls, cont = [], None
    while True:
        q = {"limit": 500}
        if cont:
            q["continue"] = cont
        path = COLL + "?" + urllib.parse.urlencode(q)
        urls.append(url + path)
        c.request("GET", path, headers={"Authorization": f"Bearer {TOKEN}"})
        body = json.loads(c.getresponse().read())
        cont = body["metadata"].get("continue")
        if not cont:
            return urls


def list_rv(url):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.request("GET", COLL + "?limit=1", headers={"Authorization": f"Bearer {TOKEN}"})
    return json.loads(c.getresponse().read())["metadata"]["resourceVersion"]


def curl_pages(urls):
    t0 = time.monotonic()
    subprocess.run(["curl", "-s", "-H", f"Authorization: Bearer {TOKEN}"] +
                   [a for u in urls for a in ("-o", "/dev/null", u)], check=True, timeout=60)
    return (time.monotonic() - t0) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--watches", type=int, default=1000)
    ap.add_argument("--updates", type=int, default=20)
    a = ap.parse_args()
    build = Path(a.build)
    ks, url = start_kubesim(build)
    try:
        (c,) = drive(build, url, "--n", 10000, "--concurrency", 32, "create", COLL)
        print(f"loaded 10,000 objects through the client in {c['ms']:.0f} ms "
              f"({10000 / c['ms'] * 1000:.0f} creates/s)")
        get = f"{COLL}/obj-00042"

        # 1. GET/s and p99: client vs wrk, alternating, medians.
        cl, wk = [], []
        n = 20000
        for _ in range(a.runs):
            (s,) = drive(build, url, "--n", n, "--concurrency", 32, "--job", f"a:{get}", "load")
            assert s["classes"] == {"ok": n}, s
            cl.append((n / s["ms"] * 1000, s["p99_ms"]))
            wk.append(wrk(url, get, a.seconds))
        c_rps = statistics.median(x[0] for x in cl)
        c_p99 = statistics.median(x[1] for x in cl)
        w_rps = statistics.median(x[0] for x in wk)
        w_p99 = statistics.median(x[1] for x in wk)
        print(f"GET one object, 32 in flight ({a.runs} runs, medians):")
        print(f"  client {c_rps:,.0f} req/s p99 {c_p99:.2f} ms | wrk {w_rps:,.0f} req/s "
              f"p99 {w_p99:.2f} ms | client/wrk rate {c_rps / w_rps:.2f}, "
              f"p99 {c_p99 / w_p99:.2f}")

        # 2. 1,000 watches in one process.
        rv = list_rv(url)
        (f,) = drive(build, url, "--rv", rv, "--watches", a.watches, "--updates", a.updates,
                     "--seconds", 120, "fanout", COLL, get)
        print(f"{f['watches']} watches in one process, {f['updates']} PATCHes: "
              f"{f['deliveries']} deliveries, fan-out p50 {f['p50_ms']:.1f} ms, "
              f"p99 {f['p99_ms']:.1f} ms; RSS peak {f['maxrss_kb'] / 1024:.1f} MB")

        # 3. LIST 10,000 in pages of 500: client vs curl on the same pages.
        urls = page_urls(url)
        lc, lcurl = [], []
        for _ in range(a.runs):
            (r,) = drive(build, url, "--limit", 500, "list", COLL)
            assert r["items"] == 10000 and r["pages"] == 20, r
            lc.append(r["ms"])
            lcurl.append(curl_pages(urls))
        print(f"LIST 10,000 in {len(urls)} pages of 500 ({a.runs} runs, medians): client "
              f"{statistics.median(lc):.0f} ms (decoded, RSS peak {r['maxrss_kb'] / 1024:.1f} MB)"
              f" | curl {statistics.median(lcurl):.0f} ms (bytes only) | ratio "
              f"{statistics.median(lc) / statistics.median(lcurl):.2f}")
    finally:
        ks.terminate()
        ks.wait(10)


if __name__ == "__main__":
    main()
