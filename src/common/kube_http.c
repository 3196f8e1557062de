/*
 * kube_http — libcurl's multi interface driven by the process's libevent
 * base: curl tells us which sockets to watch and when its next timeout is
 * due, libevent tells curl when a socket is ready or the timer fired.  No
 * thread and no polling; one multi handle keeps every connection of the
 * process, so keep-alive connections are reused per host and TLS sessions
 * are shared through a CURLSH.
 *
 * HTTP/1.1 only, on purpose.  With HTTP/2 every request and watch of one
 * provider would multiplex on one connection: fewer sockets and TLS
 * handshakes, but one stalled TCP connection would stall every request of
 * the provider at once (so h2 needs ping-based dead-connection detection,
 * as client-go's ReadIdleTimeout), the server's per-connection stream limit
 * would cap the number of watches, and the per-provider in-flight cap and
 * timeouts would have to be per stream rather than per connection.  Turning
 * it on is CURL_HTTP_VERSION_2TLS plus CURLMOPT_PIPELINING=CURLPIPE_MULTIPLEX
 * and those checks; dbaasd-kubesim speaks only HTTP/1.1, so that path could
 * not be tested here and is left off.
 *
 * Rule of the file: no handle is added or removed from inside a libcurl
 * callback (libcurl refuses it); completions are read after
 * curl_multi_socket_action() has returned.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>

#include "common/kube_int.h"

struct ksock {
	struct event *ev;
	struct kube *k;
};

static void
check_multi(struct kube *k)
{
	CURLMsg *msg;
	int left;
	struct kxfer *x;

	while ((msg = curl_multi_info_read(k->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		x = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		CURLcode rc = msg->data.result;
		curl_multi_remove_handle(k->multi, msg->easy_handle);
		if (x == NULL)
			continue;
		x->attached = 0;
		x->on_done(x, rc);
	}
}

static void
on_socket(evutil_socket_t fd, short what, void *arg)
{
	struct kube *k = arg;
	int running, flags = 0;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(k->multi, fd, flags, &running);
	check_multi(k);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct kube *k = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(k->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_multi(k);
}

static int
sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct kube *k = userp;
	struct ksock *ks = socketp;
	short ev = EV_PERSIST;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (ks != NULL) {
			event_free(ks->ev);
			free(ks);
			curl_multi_assign(k->multi, s, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= EV_READ;
	if (what & CURL_POLL_OUT)
		ev |= EV_WRITE;
	if (ks == NULL) {
		if ((ks = calloc(1, sizeof(*ks))) == NULL)
			return -1;
		ks->k = k;
		curl_multi_assign(k->multi, s, ks);
	} else {
		event_free(ks->ev);
	}
	if ((ks->ev = event_new(k->base, s, ev, on_socket, k)) == NULL ||
	    event_add(ks->ev, NULL) != 0)
		return -1;
	return 0;
}

static int
timer_cb(CURLM *m, long timeout_ms, void *userp)
{
	struct kube *k = userp;
	struct timeval tv;

	(void)m;
	if (timeout_ms < 0) {
		evtimer_del(k->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(k->timer, &tv);
}

int
kube_http_init(struct kube *k, char *err, size_t n)
{
	if ((k->multi = curl_multi_init()) == NULL || (k->share = curl_share_init()) == NULL ||
	    (k->timer = evtimer_new(k->base, on_timer, k)) == NULL) {
		snprintf(err, n, "cannot create the libcurl multi handle");
		return -1;
	}
	curl_share_setopt(k->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(k->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_multi_setopt(k->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(k->multi, CURLMOPT_SOCKETDATA, k);
	curl_multi_setopt(k->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(k->multi, CURLMOPT_TIMERDATA, k);
	/* Idle keep-alive connections kept for reuse beyond the default 4 x handles. */
	curl_multi_setopt(k->multi, CURLMOPT_MAXCONNECTS, 256L);
	return 0;
}

void
kube_http_free(struct kube *k)
{
	while (k->npool > 0)
		curl_easy_cleanup(k->pool[--k->npool]);
	if (k->multi != NULL)
		curl_multi_cleanup(k->multi);
	if (k->share != NULL)
		curl_share_cleanup(k->share);
	if (k->timer != NULL)
		event_free(k->timer);
	k->multi = NULL;
	k->share = NULL;
	k->timer = NULL;
}

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct kxfer *x = userdata;
	long code = 0;

	if (x->http_code == 0) {
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
		x->http_code = (int)code;
	}
	return x->on_data(x, ptr, size * nmemb);
}

static int
header_is(const char *h, size_t len, const char *name, const char **val, size_t *vlen)
{
	size_t nl = strlen(name);

	if (len <= nl || strncasecmp(h, name, nl) != 0 || h[nl] != ':')
		return 0;
	h += nl + 1;
	len -= nl + 1;
	while (len > 0 && (*h == ' ' || *h == '\t'))
		h++, len--;
	while (len > 0 && (h[len - 1] == '\r' || h[len - 1] == '\n' || h[len - 1] == ' '))
		len--;
	*val = h;
	*vlen = len;
	return 1;
}

