/*
 * qty — exact Kubernetes quantity parsing (see qty.h).
 *
 * The old system split strings on "Gi" and called int(); it broke on "Mi",
 * "1.5Gi" and "2G".  Here every form of the grammar is accepted and anything
 * else is rejected, and integers come out exact.
 */
#include <errno.h>
#include <string.h>

#include "common/qty.h"

#define MANT_DIGITS_MAX 38	/* 10^38 < 2^127 */
#define EXP_LIMIT 1000		/* beyond this nothing fits in 64 bits anyway */

struct suffix {
	const char *text;
	int exp10;
	int exp2;
};

static const struct suffix suffixes[] = {
	{ "Ki", 0, 10 }, { "Mi", 0, 20 }, { "Gi", 0, 30 },
	{ "Ti", 0, 40 }, { "Pi", 0, 50 }, { "Ei", 0, 60 },
	{ "m", -3, 0 }, { "", 0, 0 }, { "k", 3, 0 }, { "M", 6, 0 },
	{ "G", 9, 0 }, { "T", 12, 0 }, { "P", 15, 0 }, { "E", 18, 0 },
};

/* Digits of the number part; returns the position after them. */
static const char *
parse_number(const char *p, struct qty *q, int *ndigits, int *err)
{
	int sig = 0, any = 0, frac = 0;

	*ndigits = 0;
	for (; (*p >= '0' && *p <= '9') || (*p == '.' && !frac); p++) {
		if (*p == '.') {
			frac = 1;
			continue;
		}
		any = 1;
		if (*p == '0' && sig == 0) {
			if (frac)
				q->exp10--;
			continue;
		}
		if (sig == MANT_DIGITS_MAX) {
			/* Only trailing zeros of the integer part can still be exact. */
			if (*p != '0') {
				*err = -ERANGE;
				return p;
			}
			if (!frac)
				q->exp10++;
			continue;
		}
		q->mant = q->mant * 10 + (unsigned)(*p - '0');
		sig++;
		if (frac)
			q->exp10--;
	}
	*ndigits = any;
	return p;
}

static int
parse_exponent(const char *p, int *exp)
{
	int neg = 0, v = 0;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (*p == '\0')
		return -EINVAL;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v < EXP_LIMIT * 10)
			v = v * 10 + (*p - '0');
	}
	*exp = neg ? -v : v;
	return 0;
}

static int
parse_suffix(const char *p, struct qty *q)
{
	int e;

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (strcmp(p, suffixes[i].text) == 0) {
			q->exp10 += suffixes[i].exp10;
			q->exp2 = suffixes[i].exp2;
			return 0;
		}
	}
	/* Not a unit: "e3", "E-2" are decimal exponents ("Ei" matched above). */
	if ((p[0] == 'e' || p[0] == 'E') && parse_exponent(p + 1, &e) == 0) {
		q->exp10 += e;
		return 0;
	}
	return -EINVAL;
}

int
qty_parse(const char *s, struct qty *q)
{
	const char *p = s;
	int any, err = 0;

	memset(q, 0, sizeof(*q));
	if (s == NULL || *s == '\0')
		return -EINVAL;
	if (*p == '+' || *p == '-')
		q->neg = *p++ == '-';
	p = parse_number(p, q, &any, &err);
	if (err != 0)
		return err;
	if (!any)
		return -EINVAL;
	if (parse_suffix(p, q) != 0)
		return -EINVAL;
	if (q->mant == 0) {
		q->exp10 = 0;
		q->neg = 0;
	}
	return 0;
}

/* R * 10 with overflow detection against LIMIT. */
static int
mul10(unsigned __int128 *r, unsigned __int128 limit)
{
	if (*r > limit / 10)
		return -ERANGE;
	*r *= 10;
	return 0;
}

int
qty_scaled(const struct qty *q, int scale, int64_t *out)
{
	const unsigned __int128 limit = (unsigned __int128)INT64_MAX + (q->neg ? 1 : 0);
	unsigned __int128 r = q->mant, rem = 0;
	long e = (long)q->exp10 - scale;

	if (r == 0) {
		*out = 0;
		return 0;
	}
	for (int i = 0; i < q->exp2; i++) {
		if (r > (((unsigned __int128)1 << 126) - 1))
			return -ERANGE;
		r <<= 1;
	}
	for (; e > 0; e--)
		if (mul10(&r, limit) != 0)
			return -ERANGE;
	for (; e < 0 && r != 0; e++) {
		rem |= r % 10;
		r /= 10;
	}
	if (e < 0 || rem != 0)
		r += 1;	/* round away from zero: a fraction left over */
	if (r > limit)
		return -ERANGE;
	*out = q->neg ? (int64_t)(0 - (uint64_t)r) : (int64_t)r;
	return 0;
}

int
qty_parse_scaled(const char *s, int scale, int64_t *out)
{
	struct qty q;
	int rc = qty_parse(s, &q);

	return rc != 0 ? rc : qty_scaled(&q, scale, out);
}
