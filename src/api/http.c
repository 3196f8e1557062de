/*
 * http — per-request plumbing: request ids (X-Request-Id accepted when sane,
 * generated otherwise, always returned), request bodies and query strings
 * checked before any handler sees them, JSON and problem+json responses,
 * request metrics and one access-log line per request.  While the process
 * drains, every response carries "Connection: close" so keep-alive clients
 * move to the new generation after their current request instead of having
 * an idle connection cut under them.
 *
 * A request crosses threads as a job (struct api_req): api_req_new() on the
 * loop copies method, path, query, headers and body out of libevent's
 * request; the handler thread reads only those copies and leaves status,
 * headers and body in the job (the api_reply_* functions do no I/O); the
 * loop then copies them onto libevent's request in api_req_send().  The
 * Idempotency-Key record, which needs Redis, is written on the handler
 * thread once the handler has replied.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/http_struct.h>	/* the request's HTTP version (no getter in 2.1) */
#include <event2/keyvalq_struct.h>

#include "api/api_int.h"
#include "api/validate.h"
#include "common/clock.h"
#include "common/id.h"
#include "common/json.h"
#include "common/log.h"
#include "common/metrics.h"

/* Request latency buckets, in seconds. */
static const double latency_bounds[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5 };

static int
request_id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("-_.:", *s) != NULL))
			return 0;
	return 1;
}

static void
kvq_init(struct evkeyvalq *h)
{
	h->tqh_first = NULL;
	h->tqh_last = &h->tqh_first;
}

/* Copy every request header: handlers read them from the job, never from REQ. */
static int
copy_headers(struct evkeyvalq *to, const struct evkeyvalq *from)
{
	for (const struct evkeyval *kv = from->tqh_first; kv != NULL; kv = kv->next.tqe_next)
		if (evhttp_add_header(to, kv->key, kv->value) != 0)
			return -1;
	return 0;
}

/* Move the body out of REQ's input buffer (no second copy stays behind). */
static int
take_body(struct api_req *q, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);

	q->body = malloc(len + 1);
	if (q->body == NULL)
		return -1;
	if (len > 0 && evbuffer_remove(in, q->body, len) != (int)len)
		return -1;
	q->body[len] = '\0';
	q->body_len = len;
	return 0;
}

static void
pick_request_id(struct api_req *q)
{
	const char *rid = evhttp_find_header(&q->in, "X-Request-Id");

	if (rid != NULL && request_id_ok(rid))
		snprintf(q->request_id, sizeof(q->request_id), "%s", rid);
	else
		id_new("req-", q->request_id, sizeof(q->request_id));
}

static void job_run(struct api_job *j, struct api_clients *c);
static void job_done(struct api_job *j);
static void job_drop(struct api_job *j);

struct api_req *
api_req_new(struct api *api, struct evhttp_request *req)
{
	struct api_req *q = calloc(1, sizeof(*q));
	const char *uri = evhttp_request_get_uri(req), *qm = strchr(uri, '?');

	if (q == NULL)
		return NULL;
	kvq_init(&q->in);
	kvq_init(&q->out);
	q->job.run = job_run;
	q->job.done = job_done;
	q->job.drop = job_drop;
	q->api = api;
	q->req = req;
	q->method = evhttp_request_get_command(req);
	q->start_us = clk_mono_us();
	q->http11 = req->major > 1 || (req->major == 1 && req->minor >= 1);
	snprintf(q->path, sizeof(q->path), "%.*s", (int)(qm != NULL ? qm - uri : (long)strlen(uri)),
	    uri);
	if ((qm != NULL && (q->query = strdup(qm + 1)) == NULL) ||
	    copy_headers(&q->in, evhttp_request_get_input_headers(req)) != 0 ||
	    take_body(q, req) != 0) {
		api_req_free(q);
		return NULL;
	}
	pick_request_id(q);
	return q;
}

void
api_req_free(struct api_req *q)
{
	evhttp_clear_headers(&q->in);
	evhttp_clear_headers(&q->out);
	free(q->query);
	free(q->body);
	free(q->out_body);
	free(q);
}

