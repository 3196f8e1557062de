/*
 * api — the resource verbs: get, create, update (PUT), patch, delete and
 * deletecollection, with the /status subresource.
 *
 * The order of checks follows the apiserver: decode the body (400), check
 * kind and names (422), the namespace (404/403), existence (404/409), then
 * admission (KubeDB's webhooks), then optimistic concurrency on
 * resourceVersion (409), then the write.  Every write builds the complete new
 * object as a cJSON tree from the stored text and hands it to the store,
 * which assigns the resourceVersion and serializes it once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include "common/clock.h"
#include "common/json.h"
#include "common/rnd.h"
#include "kubesim/admission.h"
#include "kubesim/api_int.h"
#include "kubesim/contok.h"
#include "kubesim/gc.h"
#include "kubesim/http.h"
#include "kubesim/jsonx.h"
#include "kubesim/labelsel.h"
#include "kubesim/list.h"
#include "kubesim/patch.h"
#include "kubesim/pbuf.h"
#include "kubesim/reply.h"
#include "kubesim/schema.h"
#include "kubesim/store.h"
#include "kubesim/table.h"

#define MAX_DEPTH 100

static const char subdomain_msg[] = "a lowercase RFC 1123 subdomain must consist of lower case "
    "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character "
    "(e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
static const char label_msg[] = "a lowercase RFC 1123 label must consist of lower case "
    "alphanumeric characters or '-', and must start and end with an alphanumeric character "
    "(e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

int
ksim_dns_label(const char *s)
{
	size_t n = strlen(s);

	return n <= 63 && strchr(s, '.') == NULL && ksim_dns_subdomain(s, n);
}

void
ksim_new_uid(char *buf, size_t n)
{
	uint64_t a = rnd_u64(), b = rnd_u64();

	snprintf(buf, n, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
	    (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff, (unsigned)(0x8000 | ((b >> 48) & 0x3fff)),
	    (unsigned long long)(b & 0xffffffffffffULL));
}

void
ksim_now(char *buf, size_t n)
{
	clk_rfc3339(clk_wall_ms(), buf, n);
}

/* Reply 400 for a body that does not decode (the apiserver's wording). */
static cJSON *
parse_body(struct ksim_call *c)
{
	size_t len;
	const char *body = ksim_req_body(c->req, &len);
	struct jerr e;
	cJSON *obj;
	char msg[640];

	if (ksim_pb_is(body, len)) {
		/* kubectl 1.28+ sends built-in kinds as protobuf. */
		if ((obj = ksim_pb_decode(c->res, body, len, msg, sizeof(msg))) != NULL)
			return obj;
		ksim_reply_status(c->req, &(struct ksim_status){ .code = 415,
		    .reason = "UnsupportedMediaType", .message = "the body of the request was in an "
		    "unknown format - accepted media types include: application/json, application/yaml" });
		return NULL;
	}
	obj = json_parse_strict(body, len, MAX_DEPTH, &e);
	if (obj != NULL)
		return obj;
	snprintf(msg, sizeof(msg), "the object provided is unrecognized (must be of type %s): "
	    "couldn't get version/kind; json parse error: %s (%.*s)", c->res->kind, e.msg,
	    (int)(len > 64 ? 64 : len), body);
	ksim_reply_bad_request(c->req, msg);
	return NULL;
}

struct unknown_fields {
	struct ksim_call *c;
	int warn;
	char list[1024];		/* the Strict message's list */
	size_t len;
};

static void
on_unknown(void *arg, const char *path)
{
	struct unknown_fields *u = arg;
	char msg[600];

	snprintf(msg, sizeof(msg), "unknown field \"%.500s\"", path);
	if (u->warn)
		ksim_req_add_warning(u->c->req, msg);
	if (u->len < sizeof(u->list))
		u->len += (size_t)snprintf(u->list + u->len, sizeof(u->list) - u->len, "%s%s",
		    u->len > 0 ? ", " : "", msg);
}

/*
 * Server-side field validation of OBJ (a write's new object; OPTS is the
 * options kind for errors: CreateOptions, UpdateOptions, PatchOptions):
 * unknown fields are dropped, with a Warning each unless fieldValidation is
 * Ignore; with Strict the write is refused with 400.  0, or -1 after replying.
 */
static int
validate_fields(struct ksim_call *c, cJSON *obj, const char *opts)
{
	const char *fv = ksim_req_query(c->req, "fieldValidation");
	struct unknown_fields u = { .c = c, .warn = 1 };
	char msg[1400];

	if (fv == NULL)
		fv = "";
	if (fv[0] != '\0' && strcmp(fv, "Ignore") != 0 && strcmp(fv, "Warn") != 0 && strcmp(fv, "Strict") != 0) {
		char detail[320];
		struct ksim_cause cause = { "FieldValueNotSupported", detail, "fieldValidation" };

		snprintf(detail, sizeof(detail), "Unsupported value: \"%.200s\": supported values: \"\", "
		    "\"Ignore\", \"Strict\", \"Warn\"", fv);
		snprintf(msg, sizeof(msg), "%s.meta.k8s.io \"\" is invalid: fieldValidation: %s", opts, detail);
		ksim_reply_status(c->req, &(struct ksim_status){ .code = 422, .reason = "Invalid",
		    .message = msg, .group = "meta.k8s.io", .kind = opts, .causes = &cause, .ncauses = 1 });
		return -1;
	}
	u.warn = fv[0] == '\0' || strcmp(fv, "Warn") == 0;
	if (ksim_schema_prune(c->res, obj, on_unknown, &u) == 0 || strcmp(fv, "Strict") != 0)
		return 0;
	snprintf(msg, sizeof(msg), "%s in version \"%s\" cannot be handled as a %s: strict decoding error: %s",
	    c->res->kind, c->res->version, c->res->kind, u.list);
	ksim_reply_bad_request(c->req, msg);
	return -1;
}

