/*
 * id — sortable unique identifiers: PREFIX + a 26-character ULID
 * (48-bit millisecond timestamp + 80 random bits, Crockford base32), e.g.
 * "db-01JD3K5Q7W8X9Y0Z1A2B3C4D5E".  Lexical order is creation order across
 * processes (to the millisecond) and strictly increasing within a process, so
 * "newest first" is a sort on _id, which MongoDB/FerretDB serve from the
 * primary key.
 */
#ifndef DBAAS_ID_H
#define DBAAS_ID_H

#include <stddef.h>
#include <stdint.h>

#define ID_ULID_LEN 26
#define ID_MAX 48	/* enough for any prefix we use plus the ULID and NUL */

/* Write PREFIX + ULID(now) into OUT.  Returns 0, or -1 if N is too small. */
int id_new(const char *prefix, char *out, size_t n);
/* Same, with an explicit wall time (for tests and cursors). */
int id_new_at(const char *prefix, int64_t wall_ms, char *out, size_t n);
/* 1 if S is PREFIX followed by a well-formed ULID, else 0. */
int id_valid(const char *prefix, const char *s);
/* The millisecond timestamp inside a valid id (after PREFIX), or -1. */
int64_t id_time_ms(const char *prefix, const char *s);

#endif
