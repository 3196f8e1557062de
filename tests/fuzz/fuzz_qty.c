/*
 * Kubernetes quantities from anywhere (config, Kubernetes objects): never
 * crash, and the scaled values agree with each other when both exist.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/qty.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct qty q;
	int64_t base, milli;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (qty_parse(s, &q) == 0 && qty_scaled(&q, 0, &base) == 0 &&
	    qty_scaled(&q, -3, &milli) == 0 && !q.neg) {
		/* ceil(v) and ceil(1000 v): 1000 (base - 1) < milli <= 1000 base */
		if (milli > base * 1000 || milli <= (base - 1) * 1000)
			abort();
	}
	free(s);
	return 0;
}
