/*
 * worker — the operation worker role (entry point for the process table).
 */
#ifndef DBAAS_WORKER_H
#define DBAAS_WORKER_H

#include "common/role.h"

int wrk_main(struct role *r);

#endif
