/*
 * signals — the supervisor's signal handling.
 *
 * Signals stay blocked except inside ppoll(), whose mask unblocks them: a
 * handler can only run while the loop sleeps, and it only sets a flag (and
 * records who asked for a reload), so there is no race between testing a
 * flag and going to sleep (nginx does the same with sigsuspend).  As PID 1 in
 * a container the kernel applies no default action, so TERM, INT, QUIT and
 * HUP are all handled explicitly.
 */
#include <signal.h>
#include <string.h>

#include "supervisor/sup.h"

volatile sig_atomic_t sup_sig_hup, sup_sig_term, sup_sig_int, sup_sig_quit, sup_sig_chld;

/* Pids of `dbaasd --reload` processes waiting for an answer (0 = free). */
static volatile sig_atomic_t waiter_pids[SUP_MAX_WAITERS];

static sigset_t wait_mask;

static const int handled[] = { SIGHUP, SIGTERM, SIGINT, SIGQUIT, SIGCHLD };

static void
on_signal(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	switch (sig) {
	case SIGHUP:
		sup_sig_hup = 1;
		if (info != NULL && info->si_code == SI_QUEUE &&
		    info->si_value.sival_int == SUP_RELOAD_MAGIC) {
			for (int i = 0; i < SUP_MAX_WAITERS; i++) {
				if (waiter_pids[i] == 0) {
					waiter_pids[i] = info->si_pid;
					break;
				}
			}
		}
		break;
	case SIGTERM:
		sup_sig_term = 1;
		break;
	case SIGINT:
		sup_sig_int = 1;
		break;
	case SIGQUIT:
		sup_sig_quit = 1;
		break;
	case SIGCHLD:
		sup_sig_chld = 1;
		break;
	}
}

void
sup_signals_install(void)
{
	struct sigaction sa;
	sigset_t all;

	sigemptyset(&all);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(&all, handled[i]);
	sigprocmask(SIG_BLOCK, &all, NULL);
	sigprocmask(SIG_BLOCK, NULL, &wait_mask);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigdelset(&wait_mask, handled[i]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaction(handled[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

const sigset_t *
sup_signals_wait_mask(void)
{
	return &wait_mask;
}

/* Move the recorded reload requesters into S (called with signals blocked). */
void
sup_signals_collect_waiters(struct sup *s)
{
	for (int i = 0; i < SUP_MAX_WAITERS; i++) {
		if (waiter_pids[i] == 0)
			continue;
		if (s->nwaiters < SUP_MAX_WAITERS)
			s->waiters[s->nwaiters++] = (pid_t)waiter_pids[i];
		waiter_pids[i] = 0;
	}
}

/* In a freshly forked role: default dispositions, nothing blocked. */
void
sup_signals_reset_child(void)
{
	sigset_t none;

	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		signal(handled[i], SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * ppoll() lets pending signals in only when it sleeps; when descriptors are
 * ready at once it returns without running the handlers.  Opening the mask
 * for an instant here runs them, so a busy loop can never starve signals.
 */
void
sup_signals_deliver(void)
{
	sigset_t old;

	sigprocmask(SIG_SETMASK, &wait_mask, &old);
	sigprocmask(SIG_SETMASK, &old, NULL);
}
