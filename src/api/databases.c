/*
 * databases — /api/v1/databases: desired state only.
 *
 * A write validates, updates the document in MongoDB (bumping generation
 * with a conditional findAndModify on the generation it read, so two
 * concurrent writers never lose an update), records an events line,
 * nudges the reconciler and returns.  It never talks to Kubernetes.
 *
 * Document (collection "databases"), flat as the API shows it:
 *   _id "db-<ulid>", tenant, name, engine, version, provider_id, namespace,
 *   deletion_policy; desired: size, replicas, storage_gb, version, paused,
 *   deleted; current_* (written by the reconciler); status, status_message,
 *   health_status, drift[], generation, observed_generation,
 *   active_operation_id, live_key, created_at, updated_at (BSON dates).
 * live_key is "tenant/provider/namespace/name" while the database lives;
 * whoever marks it deleted sets it to the _id, freeing the name (unique
 * index live_key_unique).
 *
 * Nudge contract with the reconciler: LPUSH PREFIX "nudges" <database id>
 * after every change; the reconciler pops ids and reconciles them at once
 * (the periodic resync backs up a lost nudge).  A nudge that fails (Redis
 * down) does not fail the write; it is counted in
 * dbaas_api_nudge_failures_total.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "api/validate.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"

#define PATCH_ATTEMPTS 3

static const char *const db_fields[] = { "id", "name", "tenant", "engine", "version",
	"provider_id", "namespace", "deletion_policy", "size", "replicas", "storage_gb", "paused",
	"current_size", "current_replicas", "current_storage_gb", "current_version", "status",
	"status_message", "health_status", "drift", "generation", "observed_generation",
	"active_operation_id", "created_at", "updated_at", NULL };

static const char *const statuses[] = { "provisioning", "ready", "updating", "pausing",
	"paused", "resuming", "deleting", "deleted", "failed", "degraded", NULL };

void
api_nudge(struct rds *r, const char *database_id)
{
	static struct met_family *_Atomic cache;
	char key[160];
	redisReply *rep;

	rds_key(&r->p, key, sizeof(key), "nudges");
	rep = rds_command(r, "LPUSH %s %s", key, database_id);
	if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
		met_add(met_family_cached(&cache, "dbaas_api_nudge_failures_total", MET_COUNTER,
		    API_HELP_NUDGE, NULL, 0), "", 1);
		api_count_failure("redis");
		log_warnx("nudge_failed", "database=%s error=%s", database_id, r->err);
	}
	freeReplyObject(rep);
}

static cJSON *
render_db(const bson_t *doc)
{
	return api_bson_fields(doc, db_fields);
}

static void
reply_db(struct api_req *q, int status, const bson_t *doc)
{
	char etag[32];

	snprintf(etag, sizeof(etag), "\"%lld\"", (long long)api_bson_int(doc, "generation", 0));
	api_set_header(q, "ETag", etag);
	api_reply_json(q, status, render_db(doc));
}

int
api_db_load(struct api_req *q, const char *id, bson_t **doc)
{
	const char *tenant;
	int rc;

	*doc = NULL;
	if (!id_valid("db-", id)) {
		api_reply_problem(q, 404, NULL, "no such database", NULL);
		return -1;
	}
	rc = api_store_get(q->mdb, MDB_DATABASES, id, doc);
	if (rc == API_STORE_OK) {
		tenant = api_bson_str(*doc, "tenant");
		if (q->who.admin || (tenant != NULL && strcmp(tenant, q->who.tenant) == 0))
			return 0;
		bson_destroy(*doc);	/* another tenant's: indistinguishable from none */
		*doc = NULL;
		rc = API_STORE_NOTFOUND;
	}
	api_reply_store(q, rc, "no such database");
	return -1;
}

/* Append an events line; failures are logged, the change stands. */
static void
add_event(struct api_req *q, const bson_t *db, const char *action, const char *detail)
{
	char id[ID_MAX];
	bson_t *ev;

	if (id_new("ev-", id, sizeof(id)) != 0)
		return;
	ev = BCON_NEW("_id", BCON_UTF8(id), "database_id", BCON_UTF8(api_bson_str(db, "_id")),
	    "tenant", BCON_UTF8(api_bson_str(db, "tenant") ? api_bson_str(db, "tenant") : ""),
	    "at", BCON_DATE_TIME(clk_wall_ms()), "action", BCON_UTF8(action),
	    "detail", BCON_UTF8(detail), "actor", BCON_UTF8(q->who.key_id),
	    "request_id", BCON_UTF8(q->request_id),
	    "generation", BCON_INT64(api_bson_int(db, "generation", 0)));
	if (api_store_insert(q->mdb, MDB_EVENTS, ev) != API_STORE_OK)
		log_warnx("event_lost", "database=%s action=%s", api_bson_str(db, "_id"), action);
	bson_destroy(ev);
}

