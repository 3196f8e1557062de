/* watch — see watch.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "common/clock.h"
#include "kubesim/faults.h"
#include "kubesim/http.h"
#include "kubesim/jsonx.h"
#include "kubesim/list.h"
#include "kubesim/reply.h"
#include "kubesim/store.h"
#include "kubesim/table.h"
#include "kubesim/watch.h"

struct watcher {
	struct ksim_hub *hub;
	struct ksim_call *c;
	const struct ksim_res *res;
	struct ksim_filter filter;
	uint64_t seq;			/* next ring position to look at */
	uint64_t min_rv;		/* skip events at or below (a future start RV) */
	uint64_t start_rv;
	int bookmarks;
	const char *table;		/* Table version, or NULL */
	int table_headers_sent;
	int initial;			/* still sending the synthetic ADDED events */
	uint64_t init_rv;
	char init_key[600];
	size_t init_keylen;
	struct event *end_ev;		/* timeoutSeconds (or an injected early close) */
	struct event *bookmark_ev;
	struct event *final_bookmark_ev;
	struct evbuffer *pend;		/* events not yet sent: Go's response buffer */
	struct watcher *next, *prev;
};

/*
 * Go's net/http buffers a response in 2 KiB before each chunk; the
 * apiserver flushes only when its event queue is empty.  So a backlog goes
 * out in 2 KiB chunks that cut events anywhere, and a live event alone.
 */
#define PEND_SIZE 2048

struct ksim_hub {
	struct ksim_sim *sim;
	struct watcher *by_res[KSIM_NRES];
	size_t count;
	struct evbuffer *line;		/* the last event line built, shared by watchers */
	const struct ksim_res *line_res;
	uint64_t line_seq;
	int line_type;
};

static const char *const type_names[] = { "ADDED", "MODIFIED", "DELETED" };

struct ksim_hub *
ksim_hub_new(struct ksim_sim *sim)
{
	struct ksim_hub *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->sim = sim;
	if ((h->line = evbuffer_new()) == NULL) {
		free(h);
		return NULL;
	}
	h->line_type = -1;
	return h;
}

size_t
ksim_hub_count(const struct ksim_hub *h)
{
	return h->count;
}

static void
unlink_watcher(struct watcher *w)
{
	struct ksim_hub *h = w->hub;

	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		h->by_res[w->res->id] = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	h->count--;
	if (w->end_ev != NULL)
		event_free(w->end_ev);
	if (w->bookmark_ev != NULL)
		event_free(w->bookmark_ev);
	if (w->final_bookmark_ev != NULL)
		event_free(w->final_bookmark_ev);
	ksim_filter_free(&w->filter);
	if (w->pend != NULL)
		evbuffer_free(w->pend);
	ksim_req_on_close(w->c->req, NULL, NULL);
	ksim_req_on_drain(w->c->req, NULL, NULL);
}

/* Send what the response buffer holds as one chunk. */
static void
flush(struct watcher *w)
{
	size_t n = evbuffer_get_length(w->pend);

	if (n == 0)
		return;
	ksim_req_stream_write(w->c->req, (const char *)evbuffer_pullup(w->pend, -1), n);
	evbuffer_drain(w->pend, n);
}

/* Write DATA through the response buffer, as bufio.Writer.Write does. */
static void
emit(struct watcher *w, const char *data, size_t len)
{
	for (;;) {
		size_t have = evbuffer_get_length(w->pend), room = PEND_SIZE - have;

		if (len <= room)
			break;
		if (have == 0) {
			ksim_req_stream_write(w->c->req, data, len);	/* big write, empty buffer */
			return;
		}
		evbuffer_add(w->pend, data, room);
		data += room;
		len -= room;
		flush(w);
	}
	evbuffer_add(w->pend, data, len);
}

/* End the stream cleanly (final chunk) and forget the watcher. */
static void
watcher_end(struct watcher *w)
{
	struct ksim_req *req = w->c->req;

	flush(w);
	unlink_watcher(w);
	free(w);
	ksim_req_stream_end(req);
}

static void
on_client_gone(struct ksim_req *req, void *arg)
{
	struct watcher *w = arg;

	unlink_watcher(w);
	free(w);
}

void
ksim_hub_close_all(struct ksim_hub *h)
{
	for (int i = 0; i < KSIM_NRES; i++)
		while (h->by_res[i] != NULL)
			watcher_end(h->by_res[i]);
}

void
ksim_hub_free(struct ksim_hub *h)
{
	if (h == NULL)
		return;
	ksim_hub_close_all(h);
	evbuffer_free(h->line);
	free(h);
}

static int
over_high_water(const struct watcher *w)
{
	return ksim_req_backlog(w->c->req) >= w->hub->sim->conf->watch_buffer;
}

