/*
 * net — addresses and listening sockets.  The supervisor opens the API socket
 * once, before forking, so every API process (and every later generation of
 * them after a reload) accepts from the same kernel queue.
 */
#ifndef DBAAS_NET_H
#define DBAAS_NET_H

#include <stddef.h>

/*
 * Split "host:port" or "[v6]:port" into HOST (may be NULL) and PORT (may be
 * NULL).  Returns 0, or -1 with a message in ERR.
 */
int net_parse_hostport(const char *s, char *host, size_t hostlen, int *port,
    char *err, size_t errlen);
/*
 * A non-blocking, close-on-exec TCP listening socket on HOSTPORT with
 * SO_REUSEADDR.  Returns the fd, or -1 with a message in ERR.
 */
int net_listen(const char *hostport, int backlog, char *err, size_t errlen);
/* The port a bound socket ended up on (for ":0" in tests), or -1. */
int net_local_port(int fd);
int net_set_nonblock(int fd);
int net_set_cloexec(int fd, int on);

#endif
