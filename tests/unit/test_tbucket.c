/* Token bucket under a fake clock: burst, exact refill, delay, long-run rate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/tbucket.h"

#define MS 1000LL
#define SEC 1000000LL

static void
test_burst_then_empty(void **state)
{
	struct tbucket tb;

	(void)state;
	tb_init(&tb, 5, 10, 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(tb_take(&tb, 0), 1);
	assert_int_equal(tb_take(&tb, 0), 0);
}

static void
test_exact_refill(void **state)
{
	struct tbucket tb;

	(void)state;
	tb_init(&tb, 5, 1, 0);
	assert_int_equal(tb_take(&tb, 0), 1);
	assert_int_equal(tb_take(&tb, 199999), 0);	/* 1 us short of a token */
	assert_int_equal(tb_take(&tb, 200 * MS), 1);
	assert_int_equal(tb_take(&tb, 200 * MS), 0);
}

static void
test_delay(void **state)
{
	struct tbucket tb;

	(void)state;
	tb_init(&tb, 5, 2, 0);
	assert_int_equal(tb_delay_us(&tb, 0), 0);
	tb_take(&tb, 0);
	tb_take(&tb, 0);
	assert_int_equal(tb_delay_us(&tb, 0), 200 * MS);
	assert_int_equal(tb_delay_us(&tb, 50 * MS), 150 * MS);
	assert_int_equal(tb_take(&tb, 50 * MS + 150 * MS), 1);
}

static void
test_capped_after_idle(void **state)
{
	struct tbucket tb;
	int got = 0;

	(void)state;
	tb_init(&tb, 5, 10, 0);
	for (int i = 0; i < 10; i++)
		tb_take(&tb, 0);
	while (tb_take(&tb, 3600 * SEC))
		got++;
	assert_int_equal(got, 10);
}

static void
test_clock_backwards(void **state)
{
	struct tbucket tb;

	(void)state;
	tb_init(&tb, 5, 1, 10 * SEC);
	assert_int_equal(tb_take(&tb, 10 * SEC), 1);
	assert_int_equal(tb_take(&tb, 5 * SEC), 0);
	assert_int_equal(tb_take(&tb, 10 * SEC + 199 * MS), 0);
	assert_int_equal(tb_take(&tb, 10 * SEC + 200 * MS), 1);
}

/* Taking as fast as allowed for 60 s yields burst + 60 * qps, exactly. */
static void
test_long_run_rate(void **state)
{
	struct tbucket tb;
	int taken = 0;

	(void)state;
	tb_init(&tb, 5, 10, 0);
	for (int64_t t = 0; t <= 60 * SEC; t += 1 * MS)
		while (tb_take(&tb, t))
			taken++;
	assert_int_equal(taken, 10 + 300);
}

static void
test_fractional_rate(void **state)
{
	struct tbucket tb;
	int taken = 0;

	(void)state;
	/* Burst 2 leaves headroom, so no refill is lost to the cap between steps. */
	tb_init(&tb, 0.3, 2, 0);
	for (int64_t t = 0; t <= 100 * SEC; t += 7 * MS)
		while (tb_take(&tb, t))
			taken++;
	assert_int_equal(taken, 2 + 29);	/* the 30th token is due at exactly 100 s */
}

static void
test_set_rate_keeps_content(void **state)
{
	struct tbucket tb;

	(void)state;
	tb_init(&tb, 5, 10, 0);
	for (int i = 0; i < 8; i++)
		tb_take(&tb, 0);
	tb_set_rate(&tb, 100, 1, 0);	/* content capped to the new burst */
	assert_int_equal(tb_take(&tb, 0), 1);
	assert_int_equal(tb_take(&tb, 0), 0);
	assert_int_equal(tb_delay_us(&tb, 0), 10 * MS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_empty),
		cmocka_unit_test(test_exact_refill),
		cmocka_unit_test(test_delay),
		cmocka_unit_test(test_capped_after_idle),
		cmocka_unit_test(test_clock_backwards),
		cmocka_unit_test(test_long_run_rate),
		cmocka_unit_test(test_fractional_rate),
		cmocka_unit_test(test_set_rate_keeps_content),
	};

	return cmocka_run_group_tests_name("tbucket", tests, NULL, NULL);
}
