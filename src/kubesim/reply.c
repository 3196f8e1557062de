/* reply — see reply.h. */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "kubesim/http.h"
#include "kubesim/jsonx.h"
#include "kubesim/reply.h"

void
ksim_reply_json(struct ksim_req *r, int code, const char *json, size_t len, const char *extra)
{
	const char *ua = ksim_req_header(r, "User-Agent");
	struct evbuffer *b;

	if (ua == NULL || strncmp(ua, "curl/", 5) != 0) {
		ksim_req_reply(r, code, "application/json", json, len, extra);
		return;
	}
	b = evbuffer_new();
	if (b == NULL || ksim_json_pretty(b, json, len) < 0) {
		if (b != NULL)
			evbuffer_free(b);
		ksim_req_reply(r, code, "application/json", json, len, extra);
		return;
	}
	evbuffer_add(b, "\n", 1);
	ksim_req_reply_buf(r, code, "application/json", b, extra);
	evbuffer_free(b);
}

void
ksim_reply_cjson(struct ksim_req *r, int code, const cJSON *item, const char *extra)
{
	size_t len;
	char *s = ksim_json_print(item, &len);

	if (s == NULL) {
		ksim_req_reply(r, 500, "text/plain", "out of memory\n", 14, NULL);
		return;
	}
	ksim_reply_json(r, code, s, len, extra);
	cJSON_free(s);
}

static cJSON *
details_json(const struct ksim_status *s)
{
	cJSON *d = cJSON_CreateObject();

	if (d == NULL)
		return NULL;
	if (s->name != NULL && s->name[0] != '\0')
		cJSON_AddStringToObject(d, "name", s->name);
	if (s->group != NULL && s->group[0] != '\0')
		cJSON_AddStringToObject(d, "group", s->group);
	if (s->kind != NULL)
		cJSON_AddStringToObject(d, "kind", s->kind);
	if (s->uid != NULL)
		cJSON_AddStringToObject(d, "uid", s->uid);
	if (s->ncauses > 0) {
		cJSON *arr = cJSON_AddArrayToObject(d, "causes");

		for (size_t i = 0; arr != NULL && i < s->ncauses; i++) {
			cJSON *c = cJSON_CreateObject();

			if (c == NULL)
				break;
			if (s->causes[i].reason != NULL)
				cJSON_AddStringToObject(c, "reason", s->causes[i].reason);
			if (s->causes[i].message != NULL)
				cJSON_AddStringToObject(c, "message", s->causes[i].message);
			if (s->causes[i].field != NULL)
				cJSON_AddStringToObject(c, "field", s->causes[i].field);
			cJSON_AddItemToArray(arr, c);
		}
	}
	if (s->retry_after > 0)
		cJSON_AddNumberToObject(d, "retryAfterSeconds", s->retry_after);
	return d;
}

cJSON *
ksim_status_json(const struct ksim_status *s)
{
	cJSON *st = cJSON_CreateObject(), *meta;

	if (st == NULL)
		return NULL;
	cJSON_AddStringToObject(st, "kind", "Status");
	cJSON_AddStringToObject(st, "apiVersion", "v1");
	meta = cJSON_AddObjectToObject(st, "metadata");
	if (meta != NULL && s->continue_tok != NULL)
		cJSON_AddStringToObject(meta, "continue", s->continue_tok);
	cJSON_AddStringToObject(st, "status", s->success ? "Success" : "Failure");
	if (s->message != NULL)
		cJSON_AddStringToObject(st, "message", s->message);
	if (s->reason != NULL)
		cJSON_AddStringToObject(st, "reason", s->reason);
	if (s->details || s->name != NULL || s->kind != NULL || s->ncauses > 0 || s->retry_after > 0)
		cJSON_AddItemToObject(st, "details", details_json(s));
	if (!s->success)
		cJSON_AddNumberToObject(st, "code", s->code);
	return st;
}

void
ksim_reply_status(struct ksim_req *r, const struct ksim_status *s)
{
	cJSON *st = ksim_status_json(s);
	char extra[64] = "";

	if (s->retry_after > 0)
		snprintf(extra, sizeof(extra), "Retry-After: %d\r\n", s->retry_after);
	if (st == NULL) {
		ksim_req_reply(r, 500, "text/plain", "out of memory\n", 14, NULL);
		return;
	}
	ksim_reply_cjson(r, s->success ? 200 : s->code, st, extra[0] != '\0' ? extra : NULL);
	cJSON_Delete(st);
}

void
ksim_reply_not_found(struct ksim_req *r, const struct ksim_res *res, const char *name)
{
	char q[128], msg[512];

	ksim_res_qualified(res, q, sizeof(q));
	snprintf(msg, sizeof(msg), "%s \"%s\" not found", q, name);
	ksim_reply_status(r, &(struct ksim_status){ .code = 404, .reason = "NotFound",
	    .message = msg, .name = name, .group = res->group, .kind = res->plural });
}

void
ksim_reply_exists(struct ksim_req *r, const struct ksim_res *res, const char *name)
{
	char q[128], msg[512];

	ksim_res_qualified(res, q, sizeof(q));
	snprintf(msg, sizeof(msg), "%s \"%s\" already exists", q, name);
	ksim_reply_status(r, &(struct ksim_status){ .code = 409, .reason = "AlreadyExists",
	    .message = msg, .name = name, .group = res->group, .kind = res->plural });
}

void
ksim_reply_conflict(struct ksim_req *r, const struct ksim_res *res, const char *name)
{
	char q[128], msg[640];

	ksim_res_qualified(res, q, sizeof(q));
	snprintf(msg, sizeof(msg), "Operation cannot be fulfilled on %s \"%s\": the object has been "
	    "modified; please apply your changes to the latest version and try again", q, name);
	ksim_reply_status(r, &(struct ksim_status){ .code = 409, .reason = "Conflict",
	    .message = msg, .name = name, .group = res->group, .kind = res->plural });
}

void
ksim_reply_bad_request(struct ksim_req *r, const char *msg)
{
	ksim_reply_status(r, &(struct ksim_status){ .code = 400, .reason = "BadRequest", .message = msg });
}

void
ksim_reply_error(struct ksim_req *r, int code, const char *reason, const char *msg)
{
	ksim_reply_status(r, &(struct ksim_status){ .code = code, .reason = reason, .message = msg });
}

void
ksim_reply_invalid(struct ksim_req *r, const struct ksim_res *res, const char *name,
    const char *field, const char *cause_reason, const char *detail)
{
	char q[128], msg[1536];
	struct ksim_cause c = { cause_reason, detail, field };

	ksim_res_kind_qualified(res, q, sizeof(q));
	snprintf(msg, sizeof(msg), "%s \"%s\" is invalid: %s: %s", q, name != NULL ? name : "",
	    field, detail);
	ksim_reply_status(r, &(struct ksim_status){ .code = 422, .reason = "Invalid", .message = msg,
	    .name = name, .group = res->group, .kind = res->kind, .causes = &c, .ncauses = 1 });
}

void
ksim_reply_page_not_found(struct ksim_req *r)
{
	ksim_req_reply(r, 404, "text/plain; charset=utf-8", "404 page not found\n", 19,
	    "X-Content-Type-Options: nosniff\r\n");
}
