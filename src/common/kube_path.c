/*
 * kube_path — building request paths and query strings from parts that may
 * come from users (namespaces, names) without letting any of them change
 * the path or the query: every part is checked against the characters
 * Kubernetes allows, and query values are percent-encoded.
 */
#include <stdlib.h>
#include <string.h>

#include "common/kube_int.h"

/* DNS-1123 subdomain characters (names), also fine for groups and plurals. */
static int
part_ok(const char *s, size_t max)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > max)
		return 0;
	if (strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-.") != n)
		return 0;
	return strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

int
kube_path(char *out, size_t n, const char *group, const char *version, const char *ns,
    const char *plural, const char *name, const char *sub, char *err, size_t errn)
{
	int len;

	if ((group != NULL && *group != '\0' && !part_ok(group, 253)) || !part_ok(version, 63) ||
	    (ns != NULL && !part_ok(ns, 63)) || !part_ok(plural, 253) ||
	    (name != NULL && !part_ok(name, 253)) || (sub != NULL && !part_ok(sub, 63))) {
		snprintf(err, errn, "invalid path part (lowercase letters, digits, '-' and '.' only)");
		return -1;
	}
	len = snprintf(out, n, "%s%s/%s%s%s/%s%s%s%s%s",
	    group != NULL && *group != '\0' ? "/apis/" : "/api", group != NULL ? group : "",
	    version, ns != NULL ? "/namespaces/" : "", ns != NULL ? ns : "", plural,
	    name != NULL ? "/" : "", name != NULL ? name : "", sub != NULL ? "/" : "",
	    sub != NULL ? sub : "");
	if (len < 0 || (size_t)len >= n) {
		snprintf(err, errn, "path too long");
		return -1;
	}
	return 0;
}

int
kube_query_add(char *buf, size_t n, const char *key, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(buf);

	if (len > 0 && len + 1 < n)
		buf[len++] = '&';
	for (const char *s = key; *s != '\0' && len + 1 < n; s++)
		buf[len++] = *s;
	if (len + 1 < n)
		buf[len++] = '=';
	for (const unsigned char *s = (const unsigned char *)value; *s != '\0'; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' || *s == '_' || *s == '~') {
			if (len + 1 >= n)
				goto full;
			buf[len++] = (char)*s;
		} else {
			if (len + 3 >= n)
				goto full;
			buf[len++] = '%';
			buf[len++] = hex[*s >> 4];
			buf[len++] = hex[*s & 15];
		}
	}
	if (len >= n)
		goto full;
	buf[len] = '\0';
	return 0;
full:
	buf[n - 1] = '\0';
	return -1;
}

static int
b64_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
kube_b64_decode(const char *in, char **out, size_t *outlen)
{
	size_t n = strlen(in), o = 0;
	unsigned acc = 0;
	int bits = 0, v;
	char *buf;

	if ((buf = malloc(n / 4 * 3 + 4)) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (in[i] == '=' || in[i] == '\n' || in[i] == '\r')
			continue;
		if ((v = b64_val((unsigned char)in[i])) < 0) {
			free(buf);
			return -1;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	return 0;
}
