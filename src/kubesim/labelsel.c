/*
 * labelsel — a port of the lexer/parser structure of the apimachinery label
 * selector (see labelsel.h).  Tokens are runs of non-blank, non-special bytes
 * or the special symbols = == != ! ( ) , > < ; "in" and "notin" are keywords
 * only where an operator is expected, as in the original.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubesim/labelsel.h"

enum tok {
	T_END, T_IDENT, T_NOT, T_EQ, T_DEQ, T_NEQ, T_OPEN, T_CLOSE, T_COMMA,
	T_IN, T_NOTIN, T_GT, T_LT,
};

enum op { OP_EQ, OP_NEQ, OP_IN, OP_NOTIN, OP_EXISTS, OP_NOTEXISTS, OP_GT, OP_LT };

struct req {
	char *key;
	enum op op;
	char **vals;
	size_t nvals;
	long long num;
};

struct ksim_labelsel {
	struct req *reqs;
	size_t n;
};

struct lexer {
	const char *s;
	size_t pos;
	char lit[320];
	char *err;
	size_t errlen;
};

static int
is_special(char c)
{
	return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Read the next token; KEYWORDS=0 turns "in"/"notin" into identifiers. */
static enum tok
lex(struct lexer *lx, int keywords)
{
	const char *s = lx->s;
	size_t start, n;

	while (is_blank(s[lx->pos]))
		lx->pos++;
	start = lx->pos;
	lx->lit[0] = '\0';
	if (s[start] == '\0')
		return T_END;
	if (is_special(s[start])) {
		char c = s[start], d = s[start + 1];

		lx->pos++;
		if ((c == '=' || c == '!') && d == '=') {
			lx->pos++;
			snprintf(lx->lit, sizeof(lx->lit), "%c=", c);
			return c == '=' ? T_DEQ : T_NEQ;
		}
		snprintf(lx->lit, sizeof(lx->lit), "%c", c);
		switch (c) {
		case '=': return T_EQ;
		case '!': return T_NOT;
		case '(': return T_OPEN;
		case ')': return T_CLOSE;
		case ',': return T_COMMA;
		case '>': return T_GT;
		default: return T_LT;
		}
	}
	while (s[lx->pos] != '\0' && !is_blank(s[lx->pos]) && !is_special(s[lx->pos]))
		lx->pos++;
	n = lx->pos - start;
	snprintf(lx->lit, sizeof(lx->lit), "%.*s", (int)n, s + start);
	if (keywords && strcmp(lx->lit, "in") == 0)
		return T_IN;
	if (keywords && strcmp(lx->lit, "notin") == 0)
		return T_NOTIN;
	return T_IDENT;
}

static enum tok
peek(struct lexer *lx, int keywords)
{
	size_t save = lx->pos;
	enum tok t = lex(lx, keywords);

	lx->pos = save;
	return t;
}

static int __attribute__((format(printf, 2, 3)))
fail(struct lexer *lx, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(lx->err, lx->errlen, "unable to parse requirement: ");

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < lx->errlen)
		vsnprintf(lx->err + n, lx->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, at most MAX bytes. */
static int
name_part_valid(const char *s, size_t n, size_t max)
{
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && ((i == 0 || i == n - 1) || (c != '-' && c != '_' && c != '.')))
			return 0;
	}
	return 1;
}

int
ksim_dns_subdomain(const char *s, size_t n)
{
	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (alnum)
			continue;
		if (c != '-' && c != '.')
			return 0;
		if (i == 0 || i == n - 1)
			return 0;
		if (c == '.' && (s[i - 1] == '.' || s[i - 1] == '-' || s[i + 1] == '-'))
			return 0;
	}
	return 1;
}

int
ksim_label_key_valid(const char *s)
{
	const char *slash = strchr(s, '/');

	if (slash == NULL)
		return name_part_valid(s, strlen(s), 63);
	if (strchr(slash + 1, '/') != NULL)
		return 0;
	return ksim_dns_subdomain(s, (size_t)(slash - s)) &&
	    name_part_valid(slash + 1, strlen(slash + 1), 63);
}

int
ksim_label_value_valid(const char *s)
{
	size_t n = strlen(s);

	return n == 0 || name_part_valid(s, n, 63);
}

static int
add_val(struct req *r, const char *v)
{
	char **nv;

	for (size_t i = 0; i < r->nvals; i++)
		if (strcmp(r->vals[i], v) == 0)
			return 0;	/* a set, as in the original */
	nv = realloc(r->vals, (r->nvals + 1) * sizeof(*nv));
	if (nv == NULL)
		return -1;
	r->vals = nv;
	if ((r->vals[r->nvals] = strdup(v)) == NULL)
		return -1;
	r->nvals++;
	return 0;
}

