/*
 * validate — request body validators (see validate.h).
 *
 * Two passes per body: shape first (known keys, JSON types, required
 * fields: 400), then values (catalogs, ranges, patterns, rules: 422), so a
 * client sees every problem of one kind at once and the status says which
 * kind it is.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/validate.h"
#include "common/id.h"
#include "common/json.h"

void
api_verr_add(struct api_verr *e, int status, const char *field, const char *fmt, ...)
{
	char msg[256];
	cJSON *o;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_utf8_trim(msg);	/* a message cut at 255 bytes stays UTF-8 */
	if (e->errors == NULL) {
		/* "replicas: must be an integer", but not "storage_gb: storage_gb cannot ..." */
		size_t fl = strlen(field);
		int named = fl > 0 && strncmp(msg, field, fl) == 0 && msg[fl] == ' ';
		e->errors = cJSON_CreateArray();
		snprintf(e->detail, sizeof(e->detail), "%s%s%s", named ? "" : field,
		    field[0] && !named ? ": " : "", msg);
		json_utf8_trim(e->detail);
	}
	if (e->status != 400)
		e->status = status;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "field", field);
	cJSON_AddStringToObject(o, "message", msg);
	cJSON_AddItemToArray(e->errors, o);
}

void
api_verr_clear(struct api_verr *e)
{
	cJSON_Delete(e->errors);
	memset(e, 0, sizeof(*e));
}

int
api_dns_label(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && !(c == '-' && i > 0 && i + 1 < n))
			return 0;
	}
	return 1;
}

/* Shape of one field. */

static const char *
ftype_name(enum api_ftype t)
{
	switch (t) {
	case API_FT_STR: return "a string";
	case API_FT_INT: return "an integer";
	case API_FT_BOOL: return "a boolean";
	default: return "a number";
	}
}

/* Unknown keys, then each listed field's JSON type.  Returns the number of errors. */
int
api_val_shape(const cJSON *body, const char *const *keys, const enum api_ftype *types,
    struct api_verr *e)
{
	int bad = 0;

	if (!cJSON_IsObject(body)) {
		api_verr_add(e, 400, "", "the body must be a JSON object");
		return 1;
	}
	for (const cJSON *it = body->child; it != NULL; it = it->next) {
		size_t k = 0;
		while (keys[k] != NULL && strcmp(keys[k], it->string) != 0)
			k++;
		if (keys[k] == NULL) {
			api_verr_add(e, 400, it->string, "unknown field");
			bad++;
			continue;
		}
		if (cJSON_GetObjectItemCaseSensitive(body, it->string) != it) {
			api_verr_add(e, 400, it->string, "field given twice");
			bad++;
			continue;
		}
		if (cJSON_IsNull(it))
			continue;
		int ok = types[k] == API_FT_STR ? cJSON_IsString(it) :
		    types[k] == API_FT_BOOL ? cJSON_IsBool(it) : cJSON_IsNumber(it);
		if (ok && types[k] == API_FT_INT) {
			/* Range first: converting 1e19 or inf to int64_t is undefined behaviour. */
			double d = it->valuedouble;
			ok = d > -(double)JSON_MAX_EXACT_INT && d < (double)JSON_MAX_EXACT_INT &&
			    d == floor(d);
		}
		if (!ok) {
			api_verr_add(e, 400, it->string, "must be %s", ftype_name(types[k]));
			bad++;
		}
	}
	return bad;
}

const cJSON *
api_val_field(const cJSON *body, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(body, key);

	return it != NULL && !cJSON_IsNull(it) ? it : NULL;
}

static const char *
str_field(const cJSON *body, const char *key)
{
	const cJSON *it = api_val_field(body, key);

	return it != NULL ? it->valuestring : NULL;
}

static void
require(const cJSON *body, const char *const *names, struct api_verr *e)
{
	for (; *names != NULL; names++)
		if (api_val_field(body, *names) == NULL)
			api_verr_add(e, 400, *names, "required");
}

