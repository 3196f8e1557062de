/*
 * Log quoting: whatever bytes a value holds (names from users, messages from
 * servers), the formatted line stays one line and every quote is escaped.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t fmt(char *buf, size_t n, const char *f, ...) __attribute__((format(printf, 3, 4)));

static size_t
fmt(char *buf, size_t n, const char *f, ...)
{
	va_list ap;
	size_t r;

	va_start(ap, f);
	r = log_format(buf, n, f, ap);
	va_end(ap);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), out[4096];
	size_t n;
	int in_quotes = 0;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	n = fmt(out, sizeof(out), "k=%s", s);
	if (memchr(out, '\n', n) != NULL || memchr(out, '\r', n) != NULL)
		abort();
	for (size_t i = 2; i < n; i++) {
		if (out[i] == '\\')
			i++;
		else if (out[i] == '"')
			in_quotes = !in_quotes;
		else if (out[i] == ' ' && !in_quotes && n < sizeof(out) - 1)
			abort();	/* an unquoted space would split the value */
	}
	free(s);
	return 0;
}
