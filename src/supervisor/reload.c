/*
 * reload — SIGHUP.
 *
 * The new file is parsed and validated first; if anything is wrong the exact
 * error is logged and nothing changes (no child restarts).  A valid file is
 * applied role by role from the process table:
 *   - API: a new generation starts on the same listening socket (or a new
 *     one if the address changed); the old generation is told to drain only
 *     once every new process is ready, so no request is refused or failed.
 *   - a role whose configuration sections changed is rolled the same way
 *     (old processes drain while new ones start);
 *   - otherwise only the count changes: new instances start, surplus ones
 *     drain (stop taking work, finish or hand back what they hold, exit).
 *   - logging (level, file) is applied live in every process.
 * systemd sees RELOADING=1 ... READY=1 around it, and `dbaasd --reload`
 * callers get the outcome.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/net.h"
#include "common/sdnotify.h"
#include "supervisor/sup.h"

#define RELOAD_TIMEOUT_MS 30000

static void
reload_finish(struct sup *s, int ok)
{
	s->reloading = 0;
	sdn_send("READY=1");
	sup_answer_waiters(s, ok);
	log_info("reload_done", "ok=%s", ok ? "true" : "false");
}

static void
log_errors(const char *errs)
{
	char line[1024];
	const char *p = errs;

	while (*p != '\0') {
		size_t n = strcspn(p, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		log_error("reload_rejected", "error=%s", line);
		p += n;
		if (*p == '\n')
			p++;
	}
}

/* The lowest instance number no live, non-retiring child of ROLE uses. */
static int
free_instance(const struct sup *s, enum sup_role_id role)
{
	for (int inst = 0;; inst++) {
		size_t i;
		for (i = 0; i < s->nchildren; i++) {
			const struct sup_child *c = &s->children[i];
			if (c->role == role && !c->retiring && c->instance == inst)
				break;
		}
		if (i == s->nchildren)
			return inst;
	}
}

static void
retire(struct sup *s, struct sup_child *c, int signal_now)
{
	const struct sup_role *def = &sup_roles[c->role];

	c->retiring = 1;
	c->restart_at_ms = 0;
	if (c->pid == 0) {
		sup_child_remove(s, c);
		return;
	}
	if (signal_now)
		sup_term_child(c, clk_mono_ms() +
		    ((int64_t)def->drain_s(s->cfg) + def->drain_s_extra) * 1000);
}

static void
spawn_new(struct sup *s, enum sup_role_id role)
{
	struct sup_child *c = sup_child_add(s, role, free_instance(s, role));

	if (c != NULL && sup_spawn(s, c) != 0)
		sup_schedule_restart(s, c);
}

static void
apply_role(struct sup *s, enum sup_role_id role, const struct cfg *old)
{
	const struct sup_role *def = &sup_roles[role];
	int want = def->count(s->cfg), have;

	if (def->roll_on_reload || sup_role_changed(role, old, s->cfg)) {
		s->generation[role]++;
		/* The API's old generation keeps serving until the new one is ready. */
		for (size_t i = s->nchildren; i-- > 0;)
			if (s->children[i].role == role && !s->children[i].retiring)
				retire(s, &s->children[i], !def->roll_on_reload);
		for (int i = 0; i < want; i++)
			spawn_new(s, role);
		return;
	}
	have = sup_live_count(s, role);
	for (; have < want; have++)
		spawn_new(s, role);
	/* Scale down from the highest instance numbers. */
	while (have > want) {
		struct sup_child *top = NULL;
		for (size_t i = 0; i < s->nchildren; i++) {
			struct sup_child *c = &s->children[i];
			if (c->role == role && !c->retiring && (top == NULL || c->instance > top->instance))
				top = c;
		}
		if (top == NULL)
			break;
		retire(s, top, 1);
		have--;
	}
}

static int
reopen_listener(struct sup *s, const struct cfg *new)
{
	char err[256];
	int fd;

	if (strcmp(new->api.listen, s->cfg->api.listen) == 0)
		return 0;
	fd = net_listen(new->api.listen, new->api.backlog, err, sizeof(err));
	if (fd < 0) {
		log_error("reload_rejected", "error=%s", err);
		return -1;
	}
	log_info("listen_moved", "from=%s to=%s", s->cfg->api.listen, new->api.listen);
	close(s->listen_fd);	/* the old API processes keep their own copies */
	s->listen_fd = fd;
	return 0;
}

static void
apply_logging(struct sup *s)
{
	const struct cfg *c = s->cfg;
	char msg[4400];

	log_set_level(c->log.level);
	if (log_open(c->log.file) != 0)
		log_warn("log_reopen_failed", "file=%s", c->log.file);
	snprintf(msg, sizeof(msg), "LOG %s %s", c->log.level_name,
	    c->log.file[0] != '\0' ? c->log.file : "-");
	sup_broadcast(s, msg);
}

void
sup_reload(struct sup *s)
{
	char err[8192], msg[64];
	struct cfg *new, *old;

	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%lld", (long long)clk_mono_us());
	sdn_send(msg);
	log_info("reload_started", "config=%s", s->cfg->path);
	new = cfg_load(s->cfg->path, err, sizeof(err));
	if (new == NULL) {
		log_errors(err);
		reload_finish(s, 0);
		return;
	}
	if (reopen_listener(s, new) != 0) {
		cfg_free(new);
		reload_finish(s, 0);
		return;
	}
	old = s->cfg;
	s->cfg = new;
	apply_logging(s);
	for (int role = 0; role < SUP_NROLES; role++)
		apply_role(s, (enum sup_role_id)role, old);
	cfg_free(old);
	s->reloading = 1;
	s->reload_deadline_ms = clk_mono_ms() + RELOAD_TIMEOUT_MS;
}

/* The new API generation never came up: keep the old one serving instead. */
static void
revert_api(struct sup *s)
{
	for (size_t i = s->nchildren; i-- > 0;) {
		struct sup_child *c = &s->children[i];
		if (c->role != SUP_ROLE_API)
			continue;
		if (c->retiring && !c->stopping)
			c->retiring = 0;
		else if (!c->retiring && c->generation == s->generation[SUP_ROLE_API])
			retire(s, c, 1);
	}
}

void
sup_reload_check(struct sup *s, int64_t now)
{
	int api_ready;

	if (!s->reloading)
		return;
	if (!sup_all_ready(s, SUP_ROLE_ALL) && now < s->reload_deadline_ms)
		return;
	api_ready = sup_all_ready(s, SUP_ROLE_API);
	if (!api_ready) {
		log_warnx("reload_timeout", "what=%s", "new API processes not ready; keeping the old ones");
		revert_api(s);
	}
	for (size_t i = s->nchildren; i-- > 0;) {
		struct sup_child *c = &s->children[i];
		if (c->role == SUP_ROLE_API && c->retiring && !c->stopping)
			retire(s, c, 1);
	}
	reload_finish(s, api_ready && sup_all_ready(s, SUP_ROLE_ALL));
}
