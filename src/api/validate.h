/*
 * validate — request bodies checked against api.md, without any I/O.
 *
 * Kept pure (a cJSON tree and the configuration in, a typed spec or a list
 * of field errors out) so the unit tests and the libFuzzer target drive
 * exactly the code the server runs.  Shape problems (unknown field, wrong
 * JSON type, missing required field) give 400; values that are well-formed
 * but not acceptable (catalogs, ranges, patterns, business rules) give 422.
 * Every error names its field.  Checks that need MongoDB (provider exists,
 * name unique) are the handlers' business.
 */
#ifndef DBAAS_API_VALIDATE_H
#define DBAAS_API_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/config.h"

/* Collected field errors; STATUS is 400 if any shape error was seen, else 422. */
struct api_verr {
	cJSON *errors;		/* [{field, message}], owned; NULL until the first error */
	int status;
	char detail[320];	/* the first error as "field: message" */
};

void api_verr_add(struct api_verr *e, int status, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void api_verr_clear(struct api_verr *e);

#define API_NAME_MAX 40		/* derived Kubernetes names must still fit in 63 */
#define API_NS_MAX 63
#define API_STORAGE_MAX 65536

/* The JSON type a body field must have (api_val_shape). */
enum api_ftype { API_FT_STR, API_FT_INT, API_FT_BOOL, API_FT_NUM };

/*
 * Shape of BODY: an object whose keys are all in KEYS (NULL-terminated),
 * each at most once and of the matching TYPES entry (null = absent).
 * Returns the number of errors added to E (400s).
 */
int api_val_shape(const cJSON *body, const char *const *keys, const enum api_ftype *types,
    struct api_verr *e);
/* 1 if S is one of LIST (NULL-terminated). */
int api_in_list(const char *s, const char *const *list);
/* BODY's member KEY, or NULL when absent or null. */
const cJSON *api_val_field(const cJSON *body, const char *key);

/* 1 if S is a DNS-1123 label of at most MAX characters. */
int api_dns_label(const char *s, size_t max);

enum {
	DBF_NAME = 1 << 0, DBF_ENGINE = 1 << 1, DBF_VERSION = 1 << 2, DBF_SIZE = 1 << 3,
	DBF_REPLICAS = 1 << 4, DBF_STORAGE = 1 << 5, DBF_PROVIDER = 1 << 6,
	DBF_NAMESPACE = 1 << 7, DBF_POLICY = 1 << 8, DBF_TENANT = 1 << 9,
};

/* A database request; strings point into the cJSON tree it came from. */
struct api_db_spec {
	unsigned set;			/* DBF_* present */
	const char *name, *version, *size, *provider_id, *namespace, *deletion_policy, *tenant;
	enum cfg_engine_id engine;
	int64_t replicas, storage_gb;
};

/* The desired state a PATCH is checked against. */
struct api_db_current {
	enum cfg_engine_id engine;
	int64_t replicas, storage_gb;
};

/* POST /databases.  ADMIN keys must name the tenant, tenant keys must not. */
int api_val_db_create(const cJSON *body, const struct cfg *cfg, int admin,
    struct api_db_spec *out, struct api_verr *e);
/* PATCH /databases/{id}: any of size, replicas, storage_gb, version. */
int api_val_db_patch(const cJSON *body, const struct cfg *cfg, const struct api_db_current *cur,
    struct api_db_spec *out, struct api_verr *e);
/* An action body (pause, resume, retry): empty object only. */
int api_val_empty(const cJSON *body, struct api_verr *e);

/* Connection to a Kubernetes API server (all strings owned). */
struct api_kubeconn {
	char *server, *ca_data, *token, *client_cert, *client_key;
	int insecure;			/* insecure_skip_tls_verify */
};
void api_kubeconn_free(struct api_kubeconn *k);

enum {
	PRF_NAME = 1 << 0, PRF_CONN = 1 << 1, PRF_NAMESPACE = 1 << 2, PRF_QPS = 1 << 3,
	PRF_BURST = 1 << 4, PRF_ENABLED = 1 << 5,
};

struct api_provider_spec {
	unsigned set;			/* PRF_* present */
	const char *name, *default_namespace;	/* into the cJSON tree */
	struct api_kubeconn conn;	/* PRF_CONN: from the kubeconfig or explicit fields */
	double qps;
	int64_t burst;
	int enabled;
};

/* POST (PATCH if PATCH) /providers; free OUT with api_provider_spec_free. */
int api_val_provider(const cJSON *body, int patch, struct api_provider_spec *out,
    struct api_verr *e);
void api_provider_spec_free(struct api_provider_spec *p);

/* POST /api-keys: {"role", "tenant"?, "name"?}. */
struct api_key_spec {
	const char *role, *tenant, *name;
};
int api_val_key(const cJSON *body, struct api_key_spec *out, struct api_verr *e);

/*
 * etag.c: the If-Match header H against a database of GENERATION (ETag
 * "\"<generation>\""), by RFC 9110: 0 = absent, "*" or a strong match,
 * 1 = no listed tag matches (weak tags never do), -1 = malformed.
 */
int api_if_match(const char *h, long long generation);

/*
 * kubeconfig.c: pick CONTEXT (NULL: current-context) from the kubeconfig
 * YAML TEXT and fill OUT.  Only embedded credentials are accepted (the
 * *-data fields and token): file references and exec plugins are refused.
 * Returns 0, or -1 with ERR (never quoting credential material).
 */
int api_kubeconfig_parse(const char *text, size_t len, const char *context,
    struct api_kubeconn *out, char *err, size_t errlen);
/* 1 if S is standard base64 (padding optional, whitespace not allowed). */
int api_base64_valid(const char *s);

#endif
