/*
 * supervisor — dbaasd's main process.
 *
 * It connects to nothing (no MongoDB, no Redis): it validates the config,
 * opens the API listening socket, forks the roles of the process table,
 * reaps and restarts them, watches their heartbeats, and turns signals into
 * reloads and stops.  Its loop is ppoll() over the children's sockets with
 * signals unblocked only while sleeping; every 100 ms tick re-checks the
 * deadlines (restarts due, hung roles, stop timeouts, reload progress,
 * systemd watchdog).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/net.h"
#include "common/proctitle.h"
#include "common/sdnotify.h"
#include "supervisor/sup.h"
#include "supervisor/supervisor.h"

#define TICK_MS 100
#define RESTARTS_CAP 10001	/* supervisor.restart_intensity is at most 10000 */

struct sup_child *
sup_child_add(struct sup *s, enum sup_role_id role, int instance)
{
	struct sup_child *c;

	if (s->nchildren == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct sup_child *n = realloc(s->children, cap * sizeof(*n));
		if (n == NULL) {
			log_warn("out_of_memory", "what=%s", "child table");
			return NULL;
		}
		s->children = n;
		s->cap = cap;
	}
	c = &s->children[s->nchildren++];
	memset(c, 0, sizeof(*c));
	c->role = role;
	c->instance = instance;
	c->generation = s->generation[role];
	c->fd = -1;
	c->down_since_ms = clk_mono_ms();
	bo_init(&c->bo, s->cfg->supervisor.restart_initial_ms, s->cfg->supervisor.restart_max_ms, 0);
	return c;
}

void
sup_child_remove(struct sup *s, struct sup_child *c)
{
	size_t i = (size_t)(c - s->children);

	if (c->fd >= 0)
		close(c->fd);
	memmove(c, c + 1, (s->nchildren - i - 1) * sizeof(*c));
	s->nchildren--;
}

int
sup_live_count(const struct sup *s, enum sup_role_id role)
{
	int n = 0;

	for (size_t i = 0; i < s->nchildren; i++)
		if (s->children[i].role == role && !s->children[i].retiring)
			n++;
	return n;
}

int
sup_all_ready(const struct sup *s, int role)
{
	for (size_t i = 0; i < s->nchildren; i++) {
		const struct sup_child *c = &s->children[i];
		if (c->retiring || (role != SUP_ROLE_ALL && (int)c->role != role))
			continue;
		/* A dead child keeps its ready flag until it is respawned. */
		if (c->pid == 0 || !c->ready)
			return 0;
	}
	return 1;
}

void
sup_broadcast(struct sup *s, const char *msg)
{
	for (size_t i = 0; i < s->nchildren; i++)
		if (s->children[i].fd >= 0)
			send(s->children[i].fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL);
}

void
sup_answer_waiters(struct sup *s, int ok)
{
	for (size_t i = 0; i < s->nwaiters; i++)
		kill(s->waiters[i], ok ? SIGUSR1 : SIGUSR2);
	s->nwaiters = 0;
}

static void
read_child(struct sup_child *c)
{
	char msg[128];
	ssize_t n;

	while ((n = recv(c->fd, msg, sizeof(msg) - 1, MSG_DONTWAIT)) >= 0) {
		if (n == 0) {
			/* The child closed its end (it is exiting): stop polling a socket
			 * that would stay readable forever; the reap follows via SIGCHLD. */
			close(c->fd);
			c->fd = -1;
			return;
		}
		msg[n] = '\0';
		c->last_hb_ms = clk_mono_ms();
		if (strcmp(msg, "READY") == 0 && !c->ready) {
			c->ready = 1;
			log_info("role_ready", "role=%s instance=%d child=%ld",
			    sup_roles[c->role].name, c->instance, (long)c->pid);
		}
	}
}

