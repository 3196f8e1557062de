/*
 * ctl — `dbaasd --reload`: a synchronous reload for systemd's ExecReload=.
 *
 * systemd 252 (Debian 12) has no Type=notify-reload, so `systemctl reload`
 * only waits for ExecReload= itself.  This command sends SIGHUP with
 * sigqueue() carrying a marker; the supervisor records our pid and, when the
 * reload is complete (new processes ready, old ones draining) or rejected,
 * answers with SIGUSR1 (done) or SIGUSR2 (failed).  A plain `kill -HUP`
 * still works and simply gets no answer.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "supervisor/sup.h"
#include "supervisor/supervisor.h"

int
sup_ctl_reload(pid_t pid, int timeout_s)
{
	union sigval v = { .sival_int = SUP_RELOAD_MAGIC };
	struct timespec ts = { timeout_s, 0 };
	siginfo_t info;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (sigqueue(pid, SIGHUP, v) != 0) {
		fprintf(stderr, "dbaasd: cannot signal process %ld: %s\n", (long)pid, strerror(errno));
		return 1;
	}
	for (;;) {
		sig = sigtimedwait(&set, &info, &ts);
		if (sig == -1 && errno == EINTR)
			continue;
		if (sig == -1) {
			fprintf(stderr, "dbaasd: no answer from process %ld within %d s\n", (long)pid,
			    timeout_s);
			return 1;
		}
		if (info.si_pid != pid)
			continue;	/* not from the supervisor we asked */
		if (sig == SIGUSR1) {
			printf("dbaasd: reloaded\n");
			return 0;
		}
		fprintf(stderr, "dbaasd: reload failed; the supervisor's log says why\n");
		return 1;
	}
}
