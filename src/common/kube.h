/*
 * kube — the Kubernetes API client every role that talks to clusters uses
 * (the reconciler observes, the workers act).  One `struct kube` per process,
 * created after fork() on the process's libevent base; it keeps many
 * requests and watches in flight on one libcurl multi handle driven by that
 * base (socket and timer callbacks: no thread, no polling).
 *
 * Providers (clusters) are added, changed and removed by id at run time.
 * Each has its own budget, so a slow, hung or dead cluster never delays
 * another: a token bucket (qps/burst, watches pay once per (re)open), a cap
 * on requests in flight with a FIFO behind it, connect and total timeouts on
 * every non-watch request, retries with exponential backoff and full jitter
 * that never come earlier than Retry-After / retryAfterSeconds, and a
 * circuit breaker (closed -> open after kube.breaker_threshold consecutive
 * failures -> one half-open probe after kube.breaker_cooldown_ms).
 *
 * Contract for callers (read this before using anything below):
 *   - Every callback runs on the event loop, never from inside the call that
 *     started the work (kube_request() etc. never call back synchronously,
 *     even for an immediate failure such as an open circuit).
 *   - A completion callback fires exactly once per request / pager, unless
 *     the caller cancelled it first: after kube_req_cancel(),
 *     kube_pager_cancel() or kube_watch_cancel() NO callback of that handle
 *     fires any more and the handle is gone.  Cancelling from inside any
 *     callback (including that handle's own) is allowed.
 *   - kube_provider_remove() and kube_free() end everything of the provider
 *     (all of them) with KUBE_ERR_CANCELLED: requests and pagers through
 *     their completion callback, watches through their end callback, from
 *     the event loop (kube_free: synchronously, as the loop is going away).
 *   - Handles are valid from their creation until their final callback has
 *     returned (or until cancelled).  Do not use them afterwards.
 *   - cJSON handed to a callback is owned by the library and freed when the
 *     callback returns, unless the callback takes it by setting the pointer
 *     field to NULL (res->body = NULL, ev->object = NULL) after keeping it;
 *     it then owns it and frees it with cJSON_Delete().
 *   - Strings passed in are copied; nothing the caller passes is kept.
 *   - Credentials (token, client key) never appear in a log line, an error
 *     message or a metric label; only the provider id and URL do.
 *   - HTTP/1.1 with keep-alive, one connection per request or watch in
 *     flight; kube_http.c says why not HTTP/2 and what it would change.
 */
#ifndef DBAAS_KUBE_H
#define DBAAS_KUBE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

struct cfg;
struct kube;
struct kube_req;
struct kube_pager;
struct kube_watch;

/* ---- results ---- */

/*
 * What happened, one class per way a caller reacts differently.  Classes
 * that follow a retried transient failure (server_error, too_many_requests,
 * timeout, transport) are returned only after the retries are used up.
 */
enum kube_err {
	KUBE_OK = 0,
	KUBE_ERR_NOT_FOUND,		/* 404 with a Status: the object does not exist */
	KUBE_ERR_UNKNOWN_RESOURCE,	/* 404 with a text/plain body: no such group/version/resource */
	KUBE_ERR_ALREADY_EXISTS,	/* 409 reason AlreadyExists */
	KUBE_ERR_CONFLICT,		/* 409 otherwise (stale resourceVersion, precondition) */
	KUBE_ERR_GONE,			/* 410 (Expired, Gone): re-list */
	KUBE_ERR_INVALID,		/* 400, 405, 413, 415, 422: the request itself is wrong */
	KUBE_ERR_UNAUTHORIZED,		/* 401 */
	KUBE_ERR_FORBIDDEN,		/* 403 */
	KUBE_ERR_TOO_MANY_REQUESTS,	/* 429 */
	KUBE_ERR_SERVER,		/* 5xx */
	KUBE_ERR_TIMEOUT,		/* connect or total timeout (client side), watch idle */
	KUBE_ERR_TRANSPORT,		/* refused, reset, TLS, DNS, broken stream */
	KUBE_ERR_CIRCUIT_OPEN,		/* failed fast: the provider's circuit is open */
	KUBE_ERR_CANCELLED,		/* provider removed or client freed */
	KUBE_ERR_DECODE,		/* a 2xx whose body is not the JSON expected */
	KUBE_ERR_NO_PROVIDER,		/* no provider with that id */
	KUBE_ERR_OTHER,			/* any other HTTP code */
};

