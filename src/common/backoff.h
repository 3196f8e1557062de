/*
 * backoff — exponential backoff with jitter.
 *
 * The n-th delay (n counted from 0) is base = min(cap, initial * 2^n), then
 * reduced by a random fraction of at most `jitter` (0 = deterministic,
 * 0.5 = "equal jitter", 1 = "full jitter").  It never exceeds `cap` and never
 * falls below base * (1 - jitter), so retries spread out without a herd and
 * without stalling.  Used by the supervisor's restart policy, the Redis
 * reconnect loop and Kubernetes request retries.
 */
#ifndef DBAAS_BACKOFF_H
#define DBAAS_BACKOFF_H

#include <stdint.h>

struct backoff {
	int64_t initial;	/* first delay, in any unit (ms by convention) */
	int64_t cap;		/* upper bound for any delay */
	double jitter;		/* 0..1 */
	unsigned attempt;	/* how many delays were handed out since reset */
	double (*unit)(void);	/* uniform [0,1) source; NULL = rnd_unit */
};

void bo_init(struct backoff *b, int64_t initial, int64_t cap, double jitter);
/* The next delay; advances the attempt counter. */
int64_t bo_next(struct backoff *b);
/* The un-jittered delay for attempt N (no state change). */
int64_t bo_base(const struct backoff *b, unsigned n);
void bo_reset(struct backoff *b);

#endif
