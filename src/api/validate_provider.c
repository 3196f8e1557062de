/*
 * validate_provider — POST/PATCH /providers bodies (see validate.h).
 *
 * A provider's connection comes either from a kubeconfig (plus an optional
 * context) or from explicit fields, never a mix: a half-kubeconfig,
 * half-explicit registration would be impossible to reason about later.  A
 * PATCH that touches the connection replaces it as a whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/validate.h"

static const char *const conn_keys[] = { "server", "ca_data", "token", "client_cert",
	"client_key", "insecure_skip_tls_verify", NULL };

/* Unknown keys and JSON types. */
static int
shape(const cJSON *body, struct api_verr *e)
{
	static const char *const keys[] = { "name", "kubeconfig", "context", "server", "ca_data",
		"token", "client_cert", "client_key", "default_namespace", "insecure_skip_tls_verify",
		"enabled", "qps", "burst", NULL };
	static const enum api_ftype types[] = { API_FT_STR, API_FT_STR, API_FT_STR, API_FT_STR,
		API_FT_STR, API_FT_STR, API_FT_STR, API_FT_STR, API_FT_STR, API_FT_BOOL, API_FT_BOOL,
		API_FT_NUM, API_FT_INT };

	return api_val_shape(body, keys, types, e) != 0 ? -1 : 0;
}

static int
url_ok(const char *s)
{
	size_t n = strlen(s);
	const char *host;

	if (n > 2048)
		return 0;
	if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else
		return 0;
	if (*host == '\0' || *host == '/')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 0;
	return 1;
}

static int
token_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 16384)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* The field an error is reported on: the kubeconfig as a whole, or FIELD. */
static const char *
where(const char *from, const char *field)
{
	return from[0] != '\0' ? from : field;
}

/* Check a connection (from either source); FROM is "kubeconfig" or "". */
static void
check_conn(const struct api_kubeconn *c, const char *from, struct api_verr *e)
{
	if (!url_ok(c->server))
		api_verr_add(e, 422, where(from, "server"), "the server must be an http:// or https:// URL");
	if (c->ca_data != NULL && !api_base64_valid(c->ca_data))
		api_verr_add(e, 422, where(from, "ca_data"), "the CA data must be base64 (of PEM)");
	if (c->client_cert != NULL && !api_base64_valid(c->client_cert))
		api_verr_add(e, 422, where(from, "client_cert"), "the client certificate must be base64");
	if (c->client_key != NULL && !api_base64_valid(c->client_key))
		api_verr_add(e, 422, where(from, "client_key"), "the client key must be base64");
	if ((c->client_cert == NULL) != (c->client_key == NULL))
		api_verr_add(e, 422, where(from, "client_key"),
		    "a client certificate and a client key go together");
	if (c->token != NULL && !token_ok(c->token))
		api_verr_add(e, 422, where(from, "token"),
		    "the token must be 1 to 16384 printable characters");
}

static char *
dup_str(const cJSON *body, const char *key)
{
	const cJSON *it = api_val_field(body, key);

	return it != NULL ? strdup(it->valuestring) : NULL;
}

static void
conn_from_fields(const cJSON *body, struct api_provider_spec *o, struct api_verr *e)
{
	const cJSON *ins = api_val_field(body, "insecure_skip_tls_verify");

	o->conn.server = dup_str(body, "server");
	o->conn.ca_data = dup_str(body, "ca_data");
	o->conn.token = dup_str(body, "token");
	o->conn.client_cert = dup_str(body, "client_cert");
	o->conn.client_key = dup_str(body, "client_key");
	o->conn.insecure = ins != NULL && cJSON_IsTrue(ins);
	if (o->conn.server == NULL) {
		api_verr_add(e, 422, "server", "required with explicit connection fields "
		    "(or give a kubeconfig)");
		return;
	}
	check_conn(&o->conn, "", e);
}

