/* Strict JSON input: what is rejected before parsing, and the typed readers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/json.h"

static cJSON *
parse(const char *s, struct jerr *e)
{
	return json_parse_strict(s, strlen(s), 16, e);
}

static void
test_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"", "{", "{\"a\":1", "{\"a\":1} x", "[1,]", "{'a':1}", "nul",
		"\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xe2\x82\"",
		"[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]",	/* 17 levels */
		/* Not RFC 8259, though cJSON takes them. */
		"1.", "00003", "[01]", "+1", "-", ".5", "1e", "1e+", "-01", "[1.e5]",
		"\xef\xbb\xbf{}", "\"a\tb\"", "\"\\x\"", "\"\\u12\"", "tru", "[1 2]",
		"{\"a\" 1}", "{\"a\":1,}",
	};
	struct jerr e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		if (parse(bad[i], &e) != NULL)
			fail_msg("accepted: %s", bad[i]);
		assert_true(e.msg[0] != '\0');
	}
	/* An embedded NUL is not text either. */
	assert_null(json_parse_strict("{\"a\":\"\0\"}", 9, 16, &e));
}

static void
test_parse_accepts(void **state)
{
	static const char *const good[] = {
		"{}", " {\"a\": [1, 2, {\"b\": null}]} \n", "\"h\xc3\xa9llo \xf0\x9f\x98\x80\"",
		"[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]",	/* exactly 16 levels */
		"{\"s\": \"[[[[[[[[[[[[[[[[[[[[\"}",	/* brackets inside strings do not count */
		"0", "-0.5e+10", "[1E5, 2e-3, -0, 10]", "\"\\u00e9\\ud83d\\ude00\\/\\b\"",
		"{\"a\":{\"b\":[true,false,null]}}",
	};
	struct jerr e;
	cJSON *j;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		j = parse(good[i], &e);
		if (j == NULL)
			fail_msg("rejected: %s (%s)", good[i], e.msg);
		cJSON_Delete(j);
	}
}

/* An escaped NUL would end the C string callers read: refused, naming the field. */
static void
test_parse_escaped_nul(void **state)
{
	struct jerr e;

	(void)state;
	assert_null(parse("{\"name\": \"ab\\u0000cd\"}", &e));
	assert_string_equal(e.field, "name");
	assert_non_null(strstr(e.msg, "NUL"));
	assert_null(parse("{\"a\": {\"b\": [1, \"\\u0000\"]}}", &e));
	assert_string_equal(e.field, "a.b[1]");
	assert_null(parse("{\"x\\u0000y\": 1}", &e));
	assert_null(parse("{\"n\": 00003}", &e));
	assert_string_equal(e.field, "n");
	assert_non_null(strstr(e.msg, "malformed number"));
}

static void
test_depth_message(void **state)
{
	struct jerr e;

	(void)state;
	assert_null(parse("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", &e));
	assert_string_equal(e.msg, "JSON nested deeper than 16 levels");
}

static void
test_readers(void **state)
{
	struct jerr e;
	cJSON *j = parse("{\"name\":\"orders\",\"replicas\":3,\"big\":1e300,\"frac\":1.5,"
	    "\"neg\":-2,\"flag\":true,\"nul\":null,\"o\":{\"x\":1},\"a\":[1]}", &e);
	const char *s;
	int64_t n;
	int b;
	const cJSON *o;

	(void)state;
	assert_non_null(j);
	assert_int_equal(json_get_str(j, "", "name", JSON_REQUIRED, &s, &e), 0);
	assert_string_equal(s, "orders");
	assert_int_equal(json_get_i64(j, "", "replicas", 1, 1, 9, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(json_get_i64(j, "spec", "replicas", 1, 5, 9, &n, &e), -1);
	assert_string_equal(e.field, "spec.replicas");
	assert_string_equal(e.msg, "must be between 5 and 9, got 3");
	assert_int_equal(json_get_i64(j, "", "frac", 1, 0, 9, &n, &e), -1);
	assert_string_equal(e.msg, "must be an integer");
	assert_int_equal(json_get_i64(j, "", "big", 1, 0, INT64_MAX, &n, &e), -1);
	assert_int_equal(json_get_i64(j, "", "neg", 1, -5, 5, &n, &e), 0);
	assert_int_equal(n, -2);
	assert_int_equal(json_get_str(j, "", "replicas", 1, &s, &e), -1);
	assert_string_equal(e.msg, "must be a string");
	assert_int_equal(json_get_bool(j, "", "flag", 1, &b, &e), 0);
	assert_true(b);
	assert_int_equal(json_get_bool(j, "", "name", 1, &b, &e), -1);
	assert_int_equal(json_get_str(j, "", "nul", JSON_OPTIONAL, &s, &e), 1);
	assert_int_equal(json_get_str(j, "", "nul", JSON_REQUIRED, &s, &e), -1);
	assert_string_equal(e.msg, "is required");
	assert_int_equal(json_get_str(j, "", "missing", JSON_OPTIONAL, &s, &e), 1);
	assert_int_equal(json_get_obj(j, "", "o", 1, &o, &e), 0);
	assert_int_equal(json_get_obj(j, "", "a", 1, &o, &e), -1);
	assert_int_equal(json_get_arr(j, "", "a", 1, &o, &e), 0);
	assert_int_equal(json_get_arr(j, "", "o", 1, &o, &e), -1);
	/* Looking into something that is not an object finds nothing. */
	assert_int_equal(json_get_str(cJSON_GetObjectItem(j, "a"), "a", "x", 0, &s, &e), 1);
	cJSON_Delete(j);
}

static void
test_check_keys(void **state)
{
	static const char *const allowed[] = { "name", "size", NULL };
	struct jerr e;
	cJSON *ok = parse("{\"name\":\"a\",\"size\":\"b\"}", &e);
	cJSON *unknown = parse("{\"name\":\"a\",\"colour\":\"b\"}", &e);
	cJSON *dup = parse("{\"name\":\"a\",\"name\":\"b\"}", &e);

	(void)state;
	assert_int_equal(json_check_keys(ok, "", allowed, &e), 0);
	assert_int_equal(json_check_keys(unknown, "body", allowed, &e), -1);
	assert_string_equal(e.field, "body.colour");
	assert_string_equal(e.msg, "unknown field");
	assert_int_equal(json_check_keys(dup, "", allowed, &e), -1);
	assert_string_equal(e.field, "name");
	assert_string_equal(e.msg, "field given more than once");
	cJSON_Delete(ok);
	cJSON_Delete(unknown);
	cJSON_Delete(dup);
}

static void
test_utf8(void **state)
{
	(void)state;
	assert_true(json_utf8_valid("plain", 5));
	assert_true(json_utf8_valid("\xc3\xa9", 2));
	assert_true(json_utf8_valid("\xf4\x8f\xbf\xbf", 4));	/* U+10FFFF */
	assert_false(json_utf8_valid("\xf4\x90\x80\x80", 4));	/* beyond U+10FFFF */
	assert_false(json_utf8_valid("\xe0\x80\xaf", 3));	/* overlong */
	assert_false(json_utf8_valid("\xc3", 1));		/* truncated */
	assert_false(json_utf8_valid("\x80", 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_parse_accepts),
		cmocka_unit_test(test_parse_escaped_nul),
		cmocka_unit_test(test_depth_message),
		cmocka_unit_test(test_readers),
		cmocka_unit_test(test_check_keys),
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
