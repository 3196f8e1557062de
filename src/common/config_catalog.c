/*
 * config_catalog — the size catalog (name -> cpu, memory) and the engine
 * catalog (engine -> versions, replica limits).
 *
 * They are lists rather than scalar settings, so they have their own parser,
 * but they report problems the same way as the scalar table.  A catalog
 * given in the file replaces the built-in one as a whole: mixing entries from
 * two places would make the effective catalog impossible to read off the file.
 */
#include <stdlib.h>
#include <string.h>

#include "common/config_int.h"
#include "common/qty.h"

static const char *const engine_names[ENGINE_COUNT] = {
	[ENGINE_MONGODB] = "mongodb",
	[ENGINE_POSTGRES] = "postgres",
	[ENGINE_MYSQL] = "mysql",
	[ENGINE_MARIADB] = "mariadb",
	[ENGINE_REDIS] = "redis",
};

struct default_size {
	const char *name, *cpu, *memory;
};

static const struct default_size default_sizes[] = {
	{ "db.t3.micro", "250m", "512Mi" },
	{ "db.t3.small", "500m", "1Gi" },
	{ "db.t3.medium", "1", "2Gi" },
	{ "db.t3.large", "2", "4Gi" },
	{ "db.t3.xlarge", "4", "8Gi" },
};

struct default_engine {
	const char *versions[4];
	int min, max, standalone;
};

static const struct default_engine default_engines[ENGINE_COUNT] = {
	[ENGINE_MONGODB] = { { "6.0.12", "7.0.16", "8.0.17", NULL }, 3, 7, 1 },
	[ENGINE_POSTGRES] = { { "15.8", "16.4", "17.2", NULL }, 1, 5, 0 },
	[ENGINE_MYSQL] = { { "8.0.40", "8.4.3", NULL, NULL }, 3, 9, 1 },
	[ENGINE_MARIADB] = { { "10.11.10", "11.4.4", NULL, NULL }, 3, 9, 1 },
	[ENGINE_REDIS] = { { "7.2.6", "7.4.1", NULL, NULL }, 1, 1, 0 },
};

const char *
cfg_engine_name(enum cfg_engine_id id)
{
	return (unsigned)id < ENGINE_COUNT ? engine_names[id] : "unknown";
}

enum cfg_engine_id
cfg_engine_lookup(const char *name)
{
	for (int i = 0; i < ENGINE_COUNT; i++)
		if (strcmp(engine_names[i], name) == 0)
			return (enum cfg_engine_id)i;
	return ENGINE_COUNT;
}

const struct cfg_size *
cfg_size_lookup(const struct cfg *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nsizes; i++)
		if (strcmp(cfg->sizes[i].name, name) == 0)
			return &cfg->sizes[i];
	return NULL;
}

int
cfg_version_allowed(const struct cfg *cfg, enum cfg_engine_id e, const char *version)
{
	const struct cfg_engine *en;

	if ((unsigned)e >= ENGINE_COUNT)
		return 0;
	en = &cfg->engines[e];
	for (size_t i = 0; en->enabled && i < en->nversions; i++)
		if (strcmp(en->versions[i], version) == 0)
			return 1;
	return 0;
}

static void
size_clear(struct cfg_size *sz)
{
	free(sz->name);
	free(sz->cpu);
	free(sz->memory);
	memset(sz, 0, sizeof(*sz));
}

static void
sizes_free(struct cfg_size *sizes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		size_clear(&sizes[i]);
	free(sizes);
}

static void
engine_free(struct cfg_engine *en)
{
	for (size_t i = 0; i < en->nversions; i++)
		free(en->versions[i]);
	free(en->versions);
	memset(en, 0, sizeof(*en));
}

void
cfg_catalog_free(struct cfg *cfg)
{
	sizes_free(cfg->sizes, cfg->nsizes);
	cfg->sizes = NULL;
	cfg->nsizes = 0;
	for (int i = 0; i < ENGINE_COUNT; i++)
		engine_free(&cfg->engines[i]);
}

static int
size_set(struct cfg_size *sz, const char *name, const char *cpu, const char *memory)
{
	sz->name = strdup(name);
	sz->cpu = strdup(cpu);
	sz->memory = strdup(memory);
	if (sz->name == NULL || sz->cpu == NULL || sz->memory == NULL)
		return -1;
	if (qty_parse_scaled(cpu, -3, &sz->cpu_milli) != 0 ||
	    qty_parse_scaled(memory, 0, &sz->memory_bytes) != 0)
		return -1;
	return 0;
}

