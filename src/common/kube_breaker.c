/*
 * kube_breaker — the per-provider circuit breaker (see kube_int.h).
 *
 * A cluster that stops answering would otherwise make every caller wait a
 * full timeout, over and over.  After `threshold` consecutive failures
 * (no answer, or an answer of 500 and up) the circuit opens and attempts
 * fail at once; after `cooldown_ms` exactly one attempt goes through as a
 * probe (half-open), and its outcome closes or re-opens the circuit.  Any
 * answer below 500 is a sign of life and closes it.  Pure state: the caller
 * passes the time, so the unit tests drive it with a fake clock.
 */
#include "common/kube_int.h"

void
kube_breaker_init(struct kube_breaker *b, int threshold, int64_t cooldown_ms)
{
	b->state = KUBE_CIRCUIT_CLOSED;
	b->failures = 0;
	b->threshold = threshold > 0 ? threshold : 1;
	b->cooldown_ms = cooldown_ms > 0 ? cooldown_ms : 1;
	b->opened_at_ms = 0;
	b->probe_out = 0;
}

int
kube_breaker_allow(struct kube_breaker *b, int64_t now_ms)
{
	switch (b->state) {
	case KUBE_CIRCUIT_CLOSED:
		return 1;
	case KUBE_CIRCUIT_OPEN:
		if (now_ms - b->opened_at_ms < b->cooldown_ms)
			return 0;
		b->state = KUBE_CIRCUIT_HALF_OPEN;
		b->probe_out = 1;
		return 2;
	case KUBE_CIRCUIT_HALF_OPEN:
		if (b->probe_out)
			return 0;
		b->probe_out = 1;
		return 2;
	}
	return 0;
}

int
kube_breaker_peek(const struct kube_breaker *b, int64_t now_ms)
{
	switch (b->state) {
	case KUBE_CIRCUIT_CLOSED:
		return 1;
	case KUBE_CIRCUIT_OPEN:
		return now_ms - b->opened_at_ms >= b->cooldown_ms;
	case KUBE_CIRCUIT_HALF_OPEN:
		return !b->probe_out;
	}
	return 0;
}

int
kube_breaker_record(struct kube_breaker *b, int ok, int64_t now_ms)
{
	enum kube_circuit before = b->state;

	if (ok) {
		b->failures = 0;
		b->probe_out = 0;
		b->state = KUBE_CIRCUIT_CLOSED;
		return before != b->state;
	}
	if (b->failures < b->threshold)
		b->failures++;
	if (b->state == KUBE_CIRCUIT_HALF_OPEN ||
	    (b->state == KUBE_CIRCUIT_CLOSED && b->failures >= b->threshold)) {
		/* Failures of attempts started before the circuit opened do not
		 * extend an open period: only a transition sets the clock. */
		b->state = KUBE_CIRCUIT_OPEN;
		b->opened_at_ms = now_ms;
		b->probe_out = 0;
	}
	return before != b->state;
}

void
kube_breaker_release(struct kube_breaker *b)
{
	b->probe_out = 0;
}
