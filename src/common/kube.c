/*
 * kube — the client object, its providers and admission (see kube.h).
 *
 * Admission is where the per-provider limits live: everything that wants to
 * talk to a provider (a request attempt, a watch (re)connect) waits in the
 * provider's FIFO until its circuit allows it, a token is in its bucket and,
 * for requests, one of its in-flight slots is free.  Each provider has its
 * own FIFO, bucket, slots and breaker, which is what keeps a slow or dead
 * cluster from delaying any other.  The pump (an event made active on the
 * loop) runs admissions and reaps; nothing here runs inside a libcurl
 * callback.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/kube_int.h"
#include "common/log.h"
#include "common/metrics.h"

static void run_reports(struct kube *k);

static void
pump_cb(evutil_socket_t fd, short what, void *arg)
{
	struct kube *k = arg;

	(void)fd;
	(void)what;
	run_reports(k);
	kube_req_reap(k);
	kube_watch_reap(k);
	for (struct kprov *p = k->provs, *next; p != NULL; p = next) {
		kube_prov_ref(p);
		kube_admit_run(p);
		next = p->next;
		if (p->removed) {
			/* The list changed under us: go round again later. */
			kube_prov_unref(p);
			kube_pump_schedule(k);
			break;
		}
		kube_prov_unref(p);
	}
	kube_req_fin_run(k);
}

void
kube_pump_schedule(struct kube *k)
{
	if (k->pump != NULL && !k->freeing)
		event_active(k->pump, 0, 0);
}

static void
defaults_from_cfg(struct kube_defaults *d, const struct cfg *c)
{
	d->connect_timeout_ms = c->kube.connect_timeout_ms;
	d->request_timeout_ms = c->kube.request_timeout_ms;
	d->qps = c->kube.qps;
	d->burst = c->kube.burst;
	d->retry_max = c->kube.retry_max;
	d->retry_initial_ms = c->kube.retry_initial_ms;
	d->retry_max_ms = c->kube.retry_max_ms;
	d->breaker_threshold = c->kube.breaker_threshold;
	d->breaker_cooldown_ms = c->kube.breaker_cooldown_ms;
	d->max_inflight = c->kube.max_inflight;
}

struct kube *
kube_new(struct event_base *base, const struct cfg *cfg, char *err, size_t n)
{
	struct kube *k;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, n, "curl_global_init failed");
		return NULL;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	k->base = base;
	defaults_from_cfg(&k->d, cfg);
	if (kube_http_init(k, err, n) != 0)
		goto fail;
	if ((k->pump = event_new(base, -1, 0, pump_cb, k)) == NULL) {
		snprintf(err, n, "event_new failed");
		goto fail;
	}
	return k;
fail:
	kube_http_free(k);
	free(k);
	return NULL;
}

static void
prov_free(struct kprov *p)
{
	if (p->wake != NULL)
		event_free(p->wake);
	free(p->id);
	free(p->url);
	if (p->auth != NULL)
		explicit_bzero(p->auth, strlen(p->auth));
	free(p->auth);
	free(p->ca.data);
	free(p->cert.data);
	if (p->key.data != NULL)
		explicit_bzero(p->key.data, p->key.len);
	free(p->key.data);
	free(p);
}

void
kube_prov_ref(struct kprov *p)
{
	p->refs++;
}

void
kube_prov_unref(struct kprov *p)
{
	if (--p->refs == 0 && p->removed)
		prov_free(p);
}

static void
prov_unlink(struct kube *k, struct kprov *p)
{
	for (struct kprov **pp = &k->provs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			return;
		}
}

void
kube_free(struct kube *k)
{
	struct kprov *p;

	if (k == NULL)
		return;
	while ((p = k->provs) != NULL)
		kube_provider_remove(k, p->id);
	k->freeing = 1;
	/* Callbacks run here may start work; it ends at once (no provider). */
	while (k->dead != NULL || k->wdead != NULL || k->fin != NULL) {
		kube_req_reap(k);
		kube_watch_reap(k);
		kube_req_fin_run(k);
	}
	event_free(k->pump);
	kube_http_free(k);
	free(k);
}

struct kprov *
kube_prov_find(struct kube *k, const char *id)
{
	for (struct kprov *p = k->provs; p != NULL; p = p->next)
		if (strcmp(p->id, id) == 0)
			return p;
	return NULL;
}

