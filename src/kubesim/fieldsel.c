/*
 * fieldsel — see fieldsel.h.  Terms split on unescaped commas; the operator
 * of a term is the first of "!=", "==", "=" found scanning left to right,
 * skipping escaped bytes, exactly as apimachinery's splitTerm does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubesim/fieldsel.h"

struct term {
	char *field;
	char *value;
	int neq;
};

struct ksim_fieldsel {
	struct term *terms;
	size_t n;
};

void
ksim_fieldsel_free(struct ksim_fieldsel *sel)
{
	if (sel == NULL)
		return;
	for (size_t i = 0; i < sel->n; i++) {
		free(sel->terms[i].field);
		free(sel->terms[i].value);
	}
	free(sel->terms);
	free(sel);
}

/* Copy S[0..N) into a new string, resolving escapes; NULL on a bad escape. */
static char *
unescape(const char *s, size_t n, int *bad)
{
	char *out = malloc(n + 1), *o = out;

	*bad = 0;
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\') {
			if (i + 1 >= n || (s[i + 1] != '\\' && s[i + 1] != ',' && s[i + 1] != '=')) {
				*bad = 1;
				free(out);
				return NULL;
			}
			i++;
		}
		*o++ = s[i];
	}
	*o = '\0';
	return out;
}

static int
supported_field(const char *f, const char *const *supported)
{
	for (size_t i = 0; supported[i] != NULL; i++)
		if (strcmp(f, supported[i]) == 0)
			return 1;
	return 0;
}

/* Parse one term T[0..N) of selector S into TERM. */
static int
parse_term(const char *s, const char *t, size_t n, const char *const *supported,
    struct term *term, char *err, size_t errlen)
{
	static const char *const ops[] = { "!=", "==", "=" };
	int bad;

	for (size_t i = 0; i < n; i++) {
		if (t[i] == '\\') {
			i++;
			continue;
		}
		for (size_t k = 0; k < 3; k++) {
			size_t ol = strlen(ops[k]);

			if (i + ol > n || strncmp(t + i, ops[k], ol) != 0)
				continue;
			term->field = strndup(t, i);
			term->value = unescape(t + i + ol, n - i - ol, &bad);
			term->neq = k == 0;
			if (bad) {
				snprintf(err, errlen, "invalid field selector: invalid escape sequence");
				return -1;
			}
			if (term->field == NULL || term->value == NULL) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			if (!supported_field(term->field, supported)) {
				snprintf(err, errlen, "field label not supported: %s", term->field);
				return -1;
			}
			return 0;
		}
	}
	snprintf(err, errlen, "invalid selector: '%s'; can't understand '%.*s'", s, (int)n, t);
	return -1;
}

int
ksim_fieldsel_parse(const char *s, const char *const *supported,
    struct ksim_fieldsel **out, char *err, size_t errlen)
{
	struct ksim_fieldsel *sel = calloc(1, sizeof(*sel));
	const char *p = s;

	if (sel == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (*s != '\0' && *p != '\0') {
		const char *q = p;
		struct term *nt;

		while (*q != '\0' && *q != ',') {
			if (*q == '\\' && q[1] != '\0')
				q++;
			q++;
		}
		nt = realloc(sel->terms, (sel->n + 1) * sizeof(*nt));
		if (nt == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		sel->terms = nt;
		memset(&sel->terms[sel->n], 0, sizeof(*nt));
		if (parse_term(s, p, (size_t)(q - p), supported, &sel->terms[sel->n++], err, errlen) < 0)
			goto fail;
		p = *q == ',' ? q + 1 : q;
		if (*q == ',' && *p == '\0') {
			snprintf(err, errlen, "invalid selector: '%s'; can't understand ''", s);
			goto fail;
		}
	}
	*out = sel;
	return 0;
fail:
	ksim_fieldsel_free(sel);
	return -1;
}

int
ksim_fieldsel_match(const struct ksim_fieldsel *sel, ksim_field_get_fn get, void *ctx)
{
	if (sel == NULL)
		return 1;
	for (size_t i = 0; i < sel->n; i++) {
		const char *v = get(ctx, sel->terms[i].field);
		int eq = strcmp(v != NULL ? v : "", sel->terms[i].value) == 0;

		if (eq == sel->terms[i].neq)
			return 0;
	}
	return 1;
}

const char *
ksim_fieldsel_exact(const struct ksim_fieldsel *sel, const char *field)
{
	if (sel == NULL)
		return NULL;
	for (size_t i = 0; i < sel->n; i++)
		if (!sel->terms[i].neq && strcmp(sel->terms[i].field, field) == 0)
			return sel->terms[i].value;
	return NULL;
}
