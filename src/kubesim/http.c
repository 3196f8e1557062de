/*
 * http — see http.h.
 *
 * A connection is a bufferevent plus at most one active request.  Input is
 * parsed only while no request is active; when one finishes, parsing of any
 * pipelined input resumes from a deferred event (never recursively from the
 * reply call, which may itself run inside a handler).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "common/log.h"
#include "kubesim/api_int.h"
#include "kubesim/contok.h"
#include "kubesim/http.h"

#define HEAD_MAX (64 * 1024)
#define BODY_MAX (3 * 1024 * 1024)
#define HEADERS_MAX 100
#define QUERY_MAX 64
#define DRAIN_LOW (64 * 1024)
#define DISCARD_MAX (64 * 1024 * 1024)

struct kv {
	char *k;
	char *v;
};

enum req_state { REQ_BODY, REQ_ACTIVE };

#define WARNING_MAX 1024	/* one Warning header line */

struct conn;

struct ksim_req {
	struct conn *conn;
	enum req_state state;
	char method[16];
	char *path;
	struct kv query[QUERY_MAX];
	int nquery;
	struct kv hdr[HEADERS_MAX];
	int nhdr;
	char *body;
	size_t body_len;
	size_t want;		/* Content-Length still to read */
	int chunked;
	int http11;
	int keep_alive;
	int status;
	int streaming;
	char *warnings;		/* "Warning: ..." header lines, or NULL */
	size_t warnings_len;
	void *data;
	ksim_req_fn closed, drained;
	void *closed_arg, *drained_arg;
};

struct conn {
	struct ksim_http *http;
	struct bufferevent *bev;
	struct ksim_req *req;
	struct event *resume;
	int closing;
	size_t discard;		/* body bytes still to swallow after a 413 */
	struct conn *next, *prev;
};

struct ksim_http {
	struct event_base *base;
	struct evconnlistener *lis;
	SSL_CTX *ssl;
	struct ksim_http_hooks hooks;
	struct conn *conns;
};

static void conn_free(struct conn *c);
static void conn_parse(struct conn *c);

static const char *
reason(int code)
{
	switch (code) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 413: return "Request Entity Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Unknown";
	}
}

static void
req_free(struct ksim_req *r)
{
	for (int i = 0; i < r->nquery; i++) {
		free(r->query[i].k);
		free(r->query[i].v);
	}
	for (int i = 0; i < r->nhdr; i++) {
		free(r->hdr[i].k);
		free(r->hdr[i].v);
	}
	free(r->path);
	free(r->body);
	free(r->warnings);
	free(r);
}

/* The request is over: report it, free it, and move the connection on. */
static void
req_finish(struct ksim_req *r)
{
	struct conn *c = r->conn;
	struct ksim_http *h = c->http;

	c->req = NULL;
	if (h->hooks.done != NULL)
		h->hooks.done(r, h->hooks.arg);
	if (!r->keep_alive)
		c->closing = 1;
	req_free(r);
	if (c->closing) {
		bufferevent_disable(c->bev, EV_READ);
		bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			conn_free(c);
		return;
	}
	event_active(c->resume, EV_TIMEOUT, 0);
}

static void
conn_free(struct conn *c)
{
	struct ksim_http *h = c->http;

	if (c->req != NULL) {
		struct ksim_req *r = c->req;

		c->req = NULL;
		if (r->state == REQ_ACTIVE) {
			if (r->closed != NULL)
				r->closed(r, r->closed_arg);
			if (h->hooks.done != NULL)
				h->hooks.done(r, h->hooks.arg);
		}
		req_free(r);
	}
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	event_free(c->resume);
	bufferevent_free(c->bev);
	free(c);
}

static void
put_date(struct evbuffer *out)
{
	char buf[64];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	evbuffer_add_printf(out, "Date: %s\r\n", buf);
}

