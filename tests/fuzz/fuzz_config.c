/*
 * Configuration files: whatever the file holds, cfg_load() returns a valid
 * configuration or an error message, without crashing or leaking.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	char path[64], err[8192];
	struct cfg *c;

	if (fd < 0 && (fd = memfd_create("fuzz.conf", 0)) < 0)
		return 0;
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	c = cfg_load(path, err, sizeof(err));
	if (c == NULL && err[0] == '\0')
		abort();	/* a rejection must say why */
	cfg_free(c);
	return 0;
}
