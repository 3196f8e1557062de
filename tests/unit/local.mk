# tests/unit: cmocka tests, one binary per module, each printing TAP.
# A program's default source is its name + ".c"; the default LDADD (in
# Makefile.am) links the shared library and cmocka.
UNIT_TESTS = \
	tests/unit/test_backoff \
	tests/unit/test_config \
	tests/unit/test_id \
	tests/unit/test_json \
	tests/unit/test_kube \
	tests/unit/test_kube_life \
	tests/unit/test_log \
	tests/unit/test_misc \
	tests/unit/test_net \
	tests/unit/test_qty \
	tests/unit/test_tbucket

check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)

# Programs the integration tests drive (built by `make check`, never installed).
check_PROGRAMS += tests/integration/helpers/common_probe tests/integration/helpers/kube_drive
EXTRA_DIST += tests/unit/data