/* "ok", "not_found", ... (stable names: used as log values and metric labels). */
const char *kube_err_name(enum kube_err e);

/*
 * A Kubernetes Status (errors, and DELETE's success answer), decoded from
 * the body; `present` is 0 when the body was not a Status.  details points
 * into the result's body (NULL if none) and lives as long as it.
 */
struct kube_status {
	int present;
	int code;			/* Status.code (0 if absent) */
	char status[16];		/* "Success" | "Failure" */
	char reason[64];		/* "NotFound", "AlreadyExists", "Expired"... */
	char message[512];		/* truncated to fit */
	int retry_after_s;		/* details.retryAfterSeconds, -1 if absent */
	const cJSON *details;
};

/* Flags of a result. */
#define KUBE_RES_ADOPTED	0x1	/* a POST retried after an ambiguous failure met
					   409 AlreadyExists; the object was then read
					   back with GET and is the body (http_code 200) */
#define KUBE_RES_AMBIGUOUS	0x2	/* an earlier attempt may have been applied
					   (timeout/reset/5xx before this answer): e.g. a
					   DELETE answering 404 may be its own earlier success */

struct kube_result {
	const char *provider;		/* provider id */
	int http_code;			/* last HTTP status, 0 if no reply */
	enum kube_err err;
	int flags;			/* KUBE_RES_* */
	int attempts;			/* 1 + retries */
	int retry_after_ms;		/* server's Retry-After/retryAfterSeconds, -1 if none */
	struct kube_status status;
	cJSON *body;			/* JSON body (object, list, Status) or NULL; takeable */
	char errmsg[256];		/* one line for logs; never holds credentials */
};

/* ---- the client ---- */

/*
 * Create the process's client on BASE with the defaults of CFG's kube
 * section (copied).  Call after fork(); never carry it across fork().
 * Returns NULL with ERR filled.
 */
struct kube *kube_new(struct event_base *base, const struct cfg *cfg, char *err, size_t n);
/*
 * End everything (callbacks fire with KUBE_ERR_CANCELLED, synchronously) and
 * free.  Not from inside one of the client's callbacks.
 */
void kube_free(struct kube *k);

/* ---- providers ---- */

/*
 * A provider's connection settings.  PEM blobs are the decoded PEM text
 * (not base64); a length of 0 means strlen().  Either token or client
 * cert+key (or neither, e.g. plain-HTTP kubesim).  ca_pem NULL = the system
 * CAs.  qps <= 0 / burst <= 0 / max_inflight <= 0 take the kube.* defaults.
 */
struct kube_provider_conf {
	const char *id;			/* stable id, 1-64 of [A-Za-z0-9._-]: the metrics' label */
	const char *url;		/* "https://host:port", optionally with a path prefix */
	const char *ca_pem;
	size_t ca_len;
	const char *token;
	const char *cert_pem;
	size_t cert_len;
	const char *key_pem;
	size_t key_len;
	int insecure_skip_tls_verify;
	double qps;
	int burst;
	int max_inflight;
};

/*
 * Add provider PC->id, or change it.  A change of url or credentials ends
 * its open watch connections, which reconnect with the new settings
 * (resuming from their resourceVersion; no end callback); requests in
 * flight finish with the settings they started with.  A change of limits
 * applies at once.  Returns 0, or -1 with ERR (bad URL, bad limits).
 */
int kube_provider_set(struct kube *k, const struct kube_provider_conf *pc, char *err, size_t n);
/* Remove provider ID: its requests, pagers and watches end with KUBE_ERR_CANCELLED. 0 / -1 if unknown. */
int kube_provider_remove(struct kube *k, const char *id);

