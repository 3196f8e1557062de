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
