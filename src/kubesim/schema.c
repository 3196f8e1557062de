/* schema — see schema.h. */
#include <stdio.h>
#include <string.h>

#include "kubesim/schema.h"

/* A node declares its fields; a field without a node is not looked into. */
struct node {
	const struct field *fields;	/* NULL-name terminated */
};

struct field {
	const char *name;
	const struct node *sub;
};

static const struct field meta_fields[] = {
	{ "name", NULL }, { "generateName", NULL }, { "namespace", NULL }, { "selfLink", NULL },
	{ "uid", NULL }, { "resourceVersion", NULL }, { "generation", NULL },
	{ "creationTimestamp", NULL }, { "deletionTimestamp", NULL },
	{ "deletionGracePeriodSeconds", NULL }, { "labels", NULL }, { "annotations", NULL },
	{ "ownerReferences", NULL }, { "finalizers", NULL }, { "managedFields", NULL },
	{ NULL, NULL }
};
static const struct node meta = { meta_fields };

/* KubeDB database specs: MongoDB, Postgres, MySQL, MariaDB, Redis (v1 and v1alpha2). */
static const struct field db_spec_fields[] = {
	{ "autoOps", NULL }, { "version", NULL }, { "replicas", NULL }, { "replicaSet", NULL },
	{ "shardTopology", NULL }, { "topology", NULL }, { "mode", NULL }, { "cluster", NULL },
	{ "sentinelRef", NULL }, { "standbyMode", NULL }, { "streamingMode", NULL },
	{ "leaderElection", NULL }, { "storageType", NULL }, { "storage", NULL },
	{ "ephemeralStorage", NULL }, { "storageEngine", NULL }, { "authSecret", NULL },
	{ "disableAuth", NULL }, { "acl", NULL }, { "clusterAuthMode", NULL }, { "sslMode", NULL },
	{ "clientAuthMode", NULL }, { "requireSSL", NULL }, { "tls", NULL }, { "keyFileSecret", NULL },
	{ "init", NULL }, { "configSecret", NULL }, { "podTemplate", NULL },
	{ "serviceTemplates", NULL }, { "monitor", NULL }, { "halted", NULL },
	{ "deletionPolicy", NULL }, { "terminationPolicy", NULL }, { "healthChecker", NULL },
	{ "coordinator", NULL }, { "arbiter", NULL }, { "hidden", NULL }, { "allowedSchemas", NULL },
	{ "allowedReadReplicas", NULL }, { "useAddressType", NULL }, { "enforceFsGroup", NULL },
	{ "replication", NULL }, { "remoteReplica", NULL }, { "archiver", NULL },
	{ "distributed", NULL },
	{ NULL, NULL }
};
static const struct node db_spec = { db_spec_fields };

/* KubeDB OpsRequest specs, the five kinds together. */
static const struct field ops_spec_fields[] = {
	{ "type", NULL }, { "databaseRef", NULL }, { "apply", NULL }, { "timeout", NULL },
	{ "maxRetries", NULL }, { "horizontalScaling", NULL }, { "verticalScaling", NULL },
	{ "volumeExpansion", NULL }, { "updateVersion", NULL }, { "upgrade", NULL },
	{ "reconfigure", NULL }, { "configuration", NULL }, { "tls", NULL }, { "restart", NULL },
	{ "authentication", NULL }, { "storageMigration", NULL }, { "migration", NULL },
	{ "replicationModeTransformation", NULL }, { "topology", NULL },
	{ NULL, NULL }
};
static const struct node ops_spec = { ops_spec_fields };

static const struct field db_root_fields[] = {
	{ "apiVersion", NULL }, { "kind", NULL }, { "metadata", &meta }, { "spec", &db_spec },
	{ "status", NULL }, { NULL, NULL }
};
static const struct field ops_root_fields[] = {
	{ "apiVersion", NULL }, { "kind", NULL }, { "metadata", &meta }, { "spec", &ops_spec },
	{ "status", NULL }, { NULL, NULL }
};
static const struct field secret_root_fields[] = {
	{ "apiVersion", NULL }, { "kind", NULL }, { "metadata", &meta }, { "data", NULL },
	{ "stringData", NULL }, { "type", NULL }, { "immutable", NULL }, { NULL, NULL }
};
static const struct field ns_spec_fields[] = { { "finalizers", NULL }, { NULL, NULL } };
static const struct node ns_spec = { ns_spec_fields };
static const struct field ns_status_fields[] = {
	{ "phase", NULL }, { "conditions", NULL }, { NULL, NULL }
};
static const struct node ns_status = { ns_status_fields };
static const struct field ns_root_fields[] = {
	{ "apiVersion", NULL }, { "kind", NULL }, { "metadata", &meta }, { "spec", &ns_spec },
	{ "status", &ns_status }, { NULL, NULL }
};

static const struct node *
root(const struct ksim_res *res)
{
	static const struct node db = { db_root_fields }, ops = { ops_root_fields };
	static const struct node secret = { secret_root_fields }, ns = { ns_root_fields };

	switch (res->type) {
	case KSIM_RES_NAMESPACE: return &ns;
	case KSIM_RES_SECRET: return &secret;
	case KSIM_RES_DB: return &db;
	default: return &ops;
	}
}

static const struct field *
lookup(const struct node *n, const char *name)
{
	for (const struct field *f = n->fields; f->name != NULL; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

/* Prune OBJ (at PATH) against N.  Returns how many fields went. */
static int
prune(const struct node *n, cJSON *obj, const char *path, ksim_unknown_fn fn, void *arg)
{
	cJSON *c = obj->child, *next;
	char sub[512];
	int count = 0;

	for (; c != NULL; c = next) {
		const struct field *f = lookup(n, c->string);

		next = c->next;
		snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] != '\0' ? "." : "", c->string);
		if (f == NULL) {
			if (fn != NULL)
				fn(arg, sub);
			cJSON_Delete(cJSON_DetachItemViaPointer(obj, c));
			count++;
		} else if (f->sub != NULL && cJSON_IsObject(c)) {
			count += prune(f->sub, c, sub, fn, arg);
		}
	}
	return count;
}

int
ksim_schema_prune(const struct ksim_res *res, cJSON *obj, ksim_unknown_fn fn, void *arg)
{
	if (!cJSON_IsObject(obj))
		return 0;
	return prune(root(res), obj, "", fn, arg);
}
