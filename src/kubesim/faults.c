/* faults — see faults.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/rnd.h"
#include "kubesim/faults.h"
#include "kubesim/res.h"

#define LOG_CAP 20000

struct rule {
	int id;
	enum ksim_fault_action action;
	unsigned verbs;			/* bit per enum ksim_verb; 0 = every verb */
	char resource[64];		/* "" = any */
	char ns[254];
	char name[254];
	double probability;
	int64_t count;			/* remaining; -1 = unlimited */
	int64_t hits;
	int64_t latency_ms, jitter_ms;
	int code;
	int retry_after;
	int64_t after_ms;
	struct rule *next;
};

struct counter {
	enum ksim_verb verb;
	char resource[64];
	int code;
	int64_t n;
};

struct logent {
	uint64_t seq;
	int64_t t_ms;
	enum ksim_verb verb;
	char resource[40];
	char ns[64];
	char name[64];
	int code;
};

struct ksim_faults {
	struct rule *rules;
	int next_id;
	struct counter *ctr;
	size_t nctr, cap;
	int64_t total;
	struct logent *log;
	uint64_t log_seq;		/* entries ever logged */
};

static const char *const action_names[] = {
	[KSIM_F_LATENCY] = "latency", [KSIM_F_ERROR] = "error", [KSIM_F_HANG] = "hang",
	[KSIM_F_RESET] = "reset", [KSIM_F_WATCH_CLOSE] = "watch_close",
	[KSIM_F_WATCH_EXPIRE] = "watch_expire", [KSIM_F_OPS_FAIL] = "ops_fail",
	[KSIM_F_DB_CRITICAL] = "db_critical",
};

struct ksim_faults *
ksim_faults_new(void)
{
	struct ksim_faults *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->log = calloc(LOG_CAP, sizeof(*f->log));
	if (f->log == NULL) {
		free(f);
		return NULL;
	}
	f->next_id = 1;
	return f;
}

void
ksim_faults_clear(struct ksim_faults *f)
{
	while (f->rules != NULL) {
		struct rule *r = f->rules;

		f->rules = r->next;
		free(r);
	}
}

void
ksim_faults_free(struct ksim_faults *f)
{
	if (f == NULL)
		return;
	ksim_faults_clear(f);
	free(f->ctr);
	free(f->log);
	free(f);
}

static int
parse_action(const char *s)
{
	for (size_t i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++)
		if (strcmp(s, action_names[i]) == 0)
			return (int)i;
	return -1;
}

static int
parse_verbs(const cJSON *v, unsigned *mask, char *err, size_t errlen)
{
	const cJSON *e;

	*mask = 0;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsString(v) && strcmp(v->valuestring, "*") == 0)
		return 0;
	if (!cJSON_IsArray(v)) {
		snprintf(err, errlen, "verbs: must be an array of verb names or \"*\"");
		return -1;
	}
	cJSON_ArrayForEach(e, v) {
		int k;

		for (k = 0; k < KSIM_NVERBS; k++)
			if (cJSON_IsString(e) && strcmp(e->valuestring, ksim_verb_name(k)) == 0)
				break;
		if (k == KSIM_NVERBS) {
			snprintf(err, errlen, "verbs: unknown verb %s (get, list, watch, create, update, "
			    "patch, delete, deletecollection)", cJSON_IsString(e) ? e->valuestring : "?");
			return -1;
		}
		*mask |= 1u << k;
	}
	return 0;
}

/* E as "field: message" in ERR, the form the /_sim endpoints answer with. */
static int
jerr_out(const struct jerr *e, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", e->field, e->msg);
	return -1;
}

/* A match string of at most N-1 bytes into OUT; absent or "*" leaves it "" (any). */
static int
get_match(const cJSON *spec, const char *key, char *out, size_t n, char *err, size_t errlen)
{
	const char *v = NULL;
	struct jerr e;

	out[0] = '\0';
	if (json_get_str(spec, "", key, JSON_OPTIONAL, &v, &e) < 0)
		return jerr_out(&e, err, errlen);
	if (v == NULL || strcmp(v, "*") == 0)
		return 0;
	if (strlen(v) >= n) {
		snprintf(err, errlen, "%s: must be a string shorter than %zu bytes", key, n);
		return -1;
	}
	snprintf(out, n, "%s", v);
	return 0;
}

