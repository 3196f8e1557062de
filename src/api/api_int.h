/*
 * api_int — what the files of src/api share:
 *   api.c        the role: evhttp on the inherited socket, connections, drain
 *   pool.c       handler threads, their queue and the hand-back to the loop
 *   router.c     the route table, authentication gate and dispatch
 *   http.c       request jobs: bodies, headers, query strings, replies, access log
 *   auth.c       bearer keys: hashing, the verified-key cache, last_used batching
 *   keys.c       key generation and registration (bootstrap file, --create-admin-key)
 *   store.c      MongoDB helpers: fast-failing client, finds, BSON -> JSON
 *   cursor.c     opaque pagination cursors
 *   validate.c   request body validators (pure: no I/O; fuzzed and unit-tested)
 *   kubeconfig.c kubeconfig YAML -> provider connection fields (pure)
 *   idempotency.c Idempotency-Key on POST (Redis)
 *   doclock.c    per-document write lock between handler threads
 *   databases.c  /databases and its actions and events
 *   operations.c /operations and retry
 *   providers.c  /providers
 *   apikeys.c    /api-keys
 *   health.c     GET /health        ready.c  GET /ready
 *   metrics_render.c GET /metrics   openapi.c GET /openapi.json
 *
 * Threads: the event loop (api.c, pool.c's completion side, http.c's
 * api_req_new/api_req_send) owns everything of libevent.  Handlers run on
 * the pool's threads and see a request only as a struct api_req, which the
 * loop filled with copies; they reach MongoDB and Redis through q->mdb and
 * q->redis, the clients of the thread running them.  Of struct api, handlers
 * read the immutable configuration and use the auth cache and the operation
 * counts, which lock themselves.
 */
#ifndef DBAAS_API_INT_H
#define DBAAS_API_INT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "common/id.h"
#include "common/mdb.h"
#include "common/rds.h"
#include "common/role.h"

#define API_MAX_PARAMS 4
#define API_JSON_DEPTH 32	/* deepest JSON body accepted */
#define API_RETRY_AFTER_S "1"	/* Retry-After on 503: our reconnects are that quick */
#define API_BODY_READ_FACTOR 2	/* libevent reads bodies up to this times api.max_body_bytes */
#define API_QUEUE_PER_THREAD 32	/* requests waiting for a handler thread, per thread */

/* HELP of the API's own metric families: registered where counted, declared in metrics_render.c */
#define API_HELP_AUTH "API key checks by outcome (cache_hit, verified, rejected)"
#define API_HELP_NUDGE "reconciler nudges the API could not push (Redis unavailable)"
#define API_HELP_REQS "HTTP requests answered by the API, by route, method and status code"
#define API_HELP_LAT "time from reading a request to sending its reply, by route, method and code"
#define API_HELP_DEP "requests of the API that MongoDB or Redis could not serve"

struct api_auth;
struct api_opstats;
struct api_pool;

/* What one handler thread owns (pool.c): its own clients, never shared. */
struct api_clients {
	struct mdb mdb;			/* MDB_ONCE: fails fast while MongoDB is gone */
	struct rds redis;		/* synchronous, with command timeouts */
};

/*
 * Work for a handler thread.  RUN runs on a pool thread with that thread's
 * clients; DONE runs afterwards on the loop thread; DROP (loop thread)
 * frees a job that will never run or be answered (the process is exiting).
 */
struct api_job {
	void (*run)(struct api_job *j, struct api_clients *c);
	void (*done)(struct api_job *j);
	void (*drop)(struct api_job *j);
	struct api_job *next;		/* pool.c's lists */
};

struct api {
	struct role *role;
	const struct cfg *cfg;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct api_pool *pool;		/* handler threads (pool.c) */
	struct api_auth *auth;		/* verified-key cache (auth.c), locks itself */
	struct api_opstats *opstats;	/* cached operation counts for /metrics, locks itself */
	int draining;
	int64_t drain_started_ms;
	struct event *ev_drain, *ev_flush;
	struct evhttp_connection **conns;	/* open connections that sent a request */
	size_t nconns, capconns;
	uint64_t requests;
	/* Housekeeping (indexes, bootstrap key, last_used) runs as a job, one at a time. */
	struct api_job housekeeping;
	int housekeeping_busy;		/* loop thread only */
	int serving;			/* accepting since the first housekeeping ran */
	int last_flush_sent;		/* the drain's final last_used flush was queued */
	/* Read and written only by the housekeeping job. */
	int indexes_ok, indexes_warned;
	int bootstrap_pending;		/* bootstrap key not yet registered */
	char bootstrap_key[512];
};

