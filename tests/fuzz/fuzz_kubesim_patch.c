/*
 * PATCH bodies: the input is "document \0 patch".  Merge patch and JSON patch
 * are applied to copies of the document, as the server does (a failed patch
 * may leave its copy half-applied; the server discards it); whatever the
 * bytes, no crash and no leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "kubesim/patch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep = memchr(data, 0, size);
	struct jerr e;
	cJSON *doc, *patch, *copy;
	char err[256];

	if (sep == NULL)
		return 0;
	doc = json_parse_strict((const char *)data, (size_t)(sep - data), 32, &e);
	patch = json_parse_strict((const char *)sep + 1, size - (size_t)(sep - data) - 1, 32, &e);
	if (doc != NULL && patch != NULL) {
		copy = cJSON_Duplicate(doc, 1);
		if (copy != NULL && ksim_merge_patch(&copy, patch) == 0)
			cJSON_Delete(copy);
		copy = cJSON_Duplicate(doc, 1);
		if (copy != NULL && cJSON_IsArray(patch))
			(void)ksim_json_patch(&copy, patch, err, sizeof(err));
		cJSON_Delete(copy);
	}
	cJSON_Delete(doc);
	cJSON_Delete(patch);
	return 0;
}
