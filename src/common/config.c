/*
 * config — settings table, loading and validation (see config.h).
 *
 * Everything a user can set is a row of settings[] below; the example
 * configuration, the man page and the unit tests are checked against this
 * table, so adding a row is the whole job of adding a setting.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "common/config.h"
#include "common/config_int.h"
#include "common/mdb.h"
#include "common/net.h"

static const char *const log_levels[] = { "debug", "info", "warn", "error", NULL };

#define F(field) offsetof(struct cfg, field)
#define INT(p, field, def, lo, hi, doc) \
	{ p, CFG_INT, F(field), lo, hi, def, 0, NULL, NULL, doc }
#define BOOL(p, field, def, doc) \
	{ p, CFG_BOOL, F(field), 0, 1, def, 0, NULL, NULL, doc }
#define STR(p, field, def, lo, hi, choices, doc) \
	{ p, CFG_STRING, F(field), lo, hi, 0, 0, def, choices, doc }
#define DBL(p, field, def, lo, hi, doc) \
	{ p, CFG_DOUBLE, F(field), lo, hi, 0, def, NULL, NULL, doc }

static const struct cfg_setting settings[] = {
	STR("mongodb.uri", mongodb.uri, "mongodb://127.0.0.1:27017", 1, 4096, NULL,
	    "MongoDB connection string (the source of truth)"),
	STR("mongodb.database", mongodb.database, "dbaas", 1, 63, NULL,
	    "database holding the collections"),
	INT("mongodb.connect_timeout_ms", mongodb.connect_timeout_ms, 2000, 100, 60000,
	    "TCP connect timeout"),
	INT("mongodb.socket_timeout_ms", mongodb.socket_timeout_ms, 5000, 100, 300000,
	    "timeout for any single read or write on a connection"),
	INT("mongodb.server_selection_timeout_ms", mongodb.server_selection_timeout_ms,
	    2000, 100, 60000, "how long to wait for a usable server"),
	INT("mongodb.op_timeout_ms", mongodb.op_timeout_ms, 3000, 10, 300000,
	    "maxTimeMS sent with every operation"),

	STR("redis.host", redis.host, "127.0.0.1", 1, 255, NULL,
	    "Redis host name or address"),
	INT("redis.port", redis.port, 6379, 1, 65535, "Redis TCP port"),
	STR("redis.password", redis.password, "", 0, 512, NULL,
	    "AUTH password (empty: no AUTH); never logged"),
	INT("redis.db", redis.db, 0, 0, 1023, "Redis logical database number"),
	STR("redis.prefix", redis.prefix, "dbaas:", 1, 64, NULL,
	    "prefix of every key dbaasd uses"),
	INT("redis.connect_timeout_ms", redis.connect_timeout_ms, 1000, 50, 60000,
	    "TCP connect timeout"),
	INT("redis.command_timeout_ms", redis.command_timeout_ms, 2000, 50, 60000,
	    "timeout for one command round trip"),
	INT("redis.reconnect_max_ms", redis.reconnect_max_ms, 5000, 100, 300000,
	    "upper bound of the reconnect backoff"),

	STR("api.listen", api.listen, "127.0.0.1:8080", 3, 300, NULL,
	    "HOST:PORT the API listens on ([::1]:PORT for IPv6)"),
	INT("api.processes", api.processes, 2, 1, 64, "number of API processes"),
	INT("api.threads", api.threads, 4, 1, 64,
	    "handler threads per API process, each with its own MongoDB and Redis connection"),
	INT("api.backlog", api.backlog, 511, 1, 65535, "listen(2) backlog"),
	INT("api.max_body_bytes", api.max_body_bytes, 1048576, 1024, 67108864,
	    "largest request body accepted (413 beyond)"),
	INT("api.max_header_bytes", api.max_header_bytes, 16384, 1024, 1048576,
	    "largest request header block accepted"),
	INT("api.request_timeout_ms", api.request_timeout_ms, 10000, 100, 600000,
	    "inactivity limit while reading a request or writing a response, and the time one whole request may take from its first byte; idle keep-alive connections close after it"),
	INT("api.drain_timeout_s", api.drain_timeout_s, 15, 1, 600,
	    "on reload or stop, how long an old API process may finish requests"),
	STR("api.bootstrap_admin_key_file", api.bootstrap_admin_key_file, "", 0, 4096, NULL,
	    "file holding an admin API key to register at start (empty: none)"),
	STR("api.namespace_prefix", api.namespace_prefix, "dbaas-", 0, 20, NULL,
	    "default namespace is this prefix + the tenant"),
	INT("api.page_limit_default", api.page_limit_default, 50, 1, 10000,
	    "items per page when the client gives no limit"),
	INT("api.page_limit_max", api.page_limit_max, 500, 1, 10000,
	    "largest page a client may ask for"),
	INT("api.idempotency_ttl_s", api.idempotency_ttl_s, 86400, 60, 604800,
	    "how long an Idempotency-Key is remembered"),
	INT("api.key_cache_ttl_ms", api.key_cache_ttl_ms, 5000, 0, 60000,
	    "a verified API key is trusted this long without asking MongoDB again; a deleted key stops working within it"),

	BOOL("reconciler.enabled", reconciler.enabled, 1,
	    "run a reconciler candidate in this instance"),
	INT("reconciler.resync_interval_s", reconciler.resync_interval_s, 300, 5, 86400,
	    "full re-list of every cluster, backing up watches and nudges"),
	INT("reconciler.lease_ttl_ms", reconciler.lease_ttl_ms, 15000, 1000, 300000,
	    "leader lease duration"),
	INT("reconciler.lease_renew_ms", reconciler.lease_renew_ms, 2000, 100, 60000,
	    "how often the leader renews (and standbys retry)"),
	INT("reconciler.watch_timeout_s", reconciler.watch_timeout_s, 300, 10, 3600,
	    "timeoutSeconds asked for each watch"),
	INT("reconciler.list_page_size", reconciler.list_page_size, 500, 1, 5000,
	    "limit= for paginated lists"),
	INT("reconciler.max_inflight_per_provider", reconciler.max_inflight_per_provider,
	    8, 1, 256, "concurrent Kubernetes requests per cluster"),

	INT("workers.count", workers.count, 3, 1, 256, "number of worker processes"),
	INT("workers.slots", workers.slots, 3, 1, 64,
	    "operations one worker runs at the same time"),
	INT("workers.max_deliveries", workers.max_deliveries, 5, 1, 100,
	    "deliveries before an operation goes to the dead-letter stream"),
	INT("workers.claim_idle_ms", workers.claim_idle_ms, 60000, 1000, 3600000,
	    "a pending entry idle this long is taken over from its consumer"),
	INT("workers.block_ms", workers.block_ms, 2000, 10, 60000,
	    "XREADGROUP BLOCK time"),
	INT("workers.drain_timeout_s", workers.drain_timeout_s, 60, 1, 3600,
	    "a draining worker hands back what it has not finished by then"),
	INT("workers.operation_timeout_s", workers.operation_timeout_s, 1800, 10, 86400,
	    "an operation still running after this is failed"),
	INT("workers.poll_interval_ms", workers.poll_interval_ms, 1000, 50, 60000,
	    "how often a running operation re-reads its OpsRequest"),

	INT("kube.connect_timeout_ms", kube.connect_timeout_ms, 3000, 100, 60000,
	    "TCP+TLS connect timeout to an API server"),
	INT("kube.request_timeout_ms", kube.request_timeout_ms, 15000, 100, 600000,
	    "total time for one attempt of a non-watch request"),
	DBL("kube.qps", kube.qps, 5.0, 0.1, 10000, "default per-cluster request rate"),
	INT("kube.burst", kube.burst, 10, 1, 10000, "default per-cluster burst"),
	INT("kube.retry_max", kube.retry_max, 5, 0, 20,
	    "retries of a request on 429, 5xx or timeout"),
	INT("kube.retry_initial_ms", kube.retry_initial_ms, 200, 1, 60000,
	    "first retry delay (doubles, with jitter)"),
	INT("kube.retry_max_ms", kube.retry_max_ms, 10000, 1, 600000,
	    "largest retry delay"),
	INT("kube.breaker_threshold", kube.breaker_threshold, 5, 1, 1000,
	    "consecutive failures that open a cluster's circuit"),
	INT("kube.breaker_cooldown_ms", kube.breaker_cooldown_ms, 30000, 100, 3600000,
	    "time an open circuit waits before a probe"),
	INT("kube.max_inflight", kube.max_inflight, 32, 1, 10000,
	    "requests in flight per cluster (watches not counted); more wait in order"),
	INT("kube.ops_timeout_s", kube.ops_timeout_s, 600, 10, 86400,
	    "spec.timeout written into each OpsRequest"),

	INT("supervisor.shutdown_timeout_s", supervisor.shutdown_timeout_s, 25, 1, 3600,
	    "graceful stop budget before SIGKILL"),
	INT("supervisor.hang_timeout_s", supervisor.hang_timeout_s, 30, 1, 3600,
	    "a role silent this long is killed and restarted"),
	INT("supervisor.heartbeat_interval_ms", supervisor.heartbeat_interval_ms, 1000, 10,
	    60000, "how often roles report to the supervisor"),
	INT("supervisor.restart_initial_ms", supervisor.restart_initial_ms, 100, 1, 60000,
	    "first restart delay of a crashed role"),
	INT("supervisor.restart_max_ms", supervisor.restart_max_ms, 30000, 1, 3600000,
	    "largest restart delay"),
	INT("supervisor.restart_reset_s", supervisor.restart_reset_s, 30, 1, 3600,
	    "a role up this long gets its backoff reset"),
	INT("supervisor.restart_intensity", supervisor.restart_intensity, 10, 1, 10000,
	    "more restarts than this within restart_period_s stops dbaasd"),
	INT("supervisor.restart_period_s", supervisor.restart_period_s, 60, 1, 86400,
	    "window of restart_intensity"),
	STR("supervisor.pidfile", supervisor.pidfile, "", 0, 4096, NULL,
	    "write the supervisor's pid here (empty: none)"),

	STR("log.level", log.level_name, "info", 1, 8, log_levels,
	    "debug, info, warn or error"),
	STR("log.file", log.file, "", 0, 4096, NULL,
	    "append logs to this file (empty: standard error)"),
};

static const char *const sections[] = {
	"mongodb", "redis", "api", "reconciler", "workers", "kube", "supervisor",
	"log", "sizes", "engines", NULL
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

const struct cfg_setting *
cfg_settings(size_t *n)
{
	*n = NSETTINGS;
	return settings;
}

void
cfg_errorf(struct cfg_errors *errs, const config_setting_t *s, const char *name,
    const char *fmt, ...)
{
	const char *file = s != NULL ? config_setting_source_file(s) : NULL;
	int line = s != NULL ? (int)config_setting_source_line(s) : 0;
	char msg[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (file == NULL)
		file = errs->path;
	if (line > 0)
		n = snprintf(errs->buf + errs->len, errs->cap - errs->len, "%s:%d: %s: %s\n",
		    file, line, name, msg);
	else
		n = snprintf(errs->buf + errs->len, errs->cap - errs->len, "%s: %s: %s\n",
		    file, name, msg);
	if (n > 0)
		errs->len += (size_t)n < errs->cap - errs->len ? (size_t)n : errs->cap - errs->len - 1;
	errs->count++;
}

const char *
cfg_type_phrase(int type)
{
	switch (type) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a number";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	default:
		return "an unknown type";
	}
}

static void *
field_ptr(struct cfg *cfg, const struct cfg_setting *st)
{
	return (char *)cfg + st->offset;
}

static const void *
field_cptr(const struct cfg *cfg, const struct cfg_setting *st)
{
	return (const char *)cfg + st->offset;
}

static int
set_string(struct cfg *cfg, const struct cfg_setting *st, const char *v)
{
	char **slot = field_ptr(cfg, st);
	char *copy = strdup(v);

	if (copy == NULL)
		return -1;
	free(*slot);
	*slot = copy;
	return 0;
}

static int
apply_defaults(struct cfg *cfg)
{
	for (size_t i = 0; i < NSETTINGS; i++) {
		const struct cfg_setting *st = &settings[i];
		switch (st->type) {
		case CFG_INT:
		case CFG_BOOL:
			*(int *)field_ptr(cfg, st) = (int)st->idef;
			break;
		case CFG_DOUBLE:
			*(double *)field_ptr(cfg, st) = st->ddef;
			break;
		case CFG_STRING:
			if (set_string(cfg, st, st->sdef) != 0)
				return -1;
			break;
		}
	}
	return 0;
}

static const struct cfg_setting *
find_setting(const char *path)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].path, path) == 0)
			return &settings[i];
	return NULL;
}

static void
load_int(struct cfg *cfg, const struct cfg_setting *st, const config_setting_t *s,
    struct cfg_errors *errs)
{
	long long v;

	if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64) {
		cfg_errorf(errs, s, st->path, "must be an integer, got %s",
		    cfg_type_phrase(config_setting_type(s)));
		return;
	}
	v = config_setting_get_int64(s);
	if ((double)v < st->min || (double)v > st->max) {
		cfg_errorf(errs, s, st->path, "must be between %.0f and %.0f, got %lld",
		    st->min, st->max, v);
		return;
	}
	*(int *)field_ptr(cfg, st) = (int)v;
}

static void
load_double(struct cfg *cfg, const struct cfg_setting *st, const config_setting_t *s,
    struct cfg_errors *errs)
{
	int t = config_setting_type(s);
	double v;

	if (t != CONFIG_TYPE_FLOAT && t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
		cfg_errorf(errs, s, st->path, "must be a number, got %s", cfg_type_phrase(t));
		return;
	}
	v = t == CONFIG_TYPE_FLOAT ? config_setting_get_float(s) :
	    (double)config_setting_get_int64(s);
	if (v < st->min || v > st->max) {
		cfg_errorf(errs, s, st->path, "must be between %g and %g, got %g",
		    st->min, st->max, v);
		return;
	}
	*(double *)field_ptr(cfg, st) = v;
}

static void
choices_list(const char *const *c, char *out, size_t n)
{
	size_t len = 0;

	out[0] = '\0';
	for (; *c != NULL && len < n; c++)
		len += (size_t)snprintf(out + len, n - len, "%s%s", len ? ", " : "", *c);
}

static void
load_string(struct cfg *cfg, const struct cfg_setting *st, const config_setting_t *s,
    struct cfg_errors *errs)
{
	const char *v;
	size_t len;

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cfg_errorf(errs, s, st->path, "must be a string, got %s",
		    cfg_type_phrase(config_setting_type(s)));
		return;
	}
	v = config_setting_get_string(s);
	len = strlen(v);
	if ((double)len < st->min || (double)len > st->max) {
		if (st->min > 0 && len == 0)
			cfg_errorf(errs, s, st->path, "must not be empty");
		else
			cfg_errorf(errs, s, st->path, "must be %.0f to %.0f characters long, got %zu",
			    st->min, st->max, len);
		return;
	}
	if (st->choices != NULL) {
		const char *const *c = st->choices;
		while (*c != NULL && strcmp(*c, v) != 0)
			c++;
		if (*c == NULL) {
			char list[256];
			choices_list(st->choices, list, sizeof(list));
			cfg_errorf(errs, s, st->path, "must be one of %s; got \"%s\"", list, v);
			return;
		}
	}
	if (set_string(cfg, st, v) != 0)
		cfg_errorf(errs, s, st->path, "out of memory");
}

static void
load_scalar(struct cfg *cfg, const struct cfg_setting *st, const config_setting_t *s,
    struct cfg_errors *errs)
{
	switch (st->type) {
	case CFG_INT:
		load_int(cfg, st, s, errs);
		break;
	case CFG_DOUBLE:
		load_double(cfg, st, s, errs);
		break;
	case CFG_STRING:
		load_string(cfg, st, s, errs);
		break;
	case CFG_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			cfg_errorf(errs, s, st->path, "must be true or false, got %s",
			    cfg_type_phrase(config_setting_type(s)));
		else
			*(int *)field_ptr(cfg, st) = config_setting_get_bool(s);
		break;
	}
}

static void
load_section(struct cfg *cfg, const config_setting_t *sec, struct cfg_errors *errs)
{
	const char *name = config_setting_name(sec);
	char path[256];

	if (config_setting_type(sec) != CONFIG_TYPE_GROUP) {
		cfg_errorf(errs, sec, name, "must be a group { ... }, got %s",
		    cfg_type_phrase(config_setting_type(sec)));
		return;
	}
	for (int i = 0; i < config_setting_length(sec); i++) {
		const config_setting_t *s = config_setting_get_elem(sec, (unsigned)i);
		const struct cfg_setting *st;

		snprintf(path, sizeof(path), "%s.%s", name, config_setting_name(s));
		st = find_setting(path);
		if (st == NULL)
			cfg_errorf(errs, s, path, "unknown setting");
		else
			load_scalar(cfg, st, s, errs);
	}
}

static int
is_section(const char *name)
{
	for (const char *const *p = sections; *p != NULL; p++)
		if (strcmp(*p, name) == 0)
			return 1;
	return 0;
}

static void
load_root(struct cfg *cfg, const config_setting_t *root, struct cfg_errors *errs)
{
	for (int i = 0; i < config_setting_length(root); i++) {
		const config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		const char *name = config_setting_name(s);

		if (!is_section(name))
			cfg_errorf(errs, s, name, "unknown section (expected one of mongodb, redis, "
			    "api, reconciler, workers, kube, supervisor, log, sizes, engines)");
		else if (strcmp(name, "sizes") == 0)
			cfg_sizes_load(cfg, s, errs);
		else if (strcmp(name, "engines") == 0)
			cfg_engines_load(cfg, s, errs);
		else
			load_section(cfg, s, errs);
	}
}

/* Location of a setting in the file, for cross-field errors (NULL if defaulted). */
static const config_setting_t *
where(const config_t *lc, const char *path)
{
	return lc != NULL ? config_lookup(lc, path) : NULL;
}