static void
conn_from_kubeconfig(const cJSON *body, struct api_provider_spec *o, struct api_verr *e)
{
	const char *text = api_val_field(body, "kubeconfig")->valuestring;
	const cJSON *ctx = api_val_field(body, "context");
	char err[256];

	for (const char *const *k = conn_keys; *k != NULL; k++)
		if (api_val_field(body, *k) != NULL)
			api_verr_add(e, 422, *k, "cannot be combined with kubeconfig");
	if (e->errors != NULL)
		return;
	if (api_kubeconfig_parse(text, strlen(text), ctx != NULL ? ctx->valuestring : NULL,
	    &o->conn, err, sizeof(err)) != 0) {
		api_verr_add(e, 422, "kubeconfig", "%s", err);
		return;
	}
	check_conn(&o->conn, "kubeconfig", e);
}

static void
check_scalars(const cJSON *body, struct api_provider_spec *o, struct api_verr *e)
{
	const cJSON *it;

	if ((it = api_val_field(body, "name")) != NULL) {
		o->set |= PRF_NAME;
		o->name = it->valuestring;
		if (!api_dns_label(o->name, API_NS_MAX))
			api_verr_add(e, 422, "name", "must be a DNS-1123 label of at most %d characters",
			    API_NS_MAX);
	}
	if ((it = api_val_field(body, "default_namespace")) != NULL) {
		o->set |= PRF_NAMESPACE;
		o->default_namespace = it->valuestring;
		if (o->default_namespace[0] != '\0' && !api_dns_label(o->default_namespace, API_NS_MAX))
			api_verr_add(e, 422, "default_namespace",
			    "must be empty or a DNS-1123 label of at most %d characters", API_NS_MAX);
	}
	if ((it = api_val_field(body, "qps")) != NULL) {
		o->set |= PRF_QPS;
		o->qps = it->valuedouble;
		if (!(o->qps >= 0.1 && o->qps <= 10000))
			api_verr_add(e, 422, "qps", "must be between 0.1 and 10000");
	}
	if ((it = api_val_field(body, "burst")) != NULL) {
		o->set |= PRF_BURST;
		o->burst = (int64_t)it->valuedouble;
		if (o->burst < 1 || o->burst > 10000)
			api_verr_add(e, 422, "burst", "must be between 1 and 10000");
	}
	if ((it = api_val_field(body, "enabled")) != NULL) {
		o->set |= PRF_ENABLED;
		o->enabled = cJSON_IsTrue(it);
	}
}

static int
any_conn_field(const cJSON *body)
{
	for (const char *const *k = conn_keys; *k != NULL; k++)
		if (api_val_field(body, *k) != NULL)
			return 1;
	return 0;
}

int
api_val_provider(const cJSON *body, int patch, struct api_provider_spec *o, struct api_verr *e)
{
	memset(o, 0, sizeof(*o));
	if (shape(body, e) != 0)
		return -1;
	if (!patch && api_val_field(body, "name") == NULL)
		api_verr_add(e, 400, "name", "required");
	if (!patch && api_val_field(body, "kubeconfig") == NULL && api_val_field(body, "server") == NULL)
		api_verr_add(e, 400, "server", "required (or give a kubeconfig)");
	if (e->errors != NULL)
		return -1;
	check_scalars(body, o, e);
	if (api_val_field(body, "context") != NULL && api_val_field(body, "kubeconfig") == NULL)
		api_verr_add(e, 422, "context", "only meaningful with kubeconfig");
	else if (api_val_field(body, "kubeconfig") != NULL) {
		o->set |= PRF_CONN;
		conn_from_kubeconfig(body, o, e);
	} else if (any_conn_field(body)) {
		o->set |= PRF_CONN;
		conn_from_fields(body, o, e);
	}
	if (patch && o->set == 0 && e->errors == NULL)
		api_verr_add(e, 422, "", "nothing to change");
	return e->errors != NULL ? -1 : 0;
}

void
api_provider_spec_free(struct api_provider_spec *p)
{
	api_kubeconn_free(&p->conn);
}
