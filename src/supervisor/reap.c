/*
 * reap — collect exited children and decide what each exit means.
 *
 * waitpid(-1, WNOHANG) in a loop: one SIGCHLD may stand for many exits, and
 * as PID 1 or a subreaper we also inherit orphans we never started, which
 * are reaped and logged like the rest.  An exit we asked for (stop, drain,
 * roll) is the end of that slot's job; any other exit is a crash, restarted
 * by restart.c, except the "fatal configuration" code, which stops dbaasd
 * rather than restart something that cannot work.
 */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "supervisor/sup.h"

static struct sup_child *
find_child(struct sup *s, pid_t pid)
{
	for (size_t i = 0; i < s->nchildren; i++)
		if (s->children[i].pid == pid)
			return &s->children[i];
	return NULL;
}

/* "How it ended" as log fields: exit=N, or signal=N core=yes|no. */
struct ending {
	int exit_code;		/* -1 when killed by a signal */
	int sig;
	const char *core;
};

static struct ending
ending_of(int status)
{
	struct ending e = { -1, 0, "no" };

	if (WIFEXITED(status))
		e.exit_code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status)) {
		e.sig = WTERMSIG(status);
		e.core = WCOREDUMP(status) ? "yes" : "no";
	}
	return e;
}

static void
child_gone(struct sup *s, struct sup_child *c, int status)
{
	int64_t now = clk_mono_ms();
	long pid = (long)c->pid;
	struct ending e = ending_of(status);

	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->pid = 0;
	c->down_since_ms = now;
	if (c->stopping || s->stopping) {
		log_info("role_stopped", "role=%s instance=%d child=%ld exit=%d signal=%d uptime_ms=%lld",
		    sup_roles[c->role].name, c->instance, pid, e.exit_code, e.sig,
		    (long long)(now - c->started_ms));
		if (c->retiring || s->stopping)
			sup_child_remove(s, c);
		return;
	}
	log_warnx("role_died", "role=%s instance=%d child=%ld exit=%d signal=%d core=%s uptime_ms=%lld",
	    sup_roles[c->role].name, c->instance, pid, e.exit_code, e.sig, e.core,
	    (long long)(now - c->started_ms));
	if (c->retiring) {
		/* An old generation waiting for its successor: it is not replaced. */
		sup_child_remove(s, c);
		return;
	}
	if (e.exit_code == CFG_EXIT_FATAL) {
		log_error("role_fatal_config", "role=%s instance=%d action=%s",
		    sup_roles[c->role].name, c->instance, "stopping dbaasd");
		sup_stop_begin(s, CFG_EXIT_FATAL, "a role reported a fatal configuration error");
		return;
	}
	sup_schedule_restart(s, c);
}

void
sup_reap(struct sup *s)
{
	struct sup_child *c;
	struct ending e;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		c = find_child(s, pid);
		if (c != NULL) {
			child_gone(s, c, status);
			continue;
		}
		e = ending_of(status);
		log_info("orphan_reaped", "child=%ld exit=%d signal=%d", (long)pid, e.exit_code, e.sig);
	}
	if (pid == -1 && errno != ECHILD)
		log_warn("waitpid_failed", "%s", "");
}
