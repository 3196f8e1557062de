/*
 * router — from an HTTP request to an API call: path parsing into
 * (resource, namespace, name, subresource), the verb, authentication,
 * fault injection, then the handler.  Also the per-request accounting that
 * /_sim/counters reports.
 *
 * URL shapes (anything else under /api or /apis is the plain-text 404 page,
 * like the real server's unknown-path answer):
 *   /api/v1/namespaces[/NAME[/status]]
 *   /api/v1/[namespaces/NS/]secrets[/NAME]
 *   /apis/GROUP/VERSION/[namespaces/NS/]PLURAL[/NAME[/status]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/clock.h"
#include "kubesim/auth.h"
#include "kubesim/faults.h"
#include "kubesim/http.h"
#include "kubesim/reply.h"
#include "kubesim/sim.h"

static const char *const verb_names[KSIM_NVERBS] = {
	"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "other"
};

const char *
ksim_verb_name(enum ksim_verb v)
{
	return v < KSIM_NVERBS ? verb_names[v] : "other";
}

/* Split PATH ("/a/b/c") into at most MAX segments (in BUF). */
static int
split_path(const char *path, char *buf, size_t n, char **seg, int max)
{
	int k = 0;
	char *p, *save = NULL;

	if (strlen(path) >= n)
		return -1;
	strcpy(buf, path);
	for (p = strtok_r(buf, "/", &save); p != NULL; p = strtok_r(NULL, "/", &save)) {
		if (k == max)
			return -1;
		seg[k++] = p;
	}
	return k;
}

static int
copy_seg(char *dst, size_t n, const char *src)
{
	if (strlen(src) >= n)
		return -1;
	strcpy(dst, src);
	return 0;
}

/* Fill C's resource, ns, name and subresource from the path.  0 or -1 (404). */
static int
parse_resource_path(struct ksim_call *c, const char *path)
{
	char buf[1024], *s[8], *group = "", *version;
	int n = split_path(path, buf, sizeof(buf), s, 8), i;

	if (n < 3)
		return -1;
	if (strcmp(s[0], "api") == 0) {
		version = s[1];
		i = 2;
	} else if (strcmp(s[0], "apis") == 0 && n >= 4) {
		group = s[1];
		version = s[2];
		i = 3;
	} else {
		return -1;
	}
	if (group[0] == '\0' && strcmp(s[i], "namespaces") == 0 && n - i == 3 &&
	    strcmp(s[i + 2], "status") == 0) {
		c->res = ksim_res_lookup("", version, "namespaces");
		c->status_sub = 1;
		return c->res != NULL && copy_seg(c->name, sizeof(c->name), s[i + 1]) == 0 ? 0 : -1;
	}
	/* namespaces/NS/PLURAL...; "namespaces[/NAME]" alone is the namespace resource. */
	if (strcmp(s[i], "namespaces") == 0 && n - i >= 3) {
		if (copy_seg(c->ns, sizeof(c->ns), s[i + 1]) < 0)
			return -1;
		i += 2;
	}
	c->res = ksim_res_lookup(group, version, s[i]);
	if (c->res == NULL || (c->ns[0] != '\0' && !c->res->namespaced))
		return -1;
	if (n - i >= 2 && (copy_seg(c->name, sizeof(c->name), s[i + 1]) < 0 ||
	    (c->res->namespaced && c->ns[0] == '\0')))
		return -1;
	if (n - i == 3) {
		if (strcmp(s[i + 2], "status") != 0 || !c->res->has_status)
			return -1;
		c->status_sub = 1;
	}
	return n - i > 3 ? -1 : 0;
}

/* Go's strconv.ParseBool, which the apiserver uses for query flags. */
int
ksim_query_true(const char *v)
{
	static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True", NULL };

	for (size_t i = 0; v != NULL && yes[i] != NULL; i++)
		if (strcmp(v, yes[i]) == 0)
			return 1;
	return 0;
}

static enum ksim_verb
verb_of(const struct ksim_call *c, const char *method)
{
	int named = c->name[0] != '\0';

	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
		if (named)
			return KSIM_V_GET;
		return ksim_query_true(ksim_req_query(c->req, "watch")) ? KSIM_V_WATCH : KSIM_V_LIST;
	}
	if (strcmp(method, "POST") == 0 && !named && !c->status_sub)
		return KSIM_V_CREATE;
	if (strcmp(method, "PUT") == 0 && named)
		return KSIM_V_UPDATE;
	if (strcmp(method, "PATCH") == 0 && named)
		return KSIM_V_PATCH;
	if (strcmp(method, "DELETE") == 0 && !c->status_sub)
		return named ? KSIM_V_DELETE : KSIM_V_DELETECOLLECTION;
	return KSIM_V_OTHER;
}

static void
dispatch(struct ksim_call *c)
{
	switch (c->verb) {
	case KSIM_V_GET: ksim_api_get(c); break;
	case KSIM_V_LIST: ksim_list(c); break;
	case KSIM_V_WATCH: ksim_watch(c); break;
	case KSIM_V_CREATE: ksim_api_create(c); break;
	case KSIM_V_UPDATE: ksim_api_update(c); break;
	case KSIM_V_PATCH: ksim_api_patch(c); break;
	case KSIM_V_DELETE: ksim_api_delete(c); break;
	case KSIM_V_DELETECOLLECTION: ksim_api_deletecollection(c); break;
	default: {
		char msg[256];

		snprintf(msg, sizeof(msg), "the server does not allow this method on the requested resource");
		ksim_reply_status(c->req, &(struct ksim_status){ .code = 405, .reason = "MethodNotAllowed",
		    .message = msg, .details = 1 });
	}
	}
}

