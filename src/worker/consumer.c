/*
 * consumer — the operation stream, read as a Redis consumer group.
 *
 * Delivery is at least once: an entry read with XREADGROUP stays in the
 * group's pending list until XACK, so a worker that dies mid-operation loses
 * nothing; another worker takes the entry over with XAUTOCLAIM once it has
 * been idle for workers.claim_idle_ms, and executors are idempotent.  The
 * blocking read has a connection of its own (a blocked connection cannot
 * carry XACKs); closing it is also how a draining worker stops receiving.
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "worker/wrk_int.h"

static void wrk_deliver(struct wrk *w, const redisReply *entry);

static void
on_group(struct rds_async *ra, redisReply *reply, void *arg)
{
	struct wrk *w = arg;

	(void)ra;
	if (reply == NULL)
		return;	/* connection lost: on_blk_state runs again after the reconnect */
	if (reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "BUSYGROUP", 9) != 0) {
		log_warnx("xgroup_create_failed", "stream=%s reply=%s", w->stream, reply->str);
		return;
	}
	w->group_ready = 1;
	wrk_consumer_read(w);
}

static void
on_blk_state(struct rds_async *ra, int connected, void *arg)
{
	struct wrk *w = arg;

	w->reading = 0;
	if (!connected)
		return;
	rds_async_command(ra, 0, on_group, w, "XGROUP CREATE %s %s $ MKSTREAM", w->stream, w->group);
}

/* One XREADGROUP/XAUTOCLAIM entry: [id, [field, value, ...]]. */
static void
wrk_deliver(struct wrk *w, const redisReply *e)
{
	const redisReply *id, *fields;
	const char *op = NULL;
	struct wrk_slot *s;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
		return;
	id = e->element[0];
	fields = e->element[1];
	if (id->type != REDIS_REPLY_STRING)
		return;
	if (fields->type == REDIS_REPLY_ARRAY) {
		for (size_t i = 0; i + 1 < fields->elements; i += 2)
			if (fields->element[i]->type == REDIS_REPLY_STRING &&
			    fields->element[i + 1]->type == REDIS_REPLY_STRING &&
			    strcmp(fields->element[i]->str, "op") == 0)
				op = fields->element[i + 1]->str;
	}
	if (op == NULL || !id_valid("op-", op)) {
		wrk_dead_letter(w, id->str, op != NULL ? op : "", "malformed stream entry");
		return;
	}
	s = wrk_free_slot(w);
	if (s == NULL)
		return;	/* stays pending; claimed again later */
	snprintf(s->entry_id, sizeof(s->entry_id), "%s", id->str);
	snprintf(s->op_id, sizeof(s->op_id), "%s", op);
	wrk_slot_start(s);
}

static void
on_entries(struct rds_async *ra, redisReply *reply, void *arg)
{
	struct wrk *w = arg;

	(void)ra;
	w->reading = 0;
	if (reply == NULL)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		log_warnx("xreadgroup_failed", "reply=%s", reply->str);
		if (strncmp(reply->str, "NOGROUP", 7) == 0)
			w->group_ready = 0;
	}
	/* [[stream, [entry, ...]]] */
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
	    reply->element[0]->type == REDIS_REPLY_ARRAY && reply->element[0]->elements == 2) {
		const redisReply *list = reply->element[0]->element[1];
		for (size_t i = 0; list->type == REDIS_REPLY_ARRAY && i < list->elements; i++)
			wrk_deliver(w, list->element[i]);
	}
	if (!w->group_ready)
		rds_async_command(&w->blk, 0, on_group, w, "XGROUP CREATE %s %s $ MKSTREAM",
		    w->stream, w->group);
	else
		wrk_consumer_read(w);
}

void
wrk_consumer_read(struct wrk *w)
{
	int free_slots = wrk_free_slots(w);
	int timeout = w->cfg->workers.block_ms + w->cfg->redis.command_timeout_ms;

	if (!w->group_ready || w->reading || w->draining || free_slots == 0 || !w->blk.connected)
		return;
	if (rds_async_command(&w->blk, timeout, on_entries, w,
	    "XREADGROUP GROUP %s %s COUNT %d BLOCK %d STREAMS %s >", w->group, w->consumer,
	    free_slots, w->cfg->workers.block_ms, w->stream) == 0)
		w->reading = 1;
}

static void
on_claimed(struct rds_async *ra, redisReply *reply, void *arg)
{
	struct wrk *w = arg;

	(void)ra;
	/* XAUTOCLAIM: [next-cursor, [entry, ...], [deleted-id, ...]] */
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
	    reply->element[1]->type != REDIS_REPLY_ARRAY)
		return;
	for (size_t i = 0; i < reply->element[1]->elements; i++) {
		if (reply->element[1]->element[i]->type != REDIS_REPLY_ARRAY)
			continue;	/* a deleted entry shows as nil */
		log_info("entry_claimed", "stream=%s", w->stream);
		wrk_deliver(w, reply->element[1]->element[i]);
	}
}

static void
on_claim_tick(evutil_socket_t fd, short what, void *arg)
{
	struct wrk *w = arg;
	int free_slots = wrk_free_slots(w);

	(void)fd;
	(void)what;
	if (w->draining || free_slots == 0 || !w->group_ready)
		return;
	rds_async_command(&w->role->redis, 0, on_claimed, w, "XAUTOCLAIM %s %s %s %d 0-0 COUNT %d",
	    w->stream, w->group, w->consumer, w->cfg->workers.claim_idle_ms, free_slots);
}

void
wrk_consumer_start(struct wrk *w)
{
	struct rds_params p;
	int every = w->cfg->workers.claim_idle_ms / 4;
	struct timeval tv = { every / 1000, (every % 1000) * 1000 };

	rds_params_from_cfg(&p, w->cfg);
	rds_async_start(&w->blk, w->role->base, &p, on_blk_state, w);
	w->ev_claim = event_new(w->role->base, -1, EV_PERSIST, on_claim_tick, w);
	if (w->ev_claim != NULL)
		event_add(w->ev_claim, &tv);
}

void
wrk_consumer_stop(struct wrk *w)
{
	if (w->blk.timer != NULL)
		rds_async_stop(&w->blk);	/* a blocked read ends here: nothing more is delivered */
	w->reading = 0;
	if (w->ev_claim != NULL)
		event_free(w->ev_claim);
	w->ev_claim = NULL;
}

static void
on_acked(struct rds_async *ra, redisReply *reply, void *arg)
{
	(void)ra;
	(void)arg;
	if (reply == NULL)
		log_warnx("xack_lost", "%s", "the entry stays pending and will be claimed again");
	else if (reply->type == REDIS_REPLY_ERROR)
		log_warnx("xack_failed", "reply=%s", reply->str);
}

void
wrk_ack(struct wrk *w, const char *entry_id)
{
	if (rds_async_command(&w->role->redis, 0, on_acked, w, "XACK %s %s %s", w->stream,
	    w->group, entry_id) != 0)
		log_warnx("xack_lost", "entry=%s", entry_id);
}

void
wrk_dead_letter(struct wrk *w, const char *entry_id, const char *op_id, const char *why)
{
	log_warnx("dead_letter", "entry=%s op=%s reason=%s", entry_id, op_id, why);
	rds_async_command(&w->role->redis, 0, NULL, NULL, "XADD %s * op %s entry %s reason %s",
	    w->dead, op_id, entry_id, why);
	wrk_ack(w, entry_id);
}
