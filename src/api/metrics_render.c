/*
 * metrics_render — GET /metrics in the Prometheus text format.
 *
 * Counters and histograms come from Redis, where every process of every
 * role adds its increments (common/metrics.h describes the schema), so one
 * scrape of any API process shows the whole service.  Gauges that are
 * cheaper to read at scrape time are read then: the operation stream's
 * length and pending entries (XLEN, XPENDING) and the operations by type and
 * status (a MongoDB $group, cached for a few seconds per process so
 * frequent scrapes do not load the database; the cache is shared by the
 * handler threads under a mutex, never held across the query).  Families the other roles
 * will publish, among them the seeds' names, are declared here with HELP
 * and TYPE so dashboards can rely on them before the first sample.
 *
 * Runs on a handler thread: the evbuffers here are the handler's own, never
 * a request's, and no state is shared but the operation counts' cache.
 *
 * Everything read from Redis is outside input: a series whose name, labels
 * or value do not parse is skipped.  An increment lands in Redis on the
 * writer's next heartbeat, so a scrape lags by up to one heartbeat.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "api/api_int.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"

#define OPSTATS_TTL_MS 5000
#define MAX_FAMILIES 128

struct api_opstats {
	pthread_mutex_t mu;
	int64_t at_ms;		/* guarded by mu, with text */
	char *text;		/* rendered dbaas_operations samples */
};

struct family {
	char name[128];
	char type[16];
	char help[512];
	double bounds[MET_MAX_BUCKETS];	/* histograms: from the meta record */
	size_t nbounds;
};

static const struct { const char *name, *type, *help; } declared[] = {
	{ "dbaas_drift_detected_total", "counter",
	  "drift between desired and current state found by the reconciler, by field" },
	{ "dbaas_reconciliation_cycle_total", "counter", "reconciliation cycles run" },
	{ "dbaas_reconciliation_cycle_duration_seconds", "histogram",
	  "duration of one reconciliation cycle" },
	{ "dbaas_operations_created_total", "counter", "operations created, by source" },
	{ "dbaas_kube_requests_total", "counter", "Kubernetes API requests by provider and code" },
	{ "dbaas_provider_circuit_state", "gauge",
	  "circuit breaker per provider: 0 closed, 1 half-open, 2 open" },
	{ "dbaas_reconciler_leader", "gauge", "1 on the reconciler holding the lease" },
	{ "dbaas_http_requests_total", "counter", API_HELP_REQS },
	{ "dbaas_http_request_duration_seconds", "histogram", API_HELP_LAT },
	{ "dbaas_api_dependency_failures_total", "counter", API_HELP_DEP },
	{ "dbaas_api_nudge_failures_total", "counter", API_HELP_NUDGE },
	{ "dbaas_api_auth_total", "counter", API_HELP_AUTH },
};

/* One sample read from Redis. */
struct sample {
	int fam;
	int kind;		/* 0 plain, 1 _bucket, 2 _sum, 3 _count */
	char base[MET_LABELS_MAX + 32];	/* labels without le */
	double le;
	char labels[MET_LABELS_MAX + 32];
	double value;
};

struct render {
	struct family fams[MAX_FAMILIES];
	int nfams;
	struct sample *s;
	size_t ns, caps;
};

static int
find_family(const struct render *r, const char *name)
{
	for (int i = 0; i < r->nfams; i++)
		if (strcmp(r->fams[i].name, name) == 0)
			return i;
	return -1;
}

static void
set_family(struct render *r, const char *name, const char *type, const char *help)
{
	int i = find_family(r, name);

	if (!met_name_valid(name) || strlen(name) >= sizeof(r->fams[0].name) ||
	    (strcmp(type, "counter") && strcmp(type, "gauge") && strcmp(type, "histogram")))
		return;
	if (i < 0) {
		if (r->nfams == MAX_FAMILIES)
			return;
		i = r->nfams++;
	}
	snprintf(r->fams[i].name, sizeof(r->fams[i].name), "%s", name);
	snprintf(r->fams[i].type, sizeof(r->fams[i].type), "%s", type);
	/* HELP text: one line, no backslashes (the format would need escapes). */
	snprintf(r->fams[i].help, sizeof(r->fams[i].help), "%s", help);
	for (char *p = r->fams[i].help; *p != '\0'; p++)
		if (*p == '\n' || *p == '\\' || (unsigned char)*p < ' ')
			*p = ' ';
}

