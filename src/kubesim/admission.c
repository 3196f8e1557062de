/*
 * admission — see admission.h.  The rules and wording come from
 * kubedb-api.md; where KubeDB's text was not available, messages follow the
 * apimachinery field-error style ("Invalid value: 0: ...").
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/qty.h"
#include "kubesim/admission.h"
#include "kubesim/jsonx.h"

static int __attribute__((format(printf, 4, 5)))
reject(struct ksim_adm_err *e, const char *field, const char *cause, const char *fmt, ...)
{
	va_list ap;

	e->code = 422;
	snprintf(e->field, sizeof(e->field), "%s", field);
	snprintf(e->cause, sizeof(e->cause), "%s", cause);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

long long
ksim_parse_duration(const char *s)
{
	static const struct { const char *u; double ms; } units[] = {
		{ "ns", 1e-6 }, { "us", 1e-3 }, { "ms", 1 }, { "s", 1e3 },
		{ "m", 60e3 }, { "h", 3600e3 },
	};
	double total = 0;

	if (s == NULL || *s == '\0')
		return -1;
	if (strcmp(s, "0") == 0)
		return 0;
	while (*s != '\0') {
		char *end;
		double v = strtod(s, &end);
		size_t best = 0, bl = 0;

		if (end == s || v < 0 || isnan(v) || isinf(v))
			return -1;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t l = strlen(units[i].u);

			if (strncmp(end, units[i].u, l) == 0 && l > bl) {
				best = i;
				bl = l;
			}
		}
		if (bl == 0)
			return -1;
		total += v * units[best].ms;
		s = end + bl;
	}
	return total > 9e15 ? -1 : (long long)total;
}

const char *
ksim_ops_component(const struct ksim_res *db_res, const cJSON *db)
{
	const struct ksim_engine *eng = db_res->engine;

	if (eng->mongo)
		return ksim_json_at(db, "spec.replicaSet") != NULL ? "replicaSet" : "standalone";
	return eng->container;
}

/* The main container of DB (created when absent); NULL on OOM. */
static cJSON *
main_container(const struct ksim_res *res, cJSON *db)
{
	cJSON *pspec = ksim_json_obj(db, "spec.podTemplate.spec"), *arr, *c;

	if (pspec == NULL)
		return NULL;
	arr = cJSON_GetObjectItemCaseSensitive(pspec, "containers");
	if (!cJSON_IsArray(arr)) {
		if (ksim_json_set(pspec, "containers", cJSON_CreateArray()) < 0)
			return NULL;
		arr = cJSON_GetObjectItemCaseSensitive(pspec, "containers");
	}
	cJSON_ArrayForEach(c, arr) {
		const char *n = ksim_json_str(c, "name");

		if (n != NULL && strcmp(n, res->engine->container) == 0)
			return c;
	}
	if ((c = cJSON_CreateObject()) == NULL || ksim_json_set_str(c, "name", res->engine->container) < 0) {
		cJSON_Delete(c);
		return NULL;
	}
	cJSON_AddItemToArray(arr, c);
	return c;
}

static int
default_str(cJSON *obj, const char *key, const char *v)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key) != NULL ? 0 : ksim_json_set_str(obj, key, v);
}

int
ksim_admit_db_defaults(const struct ksim_res *res, cJSON *db)
{
	cJSON *spec = ksim_json_obj(db, "spec"), *c, *req, *lim;
	const char *mem;

	if (spec == NULL || default_str(spec, "storageType", "Durable") < 0 ||
	    default_str(spec, "deletionPolicy", "Delete") < 0)
		return -1;
	if (cJSON_GetObjectItemCaseSensitive(spec, "replicas") == NULL &&
	    ksim_json_set_int(spec, "replicas", 1) < 0)
		return -1;
	if ((c = main_container(res, db)) == NULL || (req = ksim_json_obj(c, "resources.requests")) == NULL ||
	    (lim = ksim_json_obj(c, "resources.limits")) == NULL)
		return -1;
	mem = ksim_json_str(lim, "memory") != NULL ? ksim_json_str(lim, "memory") : "1024Mi";
	if (default_str(req, "cpu", "500m") < 0 || default_str(req, "memory", mem) < 0 ||
	    default_str(lim, "memory", ksim_json_str(req, "memory")) < 0)
		return -1;
	return 0;
}