static void
check_relations(const struct cfg *c, const config_t *lc, struct cfg_errors *errs)
{
	char msg[256];

	if (c->supervisor.restart_initial_ms > c->supervisor.restart_max_ms)
		cfg_errorf(errs, where(lc, "supervisor.restart_initial_ms"), "supervisor.restart_initial_ms",
		    "must not exceed supervisor.restart_max_ms (%d)", c->supervisor.restart_max_ms);
	if ((long)c->supervisor.heartbeat_interval_ms * 2 > (long)c->supervisor.hang_timeout_s * 1000)
		cfg_errorf(errs, where(lc, "supervisor.hang_timeout_s"), "supervisor.hang_timeout_s",
		    "must be at least twice supervisor.heartbeat_interval_ms (%d ms)",
		    c->supervisor.heartbeat_interval_ms);
	if ((long)c->reconciler.lease_renew_ms * 2 > c->reconciler.lease_ttl_ms)
		cfg_errorf(errs, where(lc, "reconciler.lease_renew_ms"), "reconciler.lease_renew_ms",
		    "must be at most half of reconciler.lease_ttl_ms (%d)", c->reconciler.lease_ttl_ms);
	if (c->api.page_limit_default > c->api.page_limit_max)
		cfg_errorf(errs, where(lc, "api.page_limit_default"), "api.page_limit_default",
		    "must not exceed api.page_limit_max (%d)", c->api.page_limit_max);
	if (c->kube.retry_initial_ms > c->kube.retry_max_ms)
		cfg_errorf(errs, where(lc, "kube.retry_initial_ms"), "kube.retry_initial_ms",
		    "must not exceed kube.retry_max_ms (%d)", c->kube.retry_max_ms);
	if (net_parse_hostport(c->api.listen, NULL, 0, NULL, msg, sizeof(msg)) != 0)
		cfg_errorf(errs, where(lc, "api.listen"), "api.listen", "%s", msg);
	if (mdb_uri_check(c->mongodb.uri, msg, sizeof(msg)) != 0)
		cfg_errorf(errs, where(lc, "mongodb.uri"), "mongodb.uri", "invalid URI: %s", msg);
}

