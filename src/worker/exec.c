/*
 * exec — the executor table: one executor per operation type.  An executor
 * starts work on a slot and reports through wrk_slot_finished(); it must be
 * idempotent, because an operation can be delivered again after a crash.
 */
#include <string.h>

#include "common/log.h"
#include "worker/wrk_int.h"

struct wrk_executor {
	const char *type;
	int (*start)(struct wrk_slot *s, const bson_t *op);
	void (*cancel)(struct wrk_slot *s);
};

static const struct wrk_executor executors[] = {
	{ "noop", wrk_exec_noop_start, wrk_exec_noop_cancel },
};

static const struct wrk_executor *
find_executor(const bson_t *op, const char **type)
{
	bson_iter_t it;

	*type = "";
	if (!bson_iter_init_find(&it, op, "type") || !BSON_ITER_HOLDS_UTF8(&it))
		return NULL;
	*type = bson_iter_utf8(&it, NULL);
	for (size_t i = 0; i < sizeof(executors) / sizeof(executors[0]); i++)
		if (strcmp(executors[i].type, *type) == 0)
			return &executors[i];
	return NULL;
}

void
wrk_exec_start(struct wrk_slot *s, const bson_t *op)
{
	const char *type;
	const struct wrk_executor *ex = find_executor(op, &type);
	char why[160];

	if (ex == NULL) {
		snprintf(why, sizeof(why), "no executor for operation type \"%s\"", type);
		wrk_slot_finished(s, 0, why);
		return;
	}
	if (ex->start(s, op) != 0)
		wrk_slot_finished(s, 0, "executor failed to start");
}

void
wrk_exec_cancel(struct wrk_slot *s)
{
	/* Every executor keeps its state on the slot; cancelling frees it. */
	for (size_t i = 0; i < sizeof(executors) / sizeof(executors[0]); i++)
		executors[i].cancel(s);
}
