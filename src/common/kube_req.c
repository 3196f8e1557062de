/*
 * kube_req — one request's life: admission, attempts, retries, result.
 *
 * An attempt is admitted by its provider (kube.c), runs as one transfer
 * (kube_http.c) and ends in a result decoded by kube_reply.c.  Transient
 * failures are retried here after a full-jitter backoff that never comes
 * before the server's Retry-After, only when repeating the request is safe
 * (kube_retry_decide); a named POST whose earlier attempt may have landed
 * and that now meets 409 AlreadyExists reads the object back instead of
 * failing, because its caller chose a deterministic name for exactly that.
 *
 * A request is on the client's live list from kube_request() until it is
 * freed.  Cancelling never touches libcurl directly (the caller may be
 * inside a libcurl callback): the request moves to the dead list and the
 * pump detaches it; provider removal moves it to the finished list with
 * KUBE_ERR_CANCELLED, delivered by the pump.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/clock.h"
#include "common/json.h"
#include "common/kube_int.h"
#include "common/log.h"

enum rstate { R_WAIT, R_RUN, R_BACKOFF, R_FIN, R_DEAD };

struct kube_req {
	struct kube_req *lprev, *lnext;	/* the live list */
	struct kube_req *qnext;		/* dead or finished list */
	struct kube *k;
	struct kprov *p;
	enum rstate state;
	enum kube_verb verb;
	int adopting;			/* the POST became a GET of the object */
	int named_post;
	int ambiguous;
	int attempt;
	int slot;			/* holds an in-flight slot */
	int probe;			/* is the breaker's half-open probe */
	int delivering;
	char *prov_id;
	char *path;			/* path[?query] */
	char *get_path;			/* for adoption */
	char *body;
	size_t body_len;
	int timeout_ms;
	kube_done_cb *cb;
	void *arg;
	struct kxfer x;
	struct kwaiter wt;
	struct event *retry_ev;
	struct backoff bo;
	char *resp;
	size_t resp_len, resp_cap;
	int too_big;
	int64_t start_us;
	struct kube_result res;
};

static const char *
method_of(const struct kube_req *r)
{
	if (r->adopting)
		return "GET";
	switch (r->verb) {
	case KUBE_GET: case KUBE_LIST: return "GET";
	case KUBE_POST: return "POST";
	case KUBE_PUT: return "PUT";
	case KUBE_PATCH_MERGE: case KUBE_PATCH_JSON: return "PATCH";
	case KUBE_DELETE: return "DELETE";
	}
	return "GET";
}

static const char *
ctype_of(const struct kube_req *r)
{
	if (r->adopting || r->body == NULL)
		return NULL;
	if (r->verb == KUBE_PATCH_MERGE)
		return "application/merge-patch+json";
	if (r->verb == KUBE_PATCH_JSON)
		return "application/json-patch+json";
	return "application/json";
}

static void
live_unlink(struct kube_req *r)
{
	if (r->lprev != NULL)
		r->lprev->lnext = r->lnext;
	else if (r->k->live == r)
		r->k->live = r->lnext;
	if (r->lnext != NULL)
		r->lnext->lprev = r->lprev;
	r->lprev = r->lnext = NULL;
}

static void
req_free(struct kube_req *r)
{
	live_unlink(r);
	if (r->k->nreqs > 0)
		r->k->nreqs--;
	if (r->retry_ev != NULL)
		event_free(r->retry_ev);
	cJSON_Delete(r->res.body);
	free(r->resp);
	free(r->body);
	free(r->path);
	free(r->get_path);
	free(r->prov_id);
	if (r->p != NULL)
		kube_prov_unref(r->p);
	free(r);
}

static void
release_slot(struct kube_req *r)
{
	if (r->slot) {
		r->slot = 0;
		r->p->inflight--;
		kube_pump_schedule(r->k);
	}
	if (r->probe) {
		r->probe = 0;
		kube_breaker_release(&r->p->br);
	}
}

