/*
 * The API's request validators, table-driven: each body gets the expected
 * status and first field, so every rule of api.md is pinned down here as
 * well as end to end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api/api_int.h"
#include "api/validate.h"
#include "common/config.h"
#include "common/json.h"

#define PRV "\"provider_id\": \"prv-01JD3K5Q7W8X9Y0Z1A2B3C4D5E\""
#define OK_DB "\"name\": \"orders\", \"engine\": \"postgres\", \"version\": \"16.4\", " \
	"\"size\": \"db.t3.large\", \"replicas\": 3, \"storage_gb\": 50, " PRV

struct vcase {
	const char *body;
	int status;		/* 0 = valid */
	const char *field;
	const char *msg;	/* substring of that field's message */
};

static const struct vcase create_cases[] = {
	{ "{" OK_DB "}", 0, NULL, NULL },
	{ "{" OK_DB ", \"namespace\": \"team-a\", \"deletion_policy\": \"WipeOut\"}", 0, NULL, NULL },
	{ "{\"name\": \"a\", \"engine\": \"mongodb\", \"version\": \"7.0.16\", \"size\": "
	  "\"db.t3.micro\", \"replicas\": 1, \"storage_gb\": 1, " PRV "}", 0, NULL, NULL },
	{ "[]", 400, "", "JSON object" },
	{ "{" OK_DB ", \"x\": 1}", 400, "x", "unknown field" },
	{ "{" OK_DB ", \"name\": \"again\"}", 400, "name", "given twice" },
	{ "{\"name\": \"orders\"}", 400, "engine", "required" },
	{ "{\"name\": 1, \"engine\": \"postgres\", \"version\": \"16.4\", \"size\": \"db.t3.large\", "
	  "\"replicas\": 3, \"storage_gb\": 50, " PRV "}", 400, "name", "must be a string" },
	{ "{\"name\": \"o\", \"engine\": \"postgres\", \"version\": \"16.4\", \"size\": \"db.t3.large\", "
	  "\"replicas\": 2.5, \"storage_gb\": 50, " PRV "}", 400, "replicas", "integer" },
	{ "{\"name\": \"o\", \"engine\": \"postgres\", \"version\": \"16.4\", \"size\": \"db.t3.large\", "
	  "\"replicas\": 1e300, \"storage_gb\": 50, " PRV "}", 400, "replicas", "integer" },
	{ "{\"name\": \"o\", \"engine\": \"postgres\", \"version\": \"16.4\", \"size\": \"db.t3.large\", "
	  "\"replicas\": 3, \"storage_gb\": 1e19, " PRV "}", 400, "storage_gb", "integer" },
	{ "{\"name\": \"o\", \"engine\": \"postgres\", \"version\": \"16.4\", \"size\": \"db.t3.large\", "
	  "\"replicas\": 3, \"storage_gb\": 9223372036854775807, " PRV "}", 400, "storage_gb", "integer" },
	{ "{\"name\": \"o\", \"engine\": \"postgres\", \"version\": \"16.4\", \"size\": \"db.t3.large\", "
	  "\"replicas\": 3, \"storage_gb\": -1e19, " PRV "}", 400, "storage_gb", "integer" },
	{ "{\"name\": \"o\", \"engine\": \"postgres\", \"version\": \"16.4\", \"size\": \"db.t3.large\", "
	  "\"replicas\": 3, \"storage_gb\": 1e400, " PRV "}", 400, "storage_gb", "integer" },
	{ "{\"name\": \"o\", \"engine\": \"postgres\", \"version\": \"16.4\", \"size\": \"db.t3.large\", "
	  "\"replicas\": 3, \"storage_gb\": -9223372036854775809, " PRV "}", 400, "storage_gb", "integer" },
	{ "{\"name\": \"Orders\", \"engine\": \"postgres\", \"version\": \"16.4\", \"size\": "
	  "\"db.t3.large\", \"replicas\": 3, \"storage_gb\": 50, " PRV "}", 422, "name", "DNS-1123" },
	{ "{\"name\": \"orders-\", \"engine\": \"postgres\", \"version\": \"16.4\", \"size\": "
	  "\"db.t3.large\", \"replicas\": 3, \"storage_gb\": 50, " PRV "}", 422, "name", "DNS-1123" },
	{ "{\"name\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"engine\": \"postgres\", "
	  "\"version\": \"16.4\", \"size\": \"db.t3.large\", \"replicas\": 3, \"storage_gb\": 50, "
	  PRV "}", 422, "name", "at most 40" },
	{ "{\"name\": \"o\", \"engine\": \"db2\", \"version\": \"1\", \"size\": \"db.t3.large\", "
	  "\"replicas\": 3, \"storage_gb\": 50, " PRV "}", 422, "engine", "unknown engine" },
	{ "{\"name\": \"o\", \"engine\": \"postgres\", \"version\": \"7\", \"size\": \"db.t3.large\", "
	  "\"replicas\": 3, \"storage_gb\": 50, " PRV "}", 422, "version", "not offered" },
	{ "{\"name\": \"o\", \"engine\": \"postgres\", \"version\": \"16.4\", \"size\": \"xl\", "
	  "\"replicas\": 3, \"storage_gb\": 50, " PRV "}", 422, "size", "unknown size" },
	{ "{\"name\": \"o\", \"engine\": \"mysql\", \"version\": \"8.4.3\", \"size\": \"db.t3.large\", "
	  "\"replicas\": 2, \"storage_gb\": 50, " PRV "}", 422, "replicas", "1 (standalone) or 3 to 9" },
	{ "{\"name\": \"o\", \"engine\": \"postgres\", \"version\": \"16.4\", \"size\": \"db.t3.large\", "
	  "\"replicas\": 6, \"storage_gb\": 50, " PRV "}", 422, "replicas", "1 to 5, got 6" },
	{ "{\"name\": \"o\", \"engine\": \"postgres\", \"version\": \"16.4\", \"size\": \"db.t3.large\", "
	  "\"replicas\": 3, \"storage_gb\": 0, " PRV "}", 422, "storage_gb", "between 1 and 65536" },
	{ "{\"name\": \"o\", \"engine\": \"postgres\", \"version\": \"16.4\", \"size\": \"db.t3.large\", "
	  "\"replicas\": 3, \"storage_gb\": 5, \"provider_id\": \"p1\"}", 422, "provider_id", "prv-" },
	{ "{" OK_DB ", \"namespace\": \"a_b\"}", 422, "namespace", "DNS-1123" },
	{ "{" OK_DB ", \"deletion_policy\": \"Never\"}", 422, "deletion_policy", "one of" },
	{ "{" OK_DB ", \"tenant\": \"acme\"}", 422, "tenant", "only admin keys" },
};

