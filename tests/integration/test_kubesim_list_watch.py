"""dbaasd-kubesim: LIST (selectors, paging, resourceVersion semantics, expiring
continue tokens) and WATCH (framing, initial events, resumption, 410, bookmarks,
timeouts, selector transitions, slow watchers)."""
import base64
import json
import socket
import ssl
import time

import pytest

from conftest import wait_for
from kubesim_util import KubeSim, kubesim, mongodb, resource_path  # noqa: F401

MG = "/apis/kubedb.com/v1/namespaces/demo/mongodbs"


def secret(name, labels=None):
    return {"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "labels": labels or {}}, "data": {}}


def make_dbs(ks, n, ns="demo", labels=None):
    for i in range(n):
        m = mongodb(f"mg-{i:03d}")
        m["metadata"]["labels"] = dict(labels(i) if labels else {"app": "test"})
        ks.create("mongodbs", ns, m)


@pytest.fixture
def quiet(tmp_path):
    """A kubesim without the operator (nothing writes but the test), for exact RV checks."""
    with KubeSim(tmp_path / "ks", args=["--history", "50", "--no-operator"]) as ks:
        yield ks


def test_list_shape_and_all_namespaces(kubesim):
    kubesim.create("namespaces", None, {"apiVersion": "v1", "kind": "Namespace",
                                        "metadata": {"name": "other"}})
    kubesim.create("mongodbs", "demo", mongodb("a"))
    kubesim.create("mongodbs", "other", mongodb("b"))
    r = kubesim.request("GET", MG)
    assert r.body.startswith(b'{"apiVersion":"kubedb.com/v1","items":[')
    lst = r.json()
    assert lst["kind"] == "MongoDBList" and lst["metadata"]["continue"] == ""
    assert [i["metadata"]["name"] for i in lst["items"]] == ["a"]
    every = kubesim.list("mongodbs")
    assert [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in every["items"]] == \
        [("demo", "a"), ("other", "b")]
    ns = kubesim.list("namespaces")
    assert ns["kind"] == "NamespaceList" and "continue" not in ns["metadata"]


@pytest.mark.parametrize("selector,want", [
    ("app=a", {"mg-000", "mg-003"}),
    ("app==a", {"mg-000", "mg-003"}),
    ("app!=a", {"mg-001", "mg-002", "mg-004", "mg-005"}),
    ("app in (a,b)", {"mg-000", "mg-001", "mg-003", "mg-004"}),
    ("app notin (a,b)", {"mg-002", "mg-005"}),
    ("tier", {"mg-000", "mg-002", "mg-004"}),
    ("!tier", {"mg-001", "mg-003", "mg-005"}),
    ("app=a,tier", {"mg-000"}),
    ("n>3", {"mg-004", "mg-005"}),
    ("n<1", {"mg-000"}),
])
def test_label_selectors(kubesim, selector, want):
    def labels(i):
        lab = {"app": "abc"[i % 3], "n": str(i)}
        if i % 2 == 0:
            lab["tier"] = "gold"
        return lab
    make_dbs(kubesim, 6, labels=labels)
    got = kubesim.list("mongodbs", "demo", labelSelector=selector)
    assert {i["metadata"]["name"] for i in got["items"]} == want


def test_selector_errors(kubesim):
    r = kubesim.request("GET", MG, query={"labelSelector": "app===x"})
    assert r.status == 400
    assert r.json()["message"] == "unable to parse requirement: found '=', expected: identifier"
    r = kubesim.request("GET", MG, query={"fieldSelector": "spec.version=1"})
    assert r.status == 400 and r.json()["message"] == "field label not supported: spec.version"


def test_field_selectors(kubesim):
    make_dbs(kubesim, 3)
    got = kubesim.list("mongodbs", "demo", fieldSelector="metadata.name=mg-001")
    assert [i["metadata"]["name"] for i in got["items"]] == ["mg-001"]
    got = kubesim.list("mongodbs", None, fieldSelector="metadata.namespace=demo,metadata.name!=mg-001")
    assert [i["metadata"]["name"] for i in got["items"]] == ["mg-000", "mg-002"]


def test_pagination_one_snapshot(quiet):
    make_dbs(quiet, 5)
    first = quiet.list("mongodbs", "demo", limit=2)
    rv = first["metadata"]["resourceVersion"]
    assert [i["metadata"]["name"] for i in first["items"]] == ["mg-000", "mg-001"]
    assert first["metadata"]["remainingItemCount"] == 3
    tok = first["metadata"]["continue"]
    decoded = json.loads(base64.urlsafe_b64decode(tok + "=" * (-len(tok) % 4)))
    assert decoded == {"v": "meta.k8s.io/v1", "rv": int(rv), "start": "mg-001\u0000"}
    # Changes after the first page do not show up in later pages.
    quiet.patch("mongodbs", "demo", "mg-003", {"spec": {"replicas": 5}})
    quiet.delete("mongodbs", "demo", "mg-004")
    quiet.create("mongodbs", "demo", mongodb("mg-002a"))
    second = quiet.list("mongodbs", "demo", limit=2, **{"continue": tok})
    assert second["metadata"]["resourceVersion"] == rv
    assert [i["metadata"]["name"] for i in second["items"]] == ["mg-002", "mg-003"]
    assert second["items"][1]["spec"]["replicas"] == 3
    third = quiet.list("mongodbs", "demo", limit=2, **{"continue": second["metadata"]["continue"]})
    assert [i["metadata"]["name"] for i in third["items"]] == ["mg-004"]
    assert third["metadata"]["continue"] == "" and "remainingItemCount" not in third["metadata"]


def test_continue_token_expires_with_compaction(quiet):
    make_dbs(quiet, 3)
    first = quiet.list("mongodbs", "demo", limit=1)
    quiet.patch("mongodbs", "demo", "mg-002", {"metadata": {"annotations": {"t": "1"}}})
    quiet.compact()
    r = quiet.request("GET", MG, query={"limit": 1, "continue": first["metadata"]["continue"]})
    assert r.status == 410
    st = r.json()
    assert st["reason"] == "Expired" and st["code"] == 410
    assert st["message"].startswith("The provided continue parameter is too old")
    fresh = st["metadata"]["continue"]
    tok = json.loads(base64.urlsafe_b64decode(fresh + "=" * (-len(fresh) % 4)))
    assert tok["rv"] == -1 and tok["start"] == "mg-000\u0000"
    # The inconsistent token continues from the latest state.
    rest = quiet.list("mongodbs", "demo", limit=1, **{"continue": fresh})
    assert [i["metadata"]["name"] for i in rest["items"]] == ["mg-001"]
    assert rest["metadata"]["resourceVersion"] == str(quiet.info()["resourceVersion"])


def test_negative_limit_is_ignored(quiet):
    make_dbs(quiet, 3)
    out = quiet.list("mongodbs", "demo", limit=-1)
    assert len(out["items"]) == 3 and out["metadata"]["continue"] == ""
    assert "remainingItemCount" not in out["metadata"]
    assert quiet.request("GET", MG, query={"limit": "many"}).status == 400


def test_continue_errors(kubesim):
    r = kubesim.request("GET", MG, query={"limit": 1, "continue": "garbage!"})
    assert r.status == 400 and r.json()["message"].startswith("invalid continue token: ")
    make_dbs(kubesim, 2)
    tok = kubesim.list("mongodbs", "demo", limit=1)["metadata"]["continue"]
    r = kubesim.request("GET", MG, query={"limit": 1, "continue": tok, "resourceVersion": "5"})
    assert r.status == 400
    assert r.json()["message"] == "specifying resource version is not allowed when using continue"


def test_resource_version_semantics(quiet):
    make_dbs(quiet, 4)
    # resourceVersion=0 is served "from the cache": limit is ignored.
    lst = quiet.list("mongodbs", "demo", limit=1, resourceVersion="0")
    assert len(lst["items"]) == 4 and lst["metadata"]["continue"] == ""
    r = quiet.request("GET", MG, query={"resourceVersionMatch": "Exact"})
    assert r.status == 422
    assert r.json()["details"]["causes"][0]["field"] == "resourceVersionMatch"
    rv = int(quiet.info()["resourceVersion"])
    quiet.patch("mongodbs", "demo", "mg-000", {"spec": {"replicas": 5}})
    exact = quiet.list("mongodbs", "demo", resourceVersion=str(rv), resourceVersionMatch="Exact")
    assert exact["metadata"]["resourceVersion"] == str(rv)
    assert exact["items"][0]["spec"]["replicas"] == 3
    quiet.compact()
    r = quiet.request("GET", MG, query={"resourceVersion": str(rv), "resourceVersionMatch": "Exact"})
    assert r.status == 410 and r.json()["message"] == "The resourceVersion for the provided list is too old."
    # Not-older-than an old RV is the current state.
    now = quiet.list("mongodbs", "demo", resourceVersion=str(rv))
    assert now["items"][0]["spec"]["replicas"] == 5


def test_too_large_resource_version_504(tmp_path):
    with KubeSim(tmp_path, args=["--rv-wait", "300"]) as ks:
        t0 = time.monotonic()
        r = ks.request("GET", MG, query={"resourceVersion": "100000"})
        assert time.monotonic() - t0 >= 0.25
        assert r.status == 504 and r.headers["Retry-After"] == "1"
        st = r.json()
        assert st["reason"] == "Timeout" and st["details"]["retryAfterSeconds"] == 1
        assert st["message"].startswith("Timeout: Too large resource version: 100000, current: ")
        assert st["details"]["causes"][0]["reason"] == "ResourceVersionTooLarge"


def raw_watch(ks, path):
    """Open PATH over a raw TLS socket; return (head, reader of raw bytes)."""
    s = socket.create_connection(("127.0.0.1", ks.port), timeout=10)
    s = ssl.create_default_context(cafile=str(ks.ca_file)).wrap_socket(s, server_hostname="localhost")
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ks.token}\r\n\r\n".encode())
    return s


