/*
 * deadline — one whole request must arrive within api.request_timeout_ms.
 *
 * libevent's timeout counts inactivity only, so a client trickling one byte
 * a second keeps a connection (and a file descriptor) forever.  libevent
 * 2.1 has no hook for "a request started", but it lets us create each
 * connection's bufferevent (evhttp_set_bevcb), and an evbuffer callback on
 * its input sees every read.  On the first byte of a request we note the
 * time; on every read after it we set the bufferevent's read timeout to
 * what is left of the deadline, so trickling does not extend it and
 * libevent closes the connection when it runs out (as for any read
 * timeout).  When the reply is queued on the output buffer the request is
 * over: the next one starts from zero and the plain inactivity timeout is
 * back for the keep-alive wait.
 *
 * Per-connection state is made on the first byte (when libevent's
 * connection is known through the bufferevent's callback argument) and
 * freed by the connection's close callback, which then calls api.c's, so
 * a connection that never sends anything costs nothing here.
 */
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>

#include "api/api_int.h"
#include "common/clock.h"

struct dl_conn {
	struct api *a;
	struct bufferevent *bev;
	int64_t started_ms;		/* first byte of the current request; 0 between requests */
};

static struct api *dl_api;		/* this process's API (one per process) */

static struct timeval
ms_tv(int64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000) };

	return tv;
}

static void
set_read_timeout(struct dl_conn *c, int64_t read_ms)
{
	struct timeval r = ms_tv(read_ms), w = ms_tv(c->a->cfg->api.request_timeout_ms);

	bufferevent_set_timeouts(c->bev, &r, &w);
}

static void
on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct dl_conn *c = arg;
	int64_t now, left;

	(void)buf;
	if (info->n_added == 0)
		return;
	now = clk_mono_ms();
	if (c->started_ms == 0)
		c->started_ms = now;
	left = (int64_t)c->a->cfg->api.request_timeout_ms - (now - c->started_ms);
	set_read_timeout(c, left > 0 ? left : 1);
}

/* A reply is being written: the request is complete. */
static void
on_output(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct dl_conn *c = arg;

	(void)buf;
	if (info->n_added == 0 || c->started_ms == 0)
		return;
	c->started_ms = 0;
	if (!c->a->draining)	/* api.c shortened it for the drain */
		set_read_timeout(c, c->a->cfg->api.request_timeout_ms);
}

static void
on_close(struct evhttp_connection *evcon, void *arg)
{
	struct dl_conn *c = arg;

	evbuffer_remove_cb(bufferevent_get_input(c->bev), on_input, c);
	evbuffer_remove_cb(bufferevent_get_output(c->bev), on_output, c);
	api_conn_closed(evcon, c->a);
	free(c);
}

/* The connection's first bytes: state, close callback, and the per-read callbacks. */
static void
on_first_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct bufferevent *bev = arg;
	struct dl_conn *c;
	void *evcon = NULL;

	if (info->n_added == 0 || dl_api == NULL)
		return;
	bufferevent_getcb(bev, NULL, NULL, NULL, &evcon);
	if (evcon == NULL || (c = calloc(1, sizeof(*c))) == NULL)
		return;		/* keeps the plain inactivity timeout */
	c->a = dl_api;
	c->bev = bev;
	evbuffer_remove_cb(buf, on_first_input, bev);	/* libevent saved the next entry */
	if (evbuffer_add_cb(buf, on_input, c) == NULL ||
	    evbuffer_add_cb(bufferevent_get_output(bev), on_output, c) == NULL) {
		evbuffer_remove_cb(buf, on_input, c);
		free(c);
		return;
	}
	evhttp_connection_set_closecb(evcon, on_close, c);
	on_input(buf, info, c);
}

static struct bufferevent *
new_bev(struct event_base *base, void *arg)
{
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);

	(void)arg;
	if (bev != NULL && evbuffer_add_cb(bufferevent_get_input(bev), on_first_input, bev) == NULL) {
		bufferevent_free(bev);
		return NULL;
	}
	return bev;
}

void
api_deadline_install(struct api *a)
{
	dl_api = a;
	evhttp_set_bevcb(a->http, new_bev, a);
}
