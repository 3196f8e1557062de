/* list — see list.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "kubesim/contok.h"
#include "kubesim/http.h"
#include "kubesim/jsonx.h"
#include "kubesim/list.h"
#include "kubesim/reply.h"
#include "kubesim/table.h"

static const char expired_msg[] = "The provided continue parameter is too old to display a "
    "consistent list result. You can start a new list without the continue parameter, or use the "
    "continue token in this response to retrieve the remainder of the results. Continuing with "
    "the provided token results in an inconsistent list - objects that were created, modified, or "
    "deleted between the time the first chunk was returned and now may show up in the list.";

int
ksim_filter_parse(struct ksim_call *c, struct ksim_filter *f)
{
	const char *ls = ksim_req_query(c->req, "labelSelector");
	const char *fs = ksim_req_query(c->req, "fieldSelector");
	char err[1024];

	memset(f, 0, sizeof(*f));
	f->res = c->res;
	f->ns = c->ns;
	if (ksim_labelsel_parse(ls != NULL ? ls : "", &f->labels, err, sizeof(err)) < 0 ||
	    ksim_fieldsel_parse(fs != NULL ? fs : "", c->res->fields, &f->fields, err, sizeof(err)) < 0) {
		ksim_filter_free(f);
		ksim_reply_bad_request(c->req, err);
		return -1;
	}
	return 0;
}

void
ksim_filter_free(struct ksim_filter *f)
{
	ksim_labelsel_free(f->labels);
	ksim_fieldsel_free(f->fields);
	f->labels = NULL;
	f->fields = NULL;
}

struct field_ctx {
	const struct ksim_ver *v;
	char buf[64];
};

/* Field values: names come from the key, the rest from the stored JSON. */
static const char *
field_get(void *arg, const char *field)
{
	struct field_ctx *fc = arg;
	const struct ksim_obj *o = fc->v->obj;
	cJSON *obj;
	const char *s;

	if (strcmp(field, "metadata.name") == 0)
		return o->name;
	if (strcmp(field, "metadata.namespace") == 0)
		return o->ns;
	if ((obj = ksim_ver_parse(fc->v)) == NULL)
		return "";
	s = ksim_json_str(obj, field);
	snprintf(fc->buf, sizeof(fc->buf), "%s", s != NULL ? s : "");
	cJSON_Delete(obj);
	return fc->buf;
}

int
ksim_filter_match(const struct ksim_filter *f, const struct ksim_ver *v)
{
	struct field_ctx fc = { .v = v };

	if (f->ns[0] != '\0' && strcmp(v->obj->ns, f->ns) != 0)
		return 0;
	return ksim_labelsel_match(f->labels, &v->labels) &&
	    ksim_fieldsel_match(f->fields, field_get, &fc);
}

struct listing {
	uint64_t read_rv;		/* snapshot to read (0 = latest) */
	uint64_t list_rv;		/* RV to report */
	int64_t limit;			/* 0 = all */
	int inconsistent;		/* continue token with rv -1 */
	char start[KSIM_CONTOK_KEY_MAX + 300];
	size_t startlen;
	char prefix[300];
	size_t prefixlen;
};

static int
parse_uint(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 ? -1 : 0;
}

static void
reply_list_invalid(struct ksim_call *c, const char *field, const char *reason, const char *detail)
{
	char msg[768];
	struct ksim_cause cause = { reason, detail, field };

	snprintf(msg, sizeof(msg), "ListOptions.meta.k8s.io \"\" is invalid: %s: %s", field, detail);
	ksim_reply_status(c->req, &(struct ksim_status){ .code = 422, .reason = "Invalid",
	    .message = msg, .group = "meta.k8s.io", .kind = "ListOptions", .causes = &cause,
	    .ncauses = 1 });
}

