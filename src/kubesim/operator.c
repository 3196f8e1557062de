/*
 * operator — see operator.h.
 *
 * One item per object that has something pending: a timer that runs its
 * reconcile (at once after an event, or at a deadline) and the monotonic
 * deadline of the step in progress (provisioning, an OpsRequest's work,
 * finalization).  Items are keyed by resource, namespace and name in a
 * chained hash table and dropped when their object disappears.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/clock.h"
#include "kubesim/admission.h"
#include "kubesim/api_int.h"
#include "kubesim/faults.h"
#include "kubesim/jsonx.h"
#include "kubesim/ktime.h"
#include "kubesim/operator.h"

#define NBUCKETS 8192
#define FINALIZER "kubedb.com"

struct item {
	struct ksim_operator *op;
	const struct ksim_res *res;
	char *ns, *name;
	struct event *ev;
	int64_t deadline_ms;		/* monotonic; 0 = none */
	int64_t due_ms;			/* when the pending timer fires (monotonic) */
	char step[16];			/* which step the deadline belongs to */
	struct item *next;
};

struct ksim_operator {
	struct ksim_sim *sim;
	struct item *buckets[NBUCKETS];
};

static void reconcile(evutil_socket_t fd, short what, void *arg);

struct ksim_operator *
ksim_operator_new(struct ksim_sim *sim)
{
	struct ksim_operator *op = calloc(1, sizeof(*op));

	if (op != NULL)
		op->sim = sim;
	return op;
}

