/*
 * Quantity parser: a table of valid and invalid inputs, each row registered
 * as its own test so a failure names the input.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "common/qty.h"

struct row {
	const char *in;
	int scale;
	int rc;		/* 0, -EINVAL, -ERANGE */
	int64_t want;
};

static const struct row rows[] = {
	{ "0", 0, 0, 0 },
	{ "1", 0, 0, 1 },
	{ "+1", 0, 0, 1 },
	{ "-1", 0, 0, -1 },
	{ "-0", 0, 0, 0 },
	{ "100", 0, 0, 100 },
	{ "00012", 0, 0, 12 },
	{ "1.", 0, 0, 1 },
	{ "2.5", 0, 0, 3 },		/* rounds up */
	{ "-1.5", 0, 0, -2 },		/* away from zero */
	{ "1k", 0, 0, 1000 },
	{ "1M", 0, 0, 1000000 },
	{ "2G", 0, 0, 2000000000 },
	{ "1T", 0, 0, 1000000000000LL },
	{ "1P", 0, 0, 1000000000000000LL },
	{ "1E", 0, 0, 1000000000000000000LL },
	{ "1Ki", 0, 0, 1024 },
	{ "1Mi", 0, 0, 1048576 },
	{ "1024Mi", 0, 0, 1073741824 },
	{ "1.5Gi", 0, 0, 1610612736 },
	{ "50Gi", 0, 0, 53687091200LL },
	{ "1Ti", 0, 0, 1099511627776LL },
	{ "1Pi", 0, 0, 1125899906842624LL },
	{ "1Ei", 0, 0, 1152921504606846976LL },
	{ "7Ei", 0, 0, 8070450532247928832LL },
	{ "0.000001Ki", 0, 0, 1 },	/* 0.001024 rounds up */
	{ "1e3", 0, 0, 1000 },
	{ "1E3", 0, 0, 1000 },		/* E followed by digits is an exponent */
	{ "1e+3", 0, 0, 1000 },
	{ "1.5e3", 0, 0, 1500 },
	{ "100e-2", 0, 0, 1 },
	{ "1e-3", -3, 0, 1 },
	{ "500m", -3, 0, 500 },
	{ "500m", 0, 0, 1 },
	{ "0.5", -3, 0, 500 },
	{ ".5", -3, 0, 500 },
	{ "+.5", -3, 0, 500 },
	{ "0.1m", -3, 0, 1 },
	{ "1e-40", -3, 0, 1 },
	{ "1.5", -3, 0, 1500 },
	{ "2", -3, 0, 2000 },
	{ "9223372036854775807", 0, 0, INT64_MAX },
	{ "-9223372036854775808", 0, 0, INT64_MIN },
	{ "9223372036854775808", 0, -ERANGE, 0 },
	{ "8Ei", 0, -ERANGE, 0 },
	{ "1e19", 0, -ERANGE, 0 },
	{ "1e1000", 0, -ERANGE, 0 },
	{ "123456789012345678901234567890123456789", 0, -ERANGE, 0 },
	{ "", 0, -EINVAL, 0 },
	{ " ", 0, -EINVAL, 0 },
	{ " 1", 0, -EINVAL, 0 },
	{ "1 ", 0, -EINVAL, 0 },
	{ "1 Gi", 0, -EINVAL, 0 },
	{ "Gi", 0, -EINVAL, 0 },
	{ ".", 0, -EINVAL, 0 },
	{ "+", 0, -EINVAL, 0 },
	{ "-", 0, -EINVAL, 0 },
	{ "--1", 0, -EINVAL, 0 },
	{ "+-1", 0, -EINVAL, 0 },
	{ "1gi", 0, -EINVAL, 0 },
	{ "1ki", 0, -EINVAL, 0 },
	{ "1mi", 0, -EINVAL, 0 },
	{ "1KB", 0, -EINVAL, 0 },
	{ "1Kii", 0, -EINVAL, 0 },
	{ "1EiB", 0, -EINVAL, 0 },
	{ "1.2.3", 0, -EINVAL, 0 },
	{ "1e", 0, -EINVAL, 0 },
	{ "1e+", 0, -EINVAL, 0 },
	{ "1e1.5", 0, -EINVAL, 0 },
	{ "1e3Gi", 0, -EINVAL, 0 },
	{ "1.5e1Gi", 0, -EINVAL, 0 },
	{ "0x10", 0, -EINVAL, 0 },
	{ "1Gi1", 0, -EINVAL, 0 },
	{ "1,5", 0, -EINVAL, 0 },
	{ "1_000", 0, -EINVAL, 0 },
	{ "abc", 0, -EINVAL, 0 },
	{ "\xd9\xa1", 0, -EINVAL, 0 },	/* ARABIC-INDIC DIGIT ONE */
	{ "1\n", 0, -EINVAL, 0 },
	{ "NaN", 0, -EINVAL, 0 },
	{ "Inf", 0, -EINVAL, 0 },
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* A printable rendering of S for the test name (TAP names are one line). */
static void
printable(const char *s, char *out, size_t n)
{
	size_t o = 0;

	for (; *s != '\0' && o + 5 < n; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f || c == '#')
			o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

static void
test_row(void **state)
{
	const struct row *r = *state;
	int64_t got = 0;
	int rc = qty_parse_scaled(r->in, r->scale, &got);

	if (rc != r->rc)
		fail_msg("\"%s\" (scale %d): rc %d, want %d", r->in, r->scale, rc, r->rc);
	if (rc == 0 && got != r->want)
		fail_msg("\"%s\" (scale %d): %lld, want %lld", r->in, r->scale,
		    (long long)got, (long long)r->want);
}

/* Converting one parsed value at several scales gives consistent results. */
static void
test_scales_agree(void **state)
{
	struct qty q;
	int64_t bytes, milli;

	(void)state;
	assert_int_equal(qty_parse("3Gi", &q), 0);
	assert_int_equal(qty_scaled(&q, 0, &bytes), 0);
	assert_int_equal(qty_scaled(&q, -3, &milli), 0);
	assert_true(milli == bytes * 1000);
	assert_int_equal(qty_scaled(&q, 9, &bytes), 0);	/* in units of 1e9: 3.22 -> 4 */
	assert_int_equal(bytes, 4);
}

int
main(void)
{
	struct CMUnitTest tests[NROWS + 1];
	char names[NROWS][96], shown[64];
	int rc;

	for (size_t i = 0; i < NROWS; i++) {
		printable(rows[i].in, shown, sizeof(shown));
		snprintf(names[i], sizeof(names[i]), "qty_parse(\"%s\", scale %d)", shown,
		    rows[i].scale);
		tests[i] = (struct CMUnitTest)cmocka_unit_test_prestate(test_row, (void *)&rows[i]);
		tests[i].name = names[i];
	}
	tests[NROWS] = (struct CMUnitTest)cmocka_unit_test(test_scales_agree);
	rc = _cmocka_run_group_tests("qty", tests, NROWS + 1, NULL, NULL);
	return rc;
}
