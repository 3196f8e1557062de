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
 */
#include <pthread.h>
#include <stdint.h>

#include "api/api_int.h"

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

void
api_doc_lock(const char *id)
{
	pthread_mutex_lock(stripe(id));
}

void
api_doc_unlock(const char *id)
{
	pthread_mutex_unlock(stripe(id));
}