static struct cfg *
cfg_new(const char *path)
{
	struct cfg *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL)
		return NULL;
	cfg->path = strdup(path != NULL ? path : "");
	if (cfg->path == NULL || apply_defaults(cfg) != 0 || cfg_catalog_defaults(cfg) != 0) {
		cfg_free(cfg);
		return NULL;
	}
	return cfg;
}

static void
finish_log_level(struct cfg *cfg)
{
	if (log_level_parse(cfg->log.level_name, &cfg->log.level) != 0)
		cfg->log.level = LOG_LEVEL_INFO;
}

struct cfg *
cfg_defaults(void)
{
	struct cfg *cfg = cfg_new("");

	if (cfg != NULL)
		finish_log_level(cfg);
	return cfg;
}

static int
read_file(config_t *lc, const char *path, struct cfg_errors *errs)
{
	FILE *fp = fopen(path, "r");

	if (fp == NULL) {
		int n = snprintf(errs->buf, errs->cap, "%s: cannot open: %s\n", path, strerror(errno));
		errs->len = n > 0 ? (size_t)n : 0;
		errs->count++;
		return -1;
	}
	fclose(fp);
	if (config_read_file(lc, path) == CONFIG_TRUE)
		return 0;
	{
		const char *file = config_error_file(lc);
		int n = snprintf(errs->buf, errs->cap, "%s:%d: syntax error: %s\n",
		    file != NULL ? file : path, config_error_line(lc), config_error_text(lc));
		errs->len = n > 0 ? (size_t)n : 0;
		errs->count++;
	}
	return -1;
}