/* json.h reads integers only; a probability is a fraction. */
static int
get_probability(const cJSON *spec, double *out, char *err, size_t errlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(spec, "probability");

	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 1)) {
		snprintf(err, errlen, "probability: must be a number from 0 to 1");
		return -1;
	}
	*out = v->valuedouble;
	return 0;
}

/* The numeric settings of a rule, with their defaults per action. */
static int
parse_numbers(const cJSON *spec, struct rule *r, char *err, size_t errlen)
{
	static const struct {
		const char *key;
		int64_t min, max;
	} lim[] = {
		{ "count", -1, 1000000000 }, { "latency_ms", 0, 3600000 }, { "jitter_ms", 0, 3600000 },
		{ "code", 400, 599 }, { "retry_after", 0, 3600 }, { "after_ms", 0, 3600000 },
	};
	int64_t v[] = { -1, 0, 0, r->action == KSIM_F_ERROR ? 500 : 0, 0, 0 };
	double prob = 1;
	struct jerr e;

	for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++)
		if (json_get_i64(spec, "", lim[i].key, JSON_OPTIONAL, lim[i].min, lim[i].max, &v[i],
		    &e) < 0)
			return jerr_out(&e, err, errlen);
	if (get_probability(spec, &prob, err, errlen) < 0)
		return -1;
	if (r->action == KSIM_F_LATENCY && v[1] == 0 && v[2] == 0) {
		snprintf(err, errlen, "latency_ms: a latency fault needs latency_ms or jitter_ms");
		return -1;
	}
	if (r->action == KSIM_F_ERROR && v[3] == 429 && v[4] == 0)
		v[4] = 1;
	r->probability = prob;
	r->count = v[0] == 0 ? -1 : v[0];
	r->latency_ms = v[1];
	r->jitter_ms = v[2];
	r->code = (int)v[3];
	r->retry_after = (int)v[4];
	r->after_ms = v[5];
	return 0;
}

/* SPEC's action, or -1 with ERR. */
static int
get_action(const cJSON *spec, char *err, size_t errlen)
{
	const char *s = NULL;
	struct jerr e;
	int a;

	if (json_get_str(spec, "", "action", JSON_OPTIONAL, &s, &e) < 0)
		return jerr_out(&e, err, errlen);
	if (s == NULL || (a = parse_action(s)) < 0) {
		snprintf(err, errlen, "action: must be one of latency, error, hang, reset, watch_close, "
		    "watch_expire, ops_fail, db_critical");
		return -1;
	}
	return a;
}

static int
resource_known(const char *plural)
{
	for (int i = 0; i < KSIM_NRES; i++)
		if (strcmp(ksim_res_table[i].plural, plural) == 0)
			return 1;
	return 0;
}

