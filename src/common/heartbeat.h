/*
 * heartbeat — the Redis side of role heartbeats, shared by the writers (every
 * role process, see role.c) and the reader (/health).
 *
 * One hash, PREFIX + "heartbeats", field "<role>:<host>:<pid>", value a small
 * JSON object with at_ms (wall clock of the beat).  A process that dies
 * without cleaning up leaves a stale field; readers ignore fields older than
 * hb_stale_ms() and delete the very old ones.
 */
#ifndef DBAAS_HEARTBEAT_H
#define DBAAS_HEARTBEAT_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/rds.h"

char *hb_key(const struct rds_params *p, char *out, size_t n);
/* A heartbeat older than this (ms) means the process is gone or stuck. */
int64_t hb_stale_ms(const struct cfg *cfg);

#endif