static int
one_of(const char *v, const char *const *allowed)
{
	for (size_t i = 0; allowed[i] != NULL; i++)
		if (strcmp(v, allowed[i]) == 0)
			return 1;
	return 0;
}

static int
check_enum(const cJSON *obj, const char *path, const char *const *allowed, const char *list,
    struct ksim_adm_err *e)
{
	const char *v = ksim_json_str(obj, path);

	if (v != NULL && !one_of(v, allowed))
		return reject(e, path, "FieldValueNotSupported", "Unsupported value: \"%s\": supported "
		    "values: %s", v, list);
	return 0;
}

static int
check_replicas(const struct ksim_res *res, const cJSON *db, struct ksim_adm_err *e)
{
	const cJSON *r = ksim_json_at(db, "spec.replicas");

	if (ksim_json_at(db, "spec.shardTopology") != NULL)
		return 0;
	if (r != NULL && (!cJSON_IsNumber(r) || r->valuedouble < 1 || r->valuedouble != floor(r->valuedouble)))
		return reject(e, "spec.replicas", "FieldValueInvalid", "Invalid value: %g: replicas must be "
		    "greater than 0", cJSON_IsNumber(r) ? r->valuedouble : 0);
	if (res->engine->mongo && ksim_json_at(db, "spec.replicaSet") == NULL && r != NULL &&
	    r->valuedouble != 1)
		return reject(e, "spec.replicas", "FieldValueInvalid", "Invalid value: %g: replicas for "
		    "a standalone MongoDB (no spec.replicaSet) must be 1", r->valuedouble);
	return 0;
}

int
ksim_admit_db(const struct ksim_res *res, const cJSON *old, const cJSON *db, struct ksim_adm_err *e)
{
	static const char *const storage_types[] = { "Durable", "Ephemeral", NULL };
	static const char *const policies[] = { "Halt", "Delete", "WipeOut", "DoNotTerminate", NULL };
	const char *st = ksim_json_str(db, "spec.storageType");
	const char *dp = ksim_json_str(db, "spec.deletionPolicy");
	const char *version = ksim_json_str(db, "spec.version");
	const cJSON *halted = ksim_json_at(db, "spec.halted");

	if (version == NULL || version[0] == '\0')
		return reject(e, "spec.version", "FieldValueRequired", "Required value: spec.version "
		    "must name a version catalog entry");
	if (check_enum(db, "spec.storageType", storage_types, "\"Durable\", \"Ephemeral\"", e) < 0 ||
	    check_enum(db, "spec.deletionPolicy", policies,
	    "\"Halt\", \"Delete\", \"WipeOut\", \"DoNotTerminate\"", e) < 0 ||
	    check_replicas(res, db, e) < 0)
		return -1;
	if (st != NULL && strcmp(st, "Durable") == 0 && ksim_json_at(db, "spec.storage") == NULL)
		return reject(e, "spec.storage", "FieldValueRequired", "Required value: spec.storage "
		    "can't be empty when storageType is Durable");
	if (st != NULL && dp != NULL && strcmp(st, "Ephemeral") == 0 && strcmp(dp, "Halt") == 0)
		return reject(e, "spec.deletionPolicy", "FieldValueInvalid", "Invalid value: \"Halt\": "
		    "deletionPolicy Halt is not supported with storageType Ephemeral");
	if (old == NULL)
		return 0;
	if (!cJSON_Compare(ksim_json_at(old, "spec.storageType"), ksim_json_at(db, "spec.storageType"), 1))
		return reject(e, "spec.storageType", "FieldValueInvalid", "Invalid value: \"%s\": field is "
		    "immutable", st != NULL ? st : "");
	if (cJSON_IsTrue(halted) && !cJSON_IsTrue(ksim_json_at(old, "spec.halted")) && dp != NULL &&
	    strcmp(dp, "DoNotTerminate") == 0)
		return reject(e, "spec.halted", "FieldValueInvalid", "Invalid value: true: can't halt, "
		    "since deletionPolicy is 'DoNotTerminate'");
	return 0;
}