/* Undo whatever the request holds (never from inside a libcurl callback). */
static void
req_detach(struct kube_req *r)
{
	if (r->p != NULL)
		kube_admit_dequeue(r->p, &r->wt);
	if (r->retry_ev != NULL)
		evtimer_del(r->retry_ev);
	kube_xfer_stop(r->k, &r->x);
	if (r->p != NULL)
		release_slot(r);
}

static void
deliver(struct kube_req *r)
{
	r->delivering = 1;
	r->res.provider = r->prov_id;
	r->cb(r->arg, &r->res);
	req_free(r);
}

/* Deliver R's result later, from the pump. */
static void
finish_later(struct kube_req *r)
{
	struct kube_req **pp = &r->k->fin;

	r->state = R_FIN;
	r->qnext = NULL;
	while (*pp != NULL)
		pp = &(*pp)->qnext;
	*pp = r;
	kube_pump_schedule(r->k);
}

void
kube_req_fin_run(struct kube *k)
{
	struct kube_req *r;

	while ((r = k->fin) != NULL) {
		k->fin = r->qnext;
		req_detach(r);
		deliver(r);
	}
}

void
kube_req_reap(struct kube *k)
{
	struct kube_req *r;

	while ((r = k->dead) != NULL) {
		k->dead = r->qnext;
		req_detach(r);
		req_free(r);
	}
}

void
kube_req_cancel(struct kube_req *r)
{
	if (r == NULL || r->delivering || r->state == R_DEAD)
		return;
	if (r->state == R_FIN) {
		/* Queued for delivery: take it out, it dies silently. */
		for (struct kube_req **pp = &r->k->fin; *pp != NULL; pp = &(*pp)->qnext)
			if (*pp == r) {
				*pp = r->qnext;
				break;
			}
	}
	r->state = R_DEAD;
	r->qnext = r->k->dead;
	r->k->dead = r;
	kube_pump_schedule(r->k);
}

static void
fail_now(struct kube_req *r, enum kube_err e, const char *msg)
{
	r->res.err = e;
	kube_res_errf(&r->res, "%s", msg);
	finish_later(r);
}

void
kube_req_cancel_prov(struct kprov *p)
{
	for (struct kube_req *r = p->k->live; r != NULL; r = r->lnext) {
		if (r->p != p || r->delivering || r->state == R_DEAD || r->state == R_FIN)
			continue;
		r->res.http_code = 0;
		cJSON_Delete(r->res.body);
		r->res.body = NULL;
		memset(&r->res.status, 0, sizeof(r->res.status));
		fail_now(r, KUBE_ERR_CANCELLED, "provider removed");
	}
}

/* ---- attempts ---- */

static size_t
on_data(struct kxfer *x, const char *data, size_t len)
{
	struct kube_req *r = x->owner;
	size_t want = r->resp_len + len;
	char *nb;

	if (r->state != R_RUN)
		return 0;	/* cancelled meanwhile: abort the transfer */
	if (want > KUBE_MAX_BODY) {
		r->too_big = 1;
		return 0;
	}
	if (want + 1 > r->resp_cap) {
		size_t cap = r->resp_cap ? r->resp_cap : 16384;

		while (cap < want + 1)
			cap *= 2;
		if ((nb = realloc(r->resp, cap)) == NULL) {
			r->too_big = 1;
			return 0;
		}
		r->resp = nb;
		r->resp_cap = cap;
	}
	memcpy(r->resp + r->resp_len, data, len);
	r->resp_len = want;
	return len;
}

static void on_done(struct kxfer *x, CURLcode rc);

