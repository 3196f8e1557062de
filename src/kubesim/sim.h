/*
 * sim — the simulator's shared state and the seams between its parts.
 *
 * One `struct ksim_sim` lives for the whole process (single-threaded,
 * libevent): the HTTP server hands each request to the router, the router
 * to the API handlers, which read and write the store; every store event
 * goes to the watch hub (fan-out to streams) and to the simulated KubeDB
 * operator, which reacts later through timers.  Fault injection sits in the
 * router, in front of everything under /api and /apis.
 */
#ifndef KSIM_SIM_H
#define KSIM_SIM_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "kubesim/res.h"
#include "kubesim/tls.h"

struct event_base;
struct ksim_req;
struct ksim_store;
struct ksim_hub;
struct ksim_operator;
struct ksim_faults;
struct ksim_gc;
struct ksim_http;

struct ksim_token {
	char *token;
	char *user;
	int readonly;
};

struct ksim_conf {
	char *listen;			/* HOST:PORT; port 0 picks a free one */
	int tls;			/* generate a CA and serve HTTPS */
	char *tls_host;			/* extra subjectAltName */
	char *url_file;			/* write the URL here once listening */
	char *kubeconfig;		/* write a kubeconfig here */
	char *ca_file;			/* write the CA certificate here */
	struct ksim_token *tokens;	/* none: no authentication */
	size_t ntokens;
	char **namespaces;		/* created at start and after a reset */
	size_t nnamespaces;
	int provision_ms;		/* Provisioning -> Ready */
	int ops_ms;			/* OpsRequest Progressing -> Successful */
	int delete_ms;			/* finalizer runs this long after deletion */
	int gc_ms;			/* garbage collector pass after a Foreground/Orphan delete */
	int halt_ms;			/* Ready <-> Halted */
	size_t history;			/* watch events kept per resource, at most */
	int history_s;			/* watch window: events older than this go... */
	int history_min;		/* ...once this many newer ones exist */
	int compact_s;			/* compaction period: continue tokens expire */
	int bookmark_s;			/* watch bookmark period */
	int watch_timeout_s;		/* default watch length when timeoutSeconds is absent */
	size_t watch_buffer;		/* bytes queued per watcher before it is dropped */
	int rv_wait_ms;			/* wait before 504 on a too-large resourceVersion */
	int operator_on;		/* 0: a plain API server, no KubeDB operator */
	char *log_level;
};

struct ksim_sim {
	struct event_base *base;
	struct ksim_conf *conf;
	struct ksim_store *store;
	struct ksim_hub *hub;
	struct ksim_operator *op;
	struct ksim_faults *faults;
	struct ksim_gc *gc;
	struct ksim_http *http;
	struct ksim_tls tls;
	struct event *compact_ev;
	uint64_t compact_mark;		/* RV at the previous compaction tick */
	char url[160];
	char host_port[96];
	int64_t started_ms;
};

enum ksim_verb {
	KSIM_V_GET, KSIM_V_LIST, KSIM_V_WATCH, KSIM_V_CREATE, KSIM_V_UPDATE, KSIM_V_PATCH,
	KSIM_V_DELETE, KSIM_V_DELETECOLLECTION, KSIM_V_OTHER, KSIM_NVERBS
};

/* One API request, routed. */
struct ksim_call {
	struct ksim_sim *sim;
	struct ksim_req *req;
	enum ksim_verb verb;
	const struct ksim_res *res;	/* NULL for non-resource paths */
	char ns[254];			/* "" when not namespaced / all namespaces */
	char name[254];
	int status_sub;			/* .../NAME/status */
	const struct ksim_token *user;
	struct event *delay;		/* a deferred step in progress */
	void (*deferred)(struct ksim_call *c);
	int waited;			/* a resourceVersion wait already happened */
	int watch_fault;		/* KSIM_F_WATCH_CLOSE / _EXPIRE, or 0 */
	int64_t watch_close_ms;		/* KSIM_F_WATCH_CLOSE: stream lifetime */
};

const char *ksim_verb_name(enum ksim_verb v);
/* 1 if a query flag is true the way Go's strconv.ParseBool reads it. */
int ksim_query_true(const char *v);

/*
 * Run FN(C) after MS milliseconds (latency faults, resourceVersion waits);
 * nothing runs if the client goes away first.  0 or -1.
 */
int ksim_call_defer(struct ksim_call *c, int64_t ms, void (*fn)(struct ksim_call *c));

/* api.c — the resource verbs. */
void ksim_api_get(struct ksim_call *c);
void ksim_api_create(struct ksim_call *c);
void ksim_api_update(struct ksim_call *c);
void ksim_api_patch(struct ksim_call *c);
void ksim_api_delete(struct ksim_call *c);
void ksim_api_deletecollection(struct ksim_call *c);
/* Delete (honouring finalizers) as a client would; 0 or -1. */
int ksim_api_delete_object(struct ksim_sim *sim, const struct ksim_res *res, const char *ns,
    const char *name);
/* Create a namespace (for pre-created namespaces); 0 or -1. */
int ksim_api_create_namespace(struct ksim_sim *sim, const char *name);

/* list.c */
void ksim_list(struct ksim_call *c);
/* watch.c */
void ksim_watch(struct ksim_call *c);
/* discovery.c: answers and returns 1 if PATH is a discovery/openapi path. */
int ksim_discovery(struct ksim_sim *sim, struct ksim_req *req, const char *path);
/* simapi.c: the /_sim/ admin endpoints. */
void ksim_simapi(struct ksim_sim *sim, struct ksim_req *req, const char *path);
/* router.c */
void ksim_router_handle(struct ksim_req *req, void *arg);
void ksim_router_done(struct ksim_req *req, void *arg);
/* Reset to the initial state (objects, watches, operator, namespaces). */
void ksim_sim_reset_objects(struct ksim_sim *sim);

#endif
