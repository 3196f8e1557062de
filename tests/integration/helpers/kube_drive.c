/*
 * kube_drive — drives src/common/kube (the Kubernetes client) against real
 * API servers (dbaasd-kubesim) for the black-box tests and bench/kube.
 * Every mode prints JSON lines the caller parses; exit 0 when the mode ran.
 *
 *   kube_drive [options] list PATH          page through PATH, count and check items
 *   kube_drive [options] watch PATH         print events; --relist re-lists on 410
 *   kube_drive [options] req VERB PATH [JSON-BODY]   one request, print the result
 *   kube_drive [options] load               --job ID:PATH (repeatable) GETs, stats per provider
 *   kube_drive [options] fanout COLL OBJ    --watches N watches on COLL, --updates M patches of OBJ
 *   kube_drive [options] create COLL        --n N named MongoDBs (obj-00000...), --concurrency C
 *   kube_drive [options] seq PATH           --n N GETs one after another, --gap-ms apart
 *
 * Options: --providers JSON  [{"id","url","ca_file","token","cert_file","key_file","qps",
 *   "burst","max_inflight","insecure"}]
 *   --limit N  --selector S  --rv RV  --seconds S  --timeout-s S  --idle-ms MS
 *   --n N  --concurrency C  --watches N  --updates M  --relist  --hook  --gap-ms MS
 *   --debug (log at debug level on stderr)
 *   --page-delay-ms MS (the first page callback blocks that long: lets a continue token expire)
 *   kube.* overrides: --qps --burst --inflight --retry-max --retry-initial-ms
 *   --retry-max-ms --request-timeout-ms --connect-timeout-ms --breaker-threshold
 *   --breaker-cooldown-ms
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/kube.h"
#include "common/log.h"

#define MAX_JOBS 8

static struct {
	struct event_base *base;
	struct kube *k;
	const char *selector, *rv, *body;
	int limit, seconds, timeout_s, idle_ms, n, conc, watches, updates, relist, hook, gap_ms;
	int page_delay_ms;
	const char *jobs[MAX_JOBS];
	int njobs;
	int stop;
	struct event *deadline;
} g;

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		*len = fread(buf, 1, (size_t)n, f);
		buf[*len] = '\0';
	}
	fclose(f);
	return buf;
}

static const char *
jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double
jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void
add_providers(const char *json)
{
	cJSON *arr = cJSON_Parse(json), *p;
	char err[256], *ca, *cert, *key;
	size_t calen = 0, certlen = 0, keylen = 0;

	if (!cJSON_IsArray(arr)) {
		fprintf(stderr, "--providers: not a JSON array\n");
		exit(2);
	}
	cJSON_ArrayForEach(p, arr) {
		struct kube_provider_conf pc = { .id = jstr(p, "id"), .url = jstr(p, "url"),
			.token = jstr(p, "token"), .qps = jnum(p, "qps"),
			.burst = (int)jnum(p, "burst"), .max_inflight = (int)jnum(p, "max_inflight"),
			.insecure_skip_tls_verify = cJSON_IsTrue(cJSON_GetObjectItem(p, "insecure")) };

		ca = jstr(p, "ca_file") ? slurp(jstr(p, "ca_file"), &calen) : NULL;
		cert = jstr(p, "cert_file") ? slurp(jstr(p, "cert_file"), &certlen) : NULL;
		key = jstr(p, "key_file") ? slurp(jstr(p, "key_file"), &keylen) : NULL;
		pc.ca_pem = ca;
		pc.ca_len = calen;
		pc.cert_pem = cert;
		pc.cert_len = certlen;
		pc.key_pem = key;
		pc.key_len = keylen;
		if (kube_provider_set(g.k, &pc, err, sizeof(err)) != 0) {
			fprintf(stderr, "provider: %s\n", err);
			exit(2);
		}
		free(ca);
		free(cert);
		free(key);
	}
	cJSON_Delete(arr);
}

static void
print_json(cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	printf("%s\n", s);
	fflush(stdout);
	free(s);
	cJSON_Delete(o);
}

static cJSON *
result_json(const struct kube_result *res)
{
	cJSON *o = cJSON_CreateObject();
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(res->body, "metadata");

	cJSON_AddStringToObject(o, "provider", res->provider ? res->provider : "");
	cJSON_AddNumberToObject(o, "code", res->http_code);
	cJSON_AddStringToObject(o, "err", kube_err_name(res->err));
	cJSON_AddNumberToObject(o, "flags", res->flags);
	cJSON_AddNumberToObject(o, "attempts", res->attempts);
	cJSON_AddNumberToObject(o, "retry_after_ms", res->retry_after_ms);
	cJSON_AddStringToObject(o, "reason", res->status.reason);
	cJSON_AddStringToObject(o, "errmsg", res->errmsg);
	if (jstr(md, "name") != NULL)
		cJSON_AddStringToObject(o, "name", jstr(md, "name"));
	return o;
}

static void
on_state(void *arg, const struct kube_provider_state *st)
{
	cJSON *o = cJSON_CreateObject();

	(void)arg;
	cJSON_AddStringToObject(o, "state", kube_circuit_name(st->circuit));
	cJSON_AddStringToObject(o, "provider", st->id);
	cJSON_AddNumberToObject(o, "t_ms", (double)clk_mono_ms());
	cJSON_AddBoolToObject(o, "contact", st->last_contact_ms > 0);
	print_json(o);
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	g.stop = 1;
	event_base_loopbreak(g.base);
}

static void
set_deadline(int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	if (g.deadline == NULL)
		g.deadline = evtimer_new(g.base, deadline_cb, NULL);
	evtimer_add(g.deadline, &tv);
}

/* The peak RSS of this program (VmHWM: unlike ru_maxrss, not inherited across exec). */
static long
maxrss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = atol(line + 6);
	fclose(f);
	return kb;
}

