/* res — see res.h.  The KubeDB names come from kubedb-api.md. */
#include <stdio.h>
#include <string.h>

#include "kubesim/res.h"

static const char *const db_categories[] = { "datastore", "kubedb", "appscode", "all", NULL };
static const char *const ops_categories[] = { "ops", "kubedb", "appscode", NULL };
static const char *const no_categories[] = { NULL };
static const char *const cr_fields[] = { "metadata.name", "metadata.namespace", NULL };
static const char *const ns_fields[] = { "metadata.name", "status.phase", NULL };
static const char *const secret_fields[] = { "metadata.name", "metadata.namespace", "type", NULL };

static const struct ksim_engine eng_mongo = { "mongodb", "replicas", 1 };
static const struct ksim_engine eng_pg = { "postgres", "replicas", 0 };
static const struct ksim_engine eng_my = { "mysql", "member", 0 };
static const struct ksim_engine eng_maria = { "mariadb", "member", 0 };
static const struct ksim_engine eng_redis = { "redis", "replicas", 0 };

#define DB(id, plural, singular, kind, short, eng, peer) \
	{ id, KSIM_RES_DB, "kubedb.com", "v1", "kubedb.com/v1", plural, singular, kind, \
	  kind "List", short, db_categories, 1, 1, cr_fields, &eng, peer }
#define OPS(id, plural, singular, kind, short, eng, peer) \
	{ id, KSIM_RES_OPS, "ops.kubedb.com", "v1alpha1", "ops.kubedb.com/v1alpha1", plural, \
	  singular, kind, kind "List", short, ops_categories, 1, 1, cr_fields, &eng, peer }

const struct ksim_res ksim_res_table[KSIM_NRES] = {
	{ 0, KSIM_RES_NAMESPACE, "", "v1", "v1", "namespaces", "namespace", "Namespace",
	  "NamespaceList", "ns", no_categories, 0, 1, ns_fields, NULL, -1 },
	{ 1, KSIM_RES_SECRET, "", "v1", "v1", "secrets", "secret", "Secret", "SecretList",
	  NULL, no_categories, 1, 0, secret_fields, NULL, -1 },
	DB(2, "mongodbs", "mongodb", "MongoDB", "mg", eng_mongo, 7),
	DB(3, "postgreses", "postgres", "Postgres", "pg", eng_pg, 8),
	DB(4, "mysqls", "mysql", "MySQL", "my", eng_my, 9),
	DB(5, "mariadbs", "mariadb", "MariaDB", "md", eng_maria, 10),
	DB(6, "redises", "redis", "Redis", "rd", eng_redis, 11),
	OPS(7, "mongodbopsrequests", "mongodbopsrequest", "MongoDBOpsRequest", "mgops", eng_mongo, 2),
	OPS(8, "postgresopsrequests", "postgresopsrequest", "PostgresOpsRequest", "pgops", eng_pg, 3),
	OPS(9, "mysqlopsrequests", "mysqlopsrequest", "MySQLOpsRequest", "myops", eng_my, 4),
	OPS(10, "mariadbopsrequests", "mariadbopsrequest", "MariaDBOpsRequest", "mariaops", eng_maria, 5),
	OPS(11, "redisopsrequests", "redisopsrequest", "RedisOpsRequest", "rdops", eng_redis, 6),
};

const struct ksim_res *
ksim_res_lookup(const char *group, const char *version, const char *plural)
{
	for (int i = 0; i < KSIM_NRES; i++) {
		const struct ksim_res *r = &ksim_res_table[i];

		if (strcmp(r->group, group) == 0 && strcmp(r->version, version) == 0 &&
		    strcmp(r->plural, plural) == 0)
			return r;
	}
	return NULL;
}

const struct ksim_res *
ksim_res_by_id(int id)
{
	return id >= 0 && id < KSIM_NRES ? &ksim_res_table[id] : NULL;
}

void
ksim_res_qualified(const struct ksim_res *r, char *buf, size_t n)
{
	if (r->group[0] == '\0')
		snprintf(buf, n, "%s", r->plural);
	else
		snprintf(buf, n, "%s.%s", r->plural, r->group);
}

void
ksim_res_kind_qualified(const struct ksim_res *r, char *buf, size_t n)
{
	if (r->group[0] == '\0')
		snprintf(buf, n, "%s", r->kind);
	else
		snprintf(buf, n, "%s.%s", r->kind, r->group);
}
