/*
 * kube_metrics — the client's metric families, in one place so their names
 * and labels stay consistent.  Labels carry the provider id, the verb and
 * the code only: never a URL, a path or anything from the credentials.
 *   dbaas_kube_requests_total{provider,verb,code}   code = HTTP status, or
 *                                                   the error class when no
 *                                                   answer came
 *   dbaas_kube_request_duration_seconds{provider,verb}
 *   dbaas_kube_retries_total{provider,verb,reason}
 *   dbaas_kube_ratelimit_waits_total{provider}      requests that waited for a token
 *   dbaas_kube_ratelimit_wait_seconds_total{provider}
 *   dbaas_kube_circuit_state{provider,pid}          0 closed, 1 half-open, 2 open
 *                                                   (per process: each has its breaker)
 *   dbaas_kube_watch_events_total{provider,type}
 *   dbaas_kube_watch_restarts_total{provider,reason}
 */
#include <stdio.h>
#include <unistd.h>

#include "common/kube_int.h"
#include "common/metrics.h"

static const double dur_bounds[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
	30 };

void
kube_met_request(struct kprov *p, const char *verb, int code, enum kube_err e, double secs)
{
	static struct met_family *_Atomic reqs_cache, *_Atomic dur_cache;
	struct met_family *reqs, *dur;
	char labels[MET_LABELS_MAX], c[32];

	reqs = met_family_cached(&reqs_cache, "dbaas_kube_requests_total", MET_COUNTER,
	    "Kubernetes API requests by provider, verb and HTTP code (or error class)", NULL, 0);
	dur = met_family_cached(&dur_cache, "dbaas_kube_request_duration_seconds", MET_HISTOGRAM,
	    "Kubernetes API request attempt duration", dur_bounds,
	    sizeof(dur_bounds) / sizeof(dur_bounds[0]));
	if (code > 0)
		snprintf(c, sizeof(c), "%d", code);
	else
		snprintf(c, sizeof(c), "%s", kube_err_name(e));
	snprintf(labels, sizeof(labels), "%s,verb=\"%s\",code=\"%s\"", p->label, verb, c);
	if (reqs != NULL)
		met_add(reqs, labels, 1);
	if (code > 0 && dur != NULL) {
		snprintf(labels, sizeof(labels), "%s,verb=\"%s\"", p->label, verb);
		met_observe(dur, labels, secs);
	}
}

void
kube_met_retry(struct kprov *p, enum kube_verb v, enum kube_err e)
{
	static struct met_family *_Atomic cache;
	struct met_family *f = met_family_cached(&cache, "dbaas_kube_retries_total", MET_COUNTER,
	    "Kubernetes API request retries by provider, verb and reason", NULL, 0);
	char labels[MET_LABELS_MAX];

	snprintf(labels, sizeof(labels), "%s,verb=\"%s\",reason=\"%s\"", p->label,
	    kube_verb_name(v), kube_err_name(e));
	if (f != NULL)
		met_add(f, labels, 1);
}

void
kube_met_ratelimit(struct kprov *p, double secs)
{
	static struct met_family *_Atomic n_cache, *_Atomic s_cache;
	struct met_family *n = met_family_cached(&n_cache, "dbaas_kube_ratelimit_waits_total",
	    MET_COUNTER, "Kubernetes requests and watch opens that waited for a rate-limit token",
	    NULL, 0);
	struct met_family *s = met_family_cached(&s_cache, "dbaas_kube_ratelimit_wait_seconds_total",
	    MET_COUNTER, "Time spent waiting for Kubernetes rate-limit tokens", NULL, 0);

	if (n != NULL)
		met_add(n, p->label, 1);
	if (s != NULL)
		met_add(s, p->label, secs);
}

void
kube_met_circuit(struct kprov *p)
{
	static struct met_family *_Atomic cache;
	struct met_family *f = met_family_cached(&cache, "dbaas_kube_circuit_state", MET_GAUGE,
	    "Circuit breaker state per provider and process: 0 closed, 1 half-open, 2 open", NULL, 0);
	char labels[MET_LABELS_MAX];

	snprintf(labels, sizeof(labels), "%s,pid=\"%d\"", p->label, (int)getpid());
	if (f != NULL)
		met_set(f, labels, (double)p->br.state);
}

void
kube_met_watch_event(struct kprov *p, const char *type)
{
	static struct met_family *_Atomic cache;
	struct met_family *f = met_family_cached(&cache, "dbaas_kube_watch_events_total",
	    MET_COUNTER, "Kubernetes watch events received by provider and type", NULL, 0);
	char labels[MET_LABELS_MAX];

	snprintf(labels, sizeof(labels), "%s,type=\"%s\"", p->label, type);
	if (f != NULL)
		met_add(f, labels, 1);
}

void
kube_met_watch_restart(struct kprov *p, const char *reason)
{
	static struct met_family *_Atomic cache;
	struct met_family *f = met_family_cached(&cache, "dbaas_kube_watch_restarts_total",
	    MET_COUNTER, "Kubernetes watch connections reopened, by reason", NULL, 0);
	char labels[MET_LABELS_MAX];

	snprintf(labels, sizeof(labels), "%s,reason=\"%s\"", p->label, reason);
	if (f != NULL)
		met_add(f, labels, 1);
}
