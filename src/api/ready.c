/*
 * ready — GET /ready: 200 when this process can reach MongoDB and Redis,
 * else 503 naming what is down (for load balancers and Kubernetes
 * readiness probes).  Both checks are bounded by the configured timeouts;
 * while MongoDB is known to be down the store fails at once (store.c).
 */
#include <unistd.h>

#include "api/api_int.h"

static int
redis_ok(struct rds *r)
{
	redisReply *rep = rds_command(r, "PING");
	int ok = rep != NULL && rep->type == REDIS_REPLY_STATUS;

	freeReplyObject(rep);
	return ok;
}

void
api_ready(struct api_req *q)
{
	char err[256];
	int mongo = mdb_ping(q->mdb, err, sizeof(err)) == 0;
	int redis = redis_ok(q->redis);
	cJSON *body = cJSON_CreateObject(), *c = cJSON_AddObjectToObject(body, "checks");

	cJSON_AddStringToObject(c, "mongodb", mongo ? "ok" : "unavailable");
	cJSON_AddStringToObject(c, "redis", redis ? "ok" : "unavailable");
	cJSON_AddStringToObject(body, "status", mongo && redis ? "ready" : "not_ready");
	if (!(mongo && redis))
		api_set_header(q, "Retry-After", API_RETRY_AFTER_S);
	api_reply_json(q, mongo && redis ? 200 : 503, body);
}