enum kube_circuit { KUBE_CIRCUIT_CLOSED = 0, KUBE_CIRCUIT_HALF_OPEN = 1, KUBE_CIRCUIT_OPEN = 2 };
/* "closed", "half_open", "open" (the providers document's circuit_state values). */
const char *kube_circuit_name(enum kube_circuit c);

struct kube_provider_state {
	const char *id;
	enum kube_circuit circuit;
	int64_t last_contact_ms;	/* wall clock of the last reply from the server, 0 = never */
	int consecutive_failures;
};

/*
 * HOOK is called (on the loop, on its own turn) after a provider's circuit
 * changes state, and after a contact (any HTTP reply the server produced,
 * 4xx included) at most once per second per provider, with the provider's
 * state at that moment, so the reconciler can write circuit_state and
 * last_contact_at into the providers document.  Changes in quick succession
 * may be reported once, with the latest state.  The hook may call anything
 * here but kube_free().
 */
typedef void kube_state_hook(void *arg, const struct kube_provider_state *st);
void kube_set_state_hook(struct kube *k, kube_state_hook *hook, void *arg);
/* The current state of provider ID; 0, or -1 if unknown. */
int kube_provider_state(struct kube *k, const char *id, struct kube_provider_state *out);

/* ---- paths ---- */

/*
 * Build an API path into OUT: "/apis/GROUP/VERSION[/namespaces/NS]/PLURAL[/NAME[/SUB]]"
 * (GROUP "" = the core "/api/VERSION").  NS, NAME and SUB may be NULL.
 * Every part is checked (DNS label/subdomain characters), so user data can
 * never inject a path or query.  Returns 0, or -1 with ERR.
 */
int kube_path(char *out, size_t n, const char *group, const char *version, const char *ns,
    const char *plural, const char *name, const char *sub, char *err, size_t errn);

/* Decode standard base64 (as the providers document stores PEM blobs). Caller frees *OUT. */
int kube_b64_decode(const char *in, char **out, size_t *outlen);

/* ---- requests ---- */

enum kube_verb {
	KUBE_GET,		/* one object */
	KUBE_LIST,		/* a collection (GET); use kube_list() to page */
	KUBE_POST,
	KUBE_PUT,
	KUBE_PATCH_MERGE,	/* application/merge-patch+json */
	KUBE_PATCH_JSON,	/* application/json-patch+json */
	KUBE_DELETE,
};
/* "get", "list", "create", "update", "patch", "patch", "delete" (the metrics' verb label). */
const char *kube_verb_name(enum kube_verb v);

/*
 * One request.  PATH is built with kube_path(); QUERY is appended after '?'
 * (already escaped, no leading '?'; labelSelector etc.: see kube_query_add).
 * BODY is serialised at submit time (not kept).  DELETE: propagation
 * ("Background", "Foreground", "Orphan" or NULL) and preconditions become
 * the DeleteOptions body.  timeout_ms 0 = kube.request_timeout_ms.
 */
struct kube_call {
	enum kube_verb verb;
	const char *path;
	const char *query;
	const cJSON *body;
	const char *propagation;
	const char *precondition_uid;
	const char *precondition_rv;
	int timeout_ms;
};

/*
 * Append "KEY=escaped(VALUE)" to the query string in BUF (with '&' when not
 * empty).  Returns 0, or -1 if it does not fit.
 */
int kube_query_add(char *buf, size_t n, const char *key, const char *value);

/*
 * The completion callback: RES is valid during the call only (take
 * res->body to keep it).
 */
typedef void kube_done_cb(void *arg, struct kube_result *res);