int
ksim_admit_db_delete(const struct ksim_res *res, const cJSON *db, struct ksim_adm_err *e)
{
	const char *dp = ksim_json_str(db, "spec.deletionPolicy");

	if (dp == NULL || strcmp(dp, "DoNotTerminate") != 0)
		return 0;
	reject(e, "spec.deletionPolicy", "FieldValueInvalid", "Invalid value: \"%s\": cannot delete "
	    "object when deletionPolicy is set to \"DoNotTerminate\"",
	    ksim_json_str(db, "metadata.name") != NULL ? ksim_json_str(db, "metadata.name") : "");
	e->code = 403;
	return -1;
}

static int
check_hscale(const struct ksim_res *dbres, const cJSON *ops, const cJSON *db, struct ksim_adm_err *e)
{
	const cJSON *hs = ksim_json_at(ops, "spec.horizontalScaling"), *n;
	char path[96];

	if (!cJSON_IsObject(hs))
		return reject(e, "spec.horizontalScaling", "FieldValueRequired", "Required value: "
		    "horizontalScaling is required for type HorizontalScaling");
	if (dbres->engine->mongo && ksim_json_at(db, "spec.replicaSet") == NULL)
		return reject(e, "spec.type", "FieldValueInvalid", "Invalid value: \"HorizontalScaling\": "
		    "horizontal scaling is not supported for a standalone MongoDB");
	snprintf(path, sizeof(path), "spec.horizontalScaling.%s", dbres->engine->hscale_field);
	n = ksim_json_at(ops, path);
	if (n == NULL && !dbres->engine->mongo && ksim_json_at(ops, "spec.horizontalScaling.shards") != NULL)
		return 0;
	if (!cJSON_IsNumber(n))
		return reject(e, path, "FieldValueRequired", "Required value: the new %s count is required",
		    dbres->engine->hscale_field);
	if (n->valuedouble < 1 || n->valuedouble != floor(n->valuedouble))
		return reject(e, path, "FieldValueInvalid", "Invalid value: %g: %s must be greater than 0",
		    n->valuedouble, dbres->engine->hscale_field);
	return 0;
}

static int
check_vscale(const struct ksim_res *dbres, const cJSON *ops, const cJSON *db, struct ksim_adm_err *e)
{
	const char *comp = ksim_ops_component(dbres, db);
	char path[96];
	const cJSON *vs = ksim_json_at(ops, "spec.verticalScaling"), *res;

	if (!cJSON_IsObject(vs))
		return reject(e, "spec.verticalScaling", "FieldValueRequired", "Required value: "
		    "verticalScaling is required for type VerticalScaling");
	if (ksim_json_at(vs, "requests") != NULL || ksim_json_at(vs, "limits") != NULL)
		return reject(e, "spec.verticalScaling", "FieldValueInvalid", "Invalid value: "
		    "requests/limits directly under verticalScaling is the pre-2023 shape; use "
		    "verticalScaling.%s.resources", comp);
	snprintf(path, sizeof(path), "spec.verticalScaling.%s.resources", comp);
	res = ksim_json_at(ops, path);
	if (!cJSON_IsObject(res))
		return reject(e, path, "FieldValueRequired", "Required value: resources for component "
		    "%s are required", comp);
	return 0;
}

static int
check_volume(const struct ksim_res *dbres, const cJSON *ops, const cJSON *db, struct ksim_adm_err *e)
{
	static const char *const modes[] = { "Online", "Offline", NULL };
	const char *comp = ksim_ops_component(dbres, db);
	const char *mode = ksim_json_str(ops, "spec.volumeExpansion.mode");
	const char *want, *cur = ksim_json_str(db, "spec.storage.resources.requests.storage");
	char path[96];
	int64_t wb, cb;

	if (mode == NULL)
		return reject(e, "spec.volumeExpansion.mode", "FieldValueRequired", "Required value: "
		    "mode (Online or Offline) is required");
	if (!one_of(mode, modes))
		return reject(e, "spec.volumeExpansion.mode", "FieldValueNotSupported", "Unsupported "
		    "value: \"%s\": supported values: \"Online\", \"Offline\"", mode);
	snprintf(path, sizeof(path), "spec.volumeExpansion.%s", comp);
	want = ksim_json_str(ops, path);
	if (want == NULL)
		return reject(e, path, "FieldValueRequired", "Required value: the new storage size of "
		    "%s is required", comp);
	if (qty_parse_scaled(want, 0, &wb) < 0)
		return reject(e, path, "FieldValueInvalid", "Invalid value: \"%s\": not a quantity", want);
	if (cur != NULL && qty_parse_scaled(cur, 0, &cb) == 0 && wb <= cb)
		return reject(e, path, "FieldValueInvalid", "Invalid value: \"%s\": desired storage size "
		    "must be greater than current storage (%s)", want, cur);
	return 0;
}

