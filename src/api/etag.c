/*
 * etag — If-Match as RFC 9110 (13.1.1) defines it, kept apart from the
 * handlers so the rule is written once and unit-tested without a server.
 *
 * The header is "*" or a comma-separated list of entity tags; it matches
 * when any listed tag is strongly equal to the current one, i.e. neither is
 * weak and the opaque tags are the same bytes.  A weak tag (W/"5") never
 * matches under If-Match, which is about exactly this representation.  Empty
 * list elements are allowed (RFC 9110 5.6.1); anything else that is not an
 * entity tag is a malformed header.
 */
#include <stdio.h>
#include <string.h>

#include "api/validate.h"

/* One entity-tag at *P (whitespace skipped before it); 1 strong match, 0 other, -1 bad. */
static int
one_tag(const char **p, const char *cur, size_t curlen)
{
	const char *s = *p, *q;
	int weak = 0;

	if (strncmp(s, "W/", 2) == 0) {
		weak = 1;
		s += 2;
	}
	if (*s != '"')
		return -1;
	for (q = s + 1; *q != '"'; q++)
		if (*q == '\0' || (unsigned char)*q < 0x21 || *q == 0x7f)
			return -1;
	q++;
	*p = q;
	return !weak && (size_t)(q - s) == curlen && memcmp(s, cur, curlen) == 0;
}

int
api_if_match(const char *h, long long generation)
{
	char cur[32];
	size_t curlen;
	int any = 0, seen = 0;

	if (h == NULL)
		return 0;
	h += strspn(h, " \t");
	if (strcmp(h, "*") == 0 || strspn(h, " \t") == strlen(h))
		return h[0] == '*' ? 0 : -1;	/* an empty If-Match is malformed */
	snprintf(cur, sizeof(cur), "\"%lld\"", generation);
	curlen = strlen(cur);
	for (;;) {
		h += strspn(h, " \t");
		if (*h == ',') {
			h++;
			continue;
		}
		if (*h == '\0')
			break;
		int m = one_tag(&h, cur, curlen);
		if (m < 0)
			return -1;
		any |= m;
		seen = 1;
		h += strspn(h, " \t");
		if (*h != ',' && *h != '\0')
			return -1;
	}
	if (!seen)
		return -1;
	return any ? 0 : 1;
}
