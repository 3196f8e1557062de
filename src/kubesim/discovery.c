/*
 * discovery — /version, /api, /apis and the per-group documents, the
 * aggregated discovery of kubectl 1.26+ (apidiscovery.k8s.io v2 and
 * v2beta1, chosen from the Accept header), /openapi/v2 and /openapi/v3,
 * and the health endpoints.
 *
 * kubectl decides from these whether a kind exists, which verbs it has,
 * whether it may ask for server-side field validation (an OpenAPI v3 PATCH
 * operation with the fieldValidation parameter) and how to patch it (no
 * strategic-merge content type: JSON merge patch).  Everything is generated
 * from the resource table.
 */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "kubesim/http.h"
#include "kubesim/jsonx.h"
#include "kubesim/reply.h"
#include "kubesim/sim.h"

static const char *const all_verbs[] = { "delete", "deletecollection", "get", "list", "patch",
	"create", "update", "watch", NULL };
static const char *const ns_verbs[] = { "create", "delete", "get", "list", "patch", "update",
	"watch", NULL };
static const char *const status_verbs[] = { "get", "patch", "update", NULL };

static cJSON *
strings(const char *const *v)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a != NULL && v[i] != NULL; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

static const char *const *
verbs_of(const struct ksim_res *r)
{
	return r->type == KSIM_RES_NAMESPACE ? ns_verbs : all_verbs;
}

static void
reply_doc(struct ksim_req *req, cJSON *doc, const char *ctype)
{
	char *s = cJSON_PrintUnformatted(doc);

	if (s == NULL) {
		ksim_reply_error(req, 500, "InternalError", "out of memory");
	} else if (ctype != NULL) {
		ksim_req_reply(req, 200, ctype, s, strlen(s), "Vary: Accept\r\n");
	} else {
		ksim_reply_json(req, 200, s, strlen(s), NULL);
	}
	cJSON_free(s);
	cJSON_Delete(doc);
}

static void
version_doc(struct ksim_req *req)
{
	static const char v[] = "{\"major\":\"1\",\"minor\":\"30\",\"gitVersion\":\"v1.30.5\","
	    "\"gitCommit\":\"74e84a90c725047b1328ff3d589fedb1cb7a120e\",\"gitTreeState\":\"clean\","
	    "\"buildDate\":\"2024-09-12T00:11:55Z\",\"goVersion\":\"go1.22.6\",\"compiler\":\"gc\","
	    "\"platform\":\"linux/amd64\"}";

	ksim_reply_json(req, 200, v, sizeof(v) - 1, NULL);
}

/* APIResourceList for GROUP/VERSION. */
static cJSON *
resource_list(const char *group, const char *version)
{
	cJSON *doc = cJSON_CreateObject(), *arr;
	char gv[128];

	snprintf(gv, sizeof(gv), "%s%s%s", group, group[0] != '\0' ? "/" : "", version);
	cJSON_AddStringToObject(doc, "kind", "APIResourceList");
	cJSON_AddStringToObject(doc, "apiVersion", "v1");
	cJSON_AddStringToObject(doc, "groupVersion", gv);
	arr = cJSON_AddArrayToObject(doc, "resources");
	for (int i = 0; i < KSIM_NRES; i++) {
		const struct ksim_res *r = &ksim_res_table[i];
		cJSON *e;
		char sub[80];

		if (strcmp(r->group, group) != 0 || strcmp(r->version, version) != 0)
			continue;
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "name", r->plural);
		cJSON_AddStringToObject(e, "singularName", r->singular);
		cJSON_AddBoolToObject(e, "namespaced", r->namespaced);
		cJSON_AddStringToObject(e, "kind", r->kind);
		cJSON_AddItemToObject(e, "verbs", strings(verbs_of(r)));
		if (r->short_name != NULL)
			cJSON_AddItemToObject(e, "shortNames", strings((const char *[]){ r->short_name, NULL }));
		if (r->categories[0] != NULL)
			cJSON_AddItemToObject(e, "categories", strings(r->categories));
		cJSON_AddItemToArray(arr, e);
		if (!r->has_status)
			continue;
		e = cJSON_CreateObject();
		snprintf(sub, sizeof(sub), "%s/status", r->plural);
		cJSON_AddStringToObject(e, "name", sub);
		cJSON_AddStringToObject(e, "singularName", "");
		cJSON_AddBoolToObject(e, "namespaced", r->namespaced);
		cJSON_AddStringToObject(e, "kind", r->kind);
		cJSON_AddItemToObject(e, "verbs", strings(status_verbs));
		cJSON_AddItemToArray(arr, e);
	}
	return doc;
}

