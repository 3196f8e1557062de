# src/kubesim: dbaasd-kubesim, the Kubernetes API + KubeDB operator simulator.
# The logic lives in libdbaas_kubesim.a so the unit tests can link it.
noinst_LIBRARIES += libdbaas_kubesim.a
libdbaas_kubesim_a_SOURCES = \
	src/kubesim/admission.c src/kubesim/admission.h \
	src/kubesim/api.c src/kubesim/api_int.h \
	src/kubesim/auth.c src/kubesim/auth.h \
	src/kubesim/avl.c src/kubesim/avl.h \
	src/kubesim/conf.c src/kubesim/conf.h \
	src/kubesim/contok.c src/kubesim/contok.h \
	src/kubesim/discovery.c \
	src/kubesim/faults.c src/kubesim/faults.h \
	src/kubesim/fieldsel.c src/kubesim/fieldsel.h \
	src/kubesim/gc.c src/kubesim/gc.h \
	src/kubesim/http.c src/kubesim/http.h \
	src/kubesim/jsonx.c src/kubesim/jsonx.h \
	src/kubesim/ktime.c src/kubesim/ktime.h \
	src/kubesim/kubeconfig.c src/kubesim/kubeconfig.h \
	src/kubesim/labelsel.c src/kubesim/labelsel.h \
	src/kubesim/list.c src/kubesim/list.h \
	src/kubesim/operator.c src/kubesim/operator.h \
	src/kubesim/patch.c src/kubesim/patch.h \
	src/kubesim/pbuf.c src/kubesim/pbuf.h \
	src/kubesim/reply.c src/kubesim/reply.h \
	src/kubesim/res.c src/kubesim/res.h \
	src/kubesim/schema.c src/kubesim/schema.h \
	src/kubesim/router.c \
	src/kubesim/sim.h \
	src/kubesim/simapi.c \
	src/kubesim/store.c src/kubesim/store.h \
	src/kubesim/table.c src/kubesim/table.h \
	src/kubesim/tls.c src/kubesim/tls.h \
	src/kubesim/watch.c src/kubesim/watch.h

bin_PROGRAMS += dbaasd-kubesim
dbaasd_kubesim_SOURCES = src/kubesim/main.c
dbaasd_kubesim_LDADD = libdbaas_kubesim.a libdbaas_common.a $(DEP_LIBS)

# Unit tests of the pure pieces (cmocka, TAP), linked with the library.
KUBESIM_UNIT_TESTS = \
	tests/unit/test_kubesim_admission \
	tests/unit/test_kubesim_contok \
	tests/unit/test_kubesim_labelsel \
	tests/unit/test_kubesim_patch \
	tests/unit/test_kubesim_pbuf \
	tests/unit/test_kubesim_schema \
	tests/unit/test_kubesim_store
check_PROGRAMS += $(KUBESIM_UNIT_TESTS)
TESTS += $(KUBESIM_UNIT_TESTS)
tests_unit_test_kubesim_admission_LDADD = libdbaas_kubesim.a $(LDADD)
tests_unit_test_kubesim_contok_LDADD = libdbaas_kubesim.a $(LDADD)
tests_unit_test_kubesim_labelsel_LDADD = libdbaas_kubesim.a $(LDADD)
tests_unit_test_kubesim_patch_LDADD = libdbaas_kubesim.a $(LDADD)
tests_unit_test_kubesim_pbuf_LDADD = libdbaas_kubesim.a $(LDADD)
tests_unit_test_kubesim_schema_LDADD = libdbaas_kubesim.a $(LDADD)
tests_unit_test_kubesim_store_LDADD = libdbaas_kubesim.a $(LDADD)

dist_man_MANS += man/dbaasd-kubesim.1
EXTRA_DIST += etc/kubesim.conf

if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_kubesim_selectors tests/fuzz/fuzz_kubesim_patch \
	tests/fuzz/fuzz_kubesim_contok
tests_fuzz_fuzz_kubesim_selectors_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_kubesim_selectors_LDADD = libdbaas_kubesim.a $(LDADD)
tests_fuzz_fuzz_kubesim_patch_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_kubesim_patch_LDADD = libdbaas_kubesim.a $(LDADD)
tests_fuzz_fuzz_kubesim_contok_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_kubesim_contok_LDADD = libdbaas_kubesim.a $(LDADD)
endif
