/*
 * contok — LIST continue tokens, byte-compatible with the apiserver's:
 * unpadded base64url of {"v":"meta.k8s.io/v1","rv":RV,"start":"KEY\u0000"}.
 *
 * Clients treat the token as opaque, but keeping the real shape means a
 * token from kubesim decodes like a real one in debugging, and the error
 * texts for garbage ("continue key is not valid: ...") match.  RV -1 marks
 * the "inconsistent" token handed out with a 410 Expired: it continues from
 * the latest state.  START is a key relative to the list's prefix and may
 * contain NUL (the "\u0000" suffix means "strictly after KEY").
 */
#ifndef KSIM_CONTOK_H
#define KSIM_CONTOK_H

#include <stddef.h>
#include <stdint.h>

#define KSIM_CONTOK_KEY_MAX 512

struct ksim_contok {
	int64_t rv;
	char start[KSIM_CONTOK_KEY_MAX];
	size_t startlen;
};

/* Encode into OUT (size N).  Returns the length, or -1 if it does not fit. */
int ksim_contok_encode(int64_t rv, const char *start, size_t startlen, char *out, size_t n);
/*
 * Decode TOK.  Returns 0, or -1 with ERR set to the apiserver's reason
 * (to be prefixed with "invalid continue token: ").
 */
int ksim_contok_decode(const char *tok, struct ksim_contok *out, char *err, size_t errlen);

/* Unpadded base64url.  Encode returns the length or -1 if N is too small. */
int ksim_b64url_encode(const unsigned char *in, size_t len, char *out, size_t n);
/* Returns the decoded length, or -1 with *BADPOS at the offending byte. */
int ksim_b64url_decode(const char *in, size_t len, unsigned char *out, size_t n, size_t *badpos);
/* Padded standard base64 (Secret data) in a new string, or NULL. */
char *ksim_b64_encode(const unsigned char *in, size_t len);
/* The value of hex digit C (either case), or -1: for \\uXXXX and %XX escapes. */
int ksim_hexval(int c);

#endif
