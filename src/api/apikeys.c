/*
 * apikeys — /api/v1/api-keys (admin): create (the key is in that response
 * and nowhere else, ever), list without secrets, delete.  Creating a key
 * takes no Idempotency-Key: a replay would have to keep the secret in
 * Redis.  A deleted key stops working at once in this process and within
 * api.key_cache_ttl_ms in the others (auth.c).
 *
 * Nobody can be locked out through the API: a key cannot delete itself
 * (revoke a key with another admin key), and the last admin key cannot be
 * deleted.  Two API processes deleting the last two admin keys at once must
 * not both win, and on FerretDB a conditional delete or update is not atomic
 * (both would read two keys and both delete).  An insert with a
 * deterministic _id is, so every admin key deletion first inserts a marker
 * whose _id is the hash of the set of admin keys it saw: deleters that saw
 * the same set collide on that insert and only one proceeds (the others get
 * 409 and retry against the new set).  Key ids are never reused, so a set
 * that lost a member never comes back and markers need no cleanup for
 * correctness; they are kept MARKER_KEEP_MS and then removed.  A marker
 * whose deleter died before deleting is recognised by its age (older than
 * MARKER_STALE_MS, far beyond any MongoDB call's timeout) while its target
 * still exists, and is removed so a retry can proceed.  Markers live in the
 * api_keys collection (role "deletion-marker", hash = _id so the unique
 * index holds, and no SHA-256 of a key can equal it); listings skip them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api/api_int.h"
#include "api/validate.h"
#include "common/clock.h"
#include "common/log.h"

#define MARKER_ROLE "deletion-marker"
#define MARKER_STALE_MS 60000		/* a deleter that held a marker this long died */
#define MARKER_KEEP_MS (3600 * 1000)	/* old markers are removed after this */
#define ADMIN_SCAN_MAX 10000		/* admin keys read to decide a deletion */

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

/* Keys only: deletion markers share the collection. */
static int
key_filter(struct api_req *q, struct evkeyvalq *qs, bson_t *f)
{
	(void)q;
	(void)qs;
	BCON_APPEND(f, "role", "{", "$in", "[", BCON_UTF8("admin"), BCON_UTF8("tenant"), "]", "}");
	return 0;
}

void
api_key_list(struct api_req *q)
{
	static const char *const allowed[] = { "limit", "cursor", NULL };
	static const struct api_list_spec spec = { allowed, "key-", MDB_API_KEYS, key_filter,
		render_key };

	api_list(q, &spec);
}

/* The admin key ids, newest first, joined with ',' (to hash the set). */
struct idset {
	char *buf;
	size_t len, cap;
	int n;
};

static int
add_id(const bson_t *doc, void *arg)
{
	struct idset *s = arg;
	const char *id = api_bson_str(doc, "_id");
	size_t need = (id != NULL ? strlen(id) : 0) + 2;

	if (id == NULL)
		return 0;
	if (s->len + need > s->cap) {
		size_t cap = (s->cap + need) * 2;
		char *b = realloc(s->buf, cap);
		if (b == NULL)
			return 1;
		s->buf = b;
		s->cap = cap;
	}
	s->len += (size_t)snprintf(s->buf + s->len, s->cap - s->len, "%s,", id);
	s->n++;
	return 0;
}

/* Remove markers older than MARKER_KEEP_MS (best effort). */
static void
markers_prune(struct mdb *m)
{
	bson_t *f = BCON_NEW("role", BCON_UTF8(MARKER_ROLE), "created_at", "{", "$lt",
	    BCON_INT64(clk_wall_ms() - MARKER_KEEP_MS), "}");

	(void)mongoc_collection_delete_many(m->coll[MDB_API_KEYS], f, NULL, NULL, NULL);
	bson_destroy(f);
}

/*
 * A marker with ID is there: if its deleter died (stale, target still
 * present) remove it so the next attempt can go.  Replies 409 either way.
 */
static void
marker_taken(struct api_req *q, const char *id)
{
	bson_t *doc = NULL, *target = NULL, *f;
	const char *t;

	if (api_store_get(q->mdb, MDB_API_KEYS, id, &doc) == API_STORE_OK &&
	    clk_wall_ms() - api_bson_int(doc, "created_at", 0) > MARKER_STALE_MS &&
	    (t = api_bson_str(doc, "target")) != NULL &&
	    api_store_get(q->mdb, MDB_API_KEYS, t, &target) == API_STORE_OK) {
		f = BCON_NEW("_id", BCON_UTF8(id), "role", BCON_UTF8(MARKER_ROLE));
		(void)mongoc_collection_delete_one(q->mdb->coll[MDB_API_KEYS], f, NULL, NULL, NULL);
		bson_destroy(f);
		log_warnx("api_key_marker_stale", "marker=%s target=%s", id, t);
	}
	if (doc != NULL)
		bson_destroy(doc);
	if (target != NULL)
		bson_destroy(target);
	api_reply_problem(q, 409, NULL, "another admin key is being deleted at this moment; retry",
	    NULL);
}