/* ---- list ---- */

struct lst {
	const char *path;
	int pages, items, restarts;
	double t0;
	char **names;		/* namespace/name of every item, for duplicates */
	size_t nnames, capnames;
	int dups;
	char rv[64];
	int finished;
};

static void
names_free(struct lst *l)
{
	for (size_t i = 0; i < l->nnames; i++)
		free(l->names[i]);
	free(l->names);
	l->names = NULL;
	l->nnames = l->capnames = 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
on_page(void *arg, cJSON *items, int restarted)
{
	struct lst *l = arg;
	const cJSON *it, *md;
	char key[600];

	if (restarted) {
		l->restarts++;
		l->items = 0;
		names_free(l);
	}
	l->pages++;
	if (g.page_delay_ms > 0) {
		usleep((useconds_t)g.page_delay_ms * 1000);
		g.page_delay_ms = 0;
	}
	cJSON_ArrayForEach(it, items) {
		md = cJSON_GetObjectItemCaseSensitive(it, "metadata");
		snprintf(key, sizeof(key), "%s/%s", jstr(md, "namespace") ? jstr(md, "namespace") : "",
		    jstr(md, "name") ? jstr(md, "name") : "");
		if (l->nnames == l->capnames) {
			l->capnames = l->capnames ? l->capnames * 2 : 1024;
			l->names = realloc(l->names, l->capnames * sizeof(char *));
		}
		l->names[l->nnames++] = strdup(key);
		l->items++;
	}
	return 0;
}

static void
on_list_done(void *arg, struct kube_result *res, const char *rv)
{
	struct lst *l = arg;
	cJSON *o = result_json(res);

	double ms = (double)clk_mono_us() / 1e3 - l->t0;

	snprintf(l->rv, sizeof(l->rv), "%s", rv);
	l->finished = 1;
	qsort(l->names, l->nnames, sizeof(char *), cmp_str);
	for (size_t i = 1; i < l->nnames; i++)
		if (strcmp(l->names[i - 1], l->names[i]) == 0)
			l->dups++;
	cJSON_AddStringToObject(o, "list", kube_err_name(res->err));
	cJSON_AddStringToObject(o, "rv", rv);
	cJSON_AddNumberToObject(o, "items", l->items);
	cJSON_AddNumberToObject(o, "pages", l->pages);
	cJSON_AddNumberToObject(o, "restarts", l->restarts);
	cJSON_AddNumberToObject(o, "dups", l->dups);
	cJSON_AddNumberToObject(o, "ms", ms);
	cJSON_AddNumberToObject(o, "maxrss_kb", (double)maxrss_kb());
#ifdef __SANITIZE_ADDRESS__
	cJSON_AddBoolToObject(o, "asan", 1);	/* its quarantine makes RSS meaningless */
#endif
	print_json(o);
	event_base_loopbreak(g.base);
}

static int
run_list(const char *provider, const char *path, struct lst *l)
{
	struct kube_list_opts o = { .path = path, .label_selector = g.selector, .limit = g.limit };
	char err[256];

	memset(l, 0, sizeof(*l));
	l->t0 = (double)clk_mono_us() / 1e3;
	if (kube_list(g.k, provider, &o, on_page, on_list_done, l, err, sizeof(err)) == NULL) {
		fprintf(stderr, "list: %s\n", err);
		return -1;
	}
	event_base_dispatch(g.base);
	names_free(l);
	return l->finished ? 0 : -1;
}

static int
mode_list(const char *provider, const char *path)
{
	struct lst l;

	return run_list(provider, path, &l);
}

/* ---- watch ---- */

struct wst {
	const char *provider, *path;
	struct kube_watch *w;
	int events;
	int gone;
	struct kube_watch_opts o;
};

static void
on_event(void *arg, struct kube_event *ev)
{
	struct wst *s = arg;
	cJSON *o = cJSON_CreateObject();
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(ev->object, "metadata");

	s->events++;
	cJSON_AddStringToObject(o, "ev", kube_event_name(ev->type));
	cJSON_AddStringToObject(o, "name", jstr(md, "name") ? jstr(md, "name") : "");
	cJSON_AddStringToObject(o, "rv", ev->resource_version);
	print_json(o);
	if (g.n > 0 && s->events >= g.n)
		event_base_loopbreak(g.base);
}

static void start_watch(struct wst *s, const char *rv);

static int
relist_page(void *arg, cJSON *items, int restarted)
{
	const cJSON *it, *md;
	cJSON *o;

	(void)arg;
	cJSON_ArrayForEach(it, items) {
		md = cJSON_GetObjectItemCaseSensitive(it, "metadata");
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "relist_item", jstr(md, "name") ? jstr(md, "name") : "");
		cJSON_AddStringToObject(o, "rv", jstr(md, "resourceVersion") ? jstr(md, "resourceVersion") : "");
		cJSON_AddBoolToObject(o, "restarted", restarted);
		print_json(o);
	}
	return 0;
}

