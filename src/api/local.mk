# src/api: the HTTP API role.
noinst_LIBRARIES += libdbaas_api.a
libdbaas_api_a_SOURCES = \
	src/api/api.c src/api/api.h src/api/api_int.h \
	src/api/health.c \
	src/api/http.c \
	src/api/router.c
DBAASD_ROLE_LIBS += libdbaas_api.a
