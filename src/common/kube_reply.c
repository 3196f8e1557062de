/*
 * kube_reply — what an API server's answer means, as pure functions.
 *
 * Kept apart from the transport so the decisions a caller relies on (which
 * class an answer is, whether it is retried, how long to wait) are unit
 * tested on recorded answers without a network: the Status object (errors
 * and DELETE's success answer), the text/plain 404 that means "no such
 * resource" rather than "no such object", Retry-After in both of its forms,
 * and the retry rules per verb (a request that may already have been applied
 * is repeated only when repeating it is harmless).
 */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/kube_int.h"

static void
copy_str(const cJSON *o, const char *key, char *out, size_t n)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	out[0] = '\0';
	if (cJSON_IsString(v) && v->valuestring != NULL)
		snprintf(out, n, "%s", v->valuestring);
}

void
kube_status_decode(const cJSON *body, struct kube_status *st)
{
	const cJSON *kind, *code, *ra;

	memset(st, 0, sizeof(*st));
	st->retry_after_s = -1;
	kind = cJSON_GetObjectItemCaseSensitive(body, "kind");
	if (!cJSON_IsObject(body) || !cJSON_IsString(kind) || strcmp(kind->valuestring, "Status") != 0)
		return;
	st->present = 1;
	code = cJSON_GetObjectItemCaseSensitive(body, "code");
	if (cJSON_IsNumber(code) && code->valuedouble >= 0 && code->valuedouble < 1000)
		st->code = (int)code->valuedouble;
	copy_str(body, "status", st->status, sizeof(st->status));
	copy_str(body, "reason", st->reason, sizeof(st->reason));
	copy_str(body, "message", st->message, sizeof(st->message));
	st->details = cJSON_GetObjectItemCaseSensitive(body, "details");
	if (!cJSON_IsObject(st->details)) {
		st->details = NULL;
		return;
	}
	ra = cJSON_GetObjectItemCaseSensitive(st->details, "retryAfterSeconds");
	if (cJSON_IsNumber(ra) && ra->valuedouble >= 0 && ra->valuedouble <= 86400)
		st->retry_after_s = (int)ra->valuedouble;
}

enum kube_err
kube_classify(int http_code, int text_plain, const struct kube_status *st)
{
	if (http_code >= 200 && http_code < 300)
		return KUBE_OK;
	switch (http_code) {
	case 404:
		/* The router's 404 (unknown group, version or resource) has no Status. */
		return text_plain && !st->present ? KUBE_ERR_UNKNOWN_RESOURCE : KUBE_ERR_NOT_FOUND;
	case 409:
		return strcmp(st->reason, "AlreadyExists") == 0 ?
		    KUBE_ERR_ALREADY_EXISTS : KUBE_ERR_CONFLICT;
	case 410:
		return KUBE_ERR_GONE;
	case 400: case 405: case 406: case 413: case 415: case 422:
		return KUBE_ERR_INVALID;
	case 401:
		return KUBE_ERR_UNAUTHORIZED;
	case 403:
		return KUBE_ERR_FORBIDDEN;
	case 429:
		return KUBE_ERR_TOO_MANY_REQUESTS;
	default:
		break;
	}
	if (http_code >= 500 && http_code < 600)
		return KUBE_ERR_SERVER;
	return KUBE_ERR_OTHER;
}

static int
parse_http_date(const char *v, int64_t *out_s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	/* IMF-fixdate, the only form a server may send (RFC 9110 5.6.7). */
	end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	*out_s = (int64_t)timegm(&tm);
	return 0;
}