static int
parse_values(struct lexer *lx, struct req *r)
{
	enum tok t = lex(lx, 0);

	if (t != T_OPEN)
		return fail(lx, "found '%s' expected: '('", lx->lit);
	t = peek(lx, 0);
	if (t == T_CLOSE) {
		lex(lx, 0);
		return add_val(r, "");
	}
	if (t != T_IDENT && t != T_COMMA) {
		lex(lx, 0);
		return fail(lx, "found '%s', expected: ',', ')' or identifier", lx->lit);
	}
	for (;;) {
		t = lex(lx, 0);
		if (t == T_IDENT) {
			if (add_val(r, lx->lit) < 0)
				return fail(lx, "out of memory");
			t = peek(lx, 0);
			if (t == T_COMMA)
				continue;
			if (t == T_CLOSE)
				break;
			lex(lx, 0);
			return fail(lx, "found '%s', expected: ',' or ')'", lx->lit);
		} else if (t == T_COMMA) {
			if (r->nvals == 0 && add_val(r, "") < 0)
				return fail(lx, "out of memory");
			t = peek(lx, 0);
			if (t == T_CLOSE) {
				if (add_val(r, "") < 0)
					return fail(lx, "out of memory");
				break;
			}
			if (t == T_COMMA) {
				lex(lx, 0);
				if (add_val(r, "") < 0)
					return fail(lx, "out of memory");
			}
		} else {
			return fail(lx, "found '%s', expected: ',', or identifier", lx->lit);
		}
	}
	lex(lx, 0);	/* the ')' seen above */
	return 0;
}

static int
parse_exact_value(struct lexer *lx, struct req *r)
{
	enum tok t = peek(lx, 0);

	if (t == T_END || t == T_COMMA)
		return add_val(r, "") < 0 ? fail(lx, "out of memory") : 0;
	t = lex(lx, 0);
	if (t != T_IDENT)
		return fail(lx, "found '%s', expected: identifier", lx->lit);
	return add_val(r, lx->lit) < 0 ? fail(lx, "out of memory") : 0;
}

static int
parse_operator(struct lexer *lx, struct req *r)
{
	switch (lex(lx, 1)) {
	case T_IN: r->op = OP_IN; return parse_values(lx, r);
	case T_NOTIN: r->op = OP_NOTIN; return parse_values(lx, r);
	case T_EQ: case T_DEQ: r->op = OP_EQ; return parse_exact_value(lx, r);
	case T_NEQ: r->op = OP_NEQ; return parse_exact_value(lx, r);
	case T_GT: r->op = OP_GT; return parse_exact_value(lx, r);
	case T_LT: r->op = OP_LT; return parse_exact_value(lx, r);
	default:
		return fail(lx, "found '%s', expected: in, notin, =, ==, !=, gt, lt", lx->lit);
	}
}

/* The checks of NewRequirement, after the syntax is known to be right. */
static int
check_requirement(struct lexer *lx, struct req *r)
{
	for (size_t i = 0; i < r->nvals; i++)
		if (!ksim_label_value_valid(r->vals[i]))
			return fail(lx, "values[%zu][%s]: Invalid value: \"%s\": a valid label must be "
			    "an empty string or consist of alphanumeric characters, '-', '_' or '.', and "
			    "must start and end with an alphanumeric character", i, r->key, r->vals[i]);
	if ((r->op == OP_IN || r->op == OP_NOTIN) && r->nvals == 0)
		return fail(lx, "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty");
	if (r->op == OP_GT || r->op == OP_LT) {
		char *end;

		errno = 0;
		r->num = strtoll(r->vals[0], &end, 10);
		if (r->vals[0][0] == '\0' || *end != '\0' || errno != 0)
			return fail(lx, "values[0]: Invalid value: \"%s\": for 'Gt', 'Lt' operators, "
			    "the value must be an integer", r->vals[0]);
	}
	return 0;
}