/* kind and apiVersion of a request body.  0, or -1 after replying. */
static int
check_kind(struct ksim_call *c, const cJSON *obj, const char *name)
{
	const char *kind = ksim_json_str(obj, "kind"), *av = ksim_json_str(obj, "apiVersion");
	char msg[768], q[160], detail[256];

	if (!cJSON_IsObject(obj) || kind == NULL || kind[0] == '\0') {
		snprintf(msg, sizeof(msg), "Object 'Kind' is missing in the request body");
		ksim_reply_bad_request(c->req, msg);
		return -1;
	}
	if (av == NULL || strcmp(av, c->res->api_version) != 0) {
		snprintf(msg, sizeof(msg), "the API version in the data (%s) does not match the expected "
		    "API version (%s)", av != NULL ? av : "", c->res->api_version);
		ksim_reply_bad_request(c->req, msg);
		return -1;
	}
	if (strcmp(kind, c->res->kind) != 0) {
		struct ksim_cause cause = { "FieldValueInvalid", detail, "kind" };

		snprintf(detail, sizeof(detail), "Invalid value: \"%s\": must be %s", kind, c->res->kind);
		if (c->res->group[0] != '\0')
			snprintf(q, sizeof(q), "%s.%s", kind, c->res->group);
		else
			snprintf(q, sizeof(q), "%s", kind);
		snprintf(msg, sizeof(msg), "%s \"%s\" is invalid: kind: %s", q, name, detail);
		ksim_reply_status(c->req, &(struct ksim_status){ .code = 422, .reason = "Invalid",
		    .message = msg, .name = name, .group = c->res->group, .kind = kind,
		    .causes = &cause, .ncauses = 1 });
		return -1;
	}
	return 0;
}

static void
reply_field_invalid(struct ksim_call *c, const char *name, const char *field, const char *value,
    const char *why)
{
	char detail[768];

	snprintf(detail, sizeof(detail), "Invalid value: \"%s\": %s", value, why);
	ksim_reply_invalid(c->req, c->res, name, field, "FieldValueInvalid", detail);
}

/* Labels and annotations must have valid keys (and label values). */
static int
check_meta_maps(struct ksim_call *c, const cJSON *obj, const char *name)
{
	const cJSON *l;
	char field[400];

	cJSON_ArrayForEach(l, ksim_json_at(obj, "metadata.labels")) {
		snprintf(field, sizeof(field), "metadata.labels");
		if (!cJSON_IsString(l) || !ksim_label_key_valid(l->string) ||
		    !ksim_label_value_valid(l->valuestring)) {
			reply_field_invalid(c, name, field, cJSON_IsString(l) ? l->valuestring : l->string,
			    "a valid label must be an empty string or consist of alphanumeric characters, "
			    "'-', '_' or '.', and must start and end with an alphanumeric character");
			return -1;
		}
	}
	cJSON_ArrayForEach(l, ksim_json_at(obj, "metadata.annotations")) {
		if (!cJSON_IsString(l) || !ksim_label_key_valid(l->string)) {
			reply_field_invalid(c, name, "metadata.annotations", l->string,
			    "name part must consist of alphanumeric characters, '-', '_' or '.'");
			return -1;
		}
	}
	return 0;
}

/* The namespace of a namespaced create must exist and be Active. */
static int
check_namespace(struct ksim_call *c, const char *name)
{
	struct ksim_obj *ns = ksim_store_get(c->sim->store, &ksim_res_table[0], "", c->ns);
	char msg[768], q[128], cm[300];

	if (ns == NULL) {
		snprintf(msg, sizeof(msg), "namespaces \"%s\" not found", c->ns);
		ksim_reply_status(c->req, &(struct ksim_status){ .code = 404, .reason = "NotFound",
		    .message = msg, .name = c->ns, .kind = "namespaces" });
		return -1;
	}
	if (ns->head->deleting) {
		struct ksim_cause cause = { "NamespaceTerminating", cm, "metadata.namespace" };

		ksim_res_qualified(c->res, q, sizeof(q));
		snprintf(cm, sizeof(cm), "namespace %s is being terminated", c->ns);
		snprintf(msg, sizeof(msg), "%s \"%s\" is forbidden: unable to create new content in "
		    "namespace %s because it is being terminated", q, name, c->ns);
		ksim_reply_status(c->req, &(struct ksim_status){ .code = 403, .reason = "Forbidden",
		    .message = msg, .name = name, .group = c->res->group, .kind = c->res->plural,
		    .causes = &cause, .ncauses = 1 });
		return -1;
	}
	return 0;
}

static void
reply_admission(struct ksim_call *c, const char *name, const struct ksim_adm_err *e)
{
	char webhook[128], q[128], msg[1536], lower[64];
	struct ksim_cause cause = { e->cause, e->msg, e->field };
	size_t i;

	for (i = 0; i < sizeof(lower) - 1 && c->res->kind[i] != '\0'; i++)
		lower[i] = (char)(c->res->kind[i] | 0x20);
	lower[i] = '\0';
	snprintf(webhook, sizeof(webhook), "v%s.kb.io", lower);
	if (e->code == 403) {
		snprintf(msg, sizeof(msg), "admission webhook \"%s\" denied the request: %s: %s",
		    webhook, e->field, e->msg);
		ksim_reply_status(c->req, &(struct ksim_status){ .code = 403, .reason = "Forbidden",
		    .message = msg });
		return;
	}
	ksim_res_kind_qualified(c->res, q, sizeof(q));
	snprintf(msg, sizeof(msg), "admission webhook \"%s\" denied the request: %s \"%s\" is "
	    "invalid: %s: %s", webhook, q, name, e->field, e->msg);
	ksim_reply_status(c->req, &(struct ksim_status){ .code = 422, .reason = "Invalid",
	    .message = msg, .name = name, .group = c->res->group, .kind = c->res->kind,
	    .causes = &cause, .ncauses = 1 });
}

/* The database an OpsRequest names (parsed, caller frees), or NULL. */
static cJSON *
ops_database(struct ksim_sim *sim, const struct ksim_res *res, const char *ns, const cJSON *ops)
{
	const char *db = ksim_json_str(ops, "spec.databaseRef.name");
	struct ksim_obj *o;

	if (db == NULL)
		return NULL;
	o = ksim_store_get(sim->store, ksim_res_by_id(res->peer), ns, db);
	return o != NULL ? ksim_ver_parse(o->head) : NULL;
}

/* Run the webhooks for a write of C.  0, or -1 after replying. */
static int
admit(struct ksim_call *c, const cJSON *old, cJSON *obj, const char *name)
{
	struct ksim_adm_err e;
	int rc = 0;

	memset(&e, 0, sizeof(e));
	if (c->res->type == KSIM_RES_DB) {
		if (old == NULL)
			ksim_admit_db_defaults(c->res, obj);
		rc = ksim_admit_db(c->res, old, obj, &e);
	} else if (c->res->type == KSIM_RES_OPS) {
		cJSON *db = ops_database(c->sim, c->res, c->ns, obj);

		rc = ksim_admit_ops(c->res, old, obj, db, &e);
		cJSON_Delete(db);
	}
	if (rc < 0)
		reply_admission(c, name, &e);
	return rc;
}

