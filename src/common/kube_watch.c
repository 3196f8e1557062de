/*
 * kube_watch — a WATCH that lasts until its caller stops it or the server
 * says its resourceVersion is gone.
 *
 * Each connection asks for bookmarks and a server-side timeoutSeconds
 * (spread between 5 and 10 minutes unless the caller fixes it, so watches
 * do not all reconnect together) and has a client-side idle deadline: a
 * connection that is silent longer than the server promised to be is dead,
 * whatever TCP thinks.  A connection that ends for any transient reason is
 * reopened from the last resourceVersion seen (events and bookmarks), so no
 * event is missed or repeated; a connection that ends within a second
 * without an event counts as a failure (as client-go does) and backs off.
 * An ERROR event with code 410, or an HTTP 410, ends the watch with
 * KUBE_ERR_GONE: only the caller can re-list.  Reopens pay the provider's
 * token bucket and respect its circuit, but take no in-flight slot (a
 * watch is not a request that finishes).
 *
 * Events are delivered from inside libcurl's write callback, so everything
 * a callback may trigger (cancel, provider change) is only recorded here and
 * carried out by the pump (kube_watch_reap).
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/clock.h"
#include "common/json.h"
#include "common/kube_int.h"
#include "common/log.h"
#include "common/rnd.h"

enum wstate { W_WAIT, W_RUN, W_BACKOFF, W_PENDING };
enum wact { WA_NONE, WA_FREE, WA_END, WA_RESTART };
enum wwhy { WY_NONE, WY_GONE, WY_GARBAGE, WY_ERROR_EVENT, WY_IDLE };

struct kube_watch {
	struct kube_watch *pnext;	/* the provider's watches */
	struct kube_watch *qnext;	/* the client's pending list */
	struct kube *k;
	struct kprov *p;
	char *prov_id;
	char *query;			/* path?watch=1&allowWatchBookmarks=true[&selectors] */
	char *rv;
	int fixed_timeout_s, idle_opt_ms, idle_ms;
	kube_event_cb *on_event;
	kube_watch_end_cb *on_end;
	void *arg;
	enum wstate state;
	enum wact act;			/* what the pump does with it */
	enum wwhy why;			/* why the stream was cut by us */
	int probe;
	int head_seen;
	int events;			/* on this connection */
	int64_t conn_start_ms;
	struct kxfer x;
	struct kwaiter wt;
	struct kube_wline wl;
	struct event *retry_ev, *idle_ev;
	struct backoff bo;
	char *errbody;
	size_t errlen;
	struct kube_result end;		/* the result handed to on_end */
};

static void
set_rv(struct kube_watch *w, const char *rv)
{
	char *c;

	if (rv == NULL || *rv == '\0' || (w->rv != NULL && strcmp(w->rv, rv) == 0))
		return;
	if ((c = strdup(rv)) == NULL)
		return;	/* keep the older one: a resume replays a little more */
	free(w->rv);
	w->rv = c;
}

const char *
kube_watch_rv(const struct kube_watch *w)
{
	return w->rv != NULL ? w->rv : "";
}

static void
pend(struct kube_watch *w, enum wact act)
{
	struct kube_watch **pp;

	if (w->act == WA_FREE || w->act == WA_END)
		return;	/* already ending: the first ending wins */
	if (w->act == WA_NONE) {
		for (pp = &w->k->wdead; *pp != NULL; pp = &(*pp)->qnext)
			;
		w->qnext = NULL;
		*pp = w;
	}
	w->act = act;
	kube_pump_schedule(w->k);
}

static void
detach(struct kube_watch *w)
{
	if (w->p != NULL)
		kube_admit_dequeue(w->p, &w->wt);
	if (w->retry_ev != NULL)
		evtimer_del(w->retry_ev);
	if (w->idle_ev != NULL)
		evtimer_del(w->idle_ev);
	kube_xfer_stop(w->k, &w->x);
	if (w->probe && w->p != NULL)
		kube_breaker_release(&w->p->br);
	w->probe = 0;
	kube_wline_reset(&w->wl);
	free(w->errbody);
	w->errbody = NULL;
	w->errlen = 0;
}

static void
prov_unlink(struct kube_watch *w)
{
	if (w->p == NULL)
		return;
	for (struct kube_watch **pp = &w->p->watches; *pp != NULL; pp = &(*pp)->pnext)
		if (*pp == w) {
			*pp = w->pnext;
			break;
		}
}

