/*
 * apikeys — /api/v1/api-keys (admin): create (the key is in that response
 * and nowhere else, ever), list without secrets, delete.  Creating a key
 * takes no Idempotency-Key: a replay would have to keep the secret in
 * Redis.  A deleted key stops working at once in this process and within
 * api.key_cache_ttl_ms in the others (auth.c).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api/api_int.h"
#include "api/validate.h"
#include "common/log.h"

static const char *const key_fields[] = { "id", "name", "role", "tenant", "created_at",
	"last_used_at", NULL };

static cJSON *
render_key(const bson_t *doc)
{
	return api_bson_fields(doc, key_fields);
}

static void
create(struct api_req *q, const struct api_key_spec *s)
{
	char key[128], hash[65], id[ID_MAX], loc[128];
	bson_t *doc = NULL;
	cJSON *o;
	int rc;

	if (api_key_generate(key, sizeof(key)) != 0) {
		api_reply_problem(q, 500, NULL, "no random bytes for a key", NULL);
		return;
	}
	api_key_hash(key, hash);
	rc = api_key_insert(q->mdb, hash, s->role, s->tenant, s->name, id, sizeof(id));
	if (rc == API_STORE_OK)
		rc = api_store_get(q->mdb, MDB_API_KEYS, id, &doc);
	if (rc != API_STORE_OK) {
		api_reply_store(q, rc, "could not store the key");
	} else {
		o = render_key(doc);
		cJSON_AddStringToObject(o, "key", key);
		snprintf(loc, sizeof(loc), "/api/v1/api-keys/%s", id);
		api_set_header(q, "Location", loc);
		api_set_header(q, "Cache-Control", "no-store");
		log_info("api_key_created", "id=%s role=%s tenant=%s", id, s->role,
		    s->tenant != NULL ? s->tenant : "");
		api_reply_json(q, 201, o);
		bson_destroy(doc);
	}
	OPENSSL_cleanse(key, sizeof(key));
}

void
api_key_create(struct api_req *q)
{
	struct api_verr e = { 0 };
	struct api_key_spec s;
	cJSON *body = api_body_json(q, 0);

	if (body == NULL)
		return;
	if (api_val_key(body, &s, &e) != 0)
		api_reply_verr(q, &e);
	else
		create(q, &s);
	cJSON_Delete(body);
}

void
api_key_list(struct api_req *q)
{
	static const char *const allowed[] = { "limit", "cursor", NULL };
	static const struct api_list_spec spec = { allowed, "key-", MDB_API_KEYS, NULL,
		render_key };

	api_list(q, &spec);
}

void
api_key_delete(struct api_req *q)
{
	bson_t *filter, reply;
	bson_error_t err;
	bson_iter_t it;
	int64_t n = 0;

	if (!id_valid("key-", q->params[0])) {
		api_reply_problem(q, 404, NULL, "no such API key", NULL);
		return;
	}
	filter = BCON_NEW("_id", BCON_UTF8(q->params[0]));
	if (!mongoc_collection_delete_one(q->mdb->coll[MDB_API_KEYS], filter, NULL, &reply,
	    &err)) {
		api_reply_store(q, api_store_classify(&err, "delete"), "delete failed");
	} else {
		if (bson_iter_init_find(&it, &reply, "deletedCount"))
			n = bson_iter_as_int64(&it);
		api_auth_forget(q->api, q->params[0]);
		if (n > 0) {
			log_info("api_key_deleted", "id=%s", q->params[0]);
			api_reply_text(q, 204, "application/json", NULL, 0);
		} else {
			api_reply_problem(q, 404, NULL, "no such API key", NULL);
		}
	}
	bson_destroy(&reply);
	bson_destroy(filter);
}