static unsigned
hash(const struct ksim_res *res, const char *ns, const char *name)
{
	unsigned h = 2166136261u ^ (unsigned)res->id;

	for (const char *p = ns; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ '/') * 16777619u;
	for (const char *p = name; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h % NBUCKETS;
}

static struct item **
find_slot(struct ksim_operator *op, const struct ksim_res *res, const char *ns, const char *name)
{
	struct item **p = &op->buckets[hash(res, ns, name)];

	for (; *p != NULL; p = &(*p)->next)
		if ((*p)->res == res && strcmp((*p)->ns, ns) == 0 && strcmp((*p)->name, name) == 0)
			break;
	return p;
}

static struct item *
get_item(struct ksim_operator *op, const struct ksim_res *res, const char *ns, const char *name)
{
	struct item **p = find_slot(op, res, ns, name), *it;

	if (*p != NULL)
		return *p;
	if ((it = calloc(1, sizeof(*it))) == NULL)
		return NULL;
	it->op = op;
	it->res = res;
	it->ns = strdup(ns);
	it->name = strdup(name);
	it->ev = evtimer_new(op->sim->base, reconcile, it);
	if (it->ns == NULL || it->name == NULL || it->ev == NULL) {
		free(it->ns);
		free(it->name);
		if (it->ev != NULL)
			event_free(it->ev);
		free(it);
		return NULL;
	}
	*p = it;
	return it;
}

static void
free_item(struct item *it)
{
	event_free(it->ev);
	free(it->ns);
	free(it->name);
	free(it);
}

static void
drop_item(struct ksim_operator *op, struct item *it)
{
	struct item **p = find_slot(op, it->res, it->ns, it->name);

	if (*p == it)
		*p = it->next;
	free_item(it);
}

void
ksim_operator_reset(struct ksim_operator *op)
{
	for (size_t i = 0; i < NBUCKETS; i++) {
		while (op->buckets[i] != NULL) {
			struct item *it = op->buckets[i];

			op->buckets[i] = it->next;
			free_item(it);
		}
	}
}

void
ksim_operator_free(struct ksim_operator *op)
{
	if (op == NULL)
		return;
	ksim_operator_reset(op);
	free(op);
}

/* Run the reconcile of (RES, NS, NAME) after MS milliseconds (0: soon). */
static void
schedule(struct ksim_operator *op, const struct ksim_res *res, const char *ns, const char *name,
    int64_t ms)
{
	struct item *it = get_item(op, res, ns, name);
	int64_t due;
	struct timeval tv;

	if (it == NULL)
		return;
	if (ms < 0)
		ms = 0;
	due = clk_mono_ms() + ms;
	/* An earlier pending run wins; it reschedules what it still needs. */
	if (evtimer_pending(it->ev, NULL) && it->due_ms <= due)
		return;
	it->due_ms = due;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(it->ev, &tv);
}

static void
kick(struct ksim_operator *op, const struct ksim_res *res, const char *ns, const char *name)
{
	schedule(op, res, ns, name, 0);
}

/* Start a timed step STEP of IT lasting MS (idempotent while the same step runs). */
static int64_t
step_remaining(struct item *it, const char *step, int64_t ms)
{
	int64_t now = clk_mono_ms();

	if (strcmp(it->step, step) != 0) {
		snprintf(it->step, sizeof(it->step), "%s", step);
		it->deadline_ms = now + ms;
	}
	return it->deadline_ms - now;
}

static void
step_clear(struct item *it)
{
	it->step[0] = '\0';
	it->deadline_ms = 0;
}

/* Set (or update) condition TYPE in STATUS; lastTransitionTime moves only on a change. */
static void
set_condition(cJSON *status, const char *type, const char *value, const char *reason,
    const char *msg, int64_t gen)
{
	cJSON *conds = cJSON_GetObjectItemCaseSensitive(status, "conditions"), *c, *found = NULL;
	char now[32];

	if (!cJSON_IsArray(conds)) {
		ksim_json_set(status, "conditions", cJSON_CreateArray());
		conds = cJSON_GetObjectItemCaseSensitive(status, "conditions");
	}
	cJSON_ArrayForEach(c, conds) {
		const char *t = ksim_json_str(c, "type");

		if (t != NULL && strcmp(t, type) == 0)
			found = c;
	}
	if (found == NULL) {
		found = cJSON_CreateObject();
		if (found == NULL)
			return;
		cJSON_AddItemToArray(conds, found);
	}
	if (ksim_json_str(found, "status") == NULL || strcmp(ksim_json_str(found, "status"), value) != 0) {
		ksim_now(now, sizeof(now));
		ksim_json_set_str(found, "lastTransitionTime", now);
	}
	ksim_json_set_str(found, "type", type);
	ksim_json_set_str(found, "status", value);
	ksim_json_set_str(found, "reason", reason);
	ksim_json_set_str(found, "message", msg);
	if (gen > 0)
		ksim_json_set_int(found, "observedGeneration", gen);
}

static void
remove_condition(cJSON *status, const char *type)
{
	cJSON *conds = cJSON_GetObjectItemCaseSensitive(status, "conditions");
	int i = 0;
	cJSON *c;

	cJSON_ArrayForEach(c, conds) {
		const char *t = ksim_json_str(c, "type");

		if (t != NULL && strcmp(t, type) == 0) {
			cJSON_DeleteItemFromArray(conds, i);
			return;
		}
		i++;
	}
}

/* Write OBJ if it differs from the stored CUR (no event for no change). */
static void
write_if_changed(struct ksim_operator *op, const struct ksim_obj *o, const cJSON *cur, cJSON *obj)
{
	if (cJSON_Compare(cur, obj, 1))
		return;
	ksim_store_write(op->sim->store, o->res, o->ns, o->name, obj);
}

static int
has_finalizer(const cJSON *obj)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, ksim_json_at(obj, "metadata.finalizers"))
		if (cJSON_IsString(f) && strcmp(f->valuestring, FINALIZER) == 0)
			return 1;
	return 0;
}

/* The deletion path: drop our finalizer delete_delay after deletionTimestamp. */
static void
finalize_db(struct item *it, struct ksim_obj *o, cJSON *obj)
{
	struct ksim_operator *op = it->op;
	int64_t left = step_remaining(it, "finalize", op->sim->conf->delete_ms);
	cJSON *fins, *f, *keep;

	if (!has_finalizer(obj))
		return;
	if (left > 0) {
		schedule(op, it->res, it->ns, it->name, left);
		return;
	}
	fins = ksim_json_at(obj, "metadata.finalizers");
	keep = cJSON_CreateArray();
	cJSON_ArrayForEach(f, fins)
		if (!cJSON_IsString(f) || strcmp(f->valuestring, FINALIZER) != 0)
			cJSON_AddItemToArray(keep, cJSON_Duplicate(f, 1));
	if (cJSON_GetArraySize(keep) == 0) {
		cJSON_Delete(keep);
		ksim_store_delete(op->sim->store, o);
		return;
	}
	ksim_json_set(ksim_json_obj(obj, "metadata"), "finalizers", keep);
	ksim_store_write(op->sim->store, o->res, o->ns, o->name, obj);
}

