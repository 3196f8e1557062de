/*
 * kube_pager — a LIST delivered one page at a time (limit/continue), so a
 * collection of any size is observed with the memory of one page.
 *
 * Every page of one list is one snapshot with one resourceVersion, which
 * the caller hands to its watch.  A continue token expires (410) when the
 * server compacts; the remainder could still be fetched with the token the
 * 410 carries, but it would be an inconsistent list, so the pager starts
 * over and tells the caller (restarted = 1) to drop what it collected.
 */
#include <stdlib.h>
#include <string.h>

#include "common/kube_int.h"
#include "common/log.h"

#define PAGER_MAX_RESTARTS 3

struct kube_pager {
	struct kube *k;
	char *prov;
	char *path;
	char *label_sel, *field_sel;
	int limit;
	char *cont;
	int restarts;
	int restarted;			/* the next page starts a new snapshot */
	int in_page;
	int in_done;
	int cancelled;
	struct kube_req *req;
	kube_page_cb *page;
	kube_list_done_cb *done;
	void *arg;
};

static void
pager_free(struct kube_pager *pg)
{
	free(pg->prov);
	free(pg->path);
	free(pg->label_sel);
	free(pg->field_sel);
	free(pg->cont);
	free(pg);
}

static void page_done(void *arg, struct kube_result *res);

static int
next_page(struct kube_pager *pg, char *err, size_t n)
{
	size_t qn = 64 + (pg->cont ? strlen(pg->cont) * 3 : 0) +
	    (pg->label_sel ? strlen(pg->label_sel) * 3 : 0) +
	    (pg->field_sel ? strlen(pg->field_sel) * 3 : 0);
	char *q = malloc(qn), lim[16];
	struct kube_call c = { .verb = KUBE_LIST, .path = pg->path };

	if (q == NULL) {
		snprintf(err, n, "out of memory");
		return -1;
	}
	q[0] = '\0';
	snprintf(lim, sizeof(lim), "%d", pg->limit);
	kube_query_add(q, qn, "limit", lim);
	if (pg->label_sel != NULL)
		kube_query_add(q, qn, "labelSelector", pg->label_sel);
	if (pg->field_sel != NULL)
		kube_query_add(q, qn, "fieldSelector", pg->field_sel);
	if (pg->cont != NULL)
		kube_query_add(q, qn, "continue", pg->cont);
	c.query = q;
	pg->req = kube_request(pg->k, pg->prov, &c, page_done, pg, err, n);
	free(q);
	return pg->req != NULL ? 0 : -1;
}

static void
finish(struct kube_pager *pg, struct kube_result *res, const char *rv)
{
	pg->in_done = 1;
	pg->done(pg->arg, res, rv);
	pager_free(pg);
}

/* Deliver one page; returns 0 to go on, -1 when the caller stopped. */
static int
deliver_page(struct kube_pager *pg, cJSON *items)
{
	int rc;

	pg->in_page = 1;
	rc = pg->page(pg->arg, items, pg->restarted);
	pg->in_page = 0;
	pg->restarted = 0;
	return rc != 0 || pg->cancelled ? -1 : 0;
}

static const char *
meta_str(const cJSON *body, const char *key)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(body, "metadata");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(md, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static void
page_ok(struct kube_pager *pg, struct kube_result *res)
{
	cJSON *items = cJSON_GetObjectItemCaseSensitive(res->body, "items");
	const char *cont = meta_str(res->body, "continue");
	char err[256];

	if (!cJSON_IsArray(items) && !cJSON_IsNull(items)) {
		res->err = KUBE_ERR_DECODE;
		kube_res_errf(res, "list reply without an items array");
		finish(pg, res, "");
		return;
	}
	if (deliver_page(pg, cJSON_IsArray(items) ? items : NULL) != 0) {
		pager_free(pg);
		return;
	}
	if (*cont == '\0') {
		char *rv = strdup(meta_str(res->body, "resourceVersion"));

		finish(pg, res, rv != NULL ? rv : "");
		free(rv);
		return;
	}
	free(pg->cont);
	if ((pg->cont = strdup(cont)) == NULL || next_page(pg, err, sizeof(err)) != 0) {
		res->err = KUBE_ERR_OTHER;
		kube_res_errf(res, "list: cannot ask for the next page");
		finish(pg, res, "");
	}
}

static void
page_done(void *arg, struct kube_result *res)
{
	struct kube_pager *pg = arg;
	char err[256];

	pg->req = NULL;
	if (res->err == KUBE_OK) {
		page_ok(pg, res);
		return;
	}
	if (res->err == KUBE_ERR_GONE && pg->cont != NULL && pg->restarts < PAGER_MAX_RESTARTS) {
		log_info("kube_list_restart", "provider=%s path=%s reason=continue_expired",
		    pg->prov, pg->path);
		pg->restarts++;
		pg->restarted = 1;
		free(pg->cont);
		pg->cont = NULL;
		if (next_page(pg, err, sizeof(err)) == 0)
			return;
	}
	finish(pg, res, "");
}

struct kube_pager *
kube_list(struct kube *k, const char *provider, const struct kube_list_opts *o,
    kube_page_cb *page, kube_list_done_cb *done, void *arg, char *err, size_t n)
{
	struct kube_pager *pg;

	if (page == NULL || done == NULL || provider == NULL || o->path == NULL) {
		snprintf(err, n, "list needs a provider, a path and both callbacks");
		return NULL;
	}
	if ((pg = calloc(1, sizeof(*pg))) == NULL || (pg->prov = strdup(provider)) == NULL ||
	    (pg->path = strdup(o->path)) == NULL ||
	    (o->label_selector != NULL && *o->label_selector != '\0' &&
	    (pg->label_sel = strdup(o->label_selector)) == NULL) ||
	    (o->field_selector != NULL && *o->field_selector != '\0' &&
	    (pg->field_sel = strdup(o->field_selector)) == NULL)) {
		snprintf(err, n, "out of memory");
		goto fail;
	}
	pg->k = k;
	pg->limit = o->limit > 0 ? o->limit : 500;
	pg->page = page;
	pg->done = done;
	pg->arg = arg;
	if (next_page(pg, err, n) != 0)
		goto fail;
	return pg;
fail:
	if (pg != NULL)
		pager_free(pg);
	return NULL;
}

void
kube_pager_cancel(struct kube_pager *pg)
{
	if (pg == NULL || pg->in_done)
		return;	/* from the done callback: it is being freed anyway */
	if (pg->in_page) {
		pg->cancelled = 1;	/* freed when the page callback returns */
		return;
	}
	kube_req_cancel(pg->req);
	pager_free(pg);
}