static void
go(struct kwaiter *wt)
{
	struct kube_req *r = wt->owner;
	char err[256], *url;
	size_t n;

	if (wt->admit == 0) {
		r->res.err = KUBE_ERR_CIRCUIT_OPEN;
		kube_res_errf(&r->res, "circuit open for provider %s", r->p->id);
		kube_met_request(r->p, kube_verb_name(r->verb), 0, KUBE_ERR_CIRCUIT_OPEN, 0);
		deliver(r);
		return;
	}
	r->probe = wt->admit == 2;
	r->slot = 1;
	r->p->inflight++;
	r->attempt++;
	r->state = R_RUN;
	r->resp_len = 0;
	r->too_big = 0;
	r->start_us = clk_mono_us();
	n = strlen(r->p->url) + strlen(r->adopting ? r->get_path : r->path) + 1;
	if ((url = malloc(n)) == NULL) {
		fail_now(r, KUBE_ERR_TRANSPORT, "out of memory");
		return;
	}
	snprintf(url, n, "%s%s", r->p->url, r->adopting ? r->get_path : r->path);
	r->x.owner = r;
	r->x.on_data = on_data;
	r->x.on_done = on_done;
	if (kube_xfer_start(r->k, r->p, &r->x, method_of(r), url, r->adopting ? NULL : r->body,
	    r->body_len, ctype_of(r), r->timeout_ms, err, sizeof(err)) != 0) {
		free(url);
		fail_now(r, KUBE_ERR_TRANSPORT, err);
		return;
	}
	free(url);
}

static void
decode_reply(struct kube_req *r)
{
	struct kube_result *res = &r->res;
	struct jerr je;

	res->http_code = r->x.http_code;
	if (r->resp_len > 0 && !r->x.text_plain) {
		res->body = json_parse_strict(r->resp, r->resp_len, KUBE_JSON_DEPTH, &je);
		if (res->body == NULL && res->http_code < 300) {
			res->err = KUBE_ERR_DECODE;
			kube_res_errf(res, "HTTP %d with a body that is not JSON: %s",
			    res->http_code, je.msg);
			return;
		}
	}
	kube_status_decode(res->body, &res->status);
	res->err = kube_classify(res->http_code, r->x.text_plain, &res->status);
	res->retry_after_ms = r->x.retry_after_ms >= 0 ? r->x.retry_after_ms :
	    res->status.retry_after_s >= 0 ? res->status.retry_after_s * 1000 : -1;
	if (res->err != KUBE_OK)
		kube_res_errf(res, "HTTP %d %s%s%.200s", res->http_code,
		    res->status.reason[0] ? res->status.reason : kube_err_name(res->err),
		    res->status.message[0] ? ": " : "", res->status.message);
}

/* Fill R's result from the finished transfer; returns whether the request was sent. */
static int
evaluate(struct kube_req *r, CURLcode rc, int *permanent)
{
	struct kube_result *res = &r->res;

	cJSON_Delete(res->body);
	res->body = NULL;
	memset(&res->status, 0, sizeof(res->status));
	res->retry_after_ms = -1;
	res->http_code = 0;
	res->errmsg[0] = '\0';	/* an earlier attempt's error is not this one's */
	*permanent = 0;
	if (rc == CURLE_OK) {
		decode_reply(r);
		return res->http_code != 429;
	}
	if (r->too_big) {
		res->http_code = r->x.http_code;
		res->err = KUBE_ERR_DECODE;
		*permanent = 1;
		kube_res_errf(res, "reply larger than %u bytes", KUBE_MAX_BODY);
		return 1;
	}
	res->err = kube_curl_class(rc, permanent);
	kube_res_errf(res, "%s %s: %s", method_of(r), r->adopting ? r->get_path : r->path,
	    curl_easy_strerror(rc));
	return kube_xfer_sent(&r->x);
}

static void
retry_fire(evutil_socket_t fd, short what, void *arg)
{
	struct kube_req *r = arg;

	(void)fd;
	(void)what;
	r->state = R_WAIT;
	kube_admit_enqueue(r->p, &r->wt);
}