static void
db_ready(cJSON *st, int64_t gen)
{
	ksim_json_set_str(st, "phase", "Ready");
	set_condition(st, "ReplicaReady", "True", "AllReplicasReady", "All desired replicas are ready.", gen);
	set_condition(st, "AcceptingConnection", "True", "DatabaseAcceptingConnectionRequest",
	    "The database is accepting connections.", gen);
	set_condition(st, "Ready", "True", "ReadinessCheckSucceeded", "The database is ready.", gen);
	set_condition(st, "Provisioned", "True", "DatabaseSuccessfullyProvisioned",
	    "The database is successfully provisioned.", gen);
	remove_condition(st, "Halted");
}

/* The phase machine of a live database; returns ms until the next step or -1. */
static int64_t
db_phase(struct item *it, cJSON *obj, cJSON *st)
{
	struct ksim_sim *sim = it->op->sim;
	const char *phase = ksim_json_str(st, "phase");
	int64_t gen = ksim_json_int(obj, "metadata.generation", 1), left;

	if (phase == NULL)
		phase = "";
	if (cJSON_IsTrue(ksim_json_at(obj, "spec.halted"))) {
		if (strcmp(phase, "Halted") == 0)
			return -1;
		if ((left = step_remaining(it, "halt", sim->conf->halt_ms)) > 0)
			return left;
		step_clear(it);
		ksim_json_set_str(st, "phase", "Halted");
		set_condition(st, "Halted", "True", "SuccessfullyHaltedDatabase", "The database is halted.", gen);
		set_condition(st, "Ready", "False", "DatabaseHalted", "The database is halted.", gen);
		return -1;
	}
	if (ksim_faults_db_critical(sim->faults, it->res->plural, it->ns, it->name)) {
		step_clear(it);
		ksim_json_set_str(st, "phase", "Critical");
		set_condition(st, "ReplicaReady", "False", "ReplicaNotReady", "Injected fault: a replica "
		    "is not ready.", gen);
		set_condition(st, "Ready", "False", "ReadinessCheckFailed", "Injected fault: the database "
		    "is critical.", gen);
		return -1;
	}
	if (strcmp(phase, "Ready") == 0 || strcmp(phase, "Critical") == 0) {
		db_ready(st, gen);
		return -1;
	}
	if (strcmp(phase, "Provisioning") != 0) {
		ksim_json_set_str(st, "phase", "Provisioning");
		set_condition(st, "ProvisioningStarted", "True", "DatabaseProvisioningStartedSuccessfully",
		    "The database provisioning has started.", gen);
		remove_condition(st, "Halted");
	}
	if ((left = step_remaining(it, "provision", sim->conf->provision_ms)) > 0)
		return left;
	step_clear(it);
	db_ready(st, gen);
	return -1;
}

static void
reconcile_db(struct item *it, struct ksim_obj *o)
{
	struct ksim_operator *op = it->op;
	cJSON *cur = ksim_ver_parse(o->head), *obj, *st;
	int64_t next;

	if (cur == NULL || (obj = cJSON_Duplicate(cur, 1)) == NULL) {
		cJSON_Delete(cur);
		return;
	}
	if (ksim_json_str(obj, "metadata.deletionTimestamp") != NULL) {
		finalize_db(it, o, obj);
	} else if (!has_finalizer(obj)) {
		cJSON *fins = cJSON_GetObjectItemCaseSensitive(ksim_json_obj(obj, "metadata"), "finalizers");

		if (!cJSON_IsArray(fins)) {
			ksim_json_set(ksim_json_obj(obj, "metadata"), "finalizers", cJSON_CreateArray());
			fins = ksim_json_at(obj, "metadata.finalizers");
		}
		cJSON_AddItemToArray(fins, cJSON_CreateString(FINALIZER));
		ksim_store_write(op->sim->store, o->res, o->ns, o->name, obj);
	} else if ((st = ksim_json_obj(obj, "status")) != NULL) {
		next = db_phase(it, obj, st);
		ksim_json_set_int(st, "observedGeneration", ksim_json_int(obj, "metadata.generation", 1));
		write_if_changed(op, o, cur, obj);
		if (next >= 0)
			schedule(op, it->res, it->ns, it->name, next);
	}
	cJSON_Delete(obj);
	cJSON_Delete(cur);
}

