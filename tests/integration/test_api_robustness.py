"""Hostile and broken requests get 4xx, never 5xx or a crash: oversized,
truncated, non-UTF-8, deeply nested and mistyped bodies, wrong media types,
huge headers, slow clients."""
import socket
import time

import pytest

from api_util import V1, Api, db_body


@pytest.fixture(scope="module")
def api(services, tmp_path_factory):
    a = Api(services, tmp_path_factory.mktemp("apirob"), {
        "api.max_body_bytes": 4096, "api.max_header_bytes": 4096,
        "api.request_timeout_ms": 1000}).start()
    a.t, _ = a.tenant("robust")
    a.prv = a.provider()["id"]
    yield a
    a.stop()


def post_raw(api, raw, ctype="application/json", path=f"{V1}/databases"):
    return api.t.request("POST", path, raw=raw, headers={"Content-Type": ctype})


@pytest.mark.parametrize("raw,msg", [
    (b"", "empty body"),
    (b'{"name": "x", "engine": ', "malformed JSON"),
    (b'{"name": "\xff\xfe"}', "not valid UTF-8"),
    (b'{"name": "\xc0\xaf"}', "not valid UTF-8"),
    (b'{"name": "a\x00b"}', "not valid UTF-8"),
    (b"[" * 100 + b"]" * 100, "nested deeper"),
    (b'{"a":' * 60 + b"1" + b"}" * 60, "nested deeper"),
    (b"[1, 2, 3]", "JSON object"),
    (b'"just a string"', "JSON object"),
    (b"{} {}", "unexpected data"),
    (b"{'single': 'quotes'}", "malformed JSON"),
])
def test_broken_bodies_are_400(api, raw, msg):
    r = post_raw(api, raw)
    assert r.status == 400, r
    assert msg in r.json["detail"], r.json


def test_oversized_body_is_413_problem(api):
    body = b'{"name": "' + b"a" * 5000 + b'"}'
    r = post_raw(api, body)
    assert r.status == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json["detail"] == f"the body has {len(body)} bytes; api.max_body_bytes is 4096"
    assert r.headers["x-request-id"]
    r = post_raw(api, b'{"name": "' + b"a" * 4080 + b'"}')   # 4092 bytes: read and validated
    assert r.status == 400 and r.json["detail"] == "engine: required", r


def test_far_oversized_body_is_refused_unread(api):
    # beyond twice the limit libevent refuses it before reading (its own 413 page)
    r = post_raw(api, b'{"name": "' + b"a" * 12000 + b'"}')
    assert r.status == 413
    assert api.anon.get("/health").status == 200


def test_wrong_content_type_is_415(api):
    for ct in ("text/plain", "application/x-www-form-urlencoded", "application/jsonx"):
        r = post_raw(api, b"{}", ctype=ct)
        assert r.status == 415, (ct, r)
    r = api.t.request("POST", f"{V1}/databases", raw=b"{}")
    assert r.status == 415


def test_charset_parameter_is_fine(api):
    import json
    raw = json.dumps(db_body(api.prv)).encode()
    r = post_raw(api, raw, ctype="application/json; charset=utf-8")
    assert r.status == 201, r


def test_big_numbers_and_odd_values(api):
    import json
    for over in ({"replicas": 1e300}, {"storage_gb": -1e20}, {"replicas": 9007199254740993},
                 {"name": "x" * 3000}, {"replicas": [3]}, {"size": {"a": 1}}):
        r = post_raw(api, json.dumps(db_body(api.prv, **over)).encode())
        assert 400 <= r.status < 500, (over, r)


def test_huge_header_is_rejected(api):
    r = api.t.request("GET", f"{V1}/databases", headers={"X-Filler": "a" * 8000})
    assert 400 <= r.status < 500


def raw_exchange(port, data, wait=2.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=wait)
    try:
        s.sendall(data)
        chunks = []
        t0 = time.monotonic()
        while time.monotonic() - t0 < wait:
            try:
                c = s.recv(65536)
            except socket.timeout:
                break
            if not c:
                break
            chunks.append(c)
        return b"".join(chunks)
    finally:
        s.close()


def test_garbage_request_line(api):
    out = raw_exchange(api.port, b"\x00\x01\x02 garbage\r\n\r\n")
    assert out == b"" or out.startswith(b"HTTP/1.1 4")


def test_truncated_body_times_out_without_harm(api):
    req = (f"POST {V1}/databases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {api.t.key}\r\n"
           "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\":").encode()
    out = raw_exchange(api.port, req, wait=3.0)
    assert b" 5" not in out[:12]        # closed or 4xx, never a 5xx
    assert api.t.get(f"{V1}/databases").status == 200   # the server is fine


def test_no_5xx_was_ever_sent(api):
    """Run last: the whole module's requests are in the log."""
    codes = [e.get("status") for e in api.d.events() if e.get("event") == "http_request"]
    assert codes and not [c for c in codes if c.startswith("5")]
    assert api.d.proc.poll() is None
