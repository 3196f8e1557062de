/*
 * Label and field selectors: the grammar, the matching rules and the
 * apiserver's error messages, one registered case per table row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kubesim/fieldsel.h"
#include "kubesim/labelsel.h"

static struct ksim_label lab_v[] = {
	{ "app", "web" }, { "tier", "gold" }, { "n", "7" }, { "example.com/team", "db" }, { "empty", "" },
};
static const struct ksim_labels labels = { lab_v, 5 };

struct row {
	const char *sel;
	int match;
};

static const struct row rows[] = {
	{ "", 1 },
	{ "   ", 1 },
	{ "app", 1 },
	{ "!app", 0 },
	{ "missing", 0 },
	{ "!missing", 1 },
	{ "app=web", 1 },
	{ "app==web", 1 },
	{ "app = web", 1 },
	{ "app=db", 0 },
	{ "app!=db", 1 },
	{ "app!=web", 0 },
	{ "missing!=x", 1 },
	{ "app in (web,db)", 1 },
	{ "app in (db)", 0 },
	{ "app notin (db)", 1 },
	{ "app notin (web)", 0 },
	{ "missing notin (x)", 1 },
	{ "missing in (x)", 0 },
	{ "app=web,tier=gold", 1 },
	{ "app=web,tier=silver", 0 },
	{ "n>5", 1 },
	{ "n>7", 0 },
	{ "n<8", 1 },
	{ "app>1", 0 },
	{ "example.com/team=db", 1 },
	{ "empty=", 1 },
	{ "empty in ()", 1 },
	{ "app in (,web)", 1 },
	{ "in=x", 0 },
};

static void
test_row(void **state)
{
	const struct row *r = *state;
	struct ksim_labelsel *sel = NULL;
	char err[256] = "";

	assert_int_equal(ksim_labelsel_parse(r->sel, &sel, err, sizeof(err)), 0);
	assert_int_equal(ksim_labelsel_match(sel, &labels), r->match);
	ksim_labelsel_free(sel);
}

struct bad {
	const char *sel;
	const char *msg;
};

static const struct bad bads[] = {
	{ "app===x", "unable to parse requirement: found '=', expected: identifier" },
	{ "app=x,", "found '', expected: identifier after ','" },
	{ "app x", "unable to parse requirement: found 'x', expected: in, notin, =, ==, !=, gt, lt" },
	{ "app in x", "unable to parse requirement: found 'x' expected: '('" },
	{ "app in (a", "unable to parse requirement: found '', expected: ',' or ')'" },
	{ "n>x", NULL },
	{ "bad key!=x", NULL },
	{ "app=bad value!", NULL },
	{ ",app", "found ',', expected: !, identifier, or 'end of string'" },
	{ "a=b)", "found ')', expected: ',' or 'end of string'" },
};

static void
test_bad(void **state)
{
	const struct bad *b = *state;
	struct ksim_labelsel *sel = NULL;
	char err[256] = "";

	assert_int_equal(ksim_labelsel_parse(b->sel, &sel, err, sizeof(err)), -1);
	assert_null(sel);
	if (b->msg != NULL)
		assert_string_equal(err, b->msg);
	else
		assert_true(err[0] != '\0');
}

static void
test_keys_and_values(void **state)
{
	(void)state;
	assert_true(ksim_label_key_valid("app"));
	assert_true(ksim_label_key_valid("kubernetes.io/metadata.name"));
	assert_false(ksim_label_key_valid("-app"));
	assert_false(ksim_label_key_valid("a/b/c"));
	assert_false(ksim_label_key_valid("Bad_Prefix/x"));
	assert_true(ksim_label_value_valid(""));
	assert_true(ksim_label_value_valid("v1.2_3-x"));
	assert_false(ksim_label_value_valid("x."));
	assert_false(ksim_label_value_valid("0123456789012345678901234567890123456789012345678901234567890123"));
}

static const char *const fields[] = { "metadata.name", "metadata.namespace", NULL };

static const char *
get_field(void *ctx, const char *f)
{
	(void)ctx;
	if (strcmp(f, "metadata.name") == 0)
		return "orders";
	return strcmp(f, "metadata.namespace") == 0 ? "demo" : NULL;
}

static void
test_fieldsel(void **state)
{
	struct ksim_fieldsel *fs = NULL;
	char err[256];

	(void)state;
	assert_int_equal(ksim_fieldsel_parse("metadata.name=orders", fields, &fs, err, sizeof(err)), 0);
	assert_true(ksim_fieldsel_match(fs, get_field, NULL));
	assert_string_equal(ksim_fieldsel_exact(fs, "metadata.name"), "orders");
	ksim_fieldsel_free(fs);
	assert_int_equal(ksim_fieldsel_parse("metadata.name==x,metadata.namespace=demo", fields, &fs,
	    err, sizeof(err)), 0);
	assert_false(ksim_fieldsel_match(fs, get_field, NULL));
	ksim_fieldsel_free(fs);
	assert_int_equal(ksim_fieldsel_parse("metadata.name!=x", fields, &fs, err, sizeof(err)), 0);
	assert_true(ksim_fieldsel_match(fs, get_field, NULL));
	assert_null(ksim_fieldsel_exact(fs, "metadata.name"));
	ksim_fieldsel_free(fs);
	assert_int_equal(ksim_fieldsel_parse("", fields, &fs, err, sizeof(err)), 0);
	assert_true(ksim_fieldsel_match(fs, get_field, NULL));
	ksim_fieldsel_free(fs);
	assert_int_equal(ksim_fieldsel_parse("metadata.name=a\\,b", fields, &fs, err, sizeof(err)), 0);
	assert_string_equal(ksim_fieldsel_exact(fs, "metadata.name"), "a,b");
	ksim_fieldsel_free(fs);
}

static void
test_fieldsel_errors(void **state)
{
	struct ksim_fieldsel *fs = NULL;
	char err[256];

	(void)state;
	assert_int_equal(ksim_fieldsel_parse("spec.version=1", fields, &fs, err, sizeof(err)), -1);
	assert_string_equal(err, "field label not supported: spec.version");
	assert_int_equal(ksim_fieldsel_parse("nonsense", fields, &fs, err, sizeof(err)), -1);
	assert_string_equal(err, "invalid selector: 'nonsense'; can't understand 'nonsense'");
	assert_int_equal(ksim_fieldsel_parse("metadata.name=a\\x", fields, &fs, err, sizeof(err)), -1);
	assert_int_equal(ksim_fieldsel_parse("metadata.name=a,", fields, &fs, err, sizeof(err)), -1);
	assert_null(fs);
}

int
main(void)
{
	struct CMUnitTest tests[sizeof(rows) / sizeof(rows[0]) + sizeof(bads) / sizeof(bads[0]) + 3];
	char names[sizeof(tests) / sizeof(tests[0])][96];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++, n++) {
		snprintf(names[n], sizeof(names[n]), "match \"%s\" -> %d", rows[i].sel, rows[i].match);
		tests[n] = (struct CMUnitTest){ names[n], test_row, NULL, NULL, (void *)&rows[i] };
	}
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++, n++) {
		snprintf(names[n], sizeof(names[n]), "reject \"%s\"", bads[i].sel);
		tests[n] = (struct CMUnitTest){ names[n], test_bad, NULL, NULL, (void *)&bads[i] };
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_keys_and_values);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_fieldsel);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_fieldsel_errors);
	return _cmocka_run_group_tests("kubesim_selectors", tests, n, NULL, NULL);
}
