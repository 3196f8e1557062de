/*
 * rds_async — a self-healing hiredis async connection on libevent (rds.h).
 *
 * hiredis 0.14 rules this file is built around: a failed connect calls the
 * connect callback and then frees the context; the disconnect callback runs
 * only for an established connection; freeing a context runs every pending
 * reply callback with NULL; and nothing may reconnect from inside a hiredis
 * callback.  So all state changes that start work (reconnects) happen from
 * one timer tick, and callbacks only record what happened.
 *
 * The tick also enforces deadlines hiredis 0.14 lacks: the connect timeout,
 * and per-command timeouts checked on the oldest command in flight (replies
 * arrive in order, so if the oldest is late the connection is stuck).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/adapters/libevent.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/rds.h"

#define TICK_MS 100

struct rds_pending {
	struct rds_pending *next;
	struct rds_async *ra;
	rds_async_cb *cb;
	void *arg;
	int64_t deadline_ms;
};

static void ra_schedule_reconnect(struct rds_async *ra);
static void ra_set_err(struct rds_async *ra, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
ra_set_err(struct rds_async *ra, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ra->err, sizeof(ra->err), fmt, ap);
	va_end(ap);
}

static void
ra_unlink(struct rds_async *ra, struct rds_pending *pd)
{
	struct rds_pending **pp = &ra->head, *prev = NULL;

	for (; *pp != NULL; prev = *pp, pp = &(*pp)->next) {
		if (*pp == pd) {
			*pp = pd->next;
			if (ra->tail == pd)
				ra->tail = prev;
			return;
		}
	}
}

static void
ra_reply(redisAsyncContext *ac, void *r, void *privdata)
{
	struct rds_pending *pd = privdata;
	struct rds_async *ra = pd->ra;

	(void)ac;
	ra_unlink(ra, pd);
	if (pd->cb != NULL)
		pd->cb(ra, r, pd->arg);
	free(pd);
}

static struct rds_pending *
ra_pending_new(struct rds_async *ra, int timeout_ms, rds_async_cb *cb, void *arg)
{
	struct rds_pending *pd = calloc(1, sizeof(*pd));

	if (pd == NULL)
		return NULL;
	pd->ra = ra;
	pd->cb = cb;
	pd->arg = arg;
	pd->deadline_ms = clk_mono_ms() + (timeout_ms > 0 ? timeout_ms : ra->p.command_timeout_ms);
	return pd;
}

static void
ra_pending_push(struct rds_async *ra, struct rds_pending *pd)
{
	if (ra->tail != NULL)
		ra->tail->next = pd;
	else
		ra->head = pd;
	ra->tail = pd;
}

/* Tear the connection down (our decision); pending callbacks get NULL. */
static void
ra_teardown(struct rds_async *ra, const char *why)
{
	redisAsyncContext *ac = ra->ac;
	int was = ra->connected;

	if (ac == NULL)
		return;
	ra_set_err(ra, "%s", why);
	ra->ac = NULL;
	ra->connected = 0;
	ac->data = NULL;
	redisAsyncFree(ac);
	if (!ra->stopping) {
		ra_schedule_reconnect(ra);
		if (was && ra->on_state != NULL)
			ra->on_state(ra, 0, ra->arg);
	}
}

/* AUTH or SELECT answered: an error reply ends this connection attempt. */
static void
ra_handshake_step(struct rds_async *ra, redisReply *reply, void *arg)
{
	char why[300];

	(void)arg;
	if (reply == NULL || reply->type != REDIS_REPLY_ERROR)
		return;
	snprintf(why, sizeof(why), "handshake: %s", reply->str);
	log_warnx("redis_handshake_failed", "host=%s port=%d reply=%s", ra->p.host,
	    ra->p.port, reply->str);
	ra_teardown(ra, why);
}

/* PING answered: replies come in order, so the whole handshake went through. */
static void
ra_handshake_done(struct rds_async *ra, redisReply *reply, void *arg)
{
	(void)arg;
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR || ra->ac == NULL)
		return;
	ra->connected = 1;
	bo_reset(&ra->bo);
	ra->err[0] = '\0';
	if (ra->on_state != NULL)
		ra->on_state(ra, 1, ra->arg);
}

static int ra_send(struct rds_async *ra, struct rds_pending *pd, int argc,
    const char **argv, const size_t *lens);

static void
ra_send_step(struct rds_async *ra, rds_async_cb *cb, const char *cmd, const char *arg1)
{
	const char *argv[2] = { cmd, arg1 };
	struct rds_pending *pd = ra_pending_new(ra, 0, cb, NULL);

	if (pd != NULL)
		ra_send(ra, pd, arg1 != NULL ? 2 : 1, argv, NULL);
}

static void
ra_send_handshake(struct rds_async *ra)
{
	char db[16];

	if (ra->p.password[0] != '\0')
		ra_send_step(ra, ra_handshake_step, "AUTH", ra->p.password);
	if (ra->p.db != 0) {
		snprintf(db, sizeof(db), "%d", ra->p.db);
		ra_send_step(ra, ra_handshake_step, "SELECT", db);
	}
	ra_send_step(ra, ra_handshake_done, "PING", NULL);
}