struct cfg *
cfg_load(const char *path, char *err, size_t errlen)
{
	struct cfg_errors errs = { err, errlen, 0, 0, path };
	struct cfg *cfg = NULL;
	config_t lc;

	err[0] = '\0';
	config_init(&lc);
	if (read_file(&lc, path, &errs) != 0)
		goto fail;
	cfg = cfg_new(path);
	if (cfg == NULL) {
		snprintf(err, errlen, "%s: out of memory\n", path);
		goto fail;
	}
	load_root(cfg, config_root_setting(&lc), &errs);
	if (errs.count == 0)
		check_relations(cfg, &lc, &errs);
	if (errs.count != 0)
		goto fail;
	finish_log_level(cfg);
	config_destroy(&lc);
	return cfg;
fail:
	if (errs.len > 0 && err[errs.len - 1] == '\n')
		err[errs.len - 1] = '\0';
	cfg_free(cfg);
	config_destroy(&lc);
	return NULL;
}

void
cfg_free(struct cfg *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < NSETTINGS; i++)
		if (settings[i].type == CFG_STRING)
			free(*(char **)field_ptr(cfg, &settings[i]));
	cfg_catalog_free(cfg);
	free(cfg->path);
	free(cfg);
}

static int
setting_equal(const struct cfg *a, const struct cfg *b, const struct cfg_setting *st)
{
	switch (st->type) {
	case CFG_INT:
	case CFG_BOOL:
		return *(const int *)field_cptr(a, st) == *(const int *)field_cptr(b, st);
	case CFG_DOUBLE:
		return *(const double *)field_cptr(a, st) == *(const double *)field_cptr(b, st);
	case CFG_STRING:
		return strcmp(*(char *const *)field_cptr(a, st), *(char *const *)field_cptr(b, st)) == 0;
	}
	return 0;
}

static int
listed(const char *path, const char *const *list)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(*list, path) == 0)
			return 1;
	return 0;
}

int
cfg_section_equal_except(const struct cfg *a, const struct cfg *b, const char *section,
    const char *const *except)
{
	size_t n = strlen(section);

	if (strcmp(section, "sizes") == 0 || strcmp(section, "engines") == 0)
		return cfg_catalog_equal(a, b, section);
	for (size_t i = 0; i < NSETTINGS; i++) {
		const struct cfg_setting *st = &settings[i];
		if (strncmp(st->path, section, n) == 0 && st->path[n] == '.' &&
		    !listed(st->path, except) && !setting_equal(a, b, st))
			return 0;
	}
	return 1;
}

int
cfg_section_equal(const struct cfg *a, const struct cfg *b, const char *section)
{
	return cfg_section_equal_except(a, b, section, NULL);
}

int
cfg_setting_equal(const struct cfg *a, const struct cfg *b, const char *path)
{
	const struct cfg_setting *st = find_setting(path);

	return st == NULL || setting_equal(a, b, st);
}