/* After a successful write: history, nudge, reply. */
static void
changed(struct api_req *q, int status, const bson_t *db, const char *action, const char *detail)
{
	add_event(q, db, action, detail);
	api_nudge(q->redis, api_bson_str(db, "_id"));
	reply_db(q, status, db);
}

/* ---- create ---- */

static int
check_provider(struct api_req *q, const char *id, bson_t **prv)
{
	int rc = api_store_get(q->mdb, MDB_PROVIDERS, id, prv);

	if (rc == API_STORE_NOTFOUND) {
		api_reply_field(q, 422, "provider_id", "no such provider");
		return -1;
	}
	if (rc != API_STORE_OK) {
		api_reply_store(q, rc, "provider lookup failed");
		return -1;
	}
	if (!api_bson_bool(*prv, "enabled")) {
		bson_destroy(*prv);
		*prv = NULL;
		api_reply_field(q, 422, "provider_id", "the provider is disabled");
		return -1;
	}
	return 0;
}

static int
pick_namespace(struct api_req *q, const struct api_db_spec *s, const bson_t *prv,
    const char *tenant, char *ns, size_t n)
{
	const char *dflt = api_bson_str(prv, "default_namespace");

	if (s->namespace != NULL)
		snprintf(ns, n, "%s", s->namespace);
	else if (dflt != NULL && dflt[0] != '\0')
		snprintf(ns, n, "%s", dflt);
	else
		snprintf(ns, n, "%s%s", q->api->cfg->api.namespace_prefix, tenant);
	if (!api_dns_label(ns, API_NS_MAX)) {
		api_reply_field(q, 422, "namespace", "the default namespace (prefix + tenant) is not "
		    "a valid DNS-1123 label: give a namespace");
		return -1;
	}
	return 0;
}

static bson_t *
new_db_doc(const struct api_db_spec *s, const char *id, const char *tenant, const char *ns)
{
	int64_t now = clk_wall_ms();
	char live[512];
	bson_t *d, arr;

	snprintf(live, sizeof(live), "%s/%s/%s/%s", tenant, s->provider_id, ns, s->name);
	d = BCON_NEW("_id", BCON_UTF8(id), "tenant", BCON_UTF8(tenant), "name", BCON_UTF8(s->name),
	    "engine", BCON_UTF8(cfg_engine_name(s->engine)), "version", BCON_UTF8(s->version),
	    "provider_id", BCON_UTF8(s->provider_id), "namespace", BCON_UTF8(ns),
	    "deletion_policy", BCON_UTF8(s->deletion_policy != NULL ? s->deletion_policy : "Delete"),
	    "size", BCON_UTF8(s->size), "replicas", BCON_INT64(s->replicas),
	    "storage_gb", BCON_INT64(s->storage_gb), "paused", BCON_BOOL(false),
	    "deleted", BCON_BOOL(false), "status", BCON_UTF8("provisioning"),
	    "status_message", BCON_UTF8(""), "health_status", BCON_UTF8(""),
	    "generation", BCON_INT64(1), "observed_generation", BCON_INT64(0),
	    "live_key", BCON_UTF8(live), "created_at", BCON_DATE_TIME(now),
	    "updated_at", BCON_DATE_TIME(now));
	BSON_APPEND_NULL(d, "current_size");
	BSON_APPEND_NULL(d, "current_replicas");
	BSON_APPEND_NULL(d, "current_storage_gb");
	BSON_APPEND_NULL(d, "current_version");
	BSON_APPEND_NULL(d, "active_operation_id");
	BSON_APPEND_ARRAY_BEGIN(d, "drift", &arr);
	bson_append_array_end(d, &arr);
	return d;
}

