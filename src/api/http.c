/*
 * http — per-request plumbing: request ids (X-Request-Id accepted when sane,
 * generated otherwise, always returned), JSON and problem+json responses,
 * and one access-log line per request.  While the process drains, every
 * response carries "Connection: close" so keep-alive clients move to the
 * new generation after their current request instead of having an idle
 * connection cut under them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "api/api_int.h"
#include "common/clock.h"
#include "common/id.h"
#include "common/log.h"

static int
request_id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("-_.:", *s) != NULL))
			return 0;
	return 1;
}

void
api_req_begin(struct api_req *q, struct api *api, struct evhttp_request *req)
{
	const char *rid = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Request-Id");
	const char *uri = evhttp_request_get_uri(req);
	const char *qm;

	memset(q, 0, sizeof(*q));
	q->api = api;
	q->req = req;
	q->method = evhttp_request_get_command(req);
	q->start_us = clk_mono_us();
	qm = strchr(uri, '?');
	snprintf(q->path, sizeof(q->path), "%.*s", (int)(qm != NULL ? qm - uri : (long)strlen(uri)),
	    uri);
	if (rid != NULL && request_id_ok(rid))
		snprintf(q->request_id, sizeof(q->request_id), "%s", rid);
	else
		id_new("req-", q->request_id, sizeof(q->request_id));
}

static const char *
method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	default: return "OTHER";
	}
}

static void
send_body(struct api_req *q, int status, const char *ctype, const char *body)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(q->req);
	struct evbuffer *buf = evbuffer_new();

	evhttp_add_header(out, "Content-Type", ctype);
	evhttp_add_header(out, "X-Request-Id", q->request_id);
	if (q->api->draining)
		evhttp_add_header(out, "Connection", "close");
	if (buf != NULL && body != NULL)
		evbuffer_add(buf, body, strlen(body));
	q->status = status;
	evhttp_send_reply(q->req, status, api_status_title(status), buf);
	if (buf != NULL)
		evbuffer_free(buf);
	log_info("http_request", "method=%s path=%s status=%d ms=%.3f request_id=%s",
	    method_name(q->method), q->path, status,
	    (double)(clk_mono_us() - q->start_us) / 1000.0, q->request_id);
}

void
api_reply_json(struct api_req *q, int status, cJSON *body)
{
	char *text = body != NULL ? cJSON_PrintUnformatted(body) : NULL;

	send_body(q, status, "application/json", text != NULL ? text : "{}");
	free(text);
	cJSON_Delete(body);
}

void
api_reply_problem(struct api_req *q, int status, const char *title, const char *detail,
    cJSON *errors)
{
	cJSON *p = cJSON_CreateObject();
	char *text;

	cJSON_AddStringToObject(p, "type", "about:blank");
	cJSON_AddStringToObject(p, "title", title != NULL ? title : api_status_title(status));
	cJSON_AddNumberToObject(p, "status", status);
	if (detail != NULL)
		cJSON_AddStringToObject(p, "detail", detail);
	if (errors != NULL)
		cJSON_AddItemToObject(p, "errors", errors);
	cJSON_AddStringToObject(p, "request_id", q->request_id);
	text = cJSON_PrintUnformatted(p);
	send_body(q, status, "application/problem+json", text != NULL ? text : "{}");
	free(text);
	cJSON_Delete(p);
}

const char *
api_status_title(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 412: return "Precondition Failed";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}
