/*
 * rds — synchronous Redis connection with timeouts and reconnect (rds.h).
 *
 * A failed command drops the connection: after a timeout we cannot know
 * where in the reply stream we are, so reusing the socket could pair the next
 * command with a stale reply.  Reconnects are lazy (on the next command) and
 * spaced by a capped backoff so a dead Redis costs one cheap check per call.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/rds.h"

void
rds_params_from_cfg(struct rds_params *p, const struct cfg *cfg)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->host, sizeof(p->host), "%s", cfg->redis.host);
	p->port = cfg->redis.port;
	snprintf(p->password, sizeof(p->password), "%s", cfg->redis.password);
	p->db = cfg->redis.db;
	snprintf(p->prefix, sizeof(p->prefix), "%s", cfg->redis.prefix);
	p->connect_timeout_ms = cfg->redis.connect_timeout_ms;
	p->command_timeout_ms = cfg->redis.command_timeout_ms;
	p->reconnect_max_ms = cfg->redis.reconnect_max_ms;
}

char *
rds_key(const struct rds_params *p, char *out, size_t n, const char *fmt, ...)
{
	size_t pl = strlen(p->prefix);
	va_list ap;

	snprintf(out, n, "%s", p->prefix);
	if (pl < n) {
		va_start(ap, fmt);
		vsnprintf(out + pl, n - pl, fmt, ap);
		va_end(ap);
	}
	return out;
}

static struct timeval
tv_ms(int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	return tv;
}

static void rds_drop(struct rds *r, int backoff, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Forget the connection, recording why; BACKOFF delays the next attempt. */
static void
rds_drop(struct rds *r, int backoff, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	if (r->c != NULL)
		redisFree(r->c);
	r->c = NULL;
	r->retry_at_ms = backoff ? clk_mono_ms() + bo_next(&r->bo) : 0;
}

/* AUTH and SELECT on a fresh connection; 0 or -1 (reason in r->err). */
static int
rds_handshake(struct rds *r)
{
	redisReply *rep;
	char db[16];

	if (r->p.password[0] != '\0') {
		rep = redisCommand(r->c, "AUTH %s", r->p.password);
		if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
			snprintf(r->err, sizeof(r->err), "AUTH: %s",
			    rep != NULL ? rep->str : r->c->errstr);
			freeReplyObject(rep);
			return -1;
		}
		freeReplyObject(rep);
	}
	if (r->p.db != 0) {
		snprintf(db, sizeof(db), "%d", r->p.db);
		rep = redisCommand(r->c, "SELECT %s", db);
		if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
			snprintf(r->err, sizeof(r->err), "SELECT: %s",
			    rep != NULL ? rep->str : r->c->errstr);
			freeReplyObject(rep);
			return -1;
		}
		freeReplyObject(rep);
	}
	return 0;
}

int
rds_ensure(struct rds *r)
{
	char why[sizeof(r->err)];

	if (r->c != NULL)
		return 0;
	if (clk_mono_ms() < r->retry_at_ms)
		return -1;
	r->c = redisConnectWithTimeout(r->p.host, r->p.port, tv_ms(r->p.connect_timeout_ms));
	if (r->c == NULL || r->c->err) {
		rds_drop(r, 1, "connect %s:%d: %s", r->p.host, r->p.port,
		    r->c != NULL ? r->c->errstr : "out of memory");
		return -1;
	}
	redisSetTimeout(r->c, tv_ms(r->p.command_timeout_ms));
	redisEnableKeepAlive(r->c);
	if (rds_handshake(r) != 0) {
		memcpy(why, r->err, sizeof(why));
		rds_drop(r, 1, "%s", why);
		return -1;
	}
	bo_reset(&r->bo);
	r->err[0] = '\0';
	return 0;
}

void
rds_open(struct rds *r, const struct rds_params *p)
{
	memset(r, 0, sizeof(*r));
	r->p = *p;
	bo_init(&r->bo, 50, p->reconnect_max_ms, 0.5);
	(void)rds_ensure(r);
}

void
rds_close(struct rds *r)
{
	if (r->c != NULL)
		redisFree(r->c);
	r->c = NULL;
}

static redisReply *
rds_checked(struct rds *r, redisReply *rep)
{
	if (rep == NULL)
		rds_drop(r, 0, "command: %s", r->c->errstr[0] != '\0' ? r->c->errstr : "no reply");
	return rep;
}

redisReply *
rds_command(struct rds *r, const char *fmt, ...)
{
	redisReply *rep;
	va_list ap;

	if (rds_ensure(r) != 0)
		return NULL;
	va_start(ap, fmt);
	rep = redisvCommand(r->c, fmt, ap);
	va_end(ap);
	return rds_checked(r, rep);
}

redisReply *
rds_commandargv(struct rds *r, int argc, const char **argv, const size_t *lens)
{
	if (rds_ensure(r) != 0)
		return NULL;
	return rds_checked(r, redisCommandArgv(r->c, argc, argv, lens));
}
