/*
 * Label and field selectors as kubesim receives them in query strings:
 * parse anything, match what parses against a fixed object, never crash
 * or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kubesim/fieldsel.h"
#include "kubesim/labelsel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *
field(void *ctx, const char *name)
{
	(void)ctx;
	if (strcmp(name, "metadata.name") == 0)
		return "orders";
	if (strcmp(name, "metadata.namespace") == 0)
		return "dbaas-acme";
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const supported[] = { "metadata.name", "metadata.namespace", NULL };
	struct ksim_label lv[] = { { "app", "db" }, { "tier", "gold" }, { "a.b/c", "" } };
	struct ksim_labels labels = { lv, sizeof(lv) / sizeof(lv[0]) };
	struct ksim_labelsel *ls = NULL;
	struct ksim_fieldsel *fs = NULL;
	char *s = malloc(size + 1), err[256];

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (ksim_labelsel_parse(s, &ls, err, sizeof(err)) == 0) {
		(void)ksim_labelsel_match(ls, &labels);
		(void)ksim_labelsel_empty(ls);
		ksim_labelsel_free(ls);
	}
	if (ksim_fieldsel_parse(s, supported, &fs, err, sizeof(err)) == 0) {
		(void)ksim_fieldsel_match(fs, field, NULL);
		(void)ksim_fieldsel_exact(fs, "metadata.name");
		ksim_fieldsel_free(fs);
	}
	free(s);
	return 0;
}