/* Send one event (TYPE, object JSON) to W. */
static void
send_event(struct watcher *w, const char *type, const char *json, size_t len, const struct ksim_ver *v)
{
	struct evbuffer *b;

	if (w->table != NULL && v != NULL) {
		struct ksim_table_meta m = { v->rv, NULL, -1 };
		struct ksim_ver *one = (struct ksim_ver *)v;

		if ((b = evbuffer_new()) == NULL)
			return;
		evbuffer_add_printf(b, "{\"type\":\"%s\",\"object\":", type);
		ksim_table_build(b, w->res, w->table, &one, 1, &m, !w->table_headers_sent,
		    ksim_req_query(w->c->req, "includeObject"));
		w->table_headers_sent = 1;
		evbuffer_add(b, "}\n", 2);
	} else {
		if ((b = evbuffer_new()) == NULL)
			return;
		evbuffer_add_printf(b, "{\"type\":\"%s\",\"object\":", type);
		evbuffer_add(b, json, len);
		evbuffer_add(b, "}\n", 2);
	}
	emit(w, (const char *)evbuffer_pullup(b, -1), evbuffer_get_length(b));
	evbuffer_free(b);
}

/* The shared line for ring event SEQ as TYPE (built once per event). */
static struct evbuffer *
shared_line(struct ksim_hub *h, const struct ksim_res *res, uint64_t seq, int type,
    const struct ksim_ver *v)
{
	if (h->line_res != res || h->line_seq != seq || h->line_type != type) {
		evbuffer_drain(h->line, evbuffer_get_length(h->line));
		evbuffer_add_printf(h->line, "{\"type\":\"%s\",\"object\":", type_names[type]);
		evbuffer_add(h->line, v->json, v->len);
		evbuffer_add(h->line, "}\n", 2);
		h->line_res = res;
		h->line_seq = seq;
		h->line_type = type;
	}
	return h->line;
}

/* PREV's content with the event's resourceVersion: an object leaving the filter. */
static void
send_left(struct watcher *w, const struct ksim_ver *prev, uint64_t rv)
{
	cJSON *obj = ksim_ver_parse(prev);
	char rvs[24], *s;
	size_t len;

	if (obj == NULL)
		return;
	snprintf(rvs, sizeof(rvs), "%llu", (unsigned long long)rv);
	ksim_json_set_str(ksim_json_obj(obj, "metadata"), "resourceVersion", rvs);
	if ((s = ksim_json_print(obj, &len)) != NULL)
		send_event(w, "DELETED", s, len, prev);
	cJSON_free(s);
	cJSON_Delete(obj);
}

/* Deliver ring event E (at SEQ) to W, as the filter sees it. */
static void
deliver(struct watcher *w, const struct ksim_event *e, uint64_t seq)
{
	int now = !e->ver->deleted && ksim_filter_match(&w->filter, e->ver);
	int before = e->prev != NULL && ksim_filter_match(&w->filter, e->prev);
	int type;
	struct evbuffer *line;

	if (e->type == KSIM_EV_DELETED) {
		if (!ksim_filter_match(&w->filter, e->ver))
			return;
		type = KSIM_EV_DELETED;
	} else if (now) {
		type = before ? KSIM_EV_MODIFIED : KSIM_EV_ADDED;
	} else if (before) {
		send_left(w, e->prev, e->rv);
		return;
	} else {
		return;
	}
	if (w->table != NULL) {
		send_event(w, type_names[type], NULL, 0, e->ver);
		return;
	}
	line = shared_line(w->hub, w->res, seq, type, e->ver);
	emit(w, (const char *)evbuffer_pullup(line, -1), evbuffer_get_length(line));
}

/* Synthetic ADDED events for the objects existing at init_rv, resumable. */
static int
pump_initial(struct watcher *w)
{
	struct ksim_store *s = w->hub->sim->store;
	struct ksim_obj *o = ksim_store_seek(s, w->res, w->init_key, w->init_keylen);
	size_t plen = strlen(w->filter.ns) + (w->filter.ns[0] != '\0');

	if (w->init_rv < ksim_store_compacted_rv(s))
		return -1;	/* the snapshot was compacted away while the client lagged */
	for (; o != NULL; o = ksim_store_next(o)) {
		struct ksim_ver *v;

		if (plen > 0 && (strncmp(o->key, w->filter.ns, plen - 1) != 0 || o->key[plen - 1] != '/'))
			break;
		if (over_high_water(w)) {
			size_t kl = strlen(o->key);

			if (kl >= sizeof(w->init_key))
				return -1;
			memcpy(w->init_key, o->key, kl);
			w->init_keylen = kl;
			return 1;	/* resumed by the drain callback */
		}
		v = ksim_obj_at(o, w->init_rv);
		if (v != NULL && ksim_filter_match(&w->filter, v))
			send_event(w, "ADDED", v->json, v->len, v);
	}
	w->initial = 0;
	return 0;
}

