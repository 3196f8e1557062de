/* lease — see lease.h. */
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "reconciler/lease.h"

static const char renew_lua[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";
static const char release_lua[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) else return 0 end";

static void
set_leader(struct rec_lease *l, int leader, const char *why)
{
	if (l->leader == leader)
		return;
	l->leader = leader;
	if (leader)
		log_info("leadership_acquired", "fence=%lld", (long long)l->fence);
	else
		log_warnx("leadership_lost", "reason=%s", why);
	if (l->on_change != NULL)
		l->on_change(l, leader, l->arg);
}

static void
on_fence(struct rds_async *ra, redisReply *reply, void *arg)
{
	struct rec_lease *l = arg;

	(void)ra;
	l->busy = 0;
	if (reply == NULL || reply->type != REDIS_REPLY_INTEGER)
		return;	/* we hold the lease but have no fence yet: retry on the next tick */
	l->fence = reply->integer;
	l->renewed_ms = clk_mono_ms();
	set_leader(l, 1, "");
}

static void
on_acquire(struct rds_async *ra, redisReply *reply, void *arg)
{
	struct rec_lease *l = arg;

	l->busy = 0;
	if (reply == NULL || reply->type != REDIS_REPLY_STATUS)
		return;	/* nil: someone else leads; stay standby */
	if (rds_async_command(ra, 0, on_fence, l, "INCR %s", l->fence_key) == 0)
		l->busy = 1;
}

static void
on_renew(struct rds_async *ra, redisReply *reply, void *arg)
{
	struct rec_lease *l = arg;

	(void)ra;
	l->busy = 0;
	if (reply == NULL)
		return;	/* unknown: the deadline check decides */
	if (reply->type == REDIS_REPLY_INTEGER && reply->integer == 1)
		l->renewed_ms = clk_mono_ms();
	else
		set_leader(l, 0, "lease taken over or expired");
}

#define EARLY_RETRY_MS 100

static void
rearm(struct rec_lease *l, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	event_add(l->ev, &tv);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct rec_lease *l = arg;
	char ttl[16];

	(void)fd;
	(void)what;
	if (l->leader && clk_mono_ms() - l->renewed_ms > (int64_t)l->ttl_ms * 2 / 3)
		set_leader(l, 0, "could not renew within the deadline");
	if (l->released)
		return;
	/* Until Redis answers, try again soon: a fresh reconciler should lead at once. */
	rearm(l, l->redis->connected ? l->renew_ms : EARLY_RETRY_MS);
	if (l->busy || !l->redis->connected)
		return;
	snprintf(ttl, sizeof(ttl), "%d", l->ttl_ms);
	if (l->leader) {
		if (rds_async_command(l->redis, 0, on_renew, l, "EVAL %s 1 %s %s %s", renew_lua,
		    l->key, l->token, ttl) == 0)
			l->busy = 1;
	} else {
		if (rds_async_command(l->redis, 0, on_acquire, l, "SET %s %s NX PX %s", l->key,
		    l->token, ttl) == 0)
			l->busy = 1;
	}
}

int
rec_lease_start(struct rec_lease *l, struct event_base *base, struct rds_async *redis,
    const char *prefix_key, const char *token, int ttl_ms, int renew_ms,
    rec_lease_cb *on_change, void *arg)
{
	memset(l, 0, sizeof(*l));
	l->redis = redis;
	snprintf(l->key, sizeof(l->key), "%s", prefix_key);
	snprintf(l->fence_key, sizeof(l->fence_key), "%s:fence", prefix_key);
	snprintf(l->token, sizeof(l->token), "%s", token);
	l->ttl_ms = ttl_ms;
	l->renew_ms = renew_ms;
	l->on_change = on_change;
	l->arg = arg;
	l->ev = evtimer_new(base, on_tick, l);
	if (l->ev == NULL)
		return -1;
	rearm(l, EARLY_RETRY_MS);
	return 0;
}

static void
on_release(struct rds_async *ra, redisReply *reply, void *arg)
{
	struct rec_lease *l = arg;

	(void)ra;
	(void)reply;
	if (l->release_done != NULL)
		l->release_done(l->release_arg);
}

void
rec_lease_release(struct rec_lease *l, void (*done)(void *arg), void *arg)
{
	int held = l->leader;

	l->released = 1;
	l->leader = 0;
	l->release_done = done;
	l->release_arg = arg;
	if (held && l->on_change != NULL)
		l->on_change(l, 0, l->arg);
	if (!held || rds_async_command(l->redis, 0, on_release, l, "EVAL %s 1 %s %s",
	    release_lua, l->key, l->token) != 0) {
		if (done != NULL)
			done(arg);
		return;
	}
	log_info("leadership_released", "fence=%lld", (long long)l->fence);
}

void
rec_lease_stop(struct rec_lease *l)
{
	if (l->ev != NULL)
		event_free(l->ev);
	l->ev = NULL;
}