/* "0.1,0.5,1" (ascending) into F's bounds; stops at the first bad number. */
static void
parse_bounds(struct family *f, const char *s, const char *end)
{
	char *e;

	f->nbounds = 0;
	while (s < end && f->nbounds < MET_MAX_BUCKETS) {
		double v = strtod(s, &e);
		if (e == s || e > end || !isfinite(v) ||
		    (f->nbounds > 0 && v <= f->bounds[f->nbounds - 1]))
			return;
		f->bounds[f->nbounds++] = v;
		s = *e == ',' ? e + 1 : end;
	}
}

/* meta value "type|bounds|help" */
static void
add_meta(struct render *r, const char *name, const char *v)
{
	char type[16];
	const char *b = strchr(v, '|'), *h = b != NULL ? strchr(b + 1, '|') : NULL;
	int i;

	if (b == NULL || h == NULL || (size_t)(b - v) >= sizeof(type))
		return;
	snprintf(type, sizeof(type), "%.*s", (int)(b - v), v);
	set_family(r, name, type, h + 1);
	if ((i = find_family(r, name)) >= 0 && strcmp(r->fams[i].type, "histogram") == 0)
		parse_bounds(&r->fams[i], b + 1, h);
}

/* `a="x",b="y"` with escapes; 1 if well-formed. */
static int
labels_valid(const char *s)
{
	while (*s != '\0') {
		const char *n = s;
		while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' ||
		    (s > n && *s >= '0' && *s <= '9'))
			s++;
		if (s == n || s[0] != '=' || s[1] != '"')
			return 0;
		for (s += 2; *s != '"'; s++) {
			if (*s == '\0' || *s == '\n')
				return 0;
			if (*s == '\\' && (s[1] == '\\' || s[1] == '"' || s[1] == 'n'))
				s++;
			else if (*s == '\\')
				return 0;
		}
		s++;
		if (*s == ',')
			s++;
		else if (*s != '\0')
			return 0;
	}
	return 1;
}

/* Split LABELS into the le value and the rest (BASE). */
static int
split_le(const char *labels, char *base, size_t n, double *le)
{
	const char *p = strstr(labels, "le=\"");
	char *end;

	if (p == NULL || (p != labels && p[-1] != ','))
		return -1;
	if (strncmp(p + 4, "+Inf\"", 5) == 0) {
		*le = INFINITY;
		end = (char *)p + 9;
	} else {
		*le = strtod(p + 4, &end);
		if (end == p + 4 || *end != '"')
			return -1;
		end++;
	}
	if (*end != '\0')
		return -1;	/* we always write le last */
	snprintf(base, n, "%.*s", (int)(p == labels ? 0 : p - labels - 1), labels);
	return 0;
}

static int
classify(struct render *r, const char *name, struct sample *s)
{
	static const char *const suffix[] = { "_bucket", "_sum", "_count" };
	char base[128];
	size_t n = strlen(name);

	s->kind = 0;
	if ((s->fam = find_family(r, name)) >= 0)
		return strcmp(r->fams[s->fam].type, "histogram") == 0 ? -1 : 0;
	for (int k = 0; k < 3; k++) {
		size_t sl = strlen(suffix[k]);
		if (n <= sl || n - sl >= sizeof(base) || strcmp(name + n - sl, suffix[k]) != 0)
			continue;
		snprintf(base, sizeof(base), "%.*s", (int)(n - sl), name);
		s->fam = find_family(r, base);
		if (s->fam >= 0 && strcmp(r->fams[s->fam].type, "histogram") == 0) {
			s->kind = k + 1;
			return 0;
		}
	}
	return -1;
}

