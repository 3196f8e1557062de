/*
 * operator — a time-scaled stand-in for the KubeDB operator and the
 * namespace controller.
 *
 * It is level-triggered like the real controllers: every store event for a
 * database, OpsRequest or namespace schedules a reconcile of that object,
 * which reads the current state and writes only what differs, through the
 * same store path as API clients (so watchers see every step).  Time is
 * the configured delays: Provisioning -> Ready after provision_delay,
 * OpsRequest Progressing -> Successful after ops_delay, finalizer removal
 * delete_delay after a delete.
 *
 * Database lifecycle: finalizer kubedb.com added; Provisioning -> Ready;
 * halted -> Halted and back; Critical while a db_critical fault holds it;
 * status.observedGeneration follows metadata.generation.
 *
 * OpsRequests per database follow KubeDB's queue rules: one Progressing at a
 * time; among Pending requests of one type all but the newest are Skipped;
 * the oldest survivor runs first; IfReady waits for a Ready database;
 * spec.timeout shorter than the work fails the request.  The database
 * carries a Paused condition while one runs, and a successful request writes
 * its change (replicas, resources, storage, version) into the database spec.
 */
#ifndef KSIM_OPERATOR_H
#define KSIM_OPERATOR_H

#include "kubesim/sim.h"
#include "kubesim/store.h"

struct ksim_operator *ksim_operator_new(struct ksim_sim *sim);
void ksim_operator_free(struct ksim_operator *op);
/* A store event on RES (for the object of ring event SEQ). */
void ksim_operator_event(struct ksim_operator *op, const struct ksim_res *res, uint64_t seq);
/* Reconcile every database and OpsRequest again (faults or settings changed). */
void ksim_operator_kick_all(struct ksim_operator *op);
/* Forget every pending action (the store was cleared). */
void ksim_operator_reset(struct ksim_operator *op);

#endif