static void
relist_done(void *arg, struct kube_result *res, const char *rv)
{
	struct wst *s = arg;
	cJSON *o = result_json(res);

	cJSON_AddStringToObject(o, "relist", kube_err_name(res->err));
	cJSON_AddStringToObject(o, "rv", rv);
	print_json(o);
	if (res->err == KUBE_OK && !g.stop)
		start_watch(s, rv);
	else
		event_base_loopbreak(g.base);
}

static void
on_end(void *arg, struct kube_result *res)
{
	struct wst *s = arg;
	cJSON *o = result_json(res);
	struct kube_list_opts lo = { .path = s->path, .label_selector = g.selector,
		.limit = g.limit };
	char err[256];

	s->w = NULL;
	cJSON_AddStringToObject(o, "end", kube_err_name(res->err));
	print_json(o);
	if (res->err == KUBE_ERR_GONE && g.relist) {
		/* The caller's recovery, as the reconciler does it: list, then watch again. */
		s->gone++;
		if (kube_list(g.k, s->provider, &lo, relist_page, relist_done, s, err,
		    sizeof(err)) != NULL)
			return;
	}
	event_base_loopbreak(g.base);
}

static void
start_watch(struct wst *s, const char *rv)
{
	char err[256];

	s->o.path = s->path;
	s->o.label_selector = g.selector;
	s->o.resource_version = rv;
	s->o.timeout_s = g.timeout_s;
	s->o.idle_ms = g.idle_ms;
	if ((s->w = kube_watch(g.k, s->provider, &s->o, on_event, on_end, s, err, sizeof(err))) == NULL) {
		fprintf(stderr, "watch: %s\n", err);
		exit(1);
	}
}

static int
mode_watch(const char *provider, const char *path)
{
	struct wst s = { .provider = provider, .path = path };
	cJSON *o;

	start_watch(&s, g.rv);
	set_deadline(g.seconds > 0 ? g.seconds : 10);
	event_base_dispatch(g.base);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "exit", s.w != NULL ? "running" : "ended");
	cJSON_AddStringToObject(o, "rv", s.w != NULL ? kube_watch_rv(s.w) : "");
	cJSON_AddNumberToObject(o, "events", s.events);
	cJSON_AddNumberToObject(o, "relists", s.gone);
	print_json(o);
	kube_watch_cancel(s.w);
	return 0;
}

/* ---- one request ---- */