static void
insert_db(struct api_req *q, const struct api_db_spec *s, const char *tenant, const char *ns)
{
	char id[ID_MAX], loc[128], detail[256];
	bson_t *doc;
	int rc;

	id_new("db-", id, sizeof(id));
	doc = new_db_doc(s, id, tenant, ns);
	rc = api_store_insert(q->mdb, MDB_DATABASES, doc);
	if (rc == API_STORE_DUP) {
		api_reply_field(q, 409, "name", "a live database with this name exists for this "
		    "tenant, provider and namespace");
	} else if (rc != API_STORE_OK) {
		api_reply_store(q, rc, "could not store the database");
	} else {
		snprintf(loc, sizeof(loc), "/api/v1/databases/%s", id);
		api_set_header(q, "Location", loc);
		snprintf(detail, sizeof(detail), "created %s %s, %s, %lld replicas, %lld GB",
		    cfg_engine_name(s->engine), s->version, s->size, (long long)s->replicas,
		    (long long)s->storage_gb);
		changed(q, 201, doc, "create", detail);
	}
	bson_destroy(doc);
}

void
api_reply_verr(struct api_req *q, struct api_verr *e)
{
	api_reply_problem(q, e->status, NULL, e->detail, e->errors);
	e->errors = NULL;
	api_verr_clear(e);
}

void
api_db_create(struct api_req *q)
{
	struct api_verr e = { 0 };
	struct api_db_spec s;
	bson_t *prv = NULL;
	cJSON *body;
	char ns[128];
	const char *tenant;

	if (!api_idem_begin(q) || (body = api_body_json(q, 0)) == NULL)
		return;
	if (api_val_db_create(body, q->api->cfg, q->who.admin, &s, &e) != 0) {
		api_reply_verr(q, &e);
	} else {
		tenant = q->who.admin ? s.tenant : q->who.tenant;
		/* The provider's lock: a DELETE of it checks for databases (providers.c). */
		if (api_doc_lock(q, s.provider_id) == 0) {
			if (check_provider(q, s.provider_id, &prv) == 0 &&
			    pick_namespace(q, &s, prv, tenant, ns, sizeof(ns)) == 0)
				insert_db(q, &s, tenant, ns);
			api_doc_unlock(s.provider_id);
		}
	}
	if (prv != NULL)
		bson_destroy(prv);
	cJSON_Delete(body);
}

/* ---- list and get ---- */

static int
list_filter(struct api_req *q, struct evkeyvalq *qs, bson_t *f)
{
	const char *v;

	if (!q->who.admin)
		BSON_APPEND_UTF8(f, "tenant", q->who.tenant);
	else if ((v = evhttp_find_header(qs, "tenant")) != NULL)
		BSON_APPEND_UTF8(f, "tenant", v);
	if ((v = evhttp_find_header(qs, "engine")) != NULL) {
		if (cfg_engine_lookup(v) == ENGINE_COUNT) {
			api_reply_field(q, 400, "engine", "unknown engine");
			return -1;
		}
		BSON_APPEND_UTF8(f, "engine", v);
	}
	if ((v = evhttp_find_header(qs, "status")) != NULL) {
		if (!api_in_list(v, statuses)) {
			api_reply_field(q, 400, "status", "unknown status");
			return -1;
		}
		BSON_APPEND_UTF8(f, "status", v);
	}
	if ((v = evhttp_find_header(qs, "provider_id")) != NULL)
		BSON_APPEND_UTF8(f, "provider_id", v);
	if ((v = evhttp_find_header(qs, "name")) != NULL)
		BSON_APPEND_UTF8(f, "name", v);
	return 0;
}

void
api_db_list(struct api_req *q)
{
	static const char *const allowed[] = { "engine", "status", "provider_id", "name", "tenant",
		"limit", "cursor", NULL };
	static const struct api_list_spec spec = { allowed, "db-", MDB_DATABASES, list_filter,
		render_db };

	api_list(q, &spec);
}

void
api_db_get(struct api_req *q)
{
	bson_t *doc;

	if (api_db_load(q, q->params[0], &doc) != 0)
		return;
	reply_db(q, 200, doc);
	bson_destroy(doc);
}

/* ---- changes ---- */

static int
is_gone(const bson_t *doc)
{
	const char *st = api_bson_str(doc, "status");

	return api_bson_bool(doc, "deleted") ||
	    (st != NULL && (strcmp(st, "deleting") == 0 || strcmp(st, "deleted") == 0));
}

/*
 * If-Match: 0 = absent or matching, 1 = given but not matching (412 sent),
 * -1 = malformed (400 sent).
 */
static int
check_if_match(struct api_req *q, const bson_t *doc)
{
	int rc = api_if_match(api_header(q, "If-Match"), api_bson_int(doc, "generation", 0));

	if (rc <= 0) {
		if (rc < 0)
			api_reply_field(q, 400, "If-Match", "must be \"*\" or a list of entity tags");
		return rc;
	}
	api_reply_problem(q, 412, NULL, "the database changed since that ETag (generation differs)",
	    NULL);
	return 1;
}

