/*
 * patch — see patch.h.  JSON pointers are resolved to (container, token)
 * pairs so that add/remove/replace share one lookup; move and copy are
 * expressed as remove/add like the RFC describes them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubesim/patch.h"

int
ksim_merge_patch(cJSON **doc, const cJSON *patch)
{
	const cJSON *p;

	if (!cJSON_IsObject(patch)) {
		cJSON *copy = cJSON_Duplicate(patch, 1);

		if (copy == NULL)
			return -1;
		cJSON_Delete(*doc);
		*doc = copy;
		return 0;
	}
	if (!cJSON_IsObject(*doc)) {
		cJSON *obj = cJSON_CreateObject();

		if (obj == NULL)
			return -1;
		cJSON_Delete(*doc);
		*doc = obj;
	}
	cJSON_ArrayForEach(p, patch) {
		cJSON *cur;

		if (cJSON_IsNull(p)) {
			cJSON_DeleteItemFromObjectCaseSensitive(*doc, p->string);
			continue;
		}
		cur = cJSON_DetachItemFromObjectCaseSensitive(*doc, p->string);
		if (cur == NULL && (cur = cJSON_CreateNull()) == NULL)
			return -1;
		if (ksim_merge_patch(&cur, p) < 0 || !cJSON_AddItemToObject(*doc, p->string, cur)) {
			cJSON_Delete(cur);
			return -1;
		}
	}
	return 0;
}

/* One unescaped reference token of a JSON pointer. */
struct token {
	char s[256];
};

/* Split POINTER into tokens.  Returns the count, or -1 if malformed. */
static int
split_pointer(const char *ptr, struct token *toks, int max)
{
	int n = 0;

	if (ptr[0] == '\0')
		return 0;
	if (ptr[0] != '/')
		return -1;
	while (*ptr == '/') {
		size_t o = 0;

		if (n == max)
			return -1;
		for (ptr++; *ptr != '\0' && *ptr != '/'; ptr++) {
			char c = *ptr;

			if (c == '~') {
				if (ptr[1] != '0' && ptr[1] != '1')
					return -1;
				c = *++ptr == '0' ? '~' : '/';
			}
			if (o + 1 >= sizeof(toks[n].s))
				return -1;
			toks[n].s[o++] = c;
		}
		toks[n++].s[o] = '\0';
	}
	return n;
}

/* Array index: digits without a leading zero, below LIMIT (inclusive if ALLOW_END). */
static int
array_index(const char *tok, int size, int allow_end)
{
	char *end;
	long v;

	if (allow_end && strcmp(tok, "-") == 0)
		return size;
	if (tok[0] == '\0' || (tok[0] == '0' && tok[1] != '\0') || tok[0] < '0' || tok[0] > '9')
		return -1;
	v = strtol(tok, &end, 10);
	if (*end != '\0' || v > size || (v == size && !allow_end))
		return -1;
	return (int)v;
}

static cJSON *
child(cJSON *c, const char *tok)
{
	if (cJSON_IsObject(c))
		return cJSON_GetObjectItemCaseSensitive(c, tok);
	if (cJSON_IsArray(c)) {
		int i = array_index(tok, cJSON_GetArraySize(c), 0);

		return i < 0 ? NULL : cJSON_GetArrayItem(c, i);
	}
	return NULL;
}

/* The container holding the last token of PATH, and that token. */
static cJSON *
resolve_parent(cJSON *doc, const char *path, struct token *last, int *root, char *err, size_t errlen)
{
	struct token toks[64];
	int n = split_pointer(path, toks, 64);
	cJSON *c = doc;

	*root = 0;
	if (n < 0) {
		snprintf(err, errlen, "invalid JSON pointer \"%s\"", path);
		return NULL;
	}
	if (n == 0) {
		*root = 1;
		return NULL;
	}
	for (int i = 0; i < n - 1 && c != NULL; i++)
		c = child(c, toks[i].s);
	if (c == NULL || (!cJSON_IsObject(c) && !cJSON_IsArray(c))) {
		snprintf(err, errlen, "doc is missing path: \"%s\"", path);
		return NULL;
	}
	*last = toks[n - 1];
	return c;
}