/* ---- databases ---- */

static const char *const policies[] = { "Delete", "Halt", "WipeOut", "DoNotTerminate", NULL };

int
api_in_list(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

static void
versions_list(const struct cfg_engine *en, char *out, size_t n)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < en->nversions && len < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%s", i ? ", " : "", en->versions[i]);
}

static void
sizes_list(const struct cfg *cfg, char *out, size_t n)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < cfg->nsizes && len < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%s", i ? ", " : "", cfg->sizes[i].name);
}

static void
check_version(const struct cfg *cfg, enum cfg_engine_id eng, const char *v, struct api_verr *e)
{
	char list[256];

	if (cfg_version_allowed(cfg, eng, v))
		return;
	versions_list(&cfg->engines[eng], list, sizeof(list));
	api_verr_add(e, 422, "version", "%s %s is not offered (versions: %s)",
	    cfg_engine_name(eng), v, list);
}

static void
check_size(const struct cfg *cfg, const char *size, struct api_verr *e)
{
	char list[512];

	if (cfg_size_lookup(cfg, size) != NULL)
		return;
	sizes_list(cfg, list, sizeof(list));
	api_verr_add(e, 422, "size", "unknown size \"%.*s\" (sizes: %s)",
	    json_utf8_prefix(size, 60), size, list);
}

/* Replicas allowed for a new database of engine EN. */
static void
check_replicas_new(const struct cfg_engine *en, const char *ename, int64_t r, struct api_verr *e)
{
	if (r >= en->replicas_min && r <= en->replicas_max)
		return;
	if (r == 1 && en->standalone)
		return;
	if (en->standalone)
		api_verr_add(e, 422, "replicas", "%s allows 1 (standalone) or %d to %d, got %lld",
		    ename, en->replicas_min, en->replicas_max, (long long)r);
	else if (en->replicas_min == en->replicas_max)
		api_verr_add(e, 422, "replicas", "%s allows exactly %d, got %lld", ename,
		    en->replicas_min, (long long)r);
	else
		api_verr_add(e, 422, "replicas", "%s allows %d to %d, got %lld", ename,
		    en->replicas_min, en->replicas_max, (long long)r);
}

/*
 * A change of replicas: the standalone topology is fixed both ways (a
 * standalone cannot scale out, a replica set cannot become a standalone),
 * otherwise the new value must be in range.
 */
static void
check_replicas_change(const struct cfg_engine *en, const char *ename, int64_t from, int64_t to,
    struct api_verr *e)
{
	int standalone_now = en->standalone && from == 1 && en->replicas_min > 1;

	if (from == to)
		return;
	if (standalone_now) {
		api_verr_add(e, 422, "replicas", "a standalone %s database cannot be scaled out "
		    "(replicas 1 -> %lld)", ename, (long long)to);
		return;
	}
	if (en->standalone && to == 1 && en->replicas_min > 1) {
		api_verr_add(e, 422, "replicas", "a replicated %s database cannot be scaled down "
		    "to 1 (standalone)", ename);
		return;
	}
	check_replicas_new(en, ename, to, e);
}

static void
check_storage_range(int64_t gb, struct api_verr *e)
{
	if (gb < 1 || gb > API_STORAGE_MAX)
		api_verr_add(e, 422, "storage_gb", "must be between 1 and %d, got %lld",
		    API_STORAGE_MAX, (long long)gb);
}

static const char *const db_create_keys[] = { "name", "engine", "version", "size", "replicas",
	"storage_gb", "provider_id", "namespace", "deletion_policy", "tenant", NULL };
static const enum api_ftype db_create_types[] = { API_FT_STR, API_FT_STR, API_FT_STR, API_FT_STR, API_FT_INT,
	API_FT_INT, API_FT_STR, API_FT_STR, API_FT_STR, API_FT_STR };