/* Set or clear the Paused condition of the database NAME of DBRES in NS. */
static void
db_paused(struct ksim_operator *op, const struct ksim_res *dbres, const char *ns, const char *name,
    int paused, const char *by)
{
	struct ksim_obj *o = ksim_store_get(op->sim->store, dbres, ns, name);
	cJSON *cur, *obj;
	char msg[320];

	if (o == NULL || (cur = ksim_ver_parse(o->head)) == NULL)
		return;
	if ((obj = cJSON_Duplicate(cur, 1)) != NULL) {
		cJSON *st = ksim_json_obj(obj, "status");

		snprintf(msg, sizeof(msg), "Paused by OpsRequest %s", by);
		if (paused)
			set_condition(st, "Paused", "True", "OpsRequestProgressing", msg,
			    ksim_json_int(obj, "metadata.generation", 1));
		else
			remove_condition(st, "Paused");
		write_if_changed(op, o, cur, obj);
		cJSON_Delete(obj);
	}
	cJSON_Delete(cur);
}

/* Write STATUS changes of the OpsRequest O (phase PHASE, condition TYPE). */
static void
ops_status(struct ksim_operator *op, struct ksim_obj *o, const char *phase, const char *type,
    const char *reason, const char *msg)
{
	cJSON *cur = ksim_ver_parse(o->head), *obj, *st;
	int64_t gen;

	if (cur == NULL || (obj = cJSON_Duplicate(cur, 1)) == NULL) {
		cJSON_Delete(cur);
		return;
	}
	gen = ksim_json_int(obj, "metadata.generation", 1);
	st = ksim_json_obj(obj, "status");
	ksim_json_set_str(st, "phase", phase);
	ksim_json_set_int(st, "observedGeneration", gen);
	if (type != NULL)
		set_condition(st, type, "True", reason, msg, gen);
	write_if_changed(op, o, cur, obj);
	cJSON_Delete(obj);
	cJSON_Delete(cur);
}

struct queue_view {
	struct ksim_obj *progressing;
	struct ksim_obj *oldest;	/* oldest Pending survivor */
};

/* 1 if A was created before B. */
static int
older(const struct ksim_obj *a, const struct ksim_obj *b)
{
	return a->create_rv < b->create_rv;
}

static const char *
phase_of(const struct ksim_obj *o, char *buf, size_t n)
{
	cJSON *obj = ksim_ver_parse(o->head);
	const char *p = ksim_json_str(obj, "status.phase");

	snprintf(buf, n, "%s", p != NULL ? p : "");
	cJSON_Delete(obj);
	return buf;
}

struct queued {
	struct ksim_obj *o;
	char phase[32];
	char type[64];
};

/* The live OpsRequests of RES in NS that name database DB (caller frees). */
static struct queued *
collect_queue(struct ksim_operator *op, const struct ksim_res *res, const char *ns, const char *db,
    size_t *n)
{
	char prefix[300];
	size_t plen = (size_t)snprintf(prefix, sizeof(prefix), "%s/", ns), cap = 0;
	struct queued *q = NULL;
	struct ksim_obj *o;

	*n = 0;
	for (o = ksim_store_seek(op->sim->store, res, prefix, plen); o != NULL; o = ksim_store_next(o)) {
		cJSON *obj;
		const char *ref, *p, *t;

		if (strncmp(o->key, prefix, plen) != 0)
			break;
		if (o->head->deleted || (obj = ksim_ver_parse(o->head)) == NULL)
			continue;
		ref = ksim_json_str(obj, "spec.databaseRef.name");
		p = ksim_json_str(obj, "status.phase");
		t = ksim_json_str(obj, "spec.type");
		if (ref != NULL && strcmp(ref, db) == 0 &&
		    ksim_json_str(obj, "metadata.deletionTimestamp") == NULL) {
			if (*n == cap) {
				struct queued *nq = realloc(q, (cap = cap ? cap * 2 : 8) * sizeof(*nq));

				if (nq == NULL) {
					cJSON_Delete(obj);
					break;
				}
				q = nq;
			}
			q[*n].o = o;
			snprintf(q[*n].phase, sizeof(q[*n].phase), "%s", p != NULL ? p : "");
			snprintf(q[*n].type, sizeof(q[*n].type), "%s", t != NULL ? t : "");
			(*n)++;
		}
		cJSON_Delete(obj);
	}
	return q;
}