/*
 * Insert ITEM before position I of ARR.  Done by hand: cJSON_InsertItemInArray
 * of the cJSON shipped with Debian 12 refuses some valid positions.  cJSON keeps
 * the head's prev pointing at the tail; this preserves that.
 */
static void
insert_at(cJSON *arr, int i, cJSON *item)
{
	cJSON *after = cJSON_GetArrayItem(arr, i);

	if (after == NULL) {
		cJSON_AddItemToArray(arr, item);
		return;
	}
	item->next = after;
	item->prev = after->prev;
	if (after == arr->child)
		arr->child = item;
	else
		after->prev->next = item;
	after->prev = item;
}

static int
op_add(cJSON **doc, const char *path, const cJSON *value, char *err, size_t errlen)
{
	struct token t;
	int root, i;
	cJSON *parent = resolve_parent(*doc, path, &t, &root, err, errlen), *copy;

	if (root) {
		if ((copy = cJSON_Duplicate(value, 1)) == NULL)
			return KSIM_PATCH_FAILED;
		cJSON_Delete(*doc);
		*doc = copy;
		return 0;
	}
	if (parent == NULL)
		return KSIM_PATCH_FAILED;
	if ((copy = cJSON_Duplicate(value, 1)) == NULL)
		return KSIM_PATCH_FAILED;
	if (cJSON_IsObject(parent)) {
		if (cJSON_GetObjectItemCaseSensitive(parent, t.s) != NULL)
			cJSON_ReplaceItemInObjectCaseSensitive(parent, t.s, copy);
		else
			cJSON_AddItemToObject(parent, t.s, copy);
		return 0;
	}
	i = array_index(t.s, cJSON_GetArraySize(parent), 1);
	if (i < 0) {
		cJSON_Delete(copy);
		snprintf(err, errlen, "add operation does not apply: index \"%s\" out of bounds", t.s);
		return KSIM_PATCH_FAILED;
	}
	insert_at(parent, i, copy);
	return 0;
}

/* Detach the value at PATH (caller owns it), or NULL with ERR. */
static cJSON *
detach(cJSON *doc, const char *path, const char *what, char *err, size_t errlen)
{
	struct token t;
	int root;
	cJSON *parent = resolve_parent(doc, path, &t, &root, err, errlen), *v = NULL;

	if (root) {
		snprintf(err, errlen, "%s operation does not apply to the whole document", what);
		return NULL;
	}
	if (parent == NULL)
		return NULL;
	if (cJSON_IsObject(parent))
		v = cJSON_DetachItemFromObjectCaseSensitive(parent, t.s);
	else if (array_index(t.s, cJSON_GetArraySize(parent), 0) >= 0)
		v = cJSON_DetachItemFromArray(parent, array_index(t.s, cJSON_GetArraySize(parent), 0));
	if (v == NULL)
		snprintf(err, errlen, "%s operation does not apply: doc is missing key: %s", what, path);
	return v;
}

static const cJSON *
lookup(cJSON *doc, const char *path)
{
	struct token toks[64];
	int n = split_pointer(path, toks, 64);
	cJSON *c = doc;

	if (n < 0)
		return NULL;
	for (int i = 0; i < n && c != NULL; i++)
		c = child(c, toks[i].s);
	return c;
}

/* The members an operation needs must be there (else the patch is malformed). */
static int
check_members(const char *name, const cJSON *p, const cJSON *v, const cJSON *f, char *err,
    size_t errlen)
{
	if (!cJSON_IsString(p)) {
		snprintf(err, errlen, "operation \"%s\" has no \"path\"", name);
		return KSIM_PATCH_BAD_DOC;
	}
	if ((strcmp(name, "add") == 0 || strcmp(name, "replace") == 0 || strcmp(name, "test") == 0) &&
	    v == NULL) {
		snprintf(err, errlen, "operation \"%s\" has no \"value\"", name);
		return KSIM_PATCH_BAD_DOC;
	}
	if ((strcmp(name, "move") == 0 || strcmp(name, "copy") == 0) && !cJSON_IsString(f)) {
		snprintf(err, errlen, "operation \"%s\" has no \"from\"", name);
		return KSIM_PATCH_BAD_DOC;
	}
	return 0;
}