def read_chunks(s, timeout=8):
    """Read a chunked response from S to its end: (head, [chunk payloads])."""
    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(b"0\r\n\r\n") and time.monotonic() < deadline:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    chunks = []
    while body:
        size, rest = body.split(b"\r\n", 1)
        n = int(size, 16)
        if n == 0:
            break
        chunks.append(rest[:n])
        body = rest[n + 2:]
    return head, chunks


def test_watch_framing_chunk_per_event(quiet):
    make_dbs(quiet, 1)
    rv = quiet.info()["resourceVersion"]
    s = raw_watch(quiet, f"{MG}?watch=1&resourceVersion={rv}&timeoutSeconds=2")
    wait_for(lambda: quiet.info()["watchers"] == 1, 5, "the watch to be open")
    quiet.patch("mongodbs", "demo", "mg-000", {"spec": {"replicas": 5}})
    quiet.delete("mongodbs", "demo", "mg-000")
    head, chunks = read_chunks(s)
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert b"Transfer-Encoding: chunked" in head and b"Content-Type: application/json" in head
    # Live events trickle: one event per chunk and line.
    for chunk in chunks:
        assert chunk.endswith(b"\n") and chunk.count(b"\n") == 1
    events = [json.loads(c) for c in chunks]
    assert [e["type"] for e in events] == ["MODIFIED", "DELETED"]
    assert events[1]["object"]["metadata"]["name"] == "mg-000"


