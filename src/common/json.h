/*
 * json — strict input handling on cJSON for everything that arrives from
 * outside (HTTP bodies, Kubernetes objects, Redis payloads).
 *
 * json_parse_strict() rejects what cJSON would accept too kindly: invalid
 * UTF-8, nesting deeper than a bound, trailing garbage.  The readers look up a
 * key, check its type and range, and on failure fill a `struct jerr` with the
 * dotted path of the field ("spec.podTemplate.spec.containers[0].name") and a
 * message a user can act on.  A JSON null counts as absent.
 *
 * Reader return values: 0 = present and valid, 1 = absent (optional field),
 * -1 = invalid or required-but-absent (jerr filled).
 */
#ifndef DBAAS_JSON_H
#define DBAAS_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct jerr {
	char field[160];
	char msg[256];
};

enum { JSON_OPTIONAL = 0, JSON_REQUIRED = 1 };

/* Largest integer a JSON number (an IEEE double) holds exactly: 2^53. */
#define JSON_MAX_EXACT_INT 9007199254740992LL

/*
 * Parse BUF[0..LEN) as one JSON value.  Returns the tree (caller frees with
 * cJSON_Delete) or NULL with E filled (field empty, msg saying what is wrong).
 */
cJSON *json_parse_strict(const char *buf, size_t len, int max_depth, struct jerr *e);
/* 1 if BUF[0..LEN) is well-formed UTF-8 (no overlongs, no surrogates). */
int json_utf8_valid(const char *buf, size_t len);
/*
 * Bytes of the UTF-8 string S to keep so that at most MAX are kept and the
 * cut falls on a character boundary (for "%.*s" in messages that quote input).
 */
int json_utf8_prefix(const char *s, size_t max);
/* Drop an incomplete UTF-8 sequence that truncation left at the end of S. */
void json_utf8_trim(char *s);

int json_get_str(const cJSON *obj, const char *path, const char *key, int req,
    const char **out, struct jerr *e);
int json_get_i64(const cJSON *obj, const char *path, const char *key, int req,
    int64_t min, int64_t max, int64_t *out, struct jerr *e);
int json_get_bool(const cJSON *obj, const char *path, const char *key, int req,
    int *out, struct jerr *e);
int json_get_obj(const cJSON *obj, const char *path, const char *key, int req,
    const cJSON **out, struct jerr *e);
int json_get_arr(const cJSON *obj, const char *path, const char *key, int req,
    const cJSON **out, struct jerr *e);

/*
 * Check that OBJ (an object) has only keys from the NULL-terminated ALLOWED
 * list and no key twice.  Returns 0 or -1 with E naming the first offender.
 */
int json_check_keys(const cJSON *obj, const char *path,
    const char *const *allowed, struct jerr *e);

/* Join PATH and KEY ("a.b" + "c" -> "a.b.c"; "" + "c" -> "c") into OUT. */
void json_path(char *out, size_t n, const char *path, const char *key);
/* Fill E (printf-style message) for FIELD. */
void json_err(struct jerr *e, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
