/*
 * table — `meta.k8s.io` Table output, what `kubectl get` asks for first
 * (Accept: application/json;as=Table;v=v1;g=meta.k8s.io).
 *
 * Columns follow the KubeDB CRDs' printer columns (Name, Version, Status,
 * Age for databases; Name, Type, Status, Age for OpsRequests), rows carry
 * the object's metadata as PartialObjectMetadata, and AGE is computed by
 * the server like apimachinery's HumanDuration.
 */
#ifndef KSIM_TABLE_H
#define KSIM_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "kubesim/sim.h"
#include "kubesim/store.h"

struct evbuffer;

/* The Table version asked for ("v1" or "v1beta1"), or NULL for plain JSON. */
const char *ksim_table_wanted(struct ksim_req *r);

struct ksim_table_meta {
	uint64_t rv;			/* metadata.resourceVersion (0: omit) */
	const char *continue_tok;	/* NULL or "": omit */
	int64_t remaining;		/* < 0: omit */
};

/*
 * Append a Table of the N versions V to OUT.  HEADERS=0 leaves out the
 * column definitions (watch events after the first).  INCLUDE is the
 * includeObject parameter (NULL: Metadata).
 */
int ksim_table_build(struct evbuffer *out, const struct ksim_res *res, const char *tv,
    struct ksim_ver *const *v, size_t n, const struct ksim_table_meta *m, int headers,
    const char *include);
/* Answer a GET of one object as a Table. */
void ksim_table_reply_one(struct ksim_call *c, const struct ksim_ver *v);

#endif