static void
watch_free(struct kube_watch *w)
{
	detach(w);
	prov_unlink(w);
	if (w->retry_ev != NULL)
		event_free(w->retry_ev);
	if (w->idle_ev != NULL)
		event_free(w->idle_ev);
	kube_wline_free(&w->wl);
	cJSON_Delete(w->end.body);
	free(w->query);
	free(w->rv);
	free(w->prov_id);
	if (w->p != NULL)
		kube_prov_unref(w->p);
	free(w);
}

static void
end_with(struct kube_watch *w, enum kube_err e, const char *msg)
{
	w->end.err = e;
	if (msg != NULL)
		kube_res_errf(&w->end, "%s", msg);
	pend(w, WA_END);
}

static void reopen(struct kube_watch *w);

void
kube_watch_reap(struct kube *k)
{
	struct kube_watch *w;
	enum wact act;

	while ((w = k->wdead) != NULL) {
		k->wdead = w->qnext;
		act = w->act;
		w->act = WA_NONE;
		detach(w);
		if (act == WA_RESTART) {
			reopen(w);
			continue;
		}
		if (act == WA_END) {
			/* A cancel from inside on_end finds it already dying. */
			w->act = WA_FREE;
			w->end.provider = w->prov_id;
			w->on_end(w->arg, &w->end);
		}
		watch_free(w);
	}
}

void
kube_watch_cancel(struct kube_watch *w)
{
	if (w == NULL || w->act == WA_FREE)
		return;
	w->on_event = NULL;	/* nothing more is delivered, not even a pending end */
	w->state = W_PENDING;
	if (w->act != WA_NONE)
		w->act = WA_FREE;	/* already queued: it now dies silently */
	else
		pend(w, WA_FREE);
}

void
kube_watch_prov_changed(struct kprov *p)
{
	for (struct kube_watch *w = p->watches; w != NULL; w = w->pnext)
		if (w->state == W_RUN && w->act == WA_NONE) {
			w->state = W_PENDING;
			pend(w, WA_RESTART);
		}
}

void
kube_watch_end_prov(struct kprov *p)
{
	for (struct kube_watch *w = p->watches; w != NULL; w = w->pnext) {
		if (w->act == WA_FREE)
			continue;
		w->state = W_PENDING;
		end_with(w, KUBE_ERR_CANCELLED, "provider removed");
	}
}

/* ---- one connection ---- */

static void
arm(struct event *ev, int64_t ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	evtimer_add(ev, &tv);
}

static void
backoff_reopen(struct kube_watch *w, int retry_after_ms, const char *reason)
{
	int64_t d = kube_retry_delay(&w->bo, retry_after_ms);

	kube_met_watch_restart(w->p, reason);
	log_debug("kube_watch_retry", "provider=%s reason=%s delay_ms=%lld", w->p->id, reason,
	    (long long)d);
	w->state = W_BACKOFF;
	arm(w->retry_ev, d);
}

static int
on_line(void *arg, const char *line, size_t len)
{
	struct kube_watch *w = arg;
	struct kube_event ev;
	struct kube_status st;
	cJSON *obj;
	const cJSON *md, *rv;
	char err[160];
	int rc;

	rc = kube_wevent_parse(line, len, &ev.type, &obj, &st, err, sizeof(err));
	if (rc < 0) {
		log_warnx("kube_watch_garbage", "provider=%s error=%s", w->p->id, err);
		w->why = WY_GARBAGE;
		return 1;
	}
	if (rc == 1) {
		cJSON_Delete(w->end.body);
		w->end.body = obj;
		w->end.status = st;
		w->end.status.details = NULL;
		w->end.http_code = st.code;
		w->why = st.code == 410 ? WY_GONE : WY_ERROR_EVENT;
		return 1;
	}
	md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	rv = cJSON_GetObjectItemCaseSensitive(md, "resourceVersion");
	set_rv(w, cJSON_IsString(rv) ? rv->valuestring : NULL);
	w->events++;
	kube_met_watch_event(w->p, kube_event_name(ev.type));
	ev.object = obj;
	ev.resource_version = kube_watch_rv(w);
	if (w->on_event != NULL)
		w->on_event(w->arg, &ev);
	cJSON_Delete(ev.object);
	return w->state == W_RUN ? 0 : 1;	/* cancelled from the callback */
}

static size_t
on_data(struct kxfer *x, const char *data, size_t len)
{
	struct kube_watch *w = x->owner;
	size_t keep;

	if (w->state != W_RUN)
		return 0;
	arm(w->idle_ev, w->idle_ms);
	if (x->http_code != 200) {
		/* An error answer: keep its beginning for the Status. */
		keep = w->errlen + len > KUBE_MAX_ERR_BODY ? KUBE_MAX_ERR_BODY - w->errlen : len;
		char *nb = realloc(w->errbody, w->errlen + keep + 1);

		if (nb == NULL)
			return 0;
		w->errbody = nb;
		memcpy(w->errbody + w->errlen, data, keep);
		w->errlen += keep;
		w->errbody[w->errlen] = '\0';
		return len;
	}
	if (kube_wline_feed(&w->wl, data, len, on_line, w) != 0) {
		if (w->why == WY_NONE)
			w->why = WY_GARBAGE;	/* a line over the bound */
		return 0;
	}
	return len;
}

