/*
 * health — GET /health: this process is alive (always 200 while it can
 * answer), plus a summary of every dbaasd process from the heartbeats they
 * write to Redis (roles, busy worker slots, reconciler).  Heartbeats are
 * outside input: a malformed one is skipped, a stale one is not counted,
 * and very old ones (processes that died without cleaning up) are deleted.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api_int.h"
#include "common/clock.h"
#include "common/heartbeat.h"
#include "common/json.h"
#include "common/log.h"

#define FORGET_MAX 64	/* stale heartbeats dropped per /health */

#define HB_FORGET_MS (10 * 60 * 1000)	/* delete heartbeats silent this long */

struct summary {
	int api, reconciler, workers, busy, total;
	const char *leader;
	char leader_buf[256];
	char last_cycle[64];
};

static void
count_one(struct summary *sm, const cJSON *hb)
{
	const char *role, *s;
	int64_t v;
	int b;

	if (json_get_str(hb, "", "role", JSON_REQUIRED, &role, NULL) != 0)
		return;
	if (json_get_bool(hb, "", "stopping", JSON_OPTIONAL, &b, NULL) == 0 && b)
		return;
	if (strcmp(role, "api") == 0) {
		sm->api++;
	} else if (strcmp(role, "worker") == 0) {
		sm->workers++;
		if (json_get_i64(hb, "", "busy_slots", 0, 0, 1 << 16, &v, NULL) == 0)
			sm->busy += (int)v;
		if (json_get_i64(hb, "", "total_slots", 0, 0, 1 << 16, &v, NULL) == 0)
			sm->total += (int)v;
	} else if (strcmp(role, "reconciler") == 0) {
		sm->reconciler++;
		if (json_get_bool(hb, "", "leader", 0, &b, NULL) == 0 && b &&
		    json_get_str(hb, "", "host", 0, &s, NULL) == 0) {
			snprintf(sm->leader_buf, sizeof(sm->leader_buf), "%s", s);
			sm->leader = sm->leader_buf;
		}
		if (json_get_str(hb, "", "last_cycle_at", 0, &s, NULL) == 0)
			snprintf(sm->last_cycle, sizeof(sm->last_cycle), "%s", s);
	}
}

/* Walk HGETALL's field/value pairs; returns fields to forget in FORGET. */
static void
summarise(const struct api *a, const redisReply *rep, struct summary *sm, const char **forget,
    size_t *nforget)
{
	int64_t now = clk_wall_ms(), stale = hb_stale_ms(a->cfg), at;

	for (size_t i = 0; i + 1 < rep->elements; i += 2) {
		const redisReply *f = rep->element[i], *v = rep->element[i + 1];
		cJSON *hb;

		if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
			continue;
		hb = json_parse_strict(v->str, v->len, 4, NULL);
		if (hb == NULL || json_get_i64(hb, "", "at_ms", 1, 0, INT64_MAX / 2, &at, NULL) != 0) {
			log_debug("heartbeat_malformed", "field=%s", f->str);
		} else if (now - at > HB_FORGET_MS && *nforget < FORGET_MAX) {
			forget[(*nforget)++] = f->str;
		} else if (now - at <= stale) {
			count_one(sm, hb);
		}
		cJSON_Delete(hb);
	}
}

static cJSON *
components(const struct api *a, const struct summary *sm)
{
	cJSON *c = cJSON_CreateObject(), *o;

	o = cJSON_AddObjectToObject(c, "api");
	cJSON_AddNumberToObject(o, "running", sm->api);
	o = cJSON_AddObjectToObject(c, "workers");
	cJSON_AddNumberToObject(o, "running", sm->workers);
	cJSON_AddNumberToObject(o, "busy_slots", sm->busy);
	cJSON_AddNumberToObject(o, "total_slots", sm->total);
	o = cJSON_AddObjectToObject(c, "reconciler");
	cJSON_AddNumberToObject(o, "running", sm->reconciler);
	if (sm->leader != NULL)
		cJSON_AddStringToObject(o, "leader", sm->leader);
	else
		cJSON_AddNullToObject(o, "leader");
	if (sm->last_cycle[0] != '\0')
		cJSON_AddStringToObject(o, "last_cycle_at", sm->last_cycle);
	else
		cJSON_AddNullToObject(o, "last_cycle_at");
	cJSON_AddBoolToObject(o, "healthy", sm->reconciler > 0 || !a->cfg->reconciler.enabled);
	return c;
}

/* Drop the heartbeats of processes that are gone: one HDEL for all of them. */
static void
forget_stale(struct rds *r, const char *key, const char **fields, size_t n)
{
	const char *argv[2 + FORGET_MAX];

	if (n == 0 || n > FORGET_MAX)
		return;
	argv[0] = "HDEL";
	argv[1] = key;
	memcpy(argv + 2, fields, n * sizeof(*fields));
	freeReplyObject(rds_commandargv(r, 2 + (int)n, argv, NULL));
}

void
api_health(struct api_req *q)
{
	const struct api *a = q->api;
	struct summary sm;
	const char *forget[FORGET_MAX];
	size_t nforget = 0;
	char key[160];
	redisReply *rep;
	cJSON *body = cJSON_CreateObject(), *comp;
	int ok;

	memset(&sm, 0, sizeof(sm));
	hb_key(&q->redis->p, key, sizeof(key));
	rep = rds_command(q->redis, "HGETALL %s", key);
	ok = rep != NULL && rep->type == REDIS_REPLY_ARRAY;
	if (ok)
		summarise(a, rep, &sm, forget, &nforget);
	forget_stale(q->redis, key, forget, nforget);
	comp = components(a, &sm);
	ok = ok && sm.api > 0 && sm.workers > 0 && (sm.reconciler > 0 || !a->cfg->reconciler.enabled);
	cJSON_AddStringToObject(body, "status", ok ? "healthy" : "degraded");
	cJSON_AddNumberToObject(body, "pid", (double)getpid());
	cJSON_AddItemToObject(body, "components", comp);
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY)
		cJSON_AddStringToObject(body, "redis", "unavailable");
	freeReplyObject(rep);
	api_reply_json(q, 200, body);
}
