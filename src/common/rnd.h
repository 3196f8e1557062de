/*
 * rnd — random numbers.  rnd_u64() is a fast non-cryptographic generator
 * (jitter, ids' tie-breaking) seeded from the kernel and reseeded
 * automatically after fork(), so sibling processes never share a sequence.
 * rnd_secure() reads the kernel CSPRNG directly, for secrets such as API keys.
 */
#ifndef DBAAS_RND_H
#define DBAAS_RND_H

#include <stddef.h>
#include <stdint.h>

uint64_t rnd_u64(void);
/* A uniform double in [0, 1). */
double rnd_unit(void);
/* Fill BUF with N bytes from getrandom(2).  Returns 0 or -1 with errno. */
int rnd_secure(void *buf, size_t n);

#endif
