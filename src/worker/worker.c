/*
 * worker — the operation worker role.
 *
 * A worker runs up to workers.slots operations at once, all on one event
 * loop: executors are state machines driven by timers and replies, never
 * blocking sleeps.  Draining (SIGTERM, or a reload that lowers
 * workers.count) stops taking work at once and lets the running operations
 * finish; what is still running after workers.drain_timeout_s is handed
 * back (left un-acknowledged in the stream) and resumed by another worker.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "worker/worker.h"
#include "worker/wrk_int.h"

#define DRAIN_TICK_MS 100

int
wrk_free_slots(const struct wrk *w)
{
	return w->nslots - w->nbusy;
}

struct wrk_slot *
wrk_free_slot(struct wrk *w)
{
	for (int i = 0; i < w->nslots; i++)
		if (!w->slots[i].busy)
			return &w->slots[i];
	return NULL;
}

static void
slot_release(struct wrk_slot *s)
{
	s->busy = 0;
	s->w->nbusy--;
	s->op_id[0] = s->entry_id[0] = '\0';
}

void
wrk_slot_start(struct wrk_slot *s)
{
	struct wrk *w = s->w;
	bson_t *op = NULL;

	s->busy = 1;
	w->nbusy++;
	s->started_ms = clk_mono_ms();
	switch (wrk_op_claim(w, s->op_id, &op)) {
	case WRK_CLAIMED:
		log_info("operation_started", "op=%s slot=%d", s->op_id, s->index);
		wrk_exec_start(s, op);
		bson_destroy(op);
		return;
	case WRK_GONE:
		wrk_ack(w, s->entry_id);	/* nothing left to do for this entry */
		break;
	case WRK_EXHAUSTED:
		wrk_dead_letter(w, s->entry_id, s->op_id, "exceeded workers.max_deliveries");
		break;
	case WRK_ERROR:
		break;	/* MongoDB unavailable: the entry stays pending and comes back */
	}
	slot_release(s);
}

void
wrk_slot_finished(struct wrk_slot *s, int ok, const char *error)
{
	struct wrk *w = s->w;

	log_info("operation_finished", "op=%s slot=%d ok=%s ms=%lld error=%s", s->op_id, s->index,
	    ok ? "true" : "false", (long long)(clk_mono_ms() - s->started_ms),
	    error != NULL ? error : "");
	if (wrk_op_finish(w, s->op_id, ok, error) == 0)
		wrk_ack(w, s->entry_id);
	if (ok)
		w->done_ok++;
	else
		w->done_failed++;
	slot_release(s);
	if (w->draining && w->nbusy == 0)
		role_exit_loop(w->role, ROLE_EXIT_OK);
	else
		wrk_consumer_read(w);
}

static void
on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
	struct wrk *w = arg;

	(void)fd;
	(void)what;
	if (w->nbusy == 0) {
		role_exit_loop(w->role, ROLE_EXIT_OK);
	} else if (clk_mono_ms() >= w->drain_deadline_ms) {
		log_warnx("drain_timeout", "handed_back=%d", w->nbusy);
		role_exit_loop(w->role, ROLE_EXIT_OK);
	}
}

static void
wrk_on_stop(struct role *r)
{
	struct wrk *w = r->data;
	struct timeval tick = { 0, DRAIN_TICK_MS * 1000 };

	w->draining = 1;
	w->drain_deadline_ms = clk_mono_ms() + (int64_t)w->cfg->workers.drain_timeout_s * 1000;
	wrk_consumer_stop(w);
	log_info("draining", "busy_slots=%d", w->nbusy);
	if (w->nbusy == 0) {
		role_exit_loop(r, ROLE_EXIT_OK);
		return;
	}
	w->ev_drain = event_new(r->base, -1, EV_PERSIST, on_drain_tick, w);
	if (w->ev_drain == NULL || event_add(w->ev_drain, &tick) != 0)
		role_exit_loop(r, ROLE_EXIT_OK);
}

static void
wrk_heartbeat(struct role *r, cJSON *hb)
{
	struct wrk *w = r->data;

	cJSON_AddNumberToObject(hb, "busy_slots", w->nbusy);
	cJSON_AddNumberToObject(hb, "total_slots", w->nslots);
	cJSON_AddStringToObject(hb, "consumer", w->consumer);
}

/* Forget our consumer in the group, unless it still holds entries to hand back. */
static void
wrk_leave_group(struct wrk *w)
{
	struct rds rs;

	if (w->nbusy > 0)
		return;
	rds_open(&rs, &w->role->redis.p);
	freeReplyObject(rds_command(&rs, "XGROUP DELCONSUMER %s %s %s", w->stream, w->group,
	    w->consumer));
	rds_close(&rs);
}

static int
wrk_setup(struct wrk *w, struct role *r)
{
	char err[512];

	w->role = r;
	w->cfg = r->cfg;
	if (mdb_open(&w->mdb, r->cfg, "dbaasd-worker", MDB_WAIT, err, sizeof(err)) != 0) {
		log_error("mongodb_setup_failed", "error=%s", err);
		return -1;
	}
	w->nslots = r->cfg->workers.slots;
	w->slots = calloc((size_t)w->nslots, sizeof(*w->slots));
	if (w->slots == NULL)
		return -1;
	for (int i = 0; i < w->nslots; i++) {
		w->slots[i].w = w;
		w->slots[i].index = i;
	}
	snprintf(w->consumer, sizeof(w->consumer), "%s:%ld", r->host, (long)getpid());
	rds_key(&r->redis.p, w->stream, sizeof(w->stream), "ops");
	rds_key(&r->redis.p, w->dead, sizeof(w->dead), "ops:dead");
	snprintf(w->group, sizeof(w->group), "workers");
	return 0;
}

static void
wrk_teardown(struct wrk *w)
{
	for (int i = 0; w->slots != NULL && i < w->nslots; i++)
		if (w->slots[i].busy)
			wrk_exec_cancel(&w->slots[i]);
	wrk_consumer_stop(w);
	if (w->role != NULL && w->role->redis.p.host[0] != '\0')
		wrk_leave_group(w);
	if (w->ev_drain != NULL)
		event_free(w->ev_drain);
	free(w->slots);
	mdb_close(&w->mdb);
}

int
wrk_main(struct role *r)
{
	struct wrk *w = calloc(1, sizeof(*w));
	int code = ROLE_EXIT_ERROR;

	if (w == NULL)
		return code;
	r->data = w;
	if (wrk_setup(w, r) == 0) {
		r->on_stop = wrk_on_stop;
		r->on_heartbeat = wrk_heartbeat;
		wrk_consumer_start(w);
		role_ready(r);
		code = role_dispatch(r);
		log_info("worker_done", "completed=%llu failed=%llu",
		    (unsigned long long)w->done_ok, (unsigned long long)w->done_failed);
	}
	role_quiesce(r);
	wrk_teardown(w);
	free(w);
	r->data = NULL;
	r->on_heartbeat = NULL;
	return code;
}
