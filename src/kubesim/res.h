/*
 * res — the table of resources kubesim serves: namespaces and secrets (core
 * v1), the five KubeDB database kinds (kubedb.com/v1) and their five
 * OpsRequest kinds (ops.kubedb.com/v1alpha1).
 *
 * Everything that differs between kinds — names for URLs and messages,
 * discovery metadata, the engine's main container and scaling fields — is
 * data here, so routing, discovery, admission and the operator are each
 * written once for all kinds.
 */
#ifndef KSIM_RES_H
#define KSIM_RES_H

#include <stddef.h>

enum ksim_res_type {
	KSIM_RES_NAMESPACE,
	KSIM_RES_SECRET,
	KSIM_RES_DB,
	KSIM_RES_OPS,
};

struct ksim_engine {
	const char *container;		/* main container in podTemplate */
	const char *hscale_field;	/* horizontalScaling.<field>: replicas | member */
	int mongo;			/* MongoDB: replicaSet topology rules apply */
};

struct ksim_res {
	int id;				/* index in the table */
	enum ksim_res_type type;
	const char *group;		/* "" for the core group */
	const char *version;
	const char *api_version;	/* "v1", "kubedb.com/v1" */
	const char *plural;
	const char *singular;
	const char *kind;
	const char *list_kind;
	const char *short_name;		/* NULL if none */
	const char *const *categories;	/* NULL-terminated */
	int namespaced;
	int has_status;			/* status subresource */
	const char *const *fields;	/* field selector labels it supports */
	const struct ksim_engine *engine; /* DB and OPS kinds */
	int peer;			/* DB <-> OPS resource id, or -1 */
};

#define KSIM_NRES 12

extern const struct ksim_res ksim_res_table[KSIM_NRES];

/* The resource for GROUP/VERSION/PLURAL, or NULL (an unknown URL: 404 page). */
const struct ksim_res *ksim_res_lookup(const char *group, const char *version, const char *plural);
const struct ksim_res *ksim_res_by_id(int id);
/* "mongodbs.kubedb.com" or "namespaces": the name used in messages. */
void ksim_res_qualified(const struct ksim_res *r, char *buf, size_t n);
/* "MongoDB.kubedb.com": the Kind-qualified name used in Invalid messages. */
void ksim_res_kind_qualified(const struct ksim_res *r, char *buf, size_t n);

#endif
