/*
 * Configuration: the example file is exactly the defaults, every setting is
 * documented, and each kind of broken file gets its exact file:line message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/config.h"

static char tmpdir[] = "/tmp/dbaasd-test-config-XXXXXX";
static char conf[256];

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	static char buf[1 << 17];
	size_t n;

	if (fp == NULL)
		fail_msg("cannot open %s", path);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static const char *
srcpath(const char *rel, char *out, size_t n)
{
	const char *top = getenv("DBAASD_TEST_SRCDIR");

	snprintf(out, n, "%s/%s", top != NULL ? top : "..", rel);
	return out;
}

/* ---- broken files: content -> the exact message ("%s" is the file path) ---- */

struct broken {
	const char *name;
	const char *text;
	const char *want;
};

static const struct broken broken[] = {
	{ "range", "workers:\n{\n  count = 0;\n};\n",
	  "%s:3: workers.count: must be between 1 and 256, got 0" },
	{ "type_int", "workers: { count = \"3\"; };\n",
	  "%s:1: workers.count: must be an integer, got a string" },
	{ "unknown_setting", "\n\nworkers: { cuont = 3; };\n",
	  "%s:3: workers.cuont: unknown setting" },
	{ "unknown_section", "bogus: { a = 1; };\n",
	  "%s:1: bogus: unknown section (expected one of mongodb, redis, api, reconciler, "
	  "workers, kube, supervisor, log, sizes, engines)" },
	{ "syntax", "workers: {\n  count = ;\n};\n",
	  "%s:2: syntax error: syntax error" },
	{ "choice", "log: { level = \"verbose\"; };\n",
	  "%s:1: log.level: must be one of debug, info, warn, error; got \"verbose\"" },
	{ "type_bool", "reconciler: { enabled = 1; };\n",
	  "%s:1: reconciler.enabled: must be true or false, got an integer" },
	{ "empty_string", "redis: { prefix = \"\"; };\n",
	  "%s:1: redis.prefix: must not be empty" },
	{ "listen", "api: { listen = \"localhost\"; };\n",
	  "%s:1: api.listen: expected HOST:PORT, got \"localhost\"" },
	{ "listen_port", "api: { listen = \"127.0.0.1:70000\"; };\n",
	  "%s:1: api.listen: port must be 0-65535 in \"127.0.0.1:70000\"" },
	{ "double_range", "kube: { qps = 0.0; };\n",
	  "%s:1: kube.qps: must be between 0.1 and 10000, got 0" },
	{ "not_a_group", "workers = 3;\n",
	  "%s:1: workers: must be a group { ... }, got an integer" },
	{ "relation", "supervisor: {\n  restart_initial_ms = 5000;\n  restart_max_ms = 1000;\n};\n",
	  "%s:2: supervisor.restart_initial_ms: must not exceed supervisor.restart_max_ms (1000)" },
	{ "hang_vs_heartbeat", "supervisor: { hang_timeout_s = 1; heartbeat_interval_ms = 900; };\n",
	  "%s:1: supervisor.hang_timeout_s: must be at least twice "
	  "supervisor.heartbeat_interval_ms (900 ms)" },
	{ "size_dup", "sizes = (\n { name = \"a\"; cpu = \"1\"; memory = \"1Gi\"; },\n"
	  " { name = \"a\"; cpu = \"2\"; memory = \"2Gi\"; }\n);\n",
	  "%s:3: sizes[1]: duplicate size name \"a\"" },
	{ "size_quantity", "sizes = ( { name = \"a\"; cpu = \"1.5 cores\"; memory = \"1Gi\"; } );\n",
	  "%s:1: sizes[0].cpu: must be a positive Kubernetes quantity (like \"500m\", \"2\", "
	  "\"1Gi\"), got \"1.5 cores\"" },
	{ "size_same_resources", "sizes = (\n { name = \"a\"; cpu = \"1\"; memory = \"1Gi\"; },\n"
	  " { name = \"b\"; cpu = \"1000m\"; memory = \"1024Mi\"; }\n);\n",
	  "%s:3: sizes[1]: same cpu and memory as size \"a\"" },
	{ "size_missing_memory", "sizes = ( { name = \"a\"; cpu = \"1\"; } );\n",
	  "%s:1: sizes[0].memory: is required" },
	{ "sizes_empty", "sizes = ( );\n", "%s:1: sizes: must list at least one size" },
	{ "engine_unknown", "engines: { oracle = { versions = [\"19c\"]; }; };\n",
	  "%s:1: engines.oracle: unknown engine (expected mongodb, postgres, mysql, mariadb or redis)" },
	{ "engine_min_max", "engines: {\n  postgres = { versions = [\"16.4\"];\n"
	  "    replicas_min = 4; replicas_max = 2; };\n};\n",
	  "%s:3: engines.postgres.replicas_min: must not exceed replicas_max (2)" },
	{ "engine_no_versions", "engines: { redis = { replicas_max = 1; }; };\n",
	  "%s:1: engines.redis.versions: is required" },
	{ "engine_dup_version", "engines: { redis = { versions = [\"7.4.1\", \"7.4.1\"]; }; };\n",
	  "%s:1: engines.redis.versions: version \"7.4.1\" listed twice" },
	{ "two_errors", "workers: {\n  count = 0;\n  slots = 0;\n};\n",
	  "%s:2: workers.count: must be between 1 and 256, got 0\n"
	  "%s:3: workers.slots: must be between 1 and 64, got 0" },
};