static cJSON *
group_json(const char *group, const char *version, int with_kind)
{
	cJSON *g = cJSON_CreateObject(), *vs, *v, *pref;
	char gv[128];

	snprintf(gv, sizeof(gv), "%s/%s", group, version);
	if (with_kind) {
		cJSON_AddStringToObject(g, "kind", "APIGroup");
		cJSON_AddStringToObject(g, "apiVersion", "v1");
	}
	cJSON_AddStringToObject(g, "name", group);
	vs = cJSON_AddArrayToObject(g, "versions");
	v = cJSON_CreateObject();
	cJSON_AddStringToObject(v, "groupVersion", gv);
	cJSON_AddStringToObject(v, "version", version);
	cJSON_AddItemToArray(vs, v);
	pref = cJSON_AddObjectToObject(g, "preferredVersion");
	cJSON_AddStringToObject(pref, "groupVersion", gv);
	cJSON_AddStringToObject(pref, "version", version);
	return g;
}

static const char *const groups[][2] = { { "kubedb.com", "v1" }, { "ops.kubedb.com", "v1alpha1" } };

static cJSON *
group_list(void)
{
	cJSON *doc = cJSON_CreateObject(), *arr;

	cJSON_AddStringToObject(doc, "kind", "APIGroupList");
	cJSON_AddStringToObject(doc, "apiVersion", "v1");
	arr = cJSON_AddArrayToObject(doc, "groups");
	for (size_t i = 0; i < 2; i++)
		cJSON_AddItemToArray(arr, group_json(groups[i][0], groups[i][1], 0));
	return doc;
}

static cJSON *
response_kind(const struct ksim_res *r)
{
	cJSON *k = cJSON_CreateObject();

	cJSON_AddStringToObject(k, "group", r->group);
	cJSON_AddStringToObject(k, "version", r->version);
	cJSON_AddStringToObject(k, "kind", r->kind);
	return k;
}

static cJSON *
aggregated_resource(const struct ksim_res *r)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "resource", r->plural);
	cJSON_AddItemToObject(e, "responseKind", response_kind(r));
	cJSON_AddStringToObject(e, "scope", r->namespaced ? "Namespaced" : "Cluster");
	cJSON_AddStringToObject(e, "singularResource", r->singular);
	cJSON_AddItemToObject(e, "verbs", strings(verbs_of(r)));
	if (r->short_name != NULL)
		cJSON_AddItemToObject(e, "shortNames", strings((const char *[]){ r->short_name, NULL }));
	if (r->categories[0] != NULL)
		cJSON_AddItemToObject(e, "categories", strings(r->categories));
	if (r->has_status) {
		cJSON *subs = cJSON_AddArrayToObject(e, "subresources"), *s = cJSON_CreateObject();

		cJSON_AddStringToObject(s, "subresource", "status");
		cJSON_AddItemToObject(s, "responseKind", response_kind(r));
		cJSON_AddItemToObject(s, "verbs", strings(status_verbs));
		cJSON_AddItemToArray(subs, s);
	}
	return e;
}