/* resourceVersion newer than the store: wait, then 504 (the watch cache's answer). */
static int
too_large(struct ksim_call *c, uint64_t rv)
{
	char msg[256];
	struct ksim_cause cause = { "ResourceVersionTooLarge", "Too large resource version", NULL };

	if (rv <= ksim_store_rv(c->sim->store))
		return 0;
	if (!c->waited && c->sim->conf->rv_wait_ms > 0) {
		c->waited = 1;
		if (ksim_call_defer(c, c->sim->conf->rv_wait_ms, ksim_list) == 0)
			return 1;
	}
	snprintf(msg, sizeof(msg), "Timeout: Too large resource version: %llu, current: %llu",
	    (unsigned long long)rv, (unsigned long long)ksim_store_rv(c->sim->store));
	ksim_reply_status(c->req, &(struct ksim_status){ .code = 504, .reason = "Timeout",
	    .message = msg, .causes = &cause, .ncauses = 1, .retry_after = 1 });
	return 1;
}

/* The continue token's snapshot.  0, or 1 after replying. */
static int
plan_continue(struct ksim_call *c, struct listing *l, const char *tok)
{
	struct ksim_contok t;
	char err[512], msg[600], fresh[2048];

	if (ksim_contok_decode(tok, &t, err, sizeof(err)) < 0) {
		snprintf(msg, sizeof(msg), "invalid continue token: %s", err);
		ksim_reply_bad_request(c->req, msg);
		return 1;
	}
	memcpy(l->start + l->prefixlen, t.start, t.startlen);
	l->startlen = l->prefixlen + t.startlen;
	if (t.rv == -1) {
		l->inconsistent = 1;
		l->read_rv = 0;
		l->list_rv = ksim_store_rv(c->sim->store);
		return 0;
	}
	if (t.rv < 0 || (uint64_t)t.rv < ksim_store_compacted_rv(c->sim->store)) {
		ksim_contok_encode(-1, t.start, t.startlen, fresh, sizeof(fresh));
		ksim_reply_status(c->req, &(struct ksim_status){ .code = 410, .reason = "Expired",
		    .message = expired_msg, .continue_tok = fresh });
		return 1;
	}
	if ((uint64_t)t.rv > ksim_store_rv(c->sim->store)) {
		ksim_reply_bad_request(c->req, "invalid continue token: continue key is not valid: "
		    "resourceVersion is newer than the server");
		return 1;
	}
	l->read_rv = l->list_rv = (uint64_t)t.rv;
	return 0;
}

