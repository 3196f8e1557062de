/*
 * store — the API's MongoDB access: one client per handler thread (pool.c),
 * and the mapping of its outcomes to HTTP.
 *
 * A handler thread serves one request at a time, so a MongoDB outage must
 * cost a request milliseconds, not libmongoc's defaults, or the queue
 * behind it fills.  Each client is opened with MDB_ONCE: after a failed
 * connection the server sits
 * in libmongoc's short cooldown and further selections fail at once, which
 * we answer with 503 + Retry-After; the next selection after the cooldown
 * reconnects by itself.  Finds and findAndModify carry maxTimeMS; plain
 * writes are bounded by the socket timeout (see mdb.h).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "api/api_int.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"

int
api_store_open(struct mdb *m, const struct cfg *cfg)
{
	char err[512];

	if (mdb_open(m, cfg, "dbaasd-api", MDB_ONCE, err, sizeof(err)) != 0) {
		log_warnx("mongodb_setup_failed", "error=%s", err);
		return -1;
	}
	return 0;
}

void
api_count_failure(const char *service)
{
	static struct met_family *_Atomic cache;
	struct met_family *f = met_family_cached(&cache, "dbaas_api_dependency_failures_total",
	    MET_COUNTER, API_HELP_DEP, NULL, 0);
	char labels[64];

	snprintf(labels, sizeof(labels), "service=\"%s\"", service);
	met_add(f, labels, 1);
}

int
api_store_classify(const bson_error_t *err, const char *what)
{
	if (err->code == 11000 || err->code == 11001)
		return API_STORE_DUP;
	api_count_failure("mongodb");
	if (err->domain == MONGOC_ERROR_SERVER_SELECTION || err->domain == MONGOC_ERROR_STREAM ||
	    err->domain == MONGOC_ERROR_CLIENT || err->code == 50 /* MaxTimeMSExpired */ ||
	    err->code == 91 /* ShutdownInProgress */ || err->code == 189 /* PrimarySteppedDown */) {
		log_warnx("mongodb_unavailable", "op=%s error=%s", what, err->message);
		return API_STORE_UNAVAILABLE;
	}
	log_warnx("mongodb_error", "op=%s domain=%u code=%u error=%s", what, err->domain, err->code,
	    err->message);
	return API_STORE_ERROR;
}

int
api_store_get(struct mdb *m, enum mdb_coll c, const char *id, bson_t **out)
{
	return api_store_get_by(m, c, "_id", id, out);
}

int
api_store_get_by(struct mdb *m, enum mdb_coll c, const char *field, const char *value,
    bson_t **out)
{
	bson_t *filter = BCON_NEW(field, BCON_UTF8(value));
	bson_t *opts = mdb_opts(m);
	mongoc_cursor_t *cur;
	const bson_t *doc;
	bson_error_t err;
	int rc = API_STORE_NOTFOUND;

	BSON_APPEND_INT64(opts, "limit", 1);
	cur = mongoc_collection_find_with_opts(m->coll[c], filter, opts, NULL);
	if (mongoc_cursor_next(cur, &doc)) {
		*out = bson_copy(doc);
		rc = API_STORE_OK;
	} else if (mongoc_cursor_error(cur, &err)) {
		rc = api_store_classify(&err, "find");
	}
	mongoc_cursor_destroy(cur);
	bson_destroy(opts);
	bson_destroy(filter);
	return rc;
}

int
api_store_find(struct mdb *m, enum mdb_coll c, const bson_t *filter, int limit,
    api_store_each_fn *each, void *arg)
{
	bson_t *opts = mdb_opts(m);
	mongoc_cursor_t *cur;
	const bson_t *doc;
	bson_error_t err;
	int rc = API_STORE_OK;

	BCON_APPEND(opts, "sort", "{", "_id", BCON_INT32(-1), "}", "limit", BCON_INT64(limit));
	cur = mongoc_collection_find_with_opts(m->coll[c], filter, opts, NULL);
	while (mongoc_cursor_next(cur, &doc))
		if (each(doc, arg) != 0)
			break;
	if (mongoc_cursor_error(cur, &err))
		rc = api_store_classify(&err, "find");
	mongoc_cursor_destroy(cur);
	bson_destroy(opts);
	return rc;
}

int
api_store_modify(struct mdb *m, enum mdb_coll c, const bson_t *filter, const bson_t *update,
    bson_t **out)
{
	mongoc_find_and_modify_opts_t *fm = mongoc_find_and_modify_opts_new();
	bson_t *extra = mdb_opts(m), reply;
	bson_error_t err;
	bson_iter_t it;
	int rc = API_STORE_CONFLICT;

	mongoc_find_and_modify_opts_set_update(fm, update);
	mongoc_find_and_modify_opts_set_flags(fm, MONGOC_FIND_AND_MODIFY_RETURN_NEW);
	mongoc_find_and_modify_opts_append(fm, extra);
	if (!mongoc_collection_find_and_modify_with_opts(m->coll[c], filter, fm, &reply, &err)) {
		rc = api_store_classify(&err, "findAndModify");
	} else if (bson_iter_init_find(&it, &reply, "value") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
		const uint8_t *data;
		uint32_t len;
		bson_iter_document(&it, &len, &data);
		*out = bson_new_from_data(data, len);
		rc = *out != NULL ? API_STORE_OK : API_STORE_ERROR;
	}
	bson_destroy(&reply);
	bson_destroy(extra);
	mongoc_find_and_modify_opts_destroy(fm);
	return rc;
}