def assert_packed(chunks, n):
    """A backlog of N small events went out in 2 KiB chunks cut anywhere, like Go's server."""
    body = b"".join(chunks)
    lines = body.split(b"\n")
    assert lines[-1] == b"" and len(lines) == n + 1
    assert len(body) > 4 * 2048
    assert all(len(c) == 2048 for c in chunks[:-1]) and 0 < len(chunks[-1]) <= 2048
    assert any(not c.endswith(b"\n") for c in chunks)     # events cut across chunks
    return [json.loads(line) for line in lines[:-1]]


def test_watch_backlog_packed_in_2k_chunks(quiet):
    make_dbs(quiet, 20)
    # No resourceVersion: the synthetic ADDED events are a backlog.
    s = raw_watch(quiet, f"{MG}?watch=1&timeoutSeconds=1")
    _, chunks = read_chunks(s)
    events = assert_packed(chunks, 20)
    assert [e["type"] for e in events] == ["ADDED"] * 20
    # Resuming with events queued: the same.
    rv = quiet.info()["resourceVersion"]
    for i in range(20):
        quiet.patch("mongodbs", "demo", f"mg-{i:03d}", {"spec": {"replicas": 5}})
    s = raw_watch(quiet, f"{MG}?watch=1&resourceVersion={rv}&timeoutSeconds=1")
    _, chunks = read_chunks(s)
    events = assert_packed(chunks, 20)
    assert [e["object"]["metadata"]["name"] for e in events] == [f"mg-{i:03d}" for i in range(20)]


def test_watch_initial_added_then_changes(quiet):
    make_dbs(quiet, 3)
    w = quiet.watch("mongodbs", "demo")
    assert w.status == 200
    first = w.events(3)
    assert [e["type"] for e in first] == ["ADDED"] * 3
    assert [e["object"]["metadata"]["name"] for e in first] == ["mg-000", "mg-001", "mg-002"]
    quiet.create("mongodbs", "demo", mongodb("late"))
    ev = w.next()
    assert ev["type"] == "ADDED" and ev["object"]["metadata"]["name"] == "late"
    w.close()