static int
engine_add_version(struct cfg_engine *en, const char *v)
{
	char **nv = realloc(en->versions, (en->nversions + 1) * sizeof(*nv));

	if (nv == NULL)
		return -1;
	en->versions = nv;
	if ((nv[en->nversions] = strdup(v)) == NULL)
		return -1;
	en->nversions++;
	return 0;
}

int
cfg_catalog_defaults(struct cfg *cfg)
{
	size_t n = sizeof(default_sizes) / sizeof(default_sizes[0]);

	cfg->sizes = calloc(n, sizeof(*cfg->sizes));
	if (cfg->sizes == NULL)
		return -1;
	cfg->nsizes = n;
	for (size_t i = 0; i < n; i++)
		if (size_set(&cfg->sizes[i], default_sizes[i].name, default_sizes[i].cpu,
		    default_sizes[i].memory) != 0)
			return -1;
	for (int e = 0; e < ENGINE_COUNT; e++) {
		const struct default_engine *d = &default_engines[e];
		struct cfg_engine *en = &cfg->engines[e];
		en->enabled = 1;
		en->replicas_min = d->min;
		en->replicas_max = d->max;
		en->standalone = d->standalone;
		for (int v = 0; d->versions[v] != NULL; v++)
			if (engine_add_version(en, d->versions[v]) != 0)
				return -1;
	}
	return 0;
}

/* Size names are what users type in requests: keep them to a safe alphabet. */
static int
size_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '.' || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

/* A member string of group G called KEY, checked; NULL (error recorded) if bad. */
static const char *
member_string(const config_setting_t *g, const char *key, const char *path,
    struct cfg_errors *errs)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	char name[200];

	snprintf(name, sizeof(name), "%s.%s", path, key);
	if (s == NULL) {
		cfg_errorf(errs, g, name, "is required");
		return NULL;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cfg_errorf(errs, s, name, "must be a string, got %s",
		    cfg_type_phrase(config_setting_type(s)));
		return NULL;
	}
	return config_setting_get_string(s);
}

