/*
 * tbucket — token bucket rate limiter (client-go's default for Kubernetes is
 * 5 QPS with a burst of 10).  The caller passes the time, so the same code
 * runs on the monotonic clock in production and on a fake clock in tests.
 * Tokens are kept in nano-tokens: with the rate in milli-tokens per second,
 * one microsecond adds exactly rate_milli nano-tokens, so refills are exact
 * integer arithmetic with no drift over days.
 */
#ifndef DBAAS_TBUCKET_H
#define DBAAS_TBUCKET_H

#include <stdint.h>

struct tbucket {
	int64_t rate_milli;	/* tokens per second, x1000 */
	int64_t burst_nano;	/* capacity, in nano-tokens */
	int64_t tokens_nano;	/* current content */
	int64_t last_us;	/* time of the last refill */
};

/* A full bucket at NOW_US.  QPS > 0, BURST >= 1. */
void tb_init(struct tbucket *tb, double qps, int burst, int64_t now_us);
/* Take one token if available: 1 = taken, 0 = not. */
int tb_take(struct tbucket *tb, int64_t now_us);
/* Microseconds until one token is available (0 = now).  No state change beyond refill. */
int64_t tb_delay_us(struct tbucket *tb, int64_t now_us);
/* Change rate and burst, keeping the current content (capped). */
void tb_set_rate(struct tbucket *tb, double qps, int burst, int64_t now_us);

#endif