/* APIGroupDiscoveryList for the core group (CORE) or the named groups. */
static cJSON *
aggregated(const char *apiversion, int core)
{
	cJSON *doc = cJSON_CreateObject(), *items;

	cJSON_AddStringToObject(doc, "kind", "APIGroupDiscoveryList");
	cJSON_AddStringToObject(doc, "apiVersion", apiversion);
	cJSON_AddObjectToObject(doc, "metadata");
	items = cJSON_AddArrayToObject(doc, "items");
	for (size_t g = 0; g < (core ? 1 : 2); g++) {
		const char *group = core ? "" : groups[g][0], *version = core ? "v1" : groups[g][1];
		cJSON *item = cJSON_CreateObject(), *meta, *vs, *v, *res;

		meta = cJSON_AddObjectToObject(item, "metadata");
		if (!core)
			cJSON_AddStringToObject(meta, "name", group);
		cJSON_AddNullToObject(meta, "creationTimestamp");
		vs = cJSON_AddArrayToObject(item, "versions");
		v = cJSON_CreateObject();
		cJSON_AddStringToObject(v, "version", version);
		res = cJSON_AddArrayToObject(v, "resources");
		for (int i = 0; i < KSIM_NRES; i++)
			if (strcmp(ksim_res_table[i].group, group) == 0)
				cJSON_AddItemToArray(res, aggregated_resource(&ksim_res_table[i]));
		cJSON_AddStringToObject(v, "freshness", "Current");
		cJSON_AddItemToArray(vs, v);
		cJSON_AddItemToArray(items, item);
	}
	return doc;
}

/* The aggregated discovery version the client accepts first, or NULL. */
static const char *
aggregated_wanted(struct ksim_req *req)
{
	const char *a = ksim_req_header(req, "Accept");

	for (const char *p = a; p != NULL && *p != '\0';) {
		const char *end = strchr(p, ',');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);

		if (memmem(p, n, "as=APIGroupDiscoveryList", 24) != NULL &&
		    memmem(p, n, "g=apidiscovery.k8s.io", 21) != NULL) {
			if (memmem(p, n, "v=v2beta1", 9) != NULL)
				return "v2beta1";
			if (memmem(p, n, "v=v2;", 5) != NULL || (n >= 4 && memcmp(p + n - 4, "v=v2", 4) == 0))
				return "v2";
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return NULL;
}

static void
api_root(struct ksim_sim *sim, struct ksim_req *req, int core)
{
	const char *agg = aggregated_wanted(req);
	char ctype[128], av[64];

	if (agg != NULL) {
		snprintf(ctype, sizeof(ctype), "application/json;g=apidiscovery.k8s.io;v=%s;"
		    "as=APIGroupDiscoveryList", agg);
		snprintf(av, sizeof(av), "apidiscovery.k8s.io/%s", agg);
		reply_doc(req, aggregated(av, core), ctype);
		return;
	}
	if (core) {
		cJSON *doc = cJSON_CreateObject(), *addrs = cJSON_CreateObject(), *arr;

		cJSON_AddStringToObject(doc, "kind", "APIVersions");
		cJSON_AddItemToObject(doc, "versions", strings((const char *[]){ "v1", NULL }));
		arr = cJSON_AddArrayToObject(doc, "serverAddressByClientCIDRs");
		cJSON_AddStringToObject(addrs, "clientCIDR", "0.0.0.0/0");
		cJSON_AddStringToObject(addrs, "serverAddress", sim->host_port);
		cJSON_AddItemToArray(arr, addrs);
		reply_doc(req, doc, NULL);
		return;
	}
	reply_doc(req, group_list(), NULL);
}

/* The PATCH operation kubectl inspects: fieldValidation, no strategic merge. */
static cJSON *
patch_operation(const struct ksim_res *r)
{
	static const char *const types[] = { "application/json-patch+json",
		"application/merge-patch+json", "application/apply-patch+yaml", NULL };
	cJSON *op = cJSON_CreateObject(), *p = cJSON_CreateObject(), *content, *gvk;

	cJSON_AddStringToObject(op, "operationId", r->plural);
	cJSON_AddStringToObject(p, "name", "fieldValidation");
	cJSON_AddStringToObject(p, "in", "query");
	cJSON_AddItemToObject(p, "schema", cJSON_Parse("{\"type\":\"string\",\"uniqueItems\":true}"));
	cJSON_AddItemToArray(cJSON_AddArrayToObject(op, "parameters"), p);
	content = cJSON_AddObjectToObject(cJSON_AddObjectToObject(op, "requestBody"), "content");
	for (size_t k = 0; types[k] != NULL; k++)
		cJSON_AddStringToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(content, types[k]),
		    "schema"), "type", "object");
	cJSON_AddStringToObject(op, "x-kubernetes-action", "patch");
	gvk = cJSON_AddObjectToObject(op, "x-kubernetes-group-version-kind");
	cJSON_AddStringToObject(gvk, "group", r->group);
	cJSON_AddStringToObject(gvk, "version", r->version);
	cJSON_AddStringToObject(gvk, "kind", r->kind);
	return op;
}