/* Who is calling (filled by the auth gate). */
struct api_principal {
	char key_id[ID_MAX];
	char tenant[64];		/* "" for admin keys */
	int admin;
};

enum api_auth_need { API_AUTH_NONE, API_AUTH_ANY, API_AUTH_ADMIN };

struct api_route;

/*
 * One request, as a self-contained job: the loop thread copies in what
 * handlers read (api_req_new), a handler thread runs the route on it and
 * leaves the reply in it, and the loop thread sends that (api_req_send).
 * Everything here is owned by the job; only REQ is libevent's, and only
 * the loop thread touches it.
 */
struct api_req {
	struct api_job job;		/* first: pool.c hands back &q->job */
	struct api *api;
	struct mdb *mdb;		/* the running thread's clients (pool.c) */
	struct rds *redis;
	/* The request. */
	enum evhttp_cmd_type method;
	const struct api_route *rt;	/* matched route (router.c) */
	const char *route;		/* its pattern, for metrics; NULL if none */
	char path[512];
	char *query;			/* after '?', or NULL */
	struct evkeyvalq in;		/* request headers */
	char *body;			/* NUL-terminated, BODY_LEN bytes before it */
	size_t body_len;
	const char *params[API_MAX_PARAMS];	/* {name} segments of the route, in order */
	char param_buf[512];
	char request_id[64];
	int http11;			/* HTTP/1.1 or later (Host is then required) */
	int close;			/* framing was doubtful: close after the reply */
	int64_t start_us;
	struct api_principal who;
	char idem_key[160];		/* Redis key while an Idempotency-Key is in play */
	char idem_hash[65];
	/* The reply. */
	int status;			/* 0 until a handler replies */
	char ctype[96];
	struct evkeyvalq out;		/* response headers */
	char *out_body;
	size_t out_len;
	/* Loop thread only. */
	struct evhttp_request *req;
};

typedef void api_handler_fn(struct api_req *q);

struct api_route {
	enum evhttp_cmd_type method;
	const char *pattern;	/* "/api/v1/databases/{id}"; "{x}" matches one segment */
	enum api_auth_need auth;
	api_handler_fn *handler;
};

/* pool.c */
/*
 * Start A's handler threads (api.threads), each opening its own MongoDB
 * and Redis clients, and the completion event on the role's loop.  0, or -1
 * (logged) with nothing left running.
 */
int api_pool_start(struct api *a);
/* Queue J for a thread (loop thread); -1 when the queue is full or stopping. */
int api_pool_submit(struct api_pool *p, struct api_job *j);
/* Jobs submitted whose DONE has not run yet (loop thread). */
size_t api_pool_inflight(const struct api_pool *p);
/*
 * Let the running jobs finish, join the threads, close their clients and
 * DROP every job not yet handed back.  Frees P.
 */
void api_pool_stop(struct api_pool *p);

/*
 * http.c: 1 if Q's headers frame it unambiguously (RFC 9112), else 0 after
 * replying 400 with Connection: close (loop thread, before routing).
 */
int api_req_framing_ok(struct api_req *q);

/*
 * deadline.c: bound the read of each whole request by api.request_timeout_ms
 * from its first byte (A->http must exist).  Sets every connection's close
 * callback, which calls api_conn_closed() (api.c).
 */
void api_deadline_install(struct api *a);
/* api.c: a connection is gone (its close callback, through deadline.c). */
void api_conn_closed(struct evhttp_connection *conn, void *arg);

/* router.c */
/* Match Q's path (loop thread): 1 with Q->rt set, or 0 after replying 404/405. */
int api_route_match(struct api_req *q);
/* Authenticate and run the matched route (handler thread). */
void api_dispatch(struct api_req *q);
const struct api_route *api_routes(size_t *n);

/* http.c */
/*
 * The job for REQ (loop thread): copies method, path, query string, headers
 * and body (drained from REQ's input buffer) and picks the request id.
 * NULL when out of memory.
 */
struct api_req *api_req_new(struct api *a, struct evhttp_request *req);
/* Send Q's reply on its request, count and log it, free Q (loop thread). */
void api_req_send(struct api_req *q);
/* Free Q without replying; its request dies with its connection (loop thread). */
void api_req_free(struct api_req *q);
/* "GET", "POST", ... for M ("OTHER" for methods the API does not route). */
const char *api_method_name(enum evhttp_cmd_type m);
/* 503 + Retry-After: every handler thread is busy and the queue is full. */
void api_reply_busy(struct api_req *q);
/* Reply BODY (consumed) as JSON with STATUS. */
void api_reply_json(struct api_req *q, int status, cJSON *body);
/* Reply TEXT (copied) as-is with CTYPE. */
void api_reply_text(struct api_req *q, int status, const char *ctype, const char *text,
    size_t len);