static void
on_head(struct kxfer *x)
{
	struct kube_watch *w = x->owner;

	if (w->state != W_RUN || w->head_seen)
		return;
	w->head_seen = 1;
	w->probe = 0;
	kube_prov_outcome(w->p, 1, x->http_code < 500);
	kube_met_request(w->p, "watch", x->http_code,
	    kube_classify(x->http_code, x->text_plain, &(struct kube_status){ .retry_after_s = -1 }),
	    (double)(clk_mono_ms() - w->conn_start_ms) / 1e3);
}

static void
http_error(struct kube_watch *w)
{
	struct kube_result *res = &w->end;
	struct jerr je;

	cJSON_Delete(res->body);
	res->body = NULL;
	res->http_code = w->x.http_code;
	if (w->errlen > 0 && !w->x.text_plain)
		res->body = json_parse_strict(w->errbody, w->errlen, KUBE_JSON_DEPTH, &je);
	kube_status_decode(res->body, &res->status);
	res->status.details = NULL;
	res->err = kube_classify(res->http_code, w->x.text_plain, &res->status);
	res->retry_after_ms = w->x.retry_after_ms >= 0 ? w->x.retry_after_ms :
	    res->status.retry_after_s >= 0 ? res->status.retry_after_s * 1000 : -1;
	kube_res_errf(res, "watch: HTTP %d %s", res->http_code,
	    res->status.reason[0] ? res->status.reason : kube_err_name(res->err));
}

static void
on_done(struct kxfer *x, CURLcode rc)
{
	struct kube_watch *w = x->owner;
	int64_t lived = clk_mono_ms() - w->conn_start_ms;
	int permanent;
	enum kube_err e;

	if (w->state != W_RUN)
		return;	/* cancelled or restarted: the pump cleans up */
	evtimer_del(w->idle_ev);
	if (!w->head_seen) {
		w->probe = 0;
		kube_prov_outcome(w->p, 0, 0);
		kube_met_request(w->p, "watch", 0, kube_curl_class(rc, &permanent), 0);
	}
	if (w->why == WY_GONE) {
		w->state = W_PENDING;
		w->end.err = KUBE_ERR_GONE;
		kube_res_errf(&w->end, "watch: too old resource version (ERROR 410)");
		pend(w, WA_END);
		return;
	}
	if (w->x.http_code != 200 && w->x.http_code != 0) {
		http_error(w);
		e = w->end.err;
		if (e == KUBE_ERR_GONE || e == KUBE_ERR_UNAUTHORIZED || e == KUBE_ERR_FORBIDDEN ||
		    e == KUBE_ERR_NOT_FOUND || e == KUBE_ERR_UNKNOWN_RESOURCE || e == KUBE_ERR_INVALID) {
			w->state = W_PENDING;
			pend(w, WA_END);
			return;
		}
		kube_xfer_stop(w->k, x);
		backoff_reopen(w, w->end.retry_after_ms, kube_err_name(e));
		return;
	}
	kube_xfer_stop(w->k, x);
	kube_wline_reset(&w->wl);
	if (w->why == WY_GARBAGE) {
		backoff_reopen(w, -1, "garbage");
	} else if (w->why == WY_ERROR_EVENT) {
		backoff_reopen(w, -1, "error_event");
	} else if (rc == CURLE_OK && (w->events > 0 || lived >= 1000)) {
		/* The server ended it (timeoutSeconds): reopen at once. */
		bo_reset(&w->bo);
		kube_met_watch_restart(w->p, "closed");
		reopen(w);
	} else {
		backoff_reopen(w, -1, rc == CURLE_OK ? "closed_early" : kube_err_name(
		    kube_curl_class(rc, &permanent)));
	}
}