/*
 * Start CALL on provider PROVIDER.  Returns the handle (for kube_req_cancel)
 * or NULL only when out of memory or the call is malformed (ERR filled; no
 * callback).  Everything else (unknown provider, open circuit) completes
 * through CB.  Retries: GET/LIST/PUT/PATCH_MERGE/DELETE on 429, 5xx,
 * timeouts and resets; POST likewise when the body has metadata.name (on a
 * 409 AlreadyExists after an ambiguous attempt it reads the object back,
 * KUBE_RES_ADOPTED); PATCH_JSON and POST with generateName only when the
 * request certainly was not processed (429, connect failure).
 */
struct kube_req *kube_request(struct kube *k, const char *provider, const struct kube_call *call,
    kube_done_cb *cb, void *arg, char *err, size_t n);
/* Cancel: no callback, the handle is freed (the connection is closed if in flight). */
void kube_req_cancel(struct kube_req *r);

/* ---- LIST pager ---- */

struct kube_list_opts {
	const char *path;		/* a collection path */
	const char *label_selector;	/* NULL = none */
	const char *field_selector;
	int limit;			/* page size; 0 = 500 (client-go) */
};

/*
 * Called once per page, in order.  ITEMS is the page's items array (owned by
 * the library; detach elements with cJSON_DetachItemFromArray to keep them).
 * RESTARTED is 1 on the first page of a list started over after its continue
 * token expired (410): drop what earlier pages delivered, the new pages are a
 * new snapshot.  Return 0 to go on, -1 to stop (no done callback then; the
 * pager is freed).
 */
typedef int kube_page_cb(void *arg, cJSON *items, int restarted);
/*
 * Called once at the end: RES->err KUBE_OK and RV the list's resourceVersion
 * (hand it to kube_watch), or the error that stopped the list (RV "").
 */
typedef void kube_list_done_cb(void *arg, struct kube_result *res, const char *rv);

struct kube_pager *kube_list(struct kube *k, const char *provider, const struct kube_list_opts *o,
    kube_page_cb *page, kube_list_done_cb *done, void *arg, char *err, size_t n);
void kube_pager_cancel(struct kube_pager *p);

/* ---- WATCH ---- */

enum kube_event_type { KUBE_EV_ADDED, KUBE_EV_MODIFIED, KUBE_EV_DELETED, KUBE_EV_BOOKMARK };
const char *kube_event_name(enum kube_event_type t);

struct kube_event {
	enum kube_event_type type;
	cJSON *object;			/* takeable (set to NULL after keeping it) */
	const char *resource_version;	/* the object's metadata.resourceVersion */
};

struct kube_watch_opts {
	const char *path;		/* a collection path */
	const char *label_selector;
	const char *field_selector;
	const char *resource_version;	/* from kube_list's done callback; NULL/"" = from now,
					   with synthetic ADDED events for existing objects */
	int timeout_s;			/* server-side timeoutSeconds per connection;
					   0 = random in [300, 600) like client-go */
	int idle_ms;			/* client-side: a connection silent this long is
					   dropped and reopened; 0 = timeout_s + 30 s */
};

typedef void kube_event_cb(void *arg, struct kube_event *ev);
/*
 * The watch has ended for good.  RES->err is KUBE_ERR_GONE when the
 * resourceVersion expired (an ERROR 410 event or an HTTP 410): list again
 * and start a new watch from the new list's RV.  Other endings:
 * UNAUTHORIZED, FORBIDDEN, NOT_FOUND, UNKNOWN_RESOURCE, INVALID (the watch
 * cannot work as asked) and CANCELLED.  Transient failures (closed early,
 * timeouts, 5xx, 429, resets, garbage lines, open circuit) never end it: it
 * reconnects by itself with backoff from the last resourceVersion seen
 * (bookmarks included).
 */
typedef void kube_watch_end_cb(void *arg, struct kube_result *res);

struct kube_watch *kube_watch(struct kube *k, const char *provider, const struct kube_watch_opts *o,
    kube_event_cb *on_event, kube_watch_end_cb *on_end, void *arg, char *err, size_t n);
/* The last resourceVersion seen (events and bookmarks); valid until the next callback. */
const char *kube_watch_rv(const struct kube_watch *w);
void kube_watch_cancel(struct kube_watch *w);

#endif