/* Move W forward as far as its socket allows. */
static void
pump(struct watcher *w)
{
	struct ksim_ring *r = ksim_store_ring(w->hub->sim->store, w->res);

	if (w->initial) {
		int rc = pump_initial(w);

		if (rc < 0) {
			watcher_end(w);
			return;
		}
		if (rc > 0)
			return;
	}
	while (w->seq < r->next_seq) {
		const struct ksim_event *e;

		if (over_high_water(w))
			return;
		if ((e = ksim_ring_at(r, w->seq)) == NULL) {
			watcher_end(w);		/* fell out of the window: too slow */
			return;
		}
		if (e->rv > w->min_rv)
			deliver(w, e, w->seq);
		w->seq++;
	}
	flush(w);	/* caught up: the queue is empty */
}

static void
on_drained(struct ksim_req *req, void *arg)
{
	pump(arg);
}

void
ksim_hub_event(void *arg, const struct ksim_res *res, uint64_t seq)
{
	struct ksim_hub *h = arg;
	struct watcher *w, *next;

	const struct ksim_ring *r = ksim_store_ring(h->sim->store, res);

	for (w = h->by_res[res->id]; w != NULL; w = next) {
		next = w->next;
		if (!w->initial && w->seq == seq)
			pump(w);
		else if (w->seq < r->first_seq)
			watcher_end(w);		/* the ring moved past it: too slow, dropped */
	}
}

static void
send_bookmark(struct watcher *w)
{
	struct ksim_ring *r = ksim_store_ring(w->hub->sim->store, w->res);
	char json[256];
	int n;

	if (w->initial || w->seq != r->next_seq || r->last_rv <= w->start_rv)
		return;
	if (w->table != NULL)
		n = snprintf(json, sizeof(json), "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/%s\","
		    "\"metadata\":{\"resourceVersion\":\"%llu\"},\"columnDefinitions\":null,\"rows\":[]}",
		    w->table, (unsigned long long)r->last_rv);
	else
		n = snprintf(json, sizeof(json), "{\"apiVersion\":\"%s\",\"kind\":\"%s\",\"metadata\":"
		    "{\"resourceVersion\":\"%llu\"}}", w->res->api_version, w->res->kind,
		    (unsigned long long)r->last_rv);
	send_event(w, "BOOKMARK", json, (size_t)n, NULL);
	flush(w);
}

static void
on_bookmark(evutil_socket_t fd, short what, void *arg)
{
	send_bookmark(arg);
}

static void
on_end(evutil_socket_t fd, short what, void *arg)
{
	watcher_end(arg);
}

/*
 * Answer 200 then one ERROR event with a 410 Expired Status, and close.
 * OLDEST is the oldest RV a watch may start from, as the real message says.
 */
static void
reply_expired(struct ksim_call *c, uint64_t rv, uint64_t oldest)
{
	char msg[128], line[512];
	int n;

	snprintf(msg, sizeof(msg), "too old resource version: %llu (%llu)", (unsigned long long)rv,
	    (unsigned long long)oldest);
	n = snprintf(line, sizeof(line), "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\","
	    "\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"%s\","
	    "\"reason\":\"Expired\",\"code\":410}}\n", msg);
	ksim_req_stream_start(c->req, 200, "application/json");
	ksim_req_stream_write(c->req, line, (size_t)n);
	ksim_req_stream_end(c->req);
}

static int
add_timer(struct watcher *w, struct event **ev, event_callback_fn fn, int64_t ms, int persist)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	*ev = event_new(w->hub->sim->base, -1, persist ? EV_PERSIST : 0, fn, w);
	return *ev == NULL ? -1 : event_add(*ev, &tv);
}

/* Parse timeoutSeconds (default: the configured watch length). */
static int
watch_timeout(struct ksim_call *c, int64_t *ms)
{
	const char *t = ksim_req_query(c->req, "timeoutSeconds");
	char *end;
	long long v;

	*ms = (int64_t)c->sim->conf->watch_timeout_s * 1000;
	if (t == NULL || t[0] == '\0')
		return 0;
	errno = 0;
	v = strtoll(t, &end, 10);
	if (*end != '\0' || errno != 0 || v < 0) {
		ksim_reply_bad_request(c->req, "timeoutSeconds: must be a non-negative integer");
		return -1;
	}
	if (v > 0)
		*ms = v * 1000;
	return 0;
}