/*
 * Apply KubeDB's queue rules to the OpsRequests of database DB in NS: mark
 * superseded Pending ones Skipped (all but the newest of each type) and
 * report the Progressing one and the oldest Pending survivor.
 */
static void
scan_queue(struct ksim_operator *op, const struct ksim_res *res, const char *ns, const char *db,
    struct queue_view *view)
{
	size_t n;
	struct queued *q = collect_queue(op, res, ns, db, &n);

	memset(view, 0, sizeof(*view));
	for (size_t i = 0; i < n; i++) {
		int superseded = 0;

		if (strcmp(q[i].phase, "Progressing") == 0)
			view->progressing = q[i].o;
		if (strcmp(q[i].phase, "Pending") != 0)
			continue;
		for (size_t j = 0; j < n; j++)
			if (j != i && strcmp(q[j].phase, "Pending") == 0 &&
			    strcmp(q[j].type, q[i].type) == 0 && older(q[i].o, q[j].o))
				superseded = 1;
		if (superseded) {
			ops_status(op, q[i].o, "Skipped", "Skipped", "SupersededByNewerRequest",
			    "A newer OpsRequest of the same type superseded this one.");
			continue;
		}
		if (view->oldest == NULL || older(q[i].o, view->oldest))
			view->oldest = q[i].o;
	}
	free(q);
}

/* Write the change of a successful OpsRequest OPS into the database DB. */
static void
apply_ops(struct ksim_operator *op, const struct ksim_res *dbres, struct ksim_obj *dbo,
    const cJSON *ops)
{
	const char *type = ksim_json_str(ops, "spec.type");
	cJSON *cur = ksim_ver_parse(dbo->head), *db, *spec;
	const char *comp;
	char path[128];
	const cJSON *v;

	if (cur == NULL || type == NULL || (db = cJSON_Duplicate(cur, 1)) == NULL) {
		cJSON_Delete(cur);
		return;
	}
	comp = ksim_ops_component(dbres, db);
	spec = ksim_json_obj(db, "spec");
	if (strcmp(type, "HorizontalScaling") == 0) {
		snprintf(path, sizeof(path), "spec.horizontalScaling.%s", dbres->engine->hscale_field);
		if ((v = ksim_json_at(ops, path)) != NULL)
			ksim_json_set(spec, "replicas", cJSON_Duplicate(v, 1));
		if ((v = ksim_json_at(ops, "spec.horizontalScaling.shards")) != NULL)
			ksim_json_set(ksim_json_obj(spec, "cluster"), "shards", cJSON_Duplicate(v, 1));
	} else if (strcmp(type, "VerticalScaling") == 0) {
		cJSON *c, *arr = ksim_json_at(db, "spec.podTemplate.spec.containers");

		snprintf(path, sizeof(path), "spec.verticalScaling.%s.resources", comp);
		v = ksim_json_at(ops, path);
		cJSON_ArrayForEach(c, arr) {
			const char *n = ksim_json_str(c, "name");

			if (v != NULL && n != NULL && strcmp(n, dbres->engine->container) == 0)
				ksim_json_set(c, "resources", cJSON_Duplicate(v, 1));
		}
	} else if (strcmp(type, "VolumeExpansion") == 0) {
		snprintf(path, sizeof(path), "spec.volumeExpansion.%s", comp);
		if ((v = ksim_json_at(ops, path)) != NULL)
			ksim_json_set(ksim_json_obj(spec, "storage.resources.requests"), "storage",
			    cJSON_Duplicate(v, 1));
	} else if (strcmp(type, "UpdateVersion") == 0) {
		if ((v = ksim_json_at(ops, "spec.updateVersion.targetVersion")) != NULL)
			ksim_json_set(spec, "version", cJSON_Duplicate(v, 1));
	}
	if (!cJSON_Compare(ksim_json_at(cur, "spec"), spec, 1))
		ksim_json_set_int(ksim_json_obj(db, "metadata"), "generation",
		    ksim_json_int(cur, "metadata.generation", 1) + 1);
	write_if_changed(op, dbo, cur, db);
	cJSON_Delete(db);
	cJSON_Delete(cur);
}

