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
 * last_used_at is written at most once a minute per key and process, by
 * the housekeeping job (api.c), never on the request path.
 *
 * Every handler thread uses the cache, so one mutex guards it; it is held
 * only to look up or store an entry, never across a MongoDB call.  Two
 * threads may verify the same key at once: both store the same answer.  A
 * verification that overlapped a deletion in this process is not stored
 * (a counter of deletions tells), so "at once in the process that deleted
 * it" holds with threads too.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api_int.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"

#define AUTH_SLOTS 1024			/* power of two */
#define LAST_USED_EVERY_MS 60000
#define FLUSH_BATCH 64			/* last_used writes per housekeeping run */

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
	pthread_mutex_t mu;
	struct auth_entry e[AUTH_SLOTS];	/* guarded by mu */
	uint64_t forgets;			/* api_auth_forget() calls, guarded by mu */
};

int
api_auth_init(struct api *a)
{
	a->auth = calloc(1, sizeof(*a->auth));
	if (a->auth == NULL)
		return -1;
	pthread_mutex_init(&a->auth->mu, NULL);
	return 0;
}

void
api_auth_free(struct api *a)
{
	if (a->auth == NULL)
		return;
	pthread_mutex_destroy(&a->auth->mu);
	memset(a->auth, 0, sizeof(*a->auth));
	free(a->auth);
	a->auth = NULL;
}

