/*
 * api — the HTTP API role.
 *
 * Each API process runs evhttp on the listening socket it inherited from the
 * supervisor; all API processes (and, during a reload, two generations of
 * them) accept from the same kernel queue, so a reload never refuses a
 * connection.  Stopping gracefully means: stop accepting, answer whatever
 * arrives on open connections with "Connection: close", close connections
 * that stay idle, and exit when none is left (or after api.drain_timeout_s).
 *
 * The event loop never waits for MongoDB or Redis: it accepts, parses,
 * tracks connections and sends replies, while every handler runs as a job
 * on the process's handler threads (pool.c) with tightly bounded calls.  A
 * request goes loop -> queue -> thread -> completion list -> loop; the
 * drain waits for queued and running jobs too, so their replies go out
 * (with "Connection: close") before the process exits.
 *
 * Start-up does not wait for MongoDB to come up: the process starts
 * accepting (and reports READY) once the first housekeeping job has run,
 * so the bootstrap admin key works from the first request when MongoDB is
 * there, and MDB_ONCE makes that run fail fast when it is not.  Indexes and
 * the bootstrap key are then retried by the same job, queued every second,
 * while requests get 503 meanwhile.  The job also writes the batched
 * last_used times, once more at the end of the drain.  A bootstrap key file that cannot be read or is
 * malformed is a configuration error: the process exits with 78, which
 * stops the whole service (the supervisor does not restart it).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/http.h>
#include <openssl/crypto.h>

#include "api/api.h"
#include "api/api_int.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"

#define FLUSH_TICK_MS 1000

#define DRAIN_TICK_MS 50
#define DRAIN_GRACE_MS 300	/* let connections accepted just before we stopped send their request */
#define DRAIN_IDLE_S 1		/* an idle keep-alive connection is closed after this while draining */

void
api_conn_closed(struct evhttp_connection *conn, void *arg)
{
	struct api *a = arg;

	for (size_t i = 0; i < a->nconns; i++) {
		if (a->conns[i] == conn) {
			a->conns[i] = a->conns[--a->nconns];
			return;
		}
	}
}

/* Remember CONN (once) so the drain knows when the last connection is gone. */
static void
conn_track(struct api *a, struct evhttp_connection *conn)
{
	for (size_t i = 0; i < a->nconns; i++)
		if (a->conns[i] == conn)
			return;
	if (a->nconns == a->capconns) {
		size_t cap = a->capconns ? a->capconns * 2 : 64;
		struct evhttp_connection **n = realloc(a->conns, cap * sizeof(*n));
		if (n == NULL)
			return;
		a->conns = n;
		a->capconns = cap;
	}
	a->conns[a->nconns++] = conn;	/* deadline.c's close callback forgets it */
	if (a->draining)
		evhttp_connection_set_timeout(conn, DRAIN_IDLE_S);
}

/* A body over api.max_body_bytes: 1 after replying 413 (see api_start's limit). */
static int
too_large(struct api_req *q)
{
	char detail[160];

	if (q->body_len <= (size_t)q->api->cfg->api.max_body_bytes)
		return 0;
	snprintf(detail, sizeof(detail), "the body has %zu bytes; api.max_body_bytes is %d",
	    q->body_len, q->api->cfg->api.max_body_bytes);
	api_reply_problem(q, 413, NULL, detail, NULL);
	return 1;
}

/*
 * A request: copy it into a job, answer 413/404/405 here, queue the rest for a
 * handler thread, or answer 503 at once when the queue is full.
 */
static void
on_request(struct evhttp_request *req, void *arg)
{
	struct api *a = arg;
	struct api_req *q;

	a->requests++;
	conn_track(a, evhttp_request_get_connection(req));
	q = api_req_new(a, req);
	if (q == NULL) {
		log_warnx("request_dropped", "reason=%s", "out of memory");
		evhttp_send_error(req, 503, NULL);
		return;
	}
	if (too_large(q) || !api_route_match(q)) {
		api_req_send(q);
	} else if (api_pool_submit(a->pool, &q->job) != 0) {
		api_reply_busy(q);
		api_req_send(q);
	}
}

