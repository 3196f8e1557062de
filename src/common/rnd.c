/*
 * rnd — splitmix64 seeded from getrandom(2), reseeded per process.
 *
 * The state is per thread (the API's handler threads draw jitter and id
 * bits concurrently), so no lock: each thread seeds itself on first use,
 * and the thread that survives a fork() reseeds when it sees a new pid.
 */
#include <errno.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/rnd.h"

static _Thread_local uint64_t rnd_state;
static _Thread_local pid_t rnd_pid;	/* 0 in a new thread: seed on first use */

static void
rnd_seed(void)
{
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = (uint64_t)clk_mono_us() ^ ((uint64_t)getpid() << 32);
	rnd_state = seed;
	rnd_pid = getpid();
}

uint64_t
rnd_u64(void)
{
	uint64_t z;

	if (rnd_pid != getpid())
		rnd_seed();
	z = (rnd_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

double
rnd_unit(void)
{
	return (double)(rnd_u64() >> 11) * 0x1.0p-53;
}

int
rnd_secure(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}