static int
dry_run(struct ksim_call *c)
{
	const char *d = ksim_req_query(c->req, "dryRun");

	return d != NULL && strcmp(d, "All") == 0;
}

/* Secrets: fold stringData into data, default the type. */
static int
prepare_secret(cJSON *obj)
{
	cJSON *sd = cJSON_DetachItemFromObjectCaseSensitive(obj, "stringData"), *e;
	cJSON *data;
	const char *type = ksim_json_str(obj, "type");

	if ((type == NULL || type[0] == '\0') && ksim_json_set_str(obj, "type", "Opaque") < 0)
		goto fail;
	if (sd == NULL)
		return 0;
	if ((data = ksim_json_obj(obj, "data")) == NULL)
		goto fail;
	cJSON_ArrayForEach(e, sd) {
		char *enc = cJSON_IsString(e) ?
		    ksim_b64_encode((const unsigned char *)e->valuestring, strlen(e->valuestring)) : NULL;

		if (enc == NULL || ksim_json_set_str(data, e->string, enc) < 0) {
			free(enc);
			goto fail;
		}
		free(enc);
	}
	cJSON_Delete(sd);
	return 0;
fail:
	cJSON_Delete(sd);
	return -1;
}

/* Server-set fields of a new object. */
static int
init_new_object(struct ksim_call *c, cJSON *obj, const char *name)
{
	cJSON *meta = ksim_json_obj(obj, "metadata");
	char uid[40], now[32];

	if (meta == NULL)
		return -1;
	ksim_new_uid(uid, sizeof(uid));
	ksim_now(now, sizeof(now));
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "managedFields");
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "deletionTimestamp");
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "deletionGracePeriodSeconds");
	if (ksim_json_set_str(meta, "name", name) < 0 || ksim_json_set_str(meta, "uid", uid) < 0 ||
	    ksim_json_set_str(meta, "creationTimestamp", now) < 0)
		return -1;
	if (c->res->namespaced && ksim_json_set_str(meta, "namespace", c->ns) < 0)
		return -1;
	if (c->res->group[0] != '\0' && ksim_json_set_int(meta, "generation", 1) < 0)
		return -1;
	if (c->res->has_status && c->res->type != KSIM_RES_NAMESPACE)
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
	if (c->res->type == KSIM_RES_SECRET)
		return prepare_secret(obj);
	if (c->res->type == KSIM_RES_NAMESPACE) {
		cJSON *labels = ksim_json_obj(meta, "labels"), *spec = ksim_json_obj(obj, "spec");
		cJSON *fin = cJSON_CreateStringArray((const char *[]){ "kubernetes" }, 1);

		if (labels == NULL || spec == NULL ||
		    ksim_json_set_str(labels, "kubernetes.io/metadata.name", name) < 0 ||
		    ksim_json_set(spec, "finalizers", fin) < 0 ||
		    ksim_json_set_str(ksim_json_obj(obj, "status"), "phase", "Active") < 0)
			return -1;
	}
	return 0;
}

/* Pick the name of a new object (generateName gets 5 random characters). */
static int
object_name(struct ksim_call *c, cJSON *obj, char *name, size_t n)
{
	static const char alnum[] = "bcdfghjklmnpqrstvwxz2456789";
	const char *nm = ksim_json_str(obj, "metadata.name");
	const char *gen = ksim_json_str(obj, "metadata.generateName");
	char q[160], msg[512];
	struct ksim_cause cause = { "FieldValueRequired", "Required value: name or generateName is required",
		"metadata.name" };

	if (nm != NULL && nm[0] != '\0') {
		snprintf(name, n, "%s", nm);
	} else if (gen != NULL && gen[0] != '\0' && strlen(gen) < 200) {
		size_t k = (size_t)snprintf(name, n, "%s", gen);

		for (int i = 0; i < 5 && k + 1 < n; i++)
			name[k++] = alnum[rnd_u64() % (sizeof(alnum) - 1)];
		name[k] = '\0';
	} else {
		ksim_res_kind_qualified(c->res, q, sizeof(q));
		snprintf(msg, sizeof(msg), "%s \"\" is invalid: metadata.name: Required value: name or "
		    "generateName is required", q);
		ksim_reply_status(c->req, &(struct ksim_status){ .code = 422, .reason = "Invalid",
		    .message = msg, .group = c->res->group, .kind = c->res->kind, .causes = &cause,
		    .ncauses = 1 });
		return -1;
	}
	if (c->res->type == KSIM_RES_NAMESPACE ? !ksim_dns_label(name) : !ksim_dns_subdomain(name, strlen(name))) {
		reply_field_invalid(c, name, "metadata.name", name,
		    c->res->type == KSIM_RES_NAMESPACE ? label_msg : subdomain_msg);
		return -1;
	}
	return 0;
}

/* Body namespace must be absent or the URL's. */
static int
check_body_namespace(struct ksim_call *c, const cJSON *obj)
{
	const char *ns = ksim_json_str(obj, "metadata.namespace");

	if (!c->res->namespaced || ns == NULL || ns[0] == '\0' || strcmp(ns, c->ns) == 0)
		return 0;
	ksim_reply_bad_request(c->req, "the namespace of the provided object does not match the "
	    "namespace sent on the request");
	return -1;
}

/* Reply with a stored version (Table when asked). */
static void
reply_version(struct ksim_call *c, int code, const struct ksim_ver *v)
{
	if (code == 200 && ksim_table_wanted(c->req)) {
		ksim_table_reply_one(c, v);
		return;
	}
	ksim_reply_json(c->req, code, v->json, v->len, NULL);
}

void
ksim_api_get(struct ksim_call *c)
{
	struct ksim_obj *o = ksim_store_get(c->sim->store, c->res, c->ns, c->name);

	if (o == NULL) {
		ksim_reply_not_found(c->req, c->res, c->name);
		return;
	}
	reply_version(c, 200, o->head);
}

