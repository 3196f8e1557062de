"""What outside fuzzing and abuse found (issue 16), one test per finding:
escaped NULs, huge numbers, HTTP framing, lock-out, replies that are always
valid, If-Match and strict JSON, slow clients, and an OpenAPI document that
says exactly what the server checks."""
import json
import socket
import time

import pytest

from api_util import V1, Api, db_body


@pytest.fixture(scope="module")
def api(services, tmp_path_factory):
    a = Api(services, tmp_path_factory.mktemp("apihard"), {
        "api.request_timeout_ms": 1500}).start()
    a.t, _ = a.tenant("hard")
    a.prv = a.provider()["id"]
    yield a
    a.stop()


def post_raw(client, raw, ctype="application/json", path=f"{V1}/databases"):
    return client.request("POST", path, raw=raw, headers={"Content-Type": ctype})


def raw_exchange(port, data, wait=2.0):
    """Send DATA on a new connection; everything read until close or WAIT."""
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


# ---- 1: an escaped NUL never becomes the end of a stored string ----

def test_escaped_nul_in_body_is_400_naming_the_field(api):
    raw = json.dumps(db_body(api.prv, name="ab\u0000cd")).encode()
    assert b"\\u0000" in raw
    r = post_raw(api.t, raw)
    assert r.status == 400, r
    assert r.json["errors"][0]["field"] == "name", r.json
    assert api.t.get(f"{V1}/databases?name=ab").json["items"] == []
    r = api.admin.post(f"{V1}/api-keys", {"role": "tenant", "tenant": "acme\u0000evil"})
    assert r.status == 400 and r.json["errors"][0]["field"] == "tenant", r


def test_escaped_nul_in_query_is_400_naming_the_parameter(api):
    r = api.t.get(f"{V1}/databases?name=x%00junk")
    assert r.status == 400 and r.json["errors"][0]["field"] == "name", r
    r = api.t.get(f"{V1}/databases?limit=1%00")
    assert r.status == 400 and r.json["errors"][0]["field"] == "limit", r


# ---- 2: numbers beyond int64 are a 400, not undefined behaviour ----

@pytest.mark.parametrize("num", [b"1e400", b"1e19", b"-1e19", b"9223372036854775807",
                                 b"-9223372036854775809", b"1e308"])
def test_huge_integers_are_400(api, num):
    body = json.dumps(db_body(api.prv, storage_gb=0)).encode().replace(
        b'"storage_gb": 0', b'"storage_gb": ' + num)
    r = post_raw(api.t, body)
    assert r.status == 400 and r.json["errors"][0]["field"] == "storage_gb", r
    r = api.admin.patch(f"{V1}/providers/{api.prv}", raw=b'{"burst": ' + num + b"}",
                        headers={"Content-Type": "application/json"})
    assert r.status == 400 and r.json["errors"][0]["field"] == "burst", r
    assert api.anon.get("/health").status == 200


# ---- 6: RFC 8259 JSON only, UTF-8 only, If-Match by RFC 9110 ----

@pytest.mark.parametrize("raw,field", [
    (b'{"storage_gb": 1.}', "storage_gb"),
    (b'{"storage_gb": 00003}', "storage_gb"),
    (b'{"storage_gb": +3}', "storage_gb"),
    (b'\xef\xbb\xbf{}', ""),
])
def test_json_that_is_not_rfc8259_is_400(api, raw, field):
    r = post_raw(api.t, raw)
    assert r.status == 400, r
    assert r.json["errors"][0]["field"] == field, r.json


def test_charset_other_than_utf8_is_415(api):
    raw = json.dumps(db_body(api.prv)).encode()
    for ct in ("application/json; charset=iso-8859-1", "application/json;charset=utf-16",
               'application/json; charset="latin1"'):
        r = post_raw(api.t, raw, ctype=ct)
        assert r.status == 415, (ct, r)
    r = post_raw(api.t, raw, ctype='application/json; charset="UTF-8"')
    assert r.status == 201, r


def test_if_match_is_strong_and_takes_lists(api):
    r = api.t.post(f"{V1}/databases", db_body(api.prv))
    assert r.status == 201, r
    url = f"{V1}/databases/{r.json['id']}"
    etag = r.headers["etag"]
    r = api.t.patch(url, {"size": "db.t3.large"}, headers={"If-Match": "W/" + etag})
    assert r.status == 412, r
    r = api.t.patch(url, {"size": "db.t3.large"}, headers={"If-Match": f'"nope", {etag}'})
    assert r.status == 200, r
    etag = r.headers["etag"]
    r = api.t.patch(url, {"size": "db.t3.small"}, headers={"If-Match": '"1", "x"'})
    assert r.status == 412, r
    r = api.t.delete(url, headers={"If-Match": "1"})
    assert r.status == 400 and r.json["errors"][0]["field"] == "If-Match", r
    r = api.t.delete(url, headers={"If-Match": f"W/{etag}"})
    assert r.status == 412, r
    r = api.t.delete(url, headers={"If-Match": etag})
    assert r.status == 202, r


