/*
 * contok — see contok.h.  The token is a tiny flat JSON object, parsed here
 * by hand: a general JSON library would lose the NUL inside "start".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubesim/contok.h"

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char b64std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* One encoder for both alphabets; PAD adds the '=' the standard form wants. */
static int
b64_encode(const char *t, int pad, const unsigned char *in, size_t len, char *out, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t rem = len - i;

		if (rem > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (rem > 2)
			v |= in[i + 2];
		if (o + 4 >= n)
			return -1;
		out[o++] = t[(v >> 18) & 63];
		out[o++] = t[(v >> 12) & 63];
		if (rem > 1)
			out[o++] = t[(v >> 6) & 63];
		else if (pad)
			out[o++] = '=';
		if (rem > 2)
			out[o++] = t[v & 63];
		else if (pad)
			out[o++] = '=';
	}
	if (o >= n)
		return -1;
	out[o] = '\0';
	return (int)o;
}

int
ksim_b64url_encode(const unsigned char *in, size_t len, char *out, size_t n)
{
	return b64_encode(b64url, 0, in, len, out, n);
}

char *
ksim_b64_encode(const unsigned char *in, size_t len)
{
	size_t n = 4 * ((len + 2) / 3) + 1;
	char *out = malloc(n);

	if (out != NULL && b64_encode(b64std, 1, in, len, out, n) < 0) {
		free(out);
		out = NULL;
	}
	return out;
}

int
ksim_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
b64val(char c)
{
	const char *p = c != '\0' ? strchr(b64url, c) : NULL;

	return p != NULL ? (int)(p - b64url) : -1;
}

int
ksim_b64url_decode(const char *in, size_t len, unsigned char *out, size_t n, size_t *badpos)
{
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;

	if (len % 4 == 1) {
		*badpos = len - 1;
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		int v = b64val(in[i]);

		if (v < 0) {
			*badpos = i;
			return -1;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= n) {
				*badpos = i;
				return -1;
			}
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0) {		/* non-canonical trailing bits */
		*badpos = len - 1;
		return -1;
	}
	return (int)o;
}

/* Append S[0..N) to OUT as a Go-encoded JSON string body. */
static int
put_escaped(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int w;

		if (c < 0x20 || c == '<' || c == '>' || c == '&')
			w = snprintf(out + *o, cap - *o, "\\u%04x", c);
		else if (c == '"' || c == '\\')
			w = snprintf(out + *o, cap - *o, "\\%c", c);
		else
			w = snprintf(out + *o, cap - *o, "%c", c);
		if (w < 0 || (size_t)w >= cap - *o)
			return -1;
		*o += (size_t)w;
	}
	return 0;
}

int
ksim_contok_encode(int64_t rv, const char *start, size_t startlen, char *out, size_t n)
{
	char json[KSIM_CONTOK_KEY_MAX * 6 + 64];
	size_t o;
	int w;

	w = snprintf(json, sizeof(json), "{\"v\":\"meta.k8s.io/v1\",\"rv\":%lld,\"start\":\"",
	    (long long)rv);
	if (w < 0 || (size_t)w >= sizeof(json))
		return -1;
	o = (size_t)w;
	if (put_escaped(json, sizeof(json), &o, start, startlen) < 0 || o + 3 > sizeof(json))
		return -1;
	json[o++] = '"';
	json[o++] = '}';
	return ksim_b64url_encode((unsigned char *)json, o, out, n);
}

struct scan {
	const char *s;
	size_t n, i;
};

static void
skip_ws(struct scan *sc)
{
	while (sc->i < sc->n && strchr(" \t\r\n", sc->s[sc->i]) != NULL)
		sc->i++;
}

/* Read a JSON string at the cursor into OUT; code points above 0x7f become UTF-8. */
static int
read_string(struct scan *sc, char *out, size_t cap, size_t *len)
{
	size_t o = 0;

	if (sc->i >= sc->n || sc->s[sc->i] != '"')
		return -1;
	for (sc->i++; sc->i < sc->n && sc->s[sc->i] != '"'; sc->i++) {
		unsigned c = (unsigned char)sc->s[sc->i];

		if (c < 0x20 || o + 4 >= cap)
			return -1;
		if (c == '\\') {
			const char *esc = "\"\"\\\\//b\bf\fn\nr\rt\t", *m;

			if (++sc->i >= sc->n)
				return -1;
			if (sc->s[sc->i] == 'u') {
				unsigned cp = 0;

				if (sc->i + 4 >= sc->n)
					return -1;
				for (int k = 1; k <= 4; k++) {
					int h = ksim_hexval(sc->s[sc->i + (size_t)k]);
					if (h < 0)
						return -1;
					cp = cp << 4 | (unsigned)h;
				}
				sc->i += 4;
				if (cp < 0x80) {
					out[o++] = (char)cp;
				} else if (cp < 0x800) {
					out[o++] = (char)(0xc0 | cp >> 6);
					out[o++] = (char)(0x80 | (cp & 0x3f));
				} else {
					out[o++] = (char)(0xe0 | cp >> 12);
					out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
					out[o++] = (char)(0x80 | (cp & 0x3f));
				}
				continue;
			}
			for (m = esc; *m != '\0' && *m != sc->s[sc->i]; m += 2)
				;
			if (*m == '\0')
				return -1;
			out[o++] = m[1];
			continue;
		}
		out[o++] = (char)c;
	}
	if (sc->i >= sc->n)
		return -1;
	sc->i++;
	*len = o;
	return 0;
}

