/*
 * reconciler — the reconciler role (entry point for the process table).
 */
#ifndef DBAAS_RECONCILER_H
#define DBAAS_RECONCILER_H

#include "common/role.h"

int rec_main(struct role *r);

#endif