static void
on_req(void *arg, struct kube_result *res)
{
	(void)arg;
	print_json(result_json(res));
	event_base_loopbreak(g.base);
}

static int
verb_of(const char *s, enum kube_verb *v)
{
	static const char *const names[] = { "GET", "LIST", "POST", "PUT", "MERGE", "JSONPATCH",
		"DELETE" };

	for (int i = 0; i < 7; i++)
		if (strcmp(s, names[i]) == 0) {
			*v = (enum kube_verb)i;
			return 0;
		}
	return -1;
}

static int
mode_req(const char *provider, const char *verb, const char *path, const char *body)
{
	struct kube_call c = { .path = path, .propagation = NULL };
	cJSON *b = body != NULL ? cJSON_Parse(body) : NULL;
	char err[256];
	const char *q = strchr(path, '?');
	char p[1024];

	if (verb_of(verb, &c.verb) != 0) {
		fprintf(stderr, "unknown verb %s\n", verb);
		return 2;
	}
	if (q != NULL) {
		snprintf(p, sizeof(p), "%.*s", (int)(q - path), path);
		c.path = p;
		c.query = q + 1;
	}
	c.body = b;
	if (c.verb == KUBE_DELETE && b != NULL) {
		const cJSON *pre = cJSON_GetObjectItemCaseSensitive(b, "preconditions");

		c.propagation = jstr(b, "propagationPolicy");
		c.precondition_uid = jstr(pre, "uid");
		c.precondition_rv = jstr(pre, "resourceVersion");
		c.body = NULL;
	}
	if (kube_request(g.k, provider, &c, on_req, NULL, err, sizeof(err)) == NULL) {
		fprintf(stderr, "request: %s\n", err);
		return 1;
	}
	event_base_dispatch(g.base);
	cJSON_Delete(b);
	return 0;
}

/* ---- load ---- */

struct job {
	char provider[64];
	const char *path;
	int issued, done, outstanding;
	int counts[KUBE_ERR_OTHER + 1];
	int attempts;
	double *lat;
	double t0, t_end;
};

static struct job jobs[MAX_JOBS];

static void issue(struct job *j);

static void
on_load(void *arg, struct kube_result *res)
{
	struct job *j = arg;
	double now = (double)clk_mono_us() / 1e3;

	(void)now;
	j->counts[res->err]++;
	j->attempts += res->attempts;
	j->outstanding--;
	j->done++;
	if (j->done == g.n)
		j->t_end = now;
	issue(j);
	for (int i = 0; i < g.njobs; i++)
		if (jobs[i].done < g.n)
			return;
	event_base_loopbreak(g.base);
}

struct one {
	struct job *j;
	double t0;
};

static void
on_one(void *arg, struct kube_result *res)
{
	struct one *o = arg;
	struct job *j = o->j;

	j->lat[j->done] = (double)clk_mono_us() / 1e3 - o->t0;
	free(o);
	on_load(j, res);
}

static void
issue(struct job *j)
{
	struct kube_call c = { .verb = KUBE_GET, .path = j->path };
	char err[256];
	struct one *o;

	while (j->issued < g.n && j->outstanding < g.conc) {
		o = malloc(sizeof(*o));
		o->j = j;
		o->t0 = (double)clk_mono_us() / 1e3;
		j->issued++;
		j->outstanding++;
		if (kube_request(g.k, j->provider, &c, on_one, o, err, sizeof(err)) == NULL) {
			fprintf(stderr, "request: %s\n", err);
			exit(1);
		}
	}
}

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
mode_load(void)
{
	cJSON *o, *cnt;

	for (int i = 0; i < g.njobs; i++) {
		const char *colon = strchr(g.jobs[i], ':');

		snprintf(jobs[i].provider, sizeof(jobs[i].provider), "%.*s",
		    (int)(colon - g.jobs[i]), g.jobs[i]);
		jobs[i].path = colon + 1;
		jobs[i].lat = calloc((size_t)g.n, sizeof(double));
		jobs[i].t0 = (double)clk_mono_us() / 1e3;
		issue(&jobs[i]);
	}
	set_deadline(g.seconds > 0 ? g.seconds : 120);
	event_base_dispatch(g.base);
	for (int i = 0; i < g.njobs; i++) {
		struct job *j = &jobs[i];

		qsort(j->lat, (size_t)j->done, sizeof(double), cmp_dbl);
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "provider", j->provider);
		cJSON_AddNumberToObject(o, "done", j->done);
		cJSON_AddNumberToObject(o, "attempts", j->attempts);
		cJSON_AddNumberToObject(o, "ms", (j->t_end > 0 ? j->t_end : (double)clk_mono_us() / 1e3) - j->t0);
		cJSON_AddNumberToObject(o, "p50_ms", j->done ? j->lat[j->done / 2] : -1);
		cJSON_AddNumberToObject(o, "p99_ms", j->done ? j->lat[(j->done * 99) / 100] : -1);
		cJSON_AddNumberToObject(o, "max_ms", j->done ? j->lat[j->done - 1] : -1);
		cnt = cJSON_AddObjectToObject(o, "classes");
		for (int e = 0; e <= KUBE_ERR_OTHER; e++)
			if (j->counts[e] > 0)
				cJSON_AddNumberToObject(cnt, kube_err_name((enum kube_err)e), j->counts[e]);
		print_json(o);
		free(j->lat);
	}
	return 0;
}

