/*
 * json — strict parsing and typed field readers (see json.h).
 *
 * cJSON itself accepts bytes that are not UTF-8 and recurses up to 1000
 * levels; both are checked here first so that a hostile body costs a linear
 * scan and never reaches the recursive parser.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"

void
json_err(struct jerr *e, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	snprintf(e->field, sizeof(e->field), "%s", field != NULL ? field : "");
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

void
json_path(char *out, size_t n, const char *path, const char *key)
{
	if (path == NULL || path[0] == '\0')
		snprintf(out, n, "%s", key);
	else
		snprintf(out, n, "%s.%s", path, key);
}

int
json_utf8_valid(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t need;
		unsigned cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + need >= len)
			return 0;
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

int
json_utf8_prefix(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return (int)n;
}

void
json_utf8_trim(char *s)
{
	size_t len = strlen(s), j = len;
	unsigned char lead;
	size_t need;

	while (j > 0 && len - j < 4 && ((unsigned char)s[j - 1] & 0xc0) == 0x80)
		j--;
	if (j == 0)
		return;
	lead = (unsigned char)s[j - 1];
	need = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : 0;
	if (lead >= 0xc0 && len - j < need)
		s[j - 1] = '\0';
}

/* Maximum nesting of [ and { outside strings; -1 if a string never ends. */
static int
json_depth(const char *buf, size_t len, int limit)
{
	int depth = 0, in_str = 0;

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"')
			in_str = 1;
		else if (c == '[' || c == '{') {
			if (++depth > limit)
				return depth;
		} else if (c == ']' || c == '}')
			depth--;
	}
	return 0;
}

/*
 * RFC 8259 grammar, checked before cJSON sees the text.  cJSON is kinder
 * than the RFC: it takes "1.", "00003" and "+1" (strtod decides), and it
 * decodes "\u0000" into a NUL that silently ends the C string every caller
 * reads, so "ab\u0000cd" would become "ab".  The scanner walks the text
 * once, keeps the dotted path of where it is so an error names the field,
 * and refuses all of these.  Nesting is bounded by json_depth() first.
 */
struct jscan {
	const char *buf, *p, *end;
	char path[160];
	struct jerr *e;
};

static void
scan_ws(struct jscan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
scan_fail(struct jscan *s, const char *what)
{
	if (what == NULL)
		json_err(s->e, s->path, "malformed JSON near byte %zu", (size_t)(s->p - s->buf));
	else
		json_err(s->e, s->path, "%s (near byte %zu)", what, (size_t)(s->p - s->buf));
	return -1;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
scan_digits(struct jscan *s)
{
	const char *start = s->p;

	while (s->p < s->end && is_digit(*s->p))
		s->p++;
	return s->p > start ? 0 : -1;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
scan_number(struct jscan *s)
{
	static const char bad[] = "malformed number (RFC 8259: no leading zeros or '+', "
	    "digits on both sides of '.')";

	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0') {
		s->p++;
		if (s->p < s->end && is_digit(*s->p))
			return scan_fail(s, bad);
	} else if (scan_digits(s) != 0) {
		return scan_fail(s, bad);
	}
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (scan_digits(s) != 0)
			return scan_fail(s, bad);
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (scan_digits(s) != 0)
			return scan_fail(s, bad);
	}
	return 0;
}

static int
hex4(const char *p, unsigned *out)
{
	*out = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		unsigned v = is_digit(c) ? (unsigned)(c - '0') : (c >= 'a' && c <= 'f') ?
		    (unsigned)(c - 'a' + 10) : (c >= 'A' && c <= 'F') ? (unsigned)(c - 'A' + 10) : 16;
		if (v == 16)
			return -1;
		*out = (*out << 4) | v;
	}
	return 0;
}

/* A string at S->p (on its '"'); its raw bytes into KEY[KN] when KEY is not NULL. */
static int
scan_string(struct jscan *s, char *key, size_t kn)
{
	size_t kl = 0;
	unsigned cp;

	s->p++;
	while (s->p < s->end && *s->p != '"') {
		unsigned char c = (unsigned char)*s->p;
		if (c < 0x20)
			return scan_fail(s, "control character in a string (escape it)");
		if (c == '\\') {
			if (s->end - s->p < 2 || strchr("\"\\/bfnrtu", s->p[1]) == NULL)
				return scan_fail(s, "invalid escape in a string");
			if (s->p[1] == 'u') {
				if (s->end - s->p < 6 || hex4(s->p + 2, &cp) != 0)
					return scan_fail(s, "invalid \\u escape in a string");
				if (cp == 0)
					return scan_fail(s, "must not contain NUL (\\u0000)");
				s->p += 4;
			}
			s->p++;
		}
		if (key != NULL && kl + 1 < kn)
			key[kl++] = *s->p;
		s->p++;
	}
	if (s->p >= s->end)
		return scan_fail(s, "unterminated string");
	s->p++;
	if (key != NULL)
		key[kl] = '\0';
	return 0;
}

