/*
 * router — the route table.  A pattern is a path with "{name}" segments; the
 * matched segments are handed to the handler in order.  Each route says who
 * may call it (nobody needs a key for the service endpoints; admin routes
 * need an admin key), and the gate runs before the handler.  HEAD runs the
 * GET route.  A path that exists with any other method (unknown ones too)
 * answers 405 with an Allow header, an unknown path 404; a request whose
 * framing is ambiguous is refused before any of that (http.c).  The table
 * is also what the OpenAPI test walks.
 *
 * Matching is pure string work and runs on the loop thread, so an unknown
 * path or method is answered there and the metrics of every reply, a 503
 * for a full queue included, carry the route; the gate and the handler,
 * which wait for MongoDB and Redis, run on a handler thread (pool.c).
 */
#include <stdio.h>
#include <string.h>

#include <event2/keyvalq_struct.h>

#include "api/api_int.h"

#define V1 "/api/v1"

static const struct api_route routes[] = {
	{ EVHTTP_REQ_GET, "/health", API_AUTH_NONE, api_health },
	{ EVHTTP_REQ_GET, "/ready", API_AUTH_NONE, api_ready },
	{ EVHTTP_REQ_GET, "/metrics", API_AUTH_NONE, api_metrics },
	{ EVHTTP_REQ_GET, "/openapi.json", API_AUTH_NONE, api_openapi },
	{ EVHTTP_REQ_POST, V1 "/databases", API_AUTH_ANY, api_db_create },
	{ EVHTTP_REQ_GET, V1 "/databases", API_AUTH_ANY, api_db_list },
	{ EVHTTP_REQ_GET, V1 "/databases/{id}", API_AUTH_ANY, api_db_get },
	{ EVHTTP_REQ_PATCH, V1 "/databases/{id}", API_AUTH_ANY, api_db_patch },
	{ EVHTTP_REQ_DELETE, V1 "/databases/{id}", API_AUTH_ANY, api_db_delete },
	{ EVHTTP_REQ_POST, V1 "/databases/{id}/pause", API_AUTH_ANY, api_db_pause },
	{ EVHTTP_REQ_POST, V1 "/databases/{id}/resume", API_AUTH_ANY, api_db_resume },
	{ EVHTTP_REQ_GET, V1 "/databases/{id}/events", API_AUTH_ANY, api_db_events },
	{ EVHTTP_REQ_GET, V1 "/operations", API_AUTH_ANY, api_op_list },
	{ EVHTTP_REQ_GET, V1 "/operations/{id}", API_AUTH_ANY, api_op_get },
	{ EVHTTP_REQ_POST, V1 "/operations/{id}/retry", API_AUTH_ANY, api_op_retry },
	{ EVHTTP_REQ_POST, V1 "/providers", API_AUTH_ADMIN, api_prv_create },
	{ EVHTTP_REQ_GET, V1 "/providers", API_AUTH_ADMIN, api_prv_list },
	{ EVHTTP_REQ_GET, V1 "/providers/{id}", API_AUTH_ADMIN, api_prv_get },
	{ EVHTTP_REQ_PATCH, V1 "/providers/{id}", API_AUTH_ADMIN, api_prv_patch },
	{ EVHTTP_REQ_DELETE, V1 "/providers/{id}", API_AUTH_ADMIN, api_prv_delete },
	{ EVHTTP_REQ_POST, V1 "/api-keys", API_AUTH_ADMIN, api_key_create },
	{ EVHTTP_REQ_GET, V1 "/api-keys", API_AUTH_ADMIN, api_key_list },
	{ EVHTTP_REQ_DELETE, V1 "/api-keys/{id}", API_AUTH_ADMIN, api_key_delete },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* Match PATH against PATTERN, filling Q's params; 1 on a match. */
static int
match(const char *pattern, const char *path, struct api_req *q)
{
	size_t used = 0;
	int np = 0;

	while (*pattern != '\0' && *path != '\0') {
		if (pattern[0] == '{') {
			const char *pe = strchr(pattern, '}');
			size_t n = strcspn(path, "/");
			if (pe == NULL || n == 0 || np == API_MAX_PARAMS ||
			    used + n + 1 > sizeof(q->param_buf))
				return 0;
			memcpy(q->param_buf + used, path, n);
			q->param_buf[used + n] = '\0';
			q->params[np++] = q->param_buf + used;
			used += n + 1;
			pattern = pe + 1;
			path += n;
			continue;
		}
		if (*pattern++ != *path++)
			return 0;
	}
	return *pattern == '\0' && *path == '\0';
}

const struct api_route *
api_routes(size_t *n)
{
	*n = NROUTES;
	return routes;
}

/* HEAD runs the GET route (RFC 9110 9.3.2); http.c sends no body for it. */
static int
method_matches(enum evhttp_cmd_type route, enum evhttp_cmd_type m)
{
	return route == m || (route == EVHTTP_REQ_GET && m == EVHTTP_REQ_HEAD);
}

int
api_route_match(struct api_req *q)
{
	char allow[160] = "";
	size_t al = 0;

	if (!api_req_framing_ok(q))
		return 0;
	for (size_t i = 0; i < NROUTES; i++) {
		if (!match(routes[i].pattern, q->path, q))
			continue;
		if (method_matches(routes[i].method, q->method)) {
			q->rt = &routes[i];
			q->route = routes[i].pattern;
			return 1;
		}
		al += (size_t)snprintf(allow + al, sizeof(allow) - al, "%s%s%s", al ? ", " : "",
		    api_method_name(routes[i].method),
		    routes[i].method == EVHTTP_REQ_GET ? ", HEAD" : "");
	}
	/* Unknown methods too: 405 says what the path takes, and a 5xx would blame us. */
	if (al > 0) {
		api_set_header(q, "Allow", allow);
		api_reply_problem(q, 405, NULL, "method not allowed on this resource", NULL);
		return 0;
	}
	api_reply_problem(q, 404, NULL, "no such resource", NULL);
	return 0;
}

void
api_dispatch(struct api_req *q)
{
	if (q->rt->auth != API_AUTH_NONE && api_auth_check(q, q->rt->auth) != 0)
		return;
	q->rt->handler(q);
}
