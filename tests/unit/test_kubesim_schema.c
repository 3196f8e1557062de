/*
 * Unknown-field pruning: what each kind declares, the paths reported (in
 * document order), and that open parts (below a KubeDB spec field, status,
 * Secret data) are left alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kubesim/schema.h"

#define NS (&ksim_res_table[0])
#define SECRET (&ksim_res_table[1])
#define MONGO (&ksim_res_table[2])

struct seen {
	char paths[512];
	int n;
};

static void
record(void *arg, const char *path)
{
	struct seen *s = arg;
	size_t len = strlen(s->paths);

	snprintf(s->paths + len, sizeof(s->paths) - len, "%s%s", s->n++ > 0 ? "," : "", path);
}

static int
prune(const struct ksim_res *res, const char *json, struct seen *s, char **out)
{
	cJSON *obj = cJSON_Parse(json);
	int n;

	assert_non_null(obj);
	memset(s, 0, sizeof(*s));
	n = ksim_schema_prune(res, obj, record, s);
	*out = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	return n;
}

static void
test_db_kind(void **state)
{
	struct seen s;
	char *out;

	(void)state;
	assert_int_equal(prune(MONGO, "{\"apiVersion\":\"kubedb.com/v1\",\"kind\":\"MongoDB\",\"extra\":1,"
	    "\"metadata\":{\"name\":\"a\",\"colour\":\"red\",\"labels\":{\"any\":\"x\"}},"
	    "\"spec\":{\"replica\":3,\"replicas\":3,\"storage\":{\"whatever\":1},\"mode\":\"Cluster\"},"
	    "\"status\":{\"free\":{\"form\":1}}}", &s, &out), 3);
	assert_string_equal(s.paths, "extra,metadata.colour,spec.replica");
	assert_string_equal(out, "{\"apiVersion\":\"kubedb.com/v1\",\"kind\":\"MongoDB\","
	    "\"metadata\":{\"name\":\"a\",\"labels\":{\"any\":\"x\"}},"
	    "\"spec\":{\"replicas\":3,\"storage\":{\"whatever\":1},\"mode\":\"Cluster\"},"
	    "\"status\":{\"free\":{\"form\":1}}}");
	cJSON_free(out);
}

static void
test_builtin_kinds(void **state)
{
	struct seen s;
	char *out;

	(void)state;
	assert_int_equal(prune(SECRET, "{\"kind\":\"Secret\",\"data\":{\"k\":\"dg==\"},\"dat\":{},"
	    "\"stringData\":{\"a\":\"b\"},\"type\":\"Opaque\"}", &s, &out), 1);
	assert_string_equal(s.paths, "dat");
	cJSON_free(out);
	assert_int_equal(prune(NS, "{\"kind\":\"Namespace\",\"spec\":{\"finalizers\":[],\"x\":1},"
	    "\"status\":{\"phase\":\"Active\",\"y\":2}}", &s, &out), 2);
	assert_string_equal(s.paths, "spec.x,status.y");
	cJSON_free(out);
	/* A declared object field holding a scalar is not looked into (type errors are elsewhere). */
	assert_int_equal(prune(MONGO, "{\"spec\":5,\"metadata\":\"m\"}", &s, &out), 0);
	cJSON_free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_db_kind),
		cmocka_unit_test(test_builtin_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
