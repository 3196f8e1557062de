/*
 * mdb — the MongoDB connection of one process.
 *
 * libmongoc's defaults suit batch jobs, not a control plane (connect 10 s,
 * socket 5 min, server selection 30 s); here every timeout comes from the
 * config and every operation carries maxTimeMS.  A process opens its client
 * after fork() — clients and their sockets must never be shared with a child.
 * Calls block: roles run them from their event loop with these tight bounds.
 */
#ifndef DBAAS_MDB_H
#define DBAAS_MDB_H

#include <stddef.h>

#include <mongoc/mongoc.h>

#include "common/config.h"

enum mdb_coll {
	MDB_PROVIDERS,
	MDB_DATABASES,
	MDB_OPERATIONS,
	MDB_EVENTS,
	MDB_API_KEYS,
	MDB_NCOLL
};

struct mdb {
	mongoc_client_t *client;
	mongoc_database_t *db;
	mongoc_collection_t *coll[MDB_NCOLL];
	int op_timeout_ms;
	pid_t pid;		/* the process that opened it (fork guard) */
};

/*
 * 0 if URI is a valid MongoDB connection string, else -1 with the reason in
 * ERR.  libmongoc's own log line about it is suppressed: the caller reports.
 */
int mdb_uri_check(const char *uri, char *err, size_t errlen);
/* Call once per process before anything else of libmongoc (main() does). */
void mdb_global_init(void);
void mdb_global_cleanup(void);

/*
 * How a call behaves while no server is reachable:
 *   MDB_WAIT  keep trying for mongodb.server_selection_timeout_ms (workers,
 *             tools: riding out a failover is better than failing);
 *   MDB_ONCE  fail at once after a failed connection (libmongoc's
 *             serverSelectionTryOnce), then retry after its short cooldown:
 *             for request paths that must answer 503 in milliseconds.
 */
enum mdb_selection { MDB_WAIT, MDB_ONCE };

/*
 * Create the client for CFG with APPNAME ("dbaasd-worker").  Connecting is
 * lazy; use mdb_ping() to find out.  Returns 0 or -1 with ERR.
 */
int mdb_open(struct mdb *m, const struct cfg *cfg, const char *appname,
    enum mdb_selection sel, char *err, size_t errlen);
void mdb_close(struct mdb *m);
/* Round trip to the server ({ping: 1}).  Returns 0 or -1 with ERR. */
int mdb_ping(struct mdb *m, char *err, size_t errlen);
/* Create the collections' indexes (idempotent).  Returns 0 or -1 with ERR. */
int mdb_ensure_indexes(struct mdb *m, char *err, size_t errlen);
/*
 * Options document {maxTimeMS: op_timeout} for reads (find, aggregate,
 * count) and findAndModify; caller destroys.  Not for update/insert/delete:
 * libmongoc appends unknown options of those to the statement, where the
 * server rejects them; writes are bounded by mongodb.socket_timeout_ms.
 */
bson_t *mdb_opts(const struct mdb *m);
const char *mdb_coll_name(enum mdb_coll c);

#endif
