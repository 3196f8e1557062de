/*
 * fieldsel — field selectors (`metadata.name=x,metadata.namespace!=y`).
 *
 * kubectl pins a watch to one object with `fieldSelector=metadata.name=NAME`
 * (`get -w NAME`, and `delete` waiting for DELETED), informers narrow lists
 * with them, and the real server accepts on custom resources only the fields
 * the resource declares (metadata.name, metadata.namespace), answering
 * "field label not supported: F" for the rest.  Values may escape `\,`
 * `\=` and `\\` as in apimachinery's fields package.
 */
#ifndef KSIM_FIELDSEL_H
#define KSIM_FIELDSEL_H

#include <stddef.h>

struct ksim_fieldsel;

/*
 * Parse S, allowing only the fields in the NULL-terminated SUPPORTED list.
 * Returns 0 and *OUT (free with ksim_fieldsel_free; an empty selector
 * matches everything), or -1 with the apiserver's message in ERR.
 */
int ksim_fieldsel_parse(const char *s, const char *const *supported,
    struct ksim_fieldsel **out, char *err, size_t errlen);
/* GET returns an object's value for a field name (NULL reads as ""). */
typedef const char *(*ksim_field_get_fn)(void *ctx, const char *field);
int ksim_fieldsel_match(const struct ksim_fieldsel *sel, ksim_field_get_fn get, void *ctx);
/* The value FIELD must equal (from `FIELD=v` or `FIELD==v`), or NULL. */
const char *ksim_fieldsel_exact(const struct ksim_fieldsel *sel, const char *field);
void ksim_fieldsel_free(struct ksim_fieldsel *sel);

#endif
