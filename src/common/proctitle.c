/* proctitle — see proctitle.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "common/proctitle.h"

extern char **environ;

static char *title_start;
static size_t title_len;
/*
 * Our copies of the environment: the array we install as environ and the
 * strings, kept here too so they stay reachable (and not reported as leaks)
 * after unsetenv() drops entries.  volatile: nothing reads them, and the
 * compiler must not drop the stores.
 */
static char **volatile env_array, **volatile env_copies;

void
pt_init(int argc, char **argv)
{
	char *start, *end, **env;
	int n = 0;

	if (argc == 0 || argv[0] == NULL)
		return;
	start = argv[0];
	end = argv[0] + strlen(argv[0]) + 1;
	for (int i = 1; i < argc && argv[i] == end; i++)
		end = argv[i] + strlen(argv[i]) + 1;
	for (; environ[n] != NULL; n++)
		if (environ[n] == end)
			end = environ[n] + strlen(environ[n]) + 1;
	/* The environment and the arguments move out of the way of the title. */
	env = env_array = calloc((size_t)n + 1, sizeof(*env));
	env_copies = calloc((size_t)n + 1, sizeof(*env_copies));
	if (env == NULL || env_copies == NULL)
		return;
	for (int i = 0; i < n; i++)
		if ((env[i] = env_copies[i] = strdup(environ[i])) == NULL)
			return;
	for (int i = 0; i < argc; i++)
		if ((argv[i] = strdup(argv[i])) == NULL)
			return;
	environ = env;
	title_start = start;
	title_len = (size_t)(end - start);
}

void
pt_set(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	prctl(PR_SET_NAME, buf, 0, 0, 0);	/* truncated to 15 bytes by the kernel */
	if (title_start == NULL)
		return;
	n = strlen(buf);
	if (n >= title_len)
		n = title_len - 1;
	memset(title_start, 0, title_len);
	memcpy(title_start, buf, n);
}
