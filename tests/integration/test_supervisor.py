"""The supervisor, black-box: real binary, real signals, real Redis/MongoDB."""
import datetime
import http.client
import os
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import binary, run, spawn, wait_for
from dbaasd_util import (Dbaasd, health, http_get, listen_port, new_id, pid_alive,
                         proc_children)


@pytest.fixture
def settings(base_settings):
    return dict(base_settings, **{
        "api.processes": 1,
        "workers.count": 1,
        "workers.block_ms": 200,
        "supervisor.heartbeat_interval_ms": 200,
        "supervisor.hang_timeout_s": 30,
        "supervisor.shutdown_timeout_s": 10,
        "log.level": "info",
    })


@pytest.fixture
def start(tmp_path, write_config):
    started = []

    def _start(settings, env=None, prefix=(), wait_ready=True):
        conf = write_config(settings)
        d = Dbaasd(conf, tmp_path / f"dbaasd{len(started)}.log", env=env, prefix=prefix)
        started.append(d)
        return d.start(wait_ready=wait_ready)

    yield _start
    for d in started:
        d.stop()


def heartbeat_pids(services, settings, role):
    r = services.redis()
    out = set()
    for field in r.hkeys(settings["redis.prefix"] + "heartbeats"):
        if field.startswith(role + ":"):
            out.add(int(field.rsplit(":", 1)[1]))
    return out


def test_process_titles(settings, start):
    d = start(dict(settings, **{"api.processes": 2, "workers.count": 3}))
    titles = sorted(t for _, t in d.children())
    assert titles == ["dbaasd: api 0", "dbaasd: api 1", "dbaasd: reconciler",
                      "dbaasd: worker 0", "dbaasd: worker 1", "dbaasd: worker 2"]
    with open(f"/proc/{d.pid}/cmdline", "rb") as f:
        assert f.read().split(b"\0")[0] == b"dbaasd: supervisor"


def test_health_summarises_every_role(settings, start):
    d = start(dict(settings, **{"api.processes": 2, "workers.count": 3, "workers.slots": 2}))
    port = listen_port(settings)
    h = wait_for(lambda: (lambda h: h if h["components"]["workers"]["running"] == 3
                          and h["components"]["reconciler"]["leader"] else None)(health(port)),
                 5, "all heartbeats and a leader")
    assert h["status"] == "healthy"
    assert h["components"]["api"]["running"] == 2
    assert h["components"]["workers"]["total_slots"] == 6
    assert h["components"]["reconciler"]["leader"] == socket.gethostname()


@pytest.mark.parametrize("role", ["api", "reconciler", "worker"])
def test_killed_role_is_replaced_within_a_second(services, settings, start, role):
    d = start(settings)
    port = listen_port(settings)
    title = f"dbaasd: {role}"
    [old] = d.child_pids(title)
    t0 = time.monotonic()
    os.kill(old, signal.SIGKILL)
    new = wait_for(lambda: [p for p in d.child_pids(title) if p != old], 2, f"a new {role}")[0]
    if role == "api":
        # The replacement itself answers (it is the only API process).
        wait_for(lambda: health(port)["pid"] == new, 2, "the new API process to serve")
    else:
        wait_for(lambda: new in heartbeat_pids(services, settings, role), 2,
                 f"the new {role} to heartbeat")
    assert time.monotonic() - t0 < 1.0, f"replacement took {time.monotonic() - t0:.2f}s"
    died = [e for e in d.events() if e.get("event") == "role_died"]
    assert died[-1]["role"] == role and died[-1]["signal"] == "9"


def test_repeated_crashes_back_off(settings, start):
    d = start(settings)
    gaps = []
    for _ in range(4):
        [pid] = wait_for(lambda: d.child_pids("dbaasd: worker 0"), 10, "a worker")
        t0 = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: [p for p in d.child_pids("dbaasd: worker 0") if p != pid], 10,
                 "the replacement")
        gaps.append(time.monotonic() - t0)
    delays = [int(e["delay_ms"]) for e in d.events() if e.get("event") == "restart_scheduled"]
    assert delays == [100, 200, 400, 800]
    for gap, delay in zip(gaps, delays):
        assert gap >= delay / 1000.0, (gaps, delays)


def test_intensity_limit_stops_everything(settings, start):
    d = start(dict(settings, **{"supervisor.restart_intensity": 3,
                                "supervisor.restart_period_s": 60,
                                "supervisor.restart_initial_ms": 10}))
    children = [p for p, _ in d.children()]
    for _ in range(4):
        pid = wait_for(lambda: d.child_pids("dbaasd: worker 0"), 10, "a worker")[0]
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: pid not in d.child_pids("dbaasd: worker 0"), 10, "the worker to die")
    assert d.wait_exit(15) == 1
    assert any(e.get("event") == "restart_intensity_exceeded" for e in d.events())
    for p in children:
        assert not pid_alive(p), f"child {p} survived the supervisor"


