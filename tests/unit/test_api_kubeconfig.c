/*
 * The kubeconfig reader: which context is picked, what is taken from its
 * cluster and user, and what is refused (file references, exec plugins,
 * hostile YAML), with messages that never quote credentials.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api/validate.h"

static const char kc[] =
    "apiVersion: v1\n"
    "kind: Config\n"
    "current-context: a\n"
    "clusters:\n"
    "- name: ca\n"
    "  cluster: {server: 'https://a:6443', certificate-authority-data: QUJD}\n"
    "- name: cb\n"
    "  cluster:\n"
    "    server: https://b:6443\n"
    "    insecure-skip-tls-verify: true\n"
    "contexts:\n"
    "- name: a\n"
    "  context: {cluster: ca, user: ua}\n"
    "- name: b\n"
    "  context: {cluster: cb, user: ub}\n"
    "- name: nouser\n"
    "  context: {cluster: cb}\n"
    "users:\n"
    "- name: ua\n"
    "  user: {token: SECRET-TOKEN}\n"
    "- name: ub\n"
    "  user: {client-certificate-data: Q0VSVA==, client-key-data: S0VZ}\n";

static int
parse(const char *text, const char *ctx, struct api_kubeconn *k, char *err, size_t n)
{
	return api_kubeconfig_parse(text, strlen(text), ctx, k, err, n);
}

static void
test_current_context(void **state)
{
	struct api_kubeconn k;
	char err[256];

	(void)state;
	assert_int_equal(parse(kc, NULL, &k, err, sizeof(err)), 0);
	assert_string_equal(k.server, "https://a:6443");
	assert_string_equal(k.ca_data, "QUJD");
	assert_string_equal(k.token, "SECRET-TOKEN");
	assert_null(k.client_cert);
	assert_false(k.insecure);
	api_kubeconn_free(&k);
}

static void
test_named_context(void **state)
{
	struct api_kubeconn k;
	char err[256];

	(void)state;
	assert_int_equal(parse(kc, "b", &k, err, sizeof(err)), 0);
	assert_string_equal(k.server, "https://b:6443");
	assert_null(k.ca_data);
	assert_string_equal(k.client_cert, "Q0VSVA==");
	assert_string_equal(k.client_key, "S0VZ");
	assert_true(k.insecure);
	api_kubeconn_free(&k);
	assert_int_equal(parse(kc, "nouser", &k, err, sizeof(err)), 0);
	assert_null(k.token);
	api_kubeconn_free(&k);
}

struct bad {
	const char *text, *ctx, *msg;
};

static const struct bad bad[] = {
	{ "", NULL, "not a kubeconfig" },
	{ "- a\n- b\n", NULL, "not a kubeconfig" },
	{ "a: [1, 2\n", NULL, "YAML error" },
	{ "clusters: []\n", NULL, "no current-context" },
	{ "current-context: x\n", NULL, "no context named" },
	{ "current-context: x\ncontexts:\n- name: x\n  context: {cluster: nope}\n", NULL,
	  "no known cluster" },
	{ "current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n"
	  "clusters:\n- {name: c, cluster: {server: https://c}}\n", NULL, "no known user" },
	{ "current-context: x\ncontexts:\n- {name: x, context: {cluster: c}}\n"
	  "clusters:\n- {name: c, cluster: {insecure-skip-tls-verify: true}}\n", NULL, "no server" },
	{ "current-context: x\ncontexts:\n- {name: x, context: {cluster: c}}\n"
	  "clusters:\n- {name: c, cluster: {server: https://c, certificate-authority: /ca.pem}}\n",
	  NULL, "certificate-authority is not supported" },
	{ "current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n"
	  "clusters:\n- {name: c, cluster: {server: https://c}}\n"
	  "users:\n- {name: u, user: {exec: {command: gcloud}}}\n", NULL, "exec is not supported" },
	{ "current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n"
	  "clusters:\n- {name: c, cluster: {server: https://c}}\n"
	  "users:\n- {name: u, user: {token: [1, 2]}}\n", NULL, "token must be a non-empty string" },
	{ "current-context: x\ncontexts:\n- {name: x, context: {cluster: c}}\n"
	  "clusters:\n- {name: c, cluster: {server: &s https://c}}\n- {name: d, cluster: *s}\n",
	  NULL, NULL },	/* aliases are fine as long as the result is sane */
	{ "a: &a [*a]\n", NULL, "no current-context" },	/* a self-referencing alias */
};

static void
test_refused(void **state)
{
	struct api_kubeconn k;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc;
		err[0] = '\0';
		rc = parse(bad[i].text, bad[i].ctx, &k, err, sizeof(err));
		if (bad[i].msg == NULL) {
			if (rc != 0)
				fail_msg("case %zu rejected: %s", i, err);
			api_kubeconn_free(&k);
			continue;
		}
		if (rc == 0)
			fail_msg("case %zu accepted", i);
		if (strstr(err, bad[i].msg) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, bad[i].msg);
		assert_null(k.server);
	}
}

static void
test_errors_never_quote_credentials(void **state)
{
	static const char tricky[] =
	    "current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n"
	    "clusters:\n- {name: c, cluster: {server: https://c}}\n"
	    "users:\n- {name: u, user: {token: SECRET-TOKEN, password: SECRET-PW}}\n";
	struct api_kubeconn k;
	char err[256];

	(void)state;
	assert_int_equal(parse(tricky, NULL, &k, err, sizeof(err)), -1);
	assert_null(strstr(err, "SECRET"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_current_context),
		cmocka_unit_test(test_named_context),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_errors_never_quote_credentials),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
