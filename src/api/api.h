/*
 * api — the HTTP API role (entry point for the process table), and the
 * one piece of it the command line needs: creating an admin key.
 */
#ifndef DBAAS_API_H
#define DBAAS_API_H

#include <stdio.h>

#include "common/config.h"
#include "common/role.h"

int api_main(struct role *r);
/*
 * Create an admin key in CFG's MongoDB and print it once on OUT
 * (`dbaasd --create-admin-key`).  Returns an exit status.
 */
int api_create_admin_key(const struct cfg *cfg, FILE *out);

#endif
