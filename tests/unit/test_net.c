/* Addresses and listening sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/net.h"

static void
test_parse_hostport(void **state)
{
	char host[64], err[128];
	int port;

	(void)state;
	assert_int_equal(net_parse_hostport("127.0.0.1:8080", host, sizeof(host), &port, err,
	    sizeof(err)), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 8080);
	assert_int_equal(net_parse_hostport("[::1]:443", host, sizeof(host), &port, err,
	    sizeof(err)), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 443);
	assert_int_equal(net_parse_hostport("localhost:0", host, sizeof(host), &port, err,
	    sizeof(err)), 0);
	assert_int_equal(port, 0);
}

static void
test_parse_rejects(void **state)
{
	static const char *const bad[] = { "localhost", ":80", "h:", "h:65536", "h:-1", "h:8x",
		"[::1]80", "[::1", "::1:80", "h:99999999999999999999" };
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (net_parse_hostport(bad[i], NULL, 0, NULL, err, sizeof(err)) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_true(strstr(err, bad[i]) != NULL || err[0] != '\0');
	}
}

static void
test_host_too_long(void **state)
{
	char host[4], err[128];

	(void)state;
	assert_int_equal(net_parse_hostport("example:1", host, sizeof(host), NULL, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "host too long"));
}

static void
test_listen_ephemeral(void **state)
{
	char err[128];
	int fd = net_listen("127.0.0.1:0", 16, err, sizeof(err));

	(void)state;
	assert_true(fd >= 0);
	assert_true(net_local_port(fd) > 0);
	close(fd);
}

static void
test_listen_in_use(void **state)
{
	char err[128], addr[64];
	int a = net_listen("127.0.0.1:0", 16, err, sizeof(err)), b;

	(void)state;
	assert_true(a >= 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", net_local_port(a));
	b = net_listen(addr, 16, err, sizeof(err));
	assert_int_equal(b, -1);
	assert_non_null(strstr(err, "Address already in use"));
	close(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_hostport),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_host_too_long),
		cmocka_unit_test(test_listen_ephemeral),
		cmocka_unit_test(test_listen_in_use),
	};

	return cmocka_run_group_tests_name("net", tests, NULL, NULL);
}
