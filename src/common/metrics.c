/*
 * metrics — in-process registry and the flush to Redis (see metrics.h).
 *
 * One registry per process, a small chained hash table of series keyed by
 * family and label text.  A series holds only what changed since the last
 * flush; after a successful send the deltas go back to zero, so memory stays
 * bounded by the number of series.  Most roles are one thread, but the API
 * records from its handler threads while its loop flushes, so one mutex
 * guards the registry.  The flush holds it while it queues commands on the
 * async Redis connection (formatting, no I/O): a few hundred series cost well
 * under a millisecond, once per heartbeat.  Families and series are never
 * freed before met_reset(), so a handle stays valid without the lock.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/metrics.h"

#define NBUCKETS_HASH 256

struct met_family {
	char *name, *help;
	enum met_type type;
	double bounds[MET_MAX_BUCKETS];
	size_t nbounds;
	int meta_sent;			/* metrics:meta holds it (as far as we know) */
	struct met_family *next;
};

struct met_series {
	struct met_family *fam;
	char *labels;
	double value;			/* counter delta or gauge value */
	double counts[MET_MAX_BUCKETS + 1];	/* per bucket (not cumulative), last = +Inf */
	double sum;
	int dirty;
	struct met_series *next;
};

static pthread_mutex_t met_mu = PTHREAD_MUTEX_INITIALIZER;
static struct met_family *families;		/* guarded by met_mu */
static struct met_series *table[NBUCKETS_HASH];	/* guarded by met_mu */
/* A metadata HSET got no reply or an error; set from a Redis callback. */
static atomic_int meta_lost;

int
met_name_valid(const char *s)
{
	if (s == NULL || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' ||
	    *s == ':'))
		return 0;
	for (s++; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == ':'))
			return 0;
	return 1;
}

static struct met_family *
family_locked(const char *name, enum met_type type, const char *help, const double *bounds,
    size_t nbounds)
{
	struct met_family *f;

	for (f = families; f != NULL; f = f->next)
		if (strcmp(f->name, name) == 0)
			return f;
	if (!met_name_valid(name) || nbounds > MET_MAX_BUCKETS)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->name = strdup(name);
	f->help = strdup(help);
	if (f->name == NULL || f->help == NULL) {
		free(f->name);
		free(f->help);
		free(f);
		return NULL;
	}
	f->type = type;
	if (nbounds > 0)
		memcpy(f->bounds, bounds, nbounds * sizeof(double));
	f->nbounds = nbounds;
	f->next = families;
	families = f;
	return f;
}

struct met_family *
met_family(const char *name, enum met_type type, const char *help, const double *bounds,
    size_t nbounds)
{
	struct met_family *f;

	pthread_mutex_lock(&met_mu);
	f = family_locked(name, type, help, bounds, nbounds);
	pthread_mutex_unlock(&met_mu);
	return f;
}

struct met_family *
met_family_cached(struct met_family *_Atomic *cache, const char *name, enum met_type type,
    const char *help, const double *bounds, size_t nbounds)
{
	struct met_family *f = atomic_load_explicit(cache, memory_order_acquire);

	if (f == NULL) {
		f = met_family(name, type, help, bounds, nbounds);
		atomic_store_explicit(cache, f, memory_order_release);
	}
	return f;
}

static unsigned
hash(const struct met_family *f, const char *labels)
{
	unsigned h = 2166136261u ^ (unsigned)(uintptr_t)f;

	for (; *labels != '\0'; labels++)
		h = (h ^ (unsigned char)*labels) * 16777619u;
	return h % NBUCKETS_HASH;
}

static struct met_series *
series(struct met_family *f, const char *labels)
{
	unsigned h;
	struct met_series *s;

	if (f == NULL)
		return NULL;
	h = hash(f, labels);
	for (s = table[h]; s != NULL; s = s->next)
		if (s->fam == f && strcmp(s->labels, labels) == 0)
			return s;
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->labels = strdup(labels)) == NULL) {
		free(s);
		return NULL;
	}
	s->fam = f;
	s->next = table[h];
	table[h] = s;
	return s;
}

