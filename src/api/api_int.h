/*
 * api_int — what the files of src/api share:
 *   api.c      the role: evhttp on the inherited socket, connections, drain
 *   router.c   the route table and dispatch
 *   http.c     request context, JSON and problem+json responses, access log
 *   health.c   GET /health
 */
#ifndef DBAAS_API_INT_H
#define DBAAS_API_INT_H

#include <stdint.h>

#include <cjson/cJSON.h>
#include <event2/http.h>

#include "common/mdb.h"
#include "common/rds.h"
#include "common/role.h"

#define API_MAX_PARAMS 4

struct api {
	struct role *role;
	const struct cfg *cfg;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct rds redis;		/* synchronous: short request/response work */
	int draining;
	int64_t drain_started_ms;
	struct event *ev_drain;
	struct evhttp_connection **conns;	/* open connections that sent a request */
	size_t nconns, capconns;
	uint64_t requests;
};

/* One request being handled. */
struct api_req {
	struct api *api;
	struct evhttp_request *req;
	enum evhttp_cmd_type method;
	char path[512];
	const char *params[API_MAX_PARAMS];	/* {name} segments of the route, in order */
	char param_buf[512];
	char request_id[64];
	int64_t start_us;
	int status;
};

typedef void api_handler_fn(struct api_req *q);

struct api_route {
	enum evhttp_cmd_type method;
	const char *pattern;	/* "/api/v1/databases/{id}"; "{x}" matches one segment */
	api_handler_fn *handler;
};

/* router.c */
void api_dispatch(struct api_req *q);

/* http.c */
void api_req_begin(struct api_req *q, struct api *api, struct evhttp_request *req);
/* Send BODY (consumed) as JSON with STATUS. */
void api_reply_json(struct api_req *q, int status, cJSON *body);
/* application/problem+json; ERRORS (consumed, may be NULL) is the field list. */
void api_reply_problem(struct api_req *q, int status, const char *title, const char *detail,
    cJSON *errors);
const char *api_status_title(int status);

/* health.c */
void api_health(struct api_req *q);

#endif