static int
check_members(const config_setting_t *g, const char *path, const char *const *allowed,
    struct cfg_errors *errs)
{
	int bad = 0;
	char name[200];

	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *const *a = allowed;
		while (*a != NULL && strcmp(*a, config_setting_name(s)) != 0)
			a++;
		if (*a == NULL) {
			snprintf(name, sizeof(name), "%s.%s", path, config_setting_name(s));
			cfg_errorf(errs, s, name, "unknown setting");
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

static void
quantity_check(const config_setting_t *g, const char *path, const char *key,
    const char *v, int scale, struct cfg_errors *errs)
{
	char name[200];
	int64_t out;

	snprintf(name, sizeof(name), "%s.%s", path, key);
	if (qty_parse_scaled(v, scale, &out) != 0 || out <= 0)
		cfg_errorf(errs, config_setting_get_member(g, key), name,
		    "must be a positive Kubernetes quantity (like \"500m\", \"2\", \"1Gi\"), got \"%s\"", v);
}

/* Parse one { name; cpu; memory; } entry into SZ; returns 0 when valid. */
static int
size_load(struct cfg_size *sz, const config_setting_t *g, size_t idx,
    const struct cfg *cfg, size_t nloaded, struct cfg_errors *errs)
{
	static const char *const keys[] = { "name", "cpu", "memory", NULL };
	const char *name, *cpu, *memory;
	char path[64];
	int before = errs->count;

	snprintf(path, sizeof(path), "sizes[%zu]", idx);
	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		cfg_errorf(errs, g, path, "must be a group { name = ...; cpu = ...; memory = ...; }");
		return -1;
	}
	check_members(g, path, keys, errs);
	name = member_string(g, "name", path, errs);
	cpu = member_string(g, "cpu", path, errs);
	memory = member_string(g, "memory", path, errs);
	if (name != NULL && !size_name_ok(name))
		cfg_errorf(errs, config_setting_get_member(g, "name"), path,
		    "name must be 1-63 characters of a-z, 0-9, '.', '-', '_', got \"%s\"", name);
	for (size_t i = 0; name != NULL && i < nloaded; i++)
		if (strcmp(cfg->sizes[i].name, name) == 0)
			cfg_errorf(errs, config_setting_get_member(g, "name"), path,
			    "duplicate size name \"%s\"", name);
	if (cpu != NULL)
		quantity_check(g, path, "cpu", cpu, -3, errs);
	if (memory != NULL)
		quantity_check(g, path, "memory", memory, 0, errs);
	if (errs->count != before)
		return -1;
	if (size_set(sz, name, cpu, memory) != 0)
		return -1;
	/* The current size is found by matching resources back: they must be unique. */
	for (size_t i = 0; i < nloaded; i++) {
		if (cfg->sizes[i].cpu_milli == sz->cpu_milli &&
		    cfg->sizes[i].memory_bytes == sz->memory_bytes) {
			cfg_errorf(errs, g, path, "same cpu and memory as size \"%s\"",
			    cfg->sizes[i].name);
			return -1;
		}
	}
	return 0;
}

void
cfg_sizes_load(struct cfg *cfg, const config_setting_t *sizes, struct cfg_errors *errs)
{
	int t = config_setting_type(sizes), n = config_setting_length(sizes);
	struct cfg_size *list;
	size_t ok = 0;

	if (t != CONFIG_TYPE_LIST) {
		cfg_errorf(errs, sizes, "sizes", "must be a list ( { name = ...; cpu = ...; memory = ...; }, ... ), got %s",
		    cfg_type_phrase(t));
		return;
	}
	if (n == 0) {
		cfg_errorf(errs, sizes, "sizes", "must list at least one size");
		return;
	}
	list = calloc((size_t)n, sizeof(*list));
	if (list == NULL) {
		cfg_errorf(errs, sizes, "sizes", "out of memory");
		return;
	}
	sizes_free(cfg->sizes, cfg->nsizes);
	cfg->sizes = list;
	cfg->nsizes = 0;
	for (int i = 0; i < n; i++) {
		if (size_load(&list[ok], config_setting_get_elem(sizes, (unsigned)i), (size_t)i,
		    cfg, ok, errs) == 0)
			cfg->nsizes = ++ok;
		else
			size_clear(&list[ok]);	/* a rejected entry may be half filled */
	}
}

static int
member_int(const config_setting_t *g, const char *key, const char *path, int lo, int hi,
    int *out, struct cfg_errors *errs)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	char name[200];
	long long v;

