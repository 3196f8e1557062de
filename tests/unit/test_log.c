/* Log lines: logfmt shape, on-demand quoting, errno suffix, level filter. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"


static void
test_quoting(void **state)
{
	const char *volatile nothing = NULL;
	char b[256];

	(void)state;
	log_formatf(b, sizeof(b), "a=%s b=%s c=%s d=%s", "plain", "two words", "", "q\"uote");
	assert_string_equal(b, "a=plain b=\"two words\" c=\"\" d=\"q\\\"uote\"");
	log_formatf(b, sizeof(b), "e=%s f=%s", "x=y", "line\nbreak\t\x01");
	assert_string_equal(b, "e=\"x=y\" f=\"line\\nbreak\\t\\x01\"");
	log_formatf(b, sizeof(b), "n=%s", nothing);	/* NULL prints as an empty value */
	assert_string_equal(b, "n=\"\"");
	log_formatf(b, sizeof(b), "p=%.*s", 3, "abcdef");
	assert_string_equal(b, "p=abc");
	log_formatf(b, sizeof(b), "u=%s", "h\xc3\xa9");	/* UTF-8 passes through unquoted */
	assert_string_equal(b, "u=h\xc3\xa9");
}

static void
test_numbers(void **state)
{
	char b[256];

	(void)state;
	log_formatf(b, sizeof(b), "i=%d l=%ld ll=%lld z=%zu u=%u x=%x f=%.2f pct=100%% c=%c w=%5d",
	    -3, 123456789012L, -9000000000000LL, (size_t)42, 7u, 255u, 1.5, 'q', 12);
	assert_string_equal(b, "i=-3 l=123456789012 ll=-9000000000000 z=42 u=7 x=ff f=1.50 pct=100% c=q w=   12");
}

static void
test_truncation(void **state)
{
	char b[8];

	(void)state;
	assert_int_equal(log_formatf(b, sizeof(b), "k=%s", "a very long value"), 7);
	assert_int_equal(strlen(b), 7);
}

static char *
read_all(FILE *fp)
{
	static char buf[4096];
	size_t n;

	rewind(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	return buf;
}

static void
test_line_shape(void **state)
{
	char path[] = "/tmp/dbaasd-test-log-XXXXXX";
	int fd = mkstemp(path);
	FILE *fp;
	char *out, want[128];

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(log_open(path), 0);
	log_set_role("worker");
	log_set_level(LOG_LEVEL_INFO);
	log_debug("hidden", "x=%d", 1);
	log_info("child_exited", "slot=%d reason=%s", 2, "killed by signal");
	errno = ENOENT;
	log_warn("open_failed", "path=%s", "/nope");
	log_warnx("plain", "%s", "");
	assert_int_equal(log_open(NULL), 0);
	fp = fopen(path, "r");
	assert_non_null(fp);
	out = read_all(fp);
	fclose(fp);
	unlink(path);
	assert_null(strstr(out, "hidden"));
	snprintf(want, sizeof(want), " level=info role=worker pid=%ld event=child_exited slot=2 "
	    "reason=\"killed by signal\"\n", (long)getpid());
	assert_non_null(strstr(out, want));
	assert_true(strncmp(out, "ts=", 3) == 0);
	assert_non_null(strstr(out, "event=open_failed path=/nope error=\"No such file or directory\"\n"));
	assert_non_null(strstr(out, "event=plain \"\"\n"));
}

static void
test_level_parse(void **state)
{
	enum log_level l;

	(void)state;
	assert_int_equal(log_level_parse("debug", &l), 0);
	assert_int_equal(l, LOG_LEVEL_DEBUG);
	assert_int_equal(log_level_parse("error", &l), 0);
	assert_int_equal(l, LOG_LEVEL_ERROR);
	assert_int_equal(log_level_parse("fatal", &l), -1);
	assert_int_equal(log_level_parse("INFO", &l), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_line_shape),
		cmocka_unit_test(test_level_parse),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