/* Checks that do not depend on the type. */
static int
check_ops_common(const cJSON *ops, const cJSON *db, const char *type, struct ksim_adm_err *e)
{
	static const char *const types[] = { "UpdateVersion", "HorizontalScaling", "VerticalScaling",
		"VolumeExpansion", "Restart", "Reconfigure", "ReconfigureTLS", NULL };
	static const char *const applies[] = { "IfReady", "Always", NULL };
	const char *dbname = ksim_json_str(ops, "spec.databaseRef.name");
	const char *timeout = ksim_json_str(ops, "spec.timeout");

	if (type == NULL)
		return reject(e, "spec.type", "FieldValueRequired", "Required value: type is required");
	if (!one_of(type, types))
		return reject(e, "spec.type", "FieldValueNotSupported", "Unsupported value: \"%s\": "
		    "supported values: \"UpdateVersion\", \"HorizontalScaling\", \"VerticalScaling\", "
		    "\"VolumeExpansion\", \"Restart\", \"Reconfigure\", \"ReconfigureTLS\"", type);
	if (dbname == NULL || dbname[0] == '\0')
		return reject(e, "spec.databaseRef.name", "FieldValueRequired", "Required value: "
		    "databaseRef.name is required");
	if (db == NULL)
		return reject(e, "spec.databaseRef.name", "FieldValueInvalid", "Invalid value: \"%s\": "
		    "database %s/%s not found", dbname,
		    ksim_json_str(ops, "metadata.namespace") != NULL ? ksim_json_str(ops, "metadata.namespace") : "",
		    dbname);
	if (check_enum(ops, "spec.apply", applies, "\"IfReady\", \"Always\"", e) < 0)
		return -1;
	if (timeout != NULL && ksim_parse_duration(timeout) < 0)
		return reject(e, "spec.timeout", "FieldValueInvalid", "Invalid value: \"%s\": not a "
		    "duration (e.g. 30s, 5m, 1h)", timeout);
	return 0;
}

int
ksim_admit_ops(const struct ksim_res *res, const cJSON *old, const cJSON *ops, const cJSON *db,
    struct ksim_adm_err *e)
{
	const struct ksim_res *dbres = ksim_res_by_id(res->peer);
	const char *type = ksim_json_str(ops, "spec.type");

	if (old != NULL) {
		if (!cJSON_Compare(ksim_json_at(old, "spec"), ksim_json_at(ops, "spec"), 1))
			return reject(e, "spec", "FieldValueForbidden", "Forbidden: the spec of an "
			    "OpsRequest is immutable; delete it and create a new one");
		return 0;
	}
	if (check_ops_common(ops, db, type, e) < 0)
		return -1;
	if (strcmp(type, "HorizontalScaling") == 0)
		return check_hscale(dbres, ops, db, e);
	if (strcmp(type, "VerticalScaling") == 0)
		return check_vscale(dbres, ops, db, e);
	if (strcmp(type, "VolumeExpansion") == 0)
		return check_volume(dbres, ops, db, e);
	if (strcmp(type, "UpdateVersion") == 0) {
		const char *tv = ksim_json_str(ops, "spec.updateVersion.targetVersion");

		if (tv == NULL || tv[0] == '\0')
			return reject(e, "spec.updateVersion.targetVersion", "FieldValueRequired",
			    "Required value: targetVersion is required");
	}
	return 0;
}
