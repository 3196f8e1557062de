/*
 * mdb — MongoDB client setup and schema (indexes) — see mdb.h.
 *
 * Indexes are declared in one table and created with createIndexes, which is
 * a no-op when an index with the same name and keys exists: every process
 * may run it at start without coordination.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/mdb.h"

static const char *const coll_names[MDB_NCOLL] = {
	[MDB_PROVIDERS] = "providers",
	[MDB_DATABASES] = "databases",
	[MDB_OPERATIONS] = "operations",
	[MDB_EVENTS] = "events",
	[MDB_API_KEYS] = "api_keys",
};

/*
 * Keys are JSON so the table stays readable.  The "live key" of a database is
 * "tenant/provider/namespace/name" while it lives and its own id once deleted:
 * a plain unique index then enforces uniqueness among live databases only,
 * without partial indexes (which FerretDB lacks).
 */
struct index_def {
	enum mdb_coll coll;
	const char *name;
	const char *keys;
	int unique;
};

static const struct index_def indexes[] = {
	{ MDB_PROVIDERS, "name_unique", "{\"name\": 1}", 1 },
	{ MDB_DATABASES, "live_key_unique", "{\"live_key\": 1}", 1 },
	{ MDB_DATABASES, "tenant_id", "{\"tenant\": 1, \"_id\": -1}", 0 },
	{ MDB_DATABASES, "provider_id", "{\"provider_id\": 1}", 0 },
	{ MDB_DATABASES, "status", "{\"status\": 1}", 0 },
	{ MDB_OPERATIONS, "database_id", "{\"database_id\": 1, \"_id\": -1}", 0 },
	{ MDB_OPERATIONS, "status", "{\"status\": 1}", 0 },
	{ MDB_OPERATIONS, "tenant_id", "{\"tenant\": 1, \"_id\": -1}", 0 },
	{ MDB_EVENTS, "database_id", "{\"database_id\": 1, \"_id\": -1}", 0 },
	{ MDB_API_KEYS, "hash_unique", "{\"hash\": 1}", 1 },
	{ MDB_API_KEYS, "tenant", "{\"tenant\": 1}", 0 },
};

/*
 * libmongoc logs to stderr in its own format; route warnings through ours.
 * FerretDB has no endSessions command, which libmongoc sends when a client
 * is destroyed: that one is harmless and goes to debug.
 */
/*
 * > 0 while validating: the error is returned, not logged.  Atomic because
 * libmongoc calls the handler from whichever thread logs (the API's
 * handler threads), though only configuration checks change it.
 */
static _Atomic int log_quiet;

static void
mongoc_to_log(mongoc_log_level_t level, const char *domain, const char *message, void *arg)
{
	(void)arg;
	if (level > MONGOC_LOG_LEVEL_WARNING || log_quiet > 0)
		return;
	if (strstr(message, "endSessions") != NULL)
		log_debug("mongoc", "domain=%s msg=%s", domain, message);
	else
		log_warnx("mongoc", "domain=%s msg=%s", domain, message);
}

void
mdb_global_init(void)
{
	mongoc_init();
	mongoc_log_set_handler(mongoc_to_log, NULL);
}

void
mdb_global_cleanup(void)
{
	mongoc_cleanup();
}

int
mdb_uri_check(const char *uri, char *err, size_t errlen)
{
	bson_error_t berr;
	mongoc_uri_t *u;

	mongoc_log_set_handler(mongoc_to_log, NULL);
	log_quiet++;
	u = mongoc_uri_new_with_error(uri, &berr);
	log_quiet--;
	if (u == NULL) {
		snprintf(err, errlen, "%s", berr.message);
		return -1;
	}
	mongoc_uri_destroy(u);
	return 0;
}

const char *
mdb_coll_name(enum mdb_coll c)
{
	return coll_names[c];
}