static void
go(struct kwaiter *wt)
{
	struct kube_watch *w = wt->owner;
	char url[8192], err[256];
	int timeout_s;

	if (wt->admit == 0) {
		backoff_reopen(w, -1, "circuit_open");
		return;
	}
	w->probe = wt->admit == 2;
	timeout_s = w->fixed_timeout_s > 0 ? w->fixed_timeout_s : 300 + (int)(rnd_u64() % 300);
	w->idle_ms = w->idle_opt_ms > 0 ? w->idle_opt_ms : (timeout_s + 30) * 1000;
	if ((size_t)snprintf(url, sizeof(url), "%s%s&timeoutSeconds=%d%s%s", w->p->url, w->query,
	    timeout_s, w->rv != NULL ? "&resourceVersion=" : "", w->rv != NULL ? w->rv : "") >=
	    sizeof(url)) {
		end_with(w, KUBE_ERR_INVALID, "watch URL too long");
		return;
	}
	w->x.owner = w;
	w->x.on_data = on_data;
	w->x.on_done = on_done;
	w->x.on_head = on_head;
	w->why = WY_NONE;
	w->head_seen = 0;
	w->events = 0;
	w->conn_start_ms = clk_mono_ms();
	w->state = W_RUN;
	if (kube_xfer_start(w->k, w->p, &w->x, "GET", url, NULL, 0, NULL, 0, err, sizeof(err)) != 0) {
		if (w->probe)
			kube_breaker_release(&w->p->br);
		w->probe = 0;
		backoff_reopen(w, -1, "start_failed");
		return;
	}
	arm(w->idle_ev, w->idle_ms);
}

static void
reopen(struct kube_watch *w)
{
	w->state = W_WAIT;
	kube_admit_enqueue(w->p, &w->wt);
}

static void
retry_fire(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	reopen(arg);
}

static void
idle_fire(evutil_socket_t fd, short what, void *arg)
{
	struct kube_watch *w = arg;

	(void)fd;
	(void)what;
	if (w->state != W_RUN)
		return;
	/* Timer context, not libcurl's: the transfer can be dropped here. */
	log_info("kube_watch_idle", "provider=%s idle_ms=%d", w->p->id, w->idle_ms);
	if (!w->head_seen)
		kube_prov_outcome(w->p, 0, 0);
	w->probe = 0;
	kube_xfer_stop(w->k, &w->x);
	kube_wline_reset(&w->wl);
	backoff_reopen(w, -1, "idle");
}

/* ---- creation ---- */

static char *
build_query(const struct kube_watch_opts *o)
{
	char q[4096] = "watch=1&allowWatchBookmarks=true";
	size_t n;
	char *s;

	if ((o->label_selector != NULL && *o->label_selector != '\0' &&
	    kube_query_add(q, sizeof(q), "labelSelector", o->label_selector) != 0) ||
	    (o->field_selector != NULL && *o->field_selector != '\0' &&
	    kube_query_add(q, sizeof(q), "fieldSelector", o->field_selector) != 0))
		return NULL;
	n = strlen(o->path) + strlen(q) + 2;
	if ((s = malloc(n)) != NULL)
		snprintf(s, n, "%s?%s", o->path, q);
	return s;
}

struct kube_watch *
kube_watch(struct kube *k, const char *provider, const struct kube_watch_opts *o,
    kube_event_cb *on_event, kube_watch_end_cb *on_end, void *arg, char *err, size_t n)
{
	struct kube_watch *w;

	if (provider == NULL || on_event == NULL || on_end == NULL || o->path == NULL ||
	    o->path[0] != '/' || strpbrk(o->path, "?# \t\r\n") != NULL) {
		snprintf(err, n, "watch needs a provider, a collection path and both callbacks");
		return NULL;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		goto oom;
	w->k = k;
	w->on_event = on_event;
	w->on_end = on_end;
	w->arg = arg;
	w->fixed_timeout_s = o->timeout_s;
	w->idle_opt_ms = o->idle_ms;
	w->end.retry_after_ms = -1;
	w->wt.owner = w;
	w->wt.go = go;
	kube_wline_init(&w->wl, KUBE_MAX_LINE);
	bo_init(&w->bo, k->d.retry_initial_ms, k->d.retry_max_ms, 1.0);
	if ((w->prov_id = strdup(provider)) == NULL || (w->query = build_query(o)) == NULL ||
	    (w->retry_ev = evtimer_new(k->base, retry_fire, w)) == NULL ||
	    (w->idle_ev = evtimer_new(k->base, idle_fire, w)) == NULL)
		goto oom;
	set_rv(w, o->resource_version);
	if ((w->p = kube_prov_find(k, provider)) == NULL) {
		w->state = W_PENDING;
		end_with(w, KUBE_ERR_NO_PROVIDER, "no such provider");
		return w;
	}
	kube_prov_ref(w->p);
	w->pnext = w->p->watches;
	w->p->watches = w;
	reopen(w);
	return w;
oom:
	if (w != NULL)
		watch_free(w);
	snprintf(err, n, "out of memory or selectors too long");
	return NULL;
}
