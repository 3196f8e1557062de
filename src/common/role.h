/*
 * role — the runtime every role process (api, reconciler, worker) runs on.
 *
 * The contract with the supervisor: a role gets the parsed configuration and
 * a socket to the supervisor; it says READY once its event loop runs, sends a
 * heartbeat every supervisor.heartbeat_interval_ms from that same loop (so a
 * role stuck in a call stops heartbeating and gets killed after
 * supervisor.hang_timeout_s), and on SIGTERM (or when the supervisor goes
 * away) stops gracefully: it stops taking work, finishes or hands back what
 * it has, and returns 0 within its budget.  The same heartbeat is written to
 * Redis so /health can summarise every process of every host.
 *
 * Run alone (`dbaasd --role worker`), the supervisor socket is absent and
 * everything else is the same.
 */
#ifndef DBAAS_ROLE_H
#define DBAAS_ROLE_H

#include <stdint.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "common/config.h"
#include "common/rds.h"

struct role;
typedef int role_main_fn(struct role *r);
typedef void role_hook_fn(struct role *r);
typedef void role_hb_fn(struct role *r, cJSON *hb);

struct role {
	const char *name;		/* "api", "reconciler", "worker" */
	int instance;			/* 0..N-1 within its role */
	unsigned generation;		/* bumped by the supervisor on each roll */
	const struct cfg *cfg;		/* immutable for the life of the process */
	int sup_fd;			/* socket to the supervisor, -1 when alone */
	int listen_fd;			/* api: inherited listening socket, else -1 */
	char host[256];
	int64_t started_ms;		/* wall clock, for the heartbeat */
	struct event_base *base;
	struct rds_async redis;		/* shared async connection */
	int stopping;			/* a graceful stop was requested */
	int exit_code;
	role_hook_fn *on_stop;		/* called once when stopping begins */
	role_hb_fn *on_heartbeat;	/* adds role fields to the heartbeat */
	void *data;			/* the role's own state */
	struct event *ev_sup, *ev_hb, *ev_term, *ev_int, *ev_hup;
};

/* Exit codes of a role process. */
enum {
	ROLE_EXIT_OK = 0,
	ROLE_EXIT_ERROR = 1,
	ROLE_EXIT_FATAL_CONFIG = CFG_EXIT_FATAL,
};

/*
 * Build the runtime: event base, signal events, supervisor socket, heartbeat
 * timer, Redis connection.  Returns 0 or -1 (logged).
 */
int role_init(struct role *r, const char *name, int instance, unsigned generation,
    const struct cfg *cfg, int sup_fd, int listen_fd);
/* Tell the supervisor the role is up (once). */
void role_ready(struct role *r);
/* Run the event loop until role_exit_loop(); returns r->exit_code. */
int role_dispatch(struct role *r);
/* Begin a graceful stop (as SIGTERM does). */
void role_stop(struct role *r);
/* Leave the event loop with CODE. */
void role_exit_loop(struct role *r, int code);
/*
 * Stop the shared Redis connection; pending callbacks run (with NULL) now.
 * A role calls it before freeing the state its callbacks use.
 */
void role_quiesce(struct role *r);
/* Remove this process's heartbeat from Redis and free everything. */
void role_cleanup(struct role *r);

#endif