static void
on_delay_closed(struct ksim_req *req, void *arg)
{
	struct ksim_call *c = arg;

	event_free(c->delay);
	c->delay = NULL;
}

static void
on_delay(evutil_socket_t fd, short what, void *arg)
{
	struct ksim_call *c = arg;

	event_free(c->delay);
	c->delay = NULL;
	ksim_req_on_close(c->req, NULL, NULL);
	c->deferred(c);
}

int
ksim_call_defer(struct ksim_call *c, int64_t ms, void (*fn)(struct ksim_call *c))
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	c->delay = evtimer_new(c->sim->base, on_delay, c);
	if (c->delay == NULL)
		return -1;
	c->deferred = fn;
	ksim_req_on_close(c->req, on_delay_closed, c);
	evtimer_add(c->delay, &tv);
	return 0;
}

static void
fault_error(struct ksim_call *c, const struct ksim_fault_hit *hit)
{
	char msg[128];

	if (hit->code == 429) {
		char extra[64];

		/* The real max-in-flight limiter: plain text with Retry-After. */
		snprintf(extra, sizeof(extra), "Retry-After: %d\r\n", hit->retry_after);
		ksim_req_reply(c->req, 429, "text/plain; charset=utf-8",
		    "Too many requests, please try again later.\n", 43, extra);
		return;
	}
	snprintf(msg, sizeof(msg), "injected fault: HTTP %d", hit->code);
	ksim_reply_status(c->req, &(struct ksim_status){ .code = hit->code,
	    .reason = hit->code == 503 ? "ServiceUnavailable" : hit->code == 504 ? "Timeout" :
	    hit->code >= 500 ? "InternalError" : "BadRequest", .message = msg,
	    .retry_after = hit->retry_after });
}

/* Apply faults, then run the handler (now or after the injected latency). */
static void
run_call(struct ksim_call *c)
{
	struct ksim_fault_hit hit;

	ksim_faults_request(c->sim->faults, c->verb, c->res->plural, c->ns, c->name, &hit);
	switch (hit.action) {
	case KSIM_F_HANG:
		return;		/* answered never; freed when the client gives up */
	case KSIM_F_RESET:
		ksim_req_reset(c->req);
		return;
	case KSIM_F_ERROR:
		fault_error(c, &hit);
		return;
	case KSIM_F_WATCH_CLOSE: case KSIM_F_WATCH_EXPIRE:
		c->watch_fault = hit.action;
		c->watch_close_ms = hit.after_ms;
		break;
	default:
		break;
	}
	if (hit.delay_ms > 0 && ksim_call_defer(c, hit.delay_ms, dispatch) == 0)
		return;
	dispatch(c);
}

/* The paths the apiserver serves to anyone (system:public-info-viewer). */
static int
public_path(const char *path)
{
	return strcmp(path, "/healthz") == 0 || strcmp(path, "/livez") == 0 ||
	    strcmp(path, "/readyz") == 0 || strcmp(path, "/version") == 0;
}

void
ksim_router_handle(struct ksim_req *req, void *arg)
{
	struct ksim_sim *sim = arg;
	const char *path = ksim_req_path(req);
	struct ksim_call *c;
	int rc, anon;

	if (strncmp(path, "/_sim/", 6) == 0 || strcmp(path, "/_sim") == 0) {
		ksim_simapi(sim, req, path);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		ksim_req_reply(req, 500, "text/plain", "out of memory\n", 14, NULL);
		return;
	}
	c->sim = sim;
	c->req = req;
	c->verb = KSIM_V_GET;
	ksim_req_set_data(req, c);
	rc = ksim_auth_identify(sim->conf, ksim_req_header(req, "Authorization"), &c->user);
	if (rc != 0 && !public_path(path)) {
		ksim_reply_error(req, 401, "Unauthorized", "Unauthorized");
		return;
	}
	/* RBAC lets system:anonymous see the public paths only. */
	anon = c->user == &ksim_anonymous && !public_path(path);
	if (!anon && ksim_discovery(sim, req, path))
		return;
	if (parse_resource_path(c, path) < 0) {
		c->res = NULL;
		if (anon)
			ksim_auth_forbid_path(req, c->user, path);
		else
			ksim_reply_page_not_found(req);
		return;
	}
	c->verb = verb_of(c, ksim_req_method(req));
	if (!ksim_auth_allowed(c->user, c->verb)) {
		ksim_auth_forbid(c);
		return;
	}
	run_call(c);
}

void
ksim_router_done(struct ksim_req *req, void *arg)
{
	struct ksim_sim *sim = arg;
	struct ksim_call *c = ksim_req_data(req);

	if (c == NULL)
		return;		/* /_sim/ requests are not counted */
	ksim_faults_count(sim->faults, c->verb, c->res != NULL ? c->res->plural : "", c->ns, c->name,
	    ksim_req_status(req), clk_mono_ms() - sim->started_ms);
	if (c->delay != NULL)
		event_free(c->delay);
	free(c);
}
