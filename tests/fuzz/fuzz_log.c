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
	n = log_formatf(out, sizeof(out), "k=%s", s);
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