def test_sighup_with_broken_file_changes_nothing(settings, start, write_config):
    d = start(dict(settings, **{"workers.count": 2}))
    before = d.children()
    conf = write_config(dict(settings, **{"workers.count": 0}))
    line = conf.read_text().split("\n").index("  count = 0;") + 1
    r = d.reload()
    assert r.returncode == 1
    rejected = [e for e in d.events() if e.get("event") == "reload_rejected"]
    assert rejected and rejected[-1]["error"] == (
        f"{d.config}:{line}: workers.count: must be between 1 and 256, got 0")
    time.sleep(0.5)  # nothing is supposed to happen; give it the chance to go wrong
    assert d.children() == before
    assert health(listen_port(settings))["status"] == "healthy"


def test_worker_count_follows_reloads(settings, start, write_config):
    d = start(dict(settings, **{"workers.count": 3}))
    for n in (5, 1, 3):
        write_config(dict(settings, **{"workers.count": n}))
        r = d.reload()
        assert r.returncode == 0, r.stderr
        wait_for(lambda: d.role_count("worker") == n, 10, f"{n} workers")
        assert sorted(t for _, t in d.children() if "worker" in t) == [
            f"dbaasd: worker {i}" for i in range(n)]


def _enqueue_noop(services, settings, duration_ms):
    db = services.mongo()[settings["mongodb.database"]]
    op = new_id("op-")
    db.operations.insert_one({"_id": op, "type": "noop", "status": "queued", "attempts": 0,
                              "desired": {"duration_ms": duration_ms}})
    services.redis().xadd(settings["redis.prefix"] + "ops", {"op": op})
    return op


