/*
 * Ids: shape, strict validation, ordering within one process (across its
 * threads too), time round trip.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/id.h"

static void
test_shape(void **state)
{
	char id[ID_MAX];

	(void)state;
	assert_int_equal(id_new("db-", id, sizeof(id)), 0);
	assert_int_equal(strlen(id), 3 + ID_ULID_LEN);
	assert_true(strncmp(id, "db-", 3) == 0);
	assert_true(id_valid("db-", id));
	assert_false(id_valid("op-", id));
}

static void
test_too_small_buffer(void **state)
{
	char id[10];

	(void)state;
	assert_int_equal(id_new("db-", id, sizeof(id)), -1);
}

static void
test_sorted_within_same_ms(void **state)
{
	char prev[ID_MAX], cur[ID_MAX];

	(void)state;
	id_new_at("op-", 1700000000000LL, prev, sizeof(prev));
	for (int i = 0; i < 5000; i++) {
		id_new_at("op-", 1700000000000LL, cur, sizeof(cur));
		assert_true(strcmp(prev, cur) < 0);
		memcpy(prev, cur, sizeof(cur));
	}
	/* A clock that steps back still yields increasing ids. */
	id_new_at("op-", 1600000000000LL, cur, sizeof(cur));
	assert_true(strcmp(prev, cur) < 0);
}

#define THREADS 4
#define PER_THREAD 5000

typedef char id_buf[ID_MAX];

static void *
make_ids(void *arg)
{
	id_buf *ids = arg;

	for (int i = 0; i < PER_THREAD; i++)
		id_new_at("db-", 1750000000000LL, ids[i], sizeof(ids[i]));
	return NULL;
}

static int
cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Threads making ids in the same millisecond: each sees them increase, none repeats. */
static void
test_threads_unique_and_increasing(void **state)
{
	size_t n = (size_t)THREADS * PER_THREAD;
	id_buf *ids = calloc(n, sizeof(*ids));
	pthread_t t[THREADS];

	(void)state;
	assert_non_null(ids);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, make_ids, ids + i * PER_THREAD), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (size_t k = 1; k < n; k++)
		if (k % PER_THREAD != 0)
			assert_true(strcmp(ids[k - 1], ids[k]) < 0);
	qsort(ids, n, sizeof(*ids), cmp_id);
	for (size_t k = 1; k < n; k++)
		assert_true(strcmp(ids[k - 1], ids[k]) < 0);
	free(ids);
}

static void
test_time_round_trip(void **state)
{
	char id[ID_MAX];

	(void)state;
	id_new_at("prv-", 1800000000123LL, id, sizeof(id));
	assert_true(id_time_ms("prv-", id) == 1800000000123LL);
	assert_true(id_time_ms("db-", id) == -1);
}

static void
test_invalid(void **state)
{
	(void)state;
	assert_false(id_valid("db-", NULL));
	assert_false(id_valid("db-", ""));
	assert_false(id_valid("db-", "db-"));
	assert_false(id_valid("db-", "db-01JD3K5Q7W8X9Y0Z1A2B3C4D5"));	/* 25 chars */
	assert_false(id_valid("db-", "db-01JD3K5Q7W8X9Y0Z1A2B3C4D5EF"));
	assert_false(id_valid("db-", "db-01JD3K5Q7W8X9Y0Z1A2B3C4D5I"));	/* I not in alphabet */
	assert_false(id_valid("db-", "db-01jd3k5q7w8x9y0z1a2b3c4d5e"));	/* lower case */
	assert_false(id_valid("db-", "db-81JD3K5Q7W8X9Y0Z1A2B3C4D5E"));	/* > 48-bit time */
	assert_false(id_valid("db-", "xx-01JD3K5Q7W8X9Y0Z1A2B3C4D5E"));
	assert_true(id_valid("db-", "db-01JD3K5Q7W8X9Y0Z1A2B3C4D5E"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_too_small_buffer),
		cmocka_unit_test(test_sorted_within_same_ms),
		cmocka_unit_test(test_threads_unique_and_increasing),
		cmocka_unit_test(test_time_round_trip),
		cmocka_unit_test(test_invalid),
	};

	return cmocka_run_group_tests_name("id", tests, NULL, NULL);
}