static void
count(const char *result)
{
	static struct met_family *_Atomic cache;
	struct met_family *f = met_family_cached(&cache, "dbaas_api_auth_total", MET_COUNTER,
	    API_HELP_AUTH, NULL, 0);
	char labels[64];

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

/* Read the key with HASH from MongoDB into E (a local copy, not a slot). */
static int
verify(struct mdb *m, const char *hash, struct auth_entry *e)
{
	bson_t *doc = NULL;
	int rc = api_store_get_by(m, MDB_API_KEYS, "hash", hash, &doc);
	const char *id, *role, *tenant;

	memset(e, 0, sizeof(*e));
	if (rc == API_STORE_NOTFOUND)
		rc = API_STORE_OK;	/* remembered as not found */
	if (rc != API_STORE_OK)
		return rc;
	if (doc != NULL && (id = api_bson_str(doc, "_id")) != NULL &&
	    (role = api_bson_str(doc, "role")) != NULL) {
		tenant = api_bson_str(doc, "tenant");
		snprintf(e->who.key_id, sizeof(e->who.key_id), "%s", id);
		snprintf(e->who.tenant, sizeof(e->who.tenant), "%s", tenant != NULL ? tenant : "");
		e->who.admin = strcmp(role, "admin") == 0;
		e->found = e->who.admin || e->who.tenant[0] != '\0';
	}
	if (doc != NULL)
		bson_destroy(doc);
	snprintf(e->hash, sizeof(e->hash), "%s", hash);
	e->verified_ms = clk_mono_ms();
	return API_STORE_OK;
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

/*
 * The cached answer for HASH into *OUT if it is fresh (and note the use);
 * 1 on a hit.  *FORGETS is the deletion count to hand to cache_store().
 */
static int
cache_lookup(struct api *a, const char *hash, struct auth_entry *out, uint64_t *forgets)
{
	struct auth_entry *e;
	int hit;

	pthread_mutex_lock(&a->auth->mu);
	e = slot(a, hash);
	hit = strcmp(e->hash, hash) == 0 &&
	    clk_mono_ms() - e->verified_ms < a->cfg->api.key_cache_ttl_ms;
	if (hit) {
		if (e->found)
			note_use(e);
		*out = *e;
	}
	*forgets = a->auth->forgets;
	pthread_mutex_unlock(&a->auth->mu);
	return hit;
}

/*
 * Store the verified answer V unless a key was deleted since FORGETS was
 * read; a slot that held the same key keeps its last_used state.
 */
static void
cache_store(struct api *a, const struct auth_entry *v, uint64_t forgets)
{
	struct auth_entry *e;

	pthread_mutex_lock(&a->auth->mu);
	if (a->auth->forgets != forgets) {
		pthread_mutex_unlock(&a->auth->mu);
		return;
	}
	e = slot(a, v->hash);
	if (strcmp(e->hash, v->hash) == 0 && strcmp(e->who.key_id, v->who.key_id) == 0) {
		e->found = v->found;
		e->who = v->who;
		e->verified_ms = v->verified_ms;
	} else {
		*e = *v;
	}
	if (e->found)
		note_use(e);
	pthread_mutex_unlock(&a->auth->mu);
}

int
api_auth_check(struct api_req *q, enum api_auth_need need)
{
	struct api *a = q->api;
	const char *key = bearer(q);
	struct auth_entry e;
	uint64_t forgets;
	char hash[65];
	int rc;

	if (key == NULL || !api_key_wellformed(key)) {
		count("rejected");
		api_reply_problem(q, 401, NULL, "a valid API key is required (Authorization: Bearer)",
		    NULL);
		return -1;
	}
	api_key_hash(key, hash);
	if (cache_lookup(a, hash, &e, &forgets)) {
		count("cache_hit");
	} else if ((rc = verify(q->mdb, hash, &e)) != API_STORE_OK) {
		api_reply_store(q, rc, "could not verify the API key");
		return -1;
	} else {
		cache_store(a, &e, forgets);
		count("verified");
	}
	if (!e.found) {
		count("rejected");
		api_reply_problem(q, 401, NULL, "unknown API key", NULL);
		return -1;
	}
	q->who = e.who;
	if (need == API_AUTH_ADMIN && !e.who.admin) {
		api_reply_problem(q, 403, NULL, "this needs an admin key", NULL);
		return -1;
	}
	return 0;
}

void
api_auth_forget(struct api *a, const char *key_id)
{
	pthread_mutex_lock(&a->auth->mu);
	a->auth->forgets++;
	for (size_t i = 0; i < AUTH_SLOTS; i++)
		if (strcmp(a->auth->e[i].who.key_id, key_id) == 0)
			memset(&a->auth->e[i], 0, sizeof(a->auth->e[i]));
	pthread_mutex_unlock(&a->auth->mu);
}

/* One last_used write to make, copied out of the cache. */
struct pending_use {
	size_t slot;
	char key_id[ID_MAX];
	int64_t used_wall_ms;
};

/* Copy up to FLUSH_BATCH dirty entries into P; returns how many. */
static size_t
collect_dirty(struct api *a, struct pending_use *p)
{
	size_t n = 0;

	pthread_mutex_lock(&a->auth->mu);
	for (size_t i = 0; i < AUTH_SLOTS && n < FLUSH_BATCH; i++) {
		const struct auth_entry *e = &a->auth->e[i];
		if (!e->dirty || !e->found)
			continue;
		p[n].slot = i;
		snprintf(p[n].key_id, sizeof(p[n].key_id), "%s", e->who.key_id);
		p[n].used_wall_ms = e->used_wall_ms;
		n++;
	}
	pthread_mutex_unlock(&a->auth->mu);
	return n;
}

/* P was written: clean its slot unless the key was used again meanwhile. */
static void
mark_written(struct api *a, const struct pending_use *p)
{
	struct auth_entry *e;

	pthread_mutex_lock(&a->auth->mu);
	e = &a->auth->e[p->slot];
	if (strcmp(e->who.key_id, p->key_id) == 0) {
		e->written_ms = clk_mono_ms();
		e->dirty = e->used_wall_ms != p->used_wall_ms;
	}
	pthread_mutex_unlock(&a->auth->mu);
}

void
api_auth_flush(struct api *a, struct mdb *m)
{
	struct pending_use p[FLUSH_BATCH];
	size_t n = collect_dirty(a, p);

	for (size_t i = 0; i < n; i++) {
		bson_t *q = BCON_NEW("_id", BCON_UTF8(p[i].key_id));
		bson_t *u = BCON_NEW("$set", "{", "last_used_at", BCON_DATE_TIME(p[i].used_wall_ms),
		    "}");
		bson_error_t err;
		bool ok = mongoc_collection_update_one(m->coll[MDB_API_KEYS], q, u, NULL, NULL, &err);

		bson_destroy(q);
		bson_destroy(u);
		if (!ok)
			break;	/* MongoDB is not answering: try again on the next run */
		mark_written(a, &p[i]);
	}
}