def _log_time(event):
    return datetime.datetime.strptime(event["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)


def test_draining_worker_finishes_its_operation(services, settings, start, write_config):
    s = dict(settings, **{"workers.count": 3, "workers.slots": 1})
    d = start(s)
    db = services.mongo(tz_aware=True)[s["mongodb.database"]]
    wait_for(lambda: len(heartbeat_pids(services, s, "worker")) == 3, 5, "three workers")
    ops = [_enqueue_noop(services, s, 2500) for _ in range(3)]
    wait_for(lambda: db.operations.count_documents({"status": "running"}) == 3, 5,
             "all three operations running")
    workers = {t: p for p, t in d.children() if "worker" in t}
    leaving = [workers["dbaasd: worker 1"], workers["dbaasd: worker 2"]]
    write_config(dict(s, **{"workers.count": 1}))
    assert d.reload().returncode == 0
    wait_for(lambda: not any(pid_alive(p) for p in leaving), 15, "surplus workers to exit")
    docs = list(db.operations.find({"_id": {"$in": ops}}))
    assert [o["status"] for o in docs] == ["completed"] * 3, docs
    for pid in leaving:
        op = next(o for o in docs if o["worker"].endswith(f":{pid}"))
        stopped = next(e for e in d.events()
                       if e.get("event") == "role_stopped" and e.get("child") == str(pid))
        assert stopped["exit"] == "0"
        # It finished the operation first, then left (not killed, not handed back).
        assert op["finished_at"] <= _log_time(stopped)
        assert op["attempts"] == 1
    assert d.role_count("worker") == 1


def test_sigterm_stops_everything_with_exit_0(settings, start):
    d = start(dict(settings, **{"workers.count": 2, "api.processes": 2}))
    children = [p for p, _ in d.children()]
    t0 = time.monotonic()
    d.signal(signal.SIGTERM)
    assert d.wait_exit(10) == 0
    assert time.monotonic() - t0 < 3.0
    assert not any(pid_alive(p) for p in children)


def test_child_ignoring_sigterm_is_killed_on_time(settings, start):
    d = start(dict(settings, **{"supervisor.shutdown_timeout_s": 2}))
    [worker] = d.child_pids("dbaasd: worker")
    os.kill(worker, signal.SIGSTOP)  # a stopped process cannot act on SIGTERM
    t0 = time.monotonic()
    d.signal(signal.SIGTERM)
    assert d.wait_exit(10) == 0
    took = time.monotonic() - t0
    assert 2.0 <= took < 3.5, took
    assert not pid_alive(worker)
    assert any(e.get("event") == "stop_timeout" and e.get("role") == "worker" for e in d.events())


def test_sigquit_is_immediate(settings, start):
    d = start(settings)
    children = [p for p, _ in d.children()]
    d.signal(signal.SIGQUIT)
    assert d.wait_exit(5) == 128 + signal.SIGQUIT
    assert not any(pid_alive(p) for p in children)


def test_reload_under_load_fails_no_request(settings, start, write_config):
    s = dict(settings, **{"api.processes": 2})
    d = start(s)
    port = listen_port(s)
    stop = threading.Event()
    counts = {"ok": 0, "failed": 0}
    errors = []
    lock = threading.Lock()

    def client(keepalive):
        conn = None
        while not stop.is_set():
            try:
                if conn is None or not keepalive:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", "/health")
                r = conn.getresponse()
                r.read()
                ok = r.status == 200
                if not keepalive or r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except Exception as e:  # any failure is what this test counts
                ok = False
                errors.append(repr(e))
                conn = None
            with lock:
                counts["ok" if ok else "failed"] += 1

    threads = [threading.Thread(target=client, args=(k,)) for k in (True, True, True, False, False)]
    for t in threads:
        t.start()
    try:
        reloads = 0
        while reloads < 10 or counts["ok"] + counts["failed"] < 20000:
            time.sleep(0.3)
            if reloads < 10:
                assert d.reload().returncode == 0
                reloads += 1
            assert d.proc.poll() is None
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert counts["failed"] == 0, errors[:5]
    assert counts["ok"] >= 20000
    reloaded = [e for e in d.events() if e.get("event") == "reload_done" and e["ok"] == "true"]
    assert len(reloaded) == 10


def test_listen_address_moves_on_reload(settings, start, write_config):
    from conftest import free_port
    d = start(settings)
    old = listen_port(settings)
    new = free_port()
    write_config(dict(settings, **{"api.listen": f"127.0.0.1:{new}"}))
    assert d.reload().returncode == 0
    assert health(new)["status"] in ("healthy", "degraded")
    # Once the old generation has drained, nothing listens on the old port.
    wait_for(lambda: _refused(old), 5, "the old port to close")


def _refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return False
    except ConnectionRefusedError:
        return True


def test_notify_socket_protocol(settings, start, tmp_path, write_config):
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    sock.settimeout(10)
    env = dict(os.environ, NOTIFY_SOCKET=path)
    d = start(settings, env=env, wait_ready=False)
    msgs = []

    def recv_until(word):
        while True:
            data, anc, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(12))
            pid = int.from_bytes(anc[0][2][:4], "little") if anc else None
            msgs.append((pid, data.decode()))
            if word in data.decode().split("\n"):
                return

    recv_until("READY=1")
    assert d.reload().returncode == 0
    recv_until("READY=1")
    d.signal(signal.SIGTERM)
    recv_until("STOPPING=1")
    assert d.wait_exit(10) == 0
    sock.close()
    seq = [line for _, m in msgs for line in m.split("\n")
           if line in ("READY=1", "RELOADING=1", "STOPPING=1")]
    assert seq == ["READY=1", "RELOADING=1", "READY=1", "STOPPING=1"]
    assert {pid for pid, _ in msgs} == {d.pid}, "only the supervisor may notify systemd"


def test_watchdog_pings_only_while_healthy(settings, start, tmp_path):
    path = str(tmp_path / "wd.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.1)
    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="300000")
    d = start(settings, env=env)

    def pings_within(seconds):
        n, end = 0, time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                n += "WATCHDOG=1" in sock.recv(4096).decode()
            except socket.timeout:
                pass
        return n

    assert pings_within(1.0) >= 4  # every 150 ms
    [worker] = d.child_pids("dbaasd: worker")
    os.kill(worker, signal.SIGSTOP)
    time.sleep(1.0)  # heartbeats are now late (> 2 intervals)
    while True:  # drain what was sent before it turned unhealthy
        try:
            sock.recv(4096)
        except socket.timeout:
            break
    assert pings_within(1.0) == 0
    os.kill(worker, signal.SIGCONT)
    assert pings_within(1.5) >= 3
    sock.close()


def test_pid1_reaps_orphans_and_exits_cleanly(settings, start):
    if os.geteuid() != 0:
        pytest.skip("unshare --pid needs root")
    d = start(settings, prefix=["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"], wait_ready=False)
    sup = wait_for(lambda: [p for p, t in proc_children(d.pid) if t == "dbaasd: supervisor"],
                   10, "dbaasd as PID 1")[0]
    wait_for(lambda: any(e.get("event") == "ready" for e in d.events()), 10, "ready")
    assert any(e.get("event") == "started" and e.get("pid1") == "yes" for e in d.events())
    # A process in the namespace whose parent exits is re-parented to PID 1.
    r = run(["nsenter", "-t", str(sup), "-p", "--", "sh", "-c", "sleep 60 </dev/null >/dev/null 2>&1 & echo $!"])
    assert r.returncode == 0, r.stderr
    orphan = wait_for(lambda: [p for p, t in proc_children(sup) if t == "sleep"], 5,
                      "the orphan to be adopted")[0]
    os.kill(orphan, signal.SIGKILL)
    wait_for(lambda: any(e.get("event") == "orphan_reaped" for e in d.events()), 5,
             "the orphan to be reaped")
    assert not pid_alive(orphan)
    os.kill(sup, signal.SIGTERM)
    assert d.wait_exit(15) == 0


def test_role_runs_alone(services, settings, tmp_path, write_config):
    conf = write_config(settings)
    log = open(tmp_path / "alone.log", "wb")
    p = spawn([binary("dbaasd"), "--role", "worker", "-c", str(conf)], stdout=log,
              stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: p.pid in heartbeat_pids(services, settings, "worker"), 5,
                 "the lone worker to heartbeat")
        with open(f"/proc/{p.pid}/cmdline", "rb") as f:
            assert f.read().split(b"\0")[0] == b"dbaasd: worker 0"
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=10) == 0
        # It cleans its heartbeat up when it leaves.
        assert p.pid not in heartbeat_pids(services, settings, "worker")
    finally:
        if p.poll() is None:
            p.kill()
        log.close()


