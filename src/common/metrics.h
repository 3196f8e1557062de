/*
 * metrics — counters, gauges and histograms that every role keeps in memory
 * and publishes to Redis, where GET /metrics sums them across every process
 * of every host.
 *
 * Recording is a hash lookup and an addition under a mutex (no I/O): safe
 * on hot paths and from any thread of a process (the API's handler threads
 * record while its event loop flushes).
 * met_flush(), run from the role heartbeat timer, sends what changed since
 * the last flush as increments, so the totals in Redis are cumulative over
 * the whole service and survive the processes that produced them.  Redis
 * schema, under the configured prefix:
 *   metrics:meta  hash  family -> "<type>|<bucket bounds, comma-separated>|<help>"
 *   metrics:c     hash  series -> cumulative value (HINCRBYFLOAT of deltas);
 *                       series are Prometheus sample names with labels:
 *                       name{a="x"}, histograms as name_bucket{...,le="0.5"}
 *                       (cumulative), name_sum{...}, name_count{...}
 *   metrics:g     hash  series -> value (gauges: last writer wins; put a
 *                       per-process label on gauges that are per process)
 * A delta whose HINCRBYFLOAT times out may be lost (never doubled); one
 * that cannot be sent because Redis is down is kept for the next flush.
 */
#ifndef DBAAS_METRICS_H
#define DBAAS_METRICS_H

#include <stdatomic.h>
#include <stddef.h>

#include "common/rds.h"

enum met_type { MET_COUNTER, MET_GAUGE, MET_HISTOGRAM };

struct met_family;

#define MET_MAX_BUCKETS 16
#define MET_LABELS_MAX 256

/*
 * The family NAME (created on first use, then the same handle).  BOUNDS
 * (ascending, at most MET_MAX_BUCKETS) only for histograms.  Returns NULL
 * when out of memory or NAME is not a valid metric name.
 */
struct met_family *met_family(const char *name, enum met_type type, const char *help,
    const double *bounds, size_t nbounds);
/*
 * The same, cached in *CACHE (a static of the caller) so a hot path looks
 * the family up once.  The cache is atomic because any thread may fill it
 * first; met_family() hands every caller the same handle.
 */
struct met_family *met_family_cached(struct met_family *_Atomic *cache, const char *name,
    enum met_type type, const char *help, const double *bounds, size_t nbounds);
/* LABELS is the text between braces, e.g. `route="/x",code="200"` ("" for none). */
void met_add(struct met_family *f, const char *labels, double v);
void met_set(struct met_family *f, const char *labels, double v);
void met_observe(struct met_family *f, const char *labels, double v);
/* Escape V for use inside a label's quotes (\, " and newline). */
void met_label_escape(const char *v, char *out, size_t n);
/* 1 if S is a valid metric name. */
int met_name_valid(const char *s);

/*
 * Send what changed to Redis (async, fire and forget); 0 if anything was sent.
 * A family's metadata goes once, and again after a failure or met_meta_resend().
 */
int met_flush(struct rds_async *ra);
/* Resend every family's metadata on the next flush (after a Redis reconnect). */
void met_meta_resend(void);
/* The Redis keys of the schema above. */
void met_keys(const struct rds_params *p, char meta[160], char counters[160], char gauges[160]);
/* Drop everything (tests, and processes that exit). */
void met_reset(void);

#endif
