/*
 * auth — bearer API keys without a MongoDB round trip per request.
 *
 * A presented key is hashed (SHA-256) and looked up in a direct-mapped
 * in-process cache of verified hashes (found or not found).  An entry is
 * trusted for api.key_cache_ttl_ms; after that the next request re-reads
 * the key from MongoDB.  That is the staleness bound: a key deleted
 * through any API process stops working everywhere within
 * api.key_cache_ttl_ms (at once in the process that deleted it).  With
 * MongoDB down, an expired entry is not trusted: the request gets 503.
 *
 * last_used_at is written at most once a minute per key and process, from
 * a timer, never on the request path.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api_int.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"

#define AUTH_SLOTS 1024			/* power of two */
#define LAST_USED_EVERY_MS 60000

struct auth_entry {
	char hash[65];			/* "" = empty slot */
	int found;
	struct api_principal who;
	int64_t verified_ms;		/* monotonic */
	int64_t used_wall_ms;		/* last use, to be written */
	int64_t written_ms;		/* monotonic time last_used_at was written */
	int dirty;
};

struct api_auth {
	struct auth_entry e[AUTH_SLOTS];
};

int
api_auth_init(struct api *a)
{
	a->auth = calloc(1, sizeof(*a->auth));
	return a->auth != NULL ? 0 : -1;
}

void
api_auth_free(struct api *a)
{
	if (a->auth != NULL)
		memset(a->auth, 0, sizeof(*a->auth));
	free(a->auth);
	a->auth = NULL;
}

static void
count(const char *result)
{
	static struct met_family *f;
	char labels[64];

	if (f == NULL)
		f = met_family("dbaas_api_auth_total", MET_COUNTER,
		    "API key checks by outcome (cache_hit, verified, rejected)", NULL, 0);
	snprintf(labels, sizeof(labels), "result=\"%s\"", result);
	met_add(f, labels, 1);
}

static struct auth_entry *
slot(struct api *a, const char *hash)
{
	unsigned long h = strtoul((char[9]){ hash[0], hash[1], hash[2], hash[3], hash[4], hash[5],
	    hash[6], hash[7], '\0' }, NULL, 16);

	return &a->auth->e[h & (AUTH_SLOTS - 1)];
}

/* Read the key with HASH from MongoDB into E. */
static int
verify(struct api *a, const char *hash, struct auth_entry *e)
{
	bson_t *filter = BCON_NEW("hash", BCON_UTF8(hash));
	bson_t *opts = mdb_opts(&a->mdb);
	mongoc_cursor_t *cur;
	const bson_t *doc;
	bson_error_t err;
	int rc = API_STORE_OK;

	memset(e, 0, sizeof(*e));
	BSON_APPEND_INT64(opts, "limit", 1);
	cur = mongoc_collection_find_with_opts(a->mdb.coll[MDB_API_KEYS], filter, opts, NULL);
	if (mongoc_cursor_next(cur, &doc)) {
		const char *id = api_bson_str(doc, "_id"), *role = api_bson_str(doc, "role");
		const char *tenant = api_bson_str(doc, "tenant");
		if (id != NULL && role != NULL) {
			e->found = 1;
			snprintf(e->who.key_id, sizeof(e->who.key_id), "%s", id);
			snprintf(e->who.tenant, sizeof(e->who.tenant), "%s", tenant != NULL ? tenant : "");
			e->who.admin = strcmp(role, "admin") == 0;
			e->found = e->who.admin || e->who.tenant[0] != '\0';
		}
	} else if (mongoc_cursor_error(cur, &err)) {
		rc = api_store_classify(a, &err, "find api_key");
	}
	mongoc_cursor_destroy(cur);
	bson_destroy(opts);
	bson_destroy(filter);
	if (rc == API_STORE_OK) {
		snprintf(e->hash, sizeof(e->hash), "%s", hash);
		e->verified_ms = clk_mono_ms();
	}
	return rc;
}

/* The key in "Authorization: Bearer KEY", or NULL. */
static const char *
bearer(const struct api_req *q)
{
	const char *h = api_header(q, "Authorization");

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return h;
}

static void
note_use(struct auth_entry *e)
{
	e->used_wall_ms = clk_wall_ms();
	if (clk_mono_ms() - e->written_ms >= LAST_USED_EVERY_MS || e->written_ms == 0)
		e->dirty = 1;
}

int
api_auth_check(struct api_req *q, enum api_auth_need need)
{
	struct api *a = q->api;
	const char *key = bearer(q);
	struct auth_entry *e;
	char hash[65];
	int rc;

	if (key == NULL || !api_key_wellformed(key)) {
		count("rejected");
		api_reply_problem(q, 401, NULL, "a valid API key is required (Authorization: Bearer)",
		    NULL);
		return -1;
	}
	api_key_hash(key, hash);
	e = slot(a, hash);
	if (strcmp(e->hash, hash) == 0 &&
	    clk_mono_ms() - e->verified_ms < a->cfg->api.key_cache_ttl_ms) {
		count("cache_hit");
	} else if ((rc = verify(a, hash, e)) != API_STORE_OK) {
		api_reply_store(q, rc, "could not verify the API key");
		return -1;
	} else {
		count("verified");
	}
	if (!e->found) {
		count("rejected");
		api_reply_problem(q, 401, NULL, "unknown API key", NULL);
		return -1;
	}
	q->who = e->who;
	note_use(e);
	if (need == API_AUTH_ADMIN && !e->who.admin) {
		api_reply_problem(q, 403, NULL, "this needs an admin key", NULL);
		return -1;
	}
	return 0;
}

void
api_auth_forget(struct api *a, const char *key_id)
{
	for (size_t i = 0; i < AUTH_SLOTS; i++)
		if (strcmp(a->auth->e[i].who.key_id, key_id) == 0)
			memset(&a->auth->e[i], 0, sizeof(a->auth->e[i]));
}

void
api_auth_flush(struct api *a)
{
	for (size_t i = 0; i < AUTH_SLOTS; i++) {
		struct auth_entry *e = &a->auth->e[i];
		bson_t *q, *u;
		bson_error_t err;

		if (!e->dirty || !e->found)
			continue;
		q = BCON_NEW("_id", BCON_UTF8(e->who.key_id));
		u = BCON_NEW("$set", "{", "last_used_at", BCON_DATE_TIME(e->used_wall_ms), "}");
		if (mongoc_collection_update_one(a->mdb.coll[MDB_API_KEYS], q, u, NULL, NULL, &err)) {
			e->dirty = 0;
			e->written_ms = clk_mono_ms();
		}
		bson_destroy(q);
		bson_destroy(u);
		if (e->dirty)
			break;	/* MongoDB is not answering: try again on the next tick */
	}
}