/* The OpsRequest IT has worked long enough: succeed (or fail by a fault). */
static void
finish_ops(struct item *it, struct ksim_obj *o, const cJSON *ops, const struct ksim_res *dbres,
    const char *dbname, int timed_out)
{
	struct ksim_operator *op = it->op;
	struct ksim_obj *dbo = ksim_store_get(op->sim->store, dbres, it->ns, dbname);

	step_clear(it);
	if (timed_out) {
		ops_status(op, o, "Failed", "Failed", "TimedOut", "The OpsRequest exceeded spec.timeout.");
	} else if (dbo == NULL) {
		ops_status(op, o, "Failed", "Failed", "DatabaseNotFound", "The database no longer exists.");
	} else if (ksim_faults_ops_fail(op->sim->faults, it->res->plural, it->ns, it->name)) {
		ops_status(op, o, "Failed", "Failed", "InjectedFailure", "Injected fault: the OpsRequest failed.");
	} else {
		apply_ops(op, dbres, dbo, ops);
		ops_status(op, o, "Successful", "Successful", "Successful",
		    "Successfully completed the modification process.");
	}
	db_paused(op, dbres, it->ns, dbname, 0, it->name);
	kick(op, dbres, it->ns, dbname);	/* the next queued request may start */
}

/* Progressing: wait for the work (or the timeout) to end. */
static void
progress_ops(struct item *it, struct ksim_obj *o, const cJSON *ops, const struct ksim_res *dbres,
    const char *dbname)
{
	int64_t work = it->op->sim->conf->ops_ms, left;
	long long timeout = ksim_parse_duration(ksim_json_str(ops, "spec.timeout"));
	int timed_out = timeout >= 0 && timeout < work;

	left = step_remaining(it, "progress", timed_out ? timeout : work);
	if (left > 0) {
		schedule(it->op, it->res, it->ns, it->name, left);
		return;
	}
	finish_ops(it, o, ops, dbres, dbname, timed_out);
}

/* Pending: start when first in line and (for IfReady) the database is Ready. */
static void
maybe_start_ops(struct item *it, struct ksim_obj *o, const cJSON *ops, const struct ksim_res *dbres,
    const char *dbname)
{
	struct ksim_operator *op = it->op;
	struct queue_view q;
	struct ksim_obj *dbo = ksim_store_get(op->sim->store, dbres, it->ns, dbname);
	const char *apply = ksim_json_str(ops, "spec.apply");
	char phase[32];

	if (dbo == NULL) {
		ops_status(op, o, "Failed", "Failed", "DatabaseNotFound", "The database does not exist.");
		return;
	}
	scan_queue(op, it->res, it->ns, dbname, &q);
	if (q.progressing != NULL || q.oldest != o)
		return;		/* woken again when the running one ends */
	if ((apply == NULL || strcmp(apply, "Always") != 0) &&
	    strcmp(phase_of(dbo, phase, sizeof(phase)), "Ready") != 0)
		return;		/* woken by the database's next change */
	ops_status(op, o, "Progressing", "Progressing", "OpsRequestProgressing",
	    "The OpsRequest is being processed.");
	db_paused(op, dbres, it->ns, dbname, 1, it->name);
	step_clear(it);
	progress_ops(it, o, ops, dbres, dbname);
}

static void
reconcile_ops(struct item *it, struct ksim_obj *o)
{
	cJSON *ops = ksim_ver_parse(o->head);
	const struct ksim_res *dbres = ksim_res_by_id(it->res->peer);
	const char *phase, *dbname;

	if (ops == NULL)
		return;
	phase = ksim_json_str(ops, "status.phase");
	dbname = ksim_json_str(ops, "spec.databaseRef.name");
	if (ksim_json_str(ops, "metadata.deletionTimestamp") != NULL || dbname == NULL) {
		;
	} else if (phase == NULL || phase[0] == '\0') {
		ops_status(it->op, o, "Pending", NULL, NULL, NULL);
	} else if (strcmp(phase, "Pending") == 0) {
		maybe_start_ops(it, o, ops, dbres, dbname);
	} else if (strcmp(phase, "Progressing") == 0) {
		progress_ops(it, o, ops, dbres, dbname);
	}
	cJSON_Delete(ops);
}