void
met_add(struct met_family *f, const char *labels, double v)
{
	struct met_series *s;

	pthread_mutex_lock(&met_mu);
	if ((s = series(f, labels)) != NULL) {
		s->value += v;
		s->dirty = 1;
	}
	pthread_mutex_unlock(&met_mu);
}

void
met_set(struct met_family *f, const char *labels, double v)
{
	struct met_series *s;

	pthread_mutex_lock(&met_mu);
	if ((s = series(f, labels)) != NULL) {
		s->value = v;
		s->dirty = 1;
	}
	pthread_mutex_unlock(&met_mu);
}

void
met_observe(struct met_family *f, const char *labels, double v)
{
	struct met_series *s;
	size_t i = 0;

	pthread_mutex_lock(&met_mu);
	if ((s = series(f, labels)) != NULL) {
		while (i < f->nbounds && v > f->bounds[i])
			i++;
		s->counts[i] += 1;
		s->sum += v;
		s->dirty = 1;
	}
	pthread_mutex_unlock(&met_mu);
}

void
met_label_escape(const char *v, char *out, size_t n)
{
	size_t o = 0;

	for (; *v != '\0' && o + 3 < n; v++) {
		if (*v == '\\' || *v == '"') {
			out[o++] = '\\';
			out[o++] = *v;
		} else if (*v == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *v;
		}
	}
	out[o] = '\0';
}

void
met_keys(const struct rds_params *p, char meta[160], char counters[160], char gauges[160])
{
	rds_key(p, meta, 160, "metrics:meta");
	rds_key(p, counters, 160, "metrics:c");
	rds_key(p, gauges, 160, "metrics:g");
}

static const char *
type_name(enum met_type t)
{
	return t == MET_COUNTER ? "counter" : t == MET_GAUGE ? "gauge" : "histogram";
}

static void
meta_done(struct rds_async *ra, redisReply *reply, void *arg)
{
	(void)ra;
	(void)arg;
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
		atomic_store(&meta_lost, 1);
}

static void
meta_unsent_locked(void)
{
	for (struct met_family *f = families; f != NULL; f = f->next)
		f->meta_sent = 0;
}

void
met_meta_resend(void)
{
	pthread_mutex_lock(&met_mu);
	meta_unsent_locked();
	pthread_mutex_unlock(&met_mu);
}

static int
send_meta(struct rds_async *ra, const char *key, const struct met_family *f)
{
	char val[1024];
	size_t n = (size_t)snprintf(val, sizeof(val), "%s|", type_name(f->type));

	for (size_t i = 0; i < f->nbounds && n < sizeof(val); i++)
		n += (size_t)snprintf(val + n, sizeof(val) - n, "%s%.10g", i ? "," : "", f->bounds[i]);
	if (n < sizeof(val))
		snprintf(val + n, sizeof(val) - n, "|%s", f->help);
	return rds_async_command(ra, 0, meta_done, NULL, "HSET %s %s %s", key, f->name, val);
}

static int
incr(struct rds_async *ra, const char *key, const char *name, const char *suffix,
    const char *labels, const char *extra, double v)
{
	char field[MET_LABELS_MAX + 160];

	snprintf(field, sizeof(field), "%s%s{%s%s%s}", name, suffix, labels,
	    labels[0] != '\0' && extra[0] != '\0' ? "," : "", extra);
	return rds_async_command(ra, 0, NULL, NULL, "HINCRBYFLOAT %s %s %.17g", key, field, v);
}

static int
flush_histogram(struct rds_async *ra, const char *key, struct met_series *s)
{
	const struct met_family *f = s->fam;
	double cum = 0, total = 0;
	char le[64];

	for (size_t i = 0; i <= f->nbounds; i++)
		total += s->counts[i];
	for (size_t i = 0; i < f->nbounds; i++) {
		cum += s->counts[i];
		if (cum == 0)
			continue;	/* an absent bucket reads as 0 (see metrics_render.c) */
		snprintf(le, sizeof(le), "le=\"%.10g\"", f->bounds[i]);
		if (incr(ra, key, f->name, "_bucket", s->labels, le, cum) != 0)
			return -1;
	}
	if (incr(ra, key, f->name, "_bucket", s->labels, "le=\"+Inf\"", total) != 0 ||
	    incr(ra, key, f->name, "_sum", s->labels, "", s->sum) != 0 ||
	    incr(ra, key, f->name, "_count", s->labels, "", total) != 0)
		return -1;
	return 0;
}

