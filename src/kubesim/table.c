/* table — see table.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include "common/clock.h"
#include "kubesim/http.h"
#include "kubesim/jsonx.h"
#include "kubesim/ktime.h"
#include "kubesim/reply.h"
#include "kubesim/table.h"

struct column {
	const char *name;
	const char *type;
	const char *format;
	const char *desc;
	const char *path;	/* JSON path of the value; NULL for Name and Age */
};

static const struct column col_name = { "Name", "string", "name", "Name must be unique within a "
	"namespace. Is required when creating resources, although some resources may allow a client "
	"to request the generation of an appropriate name automatically. Name is primarily intended "
	"for creation idempotence and configuration definition. Cannot be updated. More info: "
	"https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names", NULL };
static const struct column col_age = { "Age", "date", "", "CreationTimestamp is a timestamp "
	"representing the server time when this object was created. It is not guaranteed to be set "
	"in happens-before order across separate operations. Clients may not set this value. It is "
	"represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for "
	"lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/"
	"api-conventions.md#metadata", NULL };

static size_t
columns(const struct ksim_res *res, const struct column **out)
{
	static const struct column version = { "Version", "string", "", "", "spec.version" };
	static const struct column status = { "Status", "string", "", "", "status.phase" };
	static const struct column type = { "Type", "string", "", "", "spec.type" };
	static const struct column stype = { "Type", "string", "", "", "type" };
	size_t n = 0;

	out[n++] = &col_name;
	switch (res->type) {
	case KSIM_RES_DB:
		out[n++] = &version;
		out[n++] = &status;
		break;
	case KSIM_RES_OPS:
		out[n++] = &type;
		out[n++] = &status;
		break;
	case KSIM_RES_NAMESPACE:
		out[n++] = &status;
		break;
	case KSIM_RES_SECRET:
		out[n++] = &stype;
		break;
	}
	out[n++] = &col_age;
	return n;
}

const char *
ksim_table_wanted(struct ksim_req *r)
{
	const char *accept = ksim_req_header(r, "Accept");

	if (accept == NULL || strstr(accept, "as=Table") == NULL || strstr(accept, "g=meta.k8s.io") == NULL)
		return NULL;
	/* The first acceptable Table version in the list. */
	for (const char *p = accept; p != NULL && *p != '\0';) {
		const char *end = strchr(p, ',');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);

		if (memmem(p, n, "as=Table", 8) != NULL && memmem(p, n, "g=meta.k8s.io", 13) != NULL) {
			if (memmem(p, n, "v=v1beta1", 9) != NULL)
				return "v1beta1";
			if (memmem(p, n, "v=v1", 4) != NULL)
				return "v1";
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return NULL;
}

static void
add_cell(struct evbuffer *out, const struct column *col, const cJSON *obj, const struct ksim_ver *v)
{
	char age[32];
	const cJSON *val;

	if (col == &col_name) {
		ksim_json_quote(out, v->obj->name);
	} else if (col == &col_age) {
		ksim_human_duration(clk_wall_ms() - v->created_ms, age, sizeof(age));
		ksim_json_quote(out, v->created_ms < 0 ? "<unknown>" : age);
	} else if ((val = ksim_json_at(obj, col->path)) != NULL && cJSON_IsString(val)) {
		ksim_json_quote(out, val->valuestring);
	} else if (val != NULL && cJSON_IsNumber(val)) {
		evbuffer_add_printf(out, "%g", val->valuedouble);
	} else {
		evbuffer_add(out, "null", 4);
	}
}

static void
add_row(struct evbuffer *out, const struct ksim_res *res, const struct ksim_ver *v,
    const struct column *const *cols, size_t ncols, const char *include)
{
	cJSON *obj = ksim_ver_parse(v), *meta;
	char *mj;

	evbuffer_add(out, "{\"cells\":[", 10);
	for (size_t i = 0; i < ncols; i++) {
		if (i > 0)
			evbuffer_add(out, ",", 1);
		add_cell(out, cols[i], obj, v);
	}
	evbuffer_add(out, "]", 1);
	if (include != NULL && strcmp(include, "None") == 0) {
		evbuffer_add(out, "}", 1);
	} else if (include != NULL && strcmp(include, "Object") == 0) {
		evbuffer_add(out, ",\"object\":", 10);
		evbuffer_add(out, v->json, v->len);
		evbuffer_add(out, "}", 1);
	} else {
		meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
		mj = meta != NULL ? cJSON_PrintUnformatted(meta) : NULL;
		evbuffer_add_printf(out, ",\"object\":{\"kind\":\"PartialObjectMetadata\","
		    "\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":%s}}", mj != NULL ? mj : "{}");
		cJSON_free(mj);
	}
	cJSON_Delete(obj);
}

int
ksim_table_build(struct evbuffer *out, const struct ksim_res *res, const char *tv,
    struct ksim_ver *const *v, size_t n, const struct ksim_table_meta *m, int headers,
    const char *include)
{
	const struct column *cols[8];
	size_t ncols = columns(res, cols);

	evbuffer_add_printf(out, "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/%s\",\"metadata\":{", tv);
	if (m->rv != 0)
		evbuffer_add_printf(out, "\"resourceVersion\":\"%llu\"", (unsigned long long)m->rv);
	if (m->continue_tok != NULL && m->continue_tok[0] != '\0')
		evbuffer_add_printf(out, "%s\"continue\":\"%s\"", m->rv != 0 ? "," : "", m->continue_tok);
	if (m->remaining >= 0)
		evbuffer_add_printf(out, ",\"remainingItemCount\":%lld", (long long)m->remaining);
	evbuffer_add(out, "},", 2);
	if (headers) {
		evbuffer_add(out, "\"columnDefinitions\":[", 21);
		for (size_t i = 0; i < ncols; i++) {
			evbuffer_add_printf(out, "%s{\"name\":\"%s\",\"type\":\"%s\",\"format\":\"%s\","
			    "\"description\":", i > 0 ? "," : "", cols[i]->name, cols[i]->type,
			    cols[i]->format);
			ksim_json_quote(out, cols[i]->desc);
			evbuffer_add_printf(out, ",\"priority\":0}");
		}
		evbuffer_add(out, "],", 2);
	} else {
		evbuffer_add(out, "\"columnDefinitions\":null,", 25);
	}
	evbuffer_add(out, "\"rows\":[", 8);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			evbuffer_add(out, ",", 1);
		add_row(out, res, v[i], cols, ncols, include);
	}
	return evbuffer_add(out, "]}", 2);
}

void
ksim_table_reply_one(struct ksim_call *c, const struct ksim_ver *v)
{
	struct evbuffer *b = evbuffer_new();
	struct ksim_table_meta m = { v->rv, NULL, -1 };
	struct ksim_ver *one = (struct ksim_ver *)v;

	if (b == NULL) {
		ksim_reply_error(c->req, 500, "InternalError", "out of memory");
		return;
	}
	ksim_table_build(b, c->res, ksim_table_wanted(c->req), &one, 1, &m, 1,
	    ksim_req_query(c->req, "includeObject"));
	ksim_req_reply_buf(c->req, 200, "application/json", b, NULL);
	evbuffer_free(b);
}
