/*
 * faults — run-time fault injection and request accounting.
 *
 * Rules are added over /_sim/faults and match requests by verb, resource,
 * namespace and name, each firing with a probability and for a limited
 * count.  Request faults: added latency (fixed + jitter, cumulative), an
 * HTTP error (500, 503, 429 with Retry-After...), a hung request, a TCP
 * reset, a watch closed early or answered with 410 Expired.  Operator
 * faults: OpsRequests that end Failed, databases held Critical.
 *
 * Every answered API request is counted per verb/resource/code and kept in
 * a bounded log with its time, so tests can assert "exactly one OpsRequest
 * was created" or "no more than N requests per second".
 */
#ifndef KSIM_FAULTS_H
#define KSIM_FAULTS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "kubesim/sim.h"

enum ksim_fault_action {
	KSIM_F_LATENCY, KSIM_F_ERROR, KSIM_F_HANG, KSIM_F_RESET, KSIM_F_WATCH_CLOSE,
	KSIM_F_WATCH_EXPIRE, KSIM_F_OPS_FAIL, KSIM_F_DB_CRITICAL, KSIM_F_NONE
};

/* What the router must do with one request. */
struct ksim_fault_hit {
	int64_t delay_ms;		/* summed latency */
	enum ksim_fault_action action;	/* KSIM_F_NONE, or the first terminal fault */
	int code;			/* KSIM_F_ERROR */
	int retry_after;		/* seconds; 0 = no header */
	int64_t after_ms;		/* KSIM_F_WATCH_CLOSE: stream lifetime */
};

struct ksim_faults;

struct ksim_faults *ksim_faults_new(void);
void ksim_faults_free(struct ksim_faults *f);
/*
 * Add a rule from its JSON description.  Returns the rule id (> 0), or -1
 * with ERR naming the offending field.
 */
int ksim_faults_add(struct ksim_faults *f, const cJSON *spec, char *err, size_t errlen);
/* Remove rule ID (0 if removed, -1 if unknown); clear all rules. */
int ksim_faults_remove(struct ksim_faults *f, int id);
void ksim_faults_clear(struct ksim_faults *f);
/* The rules, with their remaining counts and hits (caller frees). */
cJSON *ksim_faults_json(const struct ksim_faults *f);

/* Decide the fate of a request. */
void ksim_faults_request(struct ksim_faults *f, enum ksim_verb verb, const char *resource,
    const char *ns, const char *name, struct ksim_fault_hit *hit);
/* 1 if the OpsRequest should fail (consumes a count). */
int ksim_faults_ops_fail(struct ksim_faults *f, const char *resource, const char *ns,
    const char *name);
/* 1 if a rule currently holds the database Critical (does not consume). */
int ksim_faults_db_critical(struct ksim_faults *f, const char *resource, const char *ns,
    const char *name);

/* Account one finished request. */
void ksim_faults_count(struct ksim_faults *f, enum ksim_verb verb, const char *resource,
    const char *ns, const char *name, int code, int64_t t_ms);
void ksim_faults_reset_counters(struct ksim_faults *f);
/* {"total":N,"counters":[{verb,resource,code,count}...]} (caller frees). */
cJSON *ksim_faults_counters_json(const struct ksim_faults *f);
/* {"next":SEQ,"requests":[...]} for log entries with seq >= SINCE (caller frees). */
cJSON *ksim_faults_log_json(const struct ksim_faults *f, uint64_t since);

#endif