#define NBROKEN (sizeof(broken) / sizeof(broken[0]))

/* TEMPLATE with every "%s" replaced by the config path. */
static void
expand(const char *template, char *out, size_t n)
{
	size_t o = 0, cl = strlen(conf);

	for (const char *t = template; *t != '\0' && o + cl + 1 < n; t++) {
		if (t[0] == '%' && t[1] == 's') {
			memcpy(out + o, conf, cl);
			o += cl;
			t++;
		} else {
			out[o++] = *t;
		}
	}
	out[o] = '\0';
}

static void
test_broken(void **state)
{
	const struct broken *b = *state;
	char err[4096], want[1024];
	struct cfg *cfg;

	write_file(conf, b->text);
	cfg = cfg_load(conf, err, sizeof(err));
	if (cfg != NULL)
		fail_msg("%s: accepted", b->name);
	expand(b->want, want, sizeof(want));
	if (strcmp(err, want) != 0)
		fail_msg("%s:\n got: %s\nwant: %s", b->name, err, want);
}

static void
test_missing_file(void **state)
{
	char err[512], want[512];

	(void)state;
	assert_null(cfg_load("/nonexistent/dbaasd.conf", err, sizeof(err)));
	snprintf(want, sizeof(want), "/nonexistent/dbaasd.conf: cannot open: No such file or directory");
	assert_string_equal(err, want);
}

static void
test_bad_mongodb_uri(void **state)
{
	char err[1024];

	(void)state;
	write_file(conf, "mongodb: { uri = \"http://example\"; };\n");
	assert_null(cfg_load(conf, err, sizeof(err)));
	assert_non_null(strstr(err, ":1: mongodb.uri: invalid URI: "));
}

/* ---- the shipped files ---- */

static void
test_example_is_defaults(void **state)
{
	static const char *const sections[] = { "mongodb", "redis", "api", "reconciler",
		"workers", "kube", "supervisor", "log", "sizes", "engines" };
	char path[512], err[4096];
	struct cfg *ex, *def = cfg_defaults();

	(void)state;
	ex = cfg_load(srcpath("etc/dbaasd.conf", path, sizeof(path)), err, sizeof(err));
	if (ex == NULL)
		fail_msg("etc/dbaasd.conf: %s", err);
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (!cfg_section_equal(ex, def, sections[i]))
			fail_msg("etc/dbaasd.conf: section %s differs from the built-in defaults", sections[i]);
	cfg_free(ex);
	cfg_free(def);
}

static void
test_dev_config_valid(void **state)
{
	char path[512], err[4096];
	struct cfg *c;

	(void)state;
	c = cfg_load(srcpath("etc/dbaasd.dev.conf", path, sizeof(path)), err, sizeof(err));
	if (c == NULL)
		fail_msg("etc/dbaasd.dev.conf: %s", err);
	assert_int_equal(c->log.level, LOG_LEVEL_DEBUG);
	cfg_free(c);
}

