/*
 * The store's consistency model: one resourceVersion per write, snapshot
 * reads at an older RV until compaction, tombstones, the per-resource event
 * ring and its eviction; the ordered tree under it; table ages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kubesim/avl.h"
#include "kubesim/jsonx.h"
#include "kubesim/ktime.h"
#include "kubesim/store.h"

#define MONGO (&ksim_res_table[2])
#define NS (&ksim_res_table[0])

struct hook_log {
	int n;
	uint64_t last_seq;
};

static void
hook(void *arg, const struct ksim_res *res, uint64_t seq)
{
	struct hook_log *h = arg;

	h->n++;
	h->last_seq = seq;
}

static cJSON *
obj(const char *name, int replicas)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "{\"kind\":\"MongoDB\",\"apiVersion\":\"kubedb.com/v1\",\"metadata\":"
	    "{\"name\":\"%s\",\"namespace\":\"demo\",\"labels\":{\"app\":\"x\"},\"creationTimestamp\":"
	    "\"2026-11-22T03:39:24Z\"},\"spec\":{\"replicas\":%d}}", name, replicas);
	return cJSON_Parse(buf);
}

static int
replicas_at(struct ksim_obj *o, uint64_t rv)
{
	struct ksim_ver *v = ksim_obj_at(o, rv);
	cJSON *j;
	int r;

	if (v == NULL)
		return -1;
	j = ksim_ver_parse(v);
	r = (int)ksim_json_int(j, "spec.replicas", -2);
	cJSON_Delete(j);
	return r;
}

static void
write_obj(struct ksim_store *s, const char *name, int replicas)
{
	cJSON *o = obj(name, replicas);

	assert_non_null(ksim_store_write(s, MONGO, "demo", name, o));
	cJSON_Delete(o);
}

static void
test_versions_and_snapshots(void **state)
{
	struct ksim_store *s = ksim_store_new(100, 10);
	struct hook_log h = { 0, 0 };
	struct ksim_obj *o;
	struct ksim_ver *v;

	(void)state;
	ksim_store_set_hook(s, hook, &h);
	write_obj(s, "a", 1);				/* rv 11 */
	assert_int_equal(ksim_store_rv(s), 11);
	o = ksim_store_get(s, MONGO, "demo", "a");
	assert_non_null(o);
	assert_non_null(strstr(o->head->json, "\"resourceVersion\":\"11\""));
	/* Custom resources are stored with sorted keys. */
	assert_true(strncmp(o->head->json, "{\"apiVersion\":\"kubedb.com/v1\",\"kind\"", 35) == 0);
	assert_string_equal(ksim_labels_get(&o->head->labels, "app"), "x");
	assert_int_equal(o->head->created_ms, 1795318764000LL);
	write_obj(s, "a", 2);				/* rv 12 */
	write_obj(s, "b", 1);				/* rv 13 */
	assert_int_equal(replicas_at(o, 11), 1);
	assert_int_equal(replicas_at(o, 0), 2);
	assert_int_equal(replicas_at(o, 10), -1);	/* did not exist yet */
	assert_int_equal(ksim_store_count(s, MONGO), 2);
	v = ksim_store_delete(s, o);			/* rv 14 */
	assert_true(v->deleted);
	assert_null(ksim_store_get(s, MONGO, "demo", "a"));
	assert_int_equal(replicas_at(o, 13), 2);	/* still visible in the past */
	assert_int_equal(replicas_at(o, 14), -1);
	assert_int_equal(ksim_store_count(s, MONGO), 1);
	assert_int_equal(h.n, 4);
	ksim_store_free(s);
}

