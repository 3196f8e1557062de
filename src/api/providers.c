/*
 * providers — /api/v1/providers (admin): the Kubernetes clusters databases
 * run on.
 *
 * Credentials (token, client key and certificate, CA data) are write-only:
 * they are stored for the reconciler and workers, and no response, log line
 * or error message ever carries them; a provider is shown with the kind of
 * authentication it uses instead.  last_contact_at and circuit_state are
 * written by the roles that talk to the cluster and shown as they are
 * (null until then).
 */
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "api/validate.h"
#include "common/clock.h"
#include "common/log.h"

static const char *const shown[] = { "id", "name", "server", "default_namespace", "qps",
	"burst", "enabled", "insecure_skip_tls_verify", "last_contact_at", "circuit_state",
	"created_at", "updated_at", NULL };

static int
has(const bson_t *doc, const char *key)
{
	const char *s = api_bson_str(doc, key);

	return s != NULL && s[0] != '\0';
}

static cJSON *
render_provider(const bson_t *doc)
{
	cJSON *o = api_bson_fields(doc, shown);

	cJSON_AddStringToObject(o, "auth", has(doc, "client_key") ? "client_certificate" :
	    has(doc, "token") ? "token" : "none");
	cJSON_AddBoolToObject(o, "has_ca_data", has(doc, "ca_data"));
	return o;
}

static void
append_str_or_null(bson_t *b, const char *key, const char *v)
{
	if (v != NULL)
		BSON_APPEND_UTF8(b, key, v);
	else
		BSON_APPEND_NULL(b, key);
}

/* The connection and settings of SPEC as $set fields. */
static void
spec_fields(const struct api_provider_spec *s, bson_t *b)
{
	if (s->set & PRF_NAME)
		BSON_APPEND_UTF8(b, "name", s->name);
	if (s->set & PRF_CONN) {
		BSON_APPEND_UTF8(b, "server", s->conn.server);
		append_str_or_null(b, "ca_data", s->conn.ca_data);
		append_str_or_null(b, "token", s->conn.token);
		append_str_or_null(b, "client_cert", s->conn.client_cert);
		append_str_or_null(b, "client_key", s->conn.client_key);
		BSON_APPEND_BOOL(b, "insecure_skip_tls_verify", s->conn.insecure);
	}
	if (s->set & PRF_NAMESPACE)
		BSON_APPEND_UTF8(b, "default_namespace", s->default_namespace);
	if (s->set & PRF_QPS)
		BSON_APPEND_DOUBLE(b, "qps", s->qps);
	if (s->set & PRF_BURST)
		BSON_APPEND_INT64(b, "burst", s->burst);
	if (s->set & PRF_ENABLED)
		BSON_APPEND_BOOL(b, "enabled", s->enabled);
}

static bson_t *
new_provider(const struct api_provider_spec *s, const char *id)
{
	int64_t now = clk_wall_ms();
	bson_t *d = BCON_NEW("_id", BCON_UTF8(id));

	spec_fields(s, d);
	if (!(s->set & PRF_NAMESPACE))
		BSON_APPEND_UTF8(d, "default_namespace", "");
	if (!(s->set & PRF_QPS))
		BSON_APPEND_NULL(d, "qps");	/* null: kube.qps applies */
	if (!(s->set & PRF_BURST))
		BSON_APPEND_NULL(d, "burst");
	if (!(s->set & PRF_ENABLED))
		BSON_APPEND_BOOL(d, "enabled", true);
	BSON_APPEND_NULL(d, "last_contact_at");
	BSON_APPEND_NULL(d, "circuit_state");
	BSON_APPEND_DATE_TIME(d, "created_at", now);
	BSON_APPEND_DATE_TIME(d, "updated_at", now);
	return d;
}