/* Where W starts in the ring.  0, 1 if answered (410 or error). */
static int
position(struct watcher *w, struct ksim_call *c)
{
	struct ksim_store *s = c->sim->store;
	struct ksim_ring *r = ksim_store_ring(s, w->res);
	const char *rvs = ksim_req_query(c->req, "resourceVersion");
	char *end;
	uint64_t rv;

	if (rvs == NULL || rvs[0] == '\0' || strcmp(rvs, "0") == 0) {
		w->initial = 1;
		w->init_rv = w->start_rv = ksim_store_rv(s);
		w->init_keylen = (size_t)snprintf(w->init_key, sizeof(w->init_key), "%s%s",
		    w->filter.ns, w->filter.ns[0] != '\0' ? "/" : "");
		w->seq = r->next_seq;
		return 0;
	}
	errno = 0;
	rv = strtoull(rvs, &end, 10);
	if (*end != '\0' || errno != 0 || rvs[0] < '0' || rvs[0] > '9') {
		ksim_reply_bad_request(c->req, "invalid resource version: must be a non-negative integer");
		return 1;
	}
	ksim_store_expire(s, w->res, clk_mono_ms());
	if (rv < r->evicted_rv) {
		reply_expired(c, rv, r->evicted_rv);
		return 1;
	}
	w->start_rv = w->min_rv = rv;
	w->seq = ksim_ring_seek(r, rv);
	return 0;
}

static int
arm_timers(struct watcher *w, int64_t timeout_ms)
{
	struct ksim_call *c = w->c;
	int64_t end_ms = timeout_ms;

	if (c->watch_fault == KSIM_F_WATCH_CLOSE && c->watch_close_ms < end_ms)
		end_ms = c->watch_close_ms;
	if (add_timer(w, &w->end_ev, on_end, end_ms, 0) < 0)
		return -1;
	if (!w->bookmarks)
		return 0;
	if (add_timer(w, &w->bookmark_ev, on_bookmark, (int64_t)c->sim->conf->bookmark_s * 1000, 1) < 0)
		return -1;
	if (timeout_ms > 2000 && timeout_ms <= end_ms &&
	    add_timer(w, &w->final_bookmark_ev, on_bookmark, timeout_ms - 2000, 0) < 0)
		return -1;
	return 0;
}

/* sendInitialEvents needs the WatchList gate, off in 1.30: 422.  1 if answered. */
static int
reject_watch_list(struct ksim_call *c)
{
	const char *sie = ksim_req_query(c->req, "sendInitialEvents");
	struct ksim_cause cause = { "FieldValueForbidden", "Forbidden: sendInitialEvents is "
		"forbidden for watch unless the WatchList feature gate is enabled", "sendInitialEvents" };

	if (sie == NULL || sie[0] == '\0')
		return 0;
	ksim_reply_status(c->req, &(struct ksim_status){ .code = 422, .reason = "Invalid",
	    .message = "ListOptions.meta.k8s.io \"\" is invalid: sendInitialEvents: Forbidden: "
	    "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled",
	    .group = "meta.k8s.io", .kind = "ListOptions", .causes = &cause, .ncauses = 1 });
	return 1;
}

/* A watcher for C positioned in its ring, or NULL once answered (error, 410). */
static struct watcher *
watcher_new(struct ksim_call *c)
{
	struct watcher *w = calloc(1, sizeof(*w));

	if (w == NULL || (w->pend = evbuffer_new()) == NULL) {
		free(w);
		ksim_reply_error(c->req, 500, "InternalError", "out of memory");
		return NULL;
	}
	w->hub = c->sim->hub;
	w->c = c;
	w->res = c->res;
	w->bookmarks = ksim_query_true(ksim_req_query(c->req, "allowWatchBookmarks"));
	w->table = ksim_table_wanted(c->req);
	if (ksim_filter_parse(c, &w->filter) < 0)
		goto fail;
	if (c->watch_fault == KSIM_F_WATCH_EXPIRE)
		reply_expired(c, 0, ksim_store_ring(c->sim->store, c->res)->evicted_rv);
	else if (position(w, c) == 0)
		return w;
	ksim_filter_free(&w->filter);
fail:
	evbuffer_free(w->pend);
	free(w);
	return NULL;
}

void
ksim_watch(struct ksim_call *c)
{
	struct ksim_hub *h = c->sim->hub;
	struct watcher *w;
	int64_t timeout_ms;

	if (reject_watch_list(c) || watch_timeout(c, &timeout_ms) < 0 || (w = watcher_new(c)) == NULL)
		return;
	w->next = h->by_res[w->res->id];
	if (w->next != NULL)
		w->next->prev = w;
	h->by_res[w->res->id] = w;
	h->count++;
	ksim_req_stream_start(c->req, 200, "application/json");
	ksim_req_on_close(c->req, on_client_gone, w);
	ksim_req_on_drain(c->req, on_drained, w);
	if (arm_timers(w, timeout_ms) < 0) {
		watcher_end(w);
		return;
	}
	pump(w);
}