static struct cfg *cfg;

static int
setup(void **state)
{
	(void)state;
	cfg = cfg_defaults();
	return cfg != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	cfg_free(cfg);
	return 0;
}

/* Check E against C (the first error of the list must be C's). */
static void
expect(const struct vcase *c, int rc, struct api_verr *e)
{
	const cJSON *first;

	if (c->status == 0) {
		if (rc != 0)
			fail_msg("rejected %s: %s", c->body, e->detail);
		return;
	}
	if (rc == 0)
		fail_msg("accepted %s", c->body);
	assert_int_equal(e->status, c->status);
	first = cJSON_GetArrayItem(e->errors, 0);
	assert_string_equal(cJSON_GetObjectItem(first, "field")->valuestring, c->field);
	if (strstr(cJSON_GetObjectItem(first, "message")->valuestring, c->msg) == NULL)
		fail_msg("%s: message \"%s\" lacks \"%s\"", c->body,
		    cJSON_GetObjectItem(first, "message")->valuestring, c->msg);
}

static void
test_create(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(create_cases) / sizeof(create_cases[0]); i++) {
		const struct vcase *c = &create_cases[i];
		struct api_verr e = { 0 };
		struct api_db_spec s;
		cJSON *j = cJSON_Parse(c->body);

		assert_non_null(j);
		expect(c, api_val_db_create(j, cfg, 0, &s, &e), &e);
		api_verr_clear(&e);
		cJSON_Delete(j);
	}
}