/* A role that stopped heartbeating is stuck in some call: kill it; it will be restarted. */
static void
check_hung(struct sup *s, int64_t now)
{
	int64_t limit = (int64_t)s->cfg->supervisor.hang_timeout_s * 1000;

	for (size_t i = 0; i < s->nchildren; i++) {
		struct sup_child *c = &s->children[i];
		if (c->pid == 0 || c->stopping || now - c->last_hb_ms <= limit)
			continue;
		log_error("role_hung", "role=%s instance=%d child=%ld silent_ms=%lld action=%s",
		    sup_roles[c->role].name, c->instance, (long)c->pid,
		    (long long)(now - c->last_hb_ms), "SIGKILL");
		kill(c->pid, SIGKILL);
		c->last_hb_ms = now;
	}
}

/* Every slot is running and heartbeating, or has been down only briefly. */
static int
healthy(const struct sup *s, int64_t now)
{
	int64_t beat = 2LL * s->cfg->supervisor.heartbeat_interval_ms + 500;
	int64_t down = (int64_t)s->cfg->supervisor.hang_timeout_s * 1000;

	for (size_t i = 0; i < s->nchildren; i++) {
		const struct sup_child *c = &s->children[i];
		if (c->retiring)
			continue;
		if (c->pid != 0 ? now - c->last_hb_ms > beat : now - c->down_since_ms > down)
			return 0;
	}
	return 1;
}

static void
check_ready_and_watchdog(struct sup *s, int64_t now)
{
	char msg[256];
	int api, rec, wrk;

	if (!s->ready_sent && !s->reloading && !s->stopping) {
		if (!sup_all_ready(s, SUP_ROLE_ALL))
			return;
		api = sup_live_count(s, SUP_ROLE_API);
		rec = sup_live_count(s, SUP_ROLE_RECONCILER);
		wrk = sup_live_count(s, SUP_ROLE_WORKER);
		snprintf(msg, sizeof(msg), "READY=1\nSTATUS=api %d, reconciler %d, workers %d\nMAINPID=%ld",
		    api, rec, wrk, (long)getpid());
		sdn_send(msg);
		s->ready_sent = 1;
		log_info("ready", "api=%d reconciler=%d workers=%d", api, rec, wrk);
	}
	if (s->watchdog_ms > 0 && now >= s->next_watchdog_ms) {
		s->next_watchdog_ms = now + s->watchdog_ms / 2;
		if (healthy(s, now))
			sdn_send("WATCHDOG=1");
	}
}

static void
handle_signals(struct sup *s)
{
	if (sup_sig_chld) {
		sup_sig_chld = 0;
		sup_reap(s);
	}
	if (sup_sig_quit) {
		sup_sig_quit = 0;
		sup_quit(s);
		return;
	}
	if (sup_sig_term || sup_sig_int) {
		int sig = sup_sig_term ? SIGTERM : SIGINT;
		sup_sig_term = sup_sig_int = 0;
		sup_stop_begin(s, 0, sig == SIGTERM ? "SIGTERM" : "SIGINT");
	}
	if (sup_sig_hup && !s->reloading) {
		sup_sig_hup = 0;
		sup_signals_collect_waiters(s);
		if (s->stopping)
			sup_answer_waiters(s, 0);
		else
			sup_reload(s);
	}
}

/* Sleep until the next tick, or sooner if a restart is due before it. */
static struct timespec
next_wakeup(const struct sup *s)
{
	int64_t now = clk_mono_ms(), wait = TICK_MS;
	struct timespec ts;

	for (size_t i = 0; i < s->nchildren; i++) {
		int64_t at = s->children[i].restart_at_ms;
		if (at > 0 && s->children[i].pid == 0 && at - now < wait)
			wait = at - now < 0 ? 0 : at - now;
	}
	ts.tv_sec = 0;
	ts.tv_nsec = (long)wait * 1000000L;
	return ts;
}

