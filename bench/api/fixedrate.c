/*
 * fixedrate — an open-loop HTTP load generator (the idea of wrk2): requests
 * are issued on a fixed schedule, RATE per second, whatever the server's
 * speed, and each latency is measured from the moment the request was *due*,
 * so a stall is not hidden by the client waiting politely (coordinated
 * omission).  Debian's wrk is closed-loop only, hence this small tool.
 *
 *   fixedrate PORT PATH RATE SECONDS CONNECTIONS BEARER-KEY
 *
 * Prints "sent N ok N errors N rate R p50_ms X p90_ms X p99_ms X p999_ms X max_ms X
 * svc_p50_ms X svc_p99_ms X late_p99_ms X": the first percentiles from the
 * due time, svc_* from the moment the request was actually written, late_*
 * how late the client itself woke up to send (scheduling delay on a busy
 * machine, which the due-time figures include).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "common/clock.h"

struct req_ctx {
	struct bench *b;
	int64_t due_us, sent_us;
	int conn;
};

struct bench {
	struct event_base *base;
	struct evhttp_connection **conns;
	int *inflight;
	int nconns;
	const char *path, *auth;
	double rate;
	int64_t start_us, end_us;
	long sent, ok, errors, done;
	double *lat, *svc, *late;	/* ms */
	long nlat, caplat;
	struct event *tick;
};

static void
on_done(struct evhttp_request *req, void *arg)
{
	struct req_ctx *c = arg;
	struct bench *b = c->b;
	double ms = (double)(clk_mono_us() - c->due_us) / 1000.0;

	b->inflight[c->conn]--;
	b->done++;
	if (req != NULL && evhttp_request_get_response_code(req) >= 200 &&
	    evhttp_request_get_response_code(req) < 300)
		b->ok++;
	else
		b->errors++;
	if (b->nlat < b->caplat) {
		b->svc[b->nlat] = (double)(clk_mono_us() - c->sent_us) / 1000.0;
		b->late[b->nlat] = (double)(c->sent_us - c->due_us) / 1000.0;
		b->lat[b->nlat++] = ms;
	}
	free(c);
	if (clk_mono_us() >= b->end_us && b->done == b->sent)
		event_base_loopexit(b->base, NULL);
}

static void
issue(struct bench *b, int64_t due_us)
{
	struct req_ctx *c = malloc(sizeof(*c));
	struct evhttp_request *r;
	int best = 0;

	if (c == NULL)
		return;
	for (int i = 1; i < b->nconns; i++)
		if (b->inflight[i] < b->inflight[best])
			best = i;
	c->b = b;
	c->due_us = due_us;
	c->sent_us = clk_mono_us();
	c->conn = best;
	r = evhttp_request_new(on_done, c);
	evhttp_add_header(evhttp_request_get_output_headers(r), "Host", "127.0.0.1");
	evhttp_add_header(evhttp_request_get_output_headers(r), "Authorization", b->auth);
	b->inflight[best]++;
	b->sent++;
	if (evhttp_make_request(b->conns[best], r, EVHTTP_REQ_GET, b->path) != 0) {
		b->inflight[best]--;
		b->errors++;
		b->done++;
		free(c);
	}
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct bench *b = arg;
	int64_t now = clk_mono_us();
	long due;

	(void)fd;
	(void)what;
	if (now >= b->end_us) {
		event_del(b->tick);
		if (b->done == b->sent)
			event_base_loopexit(b->base, NULL);
		return;
	}
	/* Request i is due at start + i / rate: issue every one whose time has come. */
	due = (long)((double)(now - b->start_us) * b->rate / 1e6) + 1;
	while (b->sent < due)
		issue(b, b->start_us + (int64_t)((double)b->sent * 1e6 / b->rate));
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(const double *v, long n, double p)
{
	long i = (long)(p * (double)(n - 1));

	return n > 0 ? v[i] : 0;
}

int
main(int argc, char **argv)
{
	struct bench b;
	struct event_config *ecfg;
	struct timeval tv = { 0, 200 };
	char auth[512];
	int secs;

	if (argc != 7) {
		fprintf(stderr, "usage: fixedrate PORT PATH RATE SECONDS CONNECTIONS BEARER-KEY\n");
		return 2;
	}
	memset(&b, 0, sizeof(b));
	b.path = argv[2];
	b.rate = atof(argv[3]);
	secs = atoi(argv[4]);
	b.nconns = atoi(argv[5]);
	snprintf(auth, sizeof(auth), "Bearer %s", argv[6]);
	b.auth = auth;
	if (b.rate <= 0 || secs < 1 || b.nconns < 1)
		return 2;
	/* libevent's default clock is CLOCK_MONOTONIC_COARSE (a tick of several ms):
	 * far too coarse to pace requests. */
	ecfg = event_config_new();
	if (ecfg == NULL)
		return 1;
	event_config_set_flag(ecfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	b.base = event_base_new_with_config(ecfg);
	event_config_free(ecfg);
	b.conns = calloc((size_t)b.nconns, sizeof(*b.conns));
	b.inflight = calloc((size_t)b.nconns, sizeof(int));
	b.caplat = (long)(b.rate * secs) + 16;
	b.lat = malloc((size_t)b.caplat * sizeof(double));
	b.svc = malloc((size_t)b.caplat * sizeof(double));
	b.late = malloc((size_t)b.caplat * sizeof(double));
	if (b.base == NULL || b.conns == NULL || b.inflight == NULL || b.lat == NULL ||
	    b.svc == NULL || b.late == NULL)
		return 1;
	for (int i = 0; i < b.nconns; i++)
		b.conns[i] = evhttp_connection_base_new(b.base, NULL, "127.0.0.1",
		    (unsigned short)atoi(argv[1]));
	b.tick = event_new(b.base, -1, EV_PERSIST, on_tick, &b);
	b.start_us = clk_mono_us();
	b.end_us = b.start_us + (int64_t)secs * 1000000;
	event_add(b.tick, &tv);
	event_base_dispatch(b.base);
	if (b.nlat > 0) {
		qsort(b.lat, (size_t)b.nlat, sizeof(double), cmp);
		qsort(b.svc, (size_t)b.nlat, sizeof(double), cmp);
		qsort(b.late, (size_t)b.nlat, sizeof(double), cmp);
	}
	printf("sent %ld ok %ld errors %ld rate %.0f p50_ms %.3f p90_ms %.3f p99_ms %.3f "
	    "p999_ms %.3f max_ms %.3f svc_p50_ms %.3f svc_p99_ms %.3f late_p99_ms %.3f\n",
	    b.sent, b.ok, b.errors, (double)b.done / secs, pct(b.lat, b.nlat, 0.5),
	    pct(b.lat, b.nlat, 0.9), pct(b.lat, b.nlat, 0.99), pct(b.lat, b.nlat, 0.999),
	    pct(b.lat, b.nlat, 1.0), pct(b.svc, b.nlat, 0.5), pct(b.svc, b.nlat, 0.99),
	    pct(b.late, b.nlat, 0.99));
	for (int i = 0; i < b.nconns; i++)
		evhttp_connection_free(b.conns[i]);
	event_free(b.tick);
	event_base_free(b.base);
	free(b.conns);
	free(b.inflight);
	free(b.lat);
	free(b.svc);
	free(b.late);
	return b.errors > 0;
}
