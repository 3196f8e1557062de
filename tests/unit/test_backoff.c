/* Backoff: the documented sequence, its bounds with jitter, and overflow safety. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/backoff.h"

static double fake_u;

static double
fake_unit(void)
{
	return fake_u;
}

/* The supervisor's policy: 100 ms doubling, capped at 30 s. */
static void
test_doubling_to_cap(void **state)
{
	static const int64_t want[] = { 100, 200, 400, 800, 1600, 3200, 6400, 12800,
		25600, 30000, 30000, 30000 };
	struct backoff b;

	(void)state;
	bo_init(&b, 100, 30000, 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(bo_next(&b), want[i]);
}

static void
test_reset(void **state)
{
	struct backoff b;

	(void)state;
	bo_init(&b, 100, 30000, 0);
	for (int i = 0; i < 5; i++)
		bo_next(&b);
	bo_reset(&b);
	assert_int_equal(bo_next(&b), 100);
	assert_int_equal(bo_next(&b), 200);
}

static void
test_no_overflow(void **state)
{
	struct backoff b;

	(void)state;
	bo_init(&b, 1, INT64_MAX / 2, 0);
	assert_true(bo_base(&b, 1000) == INT64_MAX / 2);
	assert_true(bo_base(&b, 62) <= INT64_MAX / 2);
	for (int i = 0; i < 200; i++)
		assert_true(bo_next(&b) > 0);
}

/* Extreme jitter draws stay inside [base * (1 - jitter), base]. */
static void
test_jitter_extremes(void **state)
{
	struct backoff b;

	(void)state;
	bo_init(&b, 1000, 8000, 0.5);
	b.unit = fake_unit;
	fake_u = 0;
	assert_int_equal(bo_next(&b), 1000);
	fake_u = 0.999999;
	assert_int_equal(bo_next(&b), 1001);	/* 2000 - floor(999.999) */
	fake_u = 0.5;
	assert_int_equal(bo_next(&b), 3000);
}

static void
test_jitter_bounds_random(void **state)
{
	struct backoff b;
	int below_base = 0;

	(void)state;
	bo_init(&b, 200, 10000, 0.3);
	for (int round = 0; round < 2000; round++) {
		unsigned n = b.attempt;
		int64_t base = bo_base(&b, n), d = bo_next(&b);
		assert_true(d <= base);
		assert_true(d >= base - (int64_t)((double)base * 0.3));
		assert_true(d <= 10000);
		below_base += d < base;
		if (b.attempt > 8)
			bo_reset(&b);
	}
	assert_true(below_base > 1000);	/* jitter is actually applied */
}

static void
test_init_sanitizes(void **state)
{
	struct backoff b;

	(void)state;
	bo_init(&b, 0, -5, 7);
	assert_int_equal(b.initial, 1);
	assert_int_equal(b.cap, 1);
	assert_true(b.jitter == 1.0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doubling_to_cap),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_no_overflow),
		cmocka_unit_test(test_jitter_extremes),
		cmocka_unit_test(test_jitter_bounds_random),
		cmocka_unit_test(test_init_sanitizes),
	};

	return cmocka_run_group_tests_name("backoff", tests, NULL, NULL);
}