static void
test_compaction_drops_history(void **state)
{
	struct ksim_store *s = ksim_store_new(100, 0);
	struct ksim_obj *o;

	(void)state;
	write_obj(s, "a", 1);		/* 1 */
	write_obj(s, "a", 2);		/* 2 */
	write_obj(s, "gone", 1);	/* 3 */
	ksim_store_delete(s, ksim_store_get(s, MONGO, "demo", "gone"));	/* 4 */
	write_obj(s, "a", 3);		/* 5 */
	ksim_store_compact(s, 4);
	assert_int_equal(ksim_store_compacted_rv(s), 4);
	o = ksim_store_get(s, MONGO, "demo", "a");
	assert_int_equal(replicas_at(o, 4), 2);		/* the newest version <= 4 survives */
	assert_int_equal(replicas_at(o, 5), 3);
	/* The tombstone at 4 is gone from the tree. */
	o = ksim_store_seek(s, MONGO, "demo/", 5);
	assert_string_equal(o->name, "a");
	assert_null(ksim_store_next(o));
	/* A new object under a compacted key starts fresh. */
	write_obj(s, "gone", 7);
	assert_int_equal(replicas_at(ksim_store_get(s, MONGO, "demo", "gone"), 0), 7);
	ksim_store_compact(s, 2);			/* never backwards */
	assert_int_equal(ksim_store_compacted_rv(s), 4);
	ksim_store_free(s);
}

/* The time window: old events go once more than KEEP newer ones exist. */
static void
test_ring_time_window(void **state)
{
	struct ksim_store *s = ksim_store_new(100, 100);
	struct ksim_ring *r;
	int64_t later;

	(void)state;
	ksim_store_set_window(s, 60000, 2);
	for (int i = 0; i < 5; i++)
		write_obj(s, "a", i);		/* rv 101..105 */
	r = ksim_store_ring(s, MONGO);
	later = ksim_store_ring(s, MONGO)->ev[r->first_seq % r->cap].ms;
	ksim_store_expire(s, MONGO, later + 60000);	/* not older than the window yet */
	assert_int_equal(r->next_seq - r->first_seq, 5);
	assert_int_equal(r->evicted_rv, 100);
	ksim_store_expire(s, MONGO, later + 120000);
	assert_int_equal(r->next_seq - r->first_seq, 2);	/* the newest KEEP stay */
	assert_int_equal(r->evicted_rv, 103);
	assert_int_equal(ksim_ring_at(r, r->first_seq)->rv, 104);
	/* The cache restarts empty: everything before now is too old. */
	ksim_store_ring_restart(s);
	assert_int_equal(r->next_seq - r->first_seq, 0);
	assert_int_equal(r->evicted_rv, 105);
	ksim_store_free(s);
}

