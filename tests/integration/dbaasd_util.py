"""Driving a real dbaasd: start it, read its logfmt log, find its children,
reload and stop it.  Used by the supervisor and API black-box tests."""
import http.client
import json
import os
import re
import signal
import subprocess
import time

from conftest import binary, run, spawn, wait_for

_LOGFMT = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')


def parse_logfmt(line):
    out = {}
    for k, v in _LOGFMT.findall(line):
        if v.startswith('"'):
            v = bytes(v[1:-1], "utf-8").decode("unicode_escape")
        out[k] = v
    return out


def proc_children(ppid):
    """[(pid, title)] of the live (non-zombie) children of PPID, from /proc."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
            with open(f"/proc/{d}/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        rest = stat[stat.rindex(")") + 2:].split()
        if int(rest[1]) != ppid or rest[0] == "Z":
            continue
        out.append((int(d), cmd.split(b"\0")[0].decode(errors="replace")))
    return sorted(out)


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


class Dbaasd:
    """One dbaasd supervisor process under test."""

    def __init__(self, config, log_path, env=None, prefix=()):
        self.config = str(config)
        self.log_path = str(log_path)
        self.env = env
        self.prefix = list(prefix)
        self.proc = None

    def start(self, wait_ready=True, timeout=15):
        self.log = open(self.log_path, "ab")
        self.proc = spawn(self.prefix + [binary("dbaasd"), "-c", self.config],
                          stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        if wait_ready:
            self.wait_event(lambda e: e.get("event") == "ready" and e.get("role") == "supervisor",
                            timeout, "dbaasd to report ready")
        return self

    @property
    def pid(self):
        return self.proc.pid

    def events(self):
        with open(self.log_path, "rb") as f:
            return [parse_logfmt(line.decode(errors="replace")) for line in f]

    def wait_event(self, pred, timeout, what):
        return wait_for(lambda: next((e for e in self.events() if pred(e)), None), timeout, what)

    def children(self, prefix="dbaasd: "):
        return [(p, t) for p, t in proc_children(self.pid) if t.startswith(prefix)]

    def child_pids(self, title_prefix):
        return [p for p, t in self.children() if t.startswith(title_prefix)]

    def role_count(self, role):
        return len(self.child_pids(f"dbaasd: {role}"))

    def reload(self, timeout=60):
        return run([binary("dbaasd"), "--reload", "--pid", str(self.pid)], timeout=timeout)

    def signal(self, sig):
        os.kill(self.pid, sig)

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"dbaasd did not exit within {timeout}s")

    def stop(self, timeout=30):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.log.close()


def http_get(port, path, timeout=5):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.getheaders(), r.read()
    finally:
        c.close()


def health(port):
    status, _, body = http_get(port, "/health")
    assert status == 200
    return json.loads(body)


def listen_port(settings):
    return int(settings["api.listen"].rsplit(":", 1)[1])


_B32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id(prefix):
    """A ULID with PREFIX, like the ids dbaasd makes (sortable, unique)."""
    t = int(time.time() * 1000)
    r = int.from_bytes(os.urandom(10), "big") >> 1
    chars = []
    for _ in range(16):
        chars.append(_B32[r & 31])
        r >>= 5
    tchars = []
    for _ in range(10):
        tchars.append(_B32[t & 31])
        t >>= 5
    return prefix + "".join(reversed(tchars)) + "".join(reversed(chars))