/*
 * Request framing.  libevent 2.1 takes the first Content-Length of several,
 * accepts "+5", keeps "Transfer-Encoding " (space before the colon) as an
 * unknown header and frames anything but exactly "chunked" by
 * Content-Length: behind a proxy that reads the same bytes differently,
 * each of these lets a request hide inside another's body.  RFC 9112 makes
 * them 400s; we refuse them before routing and close the connection, so
 * whatever libevent already read past the body is never run as a request.
 * Bad chunk sizes are refused by libevent itself (its own HTML 413) before
 * we see the request; that is documented.
 */
static int
header_name_ok(const char *k)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~";

	if (*k == '\0')
		return 0;
	for (; *k != '\0'; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
		    (*k >= '0' && *k <= '9') || strchr(tchar, *k) != NULL))
			return 0;
	return 1;
}

static size_t
header_count(const struct evkeyvalq *h, const char *name)
{
	size_t n = 0;

	for (const struct evkeyval *kv = h->tqh_first; kv != NULL; kv = kv->next.tqe_next)
		n += strcasecmp(kv->key, name) == 0;
	return n;
}

/* The first framing problem of Q's headers, or NULL. */
static const char *
framing_problem(const struct api_req *q)
{
	const char *cl = api_header(q, "Content-Length"), *te = api_header(q, "Transfer-Encoding");
	size_t nhost = header_count(&q->in, "Host");

	for (const struct evkeyval *kv = q->in.tqh_first; kv != NULL; kv = kv->next.tqe_next)
		if (!header_name_ok(kv->key))
			return "a header name is not an RFC 9110 token (no spaces before the colon)";
	if (header_count(&q->in, "Content-Length") > 1)
		return "Content-Length given more than once";
	if (cl != NULL && (cl[0] == '\0' || strspn(cl, "0123456789") != strlen(cl)))
		return "Content-Length must be digits only";
	if (header_count(&q->in, "Transfer-Encoding") > 1 || (te != NULL && strcasecmp(te, "chunked") != 0))
		return "the only Transfer-Encoding accepted is one \"chunked\"";
	if (te != NULL && cl != NULL)
		return "Content-Length and Transfer-Encoding together";
	if (nhost > 1 || (nhost == 0 && q->http11))
		return "HTTP/1.1 needs exactly one Host header";
	if (header_count(&q->in, "Authorization") > 1)
		return "Authorization given more than once";
	return NULL;
}

/*
 * libevent 2.1 reads no body for HEAD, TRACE and methods it does not know
 * (evhttp_method_may_have_body), so body bytes such a request announces
 * would be parsed as the next request on the connection: close it instead.
 */
static int
body_left_unread(const struct api_req *q)
{
	const char *cl = api_header(q, "Content-Length");
	int reads = (q->method & (EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH |
	    EVHTTP_REQ_GET | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_CONNECT)) != 0;

	return !reads && ((cl != NULL && strcmp(cl, "0") != 0) ||
	    api_header(q, "Transfer-Encoding") != NULL);
}

int
api_req_framing_ok(struct api_req *q)
{
	const char *why = framing_problem(q);

	if (body_left_unread(q))
		q->close = 1;
	if (why == NULL)
		return 1;
	q->close = 1;
	api_reply_problem(q, 400, NULL, why, NULL);
	return 0;
}

/* Handler thread: the route, the idempotency record, and a reply in any case. */
static void
job_run(struct api_job *j, struct api_clients *c)
{
	struct api_req *q = (struct api_req *)j;

	q->mdb = &c->mdb;
	q->redis = &c->redis;
	api_dispatch(q);
	if (q->status == 0) {
		log_warnx("no_reply", "route=%s request_id=%s", q->route, q->request_id);
		api_reply_problem(q, 500, NULL, "the handler sent no reply", NULL);
	}
	if (q->idem_key[0] != '\0')
		api_idem_finish(q);
	q->mdb = NULL;
	q->redis = NULL;
}

static void
job_done(struct api_job *j)
{
	api_req_send((struct api_req *)j);
}

static void
job_drop(struct api_job *j)
{
	api_req_free((struct api_req *)j);
}

const char *
api_method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE: return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	default: return "OTHER";
	}
}

/* Count the request and its latency by route, method and status. */
static void
record(const struct api_req *q, int status, double seconds)
{
	static struct met_family *_Atomic reqs_cache, *_Atomic lat_cache;
	struct met_family *reqs, *lat;
	char route[160], labels[MET_LABELS_MAX];