/* Every setting of the table appears in the example file and the man page. */
static void
test_every_setting_documented(void **state)
{
	size_t n;
	const struct cfg_setting *st = cfg_settings(&n);
	char path[512], needle[128], *example, *man;

	(void)state;
	example = strdup(slurp(srcpath("etc/dbaasd.conf", path, sizeof(path))));
	man = strdup(slurp(srcpath("man/dbaasd.conf.5", path, sizeof(path))));
	for (size_t i = 0; i < n; i++) {
		const char *dot = strchr(st[i].path, '.');
		snprintf(needle, sizeof(needle), "\n  %s = ", dot + 1);
		if (strstr(example, needle) == NULL)
			fail_msg("etc/dbaasd.conf does not show %s", st[i].path);
		snprintf(needle, sizeof(needle), "%s", st[i].path);
		if (strstr(man, needle) == NULL)
			fail_msg("man/dbaasd.conf.5 does not document %s", st[i].path);
	}
	free(example);
	free(man);
}

/* ---- behaviour of a loaded configuration ---- */

static void
test_overrides_and_catalog(void **state)
{
	char err[4096];
	struct cfg *c;
	const struct cfg_size *sz;

	(void)state;
	write_file(conf,
	    "workers: { count = 5; };\n"
	    "log: { level = \"warn\"; };\n"
	    "kube: { qps = 20; };\n"
	    "sizes = ( { name = \"tiny\"; cpu = \"100m\"; memory = \"128Mi\"; } );\n"
	    "engines: { postgres = { versions = [\"16.4\"]; replicas_min = 1; replicas_max = 3; }; };\n");
	c = cfg_load(conf, err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->workers.count, 5);
	assert_int_equal(c->workers.slots, 3);		/* default kept */
	assert_int_equal(c->log.level, LOG_LEVEL_WARN);
	assert_true(c->kube.qps == 20.0);		/* an integer is a valid number */
	assert_int_equal(c->nsizes, 1);
	sz = cfg_size_lookup(c, "tiny");
	assert_non_null(sz);
	assert_int_equal(sz->cpu_milli, 100);
	assert_int_equal(sz->memory_bytes, 128 * 1024 * 1024);
	assert_null(cfg_size_lookup(c, "db.t3.small"));	/* the list replaced the defaults */
	assert_true(cfg_version_allowed(c, ENGINE_POSTGRES, "16.4"));
	assert_false(cfg_version_allowed(c, ENGINE_POSTGRES, "15.8"));
	assert_false(cfg_version_allowed(c, ENGINE_MONGODB, "8.0.17"));	/* not offered */
	assert_int_equal(c->engines[ENGINE_POSTGRES].replicas_max, 3);
	cfg_free(c);
}

static void
test_section_equal(void **state)
{
	char err[4096];
	struct cfg *a = cfg_defaults(), *b;

	(void)state;
	write_file(conf, "workers: { count = 7; };\n");
	b = cfg_load(conf, err, sizeof(err));
	assert_non_null(b);
	assert_false(cfg_section_equal(a, b, "workers"));
	assert_true(cfg_section_equal(a, b, "reconciler"));
	assert_true(cfg_section_equal(a, b, "sizes"));
	assert_true(cfg_section_equal(a, b, "engines"));
	cfg_free(a);
	cfg_free(b);
}

static void
test_engine_lookup(void **state)
{
	(void)state;
	assert_int_equal(cfg_engine_lookup("mongodb"), ENGINE_MONGODB);
	assert_int_equal(cfg_engine_lookup("redis"), ENGINE_REDIS);
	assert_int_equal(cfg_engine_lookup("MongoDB"), ENGINE_COUNT);
	assert_string_equal(cfg_engine_name(ENGINE_MARIADB), "mariadb");
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(conf, sizeof(conf), "%s/dbaasd.conf", tmpdir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(conf);
	rmdir(tmpdir);
	return 0;
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_bad_mongodb_uri),
		cmocka_unit_test(test_example_is_defaults),
		cmocka_unit_test(test_dev_config_valid),
		cmocka_unit_test(test_every_setting_documented),
		cmocka_unit_test(test_overrides_and_catalog),
		cmocka_unit_test(test_section_equal),
		cmocka_unit_test(test_engine_lookup),
	};
	const size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	struct CMUnitTest tests[NBROKEN + sizeof(fixed) / sizeof(fixed[0])];
	char names[NBROKEN][64];

	for (size_t i = 0; i < NBROKEN; i++) {
		snprintf(names[i], sizeof(names[i]), "broken_%s", broken[i].name);
		tests[i] = (struct CMUnitTest)cmocka_unit_test_prestate(test_broken, (void *)&broken[i]);
		tests[i].name = names[i];
	}
	memcpy(tests + NBROKEN, fixed, sizeof(fixed));
	return _cmocka_run_group_tests("config", tests, NBROKEN + nfixed, setup, teardown);
}
