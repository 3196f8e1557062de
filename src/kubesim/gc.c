/* gc — see gc.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "kubesim/gc.h"
#include "kubesim/jsonx.h"
#include "kubesim/store.h"

struct gc_item {
	struct ksim_gc *g;
	struct event *ev;
	const struct ksim_res *res;
	char ns[254], name[254], uid[64];
	struct gc_item *next, *prev;
};

struct ksim_gc {
	struct ksim_sim *sim;
	struct gc_item *items;
};

struct ksim_gc *
ksim_gc_new(struct ksim_sim *sim)
{
	struct ksim_gc *g = calloc(1, sizeof(*g));

	if (g != NULL)
		g->sim = sim;
	return g;
}

static void
item_free(struct gc_item *it)
{
	struct ksim_gc *g = it->g;

	if (it->prev != NULL)
		it->prev->next = it->next;
	else
		g->items = it->next;
	if (it->next != NULL)
		it->next->prev = it->prev;
	event_free(it->ev);
	free(it);
}

void
ksim_gc_reset(struct ksim_gc *g)
{
	while (g->items != NULL)
		item_free(g->items);
}

void
ksim_gc_free(struct ksim_gc *g)
{
	if (g == NULL)
		return;
	ksim_gc_reset(g);
	free(g);
}

static void
arm(struct gc_item *it)
{
	int ms = it->g->sim->conf->gc_ms;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(it->ev, &tv);
}

static int
has_string(const cJSON *arr, const char *s)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, arr)
		if (cJSON_IsString(f) && strcmp(f->valuestring, s) == 0)
			return 1;
	return 0;
}

/* Drop D's ownerReferences to UID (Orphan). */
static void
orphan(struct ksim_store *s, struct ksim_obj *d, cJSON *obj, const char *uid)
{
	cJSON *refs = ksim_json_at(obj, "metadata.ownerReferences");
	int i = cJSON_GetArraySize(refs);

	while (i-- > 0) {
		const char *u = ksim_json_str(cJSON_GetArrayItem(refs, i), "uid");

		if (u != NULL && strcmp(u, uid) == 0)
			cJSON_DeleteItemFromArray(refs, i);
	}
	if (cJSON_GetArraySize(refs) == 0)
		cJSON_DeleteItemFromObjectCaseSensitive(ksim_json_obj(obj, "metadata"), "ownerReferences");
	ksim_store_write(s, d->res, d->ns, d->name, obj);
}

/* 1 if OBJ names UID as an owner. */
static int
owned_by(const cJSON *obj, const char *uid)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, ksim_json_at(obj, "metadata.ownerReferences")) {
		const char *u = ksim_json_str(r, "uid");

		if (u != NULL && strcmp(u, uid) == 0)
			return 1;
	}
	return 0;
}

/*
 * Handle the dependents of IT's owner in RES: orphan them, or delete them
 * (foreground).  Returns how many still exist after a foreground step.
 */
static int
dependents(struct gc_item *it, const struct ksim_res *res, int foreground)
{
	struct ksim_sim *sim = it->g->sim;
	char key[300];
	size_t klen = 0;
	struct ksim_obj *o, *next;
	int left = 0;

	if (it->res->namespaced && res->namespaced)
		klen = (size_t)snprintf(key, sizeof(key), "%s/", it->ns);
	else if (it->res->namespaced)
		return 0;	/* a namespaced owner has no cluster-scoped dependents */
	for (o = ksim_store_seek(sim->store, res, key, klen); o != NULL; o = next) {
		cJSON *obj;

		next = ksim_store_next(o);
		if (klen > 0 && strncmp(o->key, key, klen) != 0)
			break;
		if (o->head->deleted || strstr(o->head->json, it->uid) == NULL)
			continue;	/* cheap test before parsing */
		if ((obj = ksim_ver_parse(o->head)) == NULL)
			continue;
		if (owned_by(obj, it->uid)) {
			if (!foreground) {
				orphan(sim->store, o, obj, it->uid);
			} else {
				if (ksim_json_str(obj, "metadata.deletionTimestamp") == NULL)
					ksim_api_delete_object(sim, res, o->ns, o->name);
				left += !o->head->deleted;
			}
		}
		cJSON_Delete(obj);
	}
	return left;
}