static void
put_head(struct ksim_req *r, int code, const char *ctype, const char *extra)
{
	struct evbuffer *out = bufferevent_get_output(r->conn->bev);
	char audit[40];

	r->status = code;
	ksim_new_uid(audit, sizeof(audit));
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n", code, reason(code));
	evbuffer_add_printf(out, "Audit-Id: %s\r\n", audit);
	evbuffer_add_printf(out, "Cache-Control: no-cache, private\r\n");
	if (ctype != NULL)
		evbuffer_add_printf(out, "Content-Type: %s\r\n", ctype);
	if (extra != NULL)
		evbuffer_add(out, extra, strlen(extra));
	if (r->warnings != NULL)
		evbuffer_add(out, r->warnings, r->warnings_len);
	put_date(out);
	if (!r->keep_alive)
		evbuffer_add_printf(out, "Connection: close\r\n");
}

void
ksim_req_add_warning(struct ksim_req *r, const char *text)
{
	char line[WARNING_MAX];
	size_t n = (size_t)snprintf(line, sizeof(line), "Warning: 299 - \"");
	char *grown;

	/* The text quoted as Go's strconv.Quote does for printable ASCII. */
	for (const char *p = text; *p != '\0' && n + 8 < sizeof(line); p++) {
		if (*p == '"' || *p == '\\')
			line[n++] = '\\';
		line[n++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
	}
	n += (size_t)snprintf(line + n, sizeof(line) - n, "\"\r\n");
	/* Like the apiserver's recorder: each text once, and a bounded total. */
	if (r->warnings != NULL && memmem(r->warnings, r->warnings_len, line, n) != NULL)
		return;
	if (r->warnings_len + n > 4 * WARNING_MAX || (grown = realloc(r->warnings, r->warnings_len + n)) == NULL)
		return;
	memcpy(grown + r->warnings_len, line, n);
	r->warnings = grown;
	r->warnings_len += n;
}

void
ksim_req_reply(struct ksim_req *r, int code, const char *ctype, const char *body,
    size_t len, const char *extra)
{
	struct evbuffer *out = bufferevent_get_output(r->conn->bev);

	put_head(r, code, ctype, extra);
	evbuffer_add_printf(out, "Content-Length: %zu\r\n\r\n", len);
	if (strcmp(r->method, "HEAD") != 0)
		evbuffer_add(out, body, len);
	req_finish(r);
}

void
ksim_req_reply_buf(struct ksim_req *r, int code, const char *ctype, struct evbuffer *body,
    const char *extra)
{
	struct evbuffer *out = bufferevent_get_output(r->conn->bev);

	put_head(r, code, ctype, extra);
	evbuffer_add_printf(out, "Content-Length: %zu\r\n\r\n", evbuffer_get_length(body));
	if (strcmp(r->method, "HEAD") != 0)
		evbuffer_add_buffer(out, body);
	else
		evbuffer_drain(body, evbuffer_get_length(body));
	req_finish(r);
}

void
ksim_req_stream_start(struct ksim_req *r, int code, const char *ctype)
{
	struct evbuffer *out = bufferevent_get_output(r->conn->bev);

	if (!r->http11)
		r->keep_alive = 0;
	put_head(r, code, ctype, NULL);
	if (r->http11)
		evbuffer_add_printf(out, "Transfer-Encoding: chunked\r\n");
	evbuffer_add(out, "\r\n", 2);
	r->streaming = 1;
}

int
ksim_req_stream_write(struct ksim_req *r, const char *data, size_t len)
{
	struct evbuffer *out = bufferevent_get_output(r->conn->bev);

	if (len == 0)
		return 0;
	if (r->http11 && evbuffer_add_printf(out, "%zx\r\n", len) < 0)
		return -1;
	if (evbuffer_add(out, data, len) < 0)
		return -1;
	return r->http11 ? evbuffer_add(out, "\r\n", 2) : 0;
}

void
ksim_req_stream_end(struct ksim_req *r)
{
	if (r->http11)
		evbuffer_add(bufferevent_get_output(r->conn->bev), "0\r\n\r\n", 5);
	req_finish(r);
}

size_t
ksim_req_backlog(const struct ksim_req *r)
{
	return evbuffer_get_length(bufferevent_get_output(r->conn->bev));
}

void
ksim_req_on_close(struct ksim_req *r, ksim_req_fn closed, void *arg)
{
	r->closed = closed;
	r->closed_arg = arg;
}

void
ksim_req_on_drain(struct ksim_req *r, ksim_req_fn drained, void *arg)
{
	r->drained = drained;
	r->drained_arg = arg;
	bufferevent_setwatermark(r->conn->bev, EV_WRITE, DRAIN_LOW, 0);
}

void
ksim_req_reset(struct ksim_req *r)
{
	struct conn *c = r->conn;
	struct linger lg = { 1, 0 };
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	r->closed = NULL;	/* the handler asked for it: no callback */
	conn_free(c);
}

const char *
ksim_req_method(const struct ksim_req *r)
{
	return r->method;
}

const char *
ksim_req_path(const struct ksim_req *r)
{
	return r->path;
}

const char *
ksim_req_query(const struct ksim_req *r, const char *key)
{
	for (int i = 0; i < r->nquery; i++)
		if (strcmp(r->query[i].k, key) == 0)
			return r->query[i].v;
	return NULL;
}

const char *
ksim_req_header(const struct ksim_req *r, const char *name)
{
	for (int i = 0; i < r->nhdr; i++)
		if (strcasecmp(r->hdr[i].k, name) == 0)
			return r->hdr[i].v;
	return NULL;
}

const char *
ksim_req_body(const struct ksim_req *r, size_t *len)
{
	*len = r->body_len;
	return r->body != NULL ? r->body : "";
}

int
ksim_req_status(const struct ksim_req *r)
{
	return r->status;
}

void
ksim_req_set_data(struct ksim_req *r, void *data)
{
	r->data = data;
}

void *
ksim_req_data(const struct ksim_req *r)
{
	return r->data;
}

/* Percent-decode S[0..N) (PLUS: '+' is a space).  NULL if malformed or NUL. */
static char *
pct_decode(const char *s, size_t n, int plus)
{
	char *out = malloc(n + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int h = i + 2 < n ? ksim_hexval(s[i + 1]) : -1;
			int l = i + 2 < n ? ksim_hexval(s[i + 2]) : -1;

			if (h < 0 || l < 0 || (h == 0 && l == 0))
				goto bad;
			*o++ = (char)(h * 16 + l);
			i += 2;
		} else {
			*o++ = plus && s[i] == '+' ? ' ' : s[i];
		}
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

static int
parse_query(struct ksim_req *r, const char *q)
{
	while (*q != '\0') {
		const char *amp = strchr(q, '&'), *end = amp != NULL ? amp : q + strlen(q);
		const char *eq = memchr(q, '=', (size_t)(end - q));
		const char *kend = eq != NULL ? eq : end;

		if (end > q) {
			if (r->nquery == QUERY_MAX)
				return -1;
			r->query[r->nquery].k = pct_decode(q, (size_t)(kend - q), 1);
			r->query[r->nquery].v = eq != NULL ? pct_decode(eq + 1, (size_t)(end - eq - 1), 1)
			    : strdup("");
			if (r->query[r->nquery].k == NULL || r->query[r->nquery].v == NULL) {
				free(r->query[r->nquery].k);
				free(r->query[r->nquery].v);
				return -1;
			}
			r->nquery++;
		}
		q = amp != NULL ? amp + 1 : end;
	}
	return 0;
}

/* METHOD SP TARGET SP HTTP/1.x */
static int
parse_request_line(struct ksim_req *r, char *line)
{
	char *sp1 = strchr(line, ' '), *sp2, *target, *q;

	if (sp1 == NULL || (size_t)(sp1 - line) >= sizeof(r->method) || sp1 == line)
		return -1;
	memcpy(r->method, line, (size_t)(sp1 - line));
	r->method[sp1 - line] = '\0';
	target = sp1 + 1;
	if ((sp2 = strchr(target, ' ')) == NULL)
		return -1;
	*sp2 = '\0';
	if (strcmp(sp2 + 1, "HTTP/1.1") == 0)
		r->http11 = 1;
	else if (strcmp(sp2 + 1, "HTTP/1.0") != 0)
		return -1;
	if (strncmp(target, "http://", 7) == 0 || strncmp(target, "https://", 8) == 0) {
		target = strchr(strstr(target, "//") + 2, '/');
		if (target == NULL)
			target = "/";
	}
	if (target[0] != '/')
		return -1;
	q = strchr(target, '?');
	if (q != NULL && parse_query(r, q + 1) < 0)
		return -1;
	r->path = pct_decode(target, q != NULL ? (size_t)(q - target) : strlen(target), 0);
	return r->path == NULL ? -1 : 0;
}

static int
parse_headers(struct ksim_req *r, char *p)
{
	char *line;

	while ((line = strsep(&p, "\n")) != NULL) {
		char *colon, *v, *e;
		size_t n = strlen(line);

		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n == 0)
			continue;
		if (line[0] == ' ' || line[0] == '\t' || (colon = strchr(line, ':')) == NULL ||
		    colon == line || r->nhdr == HEADERS_MAX)
			return -1;
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		for (e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		r->hdr[r->nhdr].k = strdup(line);
		r->hdr[r->nhdr].v = strdup(v);
		if (r->hdr[r->nhdr].k == NULL || r->hdr[r->nhdr].v == NULL) {
			free(r->hdr[r->nhdr].k);
			free(r->hdr[r->nhdr].v);
			return -1;
		}
		r->nhdr++;
	}
	return 0;
}

/* Drop input owed to a rejected body; close once it is all in and the answer out. */
static void
swallow(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t n = evbuffer_get_length(in);

	if (n > c->discard)
		n = c->discard;
	evbuffer_drain(in, n);
	c->discard -= n;
	if (c->discard == 0)
		bufferevent_disable(c->bev, EV_READ);
}

/*
 * Answer a request the server will not read (malformed, too large) directly,
 * without a handler, and close.  413 is a Status like the apiserver's.
 */
static void
conn_reject(struct conn *c, int code, const char *msg)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	char body[320];
	int n;

	if (code == 413)
		n = snprintf(body, sizeof(body), "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
		    "\"status\":\"Failure\",\"message\":\"Request entity too large: limit is %d\","
		    "\"reason\":\"RequestEntityTooLarge\",\"code\":413}", BODY_MAX);
	else
		n = snprintf(body, sizeof(body), "%s\n", msg);
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nConnection: close\r\n"
	    "Content-Length: %d\r\n\r\n%s", code, reason(code),
	    code == 413 ? "application/json" : "text/plain; charset=utf-8", n, body);
	c->closing = 1;
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	/* Swallow a declared body so the client can finish sending and read the answer. */
	if (c->discard > 0)
		swallow(c);
	else
		bufferevent_disable(c->bev, EV_READ);
}

