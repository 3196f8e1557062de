/*
 * restart — the policy for crashed roles (one-for-one, as in OTP).
 *
 * Each child slot has its own exponential backoff (supervisor.restart_initial_ms
 * doubling to restart_max_ms); a child that stayed up restart_reset_s gets
 * its backoff reset.  Across all slots, more than restart_intensity restarts
 * within restart_period_s means something is wrong beyond a single crash:
 * dbaasd stops everything and exits non-zero so systemd or Kubernetes can
 * act, instead of spinning.
 */
#include "common/clock.h"
#include "common/log.h"
#include "supervisor/sup.h"

/* Count a restart; 1 if the intensity limit is now exceeded. */
static int
intensity_exceeded(struct sup *s, int64_t now)
{
	const struct cfg *c = s->cfg;
	int64_t window = (int64_t)c->supervisor.restart_period_s * 1000;
	size_t keep = 0;

	for (size_t i = 0; i < s->nrestarts; i++)
		if (now - s->restarts[i] < window)
			s->restarts[keep++] = s->restarts[i];
	s->nrestarts = keep;
	if (s->nrestarts < (size_t)c->supervisor.restart_intensity + 1)
		s->restarts[s->nrestarts++] = now;
	return s->nrestarts > (size_t)c->supervisor.restart_intensity;
}

void
sup_schedule_restart(struct sup *s, struct sup_child *c)
{
	const struct cfg *cfg = s->cfg;
	int64_t now = clk_mono_ms(), delay;

	if (intensity_exceeded(s, now)) {
		log_error("restart_intensity_exceeded", "restarts=%zu period_s=%d action=%s",
		    s->nrestarts, cfg->supervisor.restart_period_s, "stopping dbaasd");
		sup_stop_begin(s, 1, "too many restarts");
		return;
	}
	if (now - c->started_ms >= (int64_t)cfg->supervisor.restart_reset_s * 1000)
		bo_reset(&c->bo);
	delay = bo_next(&c->bo);
	c->restart_at_ms = now + delay;
	log_info("restart_scheduled", "role=%s instance=%d delay_ms=%lld attempt=%u",
	    sup_roles[c->role].name, c->instance, (long long)delay, c->bo.attempt);
}

void
sup_restarts_due(struct sup *s, int64_t now)
{
	for (size_t i = 0; i < s->nchildren; i++) {
		struct sup_child *c = &s->children[i];
		if (c->pid != 0 || c->restart_at_ms == 0 || now < c->restart_at_ms)
			continue;
		if (sup_spawn(s, c) != 0)
			sup_schedule_restart(s, c);
	}
}
