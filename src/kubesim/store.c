/*
 * store — see store.h.
 *
 * Compaction walks a FIFO of writes (object, rv) rather than the whole tree:
 * only keys written since the last compaction can hold versions to drop.
 * Each FIFO entry holds a reference on its object, so an object removed
 * from the tree by an earlier entry is still safe to look at.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "kubesim/jsonx.h"
#include "kubesim/ktime.h"
#include "kubesim/store.h"

struct wlog {
	struct ksim_obj *obj;
	uint64_t rv;
};

struct ksim_store {
	uint64_t rv;
	uint64_t compacted_rv;
	struct ksim_avl trees[KSIM_NRES];
	size_t live[KSIM_NRES];
	struct ksim_ring rings[KSIM_NRES];
	struct wlog *log;
	size_t log_head, log_len, log_cap;
	ksim_event_fn hook;
	void *hook_arg;
	int64_t window_ms;		/* < 0: no time window */
	size_t keep;			/* events kept whatever their age */
};

static const char *const builtin_top[] = {
	"kind", "apiVersion", "metadata", "immutable", "data", "type", "spec", "status", NULL
};
static const char *const builtin_meta[] = {
	"name", "generateName", "namespace", "uid", "resourceVersion", "generation",
	"creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
	"annotations", "ownerReferences", "finalizers", "managedFields", NULL
};

static void
obj_unref(struct ksim_obj *o)
{
	if (o == NULL || --o->refs > 0)
		return;
	free(o->key);
	free(o->ns);
	free(o->name);
	free(o);
}

void
ksim_ver_ref(struct ksim_ver *v)
{
	if (v != NULL)
		v->refs++;
}

void
ksim_ver_unref(struct ksim_ver *v)
{
	while (v != NULL && --v->refs == 0) {
		struct ksim_ver *prev = v->prev;

		obj_unref(v->obj);
		free(v->json);
		free(v->labbuf);
		free(v->labels.v);
		free(v);
		v = prev;	/* the chain's reference on the older version */
	}
}

cJSON *
ksim_ver_parse(const struct ksim_ver *v)
{
	return cJSON_ParseWithLength(v->json, v->len);
}

struct ksim_store *
ksim_store_new(size_t history, uint64_t start_rv)
{
	struct ksim_store *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if (history < 1)
		history = 1;
	s->rv = start_rv;
	s->compacted_rv = start_rv;
	s->window_ms = -1;
	for (int i = 0; i < KSIM_NRES; i++) {
		s->rings[i].cap = history;
		s->rings[i].evicted_rv = start_rv;
		s->rings[i].last_rv = start_rv;
		s->rings[i].ev = calloc(history, sizeof(struct ksim_event));
		if (s->rings[i].ev == NULL) {
			ksim_store_free(s);
			return NULL;
		}
	}
	return s;
}

static void
ring_clear(struct ksim_ring *r, uint64_t rv)
{
	for (uint64_t q = r->first_seq; q < r->next_seq; q++) {
		struct ksim_event *e = &r->ev[q % r->cap];

		ksim_ver_unref(e->ver);
		ksim_ver_unref(e->prev);
		memset(e, 0, sizeof(*e));
	}
	r->first_seq = r->next_seq;
	r->evicted_rv = rv;
}

static void
log_clear(struct ksim_store *s)
{
	for (size_t i = 0; i < s->log_len; i++)
		obj_unref(s->log[(s->log_head + i) % s->log_cap].obj);
	s->log_head = s->log_len = 0;
}

void
ksim_store_clear(struct ksim_store *s)
{
	/* A gap: every resourceVersion handed out before is now too old. */
	s->rv++;
	for (int i = 0; i < KSIM_NRES; i++) {
		struct ksim_avl_node *n;

		while ((n = ksim_avl_first(&s->trees[i])) != NULL) {
			struct ksim_obj *o = (struct ksim_obj *)n;
			struct ksim_ver *h = o->head;

			ksim_avl_remove(&s->trees[i], n);
			o->head = NULL;
			obj_unref(o);
			ksim_ver_unref(h);
		}
		s->live[i] = 0;
		ring_clear(&s->rings[i], s->rv);
	}
	log_clear(s);
	s->compacted_rv = s->rv;
}