/* Parse the request head in HEAD (modified).  Returns 0, or an HTTP code. */
static int
parse_head(struct ksim_req *r, char *head)
{
	char *nl = strchr(head, '\n'), *cl, *te, *conn;

	if (nl == NULL)
		return 400;
	*nl = '\0';
	if (nl > head && nl[-1] == '\r')
		nl[-1] = '\0';
	if (parse_request_line(r, head) < 0 || parse_headers(r, nl + 1) < 0)
		return 400;
	cl = (char *)ksim_req_header(r, "Content-Length");
	te = (char *)ksim_req_header(r, "Transfer-Encoding");
	if (te != NULL) {
		if (strcasecmp(te, "chunked") != 0)
			return 501;
		r->chunked = 1;
	} else if (cl != NULL) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(cl, &end, 10);
		if (cl[0] < '0' || cl[0] > '9' || *end != '\0' || errno != 0)
			return 400;
		if (v > BODY_MAX)
			return 413;
		r->want = (size_t)v;
	}
	conn = (char *)ksim_req_header(r, "Connection");
	r->keep_alive = r->http11 ? !(conn != NULL && strcasecmp(conn, "close") == 0)
	    : (conn != NULL && strcasecmp(conn, "keep-alive") == 0);
	return 0;
}

/*
 * Decode a complete chunked body from IN.  Returns 1 when done (body set and
 * input drained), 0 when more input is needed, -1 if malformed or too big.
 */