static int
flush_series(struct rds_async *ra, const char *ckey, const char *gkey, struct met_series *s)
{
	char field[MET_LABELS_MAX + 160];

	switch (s->fam->type) {
	case MET_COUNTER:
		return incr(ra, ckey, s->fam->name, "", s->labels, "", s->value);
	case MET_GAUGE:
		snprintf(field, sizeof(field), "%s{%s}", s->fam->name, s->labels);
		return rds_async_command(ra, 0, NULL, NULL, "HSET %s %s %.17g", gkey, field, s->value);
	default:
		return flush_histogram(ra, ckey, s);
	}
}

static void
clear_deltas(struct met_series *s)
{
	if (s->fam->type != MET_GAUGE)
		s->value = 0;
	memset(s->counts, 0, sizeof(s->counts));
	s->sum = 0;
	s->dirty = 0;
}

static int
flush_locked(struct rds_async *ra)
{
	char meta[160], ckey[160], gkey[160];
	int sent = 0;

	met_keys(&ra->p, meta, ckey, gkey);
	/* Metadata never changes: send it once per family, and again whenever
	 * Redis may have missed it (a lost or failed reply, a failed flush). */
	if (atomic_exchange(&meta_lost, 0))
		meta_unsent_locked();
	for (struct met_family *f = families; f != NULL; f = f->next) {
		if (f->meta_sent)
			continue;
		if (send_meta(ra, meta, f) != 0) {
			meta_unsent_locked();
			return -1;
		}
		f->meta_sent = 1;
	}
	/*
	 * One transaction per flush: a scrape's HGETALL from another
	 * connection could otherwise land between the commands of one
	 * histogram and see its buckets without its +Inf or _count (an
	 * exposition promtool rejects).  A flush that fails half-way is
	 * discarded whole; the deltas already cleared are lost, as they would
	 * be on the broken connection anyway.
	 */
	for (size_t h = 0; h < NBUCKETS_HASH; h++) {
		for (struct met_series *s = table[h]; s != NULL; s = s->next) {
			if (!s->dirty)
				continue;
			if (!sent && rds_async_command(ra, 0, NULL, NULL, "MULTI") != 0) {
				meta_unsent_locked();
				return -1;
			}
			if (flush_series(ra, ckey, gkey, s) != 0) {
				(void)rds_async_command(ra, 0, NULL, NULL, "DISCARD");
				meta_unsent_locked();
				return -1;
			}
			clear_deltas(s);
			sent = 1;	/* and MULTI is open */
		}
	}
	if (sent && rds_async_command(ra, 0, NULL, NULL, "EXEC") != 0)
		return -1;
	return sent ? 0 : -1;
}

int
met_flush(struct rds_async *ra)
{
	int rc;

	pthread_mutex_lock(&met_mu);
	if (!ra->connected) {
		meta_unsent_locked();	/* the next connection may be to a Redis without it */
		pthread_mutex_unlock(&met_mu);
		return -1;
	}
	rc = flush_locked(ra);
	pthread_mutex_unlock(&met_mu);
	return rc;
}

void
met_reset(void)
{
	pthread_mutex_lock(&met_mu);
	for (size_t h = 0; h < NBUCKETS_HASH; h++) {
		while (table[h] != NULL) {
			struct met_series *s = table[h];
			table[h] = s->next;
			free(s->labels);
			free(s);
		}
	}
	while (families != NULL) {
		struct met_family *f = families;
		families = f->next;
		free(f->name);
		free(f->help);
		free(f);
	}
	pthread_mutex_unlock(&met_mu);
}