/* Wake every Pending OpsRequest of database DB (its state or queue changed). */
static void
kick_queue(struct ksim_operator *op, const struct ksim_res *dbres, const char *ns, const char *db)
{
	const struct ksim_res *opsres = ksim_res_by_id(dbres->peer);
	size_t n;
	struct queued *q = collect_queue(op, opsres, ns, db, &n);

	for (size_t i = 0; i < n; i++)
		if (strcmp(q[i].phase, "Pending") == 0 || q[i].phase[0] == '\0')
			kick(op, opsres, ns, q[i].o->name);
	free(q);
}

/* A terminating namespace: delete its content, then remove it. */
static void
reconcile_namespace(struct item *it, struct ksim_obj *o)
{
	struct ksim_sim *sim = it->op->sim;
	char prefix[300];
	size_t plen = (size_t)snprintf(prefix, sizeof(prefix), "%s/", o->name);
	int left = 0;

	if (!o->head->deleting)
		return;
	for (int i = 0; i < KSIM_NRES; i++) {
		const struct ksim_res *r = &ksim_res_table[i];
		struct ksim_obj *c, *next;

		if (!r->namespaced)
			continue;
		for (c = ksim_store_seek(sim->store, r, prefix, plen); c != NULL; c = next) {
			next = ksim_store_next(c);
			if (strncmp(c->key, prefix, plen) != 0)
				break;
			if (c->head->deleted)
				continue;
			left++;
			if (!c->head->deleting)
				ksim_api_delete_object(sim, r, c->ns, c->name);
		}
	}
	if (left == 0)
		ksim_store_delete(sim->store, o);
}

static void
reconcile(evutil_socket_t fd, short what, void *arg)
{
	struct item *it = arg;
	struct ksim_operator *op = it->op;
	struct ksim_obj *o = ksim_store_get(op->sim->store, it->res, it->ns, it->name);

	if (o == NULL) {
		drop_item(op, it);
		return;
	}
	switch (it->res->type) {
	case KSIM_RES_DB:
		reconcile_db(it, o);
		kick_queue(op, it->res, it->ns, it->name);
		break;
	case KSIM_RES_OPS:
		reconcile_ops(it, o);
		break;
	case KSIM_RES_NAMESPACE:
		reconcile_namespace(it, o);
		break;
	default:
		break;
	}
}

void
ksim_operator_event(struct ksim_operator *op, const struct ksim_res *res, uint64_t seq)
{
	const struct ksim_event *e = ksim_ring_at(ksim_store_ring(op->sim->store, res), seq);
	const struct ksim_obj *o;
	struct ksim_obj *ns;

	if (e == NULL)
		return;
	o = e->ver->obj;
	if (res->type == KSIM_RES_DB || res->type == KSIM_RES_OPS || res->type == KSIM_RES_NAMESPACE)
		kick(op, res, o->ns, o->name);
	if (e->type != KSIM_EV_DELETED || !res->namespaced)
		return;
	/* Something left a namespace: a terminating namespace may now be empty. */
	ns = ksim_store_get(op->sim->store, &ksim_res_table[0], "", o->ns);
	if (ns != NULL && ns->head->deleting)
		kick(op, &ksim_res_table[0], "", o->ns);
}

void
ksim_operator_kick_all(struct ksim_operator *op)
{
	for (int i = 0; i < KSIM_NRES; i++) {
		const struct ksim_res *r = &ksim_res_table[i];

		if (r->type != KSIM_RES_DB && r->type != KSIM_RES_OPS)
			continue;
		for (struct ksim_obj *o = ksim_store_seek(op->sim->store, r, "", 0); o != NULL;
		    o = ksim_store_next(o))
			if (!o->head->deleted)
				kick(op, r, o->ns, o->name);
	}
}