void
ksim_store_free(struct ksim_store *s)
{
	if (s == NULL)
		return;
	ksim_store_clear(s);
	for (int i = 0; i < KSIM_NRES; i++)
		free(s->rings[i].ev);
	free(s->log);
	free(s);
}

void
ksim_store_set_hook(struct ksim_store *s, ksim_event_fn fn, void *arg)
{
	s->hook = fn;
	s->hook_arg = arg;
}

uint64_t
ksim_store_rv(const struct ksim_store *s)
{
	return s->rv;
}

uint64_t
ksim_store_compacted_rv(const struct ksim_store *s)
{
	return s->compacted_rv;
}

size_t
ksim_store_count(const struct ksim_store *s, const struct ksim_res *res)
{
	return s->live[res->id];
}

static size_t
make_key(const struct ksim_res *res, const char *ns, const char *name, char *buf, size_t n)
{
	int w = res->namespaced ? snprintf(buf, n, "%s/%s", ns, name) : snprintf(buf, n, "%s", name);

	return w < 0 || (size_t)w >= n ? 0 : (size_t)w;
}

static struct ksim_obj *
find_node(struct ksim_store *s, const struct ksim_res *res, const char *ns, const char *name)
{
	char key[600];
	size_t len = make_key(res, ns, name, key, sizeof(key));

	if (len == 0)
		return NULL;
	return (struct ksim_obj *)ksim_avl_find(&s->trees[res->id], key, len);
}

struct ksim_obj *
ksim_store_get(struct ksim_store *s, const struct ksim_res *res, const char *ns, const char *name)
{
	struct ksim_obj *o = find_node(s, res, ns, name);

	return o != NULL && o->head != NULL && !o->head->deleted ? o : NULL;
}

struct ksim_ver *
ksim_obj_at(const struct ksim_obj *o, uint64_t rv)
{
	struct ksim_ver *v = o->head;

	if (rv != 0)
		while (v != NULL && v->rv > rv)
			v = v->prev;
	return v != NULL && !v->deleted ? v : NULL;
}

struct ksim_obj *
ksim_store_seek(struct ksim_store *s, const struct ksim_res *res, const char *key, size_t len)
{
	return (struct ksim_obj *)ksim_avl_lower_bound(&s->trees[res->id], key, len);
}

struct ksim_obj *
ksim_store_next(struct ksim_obj *o)
{
	return (struct ksim_obj *)ksim_avl_next(&o->node);
}

