/*
 * patch — JSON merge patch (RFC 7386) and JSON patch (RFC 6902) on cJSON
 * trees: the two PATCH content types the apiserver accepts for custom
 * resources (besides server-side apply).
 *
 * Both work on a copy owned by the caller and replace *DOC, so a failed
 * patch leaves nothing half-applied in the store.
 */
#ifndef KSIM_PATCH_H
#define KSIM_PATCH_H

#include <stddef.h>

#include <cjson/cJSON.h>

/*
 * Merge PATCH into *DOC (which may be replaced, e.g. when PATCH is not an
 * object).  Returns 0, or -1 when out of memory.
 */
int ksim_merge_patch(cJSON **doc, const cJSON *patch);

enum {
	KSIM_PATCH_BAD_DOC = -1,	/* the patch itself is malformed: 400 */
	KSIM_PATCH_FAILED = -2,		/* a step does not apply or a test fails: 422 */
};

/*
 * Apply the JSON patch OPS (an array of operations) to *DOC in order.
 * Returns 0, or KSIM_PATCH_BAD_DOC / KSIM_PATCH_FAILED with ERR saying why.
 */
int ksim_json_patch(cJSON **doc, const cJSON *ops, char *err, size_t errlen);

#endif