static int scan_value(struct jscan *s, int depth);

static int
scan_literal(struct jscan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return scan_fail(s, NULL);
	s->p += n;
	return 0;
}

/* Members of an object; S->p is past '{'.  The path grows by each key in turn. */
static int
scan_object(struct jscan *s, int depth)
{
	size_t plen = strlen(s->path);
	char key[64];

	scan_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return 0;
	}
	for (;;) {
		if (s->p >= s->end || *s->p != '"')
			return scan_fail(s, NULL);
		if (scan_string(s, key, sizeof(key)) != 0)
			return -1;
		snprintf(s->path + plen, sizeof(s->path) - plen, "%s%s", plen > 0 ? "." : "", key);
		scan_ws(s);
		if (s->p >= s->end || *s->p++ != ':')
			return scan_fail(s, NULL);
		if (scan_value(s, depth + 1) != 0)
			return -1;
		s->path[plen] = '\0';
		scan_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			scan_ws(s);
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			return 0;
		}
		return scan_fail(s, NULL);
	}
}

static int
scan_array(struct jscan *s, int depth)
{
	size_t plen = strlen(s->path);

	scan_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return 0;
	}
	for (size_t i = 0;; i++) {
		snprintf(s->path + plen, sizeof(s->path) - plen, "[%zu]", i);
		if (scan_value(s, depth + 1) != 0)
			return -1;
		s->path[plen] = '\0';
		scan_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			return 0;
		}
		return scan_fail(s, NULL);
	}
}

static int
scan_value(struct jscan *s, int depth)
{
	if (depth > 512)
		return scan_fail(s, "JSON nested too deeply");
	scan_ws(s);
	if (s->p >= s->end)
		return scan_fail(s, NULL);
	switch (*s->p) {
	case '{': s->p++; return scan_object(s, depth);
	case '[': s->p++; return scan_array(s, depth);
	case '"': return scan_string(s, NULL, 0);
	case 't': return scan_literal(s, "true");
	case 'f': return scan_literal(s, "false");
	case 'n': return scan_literal(s, "null");
	default:
		if (*s->p == '-' || is_digit(*s->p))
			return scan_number(s);
		return scan_fail(s, NULL);
	}
}

/* 0 if BUF[0..LEN) is one RFC 8259 JSON text, else -1 with E filled. */
static int
json_grammar(const char *buf, size_t len, struct jerr *e)
{
	struct jscan s = { buf, buf, buf + len, "", e };

	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		json_err(e, "", "the body starts with a byte order mark (RFC 8259 JSON has none)");
		return -1;
	}
	if (scan_value(&s, 0) != 0)
		return -1;
	scan_ws(&s);
	if (s.p != s.end) {
		json_err(e, "", "unexpected data after the JSON document at byte %zu",
		    (size_t)(s.p - buf));
		return -1;
	}
	return 0;
}

cJSON *
json_parse_strict(const char *buf, size_t len, int max_depth, struct jerr *e)
{
	const char *end = NULL;
	cJSON *root;

	if (len == 0) {
		json_err(e, "", "empty body: a JSON document is required");
		return NULL;
	}
	if (memchr(buf, '\0', len) != NULL || !json_utf8_valid(buf, len)) {
		json_err(e, "", "body is not valid UTF-8 text");
		return NULL;
	}
	if (json_depth(buf, len, max_depth) > max_depth) {
		json_err(e, "", "JSON nested deeper than %d levels", max_depth);
		return NULL;
	}
	if (json_grammar(buf, len, e) != 0)
		return NULL;
	/*
	 * The error position comes from END, never cJSON_GetErrorPtr(): that is
	 * one global, which another thread's parse may overwrite meanwhile.
	 * cJSON still writes that global on every parse, from every thread; we
	 * never read it, so the race cannot change a result (and TSan cannot
	 * see it: the system libcjson is not instrumented).
	 */
	root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (root == NULL) {
		const char *at = end;
		size_t off = (at != NULL && at >= buf && at <= buf + len) ? (size_t)(at - buf) : 0;
		json_err(e, "", "malformed JSON near byte %zu", off);
		return NULL;
	}
	while (end != NULL && end < buf + len && strchr(" \t\r\n", *end) != NULL)
		end++;
	if (end != buf + len) {
		cJSON_Delete(root);
		json_err(e, "", "unexpected data after the JSON document at byte %zu",
		    (size_t)(end - buf));
		return NULL;
	}
	return root;
}

