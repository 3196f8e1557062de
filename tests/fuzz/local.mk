# tests/fuzz: libFuzzer targets for every parser of outside input, built with
#   ./configure --enable-fuzz CC=clang
# Run one:  build-fuzz/tests/fuzz/fuzz_qty -max_total_time=60 tests/fuzz/corpus/fuzz_qty
# (scripts/test runs each for a short, fixed time when CI=true).  Targets of
# other folders register themselves in their own local.mk under the same
# tests/fuzz/fuzz_* names.
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_qty tests/fuzz/fuzz_json tests/fuzz/fuzz_config \
	tests/fuzz/fuzz_log tests/fuzz/fuzz_kube_watch
tests_fuzz_fuzz_qty_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_json_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_config_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_log_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
tests_fuzz_fuzz_kube_watch_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
endif
EXTRA_DIST += tests/fuzz/corpus