/* Queue the housekeeping job unless it is queued or running already. */
static void
housekeeping_submit(struct api *a)
{
	if (a->housekeeping_busy)
		return;
	if (api_pool_submit(a->pool, &a->housekeeping) == 0)
		a->housekeeping_busy = 1;
}

static void
on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
	struct api *a = arg;
	int64_t elapsed = clk_mono_ms() - a->drain_started_ms;

	(void)fd;
	(void)what;
	if (a->nconns == 0 && api_pool_inflight(a->pool) == 0 && elapsed >= DRAIN_GRACE_MS) {
		if (!a->last_flush_sent) {
			/* Last job: write the batched last_used times, then leave on a later tick. */
			a->last_flush_sent = 1;
			housekeeping_submit(a);
			if (a->housekeeping_busy)
				return;
		}
		log_info("drained", "requests=%llu ms=%lld", (unsigned long long)a->requests,
		    (long long)elapsed);
		role_exit_loop(a->role, ROLE_EXIT_OK);
	} else if (elapsed >= (int64_t)a->cfg->api.drain_timeout_s * 1000) {
		log_warnx("drain_timeout", "open_connections=%zu jobs=%zu", a->nconns,
		    api_pool_inflight(a->pool));
		role_exit_loop(a->role, ROLE_EXIT_OK);
	}
}

static void
api_on_stop(struct role *r)
{
	struct api *a = r->data;
	struct timeval tick = { 0, DRAIN_TICK_MS * 1000 };

	a->draining = 1;
	a->drain_started_ms = clk_mono_ms();
	if (a->bound != NULL)
		evhttp_del_accept_socket(a->http, a->bound);	/* closes only our copy */
	a->bound = NULL;
	for (size_t i = 0; i < a->nconns; i++)
		evhttp_connection_set_timeout(a->conns[i], DRAIN_IDLE_S);
	log_info("draining", "open_connections=%zu", a->nconns);
	a->ev_drain = event_new(r->base, -1, EV_PERSIST, on_drain_tick, a);
	if (a->ev_drain == NULL || event_add(a->ev_drain, &tick) != 0)
		role_exit_loop(r, ROLE_EXIT_OK);
}

/* Housekeeping off the request path (handler thread): indexes, bootstrap key, last_used. */
static void
housekeeping_run(struct api_job *j, struct api_clients *c)
{
	struct api *a = (struct api *)((char *)j - offsetof(struct api, housekeeping));
	char err[512];

	if (!a->indexes_ok && mdb_ensure_indexes(&c->mdb, err, sizeof(err)) == 0) {
		a->indexes_ok = 1;
	} else if (!a->indexes_ok && !a->indexes_warned) {
		log_warnx("indexes_pending", "error=%s retry=%s", err, "every second");
		a->indexes_warned = 1;	/* once: MongoDB may simply not be up yet */
	}
	if (a->indexes_ok)
		api_bootstrap_try(a, &c->mdb);
	api_auth_flush(a, &c->mdb);
}

/* Accept on the inherited socket and tell the supervisor; 0 or -1. */
static int
start_serving(struct api *a)
{
	a->bound = evhttp_accept_socket_with_handle(a->http, a->role->listen_fd);
	if (a->bound == NULL) {
		log_warn("accept_socket_failed", "fd=%d", a->role->listen_fd);
		return -1;
	}
	role_ready(a->role);
	return 0;
}

static void
housekeeping_done(struct api_job *j)
{
	struct api *a = (struct api *)((char *)j - offsetof(struct api, housekeeping));

	a->housekeeping_busy = 0;
	if (a->serving || a->draining)
		return;
	a->serving = 1;
	if (start_serving(a) != 0)
		role_exit_loop(a->role, ROLE_EXIT_ERROR);
}

static void
housekeeping_drop(struct api_job *j)
{
	(void)j;
}