static void
ra_on_connect(const redisAsyncContext *ac, int status)
{
	struct rds_async *ra = ac->data;

	if (ra == NULL)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees the context after this callback returns. */
		ra_set_err(ra, "connect %s:%d: %s", ra->p.host, ra->p.port,
		    ac->errstr);
		ra->ac = NULL;
		ra_schedule_reconnect(ra);
		return;
	}
	ra_send_handshake(ra);
}

static void
ra_on_disconnect(const redisAsyncContext *ac, int status)
{
	struct rds_async *ra = ac->data;
	int was;

	if (ra == NULL || ra->ac != ac)
		return;	/* our own teardown: already handled */
	was = ra->connected;
	ra_set_err(ra, "disconnected: %s",
	    status == REDIS_OK ? "closed" : ac->errstr);
	ra->ac = NULL;
	ra->connected = 0;
	if (ra->stopping)
		return;
	ra_schedule_reconnect(ra);
	if (was && ra->on_state != NULL)
		ra->on_state(ra, 0, ra->arg);
}

static void
ra_connect(struct rds_async *ra)
{
	redisAsyncContext *ac = redisAsyncConnect(ra->p.host, ra->p.port);

	if (ac == NULL || ac->err) {
		ra_set_err(ra, "connect %s:%d: %s", ra->p.host, ra->p.port,
		    ac != NULL ? ac->errstr : "out of memory");
		if (ac != NULL)
			redisAsyncFree(ac);
		ra_schedule_reconnect(ra);
		return;
	}
	ac->data = ra;
	ra->ac = ac;
	ra->connect_deadline_ms = clk_mono_ms() + ra->p.connect_timeout_ms;
	redisLibeventAttach(ac, ra->base);
	redisAsyncSetConnectCallback(ac, ra_on_connect);
	redisAsyncSetDisconnectCallback(ac, ra_on_disconnect);
}

static void
ra_schedule_reconnect(struct rds_async *ra)
{
	ra->reconnect_at_ms = clk_mono_ms() + bo_next(&ra->bo);
}

static void
ra_tick(evutil_socket_t fd, short what, void *arg)
{
	struct rds_async *ra = arg;
	int64_t now = clk_mono_ms();

	(void)fd;
	(void)what;
	if (ra->stopping)
		return;
	if (ra->ac == NULL) {
		if (now >= ra->reconnect_at_ms)
			ra_connect(ra);
	} else if (!(ra->ac->c.flags & REDIS_CONNECTED)) {
		if (now >= ra->connect_deadline_ms)
			ra_teardown(ra, "connect timeout");
	} else if (ra->head != NULL && now >= ra->head->deadline_ms) {
		ra_teardown(ra, "command timeout");
	}
}

int
rds_async_start(struct rds_async *ra, struct event_base *base,
    const struct rds_params *p, rds_state_cb *on_state, void *arg)
{
	struct timeval tv = { 0, TICK_MS * 1000 };

	memset(ra, 0, sizeof(*ra));
	ra->p = *p;
	ra->base = base;
	ra->on_state = on_state;
	ra->arg = arg;
	bo_init(&ra->bo, 50, p->reconnect_max_ms, 0.5);
	ra->timer = event_new(base, -1, EV_PERSIST, ra_tick, ra);
	if (ra->timer == NULL)
		return -1;
	event_add(ra->timer, &tv);
	ra_connect(ra);
	return 0;
}

static int
ra_send(struct rds_async *ra, struct rds_pending *pd, int argc, const char **argv,
    const size_t *lens)
{
	if (ra->ac == NULL ||
	    redisAsyncCommandArgv(ra->ac, ra_reply, pd, argc, argv, lens) != REDIS_OK) {
		free(pd);
		return -1;
	}
	ra_pending_push(ra, pd);
	return 0;
}

int
rds_async_commandargv(struct rds_async *ra, int timeout_ms, rds_async_cb *cb, void *arg,
    int argc, const char **argv, const size_t *lens)
{
	struct rds_pending *pd;

	if (!ra->connected || ra->ac == NULL)
		return -1;
	pd = ra_pending_new(ra, timeout_ms, cb, arg);
	if (pd == NULL)
		return -1;
	return ra_send(ra, pd, argc, argv, lens);
}

int
rds_async_command(struct rds_async *ra, int timeout_ms, rds_async_cb *cb, void *arg,
    const char *fmt, ...)
{
	struct rds_pending *pd;
	va_list ap;
	int rc;

	if (!ra->connected || ra->ac == NULL)
		return -1;
	pd = ra_pending_new(ra, timeout_ms, cb, arg);
	if (pd == NULL)
		return -1;
	va_start(ap, fmt);
	rc = redisvAsyncCommand(ra->ac, ra_reply, pd, fmt, ap);
	va_end(ap);
	if (rc != REDIS_OK) {
		free(pd);
		return -1;
	}
	ra_pending_push(ra, pd);
	return 0;
}

void
rds_async_stop(struct rds_async *ra)
{
	ra->stopping = 1;
	ra_teardown(ra, "stopped");
	if (ra->timer != NULL)
		event_free(ra->timer);
	ra->timer = NULL;
}