	if (s == NULL)
		return 0;	/* keeps the default */
	snprintf(name, sizeof(name), "%s.%s", path, key);
	if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64) {
		cfg_errorf(errs, s, name, "must be an integer, got %s",
		    cfg_type_phrase(config_setting_type(s)));
		return -1;
	}
	v = config_setting_get_int64(s);
	if (v < lo || v > hi) {
		cfg_errorf(errs, s, name, "must be between %d and %d, got %lld", lo, hi, v);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static void
engine_versions_load(struct cfg_engine *en, const config_setting_t *vs, const char *path,
    struct cfg_errors *errs)
{
	char name[200];
	int n;

	snprintf(name, sizeof(name), "%s.versions", path);
	if (config_setting_type(vs) != CONFIG_TYPE_ARRAY && config_setting_type(vs) != CONFIG_TYPE_LIST) {
		cfg_errorf(errs, vs, name, "must be an array of strings, got %s",
		    cfg_type_phrase(config_setting_type(vs)));
		return;
	}
	n = config_setting_length(vs);
	if (n == 0)
		cfg_errorf(errs, vs, name, "must list at least one version");
	for (int i = 0; i < n; i++) {
		const config_setting_t *v = config_setting_get_elem(vs, (unsigned)i);
		const char *s = config_setting_type(v) == CONFIG_TYPE_STRING ?
		    config_setting_get_string(v) : NULL;
		if (s == NULL || s[0] == '\0' || strlen(s) > 63) {
			cfg_errorf(errs, v, name, "element %d must be a non-empty string of at most 63 characters", i);
			continue;
		}
		for (size_t k = 0; k < en->nversions; k++)
			if (strcmp(en->versions[k], s) == 0)
				cfg_errorf(errs, v, name, "version \"%s\" listed twice", s);
		if (engine_add_version(en, s) != 0)
			cfg_errorf(errs, v, name, "out of memory");
	}
}

static void
engine_load(struct cfg_engine *en, const config_setting_t *g, const char *path,
    struct cfg_errors *errs)
{
	static const char *const keys[] = { "versions", "replicas_min", "replicas_max",
		"standalone", NULL };
	const config_setting_t *vs, *sa;
	char name[200];

	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		cfg_errorf(errs, g, path, "must be a group { versions = [...]; ... }");
		return;
	}
	check_members(g, path, keys, errs);
	engine_free(en);
	en->enabled = 1;
	en->replicas_min = 1;
	en->replicas_max = 1;
	vs = config_setting_get_member(g, "versions");
	if (vs == NULL) {
		snprintf(name, sizeof(name), "%s.versions", path);
		cfg_errorf(errs, g, name, "is required");
	} else {
		engine_versions_load(en, vs, path, errs);
	}
	member_int(g, "replicas_min", path, 1, 100, &en->replicas_min, errs);
	member_int(g, "replicas_max", path, 1, 100, &en->replicas_max, errs);
	if (en->replicas_min > en->replicas_max) {
		snprintf(name, sizeof(name), "%s.replicas_min", path);
		cfg_errorf(errs, config_setting_get_member(g, "replicas_min"), name,
		    "must not exceed replicas_max (%d)", en->replicas_max);
	}
	sa = config_setting_get_member(g, "standalone");
	if (sa != NULL && config_setting_type(sa) != CONFIG_TYPE_BOOL) {
		snprintf(name, sizeof(name), "%s.standalone", path);
		cfg_errorf(errs, sa, name, "must be true or false, got %s",
		    cfg_type_phrase(config_setting_type(sa)));
	} else {
		en->standalone = sa != NULL && config_setting_get_bool(sa);
	}
}

void
cfg_engines_load(struct cfg *cfg, const config_setting_t *engines, struct cfg_errors *errs)
{
	char path[64];

	if (config_setting_type(engines) != CONFIG_TYPE_GROUP) {
		cfg_errorf(errs, engines, "engines", "must be a group { mongodb = { ... }; ... }, got %s",
		    cfg_type_phrase(config_setting_type(engines)));
		return;
	}
	if (config_setting_length(engines) == 0) {
		cfg_errorf(errs, engines, "engines", "must enable at least one engine");
		return;
	}
	for (int i = 0; i < ENGINE_COUNT; i++)
		engine_free(&cfg->engines[i]);
	for (int i = 0; i < config_setting_length(engines); i++) {
		const config_setting_t *g = config_setting_get_elem(engines, (unsigned)i);
		enum cfg_engine_id id = cfg_engine_lookup(config_setting_name(g));
		snprintf(path, sizeof(path), "engines.%s", config_setting_name(g));
		if (id == ENGINE_COUNT) {
			cfg_errorf(errs, g, path, "unknown engine (expected mongodb, postgres, mysql, mariadb or redis)");
			continue;
		}
		engine_load(&cfg->engines[id], g, path, errs);
	}
}

static int
engines_equal(const struct cfg_engine *a, const struct cfg_engine *b)
{
	if (a->enabled != b->enabled || a->nversions != b->nversions ||
	    a->replicas_min != b->replicas_min || a->replicas_max != b->replicas_max ||
	    a->standalone != b->standalone)
		return 0;
	for (size_t i = 0; i < a->nversions; i++)
		if (strcmp(a->versions[i], b->versions[i]) != 0)
			return 0;
	return 1;
}

int
cfg_catalog_equal(const struct cfg *a, const struct cfg *b, const char *section)
{
	if (strcmp(section, "engines") == 0) {
		for (int i = 0; i < ENGINE_COUNT; i++)
			if (!engines_equal(&a->engines[i], &b->engines[i]))
				return 0;
		return 1;
	}
	if (a->nsizes != b->nsizes)
		return 0;
	for (size_t i = 0; i < a->nsizes; i++)
		if (strcmp(a->sizes[i].name, b->sizes[i].name) != 0 ||
		    a->sizes[i].cpu_milli != b->sizes[i].cpu_milli ||
		    a->sizes[i].memory_bytes != b->sizes[i].memory_bytes)
			return 0;
	return 1;
}
