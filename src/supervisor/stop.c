/*
 * stop — ending dbaasd.
 *
 * Graceful (SIGTERM, SIGINT, or a fatal condition): every role gets SIGTERM
 * and drains; whatever is left after supervisor.shutdown_timeout_s (25 s by
 * default, inside Kubernetes' 30 s grace period) is SIGKILLed.  Immediate
 * (SIGQUIT): SIGKILL at once, reap, exit 128+SIGQUIT.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/sdnotify.h"
#include "supervisor/sup.h"

void
sup_term_child(struct sup_child *c, int64_t deadline_ms)
{
	if (c->pid == 0)
		return;
	if (!c->stopping) {
		kill(c->pid, SIGTERM);
		c->stopping = 1;
		c->stop_deadline_ms = deadline_ms;
	} else if (deadline_ms < c->stop_deadline_ms) {
		c->stop_deadline_ms = deadline_ms;
	}
}

void
sup_stop_begin(struct sup *s, int exit_code, const char *why)
{
	int64_t deadline;

	if (s->stopping)
		return;
	s->stopping = 1;
	s->exit_code = exit_code;
	deadline = clk_mono_ms() + (int64_t)s->cfg->supervisor.shutdown_timeout_s * 1000;
	s->stop_deadline_ms = deadline;
	log_info("stopping", "reason=%s exit_code=%d timeout_s=%d", why, exit_code,
	    s->cfg->supervisor.shutdown_timeout_s);
	sdn_send("STOPPING=1");
	sup_answer_waiters(s, 0);
	s->reloading = 0;	/* a reload cut short by the stop must not report READY=1 */
	for (size_t i = s->nchildren; i-- > 0;) {
		struct sup_child *c = &s->children[i];
		c->restart_at_ms = 0;
		if (c->pid == 0)
			sup_child_remove(s, c);
		else
			sup_term_child(c, deadline);
	}
}

void
sup_stop_check(struct sup *s, int64_t now)
{
	for (size_t i = 0; i < s->nchildren; i++) {
		struct sup_child *c = &s->children[i];
		if (c->pid == 0 || !c->stopping || now < c->stop_deadline_ms)
			continue;
		log_warnx("stop_timeout", "role=%s instance=%d child=%ld action=%s",
		    sup_roles[c->role].name, c->instance, (long)c->pid, "SIGKILL");
		kill(c->pid, SIGKILL);
		c->stop_deadline_ms = INT64_MAX;	/* killed once; the reap follows */
	}
}

void
sup_quit(struct sup *s)
{
	log_info("quitting", "reason=%s", "SIGQUIT");
	sdn_send("STOPPING=1");
	sup_answer_waiters(s, 0);
	for (size_t i = 0; i < s->nchildren; i++)
		if (s->children[i].pid != 0)
			kill(s->children[i].pid, SIGKILL);
	for (size_t i = 0; i < s->nchildren; i++)
		if (s->children[i].pid != 0)
			waitpid(s->children[i].pid, NULL, 0);
	s->nchildren = 0;
	s->stopping = 1;
	s->exit_code = 128 + SIGQUIT;
}