/* Common lookup: 0 found (ITEM set), 1 absent, -1 absent but required. */
static int
lookup(const cJSON *obj, const char *path, const char *key, int req,
    const cJSON **item, char *field, size_t fn, struct jerr *e)
{
	json_path(field, fn, path, key);
	*item = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	if (*item != NULL && !cJSON_IsNull(*item))
		return 0;
	if (req) {
		json_err(e, field, "is required");
		return -1;
	}
	return 1;
}

/* Look KEY up and check its type with IS; MSG describes the expected type. */
static int
get_typed(const cJSON *obj, const char *path, const char *key, int req,
    cJSON_bool (*is)(const cJSON *), const char *msg, const cJSON **item, struct jerr *e)
{
	char f[160];
	int rc = lookup(obj, path, key, req, item, f, sizeof(f), e);

	if (rc == 0 && !is(*item)) {
		json_err(e, f, "%s", msg);
		return -1;
	}
	return rc;
}

int
json_get_str(const cJSON *obj, const char *path, const char *key, int req,
    const char **out, struct jerr *e)
{
	const cJSON *it;
	int rc = get_typed(obj, path, key, req, cJSON_IsString, "must be a string", &it, e);

	if (rc == 0)
		*out = it->valuestring;
	return rc;
}

int
json_get_i64(const cJSON *obj, const char *path, const char *key, int req,
    int64_t min, int64_t max, int64_t *out, struct jerr *e)
{
	const cJSON *it;
	char f[160];
	double d;
	int rc = get_typed(obj, path, key, req, cJSON_IsNumber, "must be an integer", &it, e);

	if (rc != 0)
		return rc;
	json_path(f, sizeof(f), path, key);
	d = it->valuedouble;
	if (!isfinite(d) || d != floor(d) || fabs(d) > (double)JSON_MAX_EXACT_INT) {
		json_err(e, f, "must be an integer");
		return -1;
	}
	if (d < (double)min || d > (double)max) {
		json_err(e, f, "must be between %lld and %lld, got %.0f",
		    (long long)min, (long long)max, d);
		return -1;
	}
	*out = (int64_t)d;
	return 0;
}

int
json_get_bool(const cJSON *obj, const char *path, const char *key, int req,
    int *out, struct jerr *e)
{
	const cJSON *it;
	int rc = get_typed(obj, path, key, req, cJSON_IsBool, "must be true or false", &it, e);

	if (rc == 0)
		*out = cJSON_IsTrue(it);
	return rc;
}

int
json_get_obj(const cJSON *obj, const char *path, const char *key, int req,
    const cJSON **out, struct jerr *e)
{
	return get_typed(obj, path, key, req, cJSON_IsObject, "must be an object", out, e);
}

int
json_get_arr(const cJSON *obj, const char *path, const char *key, int req,
    const cJSON **out, struct jerr *e)
{
	return get_typed(obj, path, key, req, cJSON_IsArray, "must be an array", out, e);
}

int
json_check_keys(const cJSON *obj, const char *path,
    const char *const *allowed, struct jerr *e)
{
	char f[160];
	const cJSON *it, *prev;

	if (!cJSON_IsObject(obj)) {
		json_err(e, path, "must be an object");
		return -1;
	}
	cJSON_ArrayForEach(it, obj) {
		const char *const *a = allowed;
		while (*a != NULL && strcmp(*a, it->string) != 0)
			a++;
		json_path(f, sizeof(f), path, it->string);
		if (*a == NULL) {
			json_err(e, f, "unknown field");
			return -1;
		}
		for (prev = obj->child; prev != it; prev = prev->next) {
			if (strcmp(prev->string, it->string) == 0) {
				json_err(e, f, "field given more than once");
				return -1;
			}
		}
	}
	return 0;
}