	reqs = met_family_cached(&reqs_cache, "dbaas_http_requests_total", MET_COUNTER,
	    API_HELP_REQS, NULL, 0);
	lat = met_family_cached(&lat_cache, "dbaas_http_request_duration_seconds", MET_HISTOGRAM,
	    API_HELP_LAT,
	    latency_bounds, sizeof(latency_bounds) / sizeof(latency_bounds[0]));
	met_label_escape(q->route != NULL ? q->route : "unmatched", route, sizeof(route));
	snprintf(labels, sizeof(labels), "route=\"%s\",method=\"%s\",code=\"%d\"", route,
	    api_method_name(q->method), status);
	met_add(reqs, labels, 1);
	met_observe(lat, labels, seconds);
}

/* Free BODY once libevent has written it (evbuffer_add_reference). */
static void
free_body(const void *data, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	free((void *)data);
}

/*
 * Whether the client is still there does not matter (libevent 2.1.12,
 * http.c).  While a request is with us, evhttp_handle_request() has turned
 * reading off on its connection, so a client that leaves is noticed only
 * when this reply is written: the write fails, evhttp_connection_fail_()
 * finds the request done (userdone) and frees the connection and the
 * request.  Had the connection failed earlier, evhttp_connection_incoming_fail()
 * would have detached the unfinished request (evcon NULL) and evhttp_send()
 * frees it here.  Either way REQ is valid until this call and not ours
 * after it; only evhttp_free() frees a request we still hold, which is why
 * api.c stops the pool first.  tests/integration/test_api_threads.py has
 * clients that vanish.
 */
void
api_req_send(struct api_req *q)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(q->req);
	struct evbuffer *buf = evhttp_request_get_output_buffer(q->req);
	double secs;

	for (const struct evkeyval *kv = q->out.tqh_first; kv != NULL; kv = kv->next.tqe_next)
		evhttp_add_header(out, kv->key, kv->value);
	evhttp_add_header(out, "Content-Type", q->ctype);
	evhttp_add_header(out, "X-Request-Id", q->request_id);
	if (q->api->draining || q->close)
		evhttp_add_header(out, "Connection", "close");
	/*
	 * Content-Length always (libevent 2.1 leaves it out for HEAD and
	 * CONNECT); HEAD gets GET's headers and no body (RFC 9110 9.3.2), which
	 * libevent would otherwise send.
	 */
	if (q->status != 204 && q->status != 304) {
		char len[24];
		snprintf(len, sizeof(len), "%zu", q->out_len);
		evhttp_add_header(out, "Content-Length", len);
	}
	if (q->out_len > 0 && q->method != EVHTTP_REQ_HEAD &&
	    evbuffer_add_reference(buf, q->out_body, q->out_len, free_body, NULL) == 0)
		q->out_body = NULL;	/* libevent frees it after writing */
	evhttp_send_reply(q->req, q->status, api_status_title(q->status), NULL);
	secs = (double)(clk_mono_us() - q->start_us) / 1e6;
	record(q, q->status, secs);
	log_info("http_request", "method=%s path=%s status=%d ms=%.3f request_id=%s key=%s",
	    api_method_name(q->method), q->path, q->status, secs * 1000.0, q->request_id,
	    q->who.key_id);
	api_req_free(q);
}

/*
 * Keep the reply BODY (taken; NULL or NUL-terminated) of LEN bytes.  A handler replies
 * once; a second reply is a bug, logged and ignored so the first one stands.
 */
static void
set_reply(struct api_req *q, int status, const char *ctype, char *body, size_t len)
{
	if (q->status != 0) {
		log_warnx("reply_twice", "route=%s status=%d first=%d request_id=%s", q->route, status,
		    q->status, q->request_id);
		free(body);
		return;
	}
	q->status = status;
	snprintf(q->ctype, sizeof(q->ctype), "%s", ctype);
	q->out_body = body;
	q->out_len = body != NULL ? len : 0;
}

void
api_reply_text(struct api_req *q, int status, const char *ctype, const char *text, size_t len)
{
	char *copy = NULL;

	if (text != NULL && len > 0 && (copy = malloc(len + 1)) != NULL) {
		memcpy(copy, text, len);
		copy[len] = '\0';	/* bodies stay C strings (idempotency.c stores them) */
	}
	if (text != NULL && len > 0 && copy == NULL) {
		set_reply(q, 500, "application/problem+json", NULL, 0);
		return;
	}
	set_reply(q, status, ctype, copy, len);
}

