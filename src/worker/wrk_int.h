/*
 * wrk_int — what the files of src/worker share:
 *   worker.c     the role: slots, lifecycle, drain
 *   consumer.c   the Redis stream: consumer group, reads, claims, acks, dead letters
 *   operation.c  the operation documents in MongoDB: claim and finish
 *   exec.c       the executor table (one executor per operation type)
 *   exec_noop.c  the "noop" operation
 */
#ifndef DBAAS_WRK_INT_H
#define DBAAS_WRK_INT_H

#include <stdint.h>

#include <event2/event.h>
#include <mongoc/mongoc.h>

#include "common/id.h"
#include "common/mdb.h"
#include "common/rds.h"
#include "common/role.h"

struct wrk;

struct wrk_slot {
	struct wrk *w;
	int index;
	int busy;
	char op_id[ID_MAX];
	char entry_id[64];		/* stream entry to XACK when done */
	int64_t started_ms;
	struct event *timer;		/* executor's timer */
};

struct wrk {
	struct role *role;
	const struct cfg *cfg;
	struct mdb mdb;
	struct rds_async blk;		/* blocking XREADGROUP only */
	struct wrk_slot *slots;
	int nslots;
	int nbusy;
	int reading;			/* an XREADGROUP is outstanding */
	int group_ready;
	int draining;
	int64_t drain_deadline_ms;
	char consumer[320];
	char stream[160], dead[160], group[32];
	struct event *ev_claim, *ev_drain;
	uint64_t done_ok, done_failed;
};

/* worker.c */
struct wrk_slot *wrk_free_slot(struct wrk *w);
/* Claim and execute the operation named in S (op_id and entry_id filled). */
void wrk_slot_start(struct wrk_slot *s);
void wrk_slot_finished(struct wrk_slot *s, int ok, const char *error);
int wrk_free_slots(const struct wrk *w);

/* consumer.c */
void wrk_consumer_start(struct wrk *w);
void wrk_consumer_read(struct wrk *w);
void wrk_consumer_stop(struct wrk *w);
void wrk_ack(struct wrk *w, const char *entry_id);
void wrk_dead_letter(struct wrk *w, const char *entry_id, const char *op_id, const char *why);

/* operation.c */
/* WRK_GONE: no claimable operation (deleted, or no longer pending/queued/running). */
enum wrk_claim { WRK_CLAIMED, WRK_GONE, WRK_EXHAUSTED, WRK_ERROR };
/* Take OP_ID for this worker; *OP receives the document (caller destroys) when claimed. */
enum wrk_claim wrk_op_claim(struct wrk *w, const char *op_id, bson_t **op);
int wrk_op_finish(struct wrk *w, const char *op_id, int ok, const char *error);

/* exec.c */
/* Start executing OP in slot S; the executor calls wrk_slot_finished() when done. */
void wrk_exec_start(struct wrk_slot *s, const bson_t *op);
void wrk_exec_cancel(struct wrk_slot *s);

/* exec_noop.c */
int wrk_exec_noop_start(struct wrk_slot *s, const bson_t *op);
void wrk_exec_noop_cancel(struct wrk_slot *s);

#endif