int
kube_retry_after_parse(const char *v, int64_t now_s, int *out_ms)
{
	int64_t secs = 0, at;
	const char *p = v;

	while (*p == ' ' || *p == '\t')
		p++;
	if (isdigit((unsigned char)*p)) {
		for (; isdigit((unsigned char)*p); p++) {
			secs = secs * 10 + (*p - '0');
			if (secs > 86400)
				return -1;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\0')
			return -1;
	} else {
		if (parse_http_date(p, &at) != 0)
			return -1;
		secs = at - now_s;
		if (secs < 0)
			secs = 0;
		if (secs > 86400)
			return -1;
	}
	*out_ms = (int)(secs * 1000);
	return 0;
}

/* Verbs whose repetition has the same effect as one execution. */
static int
idempotent(enum kube_verb verb, int named_post)
{
	switch (verb) {
	case KUBE_GET: case KUBE_LIST: case KUBE_PUT: case KUBE_PATCH_MERGE: case KUBE_DELETE:
		return 1;
	case KUBE_POST:
		/* A named create is repeatable: a second one answers 409, which
		 * the caller of a retried POST reads as "look the object up". */
		return named_post;
	case KUBE_PATCH_JSON:
		return 0;	/* "add" to a list would apply twice */
	}
	return 0;
}

int
kube_retry_decide(enum kube_verb verb, int named_post, enum kube_err err, int sent,
    int attempt, int retry_max)
{
	if (attempt > retry_max)
		return 0;
	switch (err) {
	case KUBE_ERR_TOO_MANY_REQUESTS:
		return 1;	/* refused before any work: safe for every verb */
	case KUBE_ERR_TRANSPORT:
	case KUBE_ERR_TIMEOUT:
		return !sent || idempotent(verb, named_post);
	case KUBE_ERR_SERVER:
		return idempotent(verb, named_post);
	default:
		return 0;
	}
}

int64_t
kube_retry_delay(struct backoff *bo, int retry_after_ms)
{
	int64_t d = bo_next(bo);

	return retry_after_ms > d ? retry_after_ms : d;
}

const char *
kube_err_name(enum kube_err e)
{
	static const char *const names[] = {
		[KUBE_OK] = "ok", [KUBE_ERR_NOT_FOUND] = "not_found",
		[KUBE_ERR_UNKNOWN_RESOURCE] = "unknown_resource",
		[KUBE_ERR_ALREADY_EXISTS] = "already_exists", [KUBE_ERR_CONFLICT] = "conflict",
		[KUBE_ERR_GONE] = "gone", [KUBE_ERR_INVALID] = "invalid",
		[KUBE_ERR_UNAUTHORIZED] = "unauthorized", [KUBE_ERR_FORBIDDEN] = "forbidden",
		[KUBE_ERR_TOO_MANY_REQUESTS] = "too_many_requests",
		[KUBE_ERR_SERVER] = "server_error", [KUBE_ERR_TIMEOUT] = "timeout",
		[KUBE_ERR_TRANSPORT] = "transport", [KUBE_ERR_CIRCUIT_OPEN] = "circuit_open",
		[KUBE_ERR_CANCELLED] = "cancelled", [KUBE_ERR_DECODE] = "decode",
		[KUBE_ERR_NO_PROVIDER] = "no_provider", [KUBE_ERR_OTHER] = "other",
	};

	if ((unsigned)e < sizeof(names) / sizeof(names[0]) && names[e] != NULL)
		return names[e];
	return "other";
}

const char *
kube_verb_name(enum kube_verb v)
{
	static const char *const names[] = {
		[KUBE_GET] = "get", [KUBE_LIST] = "list", [KUBE_POST] = "create",
		[KUBE_PUT] = "update", [KUBE_PATCH_MERGE] = "patch", [KUBE_PATCH_JSON] = "patch",
		[KUBE_DELETE] = "delete",
	};

	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "other";
}

const char *
kube_circuit_name(enum kube_circuit c)
{
	return c == KUBE_CIRCUIT_OPEN ? "open" : c == KUBE_CIRCUIT_HALF_OPEN ? "half_open" : "closed";
}

const char *
kube_event_name(enum kube_event_type t)
{
	static const char *const names[] = { "ADDED", "MODIFIED", "DELETED", "BOOKMARK" };

	return (unsigned)t < 4 ? names[t] : "?";
}