void
api_prv_create(struct api_req *q)
{
	struct api_verr e = { 0 };
	struct api_provider_spec s;
	char id[ID_MAX], loc[128];
	bson_t *doc;
	cJSON *body;
	int rc;

	if (!api_idem_begin(q) || (body = api_body_json(q, 0)) == NULL)
		return;
	if (api_val_provider(body, 0, &s, &e) != 0) {
		api_reply_verr(q, &e);
	} else {
		id_new("prv-", id, sizeof(id));
		doc = new_provider(&s, id);
		rc = api_store_insert(q->mdb, MDB_PROVIDERS, doc);
		if (rc == API_STORE_OK) {
			snprintf(loc, sizeof(loc), "/api/v1/providers/%s", id);
			api_set_header(q, "Location", loc);
			log_info("provider_created", "id=%s name=%s", id, s.name);
			api_reply_json(q, 201, render_provider(doc));
		} else {
			api_reply_store(q, rc, rc == API_STORE_DUP ? "a provider with this name exists" :
			    "could not store the provider");
		}
		bson_destroy(doc);
	}
	api_provider_spec_free(&s);
	cJSON_Delete(body);
}

void
api_prv_list(struct api_req *q)
{
	static const char *const allowed[] = { "limit", "cursor", NULL };
	static const struct api_list_spec spec = { allowed, "prv-", MDB_PROVIDERS, NULL,
		render_provider };

	api_list(q, &spec);
}

static int
load_provider(struct api_req *q, bson_t **doc)
{
	int rc = id_valid("prv-", q->params[0]) ?
	    api_store_get(q->mdb, MDB_PROVIDERS, q->params[0], doc) : API_STORE_NOTFOUND;

	if (rc == API_STORE_OK)
		return 0;
	*doc = NULL;
	api_reply_store(q, rc, "no such provider");
	return -1;
}

void
api_prv_get(struct api_req *q)
{
	bson_t *doc;

	if (load_provider(q, &doc) != 0)
		return;
	api_reply_json(q, 200, render_provider(doc));
	bson_destroy(doc);
}

void
api_prv_patch(struct api_req *q)
{
	struct api_verr e = { 0 };
	struct api_provider_spec s;
	bson_t *doc = NULL, *out = NULL, *filter, upd = BSON_INITIALIZER, set;
	cJSON *body = api_body_json(q, 0);
	int rc;

	if (body == NULL)
		return;
	if (api_val_provider(body, 1, &s, &e) != 0) {
		api_reply_verr(q, &e);
	} else if (load_provider(q, &doc) == 0) {
		BSON_APPEND_DOCUMENT_BEGIN(&upd, "$set", &set);
		spec_fields(&s, &set);
		BSON_APPEND_DATE_TIME(&set, "updated_at", clk_wall_ms());
		bson_append_document_end(&upd, &set);
		filter = BCON_NEW("_id", BCON_UTF8(q->params[0]));
		rc = api_store_modify(q->mdb, MDB_PROVIDERS, filter, &upd, &out);
		if (rc == API_STORE_OK)
			api_reply_json(q, 200, render_provider(out));
		else
			api_reply_store(q, rc, rc == API_STORE_DUP ? "a provider with this name exists" :
			    "no such provider");
		bson_destroy(filter);
	}
	if (out != NULL)
		bson_destroy(out);
	if (doc != NULL)
		bson_destroy(doc);
	bson_destroy(&upd);
	api_provider_spec_free(&s);
	cJSON_Delete(body);
}

void
api_prv_delete(struct api_req *q)
{
	bson_t *doc = NULL, *used, *filter;
	bson_error_t err;
	int64_t n = 0;
	int rc;

	if (load_provider(q, &doc) != 0)
		return;
	/* Count, then delete, while no create in this process can add a database. */
	if (api_doc_lock(q, q->params[0]) != 0) {
		bson_destroy(doc);
		return;
	}
	used = BCON_NEW("provider_id", BCON_UTF8(q->params[0]), "deleted", BCON_BOOL(false));
	rc = api_store_count(q->mdb, MDB_DATABASES, used, &n);
	if (rc != API_STORE_OK) {
		api_reply_store(q, rc, "could not check the provider's databases");
	} else if (n > 0) {
		api_reply_problem(q, 409, NULL, "databases still use this provider", NULL);
	} else {
		filter = BCON_NEW("_id", BCON_UTF8(q->params[0]));
		if (mongoc_collection_delete_one(q->mdb->coll[MDB_PROVIDERS], filter, NULL, NULL,
		    &err))
			api_reply_text(q, 204, "application/json", NULL, 0);
		else
			api_reply_store(q, api_store_classify(&err, "delete"), "delete failed");
		bson_destroy(filter);
	}
	api_doc_unlock(q->params[0]);
	bson_destroy(used);
	bson_destroy(doc);
}
