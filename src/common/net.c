/* net — see net.h. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/net.h"

int
net_parse_hostport(const char *s, char *host, size_t hostlen, int *port,
    char *err, size_t errlen)
{
	const char *colon, *hs = s, *he;
	char *end;
	long p;

	if (s[0] == '[') {
		he = strchr(s, ']');
		if (he == NULL || he[1] != ':') {
			snprintf(err, errlen, "expected [IPv6]:PORT, got \"%s\"", s);
			return -1;
		}
		hs = s + 1;
		colon = he + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || strchr(s, ':') != colon) {
			snprintf(err, errlen, "expected HOST:PORT, got \"%s\"", s);
			return -1;
		}
		he = colon;
	}
	if (he == hs) {
		snprintf(err, errlen, "missing host in \"%s\"", s);
		return -1;
	}
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || p < 0 || p > 65535) {
		snprintf(err, errlen, "port must be 0-65535 in \"%s\"", s);
		return -1;
	}
	if (host != NULL) {
		if ((size_t)(he - hs) >= hostlen) {
			snprintf(err, errlen, "host too long in \"%s\"", s);
			return -1;
		}
		memcpy(host, hs, (size_t)(he - hs));
		host[he - hs] = '\0';
	}
	if (port != NULL)
		*port = (int)p;
	return 0;
}

int
net_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl == -1 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int
net_set_cloexec(int fd, int on)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl == -1)
		return -1;
	return fcntl(fd, F_SETFD, on ? (fl | FD_CLOEXEC) : (fl & ~FD_CLOEXEC));
}

int
net_listen(const char *hostport, int backlog, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char host[256], port[16];
	int p, fd = -1, one = 1, rc, saved = 0;

	if (net_parse_hostport(hostport, host, sizeof(host), &p, err, errlen) != 0)
		return -1;
	snprintf(port, sizeof(port), "%d", p);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "cannot resolve \"%s\": %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, backlog) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		snprintf(err, errlen, "cannot listen on %s: %s", hostport, strerror(saved));
	return fd;
}

int
net_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}