/* application/problem+json; ERRORS (consumed, may be NULL) is the field list. */
void api_reply_problem(struct api_req *q, int status, const char *title, const char *detail,
    cJSON *errors);
/* 400/422 with one field error. */
void api_reply_field(struct api_req *q, int status, const char *field, const char *msg);
/* 503 with Retry-After; WHAT names the unavailable service. */
void api_reply_unavailable(struct api_req *q, const char *what);
void api_set_header(struct api_req *q, const char *name, const char *value);
const char *api_header(const struct api_req *q, const char *name);
const char *api_status_title(int status);
/*
 * The request body as a JSON object: checks Content-Type (415), size (413),
 * UTF-8, depth and syntax (400).  Returns the tree (caller frees) or NULL
 * after replying.  EMPTY_OK: an absent body yields an empty object.
 */
cJSON *api_body_json(struct api_req *q, int empty_ok);
/*
 * Parse the query string into OUT (caller clears with evhttp_clear_headers),
 * rejecting names not in ALLOWED and repeated names (400).  0 or -1 after replying.
 */
int api_query(struct api_req *q, const char *const *allowed, struct evkeyvalq *out);
/* limit= (default and max from the config) and cursor= for PREFIX's ids. */
int api_page_args(struct api_req *q, struct evkeyvalq *qs, const char *prefix, int *limit,
    char *after, size_t n);

/* auth.c */
int api_auth_init(struct api *a);
void api_auth_free(struct api *a);
/* Authenticate Q for NEED; 0, or -1 after replying 401/403/503. */
int api_auth_check(struct api_req *q, enum api_auth_need need);
/* Write batched last_used times with M (housekeeping job). */
void api_auth_flush(struct api *a, struct mdb *m);
/* Forget a key in this process's cache (after DELETE /api-keys). */
void api_auth_forget(struct api *a, const char *key_id);

/* keys.c */
#define API_KEY_PREFIX "dbaas_"
#define API_KEY_MIN 32
#define API_KEY_MAX 256
/* A new key "dbaas_" + base64url(32 random bytes) into OUT (>= 64 bytes). */
int api_key_generate(char *out, size_t n);
/* Hex SHA-256 of KEY into HEX (65 bytes). */
void api_key_hash(const char *key, char hex[65]);
/* SHA-256 of EXTRA (with its NUL, when not NULL) then DATA, as hex; "" on failure. */
void api_sha256_hex(const void *data, size_t len, const char *extra, char hex[65]);
/* 1 if KEY has the shape of a key (length, characters). */
int api_key_wellformed(const char *key);
/* Read a key file: 0, or -1 with ERR (unreadable or malformed). */
int api_key_read_file(const char *path, char *key, size_t n, char *err, size_t errlen);
/* Insert a key document; 0, or a store code (store.c). */
int api_key_insert(struct mdb *m, const char *hash, const char *role, const char *tenant,
    const char *name, char *id_out, size_t idn);
/* Register the bootstrap key with M if still pending (housekeeping job). */
void api_bootstrap_try(struct api *a, struct mdb *m);

/* store.c — results of MongoDB calls */
enum {
	API_STORE_OK = 0,
	API_STORE_NOTFOUND = 1,
	API_STORE_DUP = 2,
	API_STORE_CONFLICT = 3,		/* a conditional update matched nothing */
	API_STORE_ERROR = -1,
	API_STORE_UNAVAILABLE = -2,
};
/* Open a handler thread's client (pool.c); 0 or -1 (logged). */
int api_store_open(struct mdb *m, const struct cfg *cfg);
/* Count a request MongoDB or Redis ("mongodb", "redis") could not serve. */
void api_count_failure(const char *service);
/* Classify a libmongoc error (and count it). */
int api_store_classify(const bson_error_t *err, const char *what);
/* Find the document with _id ID; *OUT (caller destroys) on API_STORE_OK. */
int api_store_get(struct mdb *m, enum mdb_coll c, const char *id, bson_t **out);
/* The same for the document whose FIELD is VALUE (a unique index). */
int api_store_get_by(struct mdb *m, enum mdb_coll c, const char *field, const char *value,
    bson_t **out);
typedef int api_store_each_fn(const bson_t *doc, void *arg);
/* Run find(FILTER) sorted by _id descending, at most LIMIT docs, EACH per doc. */
int api_store_find(struct mdb *m, enum mdb_coll c, const bson_t *filter, int limit,
    api_store_each_fn *each, void *arg);