/* ---- fan-out: N watches, M updates, latency from update to each delivery ---- */

struct fan {
	double sent_ms[4096];
	double *lat;
	size_t nlat, cap;
	int updates_done;
	const char *path;
	struct event *tick;
};

static struct fan fan;

static void
fan_event(void *arg, struct kube_event *ev)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(ev->object, "metadata");
	const cJSON *an = cJSON_GetObjectItemCaseSensitive(md, "annotations");
	const char *seq = jstr(an, "seq");
	int i;

	(void)arg;
	if (ev->type != KUBE_EV_MODIFIED || seq == NULL || (i = atoi(seq)) < 0 || i >= 4096 ||
	    fan.sent_ms[i] == 0)
		return;
	if (fan.nlat == fan.cap) {
		fan.cap = fan.cap ? fan.cap * 2 : 4096;
		fan.lat = realloc(fan.lat, fan.cap * sizeof(double));
	}
	fan.lat[fan.nlat++] = (double)clk_mono_us() / 1e3 - fan.sent_ms[i];
	if (fan.nlat == (size_t)g.watches * (size_t)g.updates)
		event_base_loopbreak(g.base);
}

static void
fan_end(void *arg, struct kube_result *res)
{
	(void)arg;
	fprintf(stderr, "watch ended: %s\n", kube_err_name(res->err));
}

static void
fan_patched(void *arg, struct kube_result *res)
{
	(void)arg;
	if (res->err != KUBE_OK)
		fprintf(stderr, "patch: %s\n", res->errmsg);
}

static void
fan_tick(evutil_socket_t fd, short what, void *arg)
{
	char body[128], err[256];
	cJSON *b;
	struct kube_call c = { .verb = KUBE_PATCH_MERGE, .path = arg };
	struct timeval tv = { .tv_usec = 100000 };

	(void)fd;
	(void)what;
	if (fan.updates_done >= g.updates)
		return;
	snprintf(body, sizeof(body), "{\"metadata\":{\"annotations\":{\"seq\":\"%d\"}}}",
	    fan.updates_done);
	b = cJSON_Parse(body);
	c.body = b;
	fan.sent_ms[fan.updates_done++] = (double)clk_mono_us() / 1e3;
	kube_request(g.k, "writer", &c, fan_patched, NULL, err, sizeof(err));
	cJSON_Delete(b);
	evtimer_add(fan.tick, &tv);
}

static int
mode_fanout(const char *provider, const char *coll, const char *obj)
{
	struct kube_watch_opts o = { .path = coll, .timeout_s = 600 };
	char err[256];
	struct timeval tv = { .tv_sec = 2 };
	cJSON *out;

	for (int i = 0; i < g.watches; i++) {
		o.resource_version = g.rv;
		if (kube_watch(g.k, provider, &o, fan_event, fan_end, NULL, err, sizeof(err)) == NULL) {
			fprintf(stderr, "watch: %s\n", err);
			return 1;
		}
	}
	fan.tick = evtimer_new(g.base, fan_tick, (void *)obj);
	evtimer_add(fan.tick, &tv);	/* let every watch connect first */
	set_deadline(g.seconds > 0 ? g.seconds : 60);
	event_base_dispatch(g.base);
	qsort(fan.lat, fan.nlat, sizeof(double), cmp_dbl);
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "watches", g.watches);
	cJSON_AddNumberToObject(out, "updates", fan.updates_done);
	cJSON_AddNumberToObject(out, "deliveries", (double)fan.nlat);
	cJSON_AddNumberToObject(out, "p50_ms", fan.nlat ? fan.lat[fan.nlat / 2] : -1);
	cJSON_AddNumberToObject(out, "p99_ms", fan.nlat ? fan.lat[fan.nlat * 99 / 100] : -1);
	cJSON_AddNumberToObject(out, "maxrss_kb", (double)maxrss_kb());
	print_json(out);
	event_free(fan.tick);
	free(fan.lat);
	return 0;
}

