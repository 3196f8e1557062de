/*
 * router — the route table.  A pattern is a path with "{name}" segments; the
 * matched segments are handed to the handler in order.  A path that exists
 * with another method answers 405 with an Allow header, an unknown path 404.
 */
#include <stdio.h>
#include <string.h>

#include <event2/keyvalq_struct.h>

#include "api/api_int.h"

static const struct api_route routes[] = {
	{ EVHTTP_REQ_GET, "/health", api_health },
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

static const char *
method_token(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_PATCH: return "PATCH";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	default: return "";
	}
}

void
api_dispatch(struct api_req *q)
{
	char allow[128] = "";
	size_t al = 0;

	for (size_t i = 0; i < NROUTES; i++) {
		if (!match(routes[i].pattern, q->path, q))
			continue;
		if (routes[i].method == q->method) {
			routes[i].handler(q);
			return;
		}
		al += (size_t)snprintf(allow + al, sizeof(allow) - al, "%s%s", al ? ", " : "",
		    method_token(routes[i].method));
	}
	if (al > 0) {
		evhttp_add_header(evhttp_request_get_output_headers(q->req), "Allow", allow);
		api_reply_problem(q, 405, NULL, "method not allowed on this resource", NULL);
		return;
	}
	api_reply_problem(q, 404, NULL, "no such resource", NULL);
}