static void
on_flush_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	housekeeping_submit(arg);
}

/* Read api.bootstrap_admin_key_file; -1 means a fatal configuration error. */
static int
load_bootstrap(struct api *a)
{
	const char *path = a->cfg->api.bootstrap_admin_key_file;
	char err[256];

	if (path[0] == '\0')
		return 0;
	if (api_key_read_file(path, a->bootstrap_key, sizeof(a->bootstrap_key), err,
	    sizeof(err)) != 0) {
		log_error("bootstrap_key_invalid", "file=%s error=%s", path, err);
		return -1;
	}
	a->bootstrap_pending = 1;
	return 0;
}

/* The shared state handlers use, the handler threads and the housekeeping timer. */
static int
api_setup_pool(struct api *a, struct role *r)
{
	struct timeval tick = { FLUSH_TICK_MS / 1000, (FLUSH_TICK_MS % 1000) * 1000 };

	a->housekeeping.run = housekeeping_run;
	a->housekeeping.done = housekeeping_done;
	a->housekeeping.drop = housekeeping_drop;
	if (api_auth_init(a) != 0 || api_opstats_init(a) != 0 || api_pool_start(a) != 0)
		return -1;
	a->ev_flush = event_new(r->base, -1, EV_PERSIST, on_flush_tick, a);
	if (a->ev_flush == NULL || event_add(a->ev_flush, &tick) != 0)
		return -1;
	housekeeping_submit(a);
	return 0;
}

static int
api_setup(struct api *a, struct role *r)
{
	struct timeval tv = { r->cfg->api.request_timeout_ms / 1000,
		(r->cfg->api.request_timeout_ms % 1000) * 1000 };

	a->role = r;
	if (api_setup_pool(a, r) != 0)
		return -1;
	a->http = evhttp_new(r->base);
	if (a->http == NULL)
		return -1;
	/*
	 * libevent refuses a longer body before reading it, but with its own HTML
	 * 413 (2.1 has no hook for that reply).  Letting it read up to twice our
	 * limit lets too_large() answer the common near miss with problem+json,
	 * while memory per request stays bounded.
	 */
	evhttp_set_max_body_size(a->http,
	    API_BODY_READ_FACTOR * (ev_ssize_t)r->cfg->api.max_body_bytes);
	evhttp_set_max_headers_size(a->http, r->cfg->api.max_header_bytes);
	evhttp_set_timeout_tv(a->http, &tv);
	api_deadline_install(a);
	evhttp_set_allowed_methods(a->http, 0xffff);	/* router.c answers 405 itself */
	evhttp_set_gencb(a->http, on_request, a);
	return 0;
}

/*
 * The pool stops first: its threads finish what they run, and jobs never
 * answered are dropped before evhttp_free() frees their requests along
 * with the connections.
 */
static void
api_teardown(struct api *a)
{
	api_pool_stop(a->pool);
	a->pool = NULL;
	if (a->ev_flush != NULL)
		event_free(a->ev_flush);
	if (a->ev_drain != NULL)
		event_free(a->ev_drain);
	if (a->http != NULL)
		evhttp_free(a->http);
	free(a->conns);
	api_auth_free(a);
	api_opstats_free(a);
	OPENSSL_cleanse(a->bootstrap_key, sizeof(a->bootstrap_key));
}

int
api_main(struct role *r)
{
	struct api *a = calloc(1, sizeof(*a));
	int code = ROLE_EXIT_ERROR;

	if (a == NULL)
		return code;
	r->data = a;
	r->on_stop = api_on_stop;
	a->cfg = r->cfg;
	if (load_bootstrap(a) != 0) {
		code = ROLE_EXIT_FATAL_CONFIG;
	} else if (r->listen_fd >= 0 && api_setup(a, r) == 0) {
		code = role_dispatch(r);	/* serving starts after the first housekeeping */
	}
	role_quiesce(r);
	api_teardown(a);
	free(a);
	r->data = NULL;
	return code;
}
