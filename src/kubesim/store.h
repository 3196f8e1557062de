/*
 * store — every object kubesim holds, as compact JSON text plus indexes,
 * with etcd's consistency model in miniature.
 *
 * One global resourceVersion counts every write.  Each key keeps a chain of
 * immutable versions (newest first); a delete pushes a tombstone.  A LIST
 * page can therefore be served "as of" an older RV (continue tokens and
 * resourceVersionMatch=Exact), until compaction discards versions older than
 * the compacted RV — after which such reads answer 410 Expired, exactly the
 * contract the real apiserver has with etcd.
 *
 * Each resource also has a ring of its most recent events (the watch cache):
 * watches start from any RV still covered by the ring, older ones get the
 * "too old resource version" error.  Like the apiserver's watch cache the
 * ring starts empty when the server starts (earlier RVs are too old at
 * once), keeps at least the newest `keep` events and every event younger
 * than the time window, and never more than its capacity.  The store calls
 * one hook per event so the watch layer can fan it out.
 *
 * Ownership: versions and objects are reference counted.  Pointers returned
 * by lookups are borrowed and stay valid until the next write; take a ref
 * (ksim_ver_ref) to keep one longer.
 */
#ifndef KSIM_STORE_H
#define KSIM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "kubesim/avl.h"
#include "kubesim/labelsel.h"
#include "kubesim/res.h"

struct ksim_obj;

struct ksim_ver {
	int refs;
	uint64_t rv;
	int deleted;			/* tombstone: the key does not exist from RV on */
	int deleting;			/* metadata.deletionTimestamp set: finalizing */
	struct ksim_obj *obj;
	char *json;			/* compact JSON, as served */
	size_t len;
	struct ksim_labels labels;	/* borrowed pointers into labbuf */
	char *labbuf;
	int64_t created_ms;		/* metadata.creationTimestamp, for tables */
	struct ksim_ver *prev;		/* older version, kept until compaction */
};

struct ksim_obj {
	struct ksim_avl_node node;
	int refs;
	const struct ksim_res *res;
	char *key;			/* "ns/name" or "name": etcd key order */
	char *ns;			/* "" for cluster-scoped resources */
	char *name;
	struct ksim_ver *head;
	uint64_t create_rv;		/* RV of the ADDED event: creation order */
};

enum ksim_ev_type { KSIM_EV_ADDED, KSIM_EV_MODIFIED, KSIM_EV_DELETED };

struct ksim_event {
	uint64_t rv;
	int64_t ms;			/* when it happened (monotonic clock) */
	enum ksim_ev_type type;
	struct ksim_ver *ver;		/* new state; for DELETED the last state at this RV */
	struct ksim_ver *prev;		/* state before (NULL for ADDED) */
};

struct ksim_ring {
	struct ksim_event *ev;
	size_t cap;
	uint64_t first_seq;		/* oldest retained */
	uint64_t next_seq;		/* one past the newest */
	uint64_t evicted_rv;		/* newest RV no longer covered */
	uint64_t last_rv;		/* newest RV of this resource */
};

struct ksim_store;

typedef void (*ksim_event_fn)(void *arg, const struct ksim_res *res, uint64_t seq);

/* A store with HISTORY events retained per resource. NULL on OOM. */
struct ksim_store *ksim_store_new(size_t history, uint64_t start_rv);
void ksim_store_free(struct ksim_store *s);
void ksim_store_set_hook(struct ksim_store *s, ksim_event_fn fn, void *arg);

uint64_t ksim_store_rv(const struct ksim_store *s);
uint64_t ksim_store_compacted_rv(const struct ksim_store *s);
size_t ksim_store_count(const struct ksim_store *s, const struct ksim_res *res);

/* The live object at (RES, NS, NAME), or NULL. */
struct ksim_obj *ksim_store_get(struct ksim_store *s, const struct ksim_res *res,
    const char *ns, const char *name);
/*
 * Write OBJ (a complete object; the store sets metadata.resourceVersion and
 * fixes key order) as the new state of its key: ADDED if the key is absent,
 * MODIFIED otherwise.  OBJ stays the caller's.  Returns the new version
 * (borrowed), or NULL on OOM.
 */
struct ksim_ver *ksim_store_write(struct ksim_store *s, const struct ksim_res *res,
    const char *ns, const char *name, cJSON *obj);
/* Remove O now (DELETED event with its last state).  Returns the tombstone. */
struct ksim_ver *ksim_store_delete(struct ksim_store *s, struct ksim_obj *o);

/* The version of O visible at RV (0: latest), or NULL if O did not exist then. */
struct ksim_ver *ksim_obj_at(const struct ksim_obj *o, uint64_t rv);
/* Objects of RES in key order from the first key >= KEY[0..LEN); tombstones included. */
struct ksim_obj *ksim_store_seek(struct ksim_store *s, const struct ksim_res *res,
    const char *key, size_t len);
struct ksim_obj *ksim_store_next(struct ksim_obj *o);

/* Drop versions older than RV (continue tokens and Exact lists before it: 410). */
void ksim_store_compact(struct ksim_store *s, uint64_t rv);
/* Remove every object without events (the watch layer closes its streams). */
void ksim_store_clear(struct ksim_store *s);
/*
 * Events older than WINDOW_MS leave a ring once more than KEEP newer ones
 * exist (default: no time limit, only the capacity).
 */
void ksim_store_set_window(struct ksim_store *s, int64_t window_ms, size_t keep);
/* Forget every ring's events: the watch cache starts now (older RVs: 410). */
void ksim_store_ring_restart(struct ksim_store *s);
/* Drop the events of RES that are out of the time window at NOW_MS. */
void ksim_store_expire(struct ksim_store *s, const struct ksim_res *res, int64_t now_ms);

struct ksim_ring *ksim_store_ring(struct ksim_store *s, const struct ksim_res *res);
/* The first sequence number whose event has rv > RV. */
uint64_t ksim_ring_seek(const struct ksim_ring *r, uint64_t rv);
const struct ksim_event *ksim_ring_at(const struct ksim_ring *r, uint64_t seq);

void ksim_ver_ref(struct ksim_ver *v);
void ksim_ver_unref(struct ksim_ver *v);
/* Parse V's JSON into a new tree (caller frees), or NULL. */
cJSON *ksim_ver_parse(const struct ksim_ver *v);

#endif