static int
check_url(const char *url, char *err, size_t n)
{
	const char *rest;

	if (strncmp(url, "https://", 8) == 0)
		rest = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		rest = url + 7;
	else {
		snprintf(err, n, "provider url must start with https:// or http://");
		return -1;
	}
	if (*rest == '\0' || *rest == '/') {
		snprintf(err, n, "provider url has no host");
		return -1;
	}
	for (const char *c = rest; *c != '\0' && *c != '/'; c++)
		if (*c == '@') {
			/* A password in the URL would reach logs and errors. */
			snprintf(err, n, "provider url must not carry credentials");
			return -1;
		}
	for (const char *c = url; *c != '\0'; c++)
		if ((unsigned char)*c <= ' ' || *c == '?' || *c == '#') {
			snprintf(err, n, "provider url has a space, control byte, query or fragment");
			return -1;
		}
	return 0;
}

static int
blob_set(struct curl_blob *b, const char *data, size_t len)
{
	void *copy = NULL;

	if (data != NULL) {
		if (len == 0)
			len = strlen(data);
		if ((copy = malloc(len + 1)) == NULL)
			return -1;
		memcpy(copy, data, len);
		((char *)copy)[len] = '\0';
	}
	if (b->data != NULL)
		explicit_bzero(b->data, b->len);
	free(b->data);
	b->data = copy;
	b->len = data != NULL ? len : 0;
	b->flags = CURL_BLOB_COPY;
	return 0;
}

static int
blob_same(const struct curl_blob *b, const char *data, size_t len)
{
	if (data == NULL)
		return b->data == NULL;
	if (len == 0)
		len = strlen(data);
	return b->data != NULL && b->len == len && memcmp(b->data, data, len) == 0;
}

static int
creds_same(const struct kprov *p, const struct kube_provider_conf *pc, const char *auth)
{
	return strcmp(p->url, pc->url) == 0 && p->insecure == !!pc->insecure_skip_tls_verify &&
	    blob_same(&p->ca, pc->ca_pem, pc->ca_len) &&
	    blob_same(&p->cert, pc->cert_pem, pc->cert_len) &&
	    blob_same(&p->key, pc->key_pem, pc->key_len) &&
	    ((auth == NULL && p->auth == NULL) ||
	    (auth != NULL && p->auth != NULL && strcmp(auth, p->auth) == 0));
}

static void
wake_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	kube_admit_run(arg);
}

static struct kprov *
prov_new(struct kube *k, const char *id)
{
	struct kprov *p;
	char esc[128];

	if ((p = calloc(1, sizeof(*p))) == NULL || (p->id = strdup(id)) == NULL ||
	    (p->wake = evtimer_new(k->base, wake_cb, p)) == NULL) {
		if (p != NULL)
			prov_free(p);
		return NULL;
	}
	p->k = k;
	met_label_escape(id, esc, sizeof(esc));
	snprintf(p->label, sizeof(p->label), "provider=\"%s\"", esc);
	kube_breaker_init(&p->br, k->d.breaker_threshold, k->d.breaker_cooldown_ms);
	tb_init(&p->tb, k->d.qps, k->d.burst, clk_mono_us());
	return p;
}

static char *
auth_header(const char *token)
{
	size_t n;
	char *h;

	if (token == NULL || *token == '\0')
		return NULL;
	n = strlen(token) + 32;
	if ((h = malloc(n)) != NULL)
		snprintf(h, n, "Authorization: Bearer %s", token);
	return h;
}