void
api_reply_json(struct api_req *q, int status, cJSON *body)
{
	char *text = body != NULL ? cJSON_PrintUnformatted(body) : NULL;

	if (text == NULL)
		text = strdup("{}");
	set_reply(q, status, "application/json", text, text != NULL ? strlen(text) : 0);
	cJSON_Delete(body);
}

void
api_reply_busy(struct api_req *q)
{
	api_set_header(q, "Retry-After", API_RETRY_AFTER_S);
	api_reply_problem(q, 503, NULL, "every handler of this API process is busy; retry shortly",
	    NULL);
}

void
api_reply_field(struct api_req *q, int status, const char *field, const char *msg)
{
	cJSON *errs = cJSON_CreateArray(), *e = cJSON_CreateObject();
	char detail[320];

	cJSON_AddStringToObject(e, "field", field);
	cJSON_AddStringToObject(e, "message", msg);
	cJSON_AddItemToArray(errs, e);
	snprintf(detail, sizeof(detail), "%s%s%s", field, field[0] != '\0' ? ": " : "", msg);
	json_utf8_trim(detail);
	api_reply_problem(q, status, NULL, detail, errs);
}

void
api_reply_unavailable(struct api_req *q, const char *what)
{
	char detail[128];

	if (strncmp(what, "redis", 5) == 0)
		api_count_failure("redis");	/* MongoDB failures are counted where classified */
	snprintf(detail, sizeof(detail), "%s is unavailable; retry shortly", what);
	api_set_header(q, "Retry-After", API_RETRY_AFTER_S);
	api_reply_problem(q, 503, NULL, detail, NULL);
}

void
api_set_header(struct api_req *q, const char *name, const char *value)
{
	evhttp_add_header(&q->out, name, value);
}

const char *
api_header(const struct api_req *q, const char *name)
{
	return evhttp_find_header(&q->in, name);
}

/*
 * "application/json" (or merge-patch) with optional parameters.  A charset
 * other than UTF-8 is refused (RFC 8259 JSON is UTF-8; we would otherwise
 * read Latin-1 bytes as UTF-8): 0 = acceptable, 1 = not JSON, 2 = bad charset.
 */
static int
json_ctype(const char *ct)
{
	static const char *const ok[] = { "application/json", "application/merge-patch+json", NULL };
	const char *p = NULL;

	for (const char *const *t = ok; *t != NULL && p == NULL; t++) {
		size_t n = strlen(*t);
		if (strncasecmp(ct, *t, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' ||
		    ct[n] == '\t'))
			p = ct + n;
	}
	if (p == NULL)
		return 1;
	while ((p = strchr(p, ';')) != NULL) {
		p += 1 + strspn(p + 1, " \t");
		if (strncasecmp(p, "charset=", 8) != 0)
			continue;
		p += 8;
		if (*p == '"')
			p++;
		if (strncasecmp(p, "utf-8", 5) != 0 || strchr("\"; \t", p[5]) == NULL)
			return 2;
	}
	return 0;
}

cJSON *
api_body_json(struct api_req *q, int empty_ok)
{
	size_t len = q->body_len;
	const char *ct = api_header(q, "Content-Type");
	struct jerr e;
	cJSON *root;

	if (len == 0 && empty_ok)
		return cJSON_CreateObject();
	if (ct == NULL || json_ctype(ct) == 1) {
		api_reply_problem(q, 415, NULL, "the body must be application/json", NULL);
		return NULL;
	}
	if (json_ctype(ct) == 2) {
		api_reply_problem(q, 415, NULL, "the body must be UTF-8 (charset=utf-8 or none)", NULL);
		return NULL;
	}
	root = json_parse_strict(q->body, len, API_JSON_DEPTH, &e);
	if (root == NULL) {
		api_reply_field(q, 400, e.field, e.msg);
		return NULL;
	}
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		api_reply_field(q, 400, "", "the body must be a JSON object");
		return NULL;
	}
	return root;
}

/*
 * The query parameter of the raw query string QS whose name or value has an
 * escaped NUL ("%00"), which decoding would turn into the end of the C
 * string (?name=x%00junk would match "x").  Its name goes to FIELD (when it
 * is a plain name); 1 if there is one.
 */
