/*
 * exec_noop — the "noop" operation: completes after desired.duration_ms
 * (0 by default) without touching Kubernetes.  It exercises the whole
 * queue path (stream, claim, slots, drain, acknowledgement) and is what the
 * supervisor's drain tests and queue benchmarks run.
 */
#include <stdlib.h>

#include "worker/wrk_int.h"

#define NOOP_MAX_MS 3600000

static void
on_noop_done(evutil_socket_t fd, short what, void *arg)
{
	struct wrk_slot *s = arg;

	(void)fd;
	(void)what;
	event_free(s->timer);
	s->timer = NULL;
	wrk_slot_finished(s, 1, NULL);
}

static int64_t
duration_ms(const bson_t *op)
{
	bson_iter_t it, d;
	int64_t ms = 0;

	if (bson_iter_init_find(&it, op, "desired") && BSON_ITER_HOLDS_DOCUMENT(&it) &&
	    bson_iter_recurse(&it, &d) && bson_iter_find(&d, "duration_ms") &&
	    (BSON_ITER_HOLDS_INT32(&d) || BSON_ITER_HOLDS_INT64(&d) || BSON_ITER_HOLDS_DOUBLE(&d)))
		ms = bson_iter_as_int64(&d);
	return ms < 0 ? 0 : ms > NOOP_MAX_MS ? NOOP_MAX_MS : ms;
}

int
wrk_exec_noop_start(struct wrk_slot *s, const bson_t *op)
{
	int64_t ms = duration_ms(op);
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000) };

	s->timer = evtimer_new(s->w->role->base, on_noop_done, s);
	if (s->timer == NULL || evtimer_add(s->timer, &tv) != 0)
		return -1;
	return 0;
}

void
wrk_exec_noop_cancel(struct wrk_slot *s)
{
	if (s->timer != NULL)
		event_free(s->timer);
	s->timer = NULL;
}