/* An open schema (like a CRD's x-kubernetes-preserve-unknown-fields) for R. */
static cJSON *
open_schema(const struct ksim_res *r)
{
	cJSON *s = cJSON_CreateObject(), *props, *gvk;

	cJSON_AddStringToObject(s, "type", "object");
	props = cJSON_AddObjectToObject(s, "properties");
	cJSON_AddItemToObject(props, "apiVersion", cJSON_Parse("{\"type\":\"string\"}"));
	cJSON_AddItemToObject(props, "kind", cJSON_Parse("{\"type\":\"string\"}"));
	cJSON_AddItemToObject(props, "metadata", cJSON_Parse("{\"type\":\"object\"}"));
	cJSON_AddBoolToObject(s, "x-kubernetes-preserve-unknown-fields", 1);
	gvk = cJSON_CreateObject();
	cJSON_AddStringToObject(gvk, "group", r->group);
	cJSON_AddStringToObject(gvk, "kind", r->kind);
	cJSON_AddStringToObject(gvk, "version", r->version);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(s, "x-kubernetes-group-version-kind"), gvk);
	return s;
}

/* The OpenAPI v3 document of one group/version. */
static cJSON *
openapi_v3_gv(const char *group, const char *version)
{
	cJSON *doc = cJSON_CreateObject(), *info, *paths, *schemas;

	cJSON_AddStringToObject(doc, "openapi", "3.0.0");
	info = cJSON_AddObjectToObject(doc, "info");
	cJSON_AddStringToObject(info, "title", "Kubernetes");
	cJSON_AddStringToObject(info, "version", "v1.30.5");
	paths = cJSON_AddObjectToObject(doc, "paths");
	schemas = cJSON_AddObjectToObject(cJSON_AddObjectToObject(doc, "components"), "schemas");
	for (int i = 0; i < KSIM_NRES; i++) {
		const struct ksim_res *r = &ksim_res_table[i];
		char path[256], sname[160];

		if (strcmp(r->group, group) != 0 || strcmp(r->version, version) != 0)
			continue;
		snprintf(sname, sizeof(sname), "%s.%s.%s", r->group[0] != '\0' ? r->group : "io.k8s.api.core",
		    r->version, r->kind);
		snprintf(path, sizeof(path), "/%s%s/%s%s%s/%s/{name}", r->group[0] != '\0' ? "apis/" : "api",
		    r->group, r->version, r->namespaced ? "/namespaces/" : "",
		    r->namespaced ? "{namespace}" : "", r->plural);
		cJSON_AddItemToObject(cJSON_AddObjectToObject(paths, path), "patch", patch_operation(r));
		cJSON_AddItemToObject(schemas, sname, open_schema(r));
	}
	return doc;
}

/*
 * OpenAPI v2 without definitions: kubectl 1.27 asks for it only as
 * protobuf (gnostic openapi_v2.Document), so that is what is served: the
 * fields swagger = "2.0" and info = {title, version}, hand-encoded.  With
 * no schema for the KubeDB kinds, kubectl's client-side validation lets
 * them through, as it does for CRDs with open schemas.
 */
