"""/api/v1/providers black-box: kubeconfig registration (contexts, CA data,
token, client certificate), explicit fields, write-only credentials (never in
a response or a log line), PATCH, and DELETE refused while databases use it."""
import base64
import secrets

import pytest

from api_util import V1, Api, db_body

CA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n").decode()
CERT = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n").decode()
KEY_SECRET = "KEYMATERIAL" + secrets.token_hex(12)
KEY = base64.b64encode(f"-----BEGIN EC PRIVATE KEY-----\n{KEY_SECRET}\n-----END EC PRIVATE KEY-----\n"
                       .encode()).decode()
TOKEN = "sa-token-" + secrets.token_hex(16)

KUBECONFIG = f"""
apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: prod-cluster
  cluster:
    server: https://prod.example:6443
    certificate-authority-data: {CA}
- name: dev-cluster
  cluster:
    server: https://dev.example:6443
    insecure-skip-tls-verify: true
contexts:
- name: prod
  context: {{cluster: prod-cluster, user: prod-user}}
- name: dev
  context: {{cluster: dev-cluster, user: dev-user, namespace: dev}}
users:
- name: prod-user
  user:
    token: {TOKEN}
- name: dev-user
  user:
    client-certificate-data: {CERT}
    client-key-data: {KEY}
"""

SECRETS = [TOKEN, KEY, KEY_SECRET, CERT, CA]


@pytest.fixture(scope="module")
def api(services, tmp_path_factory):
    a = Api(services, tmp_path_factory.mktemp("apiprv")).start()
    yield a
    a.stop()


def assert_no_secret(text):
    for s in SECRETS:
        assert s not in text


def test_kubeconfig_current_context(api):
    r = api.admin.post(f"{V1}/providers", {"name": "prod", "kubeconfig": KUBECONFIG})
    assert r.status == 201, r
    p = r.json
    assert p["server"] == "https://prod.example:6443" and p["auth"] == "token"
    assert p["has_ca_data"] is True and p["insecure_skip_tls_verify"] is False
    assert p["enabled"] is True
    assert "last_contact_at" in p and "circuit_state" in p
    assert_no_secret(r.text)
    doc = api.db.providers.find_one({"_id": p["id"]})
    assert doc["token"] == TOKEN and doc["ca_data"] == CA   # stored for the other roles


def test_kubeconfig_named_context_with_client_cert(api):
    r = api.admin.post(f"{V1}/providers", {"name": "dev", "kubeconfig": KUBECONFIG,
                                           "context": "dev", "qps": 20, "burst": 40})
    assert r.status == 201, r
    p = r.json
    assert p["server"] == "https://dev.example:6443" and p["auth"] == "client_certificate"
    assert p["insecure_skip_tls_verify"] is True and p["has_ca_data"] is False
    assert p["qps"] == 20 and p["burst"] == 40
    doc = api.db.providers.find_one({"_id": p["id"]})
    assert doc["client_cert"] == CERT and doc["client_key"] == KEY


@pytest.mark.parametrize("kubeconfig,context,msg", [
    (KUBECONFIG, "nope", 'no context named "nope"'),
    ("apiVersion: v1\nclusters: []\n", None, "no current-context"),
    ("just a string", None, "not a kubeconfig"),
    ("a: [unclosed", None, "YAML error"),
    (KUBECONFIG.replace("token: ", "tokenFile: "), None, "tokenFile is not supported"),
    (KUBECONFIG.replace("certificate-authority-data:", "certificate-authority:"), None,
     "certificate-authority is not supported"),
    (KUBECONFIG.replace("    token: " + TOKEN, "    exec: {command: aws}"), None,
     "exec is not supported"),
    (KUBECONFIG.replace("user: prod-user", "user: ghost"), None, "no known user"),
    (KUBECONFIG.replace(f"certificate-authority-data: {CA}", "certificate-authority-data: not-base64!"),
     None, "base64"),
])
def test_kubeconfig_rejected(api, kubeconfig, context, msg):
    body = {"name": "bad-" + secrets.token_hex(3), "kubeconfig": kubeconfig}
    if context:
        body["context"] = context
    r = api.admin.post(f"{V1}/providers", body)
    assert r.status == 422, r
    assert r.json["errors"][0]["field"] == "kubeconfig" and msg in r.json["errors"][0]["message"]
    assert_no_secret(r.text)


