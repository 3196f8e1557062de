/*
 * operations — /api/v1/operations: read access and retry.
 *
 * Operations are created by the reconciler; the API only shows them and
 * re-queues a failed one.  A retry must keep the rule "at most one active
 * operation per database": it first makes the operation the database's
 * active one with a conditional update (only if no other is active), then
 * moves it failed -> queued (conditional on still being failed, attempts
 * reset so workers.max_deliveries counts afresh), then adds it to the
 * stream the workers read (XADD PREFIX "ops" * op <id>).  Each step that
 * fails undoes the earlier ones, so a retry either fully happens or leaves
 * the operation failed.  Operation documents carry the tenant of their
 * database; one without it is checked against its database.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "api/validate.h"
#include "common/clock.h"
#include "common/log.h"

static const char *const op_fields[] = { "id", "database_id", "tenant", "type", "status",
	"attempts", "worker", "error", "desired", "generation", "source", "ops_request",
	"created_at", "started_at", "finished_at", "updated_at", NULL };

static const char *const op_statuses[] = { "pending", "queued", "running", "completed",
	"failed", "superseded", "cancelled", NULL };

static const char *const op_types[] = { "create", "scale_vertical", "scale_horizontal",
	"expand_volume", "update_version", "pause", "resume", "delete", "noop", NULL };

static cJSON *
render_op(const bson_t *doc)
{
	return api_bson_fields(doc, op_fields);
}

static int
op_filter(struct api_req *q, struct evkeyvalq *qs, bson_t *f)
{
	const char *v;

	if (!q->who.admin)
		BSON_APPEND_UTF8(f, "tenant", q->who.tenant);
	if ((v = evhttp_find_header(qs, "database_id")) != NULL)
		BSON_APPEND_UTF8(f, "database_id", v);
	if ((v = evhttp_find_header(qs, "status")) != NULL) {
		if (!api_in_list(v, op_statuses)) {
			api_reply_field(q, 400, "status", "unknown operation status");
			return -1;
		}
		BSON_APPEND_UTF8(f, "status", v);
	}
	if ((v = evhttp_find_header(qs, "type")) != NULL) {
		if (!api_in_list(v, op_types)) {
			api_reply_field(q, 400, "type", "unknown operation type");
			return -1;
		}
		BSON_APPEND_UTF8(f, "type", v);
	}
	return 0;
}

void
api_op_list(struct api_req *q)
{
	static const char *const allowed[] = { "database_id", "status", "type", "limit", "cursor",
		NULL };
	static const struct api_list_spec spec = { allowed, "op-", MDB_OPERATIONS, op_filter,
		render_op };

	api_list(q, &spec);
}

/* 1 if Q's caller may see OP (tenant field, else its database's tenant). */
static int
visible(struct api_req *q, const bson_t *op)
{
	const char *t = api_bson_str(op, "tenant"), *dbid = api_bson_str(op, "database_id");
	bson_t *db = NULL;
	int ok;

	if (q->who.admin)
		return 1;
	if (t != NULL)
		return strcmp(t, q->who.tenant) == 0;
	if (dbid == NULL || api_store_get(q->mdb, MDB_DATABASES, dbid, &db) != API_STORE_OK)
		return 0;
	t = api_bson_str(db, "tenant");
	ok = t != NULL && strcmp(t, q->who.tenant) == 0;
	bson_destroy(db);
	return ok;
}

static int
load_op(struct api_req *q, bson_t **op)
{
	int rc;

	*op = NULL;
	if (!id_valid("op-", q->params[0])) {
		api_reply_problem(q, 404, NULL, "no such operation", NULL);
		return -1;
	}
	rc = api_store_get(q->mdb, MDB_OPERATIONS, q->params[0], op);
	if (rc == API_STORE_OK && visible(q, *op))
		return 0;
	if (rc == API_STORE_OK) {
		bson_destroy(*op);
		*op = NULL;
		rc = API_STORE_NOTFOUND;
	}
	api_reply_store(q, rc, "no such operation");
	return -1;
}

void
api_op_get(struct api_req *q)
{
	bson_t *op;

	if (load_op(q, &op) != 0)
		return;
	api_reply_json(q, 200, render_op(op));
	bson_destroy(op);
}

/* ---- retry ---- */

/*
 * Make OP_ID the active operation of DB_ID unless another one is.  *SET_HERE
 * says whether we set it (and must clear it on failure).
 */
static int
claim_database(struct api_req *q, const char *db_id, const char *op_id, int *set_here)
{
	bson_t *db = NULL, *filter, *upd, *out = NULL;
	const char *active;
	int rc;

	*set_here = 0;
	rc = api_store_get(q->mdb, MDB_DATABASES, db_id, &db);
	if (rc != API_STORE_OK)
		return rc == API_STORE_NOTFOUND ? API_STORE_CONFLICT : rc;
	active = api_bson_str(db, "active_operation_id");
	if (active != NULL && active[0] != '\0') {
		rc = strcmp(active, op_id) == 0 ? API_STORE_OK : API_STORE_CONFLICT;
		bson_destroy(db);
		return rc;
	}
	filter = BCON_NEW("_id", BCON_UTF8(db_id));
	if (active != NULL)
		BSON_APPEND_UTF8(filter, "active_operation_id", active);
	else
		BSON_APPEND_NULL(filter, "active_operation_id");
	upd = BCON_NEW("$set", "{", "active_operation_id", BCON_UTF8(op_id), "}");
	rc = api_store_modify(q->mdb, MDB_DATABASES, filter, upd, &out);
	*set_here = rc == API_STORE_OK;
	if (out != NULL)
		bson_destroy(out);
	bson_destroy(filter);
	bson_destroy(upd);
	bson_destroy(db);
	return rc;
}