/* Remove the collector's finalizers from O (CUR); it goes if none is left. */
static void
release(struct ksim_store *s, struct ksim_obj *o, cJSON *cur)
{
	cJSON *fins = ksim_json_at(cur, "metadata.finalizers");
	int i = cJSON_GetArraySize(fins);

	while (i-- > 0) {
		const cJSON *f = cJSON_GetArrayItem(fins, i);

		if (cJSON_IsString(f) && (strcmp(f->valuestring, KSIM_FIN_ORPHAN) == 0 ||
		    strcmp(f->valuestring, KSIM_FIN_FOREGROUND) == 0))
			cJSON_DeleteItemFromArray(fins, i);
	}
	if (cJSON_GetArraySize(fins) == 0 && o->res->type != KSIM_RES_NAMESPACE)
		ksim_store_delete(s, o);
	else
		ksim_store_write(s, o->res, o->ns, o->name, cur);
}

/* One pass for IT.  1 to pass again later. */
static int
pass(struct gc_item *it)
{
	struct ksim_store *s = it->g->sim->store;
	struct ksim_obj *o = ksim_store_get(s, it->res, it->ns, it->name);
	cJSON *cur, *fins;
	const char *uid;
	int fg, left = 0;

	if (o == NULL || (cur = ksim_ver_parse(o->head)) == NULL)
		return 0;
	uid = ksim_json_str(cur, "metadata.uid");
	fins = ksim_json_at(cur, "metadata.finalizers");
	fg = has_string(fins, KSIM_FIN_FOREGROUND);
	if (uid == NULL || strcmp(uid, it->uid) != 0 || ksim_json_str(cur, "metadata.deletionTimestamp") == NULL ||
	    (!fg && !has_string(fins, KSIM_FIN_ORPHAN))) {
		cJSON_Delete(cur);
		return 0;	/* replaced, not being deleted, or released already */
	}
	for (int i = 0; i < KSIM_NRES; i++)
		left += dependents(it, &ksim_res_table[i], fg);
	/* Deleting dependents may have moved the owner on: look again. */
	if (left == 0 && (o = ksim_store_get(s, it->res, it->ns, it->name)) != NULL) {
		cJSON_Delete(cur);
		if ((cur = ksim_ver_parse(o->head)) != NULL)
			release(s, o, cur);
	}
	cJSON_Delete(cur);
	return left > 0;
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct gc_item *it = arg;

	(void)fd;
	(void)what;
	if (pass(it))
		arm(it);
	else
		item_free(it);
}

void
ksim_gc_schedule(struct ksim_gc *g, const struct ksim_res *res, const char *ns, const char *name,
    const char *uid)
{
	struct gc_item *it;

	for (it = g->items; it != NULL; it = it->next)
		if (it->res == res && strcmp(it->ns, ns) == 0 && strcmp(it->name, name) == 0 &&
		    strcmp(it->uid, uid) == 0)
			return;		/* a pass is already due */
	if ((it = calloc(1, sizeof(*it))) == NULL)
		return;
	it->g = g;
	it->res = res;
	snprintf(it->ns, sizeof(it->ns), "%s", ns);
	snprintf(it->name, sizeof(it->name), "%s", name);
	snprintf(it->uid, sizeof(it->uid), "%s", uid);
	if ((it->ev = evtimer_new(g->sim->base, on_timer, it)) == NULL) {
		free(it);
		return;
	}
	it->next = g->items;
	if (it->next != NULL)
		it->next->prev = it;
	g->items = it;
	arm(it);
}