def test_api_role_alone_serves(settings, tmp_path, write_config):
    conf = write_config(settings)
    p = spawn([binary("dbaasd"), "--role", "api", "-c", str(conf)], stdout=subprocess.DEVNULL,
              stderr=subprocess.DEVNULL)
    try:
        port = listen_port(settings)
        wait_for(lambda: _answers(port), 5, "the lone API to answer")
        assert health(port)["pid"] == p.pid
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=10) == 0
    finally:
        if p.poll() is None:
            p.kill()


def _answers(port):
    try:
        return http_get(port, "/health")[0] == 200
    except OSError:
        return False


def test_reconciler_restarts_only_when_its_settings_change(settings, start, write_config):
    d = start(settings)
    [rec] = d.child_pids("dbaasd: reconciler")
    [worker] = d.child_pids("dbaasd: worker")
    # Only the API and the worker count change: the reconciler keeps running.
    write_config(dict(settings, **{"workers.count": 2, "api.max_body_bytes": 65536}))
    assert d.reload().returncode == 0
    assert d.child_pids("dbaasd: reconciler") == [rec]
    assert worker in d.child_pids("dbaasd: worker 0")
    # A reconciler setting changes: it is replaced (and the worker is not).
    write_config(dict(settings, **{"workers.count": 2, "api.max_body_bytes": 65536,
                                   "reconciler.resync_interval_s": 60}))
    assert d.reload().returncode == 0
    wait_for(lambda: d.child_pids("dbaasd: reconciler") not in ([], [rec]), 10,
             "a new reconciler")
    assert worker in d.child_pids("dbaasd: worker 0")


def test_log_level_applies_live_to_roles_that_keep_running(services, settings, start,
                                                          write_config):
    s = dict(settings, **{"workers.count": 1})
    d = start(s)
    [worker] = d.child_pids("dbaasd: worker 0")
    db = services.mongo()[s["mongodb.database"]]
    write_config(dict(s, **{"log.level": "warn"}))
    assert d.reload().returncode == 0
    assert d.child_pids("dbaasd: worker 0") == [worker]  # not restarted for a log change
    quiet = _enqueue_noop(services, s, 0)
    wait_for(lambda: (db.operations.find_one({"_id": quiet}) or {}).get("status") == "completed",
             10, "the operation to complete")
    assert not [e for e in d.events() if e.get("op") == quiet], "info lines logged at warn"
    write_config(dict(s, **{"log.level": "info"}))
    assert d.reload().returncode == 0
    loud = _enqueue_noop(services, s, 0)
    d.wait_event(lambda e: e.get("event") == "operation_finished" and e.get("op") == loud
                 and e.get("pid") == str(worker), 10, "the same worker to log at info again")


def test_stop_during_a_reload_never_reports_ready(settings, start, tmp_path, write_config):
    path = str(tmp_path / "notify2.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(10)
    d = start(dict(settings, **{"api.processes": 2}), env=dict(os.environ, NOTIFY_SOCKET=path))
    # Sixty new workers take a while to start: a window to stop in mid-reload.
    write_config(dict(settings, **{"api.processes": 2, "workers.count": 60}))
    d.signal(signal.SIGHUP)
    d.wait_event(lambda e: e.get("event") == "reload_started", 5, "the reload to start")
    assert not any(e.get("event") == "reload_done" for e in d.events()), "window missed"
    d.signal(signal.SIGTERM)
    assert d.wait_exit(15) == 0
    lines = []
    sock.settimeout(0.2)
    try:
        while True:
            lines += sock.recv(4096).decode().split("\n")
    except socket.timeout:
        pass
    sock.close()
    seq = [l for l in lines if l in ("READY=1", "RELOADING=1", "STOPPING=1")]
    assert "STOPPING=1" in seq
    assert "READY=1" not in seq[seq.index("STOPPING=1"):], seq