static int
schedule_retry(struct kube_req *r, int sent)
{
	int64_t delay;
	struct timeval tv;

	if (r->res.retry_after_ms > r->k->d.retry_max_ms)
		return -1;	/* the server asks for more patience than we have */
	if (r->retry_ev == NULL && (r->retry_ev = evtimer_new(r->k->base, retry_fire, r)) == NULL)
		return -1;
	if (sent && r->res.err != KUBE_ERR_TOO_MANY_REQUESTS)
		r->ambiguous = 1;
	delay = kube_retry_delay(&r->bo, r->res.retry_after_ms);
	kube_met_retry(r->p, r->verb, r->res.err);
	log_debug("kube_retry", "provider=%s verb=%s attempt=%d delay_ms=%lld error=%s",
	    r->p->id, kube_verb_name(r->verb), r->attempt, (long long)delay,
	    kube_err_name(r->res.err));
	tv.tv_sec = delay / 1000;
	tv.tv_usec = (delay % 1000) * 1000;
	r->state = R_BACKOFF;
	return evtimer_add(r->retry_ev, &tv);
}

static void
on_done(struct kxfer *x, CURLcode rc)
{
	struct kube_req *r = x->owner;
	int sent, permanent, answered;
	enum kube_verb mverb = r->adopting ? KUBE_GET : r->verb;

	if (r->state != R_RUN)
		return;	/* cancelled or ended meanwhile: the pump cleans up */
	sent = evaluate(r, rc, &permanent);
	answered = r->res.http_code > 0;
	kube_met_request(r->p, kube_verb_name(mverb), r->res.http_code, r->res.err,
	    (double)(clk_mono_us() - r->start_us) / 1e6);
	r->probe = 0;	/* the outcome below settles the probe */
	kube_prov_outcome(r->p, answered, answered && r->res.http_code < 500);
	kube_xfer_stop(r->k, x);
	release_slot(r);
	if (r->verb == KUBE_POST && !r->adopting && r->ambiguous &&
	    r->res.err == KUBE_ERR_ALREADY_EXISTS && r->get_path != NULL) {
		/* Our own earlier attempt may have created it: read it back. */
		r->adopting = 1;
		r->state = R_WAIT;
		kube_admit_enqueue(r->p, &r->wt);
		return;
	}
	if (!permanent && kube_retry_decide(mverb, r->named_post, r->res.err, sent, r->attempt,
	    r->k->d.retry_max) && schedule_retry(r, sent) == 0)
		return;
	r->res.attempts = r->attempt;
	if (r->adopting && r->res.err == KUBE_OK)
		r->res.flags |= KUBE_RES_ADOPTED;
	if (r->ambiguous)
		r->res.flags |= KUBE_RES_AMBIGUOUS;
	deliver(r);
}

/* ---- submission ---- */

static int
check_call(const struct kube_call *c, char *err, size_t n)
{
	if ((unsigned)c->verb > KUBE_DELETE) {
		snprintf(err, n, "unknown verb");
		return -1;
	}
	if (c->path == NULL || c->path[0] != '/' || strpbrk(c->path, "?# \t\r\n") != NULL) {
		snprintf(err, n, "request path must start with '/' and hold no query");
		return -1;
	}
	if (c->query != NULL && strpbrk(c->query, "# \t\r\n") != NULL) {
		snprintf(err, n, "request query must be escaped");
		return -1;
	}
	if ((c->verb == KUBE_POST || c->verb == KUBE_PUT || c->verb == KUBE_PATCH_MERGE ||
	    c->verb == KUBE_PATCH_JSON) && c->body == NULL) {
		snprintf(err, n, "%s needs a body", kube_verb_name(c->verb));
		return -1;
	}
	return 0;
}

