/*
 * supervisor — the public entry points of the supervisor module, used by
 * src/dbaasd.c: run the whole service, run one role alone, or ask a running
 * supervisor to reload and wait for the outcome.
 */
#ifndef DBAAS_SUPERVISOR_H
#define DBAAS_SUPERVISOR_H

#include <sys/types.h>

#include "common/config.h"

/* Run the supervisor until stopped; takes ownership of CFG.  Returns the exit status. */
int sup_main(struct cfg *cfg);
/* Run the role NAME in the foreground without a supervisor (--role). */
int sup_run_role(const char *name, struct cfg *cfg);
/*
 * Send SIGHUP to the supervisor PID and wait up to TIMEOUT_S for it to report
 * the reload's outcome.  Returns 0 (reloaded) or 1 (failed or no answer).
 */
int sup_ctl_reload(pid_t pid, int timeout_s);

#endif
