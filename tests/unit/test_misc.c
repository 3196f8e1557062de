/*
 * The small pieces of src/common: clock formatting, the per-process random
 * generator (reseeded after fork, one state per thread), Redis key prefixes,
 * heartbeat staleness, and the sd_notify datagram protocol against a real
 * socket.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/heartbeat.h"
#include "common/rds.h"
#include "common/rnd.h"
#include "common/sdnotify.h"

static void
test_rfc3339(void **state)
{
	char buf[CLK_RFC3339_LEN];

	(void)state;
	clk_rfc3339(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	clk_rfc3339(1795320000999LL, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-22T04:00:00Z");	/* milliseconds are dropped */
}

static void
test_monotonic_moves_forward(void **state)
{
	int64_t a = clk_mono_us(), b;

	(void)state;
	usleep(2000);
	b = clk_mono_us();
	assert_true(b - a >= 2000);
	assert_true(clk_mono_ms() >= a / 1000);
}

static void
test_rnd_unit_range_and_spread(void **state)
{
	int buckets[10] = { 0 };

	(void)state;
	for (int i = 0; i < 100000; i++) {
		double u = rnd_unit();
		assert_true(u >= 0.0 && u < 1.0);
		buckets[(int)(u * 10)]++;
	}
	for (int i = 0; i < 10; i++)
		assert_true(buckets[i] > 9000 && buckets[i] < 11000);
}

/* A forked child must not replay the parent's sequence (ids and jitter would collide). */
static void
test_rnd_reseeds_after_fork(void **state)
{
	int fds[2];
	uint64_t parent, child = 0;
	pid_t pid;

	(void)state;
	(void)rnd_u64();
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint64_t v = rnd_u64();
		_exit(write(fds[1], &v, sizeof(v)) == sizeof(v) ? 0 : 1);
	}
	parent = rnd_u64();
	assert_int_equal(read(fds[0], &child, sizeof(child)), sizeof(child));
	waitpid(pid, NULL, 0);
	close(fds[0]);
	close(fds[1]);
	assert_true(parent != child);
}

static void *
draw(void *arg)
{
	*(uint64_t *)arg = rnd_u64();
	return NULL;
}

/* Threads draw from their own state: no lock, and no shared sequence. */
static void
test_rnd_threads_have_own_sequences(void **state)
{
	uint64_t a = 0, b = 0;
	pthread_t t1, t2;

	(void)state;
	assert_int_equal(pthread_create(&t1, NULL, draw, &a), 0);
	assert_int_equal(pthread_create(&t2, NULL, draw, &b), 0);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	assert_true(a != b && a != 0 && b != 0);
}

static void
test_rnd_secure_fills(void **state)
{
	unsigned char a[32] = { 0 }, b[32] = { 0 };

	(void)state;
	assert_int_equal(rnd_secure(a, sizeof(a)), 0);
	assert_int_equal(rnd_secure(b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
}

static void
test_redis_keys_and_params(void **state)
{
	struct cfg *c = cfg_defaults();
	struct rds_params p;
	char key[64];

	(void)state;
	rds_params_from_cfg(&p, c);
	assert_string_equal(p.host, "127.0.0.1");
	assert_int_equal(p.port, 6379);
	assert_string_equal(rds_key(&p, key, sizeof(key), "ops:%s", "dead"), "dbaas:ops:dead");
	assert_string_equal(hb_key(&p, key, sizeof(key)), "dbaas:heartbeats");
	assert_string_equal(rds_key(&p, key, 8, "%s", "long-suffix"), "dbaas:l");	/* truncated, terminated */
	assert_int_equal(hb_stale_ms(c), 3000);
	cfg_free(c);
}

static void
test_sd_notify(void **state)
{
	char path[] = "/tmp/dbaasd-test-notify-XXXXXX", buf[128];
	struct sockaddr_un sa;
	int fd;
	ssize_t n;

	(void)state;
	assert_non_null(mkdtemp(path));
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s", path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setenv("NOTIFY_SOCKET", sa.sun_path, 1);
	setenv("WATCHDOG_USEC", "500000", 1);
	assert_int_equal(sdn_init(), 1);
	/* Children must not inherit them. */
	assert_null(getenv("NOTIFY_SOCKET"));
	assert_null(getenv("WATCHDOG_USEC"));
	assert_true(sdn_watchdog_usec() == 500000);
	assert_int_equal(sdn_send("READY=1\nSTATUS=ok"), 0);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "READY=1\nSTATUS=ok");
	close(fd);
	unlink(sa.sun_path);
	rmdir(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_monotonic_moves_forward),
		cmocka_unit_test(test_rnd_unit_range_and_spread),
		cmocka_unit_test(test_rnd_reseeds_after_fork),
		cmocka_unit_test(test_rnd_threads_have_own_sequences),
		cmocka_unit_test(test_rnd_secure_fills),
		cmocka_unit_test(test_redis_keys_and_params),
		cmocka_unit_test(test_sd_notify),
	};

	return cmocka_run_group_tests_name("misc", tests, NULL, NULL);
}
