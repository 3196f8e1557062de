/*
 * JSON merge patch (RFC 7386, its appendix A examples) and JSON patch
 * (RFC 6902 operations and failures), plus the JSON helpers that shape
 * stored objects (sorted keys, Go struct order, curl pretty printing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "kubesim/jsonx.h"
#include "kubesim/patch.h"

struct row {
	const char *doc, *patch, *want;
};

static const struct row merge_rows[] = {
	{ "{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}" },
	{ "{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}" },
	{ "{\"a\":\"b\"}", "{\"a\":null}", "{}" },
	{ "{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}" },
	{ "{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}" },
	{ "{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}" },
	{ "{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}" },
	{ "{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}" },
	{ "[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]" },
	{ "{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]" },
	{ "{\"a\":\"foo\"}", "null", "null" },
	{ "{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}" },
	{ "[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}" },
	{ "{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}" },
};

static void
check_equal(cJSON *got, const char *want)
{
	cJSON *w = cJSON_Parse(want);

	assert_non_null(w);
	if (!cJSON_Compare(got, w, 1)) {
		char *s = cJSON_PrintUnformatted(got);

		fail_msg("got %s, want %s", s, want);
	}
	cJSON_Delete(w);
}

static void
test_merge(void **state)
{
	const struct row *r = *state;
	cJSON *doc = cJSON_Parse(r->doc), *patch = cJSON_Parse(r->patch);

	assert_int_equal(ksim_merge_patch(&doc, patch), 0);
	check_equal(doc, r->want);
	cJSON_Delete(doc);
	cJSON_Delete(patch);
}

static const struct row json_rows[] = {
	{ "{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]", "{\"foo\":\"bar\",\"baz\":\"qux\"}" },
	{ "{\"foo\":[\"bar\",\"baz\"]}", "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]", "{\"foo\":[\"bar\",\"qux\",\"baz\"]}" },
	{ "{\"foo\":[1]}", "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":2}]", "{\"foo\":[1,2]}" },
	{ "{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"remove\",\"path\":\"/baz\"}]", "{\"foo\":\"bar\"}" },
	{ "{\"foo\":[\"bar\",\"qux\",\"baz\"]}", "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]", "{\"foo\":[\"bar\",\"baz\"]}" },
	{ "{\"baz\":\"qux\"}", "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]", "{\"baz\":\"boo\"}" },
	{ "{\"foo\":{\"bar\":\"baz\"},\"q\":{}}", "[{\"op\":\"move\",\"from\":\"/foo/bar\",\"path\":\"/q/b\"}]",
	  "{\"foo\":{},\"q\":{\"b\":\"baz\"}}" },
	{ "{\"a\":{\"b\":1}}", "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c\"}]", "{\"a\":{\"b\":1},\"c\":{\"b\":1}}" },
	{ "{\"a/b\":1,\"m~n\":2}", "[{\"op\":\"test\",\"path\":\"/a~1b\",\"value\":1},"
	  "{\"op\":\"replace\",\"path\":\"/m~0n\",\"value\":3}]", "{\"a/b\":1,\"m~n\":3}" },
	{ "{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":[1]}]", "[1]" },
	{ "{\"spec\":{\"replicas\":1}}", "[]", "{\"spec\":{\"replicas\":1}}" },
};

static void
test_json(void **state)
{
	const struct row *r = *state;
	cJSON *doc = cJSON_Parse(r->doc), *ops = cJSON_Parse(r->patch);
	char err[256];

	assert_int_equal(ksim_json_patch(&doc, ops, err, sizeof(err)), 0);
	check_equal(doc, r->want);
	cJSON_Delete(doc);
	cJSON_Delete(ops);
}

struct bad {
	const char *doc, *patch;
	int rc;
};

static const struct bad json_bads[] = {
	{ "{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":2}]", KSIM_PATCH_FAILED },
	{ "{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/b\",\"value\":1}]", KSIM_PATCH_FAILED },
	{ "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/b\"}]", KSIM_PATCH_FAILED },
	{ "{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/b\",\"value\":1}]", KSIM_PATCH_FAILED },
	{ "{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/5\",\"value\":1}]", KSIM_PATCH_FAILED },
	{ "{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/01\",\"value\":1}]", KSIM_PATCH_FAILED },
	{ "{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/x/y\",\"value\":1}]", KSIM_PATCH_FAILED },
	{ "{\"a\":{\"b\":1}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b/c\"}]", KSIM_PATCH_FAILED },
	{ "{\"a\":1}", "{\"op\":\"add\"}", KSIM_PATCH_BAD_DOC },
	{ "{\"a\":1}", "[{\"op\":\"frob\",\"path\":\"/a\"}]", KSIM_PATCH_BAD_DOC },
	{ "{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/a\"}]", KSIM_PATCH_BAD_DOC },
	{ "{\"a\":1}", "[{\"op\":\"add\",\"value\":1}]", KSIM_PATCH_BAD_DOC },
	{ "{\"a\":1}", "[{\"op\":\"add\",\"path\":\"a\",\"value\":1}]", KSIM_PATCH_FAILED },
	{ "{\"a\":1}", "[1]", KSIM_PATCH_BAD_DOC },
};

static void
test_json_bad(void **state)
{
	const struct bad *b = *state;
	cJSON *doc = cJSON_Parse(b->doc), *ops = cJSON_Parse(b->patch);
	char err[256] = "";

	assert_int_equal(ksim_json_patch(&doc, ops, err, sizeof(err)), b->rc);
	assert_true(err[0] != '\0');
	cJSON_Delete(doc);
	cJSON_Delete(ops);
}

static void
test_sort_and_order(void **state)
{
	cJSON *o = cJSON_Parse("{\"spec\":{\"z\":1,\"a\":[{\"y\":1,\"b\":2}]},\"kind\":\"K\",\"apiVersion\":\"v\"}");
	static const char *const order[] = { "kind", "apiVersion", "metadata", NULL };
	char *s;

	(void)state;
	ksim_json_sort(o);
	s = cJSON_PrintUnformatted(o);
	assert_string_equal(s, "{\"apiVersion\":\"v\",\"kind\":\"K\",\"spec\":{\"a\":[{\"b\":2,\"y\":1}],\"z\":1}}");
	cJSON_free(s);
	ksim_json_order(o, order);
	cJSON_AddNumberToObject(o, "last", 1);	/* appends still work after relinking */
	s = cJSON_PrintUnformatted(o);
	assert_string_equal(s, "{\"kind\":\"K\",\"apiVersion\":\"v\",\"spec\":{\"a\":[{\"b\":2,\"y\":1}],\"z\":1},\"last\":1}");
	cJSON_free(s);
	cJSON_Delete(o);
}

