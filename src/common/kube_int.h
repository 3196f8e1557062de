/*
 * kube_int — what the kube_*.c files share and nobody else sees.
 *
 * Ownership in one paragraph: a `struct kube` owns its providers; a provider
 * is reference-counted by the requests, watches and pagers that use it, so a
 * removed provider lives until the last of them has been ended.  Work is
 * never started from inside a libcurl callback (libcurl forbids adding or
 * removing handles there, and callers' callbacks run there): public calls
 * only queue, and the "pump" (an event made active on the loop) admits
 * queued requests, removes dead transfers and runs deferred completions.
 */
#ifndef DBAAS_KUBE_INT_H
#define DBAAS_KUBE_INT_H

#include <curl/curl.h>
#include <stdint.h>

#include "common/backoff.h"
#include "common/kube.h"
#include "common/tbucket.h"

#define KUBE_MAX_BODY		(256u << 20)	/* largest reply accepted (a LIST page) */
#define KUBE_MAX_ERR_BODY	(64u << 10)	/* an error body kept for decoding */
#define KUBE_MAX_LINE		(16u << 20)	/* largest watch event line */
#define KUBE_JSON_DEPTH		128
#define KUBE_CONTACT_REPORT_MS	1000		/* state hook rate for contacts */
#define KUBE_EASY_POOL		64		/* idle curl easy handles kept for reuse */

/* ---- pure pieces (unit-tested, fuzzed) ---- */

/* Circuit breaker (kube_breaker.c). */
struct kube_breaker {
	enum kube_circuit state;
	int failures;			/* consecutive */
	int threshold;
	int64_t cooldown_ms;
	int64_t opened_at_ms;
	int probe_out;			/* the half-open probe is in flight */
};
void kube_breaker_init(struct kube_breaker *b, int threshold, int64_t cooldown_ms);
/* 1 = the attempt may go, 2 = it may go as the half-open probe, 0 = fail fast. */
int kube_breaker_allow(struct kube_breaker *b, int64_t now_ms);
/* What allow() would say, without taking the probe. */
int kube_breaker_peek(const struct kube_breaker *b, int64_t now_ms);
/* Record an outcome (OK: the server answered below 500).  Returns 1 if the state changed. */
int kube_breaker_record(struct kube_breaker *b, int ok, int64_t now_ms);
/* The probe (allow() == 2) ended without an outcome (cancelled): let another go. */
void kube_breaker_release(struct kube_breaker *b);

/* Reply decoding (kube_reply.c). */
void kube_status_decode(const cJSON *body, struct kube_status *st);
enum kube_err kube_classify(int http_code, int text_plain, const struct kube_status *st);
/* Retry-After: delta-seconds or an HTTP-date, relative to NOW_S (wall).  0 / -1. */
int kube_retry_after_parse(const char *v, int64_t now_s, int *out_ms);
/*
 * Should an attempt that ended in ERR (HTTP CODE) be retried?  SENT is 0
 * when the request surely never reached the server (connect failure, 429).
 * NAMED_POST: a POST whose body names the object.  ATTEMPT counts from 1.
 */
int kube_retry_decide(enum kube_verb verb, int named_post, enum kube_err err, int sent,
    int attempt, int retry_max);
/* The delay before retry ATTEMPT (from 1): full jitter, never below RETRY_AFTER_MS. */
int64_t kube_retry_delay(struct backoff *bo, int retry_after_ms);

/* Watch line splitter (kube_wline.c). */
typedef int kube_line_cb(void *arg, const char *line, size_t len);
struct kube_wline {
	char *buf;
	size_t len, cap, max;
};
void kube_wline_init(struct kube_wline *l, size_t max);
void kube_wline_free(struct kube_wline *l);
void kube_wline_reset(struct kube_wline *l);
/*
 * Feed DATA; CB gets each complete non-empty line (no '\n', no '\r').
 * Returns 0, -1 when a line exceeds the bound (the stream must restart) or
 * CB's non-zero return (feeding stops there).
 */
int kube_wline_feed(struct kube_wline *l, const char *data, size_t len, kube_line_cb *cb, void *arg);

/*
 * Parse one watch line.  Returns 0 with *TYPE and *OBJ (caller frees) for an
 * event, 1 for an ERROR event (*OBJ the Status, ST decoded), -1 for garbage
 * (ERR says why).
 */
int kube_wevent_parse(const char *line, size_t len, enum kube_event_type *type, cJSON **obj,
    struct kube_status *st, char *err, size_t n);

/* ---- the client ---- */

struct kube_defaults {
	int connect_timeout_ms;
	int request_timeout_ms;
	double qps;
	int burst;
	int retry_max;
	int retry_initial_ms;
	int retry_max_ms;
	int breaker_threshold;
	int breaker_cooldown_ms;
	int max_inflight;
};

struct kxfer;
typedef size_t kxfer_data_fn(struct kxfer *x, const char *data, size_t len);
typedef void kxfer_done_fn(struct kxfer *x, CURLcode rc);
typedef void kxfer_head_fn(struct kxfer *x);

