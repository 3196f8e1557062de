/*
 * doclock — within one API process, one handler thread at a time changes
 * a given document.
 *
 * A change to a database is read, check, then a findAndModify conditional
 * on the generation read (databases.c), so two writers never lose an update.
 * MongoDB applies the condition atomically.  FerretDB 1.x, the tests' and
 * benchmarks' server, does not: its findAndModify reads the document and
 * then rewrites it by _id, so two writers on two connections can both "win"
 * and one update is lost.  While handlers ran on the event loop, a process
 * made its writes one after the other; with handler threads the same
 * process would race itself.  So the handlers that read-check-write a
 * document hold this lock, keyed by the document's id (striped: ids hash to
 * a fixed set of mutexes, and a handler holds one stripe at a time, so
 * there is no lock order to get wrong).  Correctness on MongoDB never
 * depends on it; across processes on FerretDB nothing here can restore it
 * (tests/README.md).
 *
 * The holder talks to MongoDB and Redis, so with a hanging server it holds
 * the lock until its own timeouts fire.  Waiting is therefore bounded by
 * mongodb.op_timeout_ms: a waiter gives up with 503 instead of queueing
 * behind every earlier waiter's timeouts, which would tie up all handler
 * threads for a multiple of the timeout.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "api/api_int.h"
#include "common/log.h"

#define STRIPES 64	/* power of two */

static pthread_mutex_t stripes[STRIPES] = {
	[0 ... STRIPES - 1] = PTHREAD_MUTEX_INITIALIZER
};

static pthread_mutex_t *
stripe(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return &stripes[h & (STRIPES - 1)];
}

int
api_doc_lock(struct api_req *q, const char *id)
{
	int64_t ms = q->api->cfg->mongodb.op_timeout_ms;
	struct timespec until;
	int rc;

	clock_gettime(CLOCK_REALTIME, &until);	/* pthread_mutex_timedlock's clock */
	until.tv_sec += (time_t)(ms / 1000);
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	rc = pthread_mutex_timedlock(stripe(id), &until);
	if (rc == 0)
		return 0;
	if (rc != ETIMEDOUT)
		log_warnx("doclock_failed", "id=%s error=%d", id, rc);
	api_set_header(q, "Retry-After", API_RETRY_AFTER_S);
	api_reply_problem(q, 503, NULL, "another request is still changing this resource; retry",
	    NULL);
	return -1;
}

void
api_doc_unlock(const char *id)
{
	pthread_mutex_unlock(stripe(id));
}