static void
test_pretty(void **state)
{
	struct evbuffer *b = evbuffer_new();
	const char in[] = "{\"a\":{},\"b\":[1,{\"c\":\"x,y:{\\\"}\"}],\"d\":[]}";
	const char want[] = "{\n  \"a\": {},\n  \"b\": [\n    1,\n    {\n      \"c\": \"x,y:{\\\"}\"\n"
	    "    }\n  ],\n  \"d\": []\n}";
	size_t n;
	char *out;

	(void)state;
	assert_int_equal(ksim_json_pretty(b, in, sizeof(in) - 1), 0);
	n = evbuffer_get_length(b);
	out = calloc(1, n + 1);
	evbuffer_remove(b, out, n);
	assert_string_equal(out, want);
	free(out);
	evbuffer_free(b);
}

static void
test_paths(void **state)
{
	cJSON *o = cJSON_Parse("{\"metadata\":{\"name\":\"x\",\"generation\":3}}");

	(void)state;
	assert_string_equal(ksim_json_str(o, "metadata.name"), "x");
	assert_int_equal(ksim_json_int(o, "metadata.generation", 0), 3);
	assert_null(ksim_json_str(o, "metadata.generation"));
	assert_null(ksim_json_at(o, "metadata.name.deeper"));
	assert_non_null(ksim_json_obj(o, "spec.podTemplate.spec"));
	assert_non_null(ksim_json_at(o, "spec.podTemplate.spec"));
	cJSON_Delete(o);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

int
main(void)
{
	struct CMUnitTest tests[N(merge_rows) + N(json_rows) + N(json_bads) + 3];
	char names[N(tests)][64];
	size_t n = 0;

	for (size_t i = 0; i < N(merge_rows); i++, n++) {
		snprintf(names[n], sizeof(names[n]), "merge patch row %zu", i);
		tests[n] = (struct CMUnitTest){ names[n], test_merge, NULL, NULL, (void *)&merge_rows[i] };
	}
	for (size_t i = 0; i < N(json_rows); i++, n++) {
		snprintf(names[n], sizeof(names[n]), "json patch row %zu", i);
		tests[n] = (struct CMUnitTest){ names[n], test_json, NULL, NULL, (void *)&json_rows[i] };
	}
	for (size_t i = 0; i < N(json_bads); i++, n++) {
		snprintf(names[n], sizeof(names[n]), "json patch rejects row %zu", i);
		tests[n] = (struct CMUnitTest){ names[n], test_json_bad, NULL, NULL, (void *)&json_bads[i] };
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_sort_and_order);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_pretty);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_paths);
	return _cmocka_run_group_tests("kubesim_patch", tests, n, NULL, NULL);
}