static int
create_checks(struct ksim_call *c, cJSON *obj, char *name, size_t n)
{
	if (check_kind(c, obj, ksim_json_str(obj, "metadata.name") != NULL ?
	    ksim_json_str(obj, "metadata.name") : "") < 0 || check_body_namespace(c, obj) < 0 ||
	    object_name(c, obj, name, n) < 0 || check_meta_maps(c, obj, name) < 0)
		return -1;
	if (ksim_json_str(obj, "metadata.resourceVersion") != NULL &&
	    ksim_json_str(obj, "metadata.resourceVersion")[0] != '\0') {
		ksim_reply_error(c->req, 500, "InternalError",
		    "resourceVersion should not be set on objects to be created");
		return -1;
	}
	if (c->res->namespaced && check_namespace(c, name) < 0)
		return -1;
	if (ksim_store_get(c->sim->store, c->res, c->ns, name) != NULL) {
		ksim_reply_exists(c->req, c->res, name);
		return -1;
	}
	return 0;
}

/* 1 if OBJ (may be NULL) carries finalizer NAME. */
static int
has_finalizer(const cJSON *obj, const char *name)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, ksim_json_at(obj, "metadata.finalizers"))
		if (cJSON_IsString(f) && strcmp(f->valuestring, name) == 0)
			return 1;
	return 0;
}

/*
 * The apiserver's warning for a finalizer name without a domain path (the
 * standard ones excepted), for each finalizer of NW that OLD (may be NULL:
 * a create) does not have.
 */
static void
warn_finalizers(struct ksim_call *c, const cJSON *old, const cJSON *nw)
{
	static const char *const standard[] = { "kubernetes", KSIM_FIN_ORPHAN, KSIM_FIN_FOREGROUND, NULL };
	const cJSON *f;
	char msg[512];

	cJSON_ArrayForEach(f, ksim_json_at(nw, "metadata.finalizers")) {
		size_t i;

		if (!cJSON_IsString(f) || strchr(f->valuestring, '/') != NULL ||
		    has_finalizer(old, f->valuestring))
			continue;
		for (i = 0; standard[i] != NULL && strcmp(standard[i], f->valuestring) != 0; i++)
			;
		if (standard[i] != NULL)
			continue;
		snprintf(msg, sizeof(msg), "metadata.finalizers: \"%.300s\": prefer a domain-qualified finalizer "
		    "name to avoid accidental conflicts with other finalizer writers", f->valuestring);
		ksim_req_add_warning(c->req, msg);
	}
}

/* Store a new object OBJ (already checked) and answer 201. */
static void
create_object(struct ksim_call *c, cJSON *obj, const char *name)
{
	struct ksim_ver *v;

	if (init_new_object(c, obj, name) < 0) {
		ksim_reply_error(c->req, 500, "InternalError", "out of memory");
		return;
	}
	if (admit(c, NULL, obj, name) < 0)
		return;		/* answered (and C freed) by admit */
	warn_finalizers(c, NULL, obj);
	if (dry_run(c)) {
		ksim_reply_cjson(c->req, 201, obj, NULL);
		return;
	}
	v = ksim_store_write(c->sim->store, c->res, c->ns, name, obj);
	if (v == NULL) {
		ksim_reply_error(c->req, 500, "InternalError", "out of memory");
		return;
	}
	reply_version(c, 201, v);
}

void
ksim_api_create(struct ksim_call *c)
{
	char name[254];
	cJSON *obj = parse_body(c);

	if (obj == NULL)
		return;
	if (validate_fields(c, obj, "CreateOptions") == 0 && create_checks(c, obj, name, sizeof(name)) == 0)
		create_object(c, obj, name);
	cJSON_Delete(obj);
}

/* 1 if A and B differ outside metadata and status (a spec change). */
static int
spec_changed(const cJSON *a, const cJSON *b)
{
	const cJSON *x;

	cJSON_ArrayForEach(x, a) {
		if (strcmp(x->string, "metadata") == 0 || strcmp(x->string, "status") == 0)
			continue;
		if (!cJSON_Compare(x, cJSON_GetObjectItemCaseSensitive(b, x->string), 1))
			return 1;
	}
	cJSON_ArrayForEach(x, b) {
		if (strcmp(x->string, "metadata") != 0 && strcmp(x->string, "status") != 0 &&
		    cJSON_GetObjectItemCaseSensitive(a, x->string) == NULL)
			return 1;
	}
	return 0;
}

static int
copy_key(cJSON *dst, const cJSON *src, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, key);

	if (v == NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(dst, key);
		return 0;
	}
	return ksim_json_set(dst, key, cJSON_Duplicate(v, 1));
}

/*
 * The object to store for an update of OLD by NEW: the subresource decides
 * which side status comes from; server-owned metadata always comes from OLD.
 * Returns a new tree (caller frees) or NULL.
 */
static cJSON *
merge_update(const struct ksim_call *c, const cJSON *old, const cJSON *nw)
{
	static const char *const owned[] = { "uid", "creationTimestamp", "name", "namespace",
		"deletionTimestamp", "deletionGracePeriodSeconds", "generation", NULL };
	cJSON *out, *meta;
	const cJSON *ometa = cJSON_GetObjectItemCaseSensitive(old, "metadata");

	if (c->status_sub) {
		out = cJSON_Duplicate(old, 1);
		if (out != NULL && copy_key(out, nw, "status") < 0) {
			cJSON_Delete(out);
			return NULL;
		}
		/* The request's resourceVersion still guards the write. */
		meta = ksim_json_obj(out, "metadata");
		if (meta != NULL)
			copy_key(meta, ksim_json_at(nw, "metadata"), "resourceVersion");
		return out;
	}
	out = cJSON_Duplicate(nw, 1);
	if (out == NULL || (c->res->has_status && c->res->type != KSIM_RES_NAMESPACE &&
	    copy_key(out, old, "status") < 0) || (meta = ksim_json_obj(out, "metadata")) == NULL) {
		cJSON_Delete(out);
		return NULL;
	}
	for (size_t i = 0; owned[i] != NULL; i++)
		copy_key(meta, ometa, owned[i]);
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "managedFields");
	if (c->res->type == KSIM_RES_SECRET)
		prepare_secret(out);
	return out;
}

