/*
 * simapi — the admin endpoints under /_sim/ (never under /api or /apis, so
 * no Kubernetes client can reach them by accident):
 *
 *   GET    /_sim/info              URL, resourceVersion, object and watcher counts
 *   POST   /_sim/reset             back to the start state (objects, faults, counters)
 *   GET    /_sim/faults            the fault rules
 *   POST   /_sim/faults            add a rule (JSON; see dbaasd-kubesim(1)) -> {"id":N}
 *   DELETE /_sim/faults[/ID]       remove one rule, or all
 *   GET    /_sim/counters          requests per verb/resource/code
 *   DELETE /_sim/counters          zero them
 *   GET    /_sim/requests?since=N  the request log (time, verb, resource, code)
 *   POST   /_sim/compact           compact now: older continue tokens expire
 *   GET    /_sim/config            the operator delays and intervals
 *   PATCH  /_sim/config            change them at run time
 *
 * When tokens are configured these need a read-write token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "kubesim/auth.h"
#include "kubesim/faults.h"
#include "kubesim/http.h"
#include "kubesim/jsonx.h"
#include "kubesim/operator.h"
#include "kubesim/reply.h"
#include "kubesim/store.h"
#include "kubesim/watch.h"

static void
reply_plain_json(struct ksim_req *req, int code, cJSON *doc)
{
	char *s = doc != NULL ? cJSON_PrintUnformatted(doc) : NULL;

	if (s == NULL)
		ksim_req_reply(req, 500, "application/json", "{\"error\":\"out of memory\"}", 25, NULL);
	else
		ksim_req_reply(req, code, "application/json", s, strlen(s), NULL);
	cJSON_free(s);
	cJSON_Delete(doc);
}

static void
reply_err(struct ksim_req *req, int code, const char *msg)
{
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddStringToObject(doc, "error", msg);
	reply_plain_json(req, code, doc);
}

/* The request body as JSON (NULL with a 400 sent); an empty body is {}. */
static cJSON *
body_json(struct ksim_req *req)
{
	size_t len;
	const char *b = ksim_req_body(req, &len);
	struct jerr e;
	cJSON *doc;
	char msg[400];

	if (len == 0)
		return cJSON_CreateObject();
	if ((doc = json_parse_strict(b, len, 16, &e)) == NULL) {
		snprintf(msg, sizeof(msg), "invalid JSON body: %s", e.msg);
		reply_err(req, 400, msg);
		return NULL;
	}
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		reply_err(req, 400, "the body must be a JSON object");
		return NULL;
	}
	return doc;
}

static void
info(struct ksim_sim *sim, struct ksim_req *req)
{
	cJSON *doc = cJSON_CreateObject(), *objs;

	cJSON_AddStringToObject(doc, "url", sim->url);
	cJSON_AddNumberToObject(doc, "resourceVersion", (double)ksim_store_rv(sim->store));
	cJSON_AddNumberToObject(doc, "compactedResourceVersion", (double)ksim_store_compacted_rv(sim->store));
	cJSON_AddNumberToObject(doc, "watchers", (double)ksim_hub_count(sim->hub));
	objs = cJSON_AddObjectToObject(doc, "objects");
	for (int i = 0; i < KSIM_NRES; i++)
		cJSON_AddNumberToObject(objs, ksim_res_table[i].plural,
		    (double)ksim_store_count(sim->store, &ksim_res_table[i]));
	reply_plain_json(req, 200, doc);
}

static int
flag(const cJSON *doc, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);

	return v == NULL || cJSON_IsTrue(v);
}

static void
reset(struct ksim_sim *sim, struct ksim_req *req)
{
	cJSON *doc = body_json(req);

	if (doc == NULL)
		return;
	if (flag(doc, "faults")) {
		ksim_faults_clear(sim->faults);
		ksim_operator_kick_all(sim->op);
	}
	if (flag(doc, "counters"))
		ksim_faults_reset_counters(sim->faults);
	if (flag(doc, "objects"))
		ksim_sim_reset_objects(sim);
	cJSON_Delete(doc);
	info(sim, req);
}

static void
faults(struct ksim_sim *sim, struct ksim_req *req, const char *method, const char *rest)
{
	char err[512];
	cJSON *doc;
	int id;

	if (strcmp(method, "GET") == 0 && rest[0] == '\0') {
		reply_plain_json(req, 200, ksim_faults_json(sim->faults));
	} else if (strcmp(method, "POST") == 0 && rest[0] == '\0') {
		if ((doc = body_json(req)) == NULL)
			return;
		id = ksim_faults_add(sim->faults, doc, err, sizeof(err));
		cJSON_Delete(doc);
		if (id < 0) {
			reply_err(req, 422, err);
			return;
		}
		ksim_operator_kick_all(sim->op);
		doc = cJSON_CreateObject();
		cJSON_AddNumberToObject(doc, "id", id);
		reply_plain_json(req, 201, doc);
	} else if (strcmp(method, "DELETE") == 0 && rest[0] == '\0') {
		ksim_faults_clear(sim->faults);
		ksim_operator_kick_all(sim->op);
		reply_plain_json(req, 200, cJSON_CreateObject());
	} else if (strcmp(method, "DELETE") == 0 && rest[0] == '/') {
		if (ksim_faults_remove(sim->faults, atoi(rest + 1)) < 0) {
			reply_err(req, 404, "no such fault");
			return;
		}
		ksim_operator_kick_all(sim->op);
		reply_plain_json(req, 200, cJSON_CreateObject());
	} else {
		reply_err(req, 405, "method not allowed");
	}
}