static int
check_conf(const struct kube_provider_conf *pc, char *err, size_t n)
{
	/* The id is a metric label and a log value: keep it plain. */
	if (pc->id == NULL || *pc->id == '\0' || strlen(pc->id) > 64 ||
	    strspn(pc->id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
	    strlen(pc->id)) {
		snprintf(err, n, "provider id must be 1 to 64 letters, digits, '.', '_' or '-'");
		return -1;
	}
	if (pc->url == NULL || check_url(pc->url, err, n) != 0)
		return pc->url == NULL ? (snprintf(err, n, "provider url is missing"), -1) : -1;
	if ((pc->cert_pem == NULL) != (pc->key_pem == NULL)) {
		snprintf(err, n, "a client certificate needs its key and the other way round");
		return -1;
	}
	if (pc->token != NULL && strpbrk(pc->token, "\r\n") != NULL) {
		snprintf(err, n, "provider token has a line break");
		return -1;
	}
	if (pc->qps > 1e6 || pc->burst > 1000000 || pc->max_inflight > 10000) {
		snprintf(err, n, "provider qps and burst must not exceed 1000000, max_inflight 10000");
		return -1;
	}
	return 0;
}

static int
apply_conf(struct kprov *p, const struct kube_provider_conf *pc, char *auth)
{
	char *url;
	size_t len = strlen(pc->url);

	while (len > 0 && pc->url[len - 1] == '/')
		len--;
	if ((url = strndup(pc->url, len)) == NULL || blob_set(&p->ca, pc->ca_pem, pc->ca_len) != 0 ||
	    blob_set(&p->cert, pc->cert_pem, pc->cert_len) != 0 ||
	    blob_set(&p->key, pc->key_pem, pc->key_len) != 0) {
		free(url);
		return -1;
	}
	free(p->url);
	p->url = url;
	if (p->auth != NULL)
		explicit_bzero(p->auth, strlen(p->auth));
	free(p->auth);
	p->auth = auth;
	p->insecure = !!pc->insecure_skip_tls_verify;
	return 0;
}

static void
apply_limits(struct kprov *p, const struct kube_provider_conf *pc)
{
	const struct kube_defaults *d = &p->k->d;

	p->qps = pc->qps > 0 ? pc->qps : d->qps;
	p->burst = pc->burst > 0 ? pc->burst : d->burst;
	p->max_inflight = pc->max_inflight > 0 ? pc->max_inflight : d->max_inflight;
	tb_set_rate(&p->tb, p->qps, p->burst, clk_mono_us());
}

int
kube_provider_set(struct kube *k, const struct kube_provider_conf *pc, char *err, size_t n)
{
	struct kprov *p;
	char *auth = NULL;
	int fresh = 0;

	if (check_conf(pc, err, n) != 0)
		return -1;
	auth = auth_header(pc->token);
	if (pc->token != NULL && *pc->token != '\0' && auth == NULL)
		goto oom;
	if ((p = kube_prov_find(k, pc->id)) == NULL) {
		if ((p = prov_new(k, pc->id)) == NULL)
			goto oom;
		fresh = 1;
		p->refs = 1;	/* the list's reference */
	}
	if (!fresh && creds_same(p, pc, auth)) {
		free(auth);
	} else {
		if (apply_conf(p, pc, auth) != 0) {
			if (fresh)
				prov_free(p);
			goto oom;
		}
		p->gen++;
		if (!fresh)
			kube_watch_prov_changed(p);
	}
	apply_limits(p, pc);
	if (fresh) {
		p->next = k->provs;
		k->provs = p;
		kube_met_circuit(p);
	}
	kube_pump_schedule(k);
	return 0;
oom:
	if (auth != NULL)
		explicit_bzero(auth, strlen(auth));
	free(auth);
	snprintf(err, n, "out of memory");
	return -1;
}

int
kube_provider_remove(struct kube *k, const char *id)
{
	struct kprov *p = kube_prov_find(k, id);

	if (p == NULL)
		return -1;
	prov_unlink(k, p);
	p->removed = 1;
	evtimer_del(p->wake);
	kube_req_cancel_prov(p);
	kube_watch_end_prov(p);
	kube_pump_schedule(k);
	kube_prov_unref(p);
	return 0;
}

void
kube_set_state_hook(struct kube *k, kube_state_hook *hook, void *arg)
{
	k->hook = hook;
	k->hook_arg = arg;
}

static void
state_of(const struct kprov *p, struct kube_provider_state *st)
{
	st->id = p->id;
	st->circuit = p->br.state;
	st->last_contact_ms = p->last_contact_ms;
	st->consecutive_failures = p->br.failures;
}

int
kube_provider_state(struct kube *k, const char *id, struct kube_provider_state *out)
{
	struct kprov *p = kube_prov_find(k, id);

	if (p == NULL)
		return -1;
	state_of(p, out);
	return 0;
}

/*
 * The hook runs from the pump, never where the state changed: that may be
 * inside libcurl or in the middle of an admission, where a hook that removes
 * the provider would pull the ground from under the caller.
 */
void
kube_prov_report(struct kprov *p, int force)
{
	int64_t now = clk_mono_ms();

	if (p->removed || p->k->hook == NULL)
		return;
	if (!force && p->last_report_ms != 0 && now - p->last_report_ms < KUBE_CONTACT_REPORT_MS)
		return;
	p->last_report_ms = now;
	p->report_pending = 1;
	kube_pump_schedule(p->k);
}

static void
run_reports(struct kube *k)
{
	struct kube_provider_state st;
	struct kprov *p;

again:
	for (p = k->provs; p != NULL && k->hook != NULL; p = p->next) {
		if (!p->report_pending)
			continue;
		p->report_pending = 0;
		state_of(p, &st);
		k->hook(k->hook_arg, &st);
		goto again;	/* the hook may have changed the list */
	}
}

void
kube_prov_outcome(struct kprov *p, int answered, int ok)
{
	int changed = kube_breaker_record(&p->br, ok, clk_mono_ms());

	if (answered)
		p->last_contact_ms = clk_wall_ms();
	if (changed) {
		log_info("kube_circuit", "provider=%s state=%s failures=%d", p->id,
		    kube_circuit_name(p->br.state), p->br.failures);
		kube_met_circuit(p);
	}
	if (changed || answered)
		kube_prov_report(p, changed);
}

/* ---- admission ---- */

void
kube_admit_enqueue(struct kprov *p, struct kwaiter *wt)
{
	wt->next = NULL;
	wt->queued = 1;
	wt->waited = 0;
	wt->since_us = clk_mono_us();
	if (p->wq_tail != NULL)
		p->wq_tail->next = wt;
	else
		p->wq_head = wt;
	p->wq_tail = wt;
	kube_pump_schedule(p->k);
}

void
kube_admit_dequeue(struct kprov *p, struct kwaiter *wt)
{
	struct kwaiter *prev = NULL;

	if (!wt->queued)
		return;
	for (struct kwaiter *c = p->wq_head; c != NULL; prev = c, c = c->next) {
		if (c != wt)
			continue;
		if (prev != NULL)
			prev->next = c->next;
		else
			p->wq_head = c->next;
		if (p->wq_tail == c)
			p->wq_tail = prev;
		break;
	}
	wt->queued = 0;
	wt->next = NULL;
}

/* The first waiter that may go now: watches skip past requests held by the slot cap. */
static struct kwaiter *
next_eligible(struct kprov *p)
{
	for (struct kwaiter *c = p->wq_head; c != NULL; c = c->next)
		if (!c->needs_slot || p->inflight < p->max_inflight)
			return c;
	return NULL;
}

static void
arm_wake(struct kprov *p, int64_t us)
{
	struct timeval tv = { .tv_sec = us / 1000000, .tv_usec = us % 1000000 };

	evtimer_add(p->wake, &tv);
}

void
kube_admit_run(struct kprov *p)
{
	struct kwaiter *wt;
	int64_t now, delay;

	kube_prov_ref(p);	/* a callback below may remove the provider */
	while (!p->removed && (wt = next_eligible(p)) != NULL) {
		now = clk_mono_us();
		if (!kube_breaker_peek(&p->br, now / 1000)) {
			/* Fail fast, without spending a token. */
			kube_admit_dequeue(p, wt);
			wt->admit = 0;
			wt->go(wt);
			continue;
		}
		if ((delay = tb_delay_us(&p->tb, now)) > 0 || !tb_take(&p->tb, now)) {
			wt->waited = 1;
			arm_wake(p, delay > 0 ? delay : 1000);
			break;
		}
		kube_admit_dequeue(p, wt);
		if (wt->waited)
			kube_met_ratelimit(p, (double)(now - wt->since_us) / 1e6);
		wt->admit = kube_breaker_allow(&p->br, now / 1000);
		if (wt->admit == 2) {
			kube_met_circuit(p);	/* now half-open: this one is the probe */
			kube_prov_report(p, 1);
		}
		wt->go(wt);
	}
	kube_prov_unref(p);
}

void
kube_res_errf(struct kube_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->errmsg, sizeof(res->errmsg), fmt, ap);
	va_end(ap);
}