/* No new finalizer may appear on an object being deleted. */
static int
check_finalizers(struct ksim_call *c, const cJSON *old, const cJSON *nw, const char *name)
{
	const cJSON *f;
	const cJSON *oldf = ksim_json_at(old, "metadata.finalizers");

	if (ksim_json_str(old, "metadata.deletionTimestamp") == NULL)
		return 0;
	cJSON_ArrayForEach(f, ksim_json_at(nw, "metadata.finalizers")) {
		const cJSON *g;
		int found = 0;

		cJSON_ArrayForEach(g, oldf)
			found |= cJSON_Compare(f, g, 1);
		if (!found) {
			char detail[512];

			snprintf(detail, sizeof(detail), "Forbidden: no new finalizers can be added if the "
			    "object is being deleted, found new finalizers []string{\"%s\"}",
			    cJSON_IsString(f) ? f->valuestring : "");
			ksim_reply_invalid(c->req, c->res, name, "metadata.finalizers", "FieldValueForbidden",
			    detail);
			return -1;
		}
	}
	return 0;
}

/* Optimistic concurrency: the update's resourceVersion must be the current one. */
static int
check_rv(struct ksim_call *c, const cJSON *nw, const struct ksim_ver *cur, int required)
{
	const char *rv = ksim_json_str(nw, "metadata.resourceVersion");

	if (rv == NULL || rv[0] == '\0') {
		if (!required)
			return 0;
		ksim_reply_invalid(c->req, c->res, c->name, "metadata.resourceVersion", "FieldValueInvalid",
		    "Invalid value: 0x0: must be specified for an update");
		return -1;
	}
	if (strtoull(rv, NULL, 10) != cur->rv) {
		ksim_reply_conflict(c->req, c->res, c->name);
		return -1;
	}
	return 0;
}

static int
finalizers_empty(const cJSON *obj)
{
	return cJSON_GetArraySize(ksim_json_at(obj, "metadata.finalizers")) == 0;
}

/*
 * Store RESULT as the new state of the current object CUR (parsed as OLD)
 * and answer.  RESULT carries OLD's resourceVersion.
 */
static void
commit_update(struct ksim_call *c, struct ksim_obj *o, const cJSON *old, cJSON *result)
{
	struct ksim_ver *v;
	cJSON *meta = ksim_json_obj(result, "metadata");

	if (meta == NULL) {
		ksim_reply_error(c->req, 500, "InternalError", "out of memory");
		return;
	}
	if (c->res->group[0] != '\0' && spec_changed(old, result))
		ksim_json_set_int(meta, "generation", ksim_json_int(old, "metadata.generation", 1) + 1);
	if (cJSON_Compare(old, result, 1)) {
		reply_version(c, 200, o->head);	/* no-op: same resourceVersion, no event */
		return;
	}
	if (dry_run(c)) {
		ksim_reply_cjson(c->req, 200, result, NULL);
		return;
	}
	if (ksim_json_str(result, "metadata.deletionTimestamp") != NULL && finalizers_empty(result)) {
		/* Last finalizer gone: the object is removed; the answer is the update. */
		if (c->res->group[0] != '\0')
			ksim_json_sort(result);
		ksim_store_delete(c->sim->store, o);
		ksim_reply_cjson(c->req, 200, result, NULL);
		return;
	}
	v = ksim_store_write(c->sim->store, c->res, c->ns, c->name, result);
	if (v == NULL) {
		ksim_reply_error(c->req, 500, "InternalError", "out of memory");
		return;
	}
	reply_version(c, 200, v);
}

/* The shared tail of PUT and PATCH: NW is the client's complete new object. */
static void
update_object(struct ksim_call *c, struct ksim_obj *o, const cJSON *old, cJSON *nw, int rv_required)
{
	cJSON *result;

	if (check_kind(c, nw, c->name) < 0 || check_rv(c, nw, o->head, rv_required) < 0)
		return;
	if ((result = merge_update(c, old, nw)) == NULL) {
		ksim_reply_error(c->req, 500, "InternalError", "out of memory");
		return;
	}
	ksim_json_set_str(ksim_json_obj(result, "metadata"), "resourceVersion",
	    ksim_json_str(old, "metadata.resourceVersion"));
	if (check_meta_maps(c, result, c->name) == 0 && check_finalizers(c, old, result, c->name) == 0 &&
	    (c->status_sub || admit(c, old, result, c->name) == 0)) {
		warn_finalizers(c, old, result);
		commit_update(c, o, old, result);
	}
	cJSON_Delete(result);
}

/* The apiserver's checkName: a body naming another object is 400.  0 or -1. */
static int
check_body_name(struct ksim_call *c, const cJSON *nw)
{
	const char *bname = ksim_json_str(nw, "metadata.name");
	char msg[640];

	if (bname == NULL || strcmp(bname, c->name) == 0)
		return check_body_namespace(c, nw);
	snprintf(msg, sizeof(msg), "the name of the object (%s) does not match the name on the URL (%s)",
	    bname, c->name);
	ksim_reply_bad_request(c->req, msg);
	return -1;
}

void
ksim_api_update(struct ksim_call *c)
{
	struct ksim_obj *o = ksim_store_get(c->sim->store, c->res, c->ns, c->name);
	cJSON *nw, *old;

	if ((nw = parse_body(c)) == NULL)
		return;
	if (validate_fields(c, nw, "UpdateOptions") < 0 || check_body_name(c, nw) < 0) {
		;
	} else if (o == NULL) {
		ksim_reply_not_found(c->req, c->res, c->name);
	} else if ((old = ksim_ver_parse(o->head)) != NULL) {
		update_object(c, o, old, nw, 1);
		cJSON_Delete(old);
	} else {
		ksim_reply_error(c->req, 500, "InternalError", "out of memory");
	}
	cJSON_Delete(nw);
}

static const char patch_types_msg[] = "the body of the request was in an unknown format - "
    "accepted media types include: application/json-patch+json, application/merge-patch+json, "
    "application/apply-patch+yaml";

enum ptype { P_MERGE, P_JSON, P_APPLY, P_SMP, P_BAD };

static enum ptype
patch_type(struct ksim_req *r)
{
	const char *ct = ksim_req_header(r, "Content-Type");
	size_t n;

	if (ct == NULL)
		return P_BAD;
	n = strcspn(ct, "; ");
	if (n == 28 && strncasecmp(ct, "application/merge-patch+json", n) == 0)
		return P_MERGE;
	if (n == 27 && strncasecmp(ct, "application/json-patch+json", n) == 0)
		return P_JSON;
	if (n == 28 && strncasecmp(ct, "application/apply-patch+yaml", n) == 0)
		return P_APPLY;
	if (n == 38 && strncasecmp(ct, "application/strategic-merge-patch+json", n) == 0)
		return P_SMP;
	return P_BAD;
}