/*
 * Before deleting the admin key ID: refuse the last one (409), else win the
 * marker of the admin set seen.  0 to go ahead, -1 after replying.
 */
static int
admin_delete_claim(struct api_req *q, const char *id)
{
	struct idset s = { 0 };
	bson_t *f = BCON_NEW("role", BCON_UTF8("admin"));
	char hex[65], mid[ID_MAX + 32];
	int rc = api_store_find(q->mdb, MDB_API_KEYS, f, ADMIN_SCAN_MAX, add_id, &s);

	bson_destroy(f);
	if (rc != API_STORE_OK || s.buf == NULL) {
		free(s.buf);
		api_reply_store(q, rc != API_STORE_OK ? rc : API_STORE_ERROR, "could not count admin keys");
		return -1;
	}
	if (s.n <= 1) {
		free(s.buf);
		api_reply_problem(q, 409, NULL, "this is the last admin key; create another admin key "
		    "before deleting it", NULL);
		return -1;
	}
	api_sha256_hex(s.buf, s.len, "admin-set", hex);
	free(s.buf);
	snprintf(mid, sizeof(mid), "kdm-%.40s", hex);
	f = BCON_NEW("_id", BCON_UTF8(mid), "hash", BCON_UTF8(mid), "role", BCON_UTF8(MARKER_ROLE),
	    "target", BCON_UTF8(id), "created_at", BCON_INT64(clk_wall_ms()));
	rc = api_store_insert(q->mdb, MDB_API_KEYS, f);
	bson_destroy(f);
	if (rc == API_STORE_DUP) {
		marker_taken(q, mid);
		return -1;
	}
	if (rc != API_STORE_OK) {
		api_reply_store(q, rc, "could not delete the key");
		return -1;
	}
	markers_prune(q->mdb);
	return 0;
}

/* The key ID (not a marker); 0, or -1 after replying 404/503. */
static int
load_key(struct api_req *q, const char *id, bson_t **doc)
{
	int rc = api_store_get(q->mdb, MDB_API_KEYS, id, doc);
	const char *role;

	if (rc == API_STORE_OK && ((role = api_bson_str(*doc, "role")) == NULL ||
	    strcmp(role, MARKER_ROLE) == 0)) {
		bson_destroy(*doc);
		*doc = NULL;
		rc = API_STORE_NOTFOUND;
	}
	if (rc == API_STORE_NOTFOUND)
		api_reply_problem(q, 404, NULL, "no such API key", NULL);
	else if (rc != API_STORE_OK)
		api_reply_store(q, rc, "could not read the key");
	return rc == API_STORE_OK ? 0 : -1;
}

static void
delete_key(struct api_req *q, const char *id)
{
	bson_t *filter = BCON_NEW("_id", BCON_UTF8(id)), reply;
	bson_error_t err;
	bson_iter_t it;
	int64_t n = 0;

	if (!mongoc_collection_delete_one(q->mdb->coll[MDB_API_KEYS], filter, NULL, &reply,
	    &err)) {
		api_reply_store(q, api_store_classify(&err, "delete"), "delete failed");
	} else {
		if (bson_iter_init_find(&it, &reply, "deletedCount"))
			n = bson_iter_as_int64(&it);
		api_auth_forget(q->api, id);
		if (n > 0) {
			log_info("api_key_deleted", "id=%s by=%s", id, q->who.key_id);
			api_reply_text(q, 204, "application/json", NULL, 0);
		} else {
			api_reply_problem(q, 404, NULL, "no such API key", NULL);
		}
	}
	bson_destroy(&reply);
	bson_destroy(filter);
}

void
api_key_delete(struct api_req *q)
{
	const char *id = q->params[0], *role;
	bson_t *doc = NULL;

	if (!id_valid("key-", id)) {
		api_reply_problem(q, 404, NULL, "no such API key", NULL);
		return;
	}
	if (load_key(q, id, &doc) != 0)
		return;
	role = api_bson_str(doc, "role");
	if (strcmp(id, q->who.key_id) == 0)
		api_reply_problem(q, 409, NULL, "a key cannot delete itself; delete it with another "
		    "admin key", NULL);
	else if (strcmp(role, "admin") != 0 || admin_delete_claim(q, id) == 0)
		delete_key(q, id);
	bson_destroy(doc);
}