static int
read_int(struct scan *sc, int64_t *v)
{
	char buf[32], *end;
	size_t k = 0;

	while (sc->i < sc->n && k < sizeof(buf) - 1 && strchr("-0123456789", sc->s[sc->i]) != NULL)
		buf[k++] = sc->s[sc->i++];
	buf[k] = '\0';
	errno = 0;
	*v = strtoll(buf, &end, 10);
	return k == 0 || *end != '\0' || errno != 0 ? -1 : 0;
}

/*
 * Path traversal guard of DecodeContinue: "/"+KEY must be its own
 * path.Clean, so no empty, "." or ".." segment (one leading '/' is allowed).
 */
static int
key_is_clean(const char *k, size_t n)
{
	size_t i = n > 0 && k[0] == '/' ? 1 : 0;

	while (i <= n) {
		size_t seg = i, len;

		while (i < n && k[i] != '/')
			i++;
		len = i - seg;
		if (len == 0 || (len == 1 && k[seg] == '.') ||
		    (len == 2 && k[seg] == '.' && k[seg + 1] == '.'))
			return 0;
		i++;
	}
	return 1;
}

static int
parse_token(struct scan *sc, struct ksim_contok *out, char *v, size_t vcap)
{
	int have_rv = 0;

	v[0] = '\0';
	skip_ws(sc);
	if (sc->i >= sc->n || sc->s[sc->i++] != '{')
		return -1;
	for (;;) {
		char key[16];
		size_t klen;

		skip_ws(sc);
		if (read_string(sc, key, sizeof(key), &klen) < 0)
			return -1;
		key[klen] = '\0';
		skip_ws(sc);
		if (sc->i >= sc->n || sc->s[sc->i++] != ':')
			return -1;
		skip_ws(sc);
		if (strcmp(key, "rv") == 0) {
			if (read_int(sc, &out->rv) < 0)
				return -1;
			have_rv = 1;
		} else if (strcmp(key, "v") == 0) {
			size_t vl;

			if (read_string(sc, v, vcap, &vl) < 0)
				return -1;
			v[vl] = '\0';
		} else if (strcmp(key, "start") == 0) {
			if (read_string(sc, out->start, sizeof(out->start), &out->startlen) < 0)
				return -1;
		} else {
			return -1;
		}
		skip_ws(sc);
		if (sc->i < sc->n && sc->s[sc->i] == ',') {
			sc->i++;
			continue;
		}
		if (sc->i < sc->n && sc->s[sc->i] == '}')
			return have_rv ? 0 : (out->rv = 0, 0);
		return -1;
	}
}

int
ksim_contok_decode(const char *tok, struct ksim_contok *out, char *err, size_t errlen)
{
	unsigned char raw[KSIM_CONTOK_KEY_MAX * 6 + 64];
	char v[64];
	size_t bad = 0;
	int n;
	struct scan sc;

	memset(out, 0, sizeof(*out));
	n = ksim_b64url_decode(tok, strlen(tok), raw, sizeof(raw), &bad);
	if (n < 0) {
		snprintf(err, errlen, "continue key is not valid: illegal base64 data at input byte %zu", bad);
		return -1;
	}
	sc = (struct scan){ .s = (const char *)raw, .n = (size_t)n };
	if (parse_token(&sc, out, v, sizeof(v)) < 0) {
		snprintf(err, errlen, "continue key is not valid: invalid character in the token's JSON");
		return -1;
	}
	if (strcmp(v, "meta.k8s.io/v1") != 0) {
		snprintf(err, errlen, "continue key is not valid: server does not recognize this encoded version %s", v);
		return -1;
	}
	if (out->rv == 0) {
		snprintf(err, errlen, "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
		return -1;
	}
	if (out->startlen == 0) {
		snprintf(err, errlen, "continue key is not valid: encoded start key empty (version meta.k8s.io/v1)");
		return -1;
	}
	if (!key_is_clean(out->start, out->startlen)) {
		snprintf(err, errlen, "continue key is not valid: %.*s", (int)out->startlen, out->start);
		return -1;
	}
	return 0;
}