static void
fill_db_spec(const cJSON *body, struct api_db_spec *o)
{
	static const struct { const char *key; unsigned bit; } bits[] = {
		{ "name", DBF_NAME }, { "engine", DBF_ENGINE }, { "version", DBF_VERSION },
		{ "size", DBF_SIZE }, { "replicas", DBF_REPLICAS }, { "storage_gb", DBF_STORAGE },
		{ "provider_id", DBF_PROVIDER }, { "namespace", DBF_NAMESPACE },
		{ "deletion_policy", DBF_POLICY }, { "tenant", DBF_TENANT },
	};
	const cJSON *it;

	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (api_val_field(body, bits[i].key) != NULL)
			o->set |= bits[i].bit;
	o->name = str_field(body, "name");
	o->version = str_field(body, "version");
	o->size = str_field(body, "size");
	o->provider_id = str_field(body, "provider_id");
	o->namespace = str_field(body, "namespace");
	o->deletion_policy = str_field(body, "deletion_policy");
	o->tenant = str_field(body, "tenant");
	if ((it = api_val_field(body, "replicas")) != NULL)
		o->replicas = (int64_t)it->valuedouble;
	if ((it = api_val_field(body, "storage_gb")) != NULL)
		o->storage_gb = (int64_t)it->valuedouble;
}

static void
check_db_names(const struct api_db_spec *o, int admin, struct api_verr *e)
{
	if (!api_dns_label(o->name, API_NAME_MAX))
		api_verr_add(e, 422, "name", "must be a DNS-1123 label of at most %d characters "
		    "(lower-case letters, digits and '-', starting and ending with a letter or digit)",
		    API_NAME_MAX);
	if ((o->set & DBF_NAMESPACE) && !api_dns_label(o->namespace, API_NS_MAX))
		api_verr_add(e, 422, "namespace", "must be a DNS-1123 label of at most %d characters",
		    API_NS_MAX);
	if ((o->set & DBF_POLICY) && !api_in_list(o->deletion_policy, policies))
		api_verr_add(e, 422, "deletion_policy",
		    "must be one of Delete, Halt, WipeOut, DoNotTerminate");
	if (!id_valid("prv-", o->provider_id))
		api_verr_add(e, 422, "provider_id", "must be a provider id (prv-...)");
	if (admin && !(o->set & DBF_TENANT))
		api_verr_add(e, 422, "tenant", "required when an admin key creates a database");
	else if (!admin && (o->set & DBF_TENANT))
		api_verr_add(e, 422, "tenant", "only admin keys may set the tenant");
	else if (admin && !api_dns_label(o->tenant, API_NAME_MAX))
		api_verr_add(e, 422, "tenant", "must be a DNS-1123 label of at most %d characters",
		    API_NAME_MAX);
}

int
api_val_db_create(const cJSON *body, const struct cfg *cfg, int admin,
    struct api_db_spec *o, struct api_verr *e)
{
	static const char *const required[] = { "name", "engine", "version", "size", "replicas",
		"storage_gb", "provider_id", NULL };
	const char *engine;

	memset(o, 0, sizeof(*o));
	if (api_val_shape(body, db_create_keys, db_create_types, e) > 0)
		return -1;
	require(body, required, e);
	if (e->errors != NULL)
		return -1;
	fill_db_spec(body, o);
	check_db_names(o, admin, e);
	engine = str_field(body, "engine");
	o->engine = cfg_engine_lookup(engine);
	if (o->engine == ENGINE_COUNT || !cfg->engines[o->engine].enabled) {
		api_verr_add(e, 422, "engine", "unknown engine \"%.*s\" (engines: mongodb, postgres, "
		    "mysql, mariadb, redis, as enabled in the configuration)",
		    json_utf8_prefix(engine, 40), engine);
	} else {
		check_version(cfg, o->engine, o->version, e);
		check_replicas_new(&cfg->engines[o->engine], engine, o->replicas, e);
	}
	check_size(cfg, o->size, e);
	check_storage_range(o->storage_gb, e);
	return e->errors != NULL ? -1 : 0;
}