static void
test_create_admin_needs_tenant(void **state)
{
	struct api_verr e = { 0 };
	struct api_db_spec s;
	cJSON *j = cJSON_Parse("{" OK_DB "}");

	(void)state;
	assert_int_equal(api_val_db_create(j, cfg, 1, &s, &e), -1);
	assert_string_equal(e.detail, "tenant: required when an admin key creates a database");
	api_verr_clear(&e);
	cJSON_Delete(j);
	j = cJSON_Parse("{" OK_DB ", \"tenant\": \"acme\"}");
	assert_int_equal(api_val_db_create(j, cfg, 1, &s, &e), 0);
	assert_string_equal(s.tenant, "acme");
	assert_int_equal(s.engine, ENGINE_POSTGRES);
	assert_int_equal(s.replicas, 3);
	cJSON_Delete(j);
}

struct pcase {
	enum cfg_engine_id engine;
	int64_t replicas, storage;
	struct vcase v;
};

static const struct pcase patch_cases[] = {
	{ ENGINE_POSTGRES, 3, 50, { "{\"size\": \"db.t3.small\"}", 0, NULL, NULL } },
	{ ENGINE_POSTGRES, 3, 50, { "{\"storage_gb\": 50}", 0, NULL, NULL } },
	{ ENGINE_POSTGRES, 3, 50, { "{\"storage_gb\": 20}", 422, "storage_gb",
	    "storage_gb cannot decrease (current 50, requested 20)" } },
	{ ENGINE_POSTGRES, 3, 50, { "{}", 422, "", "nothing to change" } },
	{ ENGINE_POSTGRES, 3, 50, { "{\"name\": \"x\"}", 400, "name", "unknown field" } },
	{ ENGINE_POSTGRES, 1, 50, { "{\"replicas\": 5}", 0, NULL, NULL } },
	{ ENGINE_POSTGRES, 3, 50, { "{\"replicas\": 1}", 0, NULL, NULL } },
	{ ENGINE_MONGODB, 1, 50, { "{\"replicas\": 3}", 422, "replicas", "cannot be scaled out" } },
	{ ENGINE_MONGODB, 1, 50, { "{\"replicas\": 1}", 0, NULL, NULL } },
	{ ENGINE_MONGODB, 3, 50, { "{\"replicas\": 1}", 422, "replicas", "cannot be scaled down to 1" } },
	{ ENGINE_MONGODB, 3, 50, { "{\"replicas\": 7}", 0, NULL, NULL } },
	{ ENGINE_MONGODB, 3, 50, { "{\"replicas\": 8}", 422, "replicas", "3 to 7, got 8" } },
	{ ENGINE_MONGODB, 3, 50, { "{\"version\": \"8.0.17\"}", 0, NULL, NULL } },
	{ ENGINE_MONGODB, 3, 50, { "{\"version\": \"16.4\"}", 422, "version", "not offered" } },
	{ ENGINE_REDIS, 1, 5, { "{\"replicas\": 2}", 422, "replicas", "exactly 1" } },
};

static void
test_patch(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(patch_cases) / sizeof(patch_cases[0]); i++) {
		const struct pcase *p = &patch_cases[i];
		struct api_db_current cur = { p->engine, p->replicas, p->storage };
		struct api_verr e = { 0 };
		struct api_db_spec s;
		cJSON *j = cJSON_Parse(p->v.body);

		assert_non_null(j);
		expect(&p->v, api_val_db_patch(j, cfg, &cur, &s, &e), &e);
		api_verr_clear(&e);
		cJSON_Delete(j);
	}
}