static void
openapi_v2(struct ksim_req *req)
{
	static const char json[] = "{\"swagger\":\"2.0\",\"info\":{\"title\":\"Kubernetes\","
	    "\"version\":\"v1.30.5\"},\"paths\":{},\"definitions\":{}}";
	static const char pb[] = "\x0a\x03" "2.0" "\x12\x15" "\x0a\x0a" "Kubernetes" "\x12\x07" "v1.30.5";
	const char *accept = ksim_req_header(req, "Accept");

	if (accept != NULL && strstr(accept, "protobuf") != NULL) {
		ksim_req_reply(req, 200, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
		    pb, sizeof(pb) - 1, NULL);
		return;
	}
	ksim_reply_json(req, 200, json, sizeof(json) - 1, NULL);
}

static int
openapi(struct ksim_req *req, const char *path)
{
	if (strcmp(path, "/openapi/v3") == 0) {
		cJSON *doc = cJSON_CreateObject(), *paths = cJSON_AddObjectToObject(doc, "paths");
		static const char *const gvs[][2] = { { "api/v1", "/openapi/v3/api/v1?hash=1" },
			{ "apis/kubedb.com/v1", "/openapi/v3/apis/kubedb.com/v1?hash=1" },
			{ "apis/ops.kubedb.com/v1alpha1", "/openapi/v3/apis/ops.kubedb.com/v1alpha1?hash=1" } };

		for (size_t i = 0; i < 3; i++)
			cJSON_AddStringToObject(cJSON_AddObjectToObject(paths, gvs[i][0]), "serverRelativeURL",
			    gvs[i][1]);
		reply_doc(req, doc, NULL);
		return 1;
	}
	if (strcmp(path, "/openapi/v3/api/v1") == 0) {
		reply_doc(req, openapi_v3_gv("", "v1"), NULL);
		return 1;
	}
	if (strcmp(path, "/openapi/v3/apis/kubedb.com/v1") == 0) {
		reply_doc(req, openapi_v3_gv("kubedb.com", "v1"), NULL);
		return 1;
	}
	if (strcmp(path, "/openapi/v3/apis/ops.kubedb.com/v1alpha1") == 0) {
		reply_doc(req, openapi_v3_gv("ops.kubedb.com", "v1alpha1"), NULL);
		return 1;
	}
	if (strcmp(path, "/openapi/v2") == 0) {
		openapi_v2(req);
		return 1;
	}
	return 0;
}

int
ksim_discovery(struct ksim_sim *sim, struct ksim_req *req, const char *path)
{
	if (strcmp(path, "/healthz") == 0 || strcmp(path, "/livez") == 0 || strcmp(path, "/readyz") == 0) {
		ksim_req_reply(req, 200, "text/plain; charset=utf-8", "ok", 2, NULL);
		return 1;
	}
	if (strcmp(path, "/version") == 0 || strcmp(path, "/version/") == 0) {
		version_doc(req);
		return 1;
	}
	if (strcmp(path, "/api") == 0 || strcmp(path, "/api/") == 0) {
		api_root(sim, req, 1);
		return 1;
	}
	if (strcmp(path, "/apis") == 0 || strcmp(path, "/apis/") == 0) {
		api_root(sim, req, 0);
		return 1;
	}
	if (strcmp(path, "/api/v1") == 0) {
		reply_doc(req, resource_list("", "v1"), NULL);
		return 1;
	}
	for (size_t i = 0; i < 2; i++) {
		char p1[128], p2[128];

		snprintf(p1, sizeof(p1), "/apis/%s", groups[i][0]);
		snprintf(p2, sizeof(p2), "/apis/%s/%s", groups[i][0], groups[i][1]);
		if (strcmp(path, p1) == 0) {
			reply_doc(req, group_json(groups[i][0], groups[i][1], 1), NULL);
			return 1;
		}
		if (strcmp(path, p2) == 0) {
			reply_doc(req, resource_list(groups[i][0], groups[i][1]), NULL);
			return 1;
		}
	}
	if (strncmp(path, "/openapi/", 9) != 0)
		return 0;
	if (!openapi(req, path))
		ksim_reply_page_not_found(req);
	return 1;
}
