/*
 * schema — the fields each kind declares, so that a write drops the others.
 *
 * The apiserver prunes fields a structural CRD schema (or a built-in type)
 * does not declare: by default it stores the object without them and
 * sends a Warning header per field (`unknown field "spec.replica"`); with
 * fieldValidation=Strict (kubectl's default) it refuses the write with 400.
 * A client that misspells a field must see that, not find it stored.
 *
 * kubesim declares: the root fields of each kind; ObjectMeta's fields; for
 * Secret its data fields and for Namespace its spec and status; for the
 * KubeDB kinds the fields at the top of `spec`, as the union over the five
 * database kinds (and over the five OpsRequest kinds) of the KubeDB API
 * (v1, and v1alpha2's names), so a field one kind lacks passes on another.
 * Below those and in `status` objects are open: deeper typos are not caught.
 */
#ifndef KSIM_SCHEMA_H
#define KSIM_SCHEMA_H

#include <cjson/cJSON.h>

#include "kubesim/res.h"

typedef void (*ksim_unknown_fn)(void *arg, const char *path);

/*
 * Remove from OBJ every field RES's schema does not declare, calling
 * FN(ARG, "spec.replica") for each (in document order).  Returns how many.
 */
int ksim_schema_prune(const struct ksim_res *res, cJSON *obj, ksim_unknown_fn fn, void *arg);

#endif