static const struct vcase key_cases[] = {
	{ "{\"role\": \"admin\"}", 0, NULL, NULL },
	{ "{\"role\": \"tenant\", \"tenant\": \"acme\", \"name\": \"ci\"}", 0, NULL, NULL },
	{ "{}", 400, "role", "required" },
	{ "{\"role\": \"owner\"}", 422, "role", "admin or tenant" },
	{ "{\"role\": \"tenant\"}", 422, "tenant", "required" },
	{ "{\"role\": \"admin\", \"tenant\": \"acme\"}", 422, "tenant", "no tenant" },
	{ "{\"role\": \"tenant\", \"tenant\": \"ACME\"}", 422, "tenant", "DNS-1123" },
	{ "{\"role\": true}", 400, "role", "string" },
};

static void
test_keys(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++) {
		struct api_verr e = { 0 };
		struct api_key_spec s;
		cJSON *j = cJSON_Parse(key_cases[i].body);

		expect(&key_cases[i], api_val_key(j, &s, &e), &e);
		api_verr_clear(&e);
		cJSON_Delete(j);
	}
}

static const struct vcase provider_cases[] = {
	{ "{\"name\": \"k\", \"server\": \"https://k:6443\", \"token\": \"t\"}", 0, NULL, NULL },
	{ "{\"name\": \"k\", \"server\": \"http://k\", \"qps\": 0.5, \"burst\": 3}", 0, NULL, NULL },
	{ "{\"server\": \"https://k\"}", 400, "name", "required" },
	{ "{\"name\": \"k\"}", 400, "server", "required" },
	{ "{\"name\": \"k\", \"server\": \"k:6443\"}", 422, "server", "URL" },
	{ "{\"name\": \"k\", \"server\": \"https://\"}", 422, "server", "URL" },
	{ "{\"name\": \"k\", \"server\": \"https://k\", \"ca_data\": \"@@\"}", 422, "ca_data", "base64" },
	{ "{\"name\": \"k\", \"server\": \"https://k\", \"client_key\": \"QUJD\"}", 422, "client_key",
	  "go together" },
	{ "{\"name\": \"k\", \"server\": \"https://k\", \"token\": \"a b\"}", 422, "token", "printable" },
	{ "{\"name\": \"k\", \"server\": \"https://k\", \"qps\": \"5\"}", 400, "qps", "number" },
	{ "{\"name\": \"k\", \"server\": \"https://k\", \"enabled\": 1}", 400, "enabled", "boolean" },
	{ "{\"name\": \"k\", \"server\": \"https://k\", \"burst\": 2.5}", 400, "burst", "integer" },
	{ "{\"name\": \"k\", \"server\": \"https://k\", \"burst\": 1e300}", 400, "burst", "integer" },
	{ "{\"name\": \"k\", \"kubeconfig\": \"x: 1\", \"token\": \"t\"}", 422, "token", "combined" },
	{ "{\"name\": \"k\", \"kubeconfig\": \"x: 1\"}", 422, "kubeconfig", "current-context" },
};

static void
test_providers(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(provider_cases) / sizeof(provider_cases[0]); i++) {
		struct api_verr e = { 0 };
		struct api_provider_spec s;
		cJSON *j = cJSON_Parse(provider_cases[i].body);

		expect(&provider_cases[i], api_val_provider(j, 0, &s, &e), &e);
		api_provider_spec_free(&s);
		api_verr_clear(&e);
		cJSON_Delete(j);
	}
}

/* Input quoted in a message is cut on a character boundary: the reply stays UTF-8. */
static void
test_messages_stay_utf8(void **state)
{
	char body[512];
	struct api_verr e = { 0 };
	struct api_db_spec d;
	cJSON *j;

	(void)state;
	/* 39 ASCII bytes, then two-byte characters: a 40-byte cut would split one. */
	snprintf(body, sizeof(body), "{\"name\": \"o\", \"engine\": \"%s%s\", \"version\": \"1\", "
	    "\"size\": \"db.t3.large\", \"replicas\": 3, \"storage_gb\": 50, " PRV "}",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "\xc3\xa9\xc3\xa9\xc3\xa9");
	j = cJSON_Parse(body);
	assert_non_null(j);
	assert_int_equal(api_val_db_create(j, cfg, 0, &d, &e), -1);
	assert_true(json_utf8_valid(e.detail, strlen(e.detail)));
	assert_non_null(strstr(e.detail, "aaa\""));
	api_verr_clear(&e);
	cJSON_Delete(j);
}