static cJSON *
delete_options(const struct kube_call *c)
{
	cJSON *o, *pre;

	if (c->propagation == NULL && c->precondition_uid == NULL && c->precondition_rv == NULL)
		return NULL;
	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "kind", "DeleteOptions");
	cJSON_AddStringToObject(o, "apiVersion", "v1");
	if (c->propagation != NULL)
		cJSON_AddStringToObject(o, "propagationPolicy", c->propagation);
	if (c->precondition_uid != NULL || c->precondition_rv != NULL) {
		pre = cJSON_AddObjectToObject(o, "preconditions");
		if (pre != NULL && c->precondition_uid != NULL)
			cJSON_AddStringToObject(pre, "uid", c->precondition_uid);
		if (pre != NULL && c->precondition_rv != NULL)
			cJSON_AddStringToObject(pre, "resourceVersion", c->precondition_rv);
	}
	return o;
}

/* The object name of a POST body, when it is safe to put in a path. */
static const char *
post_name(const cJSON *body)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(body, "metadata");
	const cJSON *nm = cJSON_GetObjectItemCaseSensitive(md, "name");
	size_t len;

	if (!cJSON_IsString(nm) || (len = strlen(nm->valuestring)) == 0 || len > 253)
		return NULL;
	if (strspn(nm->valuestring, "abcdefghijklmnopqrstuvwxyz0123456789-.") != len)
		return NULL;
	return nm->valuestring;
}

static int
fill_req(struct kube_req *r, const char *provider, const struct kube_call *c)
{
	size_t n = strlen(c->path) + (c->query != NULL ? strlen(c->query) + 1 : 0) + 1;
	cJSON *opts = NULL;
	const char *name;

	if ((r->prov_id = strdup(provider)) == NULL || (r->path = malloc(n)) == NULL)
		return -1;
	snprintf(r->path, n, "%s%s%s", c->path, c->query && *c->query ? "?" : "",
	    c->query ? c->query : "");
	if (c->verb == KUBE_DELETE && (opts = delete_options(c)) != NULL) {
		r->body = cJSON_PrintUnformatted(opts);
		cJSON_Delete(opts);
		if (r->body == NULL)
			return -1;
	} else if (c->body != NULL && (r->body = cJSON_PrintUnformatted(c->body)) == NULL) {
		return -1;
	}
	r->body_len = r->body != NULL ? strlen(r->body) : 0;
	if (c->verb == KUBE_POST && (name = post_name(c->body)) != NULL) {
		r->named_post = 1;
		n = strlen(c->path) + strlen(name) + 2;
		if ((r->get_path = malloc(n)) == NULL)
			return -1;
		snprintf(r->get_path, n, "%s/%s", c->path, name);
	}
	return 0;
}

struct kube_req *
kube_request(struct kube *k, const char *provider, const struct kube_call *c,
    kube_done_cb *cb, void *arg, char *err, size_t n)
{
	struct kube_req *r;

	if (provider == NULL || cb == NULL) {
		snprintf(err, n, "provider and callback are required");
		return NULL;
	}
	if (check_call(c, err, n) != 0)
		return NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL || fill_req(r, provider, c) != 0) {
		snprintf(err, n, "out of memory");
		if (r != NULL) {
			free(r->prov_id);
			free(r->path);
			free(r->body);
			free(r->get_path);
			free(r);
		}
		return NULL;
	}
	r->k = k;
	r->verb = c->verb;
	r->cb = cb;
	r->arg = arg;
	r->timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : k->d.request_timeout_ms;
	r->res.retry_after_ms = -1;
	r->wt.owner = r;
	r->wt.go = go;
	r->wt.needs_slot = 1;
	bo_init(&r->bo, k->d.retry_initial_ms, k->d.retry_max_ms, 1.0);
	r->lnext = k->live;
	if (k->live != NULL)
		k->live->lprev = r;
	k->live = r;
	k->nreqs++;
	if ((r->p = kube_prov_find(k, provider)) == NULL) {
		fail_now(r, KUBE_ERR_NO_PROVIDER, "no such provider");
		return r;
	}
	kube_prov_ref(r->p);
	r->state = R_WAIT;
	kube_admit_enqueue(r->p, &r->wt);
	return r;
}