static const char *const db_patch_keys[] = { "size", "replicas", "storage_gb", "version", NULL };
static const enum api_ftype db_patch_types[] = { API_FT_STR, API_FT_INT, API_FT_INT, API_FT_STR };

int
api_val_db_patch(const cJSON *body, const struct cfg *cfg, const struct api_db_current *cur,
    struct api_db_spec *o, struct api_verr *e)
{
	const char *ename = cfg_engine_name(cur->engine);

	memset(o, 0, sizeof(*o));
	if (api_val_shape(body, db_patch_keys, db_patch_types, e) > 0)
		return -1;
	fill_db_spec(body, o);
	o->engine = cur->engine;
	if (o->set == 0) {
		api_verr_add(e, 422, "", "nothing to change: give at least one of size, replicas, "
		    "storage_gb, version");
		return -1;
	}
	if ((unsigned)cur->engine >= ENGINE_COUNT) {
		api_verr_add(e, 422, "", "the database's engine is not offered any more");
		return -1;
	}
	if (o->set & DBF_SIZE)
		check_size(cfg, o->size, e);
	if (o->set & DBF_VERSION)
		check_version(cfg, cur->engine, o->version, e);
	if (o->set & DBF_REPLICAS)
		check_replicas_change(&cfg->engines[cur->engine], ename, cur->replicas, o->replicas, e);
	if (o->set & DBF_STORAGE) {
		check_storage_range(o->storage_gb, e);
		if (o->storage_gb >= 1 && o->storage_gb < cur->storage_gb)
			api_verr_add(e, 422, "storage_gb", "storage_gb cannot decrease (current %lld, "
			    "requested %lld)", (long long)cur->storage_gb, (long long)o->storage_gb);
	}
	return e->errors != NULL ? -1 : 0;
}

int
api_val_empty(const cJSON *body, struct api_verr *e)
{
	static const char *const none[] = { NULL };
	static const enum api_ftype no_types[] = { API_FT_STR };

	return api_val_shape(body, none, no_types, e) > 0 ? -1 : 0;
}

/* ---- API keys ---- */

int
api_val_key(const cJSON *body, struct api_key_spec *o, struct api_verr *e)
{
	static const char *const keys[] = { "role", "tenant", "name", NULL };
	static const enum api_ftype types[] = { API_FT_STR, API_FT_STR, API_FT_STR };
	static const char *const required[] = { "role", NULL };

	memset(o, 0, sizeof(*o));
	if (api_val_shape(body, keys, types, e) > 0)
		return -1;
	require(body, required, e);
	if (e->errors != NULL)
		return -1;
	o->role = str_field(body, "role");
	o->tenant = str_field(body, "tenant");
	o->name = str_field(body, "name");
	if (strcmp(o->role, "admin") != 0 && strcmp(o->role, "tenant") != 0)
		api_verr_add(e, 422, "role", "must be admin or tenant");
	else if (strcmp(o->role, "tenant") == 0 && o->tenant == NULL)
		api_verr_add(e, 422, "tenant", "required for a tenant key");
	else if (strcmp(o->role, "admin") == 0 && o->tenant != NULL)
		api_verr_add(e, 422, "tenant", "admin keys belong to no tenant");
	if (o->tenant != NULL && !api_dns_label(o->tenant, API_NAME_MAX))
		api_verr_add(e, 422, "tenant", "must be a DNS-1123 label of at most %d characters",
		    API_NAME_MAX);
	if (o->name != NULL && (strlen(o->name) == 0 || strlen(o->name) > 100))
		api_verr_add(e, 422, "name", "must be 1 to 100 characters");
	return e->errors != NULL ? -1 : 0;
}
