/*
 * cursor — opaque pagination cursors.
 *
 * Every list is ordered by _id descending (ids are ULIDs: newest first), and
 * a page ends at the last id it returned; the next page asks for ids below
 * it.  Items inserted meanwhile have larger ids, so they never shift a later
 * page: no duplicates, no gaps.  The cursor is that id, versioned and
 * base64url-encoded so clients treat it as opaque; decoding checks the id's
 * shape and prefix, so a forged cursor is at worst a different position.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"

#define CURSOR_TAG "c1:"

static const char b64u[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void
api_b64u_encode(const unsigned char *in, size_t n, char *out, size_t outn)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 4 < outn; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		size_t chunk = n - i < 3 ? n - i : 3;
		if (chunk > 1)
			v |= (unsigned)in[i + 1] << 8;
		if (chunk > 2)
			v |= in[i + 2];
		out[o++] = b64u[(v >> 18) & 63];
		out[o++] = b64u[(v >> 12) & 63];
		if (chunk > 1)
			out[o++] = b64u[(v >> 6) & 63];
		if (chunk > 2)
			out[o++] = b64u[v & 63];
	}
	out[o] = '\0';
}

static int
b64u_value(char c)
{
	const char *p = c != '\0' ? strchr(b64u, c) : NULL;

	return p != NULL ? (int)(p - b64u) : -1;
}

/* Decode IN into OUT (NUL-terminated); -1 on a bad character or length. */
static int
b64u_decode(const char *in, char *out, size_t outn)
{
	size_t n = strlen(in), o = 0;
	unsigned acc = 0;
	int bits = 0;

	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64u_value(in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 1 >= outn)
				return -1;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	return memchr(out, '\0', o) == NULL ? 0 : -1;
}

void
api_cursor_encode(const char *id, char *out, size_t n)
{
	char raw[API_CURSOR_MAX];

	snprintf(raw, sizeof(raw), CURSOR_TAG "%s", id);
	api_b64u_encode((const unsigned char *)raw, strlen(raw), out, n);
}

int
api_cursor_decode(const char *cursor, const char *prefix, char *id, size_t n)
{
	char raw[API_CURSOR_MAX];

	if (strlen(cursor) > 2 * API_CURSOR_MAX || b64u_decode(cursor, raw, sizeof(raw)) != 0)
		return -1;
	if (strncmp(raw, CURSOR_TAG, strlen(CURSOR_TAG)) != 0)
		return -1;
	if (!id_valid(prefix, raw + strlen(CURSOR_TAG)) || strlen(raw) - strlen(CURSOR_TAG) >= n)
		return -1;
	snprintf(id, n, "%s", raw + strlen(CURSOR_TAG));
	return 0;
}
