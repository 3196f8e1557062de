/*
 * pagination — one page of a list: {"items": [...], "next_cursor": ...}.
 *
 * Asks for one document more than the page holds to learn whether another
 * page exists without a count (counting is a scan on FerretDB); the cursor
 * of the next page is the id of the last item shown (cursor.c).
 */
#include "api/api_int.h"

struct page {
	cJSON *items;
	api_render_fn *render;
	int limit, n;
	char last[ID_MAX];
	int more;
};

static int
add_item(const bson_t *doc, void *arg)
{
	struct page *p = arg;
	const char *id = api_bson_str(doc, "_id");

	if (p->n == p->limit) {
		p->more = 1;
		return 1;
	}
	cJSON_AddItemToArray(p->items, p->render(doc));
	snprintf(p->last, sizeof(p->last), "%s", id != NULL ? id : "");
	p->n++;
	return 0;
}

void
api_list_reply(struct api_req *q, enum mdb_coll c, bson_t *filter, int limit,
    api_render_fn *render)
{
	struct page p = { cJSON_CreateArray(), render, limit, 0, "", 0 };
	char cursor[2 * API_CURSOR_MAX];
	cJSON *body;
	int rc = api_store_find(q->mdb, c, filter, limit + 1, add_item, &p);

	if (rc != API_STORE_OK) {
		cJSON_Delete(p.items);
		api_reply_store(q, rc, "list failed");
		return;
	}
	body = cJSON_CreateObject();
	cJSON_AddItemToObject(body, "items", p.items);
	if (p.more && p.last[0] != '\0') {
		api_cursor_encode(p.last, cursor, sizeof(cursor));
		cJSON_AddStringToObject(body, "next_cursor", cursor);
	} else {
		cJSON_AddNullToObject(body, "next_cursor");
	}
	api_reply_json(q, 200, body);
}

void
api_list(struct api_req *q, const struct api_list_spec *spec)
{
	struct evkeyvalq qs;
	char after[ID_MAX];
	bson_t f = BSON_INITIALIZER;
	int limit;

	if (api_query(q, spec->allowed, &qs) != 0)
		return;
	if (api_page_args(q, &qs, spec->id_prefix, &limit, after, sizeof(after)) == 0 &&
	    (spec->filter == NULL || spec->filter(q, &qs, &f) == 0)) {
		if (after[0] != '\0')
			BCON_APPEND(&f, "_id", "{", "$lt", BCON_UTF8(after), "}");
		api_list_reply(q, spec->coll, &f, limit, spec->render);
	}
	bson_destroy(&f);
	evhttp_clear_headers(&qs);
}
