/*
 * spawn — fork a role process and set up its side.
 *
 * The child inherits every descriptor of the supervisor; it closes what is
 * not its own (the other children's sockets, the API socket unless it is an
 * API process) so that end-of-file on a child's socket really means that
 * child is gone.  It restores default signal handling, asks the kernel for
 * SIGTERM if the supervisor dies, and runs the role on its own event loop.
 * No MongoDB, Redis or curl handle exists in the supervisor, so none can
 * leak across the fork.
 */
#include <errno.h>
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
#include "supervisor/sup.h"
#include "supervisor/supervisor.h"

int
sup_role_body(enum sup_role_id id, int instance, unsigned generation,
    const struct cfg *cfg, int sup_fd, int listen_fd)
{
	const struct sup_role *def = &sup_roles[id];
	struct role r;
	int code;

	if (id == SUP_ROLE_RECONCILER)
		pt_set("dbaasd: %s", def->name);
	else
		pt_set("dbaasd: %s %d", def->name, instance);
	log_set_role(def->name);
	if (role_init(&r, def->name, instance, generation, cfg, sup_fd, listen_fd) != 0)
		return ROLE_EXIT_ERROR;
	code = def->main(&r);
	role_cleanup(&r);
	log_info("role_exited", "role=%s instance=%d code=%d", def->name, instance, code);
	return code;
}

static void
child_close_inherited(struct sup *s, struct sup_child *self, int parent_end)
{
	close(parent_end);
	for (size_t i = 0; i < s->nchildren; i++)
		if (&s->children[i] != self && s->children[i].fd >= 0)
			close(s->children[i].fd);
	if (!sup_roles[self->role].uses_listen && s->listen_fd >= 0)
		close(s->listen_fd);
}

static void
child_main(struct sup *s, struct sup_child *c, int parent_end, int child_end, pid_t parent)
{
	int code;

	sup_signals_reset_child();
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(ROLE_EXIT_ERROR);	/* the supervisor died before we set PDEATHSIG */
	child_close_inherited(s, c, parent_end);
	code = sup_role_body(c->role, c->instance, c->generation, s->cfg, child_end,
	    sup_roles[c->role].uses_listen ? s->listen_fd : -1);
	exit(code);
}

int
sup_spawn(struct sup *s, struct sup_child *c)
{
	int sv[2];
	pid_t pid, parent = getpid();

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		log_warn("socketpair_failed", "role=%s", sup_roles[c->role].name);
		return -1;
	}
	pid = fork();
	if (pid == -1) {
		log_warn("fork_failed", "role=%s instance=%d", sup_roles[c->role].name, c->instance);
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0)
		child_main(s, c, sv[0], sv[1], parent);
	close(sv[1]);
	c->pid = pid;
	c->fd = sv[0];
	c->ready = 0;
	c->stopping = 0;
	c->restart_at_ms = 0;
	c->started_ms = c->last_hb_ms = clk_mono_ms();
	log_info("role_spawned", "role=%s instance=%d generation=%u child=%ld",
	    sup_roles[c->role].name, c->instance, c->generation, (long)pid);
	return 0;
}

int
sup_run_role(const char *name, struct cfg *cfg)
{
	char err[256];
	int fd = -1, code;

	for (int id = 0; id < SUP_NROLES; id++) {
		if (strcmp(sup_roles[id].name, name) != 0)
			continue;
		if (sup_roles[id].uses_listen) {
			fd = net_listen(cfg->api.listen, cfg->api.backlog, err, sizeof(err));
			if (fd < 0) {
				log_error("listen_failed", "error=%s", err);
				cfg_free(cfg);
				return ROLE_EXIT_ERROR;
			}
		}
		code = sup_role_body((enum sup_role_id)id, 0, 0, cfg, -1, fd);
		if (fd >= 0)
			close(fd);
		cfg_free(cfg);
		return code;
	}
	fprintf(stderr, "dbaasd: unknown role \"%s\" (api, reconciler or worker)\n", name);
	cfg_free(cfg);
	return 2;
}
