/*
 * jsonx — the JSON chores of a server that stores objects as text: sorted
 * compact printing (custom resources come back from the apiserver with
 * alphabetically sorted keys), pretty printing for curl, dotted-path access
 * to cJSON trees, and string escaping for bodies assembled by hand.
 */
#ifndef KSIM_JSONX_H
#define KSIM_JSONX_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct evbuffer;

/* Sort the keys of every object in the tree, recursively. */
void ksim_json_sort(cJSON *item);
/* Compact text of ITEM (malloc'd, caller frees) and its length in *LEN. */
char *ksim_json_print(const cJSON *item, size_t *len);
/* Append JSON[0..LEN) re-indented with two spaces, as the apiserver does for curl. */
int ksim_json_pretty(struct evbuffer *out, const char *json, size_t len);
/* Append S as a quoted JSON string. */
int ksim_json_quote(struct evbuffer *out, const char *s);

/* The item at dotted PATH ("metadata.name"), or NULL. */
cJSON *ksim_json_at(const cJSON *root, const char *path);
/* The string at PATH, or NULL when absent or not a string. */
const char *ksim_json_str(const cJSON *root, const char *path);
/* The integer at PATH, or DEF when absent or not a number. */
int64_t ksim_json_int(const cJSON *root, const char *path, int64_t def);
/* The object at PATH, created (with its parents) when absent; NULL on OOM. */
cJSON *ksim_json_obj(cJSON *root, const char *path);
/* Set KEY of OBJ to a copy of string V (replacing).  Returns 0 or -1. */
int ksim_json_set_str(cJSON *obj, const char *key, const char *v);
int ksim_json_set_int(cJSON *obj, const char *key, int64_t v);
/* Set KEY of OBJ to ITEM, taking ownership (ITEM freed on failure). */
int ksim_json_set(cJSON *obj, const char *key, cJSON *item);



/*
 * Move the keys listed in ORDER (NULL-terminated) to the front of OBJ, in
 * that order; other keys follow in their current order.  Built-in kinds
 * are printed in Go struct order rather than sorted.
 */
void ksim_json_order(cJSON *obj, const char *const *order);
#endif