def test_watch_resumes_from_resource_version(quiet):
    make_dbs(quiet, 2)
    rv = quiet.list("mongodbs", "demo")["metadata"]["resourceVersion"]
    quiet.patch("mongodbs", "demo", "mg-000", {"spec": {"replicas": 5}})
    quiet.create("mongodbs", "demo", mongodb("new"))
    w = quiet.watch("mongodbs", "demo", resourceVersion=rv)
    evs = w.events(2)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in evs] == \
        [("MODIFIED", "mg-000"), ("ADDED", "new")]
    assert int(evs[0]["object"]["metadata"]["resourceVersion"]) > int(rv)
    w.close()


def test_watch_too_old_is_410_event(quiet):
    make_dbs(quiet, 1)
    rv = quiet.info()["resourceVersion"]
    for i in range(60):     # history is 50 events per resource
        quiet.patch("mongodbs", "demo", "mg-000", {"metadata": {"annotations": {"i": str(i)}}})
    w = quiet.watch("mongodbs", "demo", resourceVersion=rv)
    assert w.status == 200
    ev = w.next()
    assert ev["type"] == "ERROR"
    st = ev["object"]
    assert st["kind"] == "Status" and st["code"] == 410 and st["reason"] == "Expired"
    assert st["message"].startswith(f"too old resource version: {rv} (")
    assert w.next() is None     # the stream ends
    # A future RV is accepted and stays silent.
    w = quiet.watch("mongodbs", "demo", resourceVersion="999999", timeoutSeconds=1)
    assert w.next() is None


def expired(ks, rv):
    """The 410 ERROR event a watch from RV gets, or None if it replays."""
    w = ks.watch("mongodbs", "demo", resourceVersion=rv, timeoutSeconds=1)
    ev = w.next()
    w.close()
    return ev["object"] if ev is not None and ev["type"] == "ERROR" else None


def test_watch_from_rv_1_is_too_old_at_once(kubesim):
    # The watch cache starts with the server: an RV from before is too old, as on a
    # real cluster, even though only a few writes happened since.
    kubesim.create("mongodbs", "demo", mongodb("a"))
    st = expired(kubesim, "1")
    assert st is not None and st["code"] == 410 and st["reason"] == "Expired"
    assert st["message"].startswith("too old resource version: 1 (")


def test_watch_window_is_time_and_count(tmp_path):
    with KubeSim(tmp_path, args=["--no-operator", "--history-seconds", "3", "--history-min", "2"]) as ks:
        rv0 = ks.info()["resourceVersion"]
        t0 = time.monotonic()
        make_dbs(ks, 5)
        young = expired(ks, rv0)
        if time.monotonic() - t0 < 2.5:      # (a machine too loaded to check within the window)
            assert young is None             # young events stay, though more than 2
        rvs = [int(ks.get("mongodbs", "demo", f"mg-{i:03d}")["metadata"]["resourceVersion"]) for i in range(5)]
        # Once older than the window, events go (but the newest 2 stay): the next
        # event or watch notices.  The creates are spread in time, so wait until
        # all three older ones have aged out.
        want = f"too old resource version: {rv0} ({rvs[2]})"
        wait_for(lambda: (expired(ks, rv0) or {}).get("message") == want, 15,
                 f"the window to pass rv {rvs[2]} ({expired(ks, rv0)})")
        ev = ks.watch("mongodbs", "demo", resourceVersion=rvs[2], timeoutSeconds=1).next()
        assert ev["type"] == "ADDED" and ev["object"]["metadata"]["name"] == "mg-003"


def test_watch_bookmarks(tmp_path):
    with KubeSim(tmp_path, args=["--bookmark-interval", "1", "--no-operator"]) as ks:
        ks.create("namespaces", None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})
        ks.create("mongodbs", "demo", mongodb("a"))
        rv = ks.info()["resourceVersion"]
        # Quiet resource: no bookmark at all.
        w = ks.watch("mongodbs", "demo", resourceVersion=rv, allowWatchBookmarks="true", timeoutSeconds=3)
        assert w.next() is None
        # A change in another namespace moves the resource: bookmarks carry its RV.
        w = ks.watch("mongodbs", "demo", resourceVersion=rv, allowWatchBookmarks="true", timeoutSeconds=3)
        other = ks.create("mongodbs", "other", mongodb("b"))
        ev = w.next()
        assert ev == {"type": "BOOKMARK", "object": {"apiVersion": "kubedb.com/v1", "kind": "MongoDB",
                      "metadata": {"resourceVersion": other["metadata"]["resourceVersion"]}}}
        w.close()