/* "name{labels}" -> sample; -1 to skip. */
static int
parse_series(struct render *r, const char *field, const char *value, struct sample *s)
{
	const char *brace = strchr(field, '{');
	size_t fl = strlen(field);
	char name[128], *end;

	memset(s, 0, sizeof(*s));
	if (brace == NULL || fl < 2 || field[fl - 1] != '}' || (size_t)(brace - field) >= sizeof(name) ||
	    fl - (size_t)(brace - field) - 2 >= sizeof(s->labels))
		return -1;
	snprintf(name, sizeof(name), "%.*s", (int)(brace - field), field);
	snprintf(s->labels, sizeof(s->labels), "%.*s", (int)(fl - (size_t)(brace - field) - 2), brace + 1);
	if (!met_name_valid(name) || !labels_valid(s->labels) || classify(r, name, s) != 0)
		return -1;
	s->value = strtod(value, &end);
	if (end == value || *end != '\0' || !isfinite(s->value))
		return -1;
	if (s->kind == 1)
		return split_le(s->labels, s->base, sizeof(s->base), &s->le);
	snprintf(s->base, sizeof(s->base), "%s", s->labels);
	return 0;
}

static void
add_samples(struct render *r, const redisReply *rep)
{
	for (size_t i = 0; rep != NULL && rep->type == REDIS_REPLY_ARRAY && i + 1 < rep->elements;
	    i += 2) {
		const redisReply *f = rep->element[i], *v = rep->element[i + 1];
		if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
			continue;
		if (r->ns == r->caps) {
			size_t cap = r->caps ? r->caps * 2 : 256;
			struct sample *ns = realloc(r->s, cap * sizeof(*ns));
			if (ns == NULL)
				return;
			r->s = ns;
			r->caps = cap;
		}
		if (parse_series(r, f->str, v->str, &r->s[r->ns]) == 0)
			r->ns++;
	}
}

/*
 * Samples group by family index (emit() walks families in their own order),
 * then series, kind and bucket bound; no context needed, so no global for
 * qsort to share between handler threads.
 */
static int
cmp_sample(const void *pa, const void *pb)
{
	const struct sample *a = pa, *b = pb;
	int c = a->fam - b->fam;

	if (c == 0)
		c = strcmp(a->base, b->base);
	if (c == 0)
		c = a->kind - b->kind;
	if (c == 0)
		c = a->le < b->le ? -1 : a->le > b->le;
	return c;
}

static const char *const sample_suffix[] = { "", "_bucket", "_sum", "_count" };

/*
 * A bucket absent from Redis was never incremented (writers skip zero
 * increments), so it holds 0: write the family's bounds below LE that the
 * group lacks, keeping every histogram's bucket list complete.
 */
static void
fill_buckets(const struct family *fm, const struct sample *s, size_t *bi, struct evbuffer *out)
{
	while (*bi < fm->nbounds && fm->bounds[*bi] < s->le) {
		evbuffer_add_printf(out, "%s_bucket{%s%sle=\"%.10g\"} 0\n", fm->name, s->base,
		    s->base[0] != '\0' ? "," : "", fm->bounds[*bi]);
		(*bi)++;
	}
	if (*bi < fm->nbounds && fm->bounds[*bi] == s->le)
		(*bi)++;
}

static void
emit(struct render *r, struct evbuffer *out)
{
	if (r->ns > 0)
		qsort(r->s, r->ns, sizeof(*r->s), cmp_sample);
	for (int f = 0; f < r->nfams; f++) {
		const struct family *fm = &r->fams[f];
		evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", fm->name, fm->help, fm->name,
		    fm->type);
		size_t bi = 0;
		for (size_t i = 0; i < r->ns; i++) {
			const struct sample *s = &r->s[i];
			if (s->fam != f)
				continue;
			if (s->kind == 1) {
				if (i == 0 || r->s[i - 1].fam != f || r->s[i - 1].kind != 1 ||
				    strcmp(r->s[i - 1].base, s->base) != 0)
					bi = 0;	/* first bucket of a group */
				fill_buckets(fm, s, &bi, out);
			}
			if (s->labels[0] != '\0')
				evbuffer_add_printf(out, "%s%s{%s} %.15g\n", fm->name,
				    sample_suffix[s->kind], s->labels, s->value);
			else
				evbuffer_add_printf(out, "%s%s %.15g\n", fm->name, sample_suffix[s->kind],
				    s->value);
		}
	}
}

