/*
 * Continue tokens: byte-compatible with the apiserver's (the tokens of the
 * kube-samples captures decode and re-encode identically), and every kind
 * of garbage rejected with the apiserver's reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kubesim/contok.h"

/* From list-limit1.http and list-410-continue-expired.http. */
static const char real_tok[] = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MjA3LCJzdGFydCI6Im1nLWFcdTAwMDAifQ";
static const char real_expired[] = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6LTEsInN0YXJ0IjoibWctYVx1MDAwMCJ9";

static void
test_decode_real(void **state)
{
	struct ksim_contok t;
	char err[256];

	(void)state;
	assert_int_equal(ksim_contok_decode(real_tok, &t, err, sizeof(err)), 0);
	assert_int_equal(t.rv, 207);
	assert_int_equal(t.startlen, 5);
	assert_memory_equal(t.start, "mg-a\0", 5);
	assert_int_equal(ksim_contok_decode(real_expired, &t, err, sizeof(err)), 0);
	assert_int_equal(t.rv, -1);
}

static void
test_encode_matches_real(void **state)
{
	char out[256];

	(void)state;
	assert_true(ksim_contok_encode(207, "mg-a\0", 5, out, sizeof(out)) > 0);
	assert_string_equal(out, real_tok);
	assert_true(ksim_contok_encode(-1, "mg-a\0", 5, out, sizeof(out)) > 0);
	assert_string_equal(out, real_expired);
}

static void
test_round_trip_namespaced_key(void **state)
{
	struct ksim_contok t;
	char out[256], err[256];

	(void)state;
	assert_true(ksim_contok_encode(99, "demo/orders\0", 12, out, sizeof(out)) > 0);
	assert_int_equal(ksim_contok_decode(out, &t, err, sizeof(err)), 0);
	assert_int_equal(t.rv, 99);
	assert_memory_equal(t.start, "demo/orders\0", 12);
}

struct bad {
	const char *tok;
	const char *msg;
};

static const struct bad bads[] = {
	{ "%%%", "continue key is not valid: illegal base64 data at input byte 0" },
	{ "abcde", "continue key is not valid: illegal base64 data at input byte 4" },
	{ "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MCwic3RhcnQiOiJ4In0",	/* rv 0 */
	  "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)" },
	{ "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NSwic3RhcnQiOiIifQ",	/* empty start */
	  "continue key is not valid: encoded start key empty (version meta.k8s.io/v1)" },
	{ "eyJ2IjoieCIsInJ2Ijo1LCJzdGFydCI6InkifQ",			/* v: "x" */
	  "continue key is not valid: server does not recognize this encoded version x" },
	{ "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NSwic3RhcnQiOiIuLi94In0",	/* ../x */
	  "continue key is not valid: ../x" },
	{ "bm90IGpzb24", "continue key is not valid: invalid character in the token's JSON" },
};

static void
test_bad(void **state)
{
	const struct bad *b = *state;
	struct ksim_contok t;
	char err[256];

	assert_int_equal(ksim_contok_decode(b->tok, &t, err, sizeof(err)), -1);
	assert_string_equal(err, b->msg);
}

static void
test_b64_round_trip(void **state)
{
	unsigned char in[64], back[64];
	char enc[128];
	size_t bad;

	(void)state;
	for (size_t n = 0; n < sizeof(in); n++) {
		for (size_t i = 0; i < n; i++)
			in[i] = (unsigned char)(i * 37 + n);
		assert_true(ksim_b64url_encode(in, n, enc, sizeof(enc)) >= 0);
		assert_null(strchr(enc, '='));
		assert_int_equal(ksim_b64url_decode(enc, strlen(enc), back, sizeof(back), &bad), (int)n);
		assert_memory_equal(in, back, n);
	}
}

/* The padded standard form Secret data uses (RFC 4648 test vectors, plus +/). */
static void
test_b64_std(void **state)
{
	static const struct { const char *in, *want; } rows[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
		{ "\xfb\xff", "+/8=" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *enc = ksim_b64_encode((const unsigned char *)rows[i].in, strlen(rows[i].in));

		assert_non_null(enc);
		assert_string_equal(enc, rows[i].want);
		free(enc);
	}
}

int
main(void)
{
	struct CMUnitTest tests[sizeof(bads) / sizeof(bads[0]) + 5];
	size_t n = 0;

	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_decode_real);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_encode_matches_real);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_round_trip_namespaced_key);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_b64_round_trip);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_b64_std);
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
		tests[n++] = (struct CMUnitTest){ bads[i].tok, test_bad, NULL, NULL, (void *)&bads[i] };
	return _cmocka_run_group_tests("kubesim_contok", tests, n, NULL, NULL);
}
