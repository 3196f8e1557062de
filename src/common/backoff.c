/* backoff — see backoff.h. */
#include "common/backoff.h"
#include "common/rnd.h"

void
bo_init(struct backoff *b, int64_t initial, int64_t cap, double jitter)
{
	b->initial = initial > 0 ? initial : 1;
	b->cap = cap >= b->initial ? cap : b->initial;
	b->jitter = jitter < 0 ? 0 : jitter > 1 ? 1 : jitter;
	b->attempt = 0;
	b->unit = NULL;
}

int64_t
bo_base(const struct backoff *b, unsigned n)
{
	int64_t d = b->initial;

	/* Doubling stops at the cap, so large attempt numbers cannot overflow. */
	for (unsigned i = 0; i < n && d < b->cap; i++)
		d = d > b->cap / 2 ? b->cap : d * 2;
	return d < b->cap ? d : b->cap;
}

int64_t
bo_next(struct backoff *b)
{
	int64_t base = bo_base(b, b->attempt);
	double u = b->unit != NULL ? b->unit() : rnd_unit();
	int64_t cut = (int64_t)((double)base * b->jitter * u);

	if (b->attempt < 64)
		b->attempt++;
	return base - cut;
}

void
bo_reset(struct backoff *b)
{
	b->attempt = 0;
}
