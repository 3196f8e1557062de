/*
 * reconciler — the reconciler role.
 *
 * One reconciler is active across all hosts: every instance competes for the
 * leader lease (lease.c) and the standbys keep trying every
 * reconciler.lease_renew_ms.  The leader's heartbeat says so, which is how
 * /health names it.  Observing clusters, detecting drift and planning
 * operations run on the leader (see the reconciler issue); this file owns
 * the role's lifecycle: start, lease, heartbeat, and a graceful stop that
 * releases the lease so a standby takes over at once instead of after the
 * TTL.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/rnd.h"
#include "reconciler/lease.h"
#include "reconciler/reconciler.h"

struct rec {
	struct role *role;
	struct rec_lease lease;
};

static void
rec_heartbeat(struct role *r, cJSON *hb)
{
	struct rec *rc = r->data;

	cJSON_AddBoolToObject(hb, "leader", rc->lease.leader);
	if (rc->lease.leader)
		cJSON_AddNumberToObject(hb, "fence", (double)rc->lease.fence);
}

static void
on_leadership(struct rec_lease *l, int leader, void *arg)
{
	(void)l;
	(void)arg;
	log_info("reconciler_mode", "mode=%s", leader ? "leader" : "standby");
}

static void
released(void *arg)
{
	struct rec *rc = arg;

	role_exit_loop(rc->role, ROLE_EXIT_OK);
}

static void
rec_on_stop(struct role *r)
{
	struct rec *rc = r->data;

	rec_lease_release(&rc->lease, released, rc);
}

int
rec_main(struct role *r)
{
	struct rec *rc = calloc(1, sizeof(*rc));
	char key[160], token[400];
	int code = ROLE_EXIT_ERROR;

	if (rc == NULL)
		return code;
	rc->role = r;
	r->data = rc;
	rds_key(&r->redis.p, key, sizeof(key), "leader:reconciler");
	snprintf(token, sizeof(token), "%s:%ld:%016llx", r->host, (long)getpid(),
	    (unsigned long long)rnd_u64());
	if (rec_lease_start(&rc->lease, r->base, &r->redis, key, token,
	    r->cfg->reconciler.lease_ttl_ms, r->cfg->reconciler.lease_renew_ms, on_leadership,
	    rc) == 0) {
		r->on_stop = rec_on_stop;
		r->on_heartbeat = rec_heartbeat;
		role_ready(r);
		code = role_dispatch(r);
	}
	role_quiesce(r);
	rec_lease_stop(&rc->lease);
	free(rc);
	r->data = NULL;
	r->on_heartbeat = NULL;
	return code;
}