int
api_store_insert(struct mdb *m, enum mdb_coll c, const bson_t *doc)
{
	bson_error_t err;

	if (mongoc_collection_insert_one(m->coll[c], doc, NULL, NULL, &err))
		return API_STORE_OK;
	return api_store_classify(&err, "insert");
}

int
api_store_count(struct mdb *m, enum mdb_coll c, const bson_t *filter, int64_t *n)
{
	bson_t *opts = mdb_opts(m);
	bson_error_t err;

	BSON_APPEND_INT64(opts, "limit", 1);
	*n = mongoc_collection_count_documents(m->coll[c], filter, opts, NULL, NULL, &err);
	bson_destroy(opts);
	return *n < 0 ? api_store_classify(&err, "count") : API_STORE_OK;
}

void
api_reply_store(struct api_req *q, int rc, const char *what)
{
	switch (rc) {
	case API_STORE_NOTFOUND:
		api_reply_problem(q, 404, NULL, what, NULL);
		break;
	case API_STORE_DUP:
	case API_STORE_CONFLICT:
		api_reply_problem(q, 409, NULL, what, NULL);
		break;
	case API_STORE_UNAVAILABLE:
		api_reply_unavailable(q, "mongodb");
		break;
	default:
		api_reply_problem(q, 500, NULL, "the database request failed", NULL);
		break;
	}
}

/* ---- BSON -> JSON ---- */

cJSON *
api_bson_value(const bson_iter_t *it, int depth)
{
	char ts[CLK_RFC3339_LEN];
	bson_iter_t child;
	cJSON *o;

	switch (bson_iter_type(it)) {
	case BSON_TYPE_UTF8:
		return cJSON_CreateString(bson_iter_utf8(it, NULL));
	case BSON_TYPE_INT32:
	case BSON_TYPE_INT64:
	case BSON_TYPE_DOUBLE:
		return cJSON_CreateNumber(bson_iter_as_double(it));
	case BSON_TYPE_BOOL:
		return cJSON_CreateBool(bson_iter_bool(it));
	case BSON_TYPE_DATE_TIME:
		clk_rfc3339(bson_iter_date_time(it), ts, sizeof(ts));
		return cJSON_CreateString(ts);
	case BSON_TYPE_DOCUMENT:
	case BSON_TYPE_ARRAY:
		if (depth > 8 || !bson_iter_recurse(it, &child))
			return cJSON_CreateNull();
		o = bson_iter_type(it) == BSON_TYPE_ARRAY ? cJSON_CreateArray() : cJSON_CreateObject();
		while (bson_iter_next(&child)) {
			cJSON *v = api_bson_value(&child, depth + 1);
			if (cJSON_IsArray(o))
				cJSON_AddItemToArray(o, v);
			else
				cJSON_AddItemToObject(o, bson_iter_key(&child), v);
		}
		return o;
	default:
		return cJSON_CreateNull();
	}
}

cJSON *
api_bson_fields(const bson_t *doc, const char *const *fields)
{
	cJSON *o = cJSON_CreateObject();
	bson_iter_t it;

	for (; *fields != NULL; fields++) {
		const char *key = strcmp(*fields, "id") == 0 ? "_id" : *fields;
		if (bson_iter_init_find(&it, doc, key))
			cJSON_AddItemToObject(o, *fields, api_bson_value(&it, 0));
		else
			cJSON_AddNullToObject(o, *fields);
	}
	return o;
}

const char *
api_bson_str(const bson_t *doc, const char *key)
{
	bson_iter_t it;

	if (bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_UTF8(&it))
		return bson_iter_utf8(&it, NULL);
	return NULL;
}

int64_t
api_bson_int(const bson_t *doc, const char *key, int64_t dflt)
{
	bson_iter_t it;

	if (bson_iter_init_find(&it, doc, key) && (BSON_ITER_HOLDS_INT32(&it) ||
	    BSON_ITER_HOLDS_INT64(&it) || BSON_ITER_HOLDS_DOUBLE(&it)))
		return bson_iter_as_int64(&it);
	return dflt;
}

int
api_bson_bool(const bson_t *doc, const char *key)
{
	bson_iter_t it;

	return bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_BOOL(&it) &&
	    bson_iter_bool(&it);
}

void
api_json_to_bson(const cJSON *obj, bson_t *b)
{
	for (const cJSON *it = obj != NULL ? obj->child : NULL; it != NULL; it = it->next) {
		if (cJSON_IsString(it))
			BSON_APPEND_UTF8(b, it->string, it->valuestring);
		else if (cJSON_IsBool(it))
			BSON_APPEND_BOOL(b, it->string, cJSON_IsTrue(it));
		else if (cJSON_IsNumber(it))
			BSON_APPEND_INT64(b, it->string, (int64_t)it->valuedouble);
	}
}
