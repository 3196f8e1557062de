# src/api: the HTTP API role.
noinst_LIBRARIES += libdbaas_api.a
libdbaas_api_a_SOURCES = \
	src/api/api.c src/api/api.h src/api/api_int.h \
	src/api/apikeys.c \
	src/api/auth.c \
	src/api/cursor.c \
	src/api/databases.c \
	src/api/deadline.c \
	src/api/doclock.c \
	src/api/etag.c \
	src/api/health.c \
	src/api/http.c \
	src/api/idempotency.c \
	src/api/keys.c \
	src/api/kubeconfig.c \
	src/api/metrics_render.c \
	src/api/openapi.c \
	src/api/operations.c \
	src/api/pagination.c \
	src/api/pool.c \
	src/api/providers.c \
	src/api/ready.c \
	src/api/router.c \
	src/api/store.c \
	src/api/validate.c src/api/validate.h \
	src/api/validate_provider.c
nodist_libdbaas_api_a_SOURCES = src/api/openapi_doc.c
DBAASD_ROLE_LIBS += libdbaas_api.a
EXTRA_DIST += src/api/openapi.json
CLEANFILES += src/api/openapi_doc.c

# The OpenAPI document is compiled in as one C string.
src/api/openapi_doc.c: $(srcdir)/src/api/openapi.json
	$(AM_V_GEN)$(MKDIR_P) src/api && \
	{ echo '/* generated from src/api/openapi.json: do not edit */'; \
	  echo 'const char api_openapi_doc[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $(srcdir)/src/api/openapi.json; \
	  echo ';'; } > $@.tmp && mv $@.tmp $@

# Pure pieces of the API (validators, kubeconfig, cursors) for unit tests and fuzzing.
API_PURE = src/api/validate.c src/api/validate_provider.c src/api/kubeconfig.c src/api/cursor.c \
	src/api/etag.c

API_UNIT_TESTS = tests/unit/test_api_validate tests/unit/test_api_kubeconfig
check_PROGRAMS += $(API_UNIT_TESTS)
TESTS += $(API_UNIT_TESTS)
tests_unit_test_api_validate_SOURCES = tests/unit/test_api_validate.c $(API_PURE)
tests_unit_test_api_kubeconfig_SOURCES = tests/unit/test_api_kubeconfig.c $(API_PURE)

# Benchmark helpers (bench/api/run.py): the same MongoDB reads and writes as
# the API straight from libmongoc (closed loop, and finds at a fixed rate),
# and an open-loop fixed-rate HTTP client.
noinst_PROGRAMS += bench/api/mongo_ceiling bench/api/mongo_fixedrate bench/api/fixedrate
bench_api_mongo_ceiling_SOURCES = bench/api/mongo_ceiling.c
bench_api_mongo_ceiling_LDADD = libdbaas_common.a $(DEP_LIBS)
bench_api_mongo_fixedrate_SOURCES = bench/api/mongo_fixedrate.c
bench_api_mongo_fixedrate_LDADD = libdbaas_common.a $(DEP_LIBS)
bench_api_fixedrate_SOURCES = bench/api/fixedrate.c
bench_api_fixedrate_LDADD = libdbaas_common.a $(DEP_LIBS)

if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_api_body tests/fuzz/fuzz_api_kubeconfig
tests_fuzz_fuzz_api_body_SOURCES = tests/fuzz/fuzz_api_body.c $(API_PURE) src/common/json.c
tests_fuzz_fuzz_api_body_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_api_body_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_api_kubeconfig_SOURCES = tests/fuzz/fuzz_api_kubeconfig.c $(API_PURE)
tests_fuzz_fuzz_api_kubeconfig_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_fuzz_api_kubeconfig_LDFLAGS = -fsanitize=fuzzer,address,undefined
endif