static void
wait_events(struct sup *s)
{
	struct pollfd *pfd = calloc(s->nchildren + 1, sizeof(*pfd));
	struct sup_child **who = calloc(s->nchildren + 1, sizeof(*who));
	struct timespec ts = next_wakeup(s);
	nfds_t n = 0;
	int rc;

	if (pfd == NULL || who == NULL) {
		free(pfd);
		free(who);
		ppoll(NULL, 0, &ts, sup_signals_wait_mask());
		return;
	}
	for (size_t i = 0; i < s->nchildren; i++) {
		if (s->children[i].fd < 0)
			continue;
		pfd[n].fd = s->children[i].fd;
		pfd[n].events = POLLIN;
		who[n++] = &s->children[i];
	}
	rc = ppoll(pfd, n, &ts, sup_signals_wait_mask());
	if (rc > 0)
		sup_signals_deliver();
	for (nfds_t i = 0; rc > 0 && i < n; i++)
		if (pfd[i].revents & (POLLIN | POLLHUP))
			read_child(who[i]);
	free(pfd);
	free(who);
}

static int
write_pidfile(const char *path)
{
	char buf[32];
	int fd, len;

	if (path[0] == '\0')
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1) {
		log_warn("pidfile_failed", "path=%s", path);
		return -1;
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)len) != len)
		log_warn("pidfile_failed", "path=%s", path);
	close(fd);
	return 0;
}

static void
remove_pidfile(const char *path)
{
	char buf[32] = "";
	FILE *fp;

	if (path[0] == '\0' || (fp = fopen(path, "r")) == NULL)
		return;
	if (fgets(buf, sizeof(buf), fp) != NULL && atol(buf) == (long)getpid())
		unlink(path);
	fclose(fp);
}

static int
sup_start(struct sup *s)
{
	char err[256];
	int is_pid1 = getpid() == 1;

	/* As PID 1 we reap orphans already; elsewhere ask the kernel to send them to us. */
	if (!is_pid1 && prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		log_warn("subreaper_failed", "%s", "");
	sdn_init();
	s->watchdog_ms = sdn_watchdog_usec() / 1000;
	sup_signals_install();
	s->listen_fd = net_listen(s->cfg->api.listen, s->cfg->api.backlog, err, sizeof(err));
	if (s->listen_fd < 0) {
		log_error("listen_failed", "error=%s", err);
		return -1;
	}
	s->restarts = calloc(RESTARTS_CAP, sizeof(*s->restarts));
	if (s->restarts == NULL)
		return -1;
	write_pidfile(s->cfg->supervisor.pidfile);
	log_info("started", "config=%s listen=%s port=%d pid1=%s", s->cfg->path, s->cfg->api.listen,
	    net_local_port(s->listen_fd), is_pid1 ? "yes" : "no");
	for (int role = 0; role < SUP_NROLES; role++) {
		int n = sup_roles[role].count(s->cfg);
		for (int i = 0; i < n; i++) {
			struct sup_child *c = sup_child_add(s, (enum sup_role_id)role, i);
			if (c != NULL && sup_spawn(s, c) != 0)
				sup_schedule_restart(s, c);
		}
	}
	return 0;
}

int
sup_main(struct cfg *cfg)
{
	struct sup s;
	int64_t now;

	memset(&s, 0, sizeof(s));
	s.cfg = cfg;
	s.listen_fd = -1;
	log_set_role("supervisor");
	pt_set("dbaasd: supervisor");
	if (sup_start(&s) != 0) {
		s.exit_code = 1;
		goto out;
	}
	while (!(s.stopping && s.nchildren == 0)) {
		wait_events(&s);
		handle_signals(&s);
		now = clk_mono_ms();
		if (!s.stopping) {
			sup_restarts_due(&s, now);
			check_hung(&s, now);
		}
		sup_stop_check(&s, now);
		sup_reload_check(&s, now);
		check_ready_and_watchdog(&s, now);
	}
	log_info("stopped", "exit_code=%d", s.exit_code);
out:
	remove_pidfile(s.cfg->supervisor.pidfile);
	if (s.listen_fd >= 0)
		close(s.listen_fd);
	free(s.children);
	free(s.restarts);
	cfg_free(s.cfg);
	return s.exit_code;
}
