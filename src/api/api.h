/*
 * api — the HTTP API role (entry point for the process table).
 */
#ifndef DBAAS_API_H
#define DBAAS_API_H

#include "common/role.h"

int api_main(struct role *r);

#endif