static size_t
header_cb(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct kxfer *x = userdata;
	size_t len = size * nitems, vlen;
	const char *v;
	char tmp[128];

	if ((len == 2 && buf[0] == '\r') || (len == 1 && buf[0] == '\n')) {
		long code = 0;

		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
		if (code >= 200) {
			x->http_code = (int)code;
			if (x->on_head != NULL)
				x->on_head(x);
		}
	} else if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
		/* A new status line (after a 100 Continue): forget the previous. */
		x->text_plain = 0;
		x->retry_after_ms = -1;
	} else if (header_is(buf, len, "Content-Type", &v, &vlen)) {
		x->text_plain = vlen >= 10 && strncasecmp(v, "text/plain", 10) == 0;
	} else if (header_is(buf, len, "Retry-After", &v, &vlen) && vlen < sizeof(tmp)) {
		memcpy(tmp, v, vlen);
		tmp[vlen] = '\0';
		if (kube_retry_after_parse(tmp, (int64_t)time(NULL), &x->retry_after_ms) != 0)
			x->retry_after_ms = -1;
	}
	return len;
}

static void
set_tls(CURL *e, const struct kprov *p)
{
	if (p->ca.data != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &p->ca);
	if (p->cert.data != NULL && p->key.data != NULL) {
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &p->cert);
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
		curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &p->key);
	}
	if (p->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

static int
set_headers(struct kxfer *x, const struct kprov *p, const char *ctype)
{
	char h[128];
	struct curl_slist *l = NULL, *t;

	l = curl_slist_append(l, "Accept: application/json");
	/* A body goes at once: no 100-continue round trip. */
	if (l != NULL && (t = curl_slist_append(l, "Expect:")) != NULL)
		l = t;
	if (l != NULL && ctype != NULL) {
		snprintf(h, sizeof(h), "Content-Type: %s", ctype);
		if ((t = curl_slist_append(l, h)) == NULL)
			goto fail;
		l = t;
	}
	if (l != NULL && p->auth != NULL) {
		if ((t = curl_slist_append(l, p->auth)) == NULL)
			goto fail;
		l = t;
	}
	if (l == NULL)
		return -1;
	x->hdrs = l;
	return 0;
fail:
	curl_slist_free_all(l);
	return -1;
}

static void
set_method(CURL *e, const char *method, const char *body, size_t body_len)
{
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
		return;
	}
	if (strcmp(method, "POST") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
	}
}

int
kube_xfer_start(struct kube *k, struct kprov *p, struct kxfer *x, const char *method,
    const char *url, const char *body, size_t body_len, const char *ctype, int timeout_ms,
    char *err, size_t n)
{
	CURL *e;

	x->http_code = 0;
	x->text_plain = 0;
	x->retry_after_ms = -1;
	/* A pooled handle saves its allocations; reset forgets every option. */
	if (k->npool > 0) {
		e = k->pool[--k->npool];
		curl_easy_reset(e);
	} else {
		e = curl_easy_init();
	}
	x->easy = e;
	if (e == NULL || set_headers(x, p, ctype) != 0) {
		snprintf(err, n, "out of memory");
		goto fail;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_SHARE, k->share);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)k->d.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 30L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 10L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "dbaasd/" PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	set_tls(e, p);
	set_method(e, method, body, body_len);
	if (curl_multi_add_handle(k->multi, e) != CURLM_OK) {
		snprintf(err, n, "cannot add a transfer to the multi handle");
		goto fail;
	}
	x->attached = 1;
	return 0;
fail:
	kube_xfer_stop(k, x);
	return -1;
}

void
kube_xfer_stop(struct kube *k, struct kxfer *x)
{
	if (x->easy != NULL) {
		if (x->attached)
			curl_multi_remove_handle(k->multi, x->easy);
		if (k->npool < KUBE_EASY_POOL)
			k->pool[k->npool++] = x->easy;
		else
			curl_easy_cleanup(x->easy);
	}
	curl_slist_free_all(x->hdrs);
	x->easy = NULL;
	x->hdrs = NULL;
	x->attached = 0;
}

int
kube_xfer_sent(struct kxfer *x)
{
	curl_off_t t = 0;

	if (x->easy == NULL)
		return 1;
	/* Pre-transfer is reached once connected (and TLS done): from then on
	 * the server may have seen the request. */
	curl_easy_getinfo(x->easy, CURLINFO_PRETRANSFER_TIME_T, &t);
	return t > 0;
}

enum kube_err
kube_curl_class(CURLcode rc, int *permanent)
{
	*permanent = 0;
	switch (rc) {
	case CURLE_OK:
		return KUBE_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return KUBE_ERR_TIMEOUT;
	case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM: case CURLE_UNSUPPORTED_PROTOCOL: case CURLE_URL_MALFORMAT:
	case CURLE_SSL_CIPHER: case CURLE_SSL_ENGINE_NOTFOUND: case CURLE_SSL_ENGINE_SETFAILED:
		*permanent = 1;
		return KUBE_ERR_TRANSPORT;
	default:
		return KUBE_ERR_TRANSPORT;
	}
}
