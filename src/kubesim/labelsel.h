/*
 * labelsel — Kubernetes label selectors, the full grammar of
 * k8s.io/apimachinery/pkg/labels: `k`, `!k`, `k=v`, `k==v`, `k!=v`,
 * `k in (a,b)`, `k notin (a,b)`, `k>n`, `k<n`, joined by commas (AND).
 *
 * LIST and WATCH filter with these, and clients (informers, kubectl -l) send
 * them verbatim, so both the accepted language and the error messages follow
 * the real parser: a bad selector answers 400 with the same wording
 * ("unable to parse requirement: found '=', expected: identifier").
 */
#ifndef KSIM_LABELSEL_H
#define KSIM_LABELSEL_H

#include <stddef.h>

/* An object's labels, as borrowed pointers (into a version's storage). */
struct ksim_label {
	const char *key;
	const char *val;
};

struct ksim_labels {
	struct ksim_label *v;
	size_t n;
};

struct ksim_labelsel;

/*
 * Parse S.  An empty or all-blank S gives a selector that matches
 * everything.  Returns 0 and *OUT (free with ksim_labelsel_free), or -1 with
 * the apiserver's message in ERR.
 */
int ksim_labelsel_parse(const char *s, struct ksim_labelsel **out, char *err, size_t errlen);
int ksim_labelsel_match(const struct ksim_labelsel *sel, const struct ksim_labels *labels);
/* 1 if the selector has no requirement (matches everything). */
int ksim_labelsel_empty(const struct ksim_labelsel *sel);
void ksim_labelsel_free(struct ksim_labelsel *sel);

/* The value of KEY in L, or NULL. */
const char *ksim_labels_get(const struct ksim_labels *l, const char *key);
/* 1 if S is a valid label value (empty allowed), 0 otherwise. */
int ksim_label_value_valid(const char *s);
/* 1 if S is a valid label key ([prefix/]name), 0 otherwise. */
int ksim_label_key_valid(const char *s);
/*
 * 1 if S[0..N) is a lowercase RFC 1123 subdomain of at most 253 bytes: a
 * label key prefix, and (from api.c) an object name.
 */
int ksim_dns_subdomain(const char *s, size_t n);

#endif