static int
read_chunked(struct ksim_req *r, struct evbuffer *in)
{
	size_t avail = evbuffer_get_length(in), pos = 0, blen = 0;
	char *p = (char *)evbuffer_pullup(in, -1), *body;

	if (avail > BODY_MAX + 64 * 1024)
		return -1;
	if ((body = malloc(avail + 1)) == NULL)
		return -1;
	for (;;) {
		char *end, *crlf = p != NULL ? memmem(p + pos, avail - pos, "\r\n", 2) : NULL;
		unsigned long sz;

		if (crlf == NULL)
			break;
		sz = strtoul(p + pos, &end, 16);
		if (end == p + pos || (*end != '\r' && *end != ';'))
			goto bad;
		pos = (size_t)(crlf - p) + 2;
		if (sz == 0) {
			char *fin = memmem(p + pos - 2, avail - pos + 2, "\r\n\r\n", 4);

			if (fin == NULL)
				break;
			evbuffer_drain(in, (size_t)(fin - p) + 4);
			r->body = body;
			r->body_len = blen;
			body[blen] = '\0';
			return 1;
		}
		if (sz > BODY_MAX || blen + sz > BODY_MAX)
			goto bad;
		if (avail - pos < sz + 2)
			break;
		memcpy(body + blen, p + pos, sz);
		blen += sz;
		pos += sz + 2;
	}
	free(body);
	return 0;
bad:
	free(body);
	return -1;
}

