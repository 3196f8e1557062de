/*
 * libFuzzer target: request bodies through exactly the path the API uses
 * (strict parse, then the validators), plus the pagination cursor decoder.
 * The first byte picks the validator; the rest is the body.
 *   ./configure --enable-fuzz CC=clang && make tests/fuzz/fuzz_api_body
 *   tests/fuzz/fuzz_api_body -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "api/api_int.h"
#include "api/validate.h"
#include "common/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cfg *cfg;

static void
run(int which, const cJSON *body)
{
	struct api_db_current cur = { (enum cfg_engine_id)(which % ENGINE_COUNT), which % 4,
		(which * 7) % 100 };
	struct api_verr e = { 0 };
	struct api_db_spec d;
	struct api_provider_spec p;
	struct api_key_spec k;

	switch (which % 6) {
	case 0: (void)api_val_db_create(body, cfg, which & 8, &d, &e); break;
	case 1: (void)api_val_db_patch(body, cfg, &cur, &d, &e); break;
	case 2: (void)api_val_provider(body, 0, &p, &e); api_provider_spec_free(&p); break;
	case 3: (void)api_val_provider(body, 1, &p, &e); api_provider_spec_free(&p); break;
	case 4: (void)api_val_key(body, &k, &e); break;
	default: (void)api_val_empty(body, &e); break;
	}
	api_verr_clear(&e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[ID_MAX], text[512];
	cJSON *body;

	if (cfg == NULL)
		cfg = cfg_defaults();
	if (size < 1)
		return 0;
	body = json_parse_strict((const char *)data + 1, size - 1, API_JSON_DEPTH, NULL);
	if (body != NULL)
		run(data[0], body);
	cJSON_Delete(body);
	if (size - 1 < sizeof(text)) {
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		(void)api_cursor_decode(text, "db-", id, sizeof(id));
	}
	return 0;
}
