/*
 * config_int — what config.c and config_catalog.c share: the error list that
 * collects every problem in a file (so one --check-config run shows them
 * all), and the catalog entry points.  Not for use outside the config module.
 */
#ifndef DBAAS_CONFIG_INT_H
#define DBAAS_CONFIG_INT_H

#include <libconfig.h>

#include "common/config.h"

struct cfg_errors {
	char *buf;
	size_t cap;
	size_t len;
	int count;
	const char *path;	/* the main file, when a setting has no source */
};

/* Record "FILE:LINE: NAME: message" for setting S (NULL = no location). */
void cfg_errorf(struct cfg_errors *errs, const config_setting_t *s,
    const char *name, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Fill the built-in catalogs. Returns 0 or -1 (out of memory). */
int cfg_catalog_defaults(struct cfg *cfg);
/* Replace the catalogs with what the SIZES / ENGINES settings hold. */
void cfg_sizes_load(struct cfg *cfg, const config_setting_t *sizes, struct cfg_errors *errs);
void cfg_engines_load(struct cfg *cfg, const config_setting_t *engines, struct cfg_errors *errs);
void cfg_catalog_free(struct cfg *cfg);
int cfg_catalog_equal(const struct cfg *a, const struct cfg *b, const char *section);
/* "an integer", "a string", ... for messages about libconfig types. */
const char *cfg_type_phrase(int libconfig_type);

#endif
