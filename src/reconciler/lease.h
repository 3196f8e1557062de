/*
 * lease — the reconciler's leader lease on Redis.
 *
 * Acquire with SET key token NX PX ttl, renew and release with Lua scripts
 * that check the token first (never extend or delete someone else's lease),
 * and take a fencing number (INCR) on every acquisition so writes guarded by
 * it can be ordered.  A holder that has not renewed within two thirds of the
 * TTL stops acting at once, before anyone else can acquire.  The lease only
 * avoids wasted work: correctness never depends on it (design.md §1).
 */
#ifndef DBAAS_LEASE_H
#define DBAAS_LEASE_H

#include <stdint.h>

#include <event2/event.h>

#include "common/rds.h"

struct rec_lease;
typedef void rec_lease_cb(struct rec_lease *l, int leader, void *arg);

struct rec_lease {
	struct rds_async *redis;
	char key[160], fence_key[160];
	char token[400];
	int ttl_ms, renew_ms;
	int leader;
	int64_t fence;
	int64_t renewed_ms;		/* monotonic time of the last confirmed hold */
	int busy;			/* a command is outstanding */
	struct event *ev;
	rec_lease_cb *on_change;
	void *arg;
	int released;
	void (*release_done)(void *arg);
	void *release_arg;
};

int rec_lease_start(struct rec_lease *l, struct event_base *base, struct rds_async *redis,
    const char *prefix_key, const char *token, int ttl_ms, int renew_ms,
    rec_lease_cb *on_change, void *arg);
/* Give the lease up (if held); CB(l, 0, arg) follows.  DONE runs when Redis answered. */
void rec_lease_release(struct rec_lease *l, void (*done)(void *arg), void *arg);
void rec_lease_stop(struct rec_lease *l);

#endif