int
ksim_faults_add(struct ksim_faults *f, const cJSON *spec, char *err, size_t errlen)
{
	static const char *const known[] = { "action", "verbs", "resource", "namespace", "name",
		"probability", "count", "latency_ms", "jitter_ms", "code", "retry_after", "after_ms", NULL };
	struct rule *r, **tail;
	struct jerr e;
	int action;

	if (!cJSON_IsObject(spec)) {
		snprintf(err, errlen, "the fault must be a JSON object");
		return -1;
	}
	if (json_check_keys(spec, "", known, &e) < 0)
		return jerr_out(&e, err, errlen);
	if ((action = get_action(spec, err, errlen)) < 0)
		return -1;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->action = (enum ksim_fault_action)action;
	if (parse_verbs(cJSON_GetObjectItemCaseSensitive(spec, "verbs"), &r->verbs, err, errlen) < 0 ||
	    get_match(spec, "resource", r->resource, sizeof(r->resource), err, errlen) < 0 ||
	    get_match(spec, "namespace", r->ns, sizeof(r->ns), err, errlen) < 0 ||
	    get_match(spec, "name", r->name, sizeof(r->name), err, errlen) < 0 ||
	    parse_numbers(spec, r, err, errlen) < 0) {
		free(r);
		return -1;
	}
	if (r->resource[0] != '\0' && !resource_known(r->resource)) {
		snprintf(err, errlen, "resource: unknown resource \"%s\" (use the plural, e.g. mongodbs)",
		    r->resource);
		free(r);
		return -1;
	}
	r->id = f->next_id++;
	for (tail = &f->rules; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = r;
	return r->id;
}

int
ksim_faults_remove(struct ksim_faults *f, int id)
{
	for (struct rule **p = &f->rules; *p != NULL; p = &(*p)->next) {
		if ((*p)->id == id) {
			struct rule *r = *p;

			*p = r->next;
			free(r);
			return 0;
		}
	}
	return -1;
}

cJSON *
ksim_faults_json(const struct ksim_faults *f)
{
	cJSON *arr = cJSON_CreateArray();

	for (const struct rule *r = f->rules; arr != NULL && r != NULL; r = r->next) {
		cJSON *o = cJSON_CreateObject(), *verbs;

		if (o == NULL)
			break;
		cJSON_AddNumberToObject(o, "id", r->id);
		cJSON_AddStringToObject(o, "action", action_names[r->action]);
		verbs = cJSON_AddArrayToObject(o, "verbs");
		for (int k = 0; verbs != NULL && k < KSIM_NVERBS; k++)
			if (r->verbs & (1u << k))
				cJSON_AddItemToArray(verbs, cJSON_CreateString(ksim_verb_name(k)));
		cJSON_AddStringToObject(o, "resource", r->resource);
		cJSON_AddStringToObject(o, "namespace", r->ns);
		cJSON_AddStringToObject(o, "name", r->name);
		cJSON_AddNumberToObject(o, "probability", r->probability);
		cJSON_AddNumberToObject(o, "count", (double)r->count);
		cJSON_AddNumberToObject(o, "hits", (double)r->hits);
		cJSON_AddNumberToObject(o, "latency_ms", (double)r->latency_ms);
		cJSON_AddNumberToObject(o, "jitter_ms", (double)r->jitter_ms);
		cJSON_AddNumberToObject(o, "code", r->code);
		cJSON_AddNumberToObject(o, "retry_after", r->retry_after);
		cJSON_AddNumberToObject(o, "after_ms", (double)r->after_ms);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static int
matches(const struct rule *r, int verb, const char *resource, const char *ns, const char *name)
{
	if (verb >= 0 && r->verbs != 0 && !(r->verbs & (1u << verb)))
		return 0;
	if (r->resource[0] != '\0' && strcmp(r->resource, resource) != 0)
		return 0;
	if (r->ns[0] != '\0' && strcmp(r->ns, ns) != 0)
		return 0;
	return r->name[0] == '\0' || strcmp(r->name, name) == 0;
}

/* Roll the dice for R and consume one count when it fires. */
static int
fire(struct ksim_faults *f, struct rule *r)
{
	if (r->probability < 1 && rnd_unit() >= r->probability)
		return 0;
	r->hits++;
	if (r->count > 0 && --r->count == 0)
		r->count = -2;	/* spent: removed by the caller */
	return 1;
}

static void
drop_spent(struct ksim_faults *f)
{
	for (struct rule **p = &f->rules; *p != NULL;) {
		if ((*p)->count == -2) {
			struct rule *r = *p;

			*p = r->next;
			free(r);
		} else {
			p = &(*p)->next;
		}
	}
}

static int
is_request_fault(enum ksim_fault_action a)
{
	return a != KSIM_F_OPS_FAIL && a != KSIM_F_DB_CRITICAL;
}

void
ksim_faults_request(struct ksim_faults *f, enum ksim_verb verb, const char *resource,
    const char *ns, const char *name, struct ksim_fault_hit *hit)
{
	memset(hit, 0, sizeof(*hit));
	hit->action = KSIM_F_NONE;
	for (struct rule *r = f->rules; r != NULL; r = r->next) {
		if (!is_request_fault(r->action) || !matches(r, (int)verb, resource, ns, name))
			continue;
		if ((r->action == KSIM_F_WATCH_CLOSE || r->action == KSIM_F_WATCH_EXPIRE) &&
		    verb != KSIM_V_WATCH)
			continue;
		if (r->action != KSIM_F_LATENCY && hit->action != KSIM_F_NONE)
			continue;
		if (!fire(f, r))
			continue;
		if (r->action == KSIM_F_LATENCY) {
			hit->delay_ms += r->latency_ms;
			if (r->jitter_ms > 0)
				hit->delay_ms += (int64_t)(rnd_unit() * (double)r->jitter_ms);
			continue;
		}
		hit->action = r->action;
		hit->code = r->code;
		hit->retry_after = r->retry_after;
		hit->after_ms = r->after_ms;
	}
	drop_spent(f);
}

int
ksim_faults_ops_fail(struct ksim_faults *f, const char *resource, const char *ns, const char *name)
{
	for (struct rule *r = f->rules; r != NULL; r = r->next) {
		if (r->action == KSIM_F_OPS_FAIL && matches(r, -1, resource, ns, name) && fire(f, r)) {
			drop_spent(f);
			return 1;
		}
	}
	return 0;
}

int
ksim_faults_db_critical(struct ksim_faults *f, const char *resource, const char *ns,
    const char *name)
{
	for (struct rule *r = f->rules; r != NULL; r = r->next)
		if (r->action == KSIM_F_DB_CRITICAL && matches(r, -1, resource, ns, name))
			return 1;
	return 0;
}

void
ksim_faults_count(struct ksim_faults *f, enum ksim_verb verb, const char *resource,
    const char *ns, const char *name, int code, int64_t t_ms)
{
	struct logent *e = &f->log[f->log_seq % LOG_CAP];
	size_t i;

	for (i = 0; i < f->nctr; i++)
		if (f->ctr[i].verb == verb && f->ctr[i].code == code &&
		    strcmp(f->ctr[i].resource, resource) == 0)
			break;
	if (i == f->nctr) {
		if (f->nctr == f->cap) {
			size_t ncap = f->cap ? f->cap * 2 : 64;
			struct counter *nc = realloc(f->ctr, ncap * sizeof(*nc));

			if (nc == NULL)
				return;
			f->ctr = nc;
			f->cap = ncap;
		}
		f->ctr[i] = (struct counter){ .verb = verb, .code = code };
		snprintf(f->ctr[i].resource, sizeof(f->ctr[i].resource), "%s", resource);
		f->nctr++;
	}
	f->ctr[i].n++;
	f->total++;
	*e = (struct logent){ .seq = f->log_seq++, .t_ms = t_ms, .verb = verb, .code = code };
	snprintf(e->resource, sizeof(e->resource), "%s", resource);
	snprintf(e->ns, sizeof(e->ns), "%s", ns);
	snprintf(e->name, sizeof(e->name), "%s", name);
}

void
ksim_faults_reset_counters(struct ksim_faults *f)
{
	f->nctr = 0;
	f->total = 0;
}

cJSON *
ksim_faults_counters_json(const struct ksim_faults *f)
{
	cJSON *o = cJSON_CreateObject(), *arr;

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "total", (double)f->total);
	arr = cJSON_AddArrayToObject(o, "counters");
	for (size_t i = 0; arr != NULL && i < f->nctr; i++) {
		cJSON *c = cJSON_CreateObject();

		if (c == NULL)
			break;
		cJSON_AddStringToObject(c, "verb", ksim_verb_name(f->ctr[i].verb));
		cJSON_AddStringToObject(c, "resource", f->ctr[i].resource);
		cJSON_AddNumberToObject(c, "code", f->ctr[i].code);
		cJSON_AddNumberToObject(c, "count", (double)f->ctr[i].n);
		cJSON_AddItemToArray(arr, c);
	}
	return o;
}

cJSON *
ksim_faults_log_json(const struct ksim_faults *f, uint64_t since)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	uint64_t first = f->log_seq > LOG_CAP ? f->log_seq - LOG_CAP : 0;

	if (o == NULL)
		return NULL;
	if (since < first)
		since = first;
	cJSON_AddNumberToObject(o, "next", (double)f->log_seq);
	cJSON_AddNumberToObject(o, "first", (double)first);
	arr = cJSON_AddArrayToObject(o, "requests");
	for (uint64_t s = since; arr != NULL && s < f->log_seq; s++) {
		const struct logent *e = &f->log[s % LOG_CAP];
		cJSON *c = cJSON_CreateObject();

		if (c == NULL)
			break;
		cJSON_AddNumberToObject(c, "seq", (double)e->seq);
		cJSON_AddNumberToObject(c, "t_ms", (double)e->t_ms);
		cJSON_AddStringToObject(c, "verb", ksim_verb_name(e->verb));
		cJSON_AddStringToObject(c, "resource", e->resource);
		cJSON_AddStringToObject(c, "namespace", e->ns);
		cJSON_AddStringToObject(c, "name", e->name);
		cJSON_AddNumberToObject(c, "code", e->code);
		cJSON_AddItemToArray(arr, c);
	}
	return o;
}