/* The query parameters that are wrong whatever the store holds.  0, or 1 after replying. */
static int
check_query(struct ksim_call *c, const char *rvs, const char *match, const char *lim,
    uint64_t *rv, uint64_t *limit)
{
	if (match != NULL && match[0] != '\0' && (rvs == NULL || rvs[0] == '\0')) {
		reply_list_invalid(c, "resourceVersionMatch", "FieldValueForbidden",
		    "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided");
		return 1;
	}
	if (match != NULL && match[0] != '\0' && strcmp(match, "Exact") != 0 &&
	    strcmp(match, "NotOlderThan") != 0) {
		reply_list_invalid(c, "resourceVersionMatch", "FieldValueNotSupported",
		    "Unsupported value: supported values: \"Exact\", \"NotOlderThan\"");
		return 1;
	}
	/* limit is an int64 to the apiserver; zero or negative means no limit. */
	if (lim != NULL && lim[0] == '-' && parse_uint(lim + 1, limit) == 0) {
		*limit = 0;
	} else if (lim != NULL && lim[0] != '\0' && parse_uint(lim, limit) < 0) {
		ksim_reply_bad_request(c->req, "invalid limit: must be an integer");
		return 1;
	}
	if (rvs != NULL && rvs[0] != '\0' && parse_uint(rvs, rv) < 0) {
		ksim_reply_bad_request(c->req, "invalid resource version: must be a non-negative integer");
		return 1;
	}
	if (match != NULL && strcmp(match, "Exact") == 0 && *rv == 0) {
		reply_list_invalid(c, "resourceVersionMatch", "FieldValueForbidden",
		    "Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"");
		return 1;
	}
	return 0;
}

/* Decide what to read.  0, or 1 after replying. */
static int
plan(struct ksim_call *c, struct listing *l)
{
	const char *rvs = ksim_req_query(c->req, "resourceVersion");
	const char *match = ksim_req_query(c->req, "resourceVersionMatch");
	const char *cont = ksim_req_query(c->req, "continue");
	uint64_t rv = 0, limit = 0;
	int exact;

	if (check_query(c, rvs, match, ksim_req_query(c->req, "limit"), &rv, &limit) != 0)
		return 1;
	l->limit = (int64_t)limit;
	l->prefixlen = (size_t)snprintf(l->prefix, sizeof(l->prefix), "%s%s", c->ns,
	    c->ns[0] != '\0' ? "/" : "");
	memcpy(l->start, l->prefix, l->prefixlen);
	l->startlen = l->prefixlen;
	l->list_rv = ksim_store_rv(c->sim->store);
	if (cont != NULL && cont[0] != '\0') {
		if (rvs != NULL && rvs[0] != '\0' && strcmp(rvs, "0") != 0) {
			ksim_reply_bad_request(c->req, "specifying resource version is not allowed when using continue");
			return 1;
		}
		return plan_continue(c, l, cont);
	}
	if (rvs != NULL && strcmp(rvs, "0") == 0) {
		l->limit = 0;		/* served from the watch cache: limit ignored */
		return 0;
	}
	if (rv == 0 || too_large(c, rv))
		return rv == 0 ? 0 : 1;
	exact = (match != NULL && strcmp(match, "Exact") == 0) ||
	    (limit > 0 && (match == NULL || match[0] == '\0'));
	if (!exact)
		return 0;
	if (rv < ksim_store_compacted_rv(c->sim->store)) {
		ksim_reply_error(c->req, 410, "Expired", "The resourceVersion for the provided list is too old.");
		return 1;
	}
	l->read_rv = l->list_rv = rv;
	return 0;
}

static int
in_prefix(const struct listing *l, const struct ksim_obj *o)
{
	return strncmp(o->key, l->prefix, l->prefixlen) == 0;
}

/* The next visible, matching version from O on (advancing *O), or NULL. */
static struct ksim_ver *
next_match(const struct listing *l, const struct ksim_filter *f, struct ksim_obj **o)
{
	for (; *o != NULL && in_prefix(l, *o); *o = ksim_store_next(*o)) {
		struct ksim_ver *v = ksim_obj_at(*o, l->read_rv);

		if (v != NULL && ksim_filter_match(f, v))
			return v;
	}
	return NULL;
}

static void
put_list_head(struct evbuffer *b, const struct ksim_res *res)
{
	if (res->group[0] != '\0')
		evbuffer_add_printf(b, "{\"apiVersion\":\"%s\",\"items\":[", res->api_version);
	else
		evbuffer_add_printf(b, "{\"kind\":\"%s\",\"apiVersion\":\"v1\",\"metadata\":{", res->list_kind);
}

static void
put_list_meta(struct evbuffer *b, const struct ksim_res *res, const struct listing *l,
    const char *tok, int64_t remaining)
{
	if (res->group[0] != '\0') {
		evbuffer_add_printf(b, "],\"kind\":\"%s\",\"metadata\":{\"continue\":\"%s\",", res->list_kind, tok);
		if (remaining >= 0)
			evbuffer_add_printf(b, "\"remainingItemCount\":%lld,", (long long)remaining);
		evbuffer_add_printf(b, "\"resourceVersion\":\"%llu\"}}", (unsigned long long)l->list_rv);
		return;
	}
	evbuffer_add_printf(b, "\"resourceVersion\":\"%llu\"", (unsigned long long)l->list_rv);
	if (tok[0] != '\0')
		evbuffer_add_printf(b, ",\"continue\":\"%s\"", tok);
	if (remaining >= 0)
		evbuffer_add_printf(b, ",\"remainingItemCount\":%lld", (long long)remaining);
	evbuffer_add(b, "},\"items\":[", 11);
}

struct page {
	struct ksim_ver **v;
	size_t n, cap;
	char tok[2048];
	int64_t remaining;
};

static int
page_add(struct page *p, struct ksim_ver *v)
{
	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 256;
		struct ksim_ver **nv = realloc(p->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return -1;
		p->v = nv;
		p->cap = ncap;
	}
	p->v[p->n++] = v;
	return 0;
}

/* Collect the page; set the continue token when more matching items exist. */
static int
collect(struct ksim_call *c, const struct listing *l, const struct ksim_filter *f, struct page *p)
{
	struct ksim_obj *o = ksim_store_seek(c->sim->store, c->res, l->start, l->startlen);
	struct ksim_ver *v;
	const char *ls = ksim_req_query(c->req, "labelSelector");
	const char *fs = ksim_req_query(c->req, "fieldSelector");
	int selective = (ls != NULL && ls[0] != '\0') || (fs != NULL && fs[0] != '\0');

	p->remaining = -1;
	p->tok[0] = '\0';
	while ((v = next_match(l, f, &o)) != NULL) {
		if (l->limit > 0 && (int64_t)p->n == l->limit) {
			const struct ksim_obj *last = p->v[p->n - 1]->obj;
			char key[KSIM_CONTOK_KEY_MAX];
			size_t kl = strlen(last->key) - l->prefixlen;
			int64_t more = 0;

			if (kl + 1 >= sizeof(key))
				return -1;
			memcpy(key, last->key + l->prefixlen, kl);
			key[kl++] = '\0';
			ksim_contok_encode((int64_t)l->list_rv, key, kl, p->tok, sizeof(p->tok));
			if (!selective) {
				for (; next_match(l, f, &o) != NULL; o = ksim_store_next(o))
					more++;
				p->remaining = more;
			}
			return 0;
		}
		if (page_add(p, v) < 0)
			return -1;
		o = ksim_store_next(o);
	}
	return 0;
}

static void
reply_page(struct ksim_call *c, const struct listing *l, const struct page *p)
{
	struct evbuffer *b = evbuffer_new();
	const char *tv = ksim_table_wanted(c->req);

	if (b == NULL) {
		ksim_reply_error(c->req, 500, "InternalError", "out of memory");
		return;
	}
	if (tv != NULL) {
		struct ksim_table_meta m = { l->list_rv, p->tok, p->remaining };

		ksim_table_build(b, c->res, tv, p->v, p->n, &m, 1, ksim_req_query(c->req, "includeObject"));
		ksim_req_reply_buf(c->req, 200, "application/json", b, NULL);
		evbuffer_free(b);
		return;
	}
	put_list_head(b, c->res);
	if (c->res->group[0] == '\0')
		put_list_meta(b, c->res, l, p->tok, p->remaining);
	for (size_t i = 0; i < p->n; i++) {
		if (i > 0)
			evbuffer_add(b, ",", 1);
		evbuffer_add(b, p->v[i]->json, p->v[i]->len);
	}
	if (c->res->group[0] != '\0')
		put_list_meta(b, c->res, l, p->tok, p->remaining);
	else
		evbuffer_add(b, "]}", 2);
	ksim_req_reply_buf(c->req, 200, "application/json", b, NULL);
	evbuffer_free(b);
}

void
ksim_list(struct ksim_call *c)
{
	struct listing l;
	struct ksim_filter f;
	struct page p;

	memset(&l, 0, sizeof(l));
	memset(&p, 0, sizeof(p));
	if (plan(c, &l) != 0 || ksim_filter_parse(c, &f) < 0)
		return;
	if (collect(c, &l, &f, &p) < 0)
		ksim_reply_error(c->req, 500, "InternalError", "out of memory");
	else
		reply_page(c, &l, &p);
	free(p.v);
	ksim_filter_free(&f);
}