# ---- 3: HTTP framing that two parsers could read differently is a 400 ----

def head_and_json(out):
    """Status line, header dict and JSON body of the first reply in OUT."""
    head, _, rest = out.partition(b"\r\n\r\n")
    lines = head.decode("latin1").split("\r\n")
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hdrs.setdefault(k.strip().lower(), v.strip())
    n = int(hdrs.get("content-length", "0"))
    return lines[0], hdrs, json.loads(rest[:n]) if n else None, rest[n:]


def framed(api, headers, body=b"{}", trailer=b""):
    h = "".join(f"{k}: {v}\r\n" if k else v for k, v in headers)
    req = (f"POST {V1}/api-keys HTTP/1.1\r\nAuthorization: Bearer {api.admin_key}\r\n"
           f"Content-Type: application/json\r\n{h}\r\n").encode() + body + trailer
    return raw_exchange(api.port, req, wait=1.5)


SMUGGLED = f"GET {V1}/api-keys HTTP/1.1\r\nHost: x\r\n\r\n".encode()


@pytest.mark.parametrize("headers,body", [
    ([("Host", "x"), ("Content-Length", "2"), ("Content-Length", "30")], b"{}"),
    ([("Host", "x"), ("Content-Length", "+2")], b"{}"),
    ([("Host", "x"), ("", "Transfer-Encoding : chunked\r\n")], b"2\r\n{}\r\n0\r\n\r\n"),
    ([("Host", "x"), ("Transfer-Encoding", "gzip, chunked"), ("Content-Length", "2")], b"{}"),
    ([("Host", "x"), ("Transfer-Encoding", "gzip")], b"{}"),
    ([("Host", "x"), ("Transfer-Encoding", "chunked"), ("Content-Length", "2")],
     b"2\r\n{}\r\n0\r\n\r\n"),
    ([("Content-Length", "2")], b"{}"),
    ([("Host", "x"), ("Host", "y"), ("Content-Length", "2")], b"{}"),
    ([("Host", "x"), ("Authorization", "Bearer nope"), ("Content-Length", "2")], b"{}"),
])
def test_ambiguous_framing_is_400_and_closes(api, headers, body):
    out = framed(api, headers, body, SMUGGLED)
    head, _, _ = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 Bad Request"), out
    if b"text/html" in head:
        # libevent refuses Transfer-Encoding with Content-Length itself, with its own page
        assert {"Transfer-Encoding", "Content-Length"} <= {k for k, _ in headers}
        return
    status, hdrs, doc, rest = head_and_json(out)
    assert hdrs["content-type"] == "application/problem+json"
    assert hdrs.get("connection") == "close"
    assert rest == b"", "a request smuggled behind the body was answered"