static cJSON *
config_json(const struct ksim_conf *c)
{
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddNumberToObject(doc, "provision_delay_ms", c->provision_ms);
	cJSON_AddNumberToObject(doc, "ops_delay_ms", c->ops_ms);
	cJSON_AddNumberToObject(doc, "delete_delay_ms", c->delete_ms);
	cJSON_AddNumberToObject(doc, "halt_delay_ms", c->halt_ms);
	cJSON_AddNumberToObject(doc, "bookmark_interval_s", c->bookmark_s);
	cJSON_AddNumberToObject(doc, "rv_wait_ms", c->rv_wait_ms);
	cJSON_AddBoolToObject(doc, "operator", c->operator_on);
	return doc;
}

static void
config(struct ksim_sim *sim, struct ksim_req *req, const char *method)
{
	static const char *const keys[] = { "provision_delay_ms", "ops_delay_ms", "delete_delay_ms",
		"halt_delay_ms", "bookmark_interval_s", "rv_wait_ms", "operator", NULL };
	struct ksim_conf *c = sim->conf;
	int *fields[] = { &c->provision_ms, &c->ops_ms, &c->delete_ms, &c->halt_ms, &c->bookmark_s,
		&c->rv_wait_ms };
	int64_t vals[6];
	int on = c->operator_on;
	struct jerr e;
	cJSON *doc;

	if (strcmp(method, "GET") == 0) {
		reply_plain_json(req, 200, config_json(c));
		return;
	}
	if (strcmp(method, "PATCH") != 0 && strcmp(method, "PUT") != 0) {
		reply_err(req, 405, "method not allowed");
		return;
	}
	if ((doc = body_json(req)) == NULL)
		return;
	if (json_check_keys(doc, "", keys, &e) < 0) {
		cJSON_Delete(doc);
		reply_err(req, 422, e.msg);
		return;
	}
	if (json_get_bool(doc, "", "operator", JSON_OPTIONAL, &on, &e) < 0) {
		cJSON_Delete(doc);
		reply_err(req, 422, "operator: must be true or false");
		return;
	}
	for (size_t i = 0; i < 6; i++) {
		vals[i] = *fields[i];
		if (json_get_i64(doc, "", keys[i], JSON_OPTIONAL, i == 4 ? 1 : 0, 3600 * 1000, &vals[i], &e) < 0) {
			char msg[512];

			snprintf(msg, sizeof(msg), "%s: %s", e.field, e.msg);
			cJSON_Delete(doc);
			reply_err(req, 422, msg);
			return;
		}
	}
	for (size_t i = 0; i < 6; i++)
		*fields[i] = (int)vals[i];
	if (on != c->operator_on) {
		c->operator_on = on;
		if (on)
			ksim_operator_kick_all(sim->op);
	}
	cJSON_Delete(doc);
	reply_plain_json(req, 200, config_json(c));
}

static void
route(struct ksim_sim *sim, struct ksim_req *req, const char *method, const char *path)
{
	if (strcmp(path, "/_sim/info") == 0 && strcmp(method, "GET") == 0) {
		info(sim, req);
	} else if (strcmp(path, "/_sim/reset") == 0 && strcmp(method, "POST") == 0) {
		reset(sim, req);
	} else if (strncmp(path, "/_sim/faults", 12) == 0) {
		faults(sim, req, method, path + 12);
	} else if (strcmp(path, "/_sim/counters") == 0 && strcmp(method, "GET") == 0) {
		reply_plain_json(req, 200, ksim_faults_counters_json(sim->faults));
	} else if (strcmp(path, "/_sim/counters") == 0 && strcmp(method, "DELETE") == 0) {
		ksim_faults_reset_counters(sim->faults);
		reply_plain_json(req, 200, ksim_faults_counters_json(sim->faults));
	} else if (strcmp(path, "/_sim/requests") == 0 && strcmp(method, "GET") == 0) {
		const char *since = ksim_req_query(req, "since");

		reply_plain_json(req, 200, ksim_faults_log_json(sim->faults,
		    since != NULL ? strtoull(since, NULL, 10) : 0));
	} else if (strcmp(path, "/_sim/compact") == 0 && strcmp(method, "POST") == 0) {
		ksim_store_compact(sim->store, ksim_store_rv(sim->store));
		info(sim, req);
	} else if (strcmp(path, "/_sim/config") == 0) {
		config(sim, req, method);
	} else {
		reply_err(req, 404, "no such admin endpoint");
	}
}

void
ksim_simapi(struct ksim_sim *sim, struct ksim_req *req, const char *path)
{
	const struct ksim_token *user;
	const char *method = ksim_req_method(req);

	if (ksim_auth_identify(sim->conf, ksim_req_header(req, "Authorization"), &user) != 0 ||
	    user == &ksim_anonymous) {
		reply_err(req, 401, "Unauthorized");
		return;
	}
	if (!ksim_auth_allowed(user, KSIM_V_CREATE)) {
		reply_err(req, 403, "the admin endpoints need a read-write token");
		return;
	}
	route(sim, req, method, path);
}
