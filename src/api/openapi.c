/*
 * openapi — GET /openapi.json: the OpenAPI 3 document of the v1 API.
 *
 * The document is src/api/openapi.json, compiled in (openapi_doc.c is
 * generated from it by the build), so the binary always serves the contract
 * it was built with; tests/integration/test_api_openapi_metrics.py walks it against
 * the running server.
 */
#include <string.h>

#include "api/api_int.h"

void
api_openapi(struct api_req *q)
{
	api_set_header(q, "Cache-Control", "max-age=300");
	api_reply_text(q, 200, "application/json", api_openapi_doc, strlen(api_openapi_doc));
}
