/*
 * idempotency — the Idempotency-Key header on POST.
 *
 * Redis key PREFIX + "idem:" + <API key id> + ":" + sha256(header value),
 * kept api.idempotency_ttl_s.  Claiming is one SET NX of a pending marker
 * "P:<request hash>" (the hash covers method, path and body), so of two
 * concurrent duplicates exactly one proceeds; the other gets 409 while the
 * first is in flight.  When the first reply goes out, the marker is replaced
 * by "R:" + {h, status, content type, Location, ETag, body}, and later
 * duplicates get that reply again (with Idempotent-Replayed: true).  The
 * same key with a different request is 422.  A 5xx reply releases the key so
 * the client can retry.  The pending marker itself lives only
 * PENDING_TTL_S, so a process that dies mid-request does not block the key
 * for a day.  Without Redis the guarantee cannot be kept, so a
 * request carrying the header gets 503 (requests without it do not need
 * Redis at all).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "common/json.h"
#include "common/log.h"

#define PENDING_TTL_S 60	/* far beyond any handler: MongoDB and Redis timeouts bound them */

static int
header_ok(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > 255)
		return 0;
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < 0x20 || (unsigned char)*v > 0x7e)
			return 0;
	return 1;
}

/* Send the stored reply R (JSON) again; 0, or -1 if it does not parse. */
static int
replay(struct api_req *q, const char *r)
{
	cJSON *j = json_parse_strict(r, strlen(r), 4, NULL);
	const char *ct, *body, *loc, *etag;
	int64_t status;

	if (j == NULL || json_get_i64(j, "", "s", 1, 100, 599, &status, NULL) != 0 ||
	    json_get_str(j, "", "ct", 1, &ct, NULL) != 0 || json_get_str(j, "", "b", 1, &body, NULL) != 0) {
		cJSON_Delete(j);
		return -1;
	}
	if (json_get_str(j, "", "loc", 0, &loc, NULL) == 0)
		api_set_header(q, "Location", loc);
	if (json_get_str(j, "", "etag", 0, &etag, NULL) == 0)
		api_set_header(q, "ETag", etag);
	api_set_header(q, "Idempotent-Replayed", "true");
	api_reply_text(q, (int)status, ct, body, strlen(body));
	cJSON_Delete(j);
	return 0;
}

/* The key is taken: decide from its value V. */
static void
answer_taken(struct api_req *q, const char *v, const char *hash)
{
	const char *r;

	if (strncmp(v, "P:", 2) == 0) {
		if (strcmp(v + 2, hash) == 0)
			api_reply_field(q, 409, "Idempotency-Key",
			    "a request with this key is still being processed; retry shortly");
		else
			api_reply_field(q, 422, "Idempotency-Key",
			    "this key was already used with a different request");
		return;
	}
	r = strncmp(v, "R:", 2) == 0 ? v + 2 : NULL;
	if (r != NULL) {
		cJSON *j = json_parse_strict(r, strlen(r), 4, NULL);
		const char *h = NULL;
		int same = j != NULL && json_get_str(j, "", "h", 1, &h, NULL) == 0 &&
		    strcmp(h, hash) == 0;
		cJSON_Delete(j);
		if (!same) {
			api_reply_field(q, 422, "Idempotency-Key",
			    "this key was already used with a different request");
			return;
		}
		if (replay(q, r) == 0)
			return;
	}
	log_warnx("idempotency_record_malformed", "request_id=%s", q->request_id);
	api_reply_problem(q, 500, NULL, "unreadable idempotency record", NULL);
}

int
api_idem_begin(struct api_req *q)
{
	const char *hv = api_header(q, "Idempotency-Key");
	char key[160], kh[65], rh[65], marker[80], ttl[16];
	redisReply *rep;

	if (hv == NULL)
		return 1;
	if (!header_ok(hv)) {
		api_reply_field(q, 400, "Idempotency-Key", "must be 1 to 255 printable ASCII characters");
		return 0;
	}
	api_sha256_hex(hv, strlen(hv), NULL, kh);
	api_sha256_hex(q->body, q->body_len, q->path, rh);
	rds_key(&q->redis->p, key, sizeof(key), "idem:%s:%s", q->who.key_id, kh);
	snprintf(marker, sizeof(marker), "P:%s", rh);
	snprintf(ttl, sizeof(ttl), "%d", q->api->cfg->api.idempotency_ttl_s < PENDING_TTL_S ?
	    q->api->cfg->api.idempotency_ttl_s : PENDING_TTL_S);
	for (int attempt = 0; attempt < 2; attempt++) {
		rep = rds_command(q->redis, "SET %s %s NX EX %s", key, marker, ttl);
		if (rep != NULL && rep->type == REDIS_REPLY_STATUS) {
			freeReplyObject(rep);
			snprintf(q->idem_key, sizeof(q->idem_key), "%s", key);
			snprintf(q->idem_hash, sizeof(q->idem_hash), "%s", rh);
			return 1;
		}
		int answered = rep != NULL;
		freeReplyObject(rep);
		rep = answered ? rds_command(q->redis, "GET %s", key) : NULL;
		if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
			freeReplyObject(rep);
			break;
		}
		if (rep->type == REDIS_REPLY_STRING) {
			answer_taken(q, rep->str, rh);
			freeReplyObject(rep);
			return 0;
		}
		freeReplyObject(rep);	/* expired in between: claim again */
	}
	api_reply_unavailable(q, "redis (needed for Idempotency-Key)");
	return 0;
}

void
api_idem_finish(struct api_req *q)
{
	const char *loc = evhttp_find_header(&q->out, "Location");
	const char *etag = evhttp_find_header(&q->out, "ETag");
	char key[sizeof(q->idem_key)], ttl[16];
	cJSON *r;
	char *text, *val;
	size_t n;

	snprintf(key, sizeof(key), "%s", q->idem_key);
	q->idem_key[0] = '\0';
	if (q->status >= 500) {
		freeReplyObject(rds_command(q->redis, "DEL %s", key));
		return;
	}
	r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "h", q->idem_hash);
	cJSON_AddNumberToObject(r, "s", q->status);
	cJSON_AddStringToObject(r, "ct", q->ctype);
	if (loc != NULL)
		cJSON_AddStringToObject(r, "loc", loc);
	if (etag != NULL)
		cJSON_AddStringToObject(r, "etag", etag);
	cJSON_AddStringToObject(r, "b", q->out_body != NULL ? q->out_body : "");
	text = cJSON_PrintUnformatted(r);
	cJSON_Delete(r);
	n = text != NULL ? strlen(text) + 3 : 0;
	val = text != NULL ? malloc(n) : NULL;
	if (val != NULL) {
		snprintf(val, n, "R:%s", text);
		snprintf(ttl, sizeof(ttl), "%d", q->api->cfg->api.idempotency_ttl_s);
		freeReplyObject(rds_command(q->redis, "SET %s %s XX EX %s", key, val, ttl));
	}
	free(val);
	free(text);
}
