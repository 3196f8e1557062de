/*
 * rds — Redis connections (hiredis 0.14, as packaged by Debian 12).
 *
 * Two flavours, both reconnecting by themselves with capped exponential
 * backoff, both opened after fork():
 *   - struct rds: synchronous, with connect and command timeouts, for short
 *     request/response work (the API, admin tools, tests).
 *   - struct rds_async: attached to a libevent base, for roles that must
 *     never block (blocking stream reads, leases).  hiredis 0.14 has no
 *     command timeouts and no connect timeout for async contexts, so both are
 *     implemented here with timers: a command outstanding past its deadline
 *     means the connection is dead, and it is torn down and reconnected.
 * Keys are always built with the configured prefix (rds_key).
 */
#ifndef DBAAS_RDS_H
#define DBAAS_RDS_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "common/backoff.h"
#include "common/config.h"

struct rds_params {
	char host[256];
	int port;
	char password[513];
	int db;
	char prefix[65];
	int connect_timeout_ms;
	int command_timeout_ms;
	int reconnect_max_ms;
};

void rds_params_from_cfg(struct rds_params *p, const struct cfg *cfg);
/* PREFIX + formatted suffix into OUT; returns OUT. */
char *rds_key(const struct rds_params *p, char *out, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- synchronous ---- */

struct rds {
	struct rds_params p;
	redisContext *c;		/* NULL while disconnected */
	struct backoff bo;
	int64_t retry_at_ms;		/* no reconnect attempt before this */
	char err[256];			/* last connection or command error */
};

/* Prepare and try to connect once; a failure is not fatal (see rds_command). */
void rds_open(struct rds *r, const struct rds_params *p);
void rds_close(struct rds *r);
/* Connect now if disconnected (honouring the backoff).  0 = connected. */
int rds_ensure(struct rds *r);
/*
 * Run one command (printf-style, as redisCommand).  Returns the reply (free
 * with freeReplyObject) or NULL on a connection failure or timeout; the
 * connection is then dropped and re-established by a later call.  An error
 * reply (REDIS_REPLY_ERROR) is returned as a reply.
 */
redisReply *rds_command(struct rds *r, const char *fmt, ...);
redisReply *rds_commandargv(struct rds *r, int argc, const char **argv, const size_t *lens);

/* ---- asynchronous ---- */

struct rds_async;
typedef void rds_async_cb(struct rds_async *ra, redisReply *reply, void *arg);
typedef void rds_state_cb(struct rds_async *ra, int connected, void *arg);

struct rds_pending;

struct rds_async {
	struct rds_params p;
	struct event_base *base;
	redisAsyncContext *ac;		/* NULL while disconnected */
	int connected;			/* handshake (AUTH/SELECT) done */
	int stopping;
	struct backoff bo;
	struct event *timer;		/* connect timeout, reconnect, deadlines */
	int64_t connect_deadline_ms;	/* while connecting */
	int64_t reconnect_at_ms;	/* while disconnected: next attempt */
	struct rds_pending *head, *tail;	/* commands in flight, in order */
	rds_state_cb *on_state;
	void *arg;
	char err[256];
};

/*
 * Start connecting on BASE; ON_STATE(ra, 1/0, arg) is called whenever the
 * connection becomes usable or is lost.  Returns 0 or -1 (out of memory).
 */
int rds_async_start(struct rds_async *ra, struct event_base *base,
    const struct rds_params *p, rds_state_cb *on_state, void *arg);
/*
 * Send a command; CB(ra, reply, arg) runs with the reply, or with NULL if the
 * connection fails or the reply does not arrive within TIMEOUT_MS (0 = the
 * configured command timeout).  The reply is valid only inside CB.
 * Returns 0, or -1 when not connected (CB is not called).
 */
int rds_async_command(struct rds_async *ra, int timeout_ms, rds_async_cb *cb, void *arg,
    const char *fmt, ...);
int rds_async_commandargv(struct rds_async *ra, int timeout_ms, rds_async_cb *cb, void *arg,
    int argc, const char **argv, const size_t *lens);
/* Disconnect for good; pending callbacks run with NULL. */
void rds_async_stop(struct rds_async *ra);

#endif
