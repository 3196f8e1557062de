/*
 * conf — kubesim's settings: defaults, then an optional libconfig file
 * (-c FILE, see etc/kubesim.conf), then command-line flags, each checked
 * with a message that names the setting.
 */
#ifndef KSIM_CONF_H
#define KSIM_CONF_H

#include <stddef.h>

#include "kubesim/sim.h"

/*
 * Build the configuration from ARGV.  Returns the configuration, or NULL
 * with ERR set; *EXIT_NOW is 1 when the caller should exit 0 (--help).
 */
struct ksim_conf *ksim_conf_load(int argc, char **argv, int *exit_now, char *err, size_t errlen);
void ksim_conf_free(struct ksim_conf *c);
/* Parse "TOKEN[:USER[:ROLE]]" (ROLE admin or readonly) into T.  0 or -1. */
int ksim_conf_parse_token(const char *s, struct ksim_token *t, char *err, size_t errlen);

#endif