/*
 * Apply SET (plus updated_at and a generation bump) to DOC if it is still at
 * the generation read.  Returns the store code; *OUT is the new document.
 */
static int
apply(struct api_req *q, const bson_t *doc, const bson_t *set, bson_t **out)
{
	int64_t gen = api_bson_int(doc, "generation", 0);
	bson_t *filter = BCON_NEW("_id", BCON_UTF8(api_bson_str(doc, "_id")),
	    "generation", BCON_INT64(gen));
	bson_t upd = BSON_INITIALIZER, s;
	int rc;

	BSON_APPEND_DOCUMENT_BEGIN(&upd, "$set", &s);
	bson_concat(&s, set);
	BSON_APPEND_DATE_TIME(&s, "updated_at", clk_wall_ms());
	bson_append_document_end(&upd, &s);
	BCON_APPEND(&upd, "$inc", "{", "generation", BCON_INT64(1), "}");
	rc = api_store_modify(q->mdb, MDB_DATABASES, filter, &upd, out);
	bson_destroy(filter);
	bson_destroy(&upd);
	return rc;
}

/* Describe and collect the fields of S that differ from DOC. */
static void
diff_patch(const struct api_db_spec *s, const bson_t *doc, bson_t *set, char *d, size_t n)
{
	size_t len = 0;
	const char *cur;

	d[0] = '\0';
#define NOTE(...) (len += (size_t)snprintf(d + len, len < n ? n - len : 0, __VA_ARGS__))
	if ((s->set & DBF_SIZE) && ((cur = api_bson_str(doc, "size")) == NULL || strcmp(cur, s->size))) {
		BSON_APPEND_UTF8(set, "size", s->size);
		NOTE("%ssize %s -> %s", len ? ", " : "", cur ? cur : "", s->size);
	}
	if ((s->set & DBF_VERSION) &&
	    ((cur = api_bson_str(doc, "version")) == NULL || strcmp(cur, s->version))) {
		BSON_APPEND_UTF8(set, "version", s->version);
		NOTE("%sversion %s -> %s", len ? ", " : "", cur ? cur : "", s->version);
	}
	if ((s->set & DBF_REPLICAS) && s->replicas != api_bson_int(doc, "replicas", 0)) {
		BSON_APPEND_INT64(set, "replicas", s->replicas);
		NOTE("%sreplicas %lld -> %lld", len ? ", " : "",
		    (long long)api_bson_int(doc, "replicas", 0), (long long)s->replicas);
	}
	if ((s->set & DBF_STORAGE) && s->storage_gb != api_bson_int(doc, "storage_gb", 0)) {
		BSON_APPEND_INT64(set, "storage_gb", s->storage_gb);
		NOTE("%sstorage_gb %lld -> %lld", len ? ", " : "",
		    (long long)api_bson_int(doc, "storage_gb", 0), (long long)s->storage_gb);
	}
#undef NOTE
}

/* One PATCH attempt on DOC; returns the store code of the write (OK when replied). */
static int
patch_once(struct api_req *q, const bson_t *doc, const cJSON *body)
{
	struct api_verr e = { 0 };
	struct api_db_current cur;
	struct api_db_spec s;
	bson_t set = BSON_INITIALIZER, *out = NULL;
	char detail[512];
	int rc = API_STORE_OK;

	cur.engine = cfg_engine_lookup(api_bson_str(doc, "engine") ? api_bson_str(doc, "engine") : "");
	cur.replicas = api_bson_int(doc, "replicas", 0);
	cur.storage_gb = api_bson_int(doc, "storage_gb", 0);
	if (api_val_db_patch(body, q->api->cfg, &cur, &s, &e) != 0) {
		api_reply_verr(q, &e);
	} else {
		diff_patch(&s, doc, &set, detail, sizeof(detail));
		if (bson_empty(&set))
			reply_db(q, 200, doc);	/* nothing changes: no new generation */
		else if ((rc = apply(q, doc, &set, &out)) == API_STORE_OK)
			changed(q, 200, out, "update", detail);
		else if (rc != API_STORE_CONFLICT)
			api_reply_store(q, rc, "could not update the database");
	}
	if (out != NULL)
		bson_destroy(out);
	bson_destroy(&set);
	return rc;
}

