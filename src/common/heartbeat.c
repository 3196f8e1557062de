/* heartbeat — see heartbeat.h. */
#include "common/heartbeat.h"

char *
hb_key(const struct rds_params *p, char *out, size_t n)
{
	return rds_key(p, out, n, "heartbeats");
}

int64_t
hb_stale_ms(const struct cfg *cfg)
{
	/* Three missed beats, and never less than two seconds of slack. */
	int64_t ms = 3LL * cfg->supervisor.heartbeat_interval_ms;

	return ms < 2000 ? 2000 : ms;
}