static void
test_ring_window(void **state)
{
	struct ksim_store *s = ksim_store_new(3, 100);
	struct ksim_ring *r;
	const struct ksim_event *e;

	(void)state;
	for (int i = 0; i < 5; i++)
		write_obj(s, "a", i);		/* rv 101..105 */
	r = ksim_store_ring(s, MONGO);
	assert_int_equal(r->next_seq - r->first_seq, 3);
	assert_int_equal(r->evicted_rv, 102);	/* watches from < 102 are too old */
	assert_int_equal(r->last_rv, 105);
	assert_int_equal(ksim_ring_seek(r, 103), r->first_seq + 1);
	e = ksim_ring_at(r, ksim_ring_seek(r, 103));
	assert_int_equal(e->rv, 104);
	assert_int_equal(e->type, KSIM_EV_MODIFIED);
	assert_non_null(e->prev);
	assert_null(ksim_ring_at(r, r->first_seq - 1));
	assert_int_equal(ksim_ring_seek(r, 200), r->next_seq);
	/* Other resources keep their own window. */
	assert_int_equal(ksim_store_ring(s, NS)->next_seq, 0);
	ksim_store_clear(s);
	assert_true(ksim_store_ring(s, MONGO)->evicted_rv > 105);
	assert_int_equal(ksim_store_count(s, MONGO), 0);
	ksim_store_free(s);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_avl_order_under_churn(void **state)
{
	enum { N = 2000 };
	struct ksim_avl t = { NULL, 0 };
	struct ksim_avl_node *nodes = calloc(N, sizeof(*nodes));
	char (*keys)[16] = calloc(N, 16);
	char *sorted[N] = { 0 };
	struct ksim_avl_node dup, *lb;
	size_t k = 0, want;

	(void)state;
	for (int i = 0; i < N; i++) {
		snprintf(keys[i], 16, "k%07d", (i * 7919) % N);
		nodes[i].key = keys[i];
		nodes[i].keylen = strlen(keys[i]);
		assert_int_equal(ksim_avl_insert(&t, &nodes[i]), 0);
	}
	dup.key = keys[5];
	dup.keylen = strlen(keys[5]);
	assert_int_equal(ksim_avl_insert(&t, &dup), -1);
	for (int i = 0; i < N; i += 3)
		ksim_avl_remove(&t, &nodes[i]);
	for (int i = 0; i < N; i++)
		if (i % 3 != 0)
			sorted[k++] = keys[i];
	qsort(sorted, k, sizeof(sorted[0]), cmp_str);
	assert_int_equal(t.count, k);
	k = 0;
	for (struct ksim_avl_node *n = ksim_avl_first(&t); n != NULL; n = ksim_avl_next(n))
		assert_string_equal(n->key, sorted[k++]);
	assert_int_equal(k, t.count);
	/* "k0000500\0" is just after "k0000500": the first key greater than it. */
	for (want = 0; want < k && strcmp(sorted[want], "k0000500") <= 0; want++)
		;
	lb = ksim_avl_lower_bound(&t, "k0000500\0", 9);
	assert_string_equal(lb->key, sorted[want]);
	assert_null(ksim_avl_find(&t, keys[0], strlen(keys[0])));
	assert_non_null(ksim_avl_find(&t, keys[1], strlen(keys[1])));
	free(nodes);
	free(keys);
}

/* Only metadata.deletionTimestamp marks a version deleting, not its text elsewhere. */
static void
test_deleting_flag(void **state)
{
	struct ksim_store *s = ksim_store_new(100, 10);
	struct ksim_ver *v;
	cJSON *o;

	(void)state;
	o = cJSON_Parse("{\"metadata\":{\"name\":\"a\",\"labels\":{\"deletionTimestamp\":\"x\"},"
	    "\"annotations\":{\"note\":\"deletionTimestamp\",\"deletionTimestamp\":\"y\"}}}");
	v = ksim_store_write(s, NS, "", "a", o);
	assert_non_null(v);
	assert_non_null(strstr(v->json, "\"deletionTimestamp\""));
	assert_false(v->deleting);
	assert_int_equal(ksim_json_set_str(ksim_json_obj(o, "metadata"), "deletionTimestamp",
	    "2026-11-22T03:39:24Z"), 0);
	v = ksim_store_write(s, NS, "", "a", o);
	assert_non_null(v);
	assert_true(v->deleting);
	assert_false(v->deleted);
	cJSON_Delete(o);
	ksim_store_free(s);
}

static void
test_human_duration(void **state)
{
	static const struct { int64_t s; const char *want; } rows[] = {
		{ 0, "0s" }, { 1, "1s" }, { 119, "119s" }, { 120, "2m" }, { 125, "2m5s" },
		{ 600, "10m" }, { 10799, "179m" }, { 3 * 3600, "3h" }, { 3 * 3600 + 600, "3h10m" },
		{ 8 * 3600, "8h" }, { 47 * 3600, "47h" }, { 48 * 3600, "2d" }, { 50 * 3600, "2d2h" },
		{ 8 * 86400, "8d" }, { 730 * 86400, "2y" }, { 800 * 86400, "2y70d" }, { 9 * 365 * 86400LL, "9y" },
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ksim_human_duration(rows[i].s * 1000, buf, sizeof(buf));
		assert_string_equal(buf, rows[i].want);
	}
	ksim_human_duration(-5000, buf, sizeof(buf));
	assert_string_equal(buf, "<invalid>");
	assert_int_equal(ksim_time_parse("2026-11-22T03:39:24Z"), 1795318764000LL);
	assert_int_equal(ksim_time_parse("2026-11-22T03:39:24.5Z"), 1795318764000LL);
	assert_int_equal(ksim_time_parse("yesterday"), -1);
	assert_int_equal(ksim_time_parse(NULL), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_versions_and_snapshots),
		cmocka_unit_test(test_compaction_drops_history),
		cmocka_unit_test(test_ring_window),
		cmocka_unit_test(test_ring_time_window),
		cmocka_unit_test(test_avl_order_under_churn),
		cmocka_unit_test(test_deleting_flag),
		cmocka_unit_test(test_human_duration),
	};

	return cmocka_run_group_tests_name("kubesim_store", tests, NULL, NULL);
}