static int
parse_requirement(struct lexer *lx, struct req *r)
{
	enum tok t = lex(lx, 0);
	int negate = 0;

	if (t == T_NOT) {
		negate = 1;
		t = lex(lx, 0);
	}
	if (t != T_IDENT)
		return fail(lx, "found '%s', expected: identifier", lx->lit);
	if (!ksim_label_key_valid(lx->lit))
		return fail(lx, "key: Invalid value: \"%s\": name part must consist of alphanumeric "
		    "characters, '-', '_' or '.', and must start and end with an alphanumeric "
		    "character (with an optional DNS subdomain prefix and '/')", lx->lit);
	if ((r->key = strdup(lx->lit)) == NULL)
		return fail(lx, "out of memory");
	t = peek(lx, 0);
	if (negate || t == T_END || t == T_COMMA) {
		r->op = negate ? OP_NOTEXISTS : OP_EXISTS;
		return 0;
	}
	if (parse_operator(lx, r) < 0)
		return -1;
	return check_requirement(lx, r);
}

static void
free_req(struct req *r)
{
	for (size_t i = 0; i < r->nvals; i++)
		free(r->vals[i]);
	free(r->vals);
	free(r->key);
}

void
ksim_labelsel_free(struct ksim_labelsel *sel)
{
	if (sel == NULL)
		return;
	for (size_t i = 0; i < sel->n; i++)
		free_req(&sel->reqs[i]);
	free(sel->reqs);
	free(sel);
}

static int
parse_all(struct lexer *lx, struct ksim_labelsel *sel)
{
	for (;;) {
		enum tok t = peek(lx, 0);
		struct req *nr;

		if (t == T_END)
			return 0;
		if (t != T_IDENT && t != T_NOT) {
			lex(lx, 0);
			snprintf(lx->err, lx->errlen,
			    "found '%s', expected: !, identifier, or 'end of string'", lx->lit);
			return -1;
		}
		nr = realloc(sel->reqs, (sel->n + 1) * sizeof(*nr));
		if (nr == NULL)
			return fail(lx, "out of memory");
		sel->reqs = nr;
		memset(&sel->reqs[sel->n], 0, sizeof(*nr));
		if (parse_requirement(lx, &sel->reqs[sel->n++]) < 0)
			return -1;
		t = lex(lx, 0);
		if (t == T_END)
			return 0;
		if (t != T_COMMA) {
			snprintf(lx->err, lx->errlen, "found '%s', expected: ',' or 'end of string'", lx->lit);
			return -1;
		}
		t = peek(lx, 0);
		if (t != T_IDENT && t != T_NOT) {
			lex(lx, 0);
			snprintf(lx->err, lx->errlen, "found '%s', expected: identifier after ','", lx->lit);
			return -1;
		}
	}
}

int
ksim_labelsel_parse(const char *s, struct ksim_labelsel **out, char *err, size_t errlen)
{
	struct lexer lx = { .s = s, .err = err, .errlen = errlen };
	struct ksim_labelsel *sel = calloc(1, sizeof(*sel));

	if (sel == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (strlen(s) > 8192) {
		snprintf(err, errlen, "label selector longer than 8192 bytes");
		goto fail;
	}
	if (parse_all(&lx, sel) < 0)
		goto fail;
	*out = sel;
	return 0;
fail:
	ksim_labelsel_free(sel);
	return -1;
}

int
ksim_labelsel_empty(const struct ksim_labelsel *sel)
{
	return sel == NULL || sel->n == 0;
}

const char *
ksim_labels_get(const struct ksim_labels *l, const char *key)
{
	if (l == NULL)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0)
			return l->v[i].val;
	return NULL;
}

static int
in_set(const struct req *r, const char *v)
{
	for (size_t i = 0; i < r->nvals; i++)
		if (strcmp(r->vals[i], v) == 0)
			return 1;
	return 0;
}

static int
req_match(const struct req *r, const struct ksim_labels *l)
{
	const char *v = ksim_labels_get(l, r->key);
	long long n;
	char *end;

	switch (r->op) {
	case OP_EQ: case OP_IN:
		return v != NULL && in_set(r, v);
	case OP_NEQ: case OP_NOTIN:
		return v == NULL || !in_set(r, v);
	case OP_EXISTS:
		return v != NULL;
	case OP_NOTEXISTS:
		return v == NULL;
	case OP_GT: case OP_LT:
		if (v == NULL)
			return 0;
		errno = 0;
		n = strtoll(v, &end, 10);
		if (v[0] == '\0' || *end != '\0' || errno != 0)
			return 0;
		return r->op == OP_GT ? n > r->num : n < r->num;
	}
	return 0;
}

int
ksim_labelsel_match(const struct ksim_labelsel *sel, const struct ksim_labels *labels)
{
	if (sel == NULL)
		return 1;
	for (size_t i = 0; i < sel->n; i++)
		if (!req_match(&sel->reqs[i], labels))
			return 0;
	return 1;
}