/* ---- bulk create ---- */

static int created, create_issued, create_out, create_failed;

static void create_more(const char *coll);

static void
on_created(void *arg, struct kube_result *res)
{
	create_out--;
	if (res->err == KUBE_OK)
		created++;
	else if (create_failed++ < 5)
		fprintf(stderr, "create: %s\n", res->errmsg);
	if (created + create_failed == g.n)
		event_base_loopbreak(g.base);
	else
		create_more(arg);
}

static void
create_more(const char *coll)
{
	char body[512], err[256];
	struct kube_call c = { .verb = KUBE_POST, .path = coll };
	cJSON *b;

	while (create_issued < g.n && create_out < g.conc) {
		snprintf(body, sizeof(body), "{\"apiVersion\":\"kubedb.com/v1\",\"kind\":\"MongoDB\","
		    "\"metadata\":{\"name\":\"obj-%05d\",\"labels\":{\"app\":\"bulk\"}},"
		    "\"spec\":{\"version\":\"8.0.17\",\"replicas\":1,\"storageType\":\"Durable\","
		    "\"storage\":{\"resources\":{\"requests\":{\"storage\":\"1Gi\"}}}}}",
		    create_issued);
		b = cJSON_Parse(body);
		c.body = b;
		create_issued++;
		create_out++;
		if (kube_request(g.k, "a", &c, on_created, (void *)coll, err, sizeof(err)) == NULL)
			exit(1);
		cJSON_Delete(b);
	}
}

static int
mode_create(const char *coll)
{
	cJSON *o = cJSON_CreateObject();
	double t0 = (double)clk_mono_us() / 1e3;

	create_more(coll);
	set_deadline(g.seconds > 0 ? g.seconds : 300);
	event_base_dispatch(g.base);
	cJSON_AddNumberToObject(o, "created", created);
	cJSON_AddNumberToObject(o, "failed", create_failed);
	cJSON_AddNumberToObject(o, "ms", (double)clk_mono_us() / 1e3 - t0);
	print_json(o);
	return created == g.n ? 0 : 1;
}

/* ---- a sequence of GETs (breaker) ---- */

static int seq_i;
static struct event *seq_ev;

static void
seq_done(void *arg, struct kube_result *res)
{
	cJSON *o = result_json(res);
	struct timeval tv = { .tv_sec = g.gap_ms / 1000, .tv_usec = (g.gap_ms % 1000) * 1000 };

	(void)arg;
	cJSON_AddNumberToObject(o, "i", seq_i);
	cJSON_AddNumberToObject(o, "t_ms", (double)clk_mono_ms());
	print_json(o);
	if (++seq_i >= g.n)
		event_base_loopbreak(g.base);
	else
		evtimer_add(seq_ev, &tv);
}

static void
seq_next(evutil_socket_t fd, short what, void *arg)
{
	struct kube_call c = { .verb = KUBE_GET, .path = arg };
	char err[256];

	(void)fd;
	(void)what;
	if (kube_request(g.k, "a", &c, seq_done, NULL, err, sizeof(err)) == NULL)
		exit(1);
}

static int
mode_seq(const char *path)
{
	seq_ev = evtimer_new(g.base, seq_next, (void *)path);
	event_active(seq_ev, 0, 0);
	set_deadline(g.seconds > 0 ? g.seconds : 60);
	event_base_dispatch(g.base);
	event_free(seq_ev);
	return 0;
}

/* ---- main ---- */