static struct ksim_obj *
new_node(struct ksim_store *s, const struct ksim_res *res, const char *ns, const char *name)
{
	char key[600];
	size_t len = make_key(res, ns, name, key, sizeof(key));
	struct ksim_obj *o;

	if (len == 0 || (o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	o->res = res;
	o->key = strdup(key);
	o->ns = strdup(res->namespaced ? ns : "");
	o->name = strdup(name);
	if (o->key == NULL || o->ns == NULL || o->name == NULL) {
		o->refs = 1;
		obj_unref(o);
		return NULL;
	}
	o->node.key = o->key;
	o->node.keylen = len;
	o->refs = 1;		/* the tree's */
	ksim_avl_insert(&s->trees[res->id], &o->node);
	return o;
}

/* Copy metadata.labels into V (one buffer for all strings). */
static int
index_labels(struct ksim_ver *v, const cJSON *obj)
{
	const cJSON *labels = ksim_json_at(obj, "metadata.labels"), *l;
	size_t n = 0, bytes = 0, i = 0;
	char *p;

	cJSON_ArrayForEach(l, labels) {
		if (!cJSON_IsString(l))
			continue;
		n++;
		bytes += strlen(l->string) + strlen(l->valuestring) + 2;
	}
	if (n == 0)
		return 0;
	v->labels.v = calloc(n, sizeof(*v->labels.v));
	v->labbuf = p = malloc(bytes);
	if (v->labels.v == NULL || p == NULL)
		return -1;
	cJSON_ArrayForEach(l, labels) {
		if (!cJSON_IsString(l))
			continue;
		v->labels.v[i].key = strcpy(p, l->string);
		p += strlen(p) + 1;
		v->labels.v[i++].val = strcpy(p, l->valuestring);
		p += strlen(p) + 1;
	}
	v->labels.n = n;
	return 0;
}

/* A version of O from OBJ at RV (takes a ref on O). */
static struct ksim_ver *
new_version(struct ksim_obj *o, cJSON *obj, uint64_t rv, int deleted)
{
	struct ksim_ver *v = calloc(1, sizeof(*v));
	char rvs[24];
	cJSON *meta = ksim_json_obj(obj, "metadata");

	if (v == NULL || meta == NULL)
		goto fail;
	snprintf(rvs, sizeof(rvs), "%llu", (unsigned long long)rv);
	if (ksim_json_set_str(meta, "resourceVersion", rvs) < 0)
		goto fail;
	if (o->res->group[0] != '\0') {
		ksim_json_sort(obj);
	} else {
		ksim_json_order(obj, builtin_top);
		ksim_json_order(meta, builtin_meta);
	}
	if ((v->json = ksim_json_print(obj, &v->len)) == NULL || index_labels(v, obj) < 0)
		goto fail;
	v->refs = 1;
	v->rv = rv;
	v->deleted = deleted;
	/* Decided on the tree: a label or annotation may contain the text. */
	v->deleting = ksim_json_str(obj, "metadata.deletionTimestamp") != NULL;
	v->created_ms = ksim_time_parse(ksim_json_str(obj, "metadata.creationTimestamp"));
	v->obj = o;
	o->refs++;
	return v;
fail:
	if (v != NULL) {
		free(v->json);
		free(v->labbuf);
		free(v->labels.v);
		free(v);
	}
	return NULL;
}

static int
log_push(struct ksim_store *s, struct ksim_obj *o, uint64_t rv)
{
	if (s->log_len == s->log_cap) {
		size_t ncap = s->log_cap ? s->log_cap * 2 : 1024;
		struct wlog *nl = malloc(ncap * sizeof(*nl));

		if (nl == NULL)
			return -1;
		for (size_t i = 0; i < s->log_len; i++)
			nl[i] = s->log[(s->log_head + i) % s->log_cap];
		free(s->log);
		s->log = nl;
		s->log_cap = ncap;
		s->log_head = 0;
	}
	s->log[(s->log_head + s->log_len++) % s->log_cap] = (struct wlog){ o, rv };
	o->refs++;
	return 0;
}

static void
ring_evict(struct ksim_ring *r)
{
	struct ksim_event *e = &r->ev[r->first_seq % r->cap];

	r->evicted_rv = e->rv;
	ksim_ver_unref(e->ver);
	ksim_ver_unref(e->prev);
	memset(e, 0, sizeof(*e));
	r->first_seq++;
}

void
ksim_store_set_window(struct ksim_store *s, int64_t window_ms, size_t keep)
{
	s->window_ms = window_ms;
	s->keep = keep;
}

void
ksim_store_ring_restart(struct ksim_store *s)
{
	for (int i = 0; i < KSIM_NRES; i++)
		ring_clear(&s->rings[i], s->rv);
}

void
ksim_store_expire(struct ksim_store *s, const struct ksim_res *res, int64_t now_ms)
{
	struct ksim_ring *r = &s->rings[res->id];

	if (s->window_ms < 0)
		return;
	while (r->next_seq - r->first_seq > s->keep &&
	    now_ms - r->ev[r->first_seq % r->cap].ms > s->window_ms)
		ring_evict(r);
}

static void
ring_push(struct ksim_store *s, const struct ksim_res *res, enum ksim_ev_type type,
    struct ksim_ver *v, struct ksim_ver *prev)
{
	struct ksim_ring *r = &s->rings[res->id];
	struct ksim_event *e;
	int64_t now = clk_mono_ms();
	uint64_t seq;

	ksim_store_expire(s, res, now);
	if (r->next_seq - r->first_seq == r->cap)
		ring_evict(r);
	seq = r->next_seq++;
	e = &r->ev[seq % r->cap];
	*e = (struct ksim_event){ v->rv, now, type, v, prev };
	ksim_ver_ref(v);
	ksim_ver_ref(prev);
	r->last_rv = v->rv;
	if (s->hook != NULL)
		s->hook(s->hook_arg, res, seq);
}

/* Make V the head of O, record the write, and publish the event. */
static void
commit(struct ksim_store *s, struct ksim_obj *o, struct ksim_ver *v, enum ksim_ev_type type)
{
	struct ksim_ver *old = o->head;
	struct ksim_ver *prev_live = old != NULL && !old->deleted ? old : NULL;

	v->prev = old;		/* the chain takes over the head's reference */
	o->head = v;
	s->rv = v->rv;
	if (log_push(s, o, v->rv) < 0) {
		/* Compaction could not find it later: drop the history now. */
		v->prev = NULL;
		ksim_ver_unref(old);
	}
	if (type == KSIM_EV_ADDED)
		o->create_rv = v->rv;
	if (type == KSIM_EV_DELETED)
		s->live[o->res->id]--;
	else if (prev_live == NULL)
		s->live[o->res->id]++;
	ring_push(s, o->res, type, v, prev_live);
}

struct ksim_ver *
ksim_store_write(struct ksim_store *s, const struct ksim_res *res, const char *ns,
    const char *name, cJSON *obj)
{
	struct ksim_obj *o = find_node(s, res, ns, name);
	struct ksim_ver *v;
	int created = o == NULL || o->head == NULL || o->head->deleted;
	int fresh = o == NULL;

	if (fresh && (o = new_node(s, res, ns, name)) == NULL)
		return NULL;
	if ((v = new_version(o, obj, s->rv + 1, 0)) == NULL) {
		if (fresh) {	/* no empty key left behind */
			ksim_avl_remove(&s->trees[res->id], &o->node);
			obj_unref(o);
		}
		return NULL;
	}
	commit(s, o, v, created ? KSIM_EV_ADDED : KSIM_EV_MODIFIED);
	return v;
}

struct ksim_ver *
ksim_store_delete(struct ksim_store *s, struct ksim_obj *o)
{
	cJSON *last = ksim_ver_parse(o->head);
	struct ksim_ver *v;

	if (last == NULL)
		return NULL;
	v = new_version(o, last, s->rv + 1, 1);
	cJSON_Delete(last);
	if (v == NULL)
		return NULL;
	commit(s, o, v, KSIM_EV_DELETED);
	return v;
}

/* Drop what compaction to C makes unreachable for the write (O, RV). */
static void
compact_entry(struct ksim_store *s, struct ksim_obj *o, uint64_t rv, uint64_t c)
{
	struct ksim_ver *v = o->head;

	if (v == NULL)
		return;
	if (v->rv == rv && v->deleted) {
		ksim_avl_remove(&s->trees[o->res->id], &o->node);
		o->head = NULL;
		ksim_ver_unref(v->prev);
		v->prev = NULL;
		ksim_ver_unref(v);
		obj_unref(o);	/* the tree's reference */
		return;
	}
	while (v != NULL && v->rv > c)
		v = v->prev;
	if (v != NULL && v->prev != NULL) {
		ksim_ver_unref(v->prev);
		v->prev = NULL;
	}
}

void
ksim_store_compact(struct ksim_store *s, uint64_t rv)
{
	if (rv > s->rv)
		rv = s->rv;
	if (rv <= s->compacted_rv)
		return;
	s->compacted_rv = rv;
	while (s->log_len > 0) {
		struct wlog *w = &s->log[s->log_head];

		if (w->rv > rv)
			break;
		compact_entry(s, w->obj, w->rv, rv);
		obj_unref(w->obj);
		s->log_head = (s->log_head + 1) % s->log_cap;
		s->log_len--;
	}
}

struct ksim_ring *
ksim_store_ring(struct ksim_store *s, const struct ksim_res *res)
{
	return &s->rings[res->id];
}

uint64_t
ksim_ring_seek(const struct ksim_ring *r, uint64_t rv)
{
	uint64_t lo = r->first_seq, hi = r->next_seq;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (r->ev[mid % r->cap].rv > rv)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

const struct ksim_event *
ksim_ring_at(const struct ksim_ring *r, uint64_t seq)
{
	if (seq < r->first_seq || seq >= r->next_seq)
		return NULL;
	return &r->ev[seq % r->cap];
}