/* One HTTP exchange on the multi handle (kube_http.c). */
struct kxfer {
	CURL *easy;
	struct curl_slist *hdrs;
	int attached;			/* added to the multi handle */
	int http_code;			/* from the status line */
	int text_plain;
	int retry_after_ms;		/* -1 if none */
	kxfer_data_fn *on_data;
	kxfer_done_fn *on_done;
	kxfer_head_fn *on_head;		/* optional: the final header block has arrived */
	void *owner;
	char *sent_body;
};

struct kprov;
struct kwaiter;
typedef void kwaiter_go_fn(struct kwaiter *wt);

/* Something waiting on its provider for admission (a token, a slot). */
struct kwaiter {
	struct kwaiter *next;
	int queued;
	int needs_slot;			/* counts against max_inflight */
	int waited;			/* had to wait for a token (metric once) */
	int admit;			/* for go(): 0 = circuit open, 1 = go, 2 = go as the probe */
	int64_t since_us;
	kwaiter_go_fn *go;		/* admitted (or failed: see kube_admit) */
	void *owner;
};

struct kprov {
	struct kprov *next;
	struct kube *k;
	int refs;
	int removed;
	char *id;
	char *url;			/* without trailing '/' */
	char *auth;			/* "Authorization: Bearer ..." or NULL */
	struct curl_blob ca, cert, key;	/* owned copies (flags CURL_BLOB_COPY when set) */
	int insecure;
	unsigned gen;			/* bumps on url/credential change */
	double qps;
	int burst, max_inflight;
	struct tbucket tb;
	int inflight;
	struct kwaiter *wq_head, *wq_tail;
	struct event *wake;		/* next token */
	struct kube_breaker br;
	int64_t last_contact_ms;	/* wall */
	int64_t last_report_ms;		/* mono */
	int report_pending;		/* the state hook is due (from the pump) */
	struct kube_watch *watches;	/* linked through w->pnext */
	char label[192];		/* provider="id" (escaped) */
};

struct kube {
	struct event_base *base;
	CURLM *multi;
	CURLSH *share;
	CURL *pool[KUBE_EASY_POOL];
	int npool;
	struct event *timer;
	struct event *pump;
	struct kube_defaults d;
	struct kprov *provs;
	struct kube_req *live;		/* every request not yet freed */
	struct kube_req *dead;		/* requests to reap */
	struct kube_watch *wdead;
	struct kube_req *fin;		/* completions to deliver from the pump */
	kube_state_hook *hook;
	void *hook_arg;
	int freeing;
	unsigned nreqs;			/* live requests (for kube_free) */
};

/* kube.c */
struct kprov *kube_prov_find(struct kube *k, const char *id);
void kube_prov_ref(struct kprov *p);
void kube_prov_unref(struct kprov *p);
void kube_pump_schedule(struct kube *k);
/* Queue WT behind P's limits; WT->go runs from the pump when admitted. */
void kube_admit_enqueue(struct kprov *p, struct kwaiter *wt);
void kube_admit_dequeue(struct kprov *p, struct kwaiter *wt);
void kube_admit_run(struct kprov *p);
/* A reply (or its absence) from P: breaker, contact time, state hook, metric. */
void kube_prov_outcome(struct kprov *p, int answered, int ok);
void kube_prov_report(struct kprov *p, int force);
/* Set ERRMSG on RES, printf-like. */
void kube_res_errf(struct kube_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* kube_http.c */
int kube_http_init(struct kube *k, char *err, size_t n);
void kube_http_free(struct kube *k);
/*
 * Prepare X for METHOD URL on P (body copied, CTYPE its Content-Type;
 * TIMEOUT_MS 0 = no total timeout, for watches) and add it to the multi
 * handle.  Must not be called from inside a libcurl callback.
 */
int kube_xfer_start(struct kube *k, struct kprov *p, struct kxfer *x, const char *method,
    const char *url, const char *body, size_t body_len, const char *ctype, int timeout_ms,
    char *err, size_t n);
/* Detach and free X's handle (no callback).  Not from inside a libcurl callback. */
void kube_xfer_stop(struct kube *k, struct kxfer *x);
/* Seconds from start to the end of the transfer, and whether a byte was sent. */
int kube_xfer_sent(struct kxfer *x);
/* Map a libcurl error to a class and a short text. */
enum kube_err kube_curl_class(CURLcode rc, int *permanent);

/* kube_req.c */
void kube_req_reap(struct kube *k);
void kube_req_fin_run(struct kube *k);
void kube_req_cancel_prov(struct kprov *p);

/* kube_watch.c */
void kube_watch_reap(struct kube *k);
void kube_watch_prov_changed(struct kprov *p);
void kube_watch_end_prov(struct kprov *p);

/* kube_metrics.c */
void kube_met_request(struct kprov *p, const char *verb, int code, enum kube_err e, double secs);
void kube_met_retry(struct kprov *p, enum kube_verb v, enum kube_err e);
void kube_met_ratelimit(struct kprov *p, double secs);
void kube_met_circuit(struct kprov *p);
void kube_met_watch_event(struct kprov *p, const char *type);
void kube_met_watch_restart(struct kprov *p, const char *reason);

#endif
