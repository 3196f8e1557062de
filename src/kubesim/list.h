/*
 * list — LIST with the apiserver's resourceVersion semantics, and the
 * selector plumbing shared with WATCH.
 *
 *   resourceVersion unset   the latest state; limit/continue page through one
 *                           snapshot (every page carries the same RV)
 *   resourceVersion=0       "any": served like the watch cache, limit ignored
 *   resourceVersion=N       not older than N (N newer than the store: 504
 *                           after a wait); with limit or Exact: exactly N
 *                           (410 once compacted)
 *   continue=TOKEN          the snapshot of the token; 410 with a fresh
 *                           "inconsistent" token once compacted
 */
#ifndef KSIM_LIST_H
#define KSIM_LIST_H

#include "kubesim/fieldsel.h"
#include "kubesim/labelsel.h"
#include "kubesim/sim.h"
#include "kubesim/store.h"

struct ksim_filter {
	struct ksim_labelsel *labels;
	struct ksim_fieldsel *fields;
	const struct ksim_res *res;
	const char *ns;			/* "" = all namespaces */
};

/* Parse labelSelector/fieldSelector of C into F.  0, or -1 after replying 400. */
int ksim_filter_parse(struct ksim_call *c, struct ksim_filter *f);
void ksim_filter_free(struct ksim_filter *f);
/* 1 if version V (of its object) passes F. */
int ksim_filter_match(const struct ksim_filter *f, const struct ksim_ver *v);

#endif
