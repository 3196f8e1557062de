/*
 * api — the HTTP API role.
 *
 * Each API process runs evhttp on the listening socket it inherited from the
 * supervisor; all API processes (and, during a reload, two generations of
 * them) accept from the same kernel queue, so a reload never refuses a
 * connection.  Stopping gracefully means: stop accepting, answer whatever
 * arrives on open connections with "Connection: close", close connections
 * that stay idle, and exit when none is left (or after api.drain_timeout_s).
 * Handlers are synchronous and use tightly bounded MongoDB and Redis calls.
 *
 * Start-up never waits for MongoDB: indexes and the bootstrap admin key are
 * retried from a one-second timer until MongoDB answers, while requests
 * get 503 meanwhile.  A bootstrap key file that cannot be read or is
 * malformed is a configuration error: the process exits with 78, which
 * stops the whole service (the supervisor does not restart it).
 */
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

static void
conn_closed(struct evhttp_connection *conn, void *arg)
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
	a->conns[a->nconns++] = conn;
	evhttp_connection_set_closecb(conn, conn_closed, a);
	if (a->draining)
		evhttp_connection_set_timeout(conn, DRAIN_IDLE_S);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct api *a = arg;
	struct api_req q;

	a->requests++;
	conn_track(a, evhttp_request_get_connection(req));
	api_req_begin(&q, a, req);
	api_dispatch(&q);
}

static void
on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
	struct api *a = arg;
	int64_t elapsed = clk_mono_ms() - a->drain_started_ms;

	(void)fd;
	(void)what;
	if (a->nconns == 0 && elapsed >= DRAIN_GRACE_MS) {
		log_info("drained", "requests=%llu ms=%lld", (unsigned long long)a->requests,
		    (long long)elapsed);
		role_exit_loop(a->role, ROLE_EXIT_OK);
	} else if (elapsed >= (int64_t)a->cfg->api.drain_timeout_s * 1000) {
		log_warnx("drain_timeout", "open_connections=%zu", a->nconns);
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

/* Housekeeping off the request path: indexes, bootstrap key, last_used. */
static void
on_flush_tick(evutil_socket_t fd, short what, void *arg)
{
	struct api *a = arg;
	char err[512];

	(void)fd;
	(void)what;
	if (!a->mdb_ok)
		return;
	if (!a->indexes_ok && mdb_ensure_indexes(&a->mdb, err, sizeof(err)) == 0) {
		a->indexes_ok = 1;
	} else if (!a->indexes_ok && !a->indexes_warned) {
		log_warnx("indexes_pending", "error=%s retry=%s", err, "every second");
		a->indexes_warned = 1;	/* once: MongoDB may simply not be up yet */
	}
	if (a->indexes_ok)
		api_bootstrap_try(a);
	api_auth_flush(a);
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

static int
api_setup_store(struct api *a, struct role *r)
{
	struct timeval tick = { FLUSH_TICK_MS / 1000, (FLUSH_TICK_MS % 1000) * 1000 };

	if (api_auth_init(a) != 0 || api_store_open(a) != 0)
		return -1;
	a->ev_flush = event_new(r->base, -1, EV_PERSIST, on_flush_tick, a);
	if (a->ev_flush == NULL || event_add(a->ev_flush, &tick) != 0)
		return -1;
	on_flush_tick(-1, 0, a);
	return 0;
}

static int
api_setup(struct api *a, struct role *r)
{
	struct timeval tv = { r->cfg->api.request_timeout_ms / 1000,
		(r->cfg->api.request_timeout_ms % 1000) * 1000 };
	struct rds_params p;

	a->role = r;
	a->cfg = r->cfg;
	rds_params_from_cfg(&p, r->cfg);
	rds_open(&a->redis, &p);
	if (api_setup_store(a, r) != 0)
		return -1;
	a->http = evhttp_new(r->base);
	if (a->http == NULL)
		return -1;
	evhttp_set_max_body_size(a->http, r->cfg->api.max_body_bytes);
	evhttp_set_max_headers_size(a->http, r->cfg->api.max_header_bytes);
	evhttp_set_timeout_tv(a->http, &tv);
	evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PATCH |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS);
	evhttp_set_gencb(a->http, on_request, a);
	a->bound = evhttp_accept_socket_with_handle(a->http, r->listen_fd);
	if (a->bound == NULL) {
		log_warn("accept_socket_failed", "fd=%d", r->listen_fd);
		return -1;
	}
	return 0;
}

static void
api_teardown(struct api *a)
{
	if (a->ev_flush != NULL)
		event_free(a->ev_flush);
	if (a->auth != NULL && a->mdb_ok)
		api_auth_flush(a);
	if (a->ev_drain != NULL)
		event_free(a->ev_drain);
	if (a->http != NULL)
		evhttp_free(a->http);
	free(a->conns);
	rds_close(&a->redis);
	api_auth_free(a);
	api_opstats_free(a);
	if (a->mdb_ok)
		mdb_close(&a->mdb);
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
		role_ready(r);
		code = role_dispatch(r);
	}
	role_quiesce(r);
	api_teardown(a);
	free(a);
	r->data = NULL;
	return code;
}