static int
query_nul(const char *qs, char *field, size_t n)
{
	for (const char *p = qs; *p != '\0';) {
		size_t len = strcspn(p, "&"), klen = strcspn(p, "=&");
		for (size_t i = 0; i + 2 < len; i++) {
			if (p[i] != '%' || p[i + 1] != '0' || p[i + 2] != '0')
				continue;
			snprintf(field, n, "%.*s", (int)klen, p);
			if (strspn(field, "abcdefghijklmnopqrstuvwxyz_") != strlen(field))
				field[0] = '\0';
			return 1;
		}
		p += len;
		if (*p == '&')
			p++;
	}
	return 0;
}

int
api_query(struct api_req *q, const char *const *allowed, struct evkeyvalq *out)
{
	char msg[160], field[64];

	kvq_init(out);
	if (q->query == NULL || q->query[0] == '\0')
		return 0;
	if (query_nul(q->query, field, sizeof(field))) {
		api_reply_field(q, 400, field, "must not contain NUL (%00)");
		return -1;
	}
	if (evhttp_parse_query_str(q->query, out) != 0) {
		api_reply_field(q, 400, "", "malformed query string");
		return -1;
	}
	for (struct evkeyval *kv = out->tqh_first; kv != NULL; kv = kv->next.tqe_next) {
		const char *const *a = allowed;
		while (*a != NULL && strcmp(*a, kv->key) != 0)
			a++;
		if (*a == NULL) {
			snprintf(msg, sizeof(msg), "unknown query parameter");
		} else if (evhttp_find_header(out, kv->key) != kv->value) {
			snprintf(msg, sizeof(msg), "query parameter given twice");
		} else if (strlen(kv->value) > 200 || !json_utf8_valid(kv->value, strlen(kv->value))) {
			snprintf(msg, sizeof(msg), "query parameter too long or not UTF-8");
		} else {
			continue;
		}
		api_reply_field(q, 400, api_dns_label(kv->key, 63) || strcmp(kv->key, "provider_id") == 0 ||
		    strcmp(kv->key, "database_id") == 0 ? kv->key : "", msg);
		evhttp_clear_headers(out);
		return -1;
	}
	return 0;
}

int
api_page_args(struct api_req *q, struct evkeyvalq *qs, const char *prefix, int *limit,
    char *after, size_t n)
{
	const struct cfg *c = q->api->cfg;
	const char *l = evhttp_find_header(qs, "limit"), *cur = evhttp_find_header(qs, "cursor");
	char *end, msg[96];
	long v;

	*limit = c->api.page_limit_default;
	after[0] = '\0';
	if (l != NULL) {
		v = strtol(l, &end, 10);
		if (l[0] < '0' || l[0] > '9' || *end != '\0' || v < 1 || v > c->api.page_limit_max) {
			snprintf(msg, sizeof(msg), "must be an integer from 1 to %d", c->api.page_limit_max);
			api_reply_field(q, 400, "limit", msg);
			return -1;
		}
		*limit = (int)v;
	}
	if (cur != NULL && api_cursor_decode(cur, prefix, after, n) != 0) {
		api_reply_field(q, 400, "cursor", "invalid cursor (use next_cursor of a previous page)");
		return -1;
	}
	return 0;
}

void
api_reply_problem(struct api_req *q, int status, const char *title, const char *detail,
    cJSON *errors)
{
	cJSON *p = cJSON_CreateObject();
	char *text;

	if (status == 401)
		api_set_header(q, "WWW-Authenticate", "Bearer realm=\"dbaasd\"");
	cJSON_AddStringToObject(p, "type", "about:blank");
	cJSON_AddStringToObject(p, "title", title != NULL ? title : api_status_title(status));
	cJSON_AddNumberToObject(p, "status", status);
	if (detail != NULL)
		cJSON_AddStringToObject(p, "detail", detail);
	if (errors != NULL)
		cJSON_AddItemToObject(p, "errors", errors);
	cJSON_AddStringToObject(p, "request_id", q->request_id);
	text = cJSON_PrintUnformatted(p);
	if (text == NULL)
		text = strdup("{}");
	set_reply(q, status, "application/problem+json", text, text != NULL ? strlen(text) : 0);
	cJSON_Delete(p);
}

const char *
api_status_title(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 412: return "Precondition Failed";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}