/* If-Match by RFC 9110: strong comparison, lists, "*"; malformed is -1 (400). */
static void
test_if_match(void **state)
{
	(void)state;
	assert_int_equal(api_if_match(NULL, 5), 0);
	assert_int_equal(api_if_match("*", 5), 0);
	assert_int_equal(api_if_match("\"5\"", 5), 0);
	assert_int_equal(api_if_match("\"4\"", 5), 1);
	assert_int_equal(api_if_match("W/\"5\"", 5), 1);	/* weak never matches */
	assert_int_equal(api_if_match("\"1\", \"5\"", 5), 0);
	assert_int_equal(api_if_match("\"1\",W/\"5\"", 5), 1);
	assert_int_equal(api_if_match(" \"x\" ,, \"5\" ", 5), 0);
	assert_int_equal(api_if_match("\"abc\"", 5), 1);
	assert_int_equal(api_if_match("\"55\"", 5), 1);
	assert_int_equal(api_if_match("5", 5), -1);
	assert_int_equal(api_if_match("", 5), -1);
	assert_int_equal(api_if_match(",", 5), -1);
	assert_int_equal(api_if_match("\"5", 5), -1);
	assert_int_equal(api_if_match("\"5\" \"6\"", 5), -1);
	assert_int_equal(api_if_match("*, \"5\"", 5), -1);
	assert_int_equal(api_if_match("\"a b\"", 5), -1);
}

static void
test_dns_label_and_base64(void **state)
{
	(void)state;
	assert_true(api_dns_label("a", 40));
	assert_true(api_dns_label("a-1", 40));
	assert_false(api_dns_label("", 40));
	assert_false(api_dns_label("-a", 40));
	assert_false(api_dns_label("a-", 40));
	assert_false(api_dns_label("A", 40));
	assert_false(api_dns_label("a.b", 40));
	assert_false(api_dns_label("abc", 2));
	assert_true(api_base64_valid("QUJD"));
	assert_true(api_base64_valid("QUI="));
	assert_true(api_base64_valid("QQ=="));
	assert_true(api_base64_valid("QUI"));
	assert_false(api_base64_valid(""));
	assert_false(api_base64_valid("Q"));
	assert_false(api_base64_valid("QQ=A"));
	assert_false(api_base64_valid("QQ==="));
	assert_false(api_base64_valid("QU D"));
}

static void
test_cursor_round_trip(void **state)
{
	char c[2 * API_CURSOR_MAX], id[ID_MAX];
	const char *db = "db-01JD3K5Q7W8X9Y0Z1A2B3C4D5E";

	(void)state;
	api_cursor_encode(db, c, sizeof(c));
	assert_null(strstr(c, "db-"));		/* opaque */
	assert_int_equal(api_cursor_decode(c, "db-", id, sizeof(id)), 0);
	assert_string_equal(id, db);
	assert_int_equal(api_cursor_decode(c, "op-", id, sizeof(id)), -1);	/* another list's */
	assert_int_equal(api_cursor_decode("", "db-", id, sizeof(id)), -1);
	assert_int_equal(api_cursor_decode("!!!!", "db-", id, sizeof(id)), -1);
	assert_int_equal(api_cursor_decode("YzE6ZGItMDE", "db-", id, sizeof(id)), -1);	/* cut */
	assert_int_equal(api_cursor_decode("Yw", "db-", id, sizeof(id)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_create_admin_needs_tenant),
		cmocka_unit_test(test_patch),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_providers),
		cmocka_unit_test(test_messages_stay_utf8),
		cmocka_unit_test(test_if_match),
		cmocka_unit_test(test_dns_label_and_base64),
		cmocka_unit_test(test_cursor_round_trip),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