/* findAndModify returning the new document into *OUT (NULL filter match -> CONFLICT). */
int api_store_modify(struct mdb *m, enum mdb_coll c, const bson_t *filter,
    const bson_t *update, bson_t **out);
int api_store_insert(struct mdb *m, enum mdb_coll c, const bson_t *doc);
int api_store_count(struct mdb *m, enum mdb_coll c, const bson_t *filter, int64_t *n);
/* Reply for a non-OK store result. */
void api_reply_store(struct api_req *q, int rc, const char *what);
/* The listed FIELDS of DOC as JSON (_id shown as "id", dates as RFC 3339). */
cJSON *api_bson_fields(const bson_t *doc, const char *const *fields);
cJSON *api_bson_value(const bson_iter_t *it, int depth);
const char *api_bson_str(const bson_t *doc, const char *key);
int64_t api_bson_int(const bson_t *doc, const char *key, int64_t dflt);
int api_bson_bool(const bson_t *doc, const char *key);
/* Append the JSON object OBJ's scalar members to B (for desired values). */
void api_json_to_bson(const cJSON *obj, bson_t *b);

/* cursor.c */
#define API_CURSOR_MAX 96
/* Encode the id ID as an opaque cursor. */
void api_cursor_encode(const char *id, char *out, size_t n);
/* Unpadded base64url of IN[N] into OUT (NUL-terminated, truncated to fit OUTN). */
void api_b64u_encode(const unsigned char *in, size_t n, char *out, size_t outn);
/* Decode CURSOR, which must carry an id with PREFIX; 0 or -1. */
int api_cursor_decode(const char *cursor, const char *prefix, char *id, size_t n);

/* idempotency.c */
/*
 * Before a POST that creates something: if an Idempotency-Key came, claim it
 * or replay.  Returns 1 to proceed, 0 when a reply was already set.
 */
int api_idem_begin(struct api_req *q);
/* After the handler of a claimed request replied: store or release (handler thread). */
void api_idem_finish(struct api_req *q);

/*
 * doclock.c: one thread at a time read-check-writes the document with ID.
 * 0 with the lock held, or -1 after replying 503 (waited op_timeout_ms).
 */
int api_doc_lock(struct api_req *q, const char *id);
void api_doc_unlock(const char *id);

/* databases.c, shared with operations.c */
void api_nudge(struct rds *r, const char *database_id);
/* Load the database ID visible to Q's caller; 0, or -1 after replying 404/503. */
int api_db_load(struct api_req *q, const char *id, bson_t **doc);
/* Reply with a verification-error list (consumed). */
struct api_verr;
void api_reply_verr(struct api_req *q, struct api_verr *e);
/* Items + next_cursor page from a find on COLL. */
typedef cJSON *api_render_fn(const bson_t *doc);
void api_list_reply(struct api_req *q, enum mdb_coll c, bson_t *filter, int limit,
    api_render_fn *render);
/* Adds a list's own query filters to F; 0, or -1 after replying. */
typedef int api_filter_fn(struct api_req *q, struct evkeyvalq *qs, bson_t *f);
struct api_list_spec {
	const char *const *allowed;	/* query parameters, "limit" and "cursor" included */
	const char *id_prefix;		/* of the ids a cursor may hold */
	enum mdb_coll coll;
	api_filter_fn *filter;		/* NULL: no filters */
	api_render_fn *render;
};
/* A whole list endpoint: parameters, filters, cursor, newest first. */
void api_list(struct api_req *q, const struct api_list_spec *spec);

/* handlers */
void api_health(struct api_req *q);
void api_ready(struct api_req *q);
void api_metrics(struct api_req *q);
void api_openapi(struct api_req *q);
void api_db_create(struct api_req *q);
void api_db_list(struct api_req *q);
void api_db_get(struct api_req *q);
void api_db_patch(struct api_req *q);
void api_db_delete(struct api_req *q);
void api_db_pause(struct api_req *q);
void api_db_resume(struct api_req *q);
void api_db_events(struct api_req *q);
void api_op_list(struct api_req *q);
void api_op_get(struct api_req *q);
void api_op_retry(struct api_req *q);
void api_prv_create(struct api_req *q);
void api_prv_list(struct api_req *q);
void api_prv_get(struct api_req *q);
void api_prv_patch(struct api_req *q);
void api_prv_delete(struct api_req *q);
void api_key_create(struct api_req *q);
void api_key_list(struct api_req *q);
void api_key_delete(struct api_req *q);

/* metrics_render.c: operation counts cache */
int api_opstats_init(struct api *a);
void api_opstats_free(struct api *a);

/* openapi_doc.c (generated from openapi.json) */
extern const char api_openapi_doc[];

#endif
