/*
 * Continue tokens come back from clients verbatim: decoding any string must
 * fail cleanly or give a token that re-encodes to an equivalent one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kubesim/contok.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ksim_contok a, b;
	char *s = malloc(size + 1), err[256], tok[4096];

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (ksim_contok_decode(s, &a, err, sizeof(err)) == 0 &&
	    ksim_contok_encode(a.rv, a.start, a.startlen, tok, sizeof(tok)) >= 0) {
		if (ksim_contok_decode(tok, &b, err, sizeof(err)) != 0 || b.rv != a.rv ||
		    b.startlen != a.startlen || memcmp(a.start, b.start, a.startlen) != 0)
			abort();
	}
	free(s);
	return 0;
}