/* Move the body of the request in progress out of the input, if complete. */
static int
read_body(struct conn *c)
{
	struct ksim_req *r = c->req;
	struct evbuffer *in = bufferevent_get_input(c->bev);

	if (r->chunked)
		return read_chunked(r, in);
	if (evbuffer_get_length(in) < r->want)
		return 0;
	if ((r->body = malloc(r->want + 1)) == NULL)
		return -1;
	evbuffer_remove(in, r->body, r->want);
	r->body[r->want] = '\0';
	r->body_len = r->want;
	return 1;
}

/* Start a request from the head waiting in the input, if complete. */
static int
read_head(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_ptr p = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	struct ksim_req *r;
	char *head;
	int code;

	if (p.pos < 0) {
		if (evbuffer_get_length(in) > HEAD_MAX)
			conn_reject(c, 431, "request head too large");
		return 0;
	}
	if ((size_t)p.pos > HEAD_MAX) {
		conn_reject(c, 431, "request head too large");
		return 0;
	}
	r = calloc(1, sizeof(*r));
	head = malloc((size_t)p.pos + 1);
	if (r == NULL || head == NULL) {
		free(r);
		free(head);
		conn_reject(c, 500, "out of memory");
		return 0;
	}
	evbuffer_remove(in, head, (size_t)p.pos);
	evbuffer_drain(in, 4);
	head[p.pos] = '\0';
	r->conn = c;
	r->state = REQ_BODY;
	code = parse_head(r, head);
	free(head);
	if (code != 0) {
		if (code == 413 && r->want == 0) {
			const char *cl = ksim_req_header(r, "Content-Length");
			unsigned long long v = cl != NULL ? strtoull(cl, NULL, 10) : 0;

			c->discard = v <= DISCARD_MAX ? (size_t)v : 0;
		}
		req_free(r);
		conn_reject(c, code, code == 413 ? "request body too large" : "malformed request");
		return 0;
	}
	c->req = r;
	if (r->want > 0 && !r->chunked && evbuffer_get_length(in) < r->want) {
		const char *expect = ksim_req_header(r, "Expect");

		if (expect != NULL && strcasecmp(expect, "100-continue") == 0)
			evbuffer_add_printf(bufferevent_get_output(c->bev), "HTTP/1.1 100 Continue\r\n\r\n");
	}
	return 1;
}

