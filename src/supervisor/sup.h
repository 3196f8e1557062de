/*
 * sup — the supervisor's internal state, shared by the files of this folder:
 *   proctab.c  the declarative role table (what runs, how many, when to roll)
 *   supervisor.c  the main loop, child messages, readiness and watchdog
 *   spawn.c    fork and the child side of a role process
 *   reap.c     waitpid() and what an exit means
 *   restart.c  backoff per child slot and the restart intensity limit
 *   signals.c  signal flags (handlers only set flags; the loop acts)
 *   reload.c   SIGHUP: validate, then apply
 *   stop.c     graceful stop and immediate quit
 *   ctl.c      `dbaasd --reload`, the synchronous reload client
 */
#ifndef DBAAS_SUP_H
#define DBAAS_SUP_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/backoff.h"
#include "common/config.h"
#include "common/role.h"

/* The value sigqueue(SIGHUP) carries when the sender waits for the outcome. */
#define SUP_RELOAD_MAGIC 0x64626173	/* "dbas" */
#define SUP_MAX_WAITERS 8

struct sup_role {
	const char *name;
	role_main_fn *main;
	int (*count)(const struct cfg *cfg);
	const char *const *deps;	/* settings that need a restart when changed (proctab.c) */
	int roll_on_reload;		/* start a new generation on every reload */
	int uses_listen;		/* inherits the API socket */
	int drain_s_extra;		/* grace added to the role's own drain budget */
	int (*drain_s)(const struct cfg *cfg);
};

enum sup_role_id { SUP_ROLE_API, SUP_ROLE_RECONCILER, SUP_ROLE_WORKER, SUP_NROLES };
#define SUP_ROLE_ALL (-1)	/* sup_all_ready(): every role */

struct sup_child {
	enum sup_role_id role;
	int instance;
	unsigned generation;
	pid_t pid;			/* 0: not running */
	int fd;				/* supervisor end of the socketpair, -1 if none */
	int ready;
	int stopping;			/* SIGTERM sent; the exit is expected */
	int retiring;			/* remove the slot when the process is gone */
	int64_t started_ms;		/* monotonic */
	int64_t last_hb_ms;
	int64_t stop_deadline_ms;	/* SIGKILL after this while stopping */
	int64_t restart_at_ms;		/* > 0: restart scheduled */
	int64_t down_since_ms;
	struct backoff bo;
};

struct sup {
	struct cfg *cfg;
	int listen_fd;
	struct sup_child *children;
	size_t nchildren, cap;
	unsigned generation[SUP_NROLES];
	int64_t *restarts;		/* monotonic times of recent restarts (ring) */
	size_t nrestarts;
	int stopping;
	int64_t stop_deadline_ms;
	int exit_code;
	int ready_sent;
	int reloading;			/* a reload waits for its new children */
	int64_t reload_deadline_ms;
	pid_t waiters[SUP_MAX_WAITERS];	/* `dbaasd --reload` processes to answer */
	size_t nwaiters;
	int64_t next_watchdog_ms;
	int64_t watchdog_ms;
};

extern const struct sup_role sup_roles[SUP_NROLES];

/* proctab.c */
int sup_role_changed(enum sup_role_id id, const struct cfg *a, const struct cfg *b);

/* supervisor.c */
struct sup_child *sup_child_add(struct sup *s, enum sup_role_id role, int instance);
void sup_child_remove(struct sup *s, struct sup_child *c);
int sup_live_count(const struct sup *s, enum sup_role_id role);
/* Every non-retiring slot of ROLE (or SUP_ROLE_ALL) runs and has said READY. */
int sup_all_ready(const struct sup *s, int role);
void sup_broadcast(struct sup *s, const char *msg);
/* Tell `dbaasd --reload` processes waiting on us how the reload ended. */
void sup_answer_waiters(struct sup *s, int ok);

/* spawn.c */
int sup_spawn(struct sup *s, struct sup_child *c);
/* Child side, shared with --role: run a role in this process and return its exit code. */
int sup_role_body(enum sup_role_id id, int instance, unsigned generation,
    const struct cfg *cfg, int sup_fd, int listen_fd);

/* reap.c */
void sup_reap(struct sup *s);

/* restart.c */
void sup_schedule_restart(struct sup *s, struct sup_child *c);
void sup_restarts_due(struct sup *s, int64_t now);

/* signals.c */
extern volatile sig_atomic_t sup_sig_hup, sup_sig_term, sup_sig_int, sup_sig_quit, sup_sig_chld;
void sup_signals_install(void);
void sup_signals_collect_waiters(struct sup *s);
void sup_signals_reset_child(void);
const sigset_t *sup_signals_wait_mask(void);
void sup_signals_deliver(void);

/* reload.c */
void sup_reload(struct sup *s);
void sup_reload_check(struct sup *s, int64_t now);

/* stop.c */
void sup_stop_begin(struct sup *s, int exit_code, const char *why);
void sup_stop_check(struct sup *s, int64_t now);
void sup_quit(struct sup *s);
void sup_term_child(struct sup_child *c, int64_t deadline_ms);

#endif
