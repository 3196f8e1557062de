/*
 * operation — the operation documents as a worker sees them.
 *
 * Claiming is one conditional findAndModify: only an operation that is still
 * pending, queued or running can move to running under this worker, and its
 * attempts counter goes up by one — the count of deliveries that reached an
 * executor, compared with workers.max_deliveries.  Finishing is conditional
 * on still owning the operation, so a worker that lost it (taken over after
 * a stall, or cancelled) never overwrites the newer outcome.
 */
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "worker/wrk_int.h"

static int64_t
doc_int(const bson_t *doc, const char *key)
{
	bson_iter_t it;

	if (!bson_iter_init_find(&it, doc, key))
		return 0;
	if (BSON_ITER_HOLDS_INT32(&it) || BSON_ITER_HOLDS_INT64(&it) || BSON_ITER_HOLDS_DOUBLE(&it))
		return bson_iter_as_int64(&it);
	return 0;
}

/* findAndModify on OP_ID with UPD (returning the new document), bounded by maxTimeMS. */
static bool
find_and_modify(struct wrk *w, const bson_t *q, const bson_t *upd, bson_t *reply,
    bson_error_t *err)
{
	mongoc_find_and_modify_opts_t *fm = mongoc_find_and_modify_opts_new();
	bson_t *extra = mdb_opts(&w->mdb);
	bool ok;

	mongoc_find_and_modify_opts_set_update(fm, upd);
	mongoc_find_and_modify_opts_set_flags(fm, MONGOC_FIND_AND_MODIFY_RETURN_NEW);
	mongoc_find_and_modify_opts_append(fm, extra);
	ok = mongoc_collection_find_and_modify_with_opts(w->mdb.coll[MDB_OPERATIONS], q, fm,
	    reply, err);
	mongoc_find_and_modify_opts_destroy(fm);
	bson_destroy(extra);
	return ok;
}

enum wrk_claim
wrk_op_claim(struct wrk *w, const char *op_id, bson_t **op)
{
	bson_t *q, *upd, reply;
	bson_error_t err;
	bson_iter_t it;
	const uint8_t *data;
	uint32_t len;
	int64_t now = clk_wall_ms();
	bool ok;

	q = BCON_NEW("_id", BCON_UTF8(op_id), "status", "{", "$in", "[", BCON_UTF8("pending"),
	    BCON_UTF8("queued"), BCON_UTF8("running"), "]", "}");
	upd = BCON_NEW("$set", "{", "status", BCON_UTF8("running"), "worker", BCON_UTF8(w->consumer),
	    "started_at", BCON_DATE_TIME(now), "updated_at", BCON_DATE_TIME(now), "}",
	    "$inc", "{", "attempts", BCON_INT32(1), "}");
	ok = find_and_modify(w, q, upd, &reply, &err);
	bson_destroy(q);
	bson_destroy(upd);
	if (!ok) {
		log_warnx("operation_claim_failed", "op=%s error=%s", op_id, err.message);
		bson_destroy(&reply);
		return WRK_ERROR;
	}
	if (!bson_iter_init_find(&it, &reply, "value") || !BSON_ITER_HOLDS_DOCUMENT(&it)) {
		/* Deleted or already finished: the caller acks either way, so
		 * telling the two apart would only cost another round trip. */
		bson_destroy(&reply);
		return WRK_GONE;
	}
	bson_iter_document(&it, &len, &data);
	*op = bson_new_from_data(data, len);
	bson_destroy(&reply);
	if (*op == NULL)
		return WRK_ERROR;
	if (doc_int(*op, "attempts") > w->cfg->workers.max_deliveries) {
		wrk_op_finish(w, op_id, 0, "gave up: delivered more than workers.max_deliveries times");
		bson_destroy(*op);
		*op = NULL;
		return WRK_EXHAUSTED;
	}
	return WRK_CLAIMED;
}

int
wrk_op_finish(struct wrk *w, const char *op_id, int ok, const char *error)
{
	int64_t now = clk_wall_ms();
	bson_t *q = BCON_NEW("_id", BCON_UTF8(op_id), "worker", BCON_UTF8(w->consumer),
	    "status", BCON_UTF8("running"));
	bson_t *upd = BCON_NEW("$set", "{", "status", BCON_UTF8(ok ? "completed" : "failed"),
	    "error", BCON_UTF8(error != NULL ? error : ""), "finished_at", BCON_DATE_TIME(now),
	    "updated_at", BCON_DATE_TIME(now), "}");
	bson_t reply;
	bson_error_t err;
	bool done = mongoc_collection_update_one(w->mdb.coll[MDB_OPERATIONS], q, upd, NULL, &reply,
	    &err);
	int64_t matched = done ? doc_int(&reply, "matchedCount") : 0;

	bson_destroy(q);
	bson_destroy(upd);
	bson_destroy(&reply);
	if (!done) {
		log_warnx("operation_finish_failed", "op=%s error=%s", op_id, err.message);
		return -1;
	}
	if (matched == 0) {
		log_warnx("operation_lost", "op=%s reason=%s", op_id, "no longer running under this worker");
		return -1;
	}
	return 0;
}
