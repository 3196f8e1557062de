/*
 * libFuzzer target: the kubeconfig reader (libyaml document walk).
 *   ./configure --enable-fuzz CC=clang && make tests/fuzz/fuzz_api_kubeconfig
 *   tests/fuzz/fuzz_api_kubeconfig -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>

#include "api/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_kubeconn k;
	char err[256];

	if (api_kubeconfig_parse((const char *)data, size, NULL, &k, err, sizeof(err)) == 0)
		api_kubeconn_free(&k);
	if (api_kubeconfig_parse((const char *)data, size, "b", &k, err, sizeof(err)) == 0)
		api_kubeconn_free(&k);
	return 0;
}
