/*
 * id — ULID generation and checking (see id.h).
 *
 * Ids are strictly increasing within a process, across its threads too (the
 * API makes ids on its handler threads): the last id issued is process state
 * under a mutex, taken only long enough to advance it.
 */
#include <pthread.h>
#include <string.h>

#include "common/clock.h"
#include "common/id.h"
#include "common/rnd.h"

static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* Last id issued by this process, so ids in the same millisecond still increase. */
static pthread_mutex_t id_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t last_ms = -1;		/* guarded by id_mu, with last_rand */
static unsigned char last_rand[10];

static void
rand_increment(unsigned char r[10])
{
	for (int i = 9; i >= 0; i--)
		if (++r[i] != 0)
			return;
}

static void
encode(int64_t ms, const unsigned char r[10], char *out)
{
	uint64_t t = (uint64_t)ms;
	unsigned acc = 0, bits = 0;
	int o = 10;

	for (int i = 9; i >= 0; i--) {
		out[i] = b32[t & 31];
		t >>= 5;
	}
	for (int i = 0; i < 10; i++) {
		acc = (acc << 8) | r[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
}

/* The next (time, random) pair after the last one issued, at WALL_MS or later. */
static int64_t
advance(int64_t wall_ms, unsigned char r[10])
{
	pthread_mutex_lock(&id_mu);
	if (wall_ms <= last_ms) {
		wall_ms = last_ms;
		rand_increment(last_rand);
	} else {
		uint64_t a = rnd_u64(), b = rnd_u64();
		memcpy(last_rand, &a, 8);
		memcpy(last_rand + 8, &b, 2);
		last_rand[0] &= 0x7f;	/* headroom so increments never wrap */
		last_ms = wall_ms;
	}
	memcpy(r, last_rand, 10);
	pthread_mutex_unlock(&id_mu);
	return wall_ms;
}

int
id_new_at(const char *prefix, int64_t wall_ms, char *out, size_t n)
{
	size_t pl = strlen(prefix);
	unsigned char r[10];

	if (n < pl + ID_ULID_LEN + 1)
		return -1;
	wall_ms = advance(wall_ms, r);
	memcpy(out, prefix, pl);
	encode(wall_ms, r, out + pl);
	out[pl + ID_ULID_LEN] = '\0';
	return 0;
}

int
id_new(const char *prefix, char *out, size_t n)
{
	return id_new_at(prefix, clk_wall_ms(), out, n);
}

static int
b32_value(char c)
{
	const char *p = c != '\0' ? strchr(b32, c) : NULL;

	return p != NULL ? (int)(p - b32) : -1;
}

int
id_valid(const char *prefix, const char *s)
{
	size_t pl = strlen(prefix);

	if (s == NULL || strncmp(s, prefix, pl) != 0 || strlen(s) != pl + ID_ULID_LEN)
		return 0;
	for (size_t i = pl; s[i] != '\0'; i++)
		if (b32_value(s[i]) < 0)
			return 0;
	return s[pl] <= '7';	/* 48-bit time: the first character carries 3 bits */
}

int64_t
id_time_ms(const char *prefix, const char *s)
{
	int64_t t = 0;

	if (!id_valid(prefix, s))
		return -1;
	s += strlen(prefix);
	for (int i = 0; i < 10; i++)
		t = (t << 5) | b32_value(s[i]);
	return t;
}