static void
conn_parse(struct conn *c)
{
	while (!c->closing) {
		int rc;

		if (c->req == NULL && read_head(c) == 0)
			return;
		if (c->req == NULL || c->req->state != REQ_BODY)
			return;
		rc = read_body(c);
		if (rc == 0)
			return;
		if (rc < 0) {
			struct ksim_req *r = c->req;

			c->req = NULL;
			req_free(r);
			conn_reject(c, 413, "request body too large or malformed");
			return;
		}
		c->req->state = REQ_ACTIVE;
		c->http->hooks.handle(c->req, c->http->hooks.arg);
		return;		/* the next request waits for this one (resume event) */
	}
}

static void
on_resume(evutil_socket_t fd, short what, void *arg)
{
	conn_parse(arg);
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->discard > 0) {
		swallow(c);
		if (c->discard == 0 && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			conn_free(c);
		return;
	}
	if (c->req == NULL || c->req->state == REQ_BODY)
		conn_parse(c);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->closing) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0 && c->discard == 0)
			conn_free(c);
		return;
	}
	if (c->req != NULL && c->req->streaming && c->req->drained != NULL)
		c->req->drained(c->req, c->req->drained_arg);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_free(arg);
}

static void
on_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct ksim_http *h = arg;
	struct conn *c = calloc(1, sizeof(*c));
	int one = 1;

	if (c == NULL) {
		close(fd);
		return;
	}
	/* Like Go's servers: no Nagle delay on the last segment of a response. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->http = h;
	if (h->ssl != NULL) {
		SSL *ssl = SSL_new(h->ssl);

		c->bev = ssl == NULL ? NULL : bufferevent_openssl_socket_new(h->base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		if (c->bev != NULL)
			bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
		else if (ssl != NULL)
			SSL_free(ssl);
	} else {
		c->bev = bufferevent_socket_new(h->base, fd, BEV_OPT_CLOSE_ON_FREE);
	}
	c->resume = event_new(h->base, -1, 0, on_resume, c);
	if (c->bev == NULL || c->resume == NULL) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else
			close(fd);
		if (c->resume != NULL)
			event_free(c->resume);
		free(c);
		return;
	}
	c->next = h->conns;
	if (h->conns != NULL)
		h->conns->prev = c;
	h->conns = c;
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void
on_accept_error(struct evconnlistener *lis, void *arg)
{
	log_warn("accept", "msg=%s", "accept failed; continuing");
}

struct ksim_http *
ksim_http_new(struct event_base *base, int fd, SSL_CTX *ssl, const struct ksim_http_hooks *hooks,
    char *err, size_t errlen)
{
	struct ksim_http *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return NULL;
	}
	h->base = base;
	h->ssl = ssl;
	h->hooks = *hooks;
	h->lis = evconnlistener_new(base, on_accept, h, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	    -1, fd);
	if (h->lis == NULL) {
		snprintf(err, errlen, "evconnlistener_new: %s", strerror(errno));
		close(fd);
		free(h);
		return NULL;
	}
	evconnlistener_set_error_cb(h->lis, on_accept_error);
	return h;
}

void
ksim_http_free(struct ksim_http *h)
{
	if (h == NULL)
		return;
	while (h->conns != NULL)
		conn_free(h->conns);
	evconnlistener_free(h->lis);
	free(h);
}
