/*
 * sdnotify — the systemd notification protocol without libsystemd.
 *
 * One datagram of newline-separated KEY=VALUE lines to the AF_UNIX socket
 * named by $NOTIFY_SOCKET ("@name" = abstract namespace).  sdn_init() reads
 * and then removes NOTIFY_SOCKET and WATCHDOG_USEC from the environment so
 * forked roles never inherit them: only the main PID may talk to systemd.
 */
#ifndef DBAAS_SDNOTIFY_H
#define DBAAS_SDNOTIFY_H

#include <stdint.h>

/* Capture the settings; returns 1 if a notify socket is configured. */
int sdn_init(void);
/* Send MSG ("READY=1", "STATUS=...\nREADY=1"); a no-op without a socket. */
int sdn_send(const char *msg);
/* Watchdog interval in microseconds (WATCHDOG_USEC for this pid), or 0. */
int64_t sdn_watchdog_usec(void);

#endif
