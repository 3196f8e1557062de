/*
 * proctab — the declarative process table: which roles run, how many of
 * each (one number from the config), which configuration sections force a
 * role to restart when a reload changes them, and how long a role may take
 * to drain.  N workers are one row, not N code paths.
 */
#include <string.h>

#include "api/api.h"
#include "reconciler/reconciler.h"
#include "supervisor/sup.h"
#include "worker/worker.h"

static int
api_count(const struct cfg *c)
{
	return c->api.processes;
}

static int
rec_count(const struct cfg *c)
{
	return c->reconciler.enabled ? 1 : 0;
}

static int
wrk_count(const struct cfg *c)
{
	return c->workers.count;
}

static int
api_drain(const struct cfg *c)
{
	return c->api.drain_timeout_s;
}

static int
rec_drain(const struct cfg *c)
{
	return c->supervisor.shutdown_timeout_s;
}

static int
wrk_drain(const struct cfg *c)
{
	return c->workers.drain_timeout_s;
}

/*
 * What each role reads from the configuration: a whole section ("kube"), one
 * setting ("supervisor.heartbeat_interval_ms"), or an exception ("!workers.count":
 * handled by starting or draining instances, not by a restart).  `log` is
 * applied live everywhere and appears in none.
 */
static const char *const api_deps[] = { "api", "!api.processes", "mongodb", "redis",
	"sizes", "engines", "supervisor.heartbeat_interval_ms", "reconciler.enabled", NULL };
static const char *const rec_deps[] = { "reconciler", "mongodb", "redis", "kube", "sizes",
	"engines", "supervisor.heartbeat_interval_ms", NULL };
static const char *const wrk_deps[] = { "workers", "!workers.count", "mongodb", "redis",
	"kube", "sizes", "engines", "supervisor.heartbeat_interval_ms", NULL };

const struct sup_role sup_roles[SUP_NROLES] = {
	[SUP_ROLE_API] = { "api", api_main, api_count, api_deps, 1, 1, 5, api_drain },
	[SUP_ROLE_RECONCILER] = { "reconciler", rec_main, rec_count, rec_deps, 0, 0, 5,
		rec_drain },
	[SUP_ROLE_WORKER] = { "worker", wrk_main, wrk_count, wrk_deps, 0, 0, 5, wrk_drain },
};

int
sup_role_changed(enum sup_role_id id, const struct cfg *a, const struct cfg *b)
{
	const char *const *deps = sup_roles[id].deps;
	const char *except[16];
	size_t n = 0;

	for (const char *const *d = deps; *d != NULL && n + 1 < 16; d++)
		if ((*d)[0] == '!')
			except[n++] = *d + 1;
	except[n] = NULL;
	for (const char *const *d = deps; *d != NULL; d++) {
		if ((*d)[0] == '!')
			continue;
		if (strchr(*d, '.') != NULL ? !cfg_setting_equal(a, b, *d) :
		    !cfg_section_equal_except(a, b, *d, except))
			return 1;
	}
	return 0;
}