/* Apply the request's patch to a copy of OLD.  NULL after replying. */
static cJSON *
patched(struct ksim_call *c, enum ptype t, const cJSON *old, const cJSON *patch)
{
	cJSON *doc = cJSON_Duplicate(old, 1);
	char err[512];
	int rc;

	if (doc == NULL) {
		ksim_reply_error(c->req, 500, "InternalError", "out of memory");
		return NULL;
	}
	if (t == P_JSON) {
		rc = ksim_json_patch(&doc, patch, err, sizeof(err));
		if (rc == KSIM_PATCH_BAD_DOC) {
			ksim_reply_bad_request(c->req, err);
		} else if (rc == KSIM_PATCH_FAILED) {
			ksim_reply_status(c->req, &(struct ksim_status){ .code = 422, .reason = "Invalid",
			    .message = "the server rejected our request due to an error in our request",
			    .details = 1 });
		}
	} else {
		rc = ksim_merge_patch(&doc, patch);
		if (rc < 0)
			ksim_reply_error(c->req, 500, "InternalError", "out of memory");
	}
	if (rc != 0) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

/* Server-side apply, simplified: create when absent, else merge (no field ownership). */
static void
apply_patch(struct ksim_call *c, struct ksim_obj *o, cJSON *body)
{
	const char *fm = ksim_req_query(c->req, "fieldManager");
	cJSON *old, *doc;

	if (fm == NULL || fm[0] == '\0') {
		struct ksim_cause cause = { "FieldValueRequired", "Required value: is required for apply patch",
			"fieldManager" };

		ksim_reply_status(c->req, &(struct ksim_status){ .code = 422, .reason = "Invalid",
		    .message = "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: "
		    "is required for apply patch", .group = "meta.k8s.io", .kind = "PatchOptions",
		    .causes = &cause, .ncauses = 1 });
		return;
	}
	if (o == NULL) {
		char name[254];

		if (c->status_sub) {
			ksim_reply_not_found(c->req, c->res, c->name);
			return;
		}
		ksim_json_set_str(ksim_json_obj(body, "metadata"), "name", c->name);
		if (validate_fields(c, body, "PatchOptions") == 0 && create_checks(c, body, name, sizeof(name)) == 0)
			create_object(c, body, name);
		return;
	}
	if ((old = ksim_ver_parse(o->head)) == NULL) {
		ksim_reply_error(c->req, 500, "InternalError", "out of memory");
		return;
	}
	if ((doc = patched(c, P_MERGE, old, body)) != NULL) {
		if (validate_fields(c, doc, "PatchOptions") == 0 && check_body_name(c, doc) == 0)
			update_object(c, o, old, doc, 0);
		cJSON_Delete(doc);
	}
	cJSON_Delete(old);
}

void
ksim_api_patch(struct ksim_call *c)
{
	enum ptype t = patch_type(c->req);
	struct ksim_obj *o;
	cJSON *body, *old, *doc;

	/*
	 * Strategic merge exists for built-in kinds only; for Namespace and
	 * Secret (no keyed lists) it is a merge patch.
	 */
	if (t == P_SMP && c->res->group[0] == '\0')
		t = P_MERGE;
	if (t == P_BAD || t == P_SMP) {
		ksim_reply_status(c->req, &(struct ksim_status){ .code = 415,
		    .reason = "UnsupportedMediaType", .message = patch_types_msg });
		return;
	}
	if ((body = parse_body(c)) == NULL)
		return;
	o = ksim_store_get(c->sim->store, c->res, c->ns, c->name);
	if (t == P_APPLY) {
		apply_patch(c, o, body);
	} else if (o == NULL) {
		ksim_reply_not_found(c->req, c->res, c->name);
	} else if ((old = ksim_ver_parse(o->head)) == NULL) {
		ksim_reply_error(c->req, 500, "InternalError", "out of memory");
	} else {
		/* A patch may not rename (or move) the object: 400 like PUT. */
		if ((doc = patched(c, t, old, body)) != NULL) {
			if (validate_fields(c, doc, "PatchOptions") == 0 && check_body_name(c, doc) == 0)
				update_object(c, o, old, doc, 0);
			cJSON_Delete(doc);
		}
		cJSON_Delete(old);
	}
	cJSON_Delete(body);
}

/* DeleteOptions preconditions.  0, or -1 after replying 409. */
static int
check_preconditions(struct ksim_call *c, const struct ksim_ver *cur)
{
	size_t len;
	const char *body = ksim_req_body(c->req, &len);
	cJSON *opts, *cobj;
	const char *rv, *uid;
	char q[160], msg[768];
	int rc = 0;

	if (len == 0 || (opts = cJSON_ParseWithLength(body, len)) == NULL)
		return 0;
	rv = ksim_json_str(opts, "preconditions.resourceVersion");
	uid = ksim_json_str(opts, "preconditions.uid");
	cobj = ksim_ver_parse(cur);
	ksim_res_kind_qualified(c->res, q, sizeof(q));
	if (rv != NULL && strtoull(rv, NULL, 10) != cur->rv) {
		snprintf(msg, sizeof(msg), "Operation cannot be fulfilled on %s \"%s\": the ResourceVersion "
		    "in the precondition (%s) does not match the ResourceVersion in record (%llu). The "
		    "object might have been modified", q, c->name, rv, (unsigned long long)cur->rv);
		rc = -1;
	} else if (uid != NULL && cobj != NULL && ksim_json_str(cobj, "metadata.uid") != NULL &&
	    strcmp(uid, ksim_json_str(cobj, "metadata.uid")) != 0) {
		snprintf(msg, sizeof(msg), "Operation cannot be fulfilled on %s \"%s\": the UID in the "
		    "precondition (%s) does not match the UID in record (%s). The object might have been "
		    "replaced", q, c->name, uid, ksim_json_str(cobj, "metadata.uid"));
		rc = -1;
	}
	if (rc < 0)
		ksim_reply_status(c->req, &(struct ksim_status){ .code = 409, .reason = "Conflict",
		    .message = msg, .name = c->name, .group = c->res->group, .kind = c->res->kind });
	cJSON_Delete(cobj);
	cJSON_Delete(opts);
	return rc;
}

enum propagation { PROP_DEFAULT, PROP_BACKGROUND, PROP_FOREGROUND, PROP_ORPHAN };

/*
 * The propagation policy of a DELETE: the query's propagationPolicy, else
 * the DeleteOptions body's (or its orphanDependents).  0, or -1 after
 * answering 422 for an unknown policy.
 */
static int
delete_policy(struct ksim_call *c, enum propagation *p)
{
	size_t len;
	const char *body = ksim_req_body(c->req, &len);
	const char *pp = ksim_req_query(c->req, "propagationPolicy");
	cJSON *opts = len > 0 ? cJSON_ParseWithLength(body, len) : NULL;
	char msg[512];
	struct ksim_cause cause = { "FieldValueNotSupported", msg, "propagationPolicy" };
	int rc = 0;

	*p = PROP_DEFAULT;
	if (pp == NULL || pp[0] == '\0')
		pp = ksim_json_str(opts, "propagationPolicy");
	if (pp == NULL)
		*p = cJSON_IsTrue(ksim_json_at(opts, "orphanDependents")) ? PROP_ORPHAN : PROP_DEFAULT;
	else if (strcmp(pp, "Foreground") == 0)
		*p = PROP_FOREGROUND;
	else if (strcmp(pp, "Background") == 0)
		*p = PROP_BACKGROUND;
	else if (strcmp(pp, "Orphan") == 0)
		*p = PROP_ORPHAN;
	else
		rc = -1;
	if (rc < 0) {
		char full[700];

		snprintf(msg, sizeof(msg), "Unsupported value: \"%.200s\": supported values: \"Foreground\", "
		    "\"Background\", \"Orphan\", \"nil\"", pp);
		snprintf(full, sizeof(full), "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: %s", msg);
		ksim_reply_status(c->req, &(struct ksim_status){ .code = 422, .reason = "Invalid",
		    .message = full, .group = "meta.k8s.io", .kind = "DeleteOptions", .causes = &cause,
		    .ncauses = 1 });
	}
	cJSON_Delete(opts);
	return rc;
}

static int
is_gc_finalizer(const cJSON *f)
{
	return cJSON_IsString(f) && (strcmp(f->valuestring, KSIM_FIN_ORPHAN) == 0 ||
	    strcmp(f->valuestring, KSIM_FIN_FOREGROUND) == 0);
}

/*
 * The garbage collector's finalizers as the apiserver sets them on delete:
 * an explicit policy replaces orphan/foregroundDeletion (appended last),
 * no policy keeps what the object has.
 */
static int
set_gc_finalizers(cJSON *meta, enum propagation p)
{
	cJSON *fins = cJSON_GetObjectItemCaseSensitive(meta, "finalizers"), *keep;
	const cJSON *f;

	if (p == PROP_DEFAULT)
		return 0;
	if ((keep = cJSON_CreateArray()) == NULL)
		return -1;
	cJSON_ArrayForEach(f, fins)
		if (!is_gc_finalizer(f))
			cJSON_AddItemToArray(keep, cJSON_Duplicate(f, 1));
	if (p == PROP_ORPHAN)
		cJSON_AddItemToArray(keep, cJSON_CreateString(KSIM_FIN_ORPHAN));
	else if (p == PROP_FOREGROUND)
		cJSON_AddItemToArray(keep, cJSON_CreateString(KSIM_FIN_FOREGROUND));
	if (cJSON_GetArraySize(keep) == 0 && fins == NULL) {
		cJSON_Delete(keep);
		return 0;
	}
	return ksim_json_set(meta, "finalizers", keep);
}

/*
 * What deleting CUR with policy P makes of it: a new tree marked for
 * deletion (deletionTimestamp, generation bump, the collector's finalizer),
 * or NULL with *GONE set when no finalizer holds it (NULL and *GONE 0: out
 * of memory).
 */
static cJSON *
deleted_state(const struct ksim_res *res, const cJSON *cur, enum propagation p, int *gone)
{
	cJSON *obj = cJSON_Duplicate(cur, 1), *meta;
	char now[32];

	*gone = 0;
	if (obj == NULL || (meta = ksim_json_obj(obj, "metadata")) == NULL || set_gc_finalizers(meta, p) < 0) {
		cJSON_Delete(obj);
		return NULL;
	}
	if (finalizers_empty(obj) && res->type != KSIM_RES_NAMESPACE) {
		cJSON_Delete(obj);
		*gone = 1;
		return NULL;
	}
	if (ksim_json_str(cur, "metadata.deletionTimestamp") != NULL)
		return obj;		/* already being deleted: only finalizers may change */
	ksim_now(now, sizeof(now));
	ksim_json_set_str(meta, "deletionTimestamp", now);
	ksim_json_set_int(meta, "deletionGracePeriodSeconds", 0);
	if (res->group[0] != '\0')
		ksim_json_set_int(meta, "generation", ksim_json_int(cur, "metadata.generation", 1) + 1);
	if (res->type == KSIM_RES_NAMESPACE) {
		cJSON_DeleteItemFromObjectCaseSensitive(meta, "deletionGracePeriodSeconds");
		ksim_json_set_str(ksim_json_obj(obj, "status"), "phase", "Terminating");
	}
	return obj;
}

/*
 * Delete O (CUR is its parsed head) with policy P: mark it when finalizers
 * hold it, else remove it now.  *GONE says which.  Returns the marked
 * version or, when removed, the tombstone; NULL when out of memory.
 */
static struct ksim_ver *
delete_now(struct ksim_sim *sim, struct ksim_obj *o, const cJSON *cur, enum propagation p, int *gone)
{
	cJSON *obj = deleted_state(o->res, cur, p, gone);
	const cJSON *f;
	struct ksim_ver *v;

	if (*gone)
		return ksim_store_delete(sim->store, o);
	if (obj == NULL)
		return NULL;
	if (cJSON_Compare(obj, cur, 1)) {
		cJSON_Delete(obj);
		return o->head;		/* already being deleted, nothing new */
	}
	v = ksim_store_write(sim->store, o->res, o->ns, o->name, obj);
	cJSON_ArrayForEach(f, ksim_json_at(obj, "metadata.finalizers"))
		if (v != NULL && is_gc_finalizer(f) && ksim_json_str(obj, "metadata.uid") != NULL)
			ksim_gc_schedule(sim->gc, o->res, o->ns, o->name, ksim_json_str(obj, "metadata.uid"));
	cJSON_Delete(obj);
	return v;
}

int
ksim_api_delete_object(struct ksim_sim *sim, const struct ksim_res *res, const char *ns,
    const char *name)
{
	struct ksim_obj *o = ksim_store_get(sim->store, res, ns, name);
	cJSON *cur;
	int gone;
	struct ksim_ver *v;

	if (o == NULL || (cur = ksim_ver_parse(o->head)) == NULL)
		return -1;
	v = delete_now(sim, o, cur, PROP_DEFAULT, &gone);
	cJSON_Delete(cur);
	return v != NULL ? 0 : -1;
}

/* The answer to a DELETE dry run: what a real one would answer, nothing written. */
static void
delete_dry_run(struct ksim_call *c, const cJSON *cur, enum propagation p, const char *uid)
{
	int gone;
	cJSON *obj = deleted_state(c->res, cur, p, &gone);

	if (gone)
		ksim_reply_status(c->req, &(struct ksim_status){ .success = 1, .code = 200,
		    .name = c->name, .group = c->res->group, .kind = c->res->plural, .uid = uid });
	else if (obj == NULL)
		ksim_reply_error(c->req, 500, "InternalError", "out of memory");
	else
		ksim_reply_cjson(c->req, 200, obj, NULL);
	cJSON_Delete(obj);
}

void
ksim_api_delete(struct ksim_call *c)
{
	struct ksim_obj *o = ksim_store_get(c->sim->store, c->res, c->ns, c->name);
	struct ksim_adm_err e;
	struct ksim_ver *v;
	enum propagation p;
	cJSON *cur;
	char uid[64];
	int gone;

	if (o == NULL) {
		ksim_reply_not_found(c->req, c->res, c->name);
		return;
	}
	if (delete_policy(c, &p) < 0 || check_preconditions(c, o->head) < 0)
		return;
	if ((cur = ksim_ver_parse(o->head)) == NULL) {
		ksim_reply_error(c->req, 500, "InternalError", "out of memory");
		return;
	}
	memset(&e, 0, sizeof(e));
	if (c->res->type == KSIM_RES_DB && ksim_admit_db_delete(c->res, cur, &e) < 0) {
		reply_admission(c, c->name, &e);
		cJSON_Delete(cur);
		return;
	}
	snprintf(uid, sizeof(uid), "%s", ksim_json_str(cur, "metadata.uid") != NULL ?
	    ksim_json_str(cur, "metadata.uid") : "");
	if (dry_run(c)) {
		delete_dry_run(c, cur, p, uid);
		cJSON_Delete(cur);
		return;
	}
	v = delete_now(c->sim, o, cur, p, &gone);
	cJSON_Delete(cur);
	if (v == NULL)
		ksim_reply_error(c->req, 500, "InternalError", "out of memory");
	else if (gone)
		ksim_reply_status(c->req, &(struct ksim_status){ .success = 1, .code = 200,
		    .name = c->name, .group = c->res->group, .kind = c->res->plural, .uid = uid });
	else
		reply_version(c, 200, v);
}

/* Delete O for a collection delete; its last state goes into OUT. 0, or -1 after replying. */
static int
delete_member(struct ksim_call *c, struct ksim_obj *o, enum propagation p, struct evbuffer *out, int *n)
{
	cJSON *cur = ksim_ver_parse(o->head);
	struct ksim_adm_err e;
	struct ksim_ver *v;
	int gone;

	if (cur == NULL) {
		ksim_reply_error(c->req, 500, "InternalError", "out of memory");
		return -1;
	}
	memset(&e, 0, sizeof(e));
	if (c->res->type == KSIM_RES_DB && ksim_admit_db_delete(c->res, cur, &e) < 0) {
		cJSON_Delete(cur);
		reply_admission(c, o->name, &e);
		return -1;
	}
	v = delete_now(c->sim, o, cur, p, &gone);
	cJSON_Delete(cur);
	if (v != NULL) {
		if ((*n)++ > 0)
			evbuffer_add(out, ",", 1);
		evbuffer_add(out, v->json, v->len);
	}
	return 0;
}

/* DELETE on a collection: every match goes (or is marked), and the answer lists them. */
void
ksim_api_deletecollection(struct ksim_call *c)
{
	struct ksim_filter f;
	char key[300];
	struct ksim_obj *o, *next;
	struct evbuffer *out;
	enum propagation p;
	size_t klen;
	int n = 0;

	/* The same label and field selectors as LIST and WATCH. */
	if (delete_policy(c, &p) < 0 || ksim_filter_parse(c, &f) < 0)
		return;
	if ((out = evbuffer_new()) == NULL) {
		ksim_filter_free(&f);
		ksim_reply_error(c->req, 500, "InternalError", "out of memory");
		return;
	}
	evbuffer_add_printf(out, "{\"apiVersion\":\"%s\",\"items\":[", c->res->api_version);
	klen = (size_t)snprintf(key, sizeof(key), "%s%s", c->ns, c->ns[0] != '\0' ? "/" : "");
	for (o = ksim_store_seek(c->sim->store, c->res, key, klen); o != NULL; o = next) {
		next = ksim_store_next(o);
		if (strncmp(o->key, key, klen) != 0)
			break;
		if (o->head->deleted || !ksim_filter_match(&f, o->head))
			continue;
		if (delete_member(c, o, p, out, &n) < 0)
			goto out;
	}
	evbuffer_add_printf(out, "],\"kind\":\"%s\",\"metadata\":{\"continue\":\"\",\"resourceVersion\":"
	    "\"%llu\"}}", c->res->list_kind, (unsigned long long)ksim_store_rv(c->sim->store));
	ksim_req_reply_buf(c->req, 200, "application/json", out, NULL);
out:
	evbuffer_free(out);
	ksim_filter_free(&f);
}

int
ksim_api_create_namespace(struct ksim_sim *sim, const char *name)
{
	struct ksim_call c = { .sim = sim, .res = &ksim_res_table[0] };
	cJSON *obj;
	int rc = -1;

	if (ksim_store_get(sim->store, c.res, "", name) != NULL)
		return 0;
	if (!ksim_dns_label(name))
		return -1;
	obj = cJSON_CreateObject();
	if (obj != NULL && ksim_json_set_str(obj, "kind", "Namespace") == 0 &&
	    ksim_json_set_str(obj, "apiVersion", "v1") == 0 && init_new_object(&c, obj, name) == 0 &&
	    ksim_store_write(sim->store, c.res, "", name, obj) != NULL)
		rc = 0;
	cJSON_Delete(obj);
	return rc;
}
