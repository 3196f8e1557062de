/*
 * The Kubernetes client's life cycle on a real event loop, without an API
 * server: provider settings refused with a clear error, callbacks never run
 * from inside the call that started the work, cancellation silences a
 * handle, provider removal and kube_free end everything with "cancelled",
 * and a refused connection counts towards the circuit breaker.  Run under
 * valgrind by scripts/test, so every path here must free what it took.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "common/config.h"
#include "common/kube.h"
#include "common/log.h"
#include "common/metrics.h"

struct env {
	struct event_base *base;
	struct cfg *cfg;
	struct kube *k;
	char url[64];		/* a loopback port nobody listens on */
};

struct seen {
	int n;
	enum kube_err err[8];
	int attempts[8];
	int ends;
	enum kube_err end_err;
};

static int
setup(void **state)
{
	static struct env e;
	char err[256];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd;

	log_set_level(LOG_LEVEL_ERROR);
	memset(&e, 0, sizeof(e));
	e.base = event_base_new();
	e.cfg = cfg_defaults();
	e.cfg->kube.retry_max = 0;
	e.cfg->kube.breaker_threshold = 2;
	e.cfg->kube.breaker_cooldown_ms = 60000;
	if ((e.k = kube_new(e.base, e.cfg, err, sizeof(err))) == NULL)
		fail_msg("kube_new: %s", err);
	/* Bind, learn the port, close: connecting there is refused at once. */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	snprintf(e.url, sizeof(e.url), "http://127.0.0.1:%d", ntohs(sa.sin_port));
	*state = &e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;

	kube_free(e->k);
	event_base_free(e->base);
	cfg_free(e->cfg);
	met_reset();
	return 0;
}

static void
on_done(void *arg, struct kube_result *res)
{
	struct seen *s = arg;

	if (s->n < 8) {
		s->err[s->n] = res->err;
		s->attempts[s->n] = res->attempts;
	}
	s->n++;
}

static void
on_event(void *arg, struct kube_event *ev)
{
	(void)arg;
	(void)ev;
	fail_msg("no event expected");
}

static void
on_end(void *arg, struct kube_result *res)
{
	struct seen *s = arg;

	s->ends++;
	s->end_err = res->err;
}

static struct kube_watch *self_w;

/* A caller that cancels its watch from its own end callback (allowed). */
static void
on_end_cancel(void *arg, struct kube_result *res)
{
	on_end(arg, res);
	kube_watch_cancel(self_w);
}

struct self_req {
	struct seen s;
	struct kube_req *r;
};

static void
on_done_cancel(void *arg, struct kube_result *res)
{
	struct self_req *q = arg;

	on_done(&q->s, res);
	kube_req_cancel(q->r);
}

static void
run_until(struct env *e, const int *counter, int want)
{
	for (int i = 0; i < 2000 && *counter < want; i++)
		event_base_loop(e->base, EVLOOP_ONCE);
	assert_int_equal(*counter, want);
}

static void
test_provider_settings_refused(void **state)
{
	struct env *e = *state;
	char err[256];
	static const char *const bad_urls[] = { "ftp://x", "https://", "https://user:pw@h",
		"https://h/x?y=1", "https://h x", "http:/h" };

	for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
		struct kube_provider_conf pc = { .id = "p", .url = bad_urls[i],
			.token = "sekret-token" };

		err[0] = '\0';
		assert_int_equal(kube_provider_set(e->k, &pc, err, sizeof(err)), -1);
		assert_true(err[0] != '\0');
		assert_null(strstr(err, "sekret"));
	}
	{
		struct kube_provider_conf pc = { .id = "p", .url = "https://h", .cert_pem = "x" };

		assert_int_equal(kube_provider_set(e->k, &pc, err, sizeof(err)), -1);
		pc.cert_pem = NULL;
		pc.token = "a\nb";
		assert_int_equal(kube_provider_set(e->k, &pc, err, sizeof(err)), -1);
		pc.token = NULL;
		pc.id = "bad id";
		assert_int_equal(kube_provider_set(e->k, &pc, err, sizeof(err)), -1);
		pc.id = "";
		assert_int_equal(kube_provider_set(e->k, &pc, err, sizeof(err)), -1);
	}
	assert_int_equal(kube_provider_remove(e->k, "p"), -1);	/* none was added */
}

static void
test_no_provider_is_asynchronous(void **state)
{
	struct env *e = *state;
	struct kube_call c = { .verb = KUBE_GET, .path = "/api/v1/namespaces" };
	struct seen s = { 0 };
	char err[256];

	assert_non_null(kube_request(e->k, "nope", &c, on_done, &s, err, sizeof(err)));
	assert_int_equal(s.n, 0);	/* not from inside kube_request */
	run_until(e, &s.n, 1);
	assert_int_equal(s.err[0], KUBE_ERR_NO_PROVIDER);
	/* Malformed calls are refused at once, without a callback. */
	c.path = "no-slash";
	assert_null(kube_request(e->k, "nope", &c, on_done, &s, err, sizeof(err)));
	c.path = "/x?y";
	assert_null(kube_request(e->k, "nope", &c, on_done, &s, err, sizeof(err)));
	c.path = "/x";
	c.verb = KUBE_POST;
	assert_null(kube_request(e->k, "nope", &c, on_done, &s, err, sizeof(err)));
	assert_int_equal(s.n, 1);
}

static void
add(struct env *e, const char *id)
{
	struct kube_provider_conf pc = { .id = id, .url = e->url, .token = "t" };
	char err[256];

	if (kube_provider_set(e->k, &pc, err, sizeof(err)) != 0)
		fail_msg("provider: %s", err);
}

