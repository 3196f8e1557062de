/* sdnotify — see sdnotify.h. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sdnotify.h"

static char notify_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static size_t notify_len;
static int64_t watchdog_usec;

int
sdn_init(void)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	const char *wd = getenv("WATCHDOG_USEC");
	const char *wpid = getenv("WATCHDOG_PID");

	if (sock != NULL && (sock[0] == '/' || sock[0] == '@') &&
	    strlen(sock) < sizeof(notify_path)) {
		notify_len = strlen(sock);
		memcpy(notify_path, sock, notify_len);
		if (notify_path[0] == '@')
			notify_path[0] = '\0';
	}
	if (wd != NULL && (wpid == NULL || atol(wpid) == (long)getpid()))
		watchdog_usec = atoll(wd);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return notify_len > 0;
}

int64_t
sdn_watchdog_usec(void)
{
	return watchdog_usec;
}

int
sdn_send(const char *msg)
{
	struct sockaddr_un sa;
	int fd, rc;

	if (notify_len == 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, notify_path, notify_len);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	rc = (int)sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + notify_len));
	if (rc < 0)
		log_warn("sd_notify_failed", "msg=%s", msg);
	close(fd);
	return rc < 0 ? -1 : 0;
}