void
api_db_patch(struct api_req *q)
{
	cJSON *body = api_body_json(q, 0);
	bson_t *doc = NULL;
	int rc = API_STORE_CONFLICT;

	if (body == NULL)
		return;
	if (api_doc_lock(q, q->params[0]) != 0) {
		cJSON_Delete(body);
		return;
	}
	for (int i = 0; rc == API_STORE_CONFLICT && i < PATCH_ATTEMPTS; i++) {
		if (doc != NULL)
			bson_destroy(doc);
		if (api_db_load(q, q->params[0], &doc) != 0)
			break;
		if (is_gone(doc)) {
			api_reply_problem(q, 409, NULL, "the database is being deleted", NULL);
			break;
		}
		if (check_if_match(q, doc) != 0)
			break;
		rc = patch_once(q, doc, body);
		/* A concurrent writer won: with If-Match that is a failed precondition. */
		if (rc == API_STORE_CONFLICT && api_header(q, "If-Match") != NULL) {
			api_reply_problem(q, 412, NULL, "the database changed concurrently", NULL);
			break;
		}
	}
	api_doc_unlock(q->params[0]);
	if (rc == API_STORE_CONFLICT && q->status == 0)
		api_reply_problem(q, 409, NULL, "the database keeps changing; retry", NULL);
	if (doc != NULL)
		bson_destroy(doc);
	cJSON_Delete(body);
}

/*
 * DELETE, pause and resume: set FIELD to VALUE and status to STATUS unless
 * FIELD already has VALUE (then 202 with no change: the call is idempotent).
 */
static void
action(struct api_req *q, const char *field, int value, const char *status, const char *what)
{
	struct api_verr e = { 0 };
	cJSON *body;
	bson_t *doc = NULL, *out = NULL, *set;
	int rc;

	if (q->method == EVHTTP_REQ_POST && !api_idem_begin(q))
		return;
	if ((body = api_body_json(q, 1)) == NULL)
		return;
	if (api_doc_lock(q, q->params[0]) != 0) {
		cJSON_Delete(body);
		return;
	}
	if (api_val_empty(body, &e) != 0) {
		api_reply_verr(q, &e);
	} else if (api_db_load(q, q->params[0], &doc) != 0 || check_if_match(q, doc) != 0) {
		/* replied */
	} else if (is_gone(doc) && strcmp(field, "deleted") != 0) {
		api_reply_problem(q, 409, NULL, "the database is being deleted", NULL);
	} else if (api_bson_bool(doc, field) == value) {
		reply_db(q, 202, doc);
	} else {
		set = BCON_NEW(field, BCON_BOOL(value), "status", BCON_UTF8(status));
		rc = apply(q, doc, set, &out);
		if (rc == API_STORE_OK)
			changed(q, 202, out, what, what);
		else
			api_reply_store(q, rc, "the database changed concurrently; retry");
		bson_destroy(set);
	}
	api_doc_unlock(q->params[0]);
	if (out != NULL)
		bson_destroy(out);
	if (doc != NULL)
		bson_destroy(doc);
	cJSON_Delete(body);
}

void
api_db_delete(struct api_req *q)
{
	action(q, "deleted", 1, "deleting", "delete");
}

void
api_db_pause(struct api_req *q)
{
	action(q, "paused", 1, "pausing", "pause");
}

void
api_db_resume(struct api_req *q)
{
	action(q, "paused", 0, "resuming", "resume");
}

/* ---- events ---- */

static cJSON *
render_event(const bson_t *doc)
{
	static const char *const fields[] = { "id", "database_id", "at", "action", "detail",
		"actor", "request_id", "generation", NULL };

	return api_bson_fields(doc, fields);
}

void
api_db_events(struct api_req *q)
{
	static const char *const allowed[] = { "limit", "cursor", NULL };
	struct evkeyvalq qs;
	char after[ID_MAX];
	bson_t *doc = NULL, f = BSON_INITIALIZER;
	int limit;

	if (api_query(q, allowed, &qs) != 0)
		return;
	if (api_page_args(q, &qs, "ev-", &limit, after, sizeof(after)) == 0 &&
	    api_db_load(q, q->params[0], &doc) == 0) {
		BSON_APPEND_UTF8(&f, "database_id", q->params[0]);
		if (after[0] != '\0')
			BCON_APPEND(&f, "_id", "{", "$lt", BCON_UTF8(after), "}");
		api_list_reply(q, MDB_EVENTS, &f, limit, render_event);
	}
	if (doc != NULL)
		bson_destroy(doc);
	bson_destroy(&f);
	evhttp_clear_headers(&qs);
}
