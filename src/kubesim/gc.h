/*
 * gc — the garbage collector's side of DELETE with propagationPolicy
 * Foreground or Orphan.
 *
 * The real apiserver answers such a DELETE with the object, marked for
 * deletion and holding the finalizer `foregroundDeletion` or `orphan`; the
 * garbage-collector controller later deletes the object's dependents (or
 * strips their ownerReferences) and removes that finalizer, and the object
 * goes when no finalizer is left.  A client that deletes with Foreground
 * must therefore cope with an object that lingers.  kubesim's collector is
 * that controller in miniature: dependents are the objects whose
 * metadata.ownerReferences name the owner's uid (same namespace, or any
 * namespace for a cluster-scoped owner).  A pass runs gc_delay after the
 * mark; Orphan removes the references and then the finalizer; Foreground
 * deletes the dependents (their own finalizers are honoured) and passes
 * again every gc_delay until none is left, then removes the finalizer.
 */
#ifndef KSIM_GC_H
#define KSIM_GC_H

#include <stdint.h>

#include "kubesim/sim.h"

#define KSIM_FIN_ORPHAN "orphan"
#define KSIM_FIN_FOREGROUND "foregroundDeletion"

struct ksim_gc *ksim_gc_new(struct ksim_sim *sim);
void ksim_gc_free(struct ksim_gc *g);
/* Forget every pending pass (after a reset of the store). */
void ksim_gc_reset(struct ksim_gc *g);
/* A pass for the object (RES, NS, NAME) with UID after the configured delay. */
void ksim_gc_schedule(struct ksim_gc *g, const struct ksim_res *res, const char *ns,
    const char *name, const char *uid);

#endif