static int
num_opt(struct cfg *c, const char *opt, const char *val)
{
	static const struct { const char *name; size_t off; } ints[] = {
		{ "--burst", offsetof(struct cfg, kube.burst) },
		{ "--inflight", offsetof(struct cfg, kube.max_inflight) },
		{ "--retry-max", offsetof(struct cfg, kube.retry_max) },
		{ "--retry-initial-ms", offsetof(struct cfg, kube.retry_initial_ms) },
		{ "--retry-max-ms", offsetof(struct cfg, kube.retry_max_ms) },
		{ "--request-timeout-ms", offsetof(struct cfg, kube.request_timeout_ms) },
		{ "--connect-timeout-ms", offsetof(struct cfg, kube.connect_timeout_ms) },
		{ "--breaker-threshold", offsetof(struct cfg, kube.breaker_threshold) },
		{ "--breaker-cooldown-ms", offsetof(struct cfg, kube.breaker_cooldown_ms) },
	};

	if (strcmp(opt, "--qps") == 0) {
		c->kube.qps = atof(val);
		return 0;
	}
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		if (strcmp(opt, ints[i].name) == 0) {
			*(int *)(void *)((char *)c + ints[i].off) = atoi(val);
			return 0;
		}
	return -1;
}

static int
other_opt(const char *opt, const char *val, const char **providers)
{
	if (strcmp(opt, "--providers") == 0) *providers = val;
	else if (strcmp(opt, "--limit") == 0) g.limit = atoi(val);
	else if (strcmp(opt, "--selector") == 0) g.selector = val;
	else if (strcmp(opt, "--rv") == 0) g.rv = val;
	else if (strcmp(opt, "--seconds") == 0) g.seconds = atoi(val);
	else if (strcmp(opt, "--timeout-s") == 0) g.timeout_s = atoi(val);
	else if (strcmp(opt, "--idle-ms") == 0) g.idle_ms = atoi(val);
	else if (strcmp(opt, "--n") == 0) g.n = atoi(val);
	else if (strcmp(opt, "--concurrency") == 0) g.conc = atoi(val);
	else if (strcmp(opt, "--watches") == 0) g.watches = atoi(val);
	else if (strcmp(opt, "--updates") == 0) g.updates = atoi(val);
	else if (strcmp(opt, "--gap-ms") == 0) g.gap_ms = atoi(val);
	else if (strcmp(opt, "--page-delay-ms") == 0) g.page_delay_ms = atoi(val);
	else if (strcmp(opt, "--job") == 0 && g.njobs < MAX_JOBS) g.jobs[g.njobs++] = val;
	else return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct cfg *c = cfg_defaults();
	const char *providers = "[]";
	char err[256];
	int i, rc = 2;

	log_set_role("kube_drive");
	log_set_level(LOG_LEVEL_WARN);
	g.conc = 1;
	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--relist") == 0) { g.relist = 1; continue; }
		if (strcmp(argv[i], "--hook") == 0) { g.hook = 1; continue; }
		if (strcmp(argv[i], "--debug") == 0) { log_set_level(LOG_LEVEL_DEBUG); continue; }
		if (i + 1 >= argc || (num_opt(c, argv[i], argv[i + 1]) != 0 &&
		    other_opt(argv[i], argv[i + 1], &providers) != 0)) {
			fprintf(stderr, "bad option %s\n", argv[i]);
			return 2;
		}
		i++;
	}
	if (i >= argc)
		return 2;
	g.base = event_base_new();
	if ((g.k = kube_new(g.base, c, err, sizeof(err))) == NULL) {
		fprintf(stderr, "kube_new: %s\n", err);
		return 1;
	}
	if (g.hook)
		kube_set_state_hook(g.k, on_state, NULL);
	add_providers(providers);
	if (strcmp(argv[i], "list") == 0 && i + 1 < argc)
		rc = mode_list("a", argv[i + 1]);
	else if (strcmp(argv[i], "watch") == 0 && i + 1 < argc)
		rc = mode_watch("a", argv[i + 1]);
	else if (strcmp(argv[i], "req") == 0 && i + 2 < argc)
		rc = mode_req("a", argv[i + 1], argv[i + 2], i + 3 < argc ? argv[i + 3] : NULL);
	else if (strcmp(argv[i], "load") == 0)
		rc = mode_load();
	else if (strcmp(argv[i], "create") == 0 && i + 1 < argc)
		rc = mode_create(argv[i + 1]);
	else if (strcmp(argv[i], "seq") == 0 && i + 1 < argc)
		rc = mode_seq(argv[i + 1]);
	else if (strcmp(argv[i], "fanout") == 0 && i + 2 < argc)
		rc = mode_fanout("a", argv[i + 1], argv[i + 2]);
	kube_free(g.k);
	if (g.deadline != NULL)
		event_free(g.deadline);
	event_base_free(g.base);
	cfg_free(c);
	return rc;
}