def test_explicit_fields(api):
    r = api.admin.post(f"{V1}/providers", {"name": "explicit", "server": "https://k:6443",
                                           "ca_data": CA, "client_cert": CERT, "client_key": KEY,
                                           "default_namespace": "dbs"})
    assert r.status == 201 and r.json["auth"] == "client_certificate"
    assert r.json["default_namespace"] == "dbs"
    assert_no_secret(r.text)


@pytest.mark.parametrize("body,field,status", [
    ({"server": "https://x"}, "name", 400),
    ({"name": "x"}, "server", 400),
    ({"name": "x", "server": "ftp://x"}, "server", 422),
    ({"name": "x", "server": "https://x", "client_cert": CERT}, "client_key", 422),
    ({"name": "x", "server": "https://x", "ca_data": "not base64!"}, "ca_data", 422),
    ({"name": "x", "kubeconfig": KUBECONFIG, "server": "https://x"}, "server", 422),
    ({"name": "x", "server": "https://x", "context": "c"}, "context", 422),
    ({"name": "x", "server": "https://x", "qps": 0}, "qps", 422),
    ({"name": "x", "server": "https://x", "burst": 1.5}, "burst", 400),
    ({"name": "x", "server": "https://x", "token": 5}, "token", 400),
    ({"name": "Bad Name", "server": "https://x"}, "name", 422),
    ({"name": "x", "server": "https://x", "password": "p"}, "password", 400),
])
def test_provider_validation(api, body, field, status):
    r = api.admin.post(f"{V1}/providers", body)
    assert r.status == status and r.json["errors"][0]["field"] == field, r


def test_duplicate_name_is_409(api):
    assert api.admin.post(f"{V1}/providers", {"name": "twice", "server": "https://a"}).status == 201
    assert api.admin.post(f"{V1}/providers", {"name": "twice", "server": "https://b"}).status == 409


def test_get_list_patch(api):
    p = api.provider(token=TOKEN)
    r = api.admin.get(f"{V1}/providers/{p['id']}")
    assert r.status == 200 and r.json["id"] == p["id"]
    assert p["id"] in [x["id"] for x in api.admin.get(f"{V1}/providers?limit=500").json["items"]]
    r = api.admin.patch(f"{V1}/providers/{p['id']}", {"qps": 50, "enabled": False})
    assert r.status == 200 and r.json["qps"] == 50 and r.json["enabled"] is False
    r = api.admin.patch(f"{V1}/providers/{p['id']}", {"kubeconfig": KUBECONFIG})
    assert r.status == 200 and r.json["server"] == "https://prod.example:6443"
    assert api.admin.patch(f"{V1}/providers/{p['id']}", {}).status == 422
    assert api.admin.get(f"{V1}/providers/prv-01JD0000000000000000000000").status == 404
    for resp in (api.admin.get(f"{V1}/providers?limit=500"), r):
        assert_no_secret(resp.text)


def test_delete_refused_while_used(api):
    p = api.provider()["id"]
    t, _ = api.tenant("prvuser")
    d = t.post(f"{V1}/databases", db_body(p)).json
    assert api.admin.delete(f"{V1}/providers/{p}").status == 409
    api.db.databases.update_one({"_id": d["id"]}, {"$set": {"deleted": True}})
    assert api.admin.delete(f"{V1}/providers/{p}").status == 204
    assert api.admin.get(f"{V1}/providers/{p}").status == 404


def test_no_credential_in_any_log_line(api):
    """Run last in this module: every request above is in the log by now."""
    text = api.log_text()
    assert "provider_created" in text
    assert_no_secret(text)