static void
release_database(struct api_req *q, const char *db_id, const char *op_id)
{
	bson_t *filter = BCON_NEW("_id", BCON_UTF8(db_id), "active_operation_id", BCON_UTF8(op_id));
	bson_t *upd = BCON_NEW("$set", "{", "active_operation_id", BCON_NULL, "}");
	bson_error_t err;

	if (!mongoc_collection_update_one(q->mdb->coll[MDB_DATABASES], filter, upd, NULL, NULL,
	    &err))
		log_warnx("retry_release_failed", "database=%s op=%s error=%s", db_id, op_id,
		    err.message);
	bson_destroy(filter);
	bson_destroy(upd);
}

/* failed -> queued; *OUT is the new document. */
static int
requeue(struct api_req *q, const char *op_id, bson_t **out)
{
	int64_t now = clk_wall_ms();
	bson_t *filter = BCON_NEW("_id", BCON_UTF8(op_id), "status", BCON_UTF8("failed"));
	bson_t *upd = BCON_NEW("$set", "{", "status", BCON_UTF8("queued"), "attempts", BCON_INT32(0),
	    "error", BCON_UTF8(""), "worker", BCON_NULL, "started_at", BCON_NULL,
	    "finished_at", BCON_NULL, "updated_at", BCON_DATE_TIME(now),
	    "retried_at", BCON_DATE_TIME(now), "}");
	int rc = api_store_modify(q->mdb, MDB_OPERATIONS, filter, upd, out);

	bson_destroy(filter);
	bson_destroy(upd);
	return rc;
}

static void
unqueue(struct api_req *q, const char *op_id)
{
	bson_t *filter = BCON_NEW("_id", BCON_UTF8(op_id), "status", BCON_UTF8("queued"));
	bson_t *upd = BCON_NEW("$set", "{", "status", BCON_UTF8("failed"),
	    "error", BCON_UTF8("retry could not be queued: Redis unavailable"), "}");
	bson_error_t err;

	if (!mongoc_collection_update_one(q->mdb->coll[MDB_OPERATIONS], filter, upd, NULL, NULL,
	    &err))
		log_warnx("retry_undo_failed", "op=%s error=%s", op_id, err.message);
	bson_destroy(filter);
	bson_destroy(upd);
}

static int
enqueue(struct api_req *q, const char *op_id)
{
	char stream[160];
	redisReply *rep;
	int ok;

	rds_key(&q->redis->p, stream, sizeof(stream), "ops");
	rep = rds_command(q->redis, "XADD %s * op %s", stream, op_id);
	ok = rep != NULL && rep->type == REDIS_REPLY_STRING;
	freeReplyObject(rep);
	return ok ? 0 : -1;
}

static void
retry(struct api_req *q, const bson_t *op)
{
	const char *op_id = api_bson_str(op, "_id"), *db_id = api_bson_str(op, "database_id");
	bson_t *out = NULL;
	int set_here = 0, rc;

	if (db_id == NULL) {
		api_reply_store(q, API_STORE_CONFLICT, "the database has another active operation");
		return;
	}
	if (api_doc_lock(q, db_id) != 0)	/* doclock.c: claim, requeue and undo as one step */
		return;
	rc = claim_database(q, db_id, op_id, &set_here);
	if (rc != API_STORE_OK) {
		api_doc_unlock(db_id);
		api_reply_store(q, rc, "the database has another active operation");
		return;
	}
	rc = requeue(q, op_id, &out);
	if (rc == API_STORE_OK && enqueue(q, op_id) == 0) {
		log_info("operation_retried", "op=%s database=%s", op_id, db_id);
		api_reply_json(q, 202, render_op(out));
	} else if (rc == API_STORE_OK) {
		unqueue(q, op_id);
		api_reply_unavailable(q, "redis");
	} else {
		api_reply_store(q, rc, "the operation is no longer failed");
	}
	if (rc != API_STORE_OK || q->status != 202) {
		if (set_here)
			release_database(q, db_id, op_id);
	}
	api_doc_unlock(db_id);
	if (out != NULL)
		bson_destroy(out);
}

void
api_op_retry(struct api_req *q)
{
	struct api_verr e = { 0 };
	cJSON *body;
	bson_t *op = NULL;
	const char *st;
	char msg[128];

	if (!api_idem_begin(q) || (body = api_body_json(q, 1)) == NULL)
		return;
	if (api_val_empty(body, &e) != 0) {
		api_reply_verr(q, &e);
	} else if (load_op(q, &op) == 0) {
		st = api_bson_str(op, "status");
		if (st == NULL || strcmp(st, "failed") != 0) {
			snprintf(msg, sizeof(msg), "only a failed operation can be retried (status %s)",
			    st != NULL ? st : "unknown");
			api_reply_problem(q, 409, NULL, msg, NULL);
		} else {
			retry(q, op);
		}
	}
	if (op != NULL)
		bson_destroy(op);
	cJSON_Delete(body);
}