static mongoc_uri_t *
build_uri(const struct cfg *cfg, enum mdb_selection sel, char *err, size_t errlen)
{
	bson_error_t berr;
	mongoc_uri_t *uri = mongoc_uri_new_with_error(cfg->mongodb.uri, &berr);

	if (uri == NULL) {
		snprintf(err, errlen, "mongodb.uri: %s", berr.message);
		return NULL;
	}
	mongoc_uri_set_option_as_int32(uri, MONGOC_URI_CONNECTTIMEOUTMS,
	    cfg->mongodb.connect_timeout_ms);
	mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SOCKETTIMEOUTMS,
	    cfg->mongodb.socket_timeout_ms);
	mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS,
	    cfg->mongodb.server_selection_timeout_ms);
	mongoc_uri_set_option_as_bool(uri, MONGOC_URI_SERVERSELECTIONTRYONCE, sel == MDB_ONCE);
	return uri;
}

int
mdb_open(struct mdb *m, const struct cfg *cfg, const char *appname, enum mdb_selection sel,
    char *err, size_t errlen)
{
	mongoc_uri_t *uri;

	memset(m, 0, sizeof(*m));
	uri = build_uri(cfg, sel, err, errlen);
	if (uri == NULL)
		return -1;
	m->client = mongoc_client_new_from_uri(uri);
	mongoc_uri_destroy(uri);
	if (m->client == NULL) {
		snprintf(err, errlen, "mongoc_client_new_from_uri failed");
		return -1;
	}
	mongoc_client_set_error_api(m->client, MONGOC_ERROR_API_VERSION_2);
	mongoc_client_set_appname(m->client, appname);
	m->db = mongoc_client_get_database(m->client, cfg->mongodb.database);
	for (int i = 0; i < MDB_NCOLL; i++)
		m->coll[i] = mongoc_database_get_collection(m->db, coll_names[i]);
	m->op_timeout_ms = cfg->mongodb.op_timeout_ms;
	m->pid = getpid();
	return 0;
}

void
mdb_close(struct mdb *m)
{
	for (int i = 0; i < MDB_NCOLL; i++)
		if (m->coll[i] != NULL)
			mongoc_collection_destroy(m->coll[i]);
	if (m->db != NULL)
		mongoc_database_destroy(m->db);
	if (m->client != NULL)
		mongoc_client_destroy(m->client);
	memset(m, 0, sizeof(*m));
}

bson_t *
mdb_opts(const struct mdb *m)
{
	bson_t *o = bson_new();

	BSON_APPEND_INT64(o, "maxTimeMS", m->op_timeout_ms);
	return o;
}

int
mdb_ping(struct mdb *m, char *err, size_t errlen)
{
	bson_t *cmd = BCON_NEW("ping", BCON_INT32(1));
	bson_error_t berr;
	bool ok = mongoc_database_command_simple(m->db, cmd, NULL, NULL, &berr);

	bson_destroy(cmd);
	if (!ok)
		snprintf(err, errlen, "ping: %s", berr.message);
	return ok ? 0 : -1;
}

static int
create_index(struct mdb *m, const struct index_def *d, char *err, size_t errlen)
{
	bson_error_t berr;
	bson_t *keys = bson_new_from_json((const uint8_t *)d->keys, -1, &berr);
	bson_t cmd = BSON_INITIALIZER, arr, idx;
	bool ok;

	if (keys == NULL) {
		snprintf(err, errlen, "index %s: %s", d->name, berr.message);
		return -1;
	}
	BSON_APPEND_UTF8(&cmd, "createIndexes", coll_names[d->coll]);
	BSON_APPEND_ARRAY_BEGIN(&cmd, "indexes", &arr);
	BSON_APPEND_DOCUMENT_BEGIN(&arr, "0", &idx);
	BSON_APPEND_DOCUMENT(&idx, "key", keys);
	BSON_APPEND_UTF8(&idx, "name", d->name);
	if (d->unique)
		BSON_APPEND_BOOL(&idx, "unique", true);
	bson_append_document_end(&arr, &idx);
	bson_append_array_end(&cmd, &arr);
	ok = mongoc_database_write_command_with_opts(m->db, &cmd, NULL, NULL, &berr);
	bson_destroy(&cmd);
	bson_destroy(keys);
	if (!ok)
		snprintf(err, errlen, "createIndexes %s.%s: %s", coll_names[d->coll], d->name,
		    berr.message);
	return ok ? 0 : -1;
}

int
mdb_ensure_indexes(struct mdb *m, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(indexes) / sizeof(indexes[0]); i++)
		if (create_index(m, &indexes[i], err, errlen) != 0)
			return -1;
	return 0;
}