static void
test_refused_opens_the_circuit(void **state)
{
	struct env *e = *state;
	struct kube_call c = { .verb = KUBE_GET, .path = "/api/v1/namespaces" };
	struct kube_provider_state st;
	struct seen s = { 0 };
	char err[256];

	add(e, "dead");
	for (int i = 0; i < 3; i++) {
		assert_non_null(kube_request(e->k, "dead", &c, on_done, &s, err, sizeof(err)));
		run_until(e, &s.n, i + 1);
	}
	assert_int_equal(s.err[0], KUBE_ERR_TRANSPORT);
	assert_int_equal(s.err[1], KUBE_ERR_TRANSPORT);
	assert_int_equal(s.err[2], KUBE_ERR_CIRCUIT_OPEN);	/* threshold 2 */
	assert_int_equal(s.attempts[0], 1);
	assert_int_equal(kube_provider_state(e->k, "dead", &st), 0);
	assert_int_equal(st.circuit, KUBE_CIRCUIT_OPEN);
	assert_int_equal(st.last_contact_ms, 0);
	assert_int_equal(kube_provider_remove(e->k, "dead"), 0);
}

static void
test_cancel_is_silent(void **state)
{
	struct env *e = *state;
	struct kube_call c = { .verb = KUBE_GET, .path = "/api/v1/namespaces" };
	struct seen s = { 0 }, t = { 0 };
	struct kube_req *r;
	char err[256];

	add(e, "p1");
	r = kube_request(e->k, "p1", &c, on_done, &s, err, sizeof(err));
	assert_non_null(r);
	kube_req_cancel(r);
	assert_non_null(kube_request(e->k, "p1", &c, on_done, &t, err, sizeof(err)));
	run_until(e, &t.n, 1);
	assert_int_equal(s.n, 0);
}

static void
test_remove_ends_everything(void **state)
{
	struct env *e = *state;
	struct kube_call c = { .verb = KUBE_GET, .path = "/api/v1/namespaces" };
	struct kube_watch_opts wo = { .path = "/api/v1/namespaces" };
	struct kube_provider_conf pc = { .id = "slow", .url = "http://127.0.0.1:9",
		.qps = 0.5, .burst = 1 };
	struct seen s = { 0 };
	char err[256];

	/* A bucket of one token: the first request may go, the rest queue. */
	assert_int_equal(kube_provider_set(e->k, &pc, err, sizeof(err)), 0);
	for (int i = 0; i < 3; i++)
		assert_non_null(kube_request(e->k, "slow", &c, on_done, &s, err, sizeof(err)));
	assert_non_null(kube_watch(e->k, "slow", &wo, on_event, on_end, &s, err, sizeof(err)));
	event_base_loop(e->base, EVLOOP_NONBLOCK);
	assert_int_equal(kube_provider_remove(e->k, "slow"), 0);
	assert_int_equal(s.ends, 0);	/* delivered from the loop, not from remove */
	run_until(e, &s.n, 3);
	run_until(e, &s.ends, 1);
	for (int i = 0; i < 3; i++)
		assert_true(s.err[i] == KUBE_ERR_CANCELLED || s.err[i] == KUBE_ERR_TRANSPORT);
	assert_int_equal(s.end_err, KUBE_ERR_CANCELLED);
}

static void
test_free_ends_watches(void **state)
{
	struct env *e = *state;
	struct kube_watch_opts wo = { .path = "/api/v1/namespaces", .resource_version = "5" };
	struct seen s = { 0 }, t = { 0 };
	struct kube_watch *w;
	char err[256];

	add(e, "w");
	assert_non_null(kube_watch(e->k, "w", &wo, on_event, on_end, &s, err, sizeof(err)));
	w = kube_watch(e->k, "w", &wo, on_event, on_end, &t, err, sizeof(err));
	assert_non_null(w);
	assert_string_equal(kube_watch_rv(w), "5");
	event_base_loop(e->base, EVLOOP_NONBLOCK);
	kube_watch_cancel(w);
	kube_free(e->k);
	e->k = kube_new(e->base, e->cfg, err, sizeof(err));	/* for teardown */
	assert_int_equal(s.ends, 1);
	assert_int_equal(s.end_err, KUBE_ERR_CANCELLED);
	assert_int_equal(t.ends, 0);	/* cancelled: never called */
}

static void
test_cancel_from_own_callback(void **state)
{
	struct env *e = *state;
	struct kube_watch_opts wo = { .path = "/api/v1/namespaces" };
	struct kube_call c = { .verb = KUBE_GET, .path = "/api/v1/namespaces" };
	struct self_req rq = { { 0 }, NULL };
	struct seen s = { 0 };
	char err[256];

	add(e, "c");
	self_w = kube_watch(e->k, "c", &wo, on_event, on_end_cancel, &s, err, sizeof(err));
	assert_non_null(self_w);
	rq.r = kube_request(e->k, "c", &c, on_done_cancel, &rq, err, sizeof(err));
	assert_non_null(rq.r);
	run_until(e, &rq.s.n, 1);
	assert_int_equal(kube_provider_remove(e->k, "c"), 0);
	run_until(e, &s.ends, 1);
	assert_int_equal(s.end_err, KUBE_ERR_CANCELLED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_provider_settings_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_provider_is_asynchronous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_opens_the_circuit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_is_silent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_ends_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_ends_watches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_from_own_callback, setup, teardown),
	};

	return cmocka_run_group_tests_name("kube_life", tests, NULL, NULL);
}