static redisReply *
hgetall(struct rds *rd, const char *key)
{
	redisReply *rep = rds_command(rd, "HGETALL %s", key);

	if (rep != NULL && rep->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(rep);
		rep = NULL;
	}
	return rep;
}

static long long
reply_int(redisReply *rep, int first_of_array)
{
	long long v = -1;

	if (rep != NULL && rep->type == REDIS_REPLY_INTEGER)
		v = rep->integer;
	else if (rep != NULL && first_of_array && rep->type == REDIS_REPLY_ARRAY &&
	    rep->elements > 0 && rep->element[0]->type == REDIS_REPLY_INTEGER)
		v = rep->element[0]->integer;
	else if (rep != NULL && rep->type == REDIS_REPLY_ERROR)
		v = 0;	/* no stream or group yet */
	freeReplyObject(rep);
	return v;
}

static void
emit_queue(struct rds *rd, struct evbuffer *out)
{
	char stream[160], dead[160];
	long long len, pending, dl;

	rds_key(&rd->p, stream, sizeof(stream), "ops");
	rds_key(&rd->p, dead, sizeof(dead), "ops:dead");
	len = reply_int(rds_command(rd, "XLEN %s", stream), 0);
	pending = reply_int(rds_command(rd, "XPENDING %s workers", stream), 1);
	dl = reply_int(rds_command(rd, "XLEN %s", dead), 0);
	evbuffer_add_printf(out, "# HELP dbaas_queue_length entries in the operation stream\n"
	    "# TYPE dbaas_queue_length gauge\n");
	if (len >= 0)
		evbuffer_add_printf(out, "dbaas_queue_length{stream=\"ops\"} %lld\n", len);
	if (dl >= 0)
		evbuffer_add_printf(out, "dbaas_queue_length{stream=\"ops:dead\"} %lld\n", dl);
	evbuffer_add_printf(out, "# HELP dbaas_queue_pending operations delivered to a worker and "
	    "not yet acknowledged\n# TYPE dbaas_queue_pending gauge\n");
	if (pending >= 0)
		evbuffer_add_printf(out, "dbaas_queue_pending{stream=\"ops\"} %lld\n", pending);
}

/* The operation counts ($group by type and status) as sample lines; NULL on failure. */
static char *
query_opstats(struct mdb *m)
{
	bson_t *pipe = BCON_NEW("pipeline", "[", "{", "$group", "{", "_id", "{", "type",
	    BCON_UTF8("$type"), "status", BCON_UTF8("$status"), "}", "n", "{", "$sum", BCON_INT32(1),
	    "}", "}", "}", "]");
	bson_t *opts = mdb_opts(m);
	mongoc_cursor_t *cur = mongoc_collection_aggregate(m->coll[MDB_OPERATIONS],
	    MONGOC_QUERY_NONE, pipe, opts, NULL);
	char *text = NULL;
	struct evbuffer *b = evbuffer_new();
	const bson_t *doc;
	bson_error_t err;
	char line[512];

	while (b != NULL && mongoc_cursor_next(cur, &doc)) {
		bson_iter_t it, id;
		const char *t = NULL, *s = NULL;
		char te[128], se[128];
		if (bson_iter_init_find(&it, doc, "_id") && BSON_ITER_HOLDS_DOCUMENT(&it) &&
		    bson_iter_recurse(&it, &id)) {
			while (bson_iter_next(&id)) {
				if (!BSON_ITER_HOLDS_UTF8(&id))
					continue;
				if (strcmp(bson_iter_key(&id), "type") == 0)
					t = bson_iter_utf8(&id, NULL);
				else
					s = bson_iter_utf8(&id, NULL);
			}
		}
		if (t == NULL || s == NULL || strlen(t) > 60 || strlen(s) > 60)
			continue;
		met_label_escape(t, te, sizeof(te));
		met_label_escape(s, se, sizeof(se));
		snprintf(line, sizeof(line), "dbaas_operations{type=\"%s\",status=\"%s\"} %lld\n", te, se,
		    (long long)api_bson_int(doc, "n", 0));
		evbuffer_add(b, line, strlen(line));
	}
	if (mongoc_cursor_error(cur, &err)) {
		api_store_classify(&err, "aggregate operations");
	} else if (b != NULL) {
		size_t n = evbuffer_get_length(b);
		if ((text = malloc(n + 1)) != NULL) {
			evbuffer_remove(b, text, n);
			text[n] = '\0';
		}
	}
	if (b != NULL)
		evbuffer_free(b);
	mongoc_cursor_destroy(cur);
	bson_destroy(opts);
	bson_destroy(pipe);
	return text;
}

