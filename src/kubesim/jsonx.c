/* jsonx — see jsonx.h. */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "kubesim/jsonx.h"

static int
cmp_items(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return strcmp(x->string, y->string);
}

void
ksim_json_sort(cJSON *item)
{
	cJSON *c, **v;
	int n = 0, i;

	if (item == NULL)
		return;
	for (c = item->child; c != NULL; c = c->next) {
		ksim_json_sort(c);
		n++;
	}
	if (!cJSON_IsObject(item) || n < 2)
		return;
	if ((v = malloc((size_t)n * sizeof(*v))) == NULL)
		return;		/* unsorted output is still valid JSON */
	for (i = 0, c = item->child; c != NULL; c = c->next)
		v[i++] = c;
	qsort(v, (size_t)n, sizeof(*v), cmp_items);
	/* cJSON keeps the head's prev pointing at the tail, for appends. */
	for (i = 0; i < n; i++) {
		v[i]->next = i + 1 < n ? v[i + 1] : NULL;
		v[i]->prev = i > 0 ? v[i - 1] : v[n - 1];
	}
	item->child = v[0];
	free(v);
}

char *
ksim_json_print(const cJSON *item, size_t *len)
{
	char *s = cJSON_PrintUnformatted(item);

	if (s != NULL && len != NULL)
		*len = strlen(s);
	return s;
}

static int
indent(struct evbuffer *out, int depth)
{
	if (evbuffer_add(out, "\n", 1) < 0)
		return -1;
	for (int i = 0; i < depth; i++)
		if (evbuffer_add(out, "  ", 2) < 0)
			return -1;
	return 0;
}

int
ksim_json_pretty(struct evbuffer *out, const char *s, size_t len)
{
	int depth = 0, in_str = 0, rc = 0;

	for (size_t i = 0; i < len && rc == 0; i++) {
		char c = s[i];

		if (in_str) {
			rc = evbuffer_add(out, &c, 1);
			if (c == '\\' && i + 1 < len)
				rc = evbuffer_add(out, &s[++i], 1);
			else if (c == '"')
				in_str = 0;
			continue;
		}
		switch (c) {
		case '"':
			in_str = 1;
			rc = evbuffer_add(out, &c, 1);
			break;
		case '{': case '[':
			rc = evbuffer_add(out, &c, 1);
			if (i + 1 < len && (s[i + 1] == '}' || s[i + 1] == ']'))
				rc = evbuffer_add(out, &s[++i], 1);
			else
				rc = indent(out, ++depth);
			break;
		case '}': case ']':
			if (indent(out, --depth) < 0)
				return -1;
			rc = evbuffer_add(out, &c, 1);
			break;
		case ',':
			rc = evbuffer_add(out, ",", 1);
			if (rc == 0)
				rc = indent(out, depth);
			break;
		case ':':
			rc = evbuffer_add(out, ": ", 2);
			break;
		default:
			rc = evbuffer_add(out, &c, 1);
		}
	}
	return rc;
}

int
ksim_json_quote(struct evbuffer *out, const char *s)
{
	int rc = evbuffer_add(out, "\"", 1);

	for (; rc == 0 && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			rc = evbuffer_add_printf(out, "\\%c", c) < 0 ? -1 : 0;
		else if (c == '\n')
			rc = evbuffer_add(out, "\\n", 2);
		else if (c == '\t')
			rc = evbuffer_add(out, "\\t", 2);
		else if (c < 0x20)
			rc = evbuffer_add_printf(out, "\\u%04x", c) < 0 ? -1 : 0;
		else
			rc = evbuffer_add(out, s, 1);
	}
	return rc == 0 ? evbuffer_add(out, "\"", 1) : -1;
}

cJSON *
ksim_json_at(const cJSON *root, const char *path)
{
	char key[128];
	const cJSON *c = root;

	while (c != NULL && *path != '\0') {
		const char *dot = strchr(path, '.');
		size_t n = dot != NULL ? (size_t)(dot - path) : strlen(path);

		if (n >= sizeof(key) || !cJSON_IsObject(c))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		c = cJSON_GetObjectItemCaseSensitive(c, key);
		path += n + (dot != NULL);
	}
	return (cJSON *)c;
}

const char *
ksim_json_str(const cJSON *root, const char *path)
{
	const cJSON *c = ksim_json_at(root, path);

	return cJSON_IsString(c) ? c->valuestring : NULL;
}

int64_t
ksim_json_int(const cJSON *root, const char *path, int64_t def)
{
	const cJSON *c = ksim_json_at(root, path);

	return cJSON_IsNumber(c) ? (int64_t)c->valuedouble : def;
}

int
ksim_json_set(cJSON *obj, const char *key, cJSON *item)
{
	if (item == NULL)
		return -1;
	if (cJSON_GetObjectItemCaseSensitive(obj, key) != NULL)
		return cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item) ? 0 : (cJSON_Delete(item), -1);
	return cJSON_AddItemToObject(obj, key, item) ? 0 : (cJSON_Delete(item), -1);
}

int
ksim_json_set_str(cJSON *obj, const char *key, const char *v)
{
	return ksim_json_set(obj, key, cJSON_CreateString(v));
}

int
ksim_json_set_int(cJSON *obj, const char *key, int64_t v)
{
	return ksim_json_set(obj, key, cJSON_CreateNumber((double)v));
}

cJSON *
ksim_json_obj(cJSON *root, const char *path)
{
	char key[128];
	cJSON *c = root;

	while (c != NULL && *path != '\0') {
		const char *dot = strchr(path, '.');
		size_t n = dot != NULL ? (size_t)(dot - path) : strlen(path);
		cJSON *next;

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		next = cJSON_GetObjectItemCaseSensitive(c, key);
		if (!cJSON_IsObject(next)) {
			if (ksim_json_set(c, key, cJSON_CreateObject()) < 0)
				return NULL;
			next = cJSON_GetObjectItemCaseSensitive(c, key);
		}
		c = next;
		path += n + (dot != NULL);
	}
	return c;
}

void
ksim_json_order(cJSON *obj, const char *const *order)
{
	cJSON *front = NULL, *tail = NULL;

	if (!cJSON_IsObject(obj))
		return;
	for (size_t i = 0; order[i] != NULL; i++) {
		cJSON *c = cJSON_DetachItemFromObjectCaseSensitive(obj, order[i]);

		if (c == NULL)
			continue;
		c->prev = tail;
		c->next = NULL;
		if (tail != NULL)
			tail->next = c;
		else
			front = c;
		tail = c;
	}
	if (front == NULL)
		return;
	/* Splice FRONT..TAIL before the remaining children. */
	tail->next = obj->child;
	if (obj->child != NULL) {
		front->prev = obj->child->prev;
		obj->child->prev = tail;
	} else {
		front->prev = tail;
	}
	obj->child = front;
}