def test_well_framed_requests_still_work(api):
    body = b'{"role": "tenant", "tenant": "framing"}'
    out = framed(api, [("Host", "x"), ("Transfer-Encoding", "chunked"), ("Connection", "close")],
                 b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
    assert out.startswith(b"HTTP/1.1 201"), out
    out = raw_exchange(api.port, b"GET /health HTTP/1.0\r\n\r\n")   # 1.0 may omit Host
    assert out.startswith(b"HTTP/1.0 200"), out


# ---- 5: every reply is valid: UTF-8 messages, problem+json for any method, HEAD ----

def test_quoted_input_is_cut_on_a_character_boundary(api):
    r = api.t.post(f"{V1}/databases", db_body(api.prv, engine="a" * 39 + "\u00e9" * 5))
    assert r.status == 422, r
    r.raw.decode("utf-8")                       # strict: raises on a cut character
    assert r.json["errors"][0]["field"] == "engine"


@pytest.mark.parametrize("method,status", [("TRACE", 405), ("CONNECT", 405), ("PUT", 405),
                                           ("OPTIONS", 405), ("FOO", 405), ("BREW", 405)])
def test_other_methods_get_problem_json_with_allow(api, method, status):
    out = raw_exchange(api.port, f"{method} /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    line, hdrs, doc, _ = head_and_json(out)
    assert line.split(" ")[1] == str(status), out
    assert hdrs["content-type"] == "application/problem+json"
    assert hdrs["allow"] == "GET, HEAD"
    assert doc["status"] == status


def test_head_is_get_without_a_body(api):
    for path in ("/health", f"{V1}/databases"):
        g = api.t.get(path)
        out = raw_exchange(api.port, (f"HEAD {path} HTTP/1.1\r\nHost: x\r\n"
                                      f"Authorization: Bearer {api.t.key}\r\n\r\n").encode()
                           + b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        head, _, rest = out.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), out
        assert b"content-type: application/json" in head.lower()
        assert rest.startswith(b"HTTP/1.1 200"), "HEAD sent a body"
        if path == "/health":
            continue
        assert f"content-length: {len(g.raw)}".encode() in head.lower()
    r = api.t.request("POST", f"{V1}/databases/x/pause")
    assert r.status in (404, 415)
    r = api.t.request("HEAD", f"{V1}/operations/op-nope")
    assert r.status == 404 and r.raw == b""
    r = api.t.request("DELETE", f"{V1}/operations")
    assert r.status == 405 and r.headers["allow"] == "GET, HEAD"


# ---- 4: the API cannot lock its admins out ----

def admins(api):
    return sorted(d["_id"] for d in api.db.api_keys.find({"role": "admin"}))


def new_admin(api, client):
    r = client.post(f"{V1}/api-keys", {"role": "admin", "name": "extra"})
    assert r.status == 201, r
    return client.with_key(r.json["key"]), r.json["id"]


def key_id(api, client):
    return key_hash_id(api, client), None


def test_a_key_cannot_delete_itself(api):
    me, _ = key_id(api, api.admin)
    r = api.admin.delete(f"{V1}/api-keys/{me}")
    assert r.status == 409 and "itself" in r.json["detail"], r
    assert api.admin.get(f"{V1}/api-keys").status == 200
    other, oid = new_admin(api, api.admin)
    assert other.delete(f"{V1}/api-keys/{oid}").status == 409
    assert api.admin.delete(f"{V1}/api-keys/{oid}").status == 204
    assert other.get(f"{V1}/api-keys").status == 401
    tc, tinfo = api.tenant("gone")
    assert api.admin.delete(f"{V1}/api-keys/{tinfo['id']}").status == 204


@pytest.fixture(scope="module")
def api2(services, tmp_path_factory):
    a = Api(services, tmp_path_factory.mktemp("apihard2"), {
        "api.processes": 2, "api.key_cache_ttl_ms": 60000}).start()
    a.holder = a.admin          # a client whose admin key exists
    yield a
    a.stop()


def test_concurrent_deletes_of_the_last_two_admin_keys(api2):
    """Two admins delete each other at the same moment, round after round, on two
    API processes: never do both win, and an admin key is always left."""
    import threading
    a = api2
    holder = a.holder
    for rnd in range(12):
        hid = key_hash_id(a, holder)
        x, xid = new_admin(a, holder)
        for id_ in admins(a):
            if id_ not in (hid, xid):
                assert holder.delete(f"{V1}/api-keys/{id_}").status == 204
        assert admins(a) == sorted([hid, xid])
        c_h, c_x = holder.with_key(holder.key), x.with_key(x.key)
        assert c_h.get(f"{V1}/api-keys").status == c_x.get(f"{V1}/api-keys").status == 200
        go = threading.Barrier(2)
        out = {}

        def run(name, c, target):
            go.wait()
            out[name] = c.delete(f"{V1}/api-keys/{target}").status

        ts = [threading.Thread(target=run, args=("h", c_h, xid)),
              threading.Thread(target=run, args=("x", c_x, hid))]
        [t.start() for t in ts]
        [t.join(10) for t in ts]
        left = admins(a)
        assert len(left) == 1 and list(out.values()).count(204) == 1, (rnd, out, left)
        holder = c_h if hid in left else c_x
    a.holder = holder


def test_the_last_admin_key_cannot_be_deleted(api2):
    a = api2
    me = key_hash_id(a, a.holder)
    other, oid = new_admin(a, a.holder)
    assert other.get(f"{V1}/api-keys").status == 200     # verified and cached
    # Behind every cache's back, as a concurrent delete would: only OTHER's key is left.
    a.db.api_keys.delete_one({"_id": me})
    r = a.holder.delete(f"{V1}/api-keys/{oid}")
    assert r.status in (409, 401), r
    if r.status == 409:
        assert "last admin key" in r.json["detail"], r
    assert admins(a) == [oid]
    listed = other.get(f"{V1}/api-keys?limit=500").json["items"]
    assert all(k["id"].startswith("key-") for k in listed)


def key_hash_id(api, client):
    import hashlib
    d = api.db.api_keys.find_one({"hash": hashlib.sha256(client.key.encode()).hexdigest()})
    return d["_id"] if d else None


# ---- 7: a whole request must arrive within api.request_timeout_ms ----

def trickle(port, data, every, limit):
    """Send DATA a byte at a time; seconds until the server closed, or None."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    t0 = time.monotonic()
    try:
        for b in data:
            try:
                s.sendall(bytes([b]))
            except OSError:
                return time.monotonic() - t0
            time.sleep(every)
            s.setblocking(False)
            try:
                if s.recv(4096) == b"":
                    return time.monotonic() - t0
            except BlockingIOError:
                pass
            except OSError:
                return time.monotonic() - t0
            finally:
                s.setblocking(True)
            if time.monotonic() - t0 > limit:
                return None
        return None
    finally:
        s.close()


def test_a_trickling_client_is_cut_at_the_deadline(api):
    req = b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 200 + b"\r\n\r\n"
    took = trickle(api.port, req, 0.1, 8.0)      # api.request_timeout_ms is 1500
    assert took is not None, "a client sending a byte every 100 ms kept its connection"
    assert 1.4 <= took < 3.5, took
    assert api.anon.get("/health").status == 200


def test_keep_alive_is_not_cut_by_the_deadline(api):
    c = api.t.with_key(api.t.key)
    assert c.get("/health").status == 200
    time.sleep(1.0)                      # idle, but within the inactivity limit
    conn = c.conn
    assert c.get("/health").status == 200 and c.conn is conn
    time.sleep(1.0)                      # and again: the deadline restarted per request
    assert c.get("/health").status == 200 and c.conn is conn


def test_a_body_libevent_does_not_read_closes_the_connection(api):
    """libevent reads no body for HEAD, TRACE or unknown methods: the announced
    bytes must not run as the next request."""
    for method in ("FOO", "TRACE", "HEAD"):
        out = raw_exchange(api.port, (f"{method} /health HTTP/1.1\r\nHost: x\r\n"
                                      f"Content-Length: {len(SMUGGLED)}\r\n\r\n").encode()
                           + SMUGGLED)
        assert out.count(b"HTTP/1.1 ") == 1, out
        assert b"connection: close" in out.lower(), out


# ---- 8: the OpenAPI document says exactly what the server checks ----

def op_param(doc, path, method, name):
    for p in doc["paths"][path][method].get("parameters", []):
        if p.get("name") == name:
            return p["schema"]
    raise KeyError(name)


def test_openapi_states_the_checks_and_codes(api):
    import re
    doc = api.anon.get("/openapi.json").json
    s = doc["components"]["schemas"]
    # An empty cursor is refused, and the document says so.
    assert api.t.get(f"{V1}/databases?cursor=").status == 400
    for path in ("/api/v1/databases", "/api/v1/operations", "/api/v1/api-keys",
                 "/api/v1/providers", "/api/v1/databases/{id}/events"):
        assert op_param(doc, path, "get", "cursor")["minLength"] == 1
    # Idempotency-Key: 1 to 255 printable ASCII characters.
    for path in ("/api/v1/databases", "/api/v1/databases/{id}/pause",
                 "/api/v1/databases/{id}/resume", "/api/v1/operations/{id}/retry"):
        k = op_param(doc, path, "post", "Idempotency-Key")
        assert (k["minLength"], k["maxLength"]) == (1, 255)
        assert re.fullmatch(k["pattern"], "abc-1 ~") and not re.fullmatch(k["pattern"], "\u00e9")
        assert "422" in doc["paths"][path]["post"]["responses"], path
    r = api.t.post(f"{V1}/databases/db-01M8VYQ84QCQQ0HV6HG4V23GA6/pause", {},
                   headers={"Idempotency-Key": "\u00e9".encode().decode("latin1")})
    assert r.status == 400
    # Names, ranges.
    name = s["DatabaseCreate"]["properties"]["name"]
    assert name["maxLength"] == 40 and re.fullmatch(name["pattern"], "a-1")
    assert not re.fullmatch(name["pattern"], "-a")
    for k in ("DatabaseCreate", "DatabasePatch"):
        sg = s[k]["properties"]["storage_gb"]
        assert (sg["minimum"], sg["maximum"]) == (1, 65536)
        assert s[k]["properties"]["replicas"]["minimum"] == 1
    assert s["ApiKeyCreate"]["properties"]["name"]["maxLength"] == 100
    assert s["ApiKeyCreate"]["properties"]["tenant"]["pattern"] == name["pattern"]
    # Codes the server sends.
    assert {"400", "412"} <= set(doc["paths"]["/api/v1/databases/{id}"]["delete"]["responses"])
    assert "409" in doc["paths"]["/api/v1/api-keys/{id}"]["delete"]["responses"]
