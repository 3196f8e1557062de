/*
 * The strict JSON front door (HTTP bodies, Kubernetes objects, Redis
 * payloads): any bytes in, a tree or an error out, and the typed readers
 * never crash on whatever tree came out.
 */
#include <stdint.h>
#include <stdlib.h>

#include "common/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
walk(const cJSON *node, int depth)
{
	static const char *const allowed[] = { "name", "size", "replicas", NULL };
	struct jerr e;
	const char *s;
	int64_t n;
	int b;
	const cJSON *o, *child;

	if (depth > 40)
		abort();	/* the depth bound was not enforced */
	json_check_keys(node, "body", allowed, &e);
	json_get_str(node, "", "name", 0, &s, &e);
	json_get_i64(node, "", "replicas", 1, 0, 100, &n, &e);
	json_get_bool(node, "", "paused", 0, &b, &e);
	json_get_obj(node, "", "spec", 0, &o, &e);
	json_get_arr(node, "", "items", 0, &o, &e);
	cJSON_ArrayForEach(child, node)
		walk(child, depth + 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jerr e;
	cJSON *root = json_parse_strict((const char *)data, size, 32, &e);

	if (root != NULL) {
		walk(root, 0);
		cJSON_Delete(root);
	}
	return 0;
}