static int
op_remove_replace(cJSON **doc, const char *name, const char *path, const cJSON *v, char *err,
    size_t errlen)
{
	cJSON *old;

	if (strcmp(name, "replace") == 0 && path[0] == '\0')
		return op_add(doc, "", v, err, errlen);
	if ((old = detach(*doc, path, name, err, errlen)) == NULL)
		return KSIM_PATCH_FAILED;
	cJSON_Delete(old);
	return strcmp(name, "remove") == 0 ? 0 : op_add(doc, path, v, err, errlen);
}

static int
op_test(cJSON *doc, const char *path, const cJSON *v, char *err, size_t errlen)
{
	const cJSON *cur = lookup(doc, path);

	if (cur == NULL || !cJSON_Compare(cur, v, 1)) {
		snprintf(err, errlen, "testing value %s failed", path);
		return KSIM_PATCH_FAILED;
	}
	return 0;
}

static int
op_copy(cJSON **doc, const char *from, const char *path, char *err, size_t errlen)
{
	const cJSON *src = lookup(*doc, from);
	cJSON *copy;
	int rc;

	if (src == NULL) {
		snprintf(err, errlen, "copy operation does not apply: doc is missing from path: %s", from);
		return KSIM_PATCH_FAILED;
	}
	if ((copy = cJSON_Duplicate(src, 1)) == NULL)
		return KSIM_PATCH_FAILED;
	rc = op_add(doc, path, copy, err, errlen);
	cJSON_Delete(copy);
	return rc;
}

static int
op_move(cJSON **doc, const char *from, const char *path, char *err, size_t errlen)
{
	size_t fl = strlen(from);
	cJSON *moved;
	int rc;

	if (strncmp(path, from, fl) == 0 && path[fl] == '/') {
		snprintf(err, errlen, "move operation cannot move a value into itself");
		return KSIM_PATCH_FAILED;
	}
	if ((moved = detach(*doc, from, "move", err, errlen)) == NULL)
		return KSIM_PATCH_FAILED;
	rc = op_add(doc, path, moved, err, errlen);
	cJSON_Delete(moved);
	return rc;
}

/* Run one operation OP against *DOC. */
static int
apply_one(cJSON **doc, const cJSON *op, char *err, size_t errlen)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(op, "op");
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(op, "path");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(op, "value");
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(op, "from");
	const char *name = cJSON_IsString(o) ? o->valuestring : "";
	int rc = check_members(name, p, v, f, err, errlen);

	if (rc != 0)
		return rc;
	if (strcmp(name, "add") == 0)
		return op_add(doc, p->valuestring, v, err, errlen);
	if (strcmp(name, "remove") == 0 || strcmp(name, "replace") == 0)
		return op_remove_replace(doc, name, p->valuestring, v, err, errlen);
	if (strcmp(name, "test") == 0)
		return op_test(*doc, p->valuestring, v, err, errlen);
	if (strcmp(name, "copy") == 0)
		return op_copy(doc, f->valuestring, p->valuestring, err, errlen);
	if (strcmp(name, "move") == 0)
		return op_move(doc, f->valuestring, p->valuestring, err, errlen);
	snprintf(err, errlen, "Unexpected kind: %s", name);
	return KSIM_PATCH_BAD_DOC;
}

int
ksim_json_patch(cJSON **doc, const cJSON *ops, char *err, size_t errlen)
{
	const cJSON *op;

	if (!cJSON_IsArray(ops)) {
		snprintf(err, errlen, "json: cannot unmarshal %s into Go value of type jsonpatch.Patch",
		    cJSON_IsObject(ops) ? "object" : "value");
		return KSIM_PATCH_BAD_DOC;
	}
	if (cJSON_GetArraySize(ops) > 10000) {
		snprintf(err, errlen, "The allowed maximum operations in a JSON patch is 10000, got %d",
		    cJSON_GetArraySize(ops));
		return KSIM_PATCH_BAD_DOC;
	}
	cJSON_ArrayForEach(op, ops) {
		int rc;

		if (!cJSON_IsObject(op)) {
			snprintf(err, errlen, "json: cannot unmarshal a non-object into a patch operation");
			return KSIM_PATCH_BAD_DOC;
		}
		if ((rc = apply_one(doc, op, err, errlen)) != 0)
			return rc;
	}
	return 0;
}