/*
 * A copy of the cached counts if fresh, else NULL.  Two threads may both
 * find them stale and both query: harmless, and rarer than a scrape.
 */
static char *
cached_opstats(struct api_opstats *s)
{
	char *text = NULL;

	pthread_mutex_lock(&s->mu);
	if (s->text != NULL && clk_mono_ms() - s->at_ms <= OPSTATS_TTL_MS)
		text = strdup(s->text);
	pthread_mutex_unlock(&s->mu);
	return text;
}

static void
emit_opstats(struct api_opstats *s, struct mdb *m, struct evbuffer *out)
{
	char *text = cached_opstats(s), *fresh;

	if (text == NULL && (fresh = query_opstats(m)) != NULL) {
		pthread_mutex_lock(&s->mu);
		free(s->text);
		s->text = fresh;
		s->at_ms = clk_mono_ms();
		text = strdup(fresh);
		pthread_mutex_unlock(&s->mu);
	} else if (text == NULL) {
		pthread_mutex_lock(&s->mu);	/* MongoDB failed: the last counts, however old */
		text = s->text != NULL ? strdup(s->text) : NULL;
		pthread_mutex_unlock(&s->mu);
	}
	evbuffer_add_printf(out, "# HELP dbaas_operations operations by type and status\n"
	    "# TYPE dbaas_operations gauge\n%s", text != NULL ? text : "");
	free(text);
}

int
api_opstats_init(struct api *a)
{
	a->opstats = calloc(1, sizeof(*a->opstats));
	if (a->opstats == NULL)
		return -1;
	pthread_mutex_init(&a->opstats->mu, NULL);
	return 0;
}

void
api_opstats_free(struct api *a)
{
	if (a->opstats == NULL)
		return;
	pthread_mutex_destroy(&a->opstats->mu);
	free(a->opstats->text);
	free(a->opstats);
	a->opstats = NULL;
}

static int
load(struct rds *rd, struct render *r)
{
	char mkey[160], ckey[160], gkey[160];
	redisReply *meta, *c, *g;

	met_keys(&rd->p, mkey, ckey, gkey);
	for (size_t i = 0; i < sizeof(declared) / sizeof(declared[0]); i++)
		set_family(r, declared[i].name, declared[i].type, declared[i].help);
	if ((meta = hgetall(rd, mkey)) == NULL)
		return -1;
	for (size_t i = 0; i + 1 < meta->elements; i += 2)
		if (meta->element[i]->type == REDIS_REPLY_STRING &&
		    meta->element[i + 1]->type == REDIS_REPLY_STRING)
			add_meta(r, meta->element[i]->str, meta->element[i + 1]->str);
	freeReplyObject(meta);
	c = hgetall(rd, ckey);
	g = c != NULL ? hgetall(rd, gkey) : NULL;
	add_samples(r, c);
	add_samples(r, g);
	freeReplyObject(c);
	freeReplyObject(g);
	return c != NULL && g != NULL ? 0 : -1;
}

void
api_metrics(struct api_req *q)
{
	struct render *r = calloc(1, sizeof(*r));
	struct evbuffer *out = evbuffer_new();
	size_t n;

	if (r == NULL || out == NULL) {
		api_reply_problem(q, 500, NULL, "out of memory", NULL);
	} else if (load(q->redis, r) != 0) {
		api_reply_unavailable(q, "redis (metrics are kept there)");
	} else {
		emit(r, out);
		emit_queue(q->redis, out);
		emit_opstats(q->api->opstats, q->mdb, out);
		n = evbuffer_get_length(out);
		api_reply_text(q, 200, "text/plain; version=0.0.4; charset=utf-8",
		    (const char *)evbuffer_pullup(out, (ssize_t)n), n);
	}
	if (out != NULL)
		evbuffer_free(out);
	if (r != NULL)
		free(r->s);
	free(r);
}