def test_watch_timeout_seconds_ends_stream(quiet):
    t0 = time.monotonic()
    w = quiet.watch("mongodbs", "demo", resourceVersion=quiet.info()["resourceVersion"], timeoutSeconds=1)
    assert w.next() is None
    assert 0.9 <= time.monotonic() - t0 < 5


def test_watch_field_selector_and_label_transitions(quiet):
    make_dbs(quiet, 2)
    rv = quiet.info()["resourceVersion"]
    w = quiet.watch("mongodbs", "demo", resourceVersion=rv, labelSelector="tier=gold")
    wn = quiet.watch("mongodbs", "demo", resourceVersion=rv, fieldSelector="metadata.name=mg-001")
    quiet.patch("mongodbs", "demo", "mg-000", {"metadata": {"labels": {"tier": "gold"}}})
    quiet.patch("mongodbs", "demo", "mg-001", {"spec": {"replicas": 5}})
    quiet.patch("mongodbs", "demo", "mg-000", {"metadata": {"labels": {"tier": "silver"}}})
    a, b = w.events(2)
    assert (a["type"], a["object"]["metadata"]["name"]) == ("ADDED", "mg-000")
    assert b["type"] == "DELETED" and b["object"]["metadata"]["labels"]["tier"] == "gold"
    ev = wn.next()
    assert (ev["type"], ev["object"]["metadata"]["name"]) == ("MODIFIED", "mg-001")
    w.close()
    wn.close()


def test_watch_send_initial_events_422(kubesim):
    r = kubesim.request("GET", MG, query={"watch": "1", "sendInitialEvents": "true",
                                          "resourceVersionMatch": "NotOlderThan"})
    assert r.status == 422 and r.json()["details"]["causes"][0]["field"] == "sendInitialEvents"


def test_slow_watcher_is_dropped_server_stays_responsive(tmp_path):
    with KubeSim(tmp_path, args=["--history", "20", "--watch-buffer", "4096", "--no-operator"]) as ks:
        big = mongodb("big")
        big["metadata"]["annotations"] = {"blob": "x" * 20000}
        ks.create("mongodbs", "demo", big)
        s = raw_watch(ks, f"{MG}?watch=1&resourceVersion={ks.info()['resourceVersion']}")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        # The client never reads: once the kernel's buffers are full the watcher lags,
        # the ring (20 events) passes it by and it is dropped.
        for i in range(3000):
            ks.patch("mongodbs", "demo", "big", {"metadata": {"labels": {"i": str(i)}}})
            if i % 50 == 49 and ks.info()["watchers"] == 0:
                break
        assert ks.info()["watchers"] == 0, "the slow watcher was never dropped"
        assert ks.request("GET", "/version").status == 200
        s.close()


def test_many_watchers_all_get_the_event(quiet):
    rv = quiet.info()["resourceVersion"]
    ws = [quiet.watch("mongodbs", None, resourceVersion=rv) for _ in range(50)]
    wait_for(lambda: quiet.info()["watchers"] == 50, 5, "50 watchers")
    quiet.create("mongodbs", "demo", mongodb("fan"))
    for w in ws:
        ev = w.next()
        assert ev["type"] == "ADDED" and ev["object"]["metadata"]["name"] == "fan"
        w.close()


def test_continue_tokens_expire_on_their_own(tmp_path):
    with KubeSim(tmp_path, args=["--no-operator", "--compaction-interval", "1"]) as ks:
        make_dbs(ks, 3)
        tok = ks.list("mongodbs", "demo", limit=1)["metadata"]["continue"]
        ks.patch("mongodbs", "demo", "mg-002", {"metadata": {"labels": {"moved": "on"}}})
        wait_for(lambda: ks.request("GET", MG, query={"limit": 1, "continue": tok}).status == 410, 6,
                 "the periodic compaction to expire the token")


def test_clusters_are_independent(tmp_path):
    with KubeSim(tmp_path / "a", tls=False) as a, KubeSim(tmp_path / "b", tls=False) as b:
        assert a.port != b.port
        a.create("mongodbs", "demo", mongodb("only-in-a"))
        assert a.get("mongodbs", "demo", "only-in-a") is not None
        assert b.get("mongodbs", "demo", "only-in-a") is None
