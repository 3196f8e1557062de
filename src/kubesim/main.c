/*
 * dbaasd-kubesim — a Kubernetes API server with a simulated KubeDB
 * operator, for tests, demos and benchmarks of dbaasd (and of any client of
 * these APIs).  Users run it like kind or LocalStack: one process per
 * simulated cluster.
 *
 * Start-up order: configuration, listening socket (so port 0 resolves to a
 * real port), TLS material, the store with its pre-created namespaces, the
 * watch hub and the operator wired to store events, then the files clients
 * need (URL, CA, kubeconfig), and only then the "listening" line on stdout:
 * whoever waits for it can connect at once.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/net.h"
#include "kubesim/api_int.h"
#include "kubesim/conf.h"
#include "kubesim/faults.h"
#include "kubesim/gc.h"
#include "kubesim/http.h"
#include "kubesim/kubeconfig.h"
#include "kubesim/operator.h"
#include "kubesim/store.h"
#include "kubesim/watch.h"

static void
on_store_event(void *arg, const struct ksim_res *res, uint64_t seq)
{
	struct ksim_sim *sim = arg;

	ksim_hub_event(sim->hub, res, seq);
	if (sim->conf->operator_on)
		ksim_operator_event(sim->op, res, seq);
}

static int
create_namespaces(struct ksim_sim *sim)
{
	for (size_t i = 0; i < sim->conf->nnamespaces; i++) {
		if (ksim_api_create_namespace(sim, sim->conf->namespaces[i]) < 0) {
			log_warnx("namespace", "name=%s msg=%s", sim->conf->namespaces[i],
			    "not a valid namespace name (lowercase RFC 1123 label)");
			return -1;
		}
	}
	return 0;
}

void
ksim_sim_reset_objects(struct ksim_sim *sim)
{
	ksim_hub_close_all(sim->hub);
	ksim_operator_reset(sim->op);
	ksim_gc_reset(sim->gc);
	ksim_store_clear(sim->store);
	create_namespaces(sim);
	ksim_store_ring_restart(sim->store);
}

/* Like the apiserver's compactor: every period, compact to the RV seen one period ago. */
static void
on_compact(evutil_socket_t fd, short what, void *arg)
{
	struct ksim_sim *sim = arg;

	if (sim->compact_mark > 0)
		ksim_store_compact(sim->store, sim->compact_mark);
	sim->compact_mark = ksim_store_rv(sim->store);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct ksim_sim *sim = arg;

	log_info("stopping", "signal=%d", (int)sig);
	event_base_loopexit(sim->base, NULL);
}

static const char *
client_token(const struct ksim_conf *c)
{
	for (size_t i = 0; i < c->ntokens; i++)
		if (!c->tokens[i].readonly)
			return c->tokens[i].token;
	return c->ntokens > 0 ? c->tokens[0].token : "kubesim-no-auth";
}

/* The URL, CA and kubeconfig files clients read. */
static int
write_client_files(struct ksim_sim *sim, char *err, size_t errlen)
{
	char line[256];
	int n;

	if (sim->conf->ca_file != NULL && sim->tls.ca_pem != NULL &&
	    ksim_write_file(sim->conf->ca_file, sim->tls.ca_pem, strlen(sim->tls.ca_pem), err, errlen) < 0)
		return -1;
	if (sim->conf->kubeconfig != NULL && ksim_write_kubeconfig(sim->conf->kubeconfig, sim->url,
	    sim->tls.ca_pem, client_token(sim->conf), err, errlen) < 0)
		return -1;
	n = snprintf(line, sizeof(line), "%s\n", sim->url);
	if (sim->conf->url_file != NULL &&
	    ksim_write_file(sim->conf->url_file, line, (size_t)n, err, errlen) < 0)
		return -1;
	return 0;
}

/* Listen and build the URL.  The socket fd, or -1 with ERR. */
static int
open_listener(struct ksim_sim *sim, char *err, size_t errlen)
{
	char host[256];
	int port, fd;

	if (net_parse_hostport(sim->conf->listen, host, sizeof(host), &port, err, errlen) < 0)
		return -1;
	if ((fd = net_listen(sim->conf->listen, 1024, err, errlen)) < 0)
		return -1;
	port = net_local_port(fd);
	snprintf(sim->host_port, sizeof(sim->host_port), strchr(host, ':') != NULL ? "[%s]:%d" : "%s:%d",
	    host, port);
	snprintf(sim->url, sizeof(sim->url), "%s://%s", sim->conf->tls ? "https" : "http", sim->host_port);
	return fd;
}

static int
setup(struct ksim_sim *sim, char *err, size_t errlen)
{
	struct ksim_http_hooks hooks = { ksim_router_handle, ksim_router_done, sim };
	struct timeval period = { sim->conf->compact_s, 0 };
	int fd;

	sim->started_ms = clk_mono_ms();
	if ((fd = open_listener(sim, err, errlen)) < 0)
		return -1;
	if (sim->conf->tls && ksim_tls_generate(sim->conf->tls_host, &sim->tls, err, errlen) < 0)
		goto fail;
	sim->store = ksim_store_new(sim->conf->history, 1);
	sim->hub = ksim_hub_new(sim);
	sim->op = ksim_operator_new(sim);
	sim->faults = ksim_faults_new();
	sim->gc = ksim_gc_new(sim);
	sim->compact_ev = event_new(sim->base, -1, EV_PERSIST, on_compact, sim);
	if (sim->store == NULL || sim->hub == NULL || sim->op == NULL || sim->faults == NULL || sim->gc == NULL ||
	    sim->compact_ev == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	ksim_store_set_hook(sim->store, on_store_event, sim);
	ksim_store_set_window(sim->store, (int64_t)sim->conf->history_s * 1000,
	    (size_t)sim->conf->history_min);
	if (create_namespaces(sim) < 0) {
		snprintf(err, errlen, "namespaces: invalid name");
		goto fail;
	}
	/* The watch cache starts after the start-up writes, as the apiserver's does. */
	ksim_store_ring_restart(sim->store);
	event_add(sim->compact_ev, &period);
	if ((sim->http = ksim_http_new(sim->base, fd, sim->tls.ctx, &hooks, err, errlen)) == NULL)
		return -1;
	return write_client_files(sim, err, errlen);
fail:
	close(fd);
	return -1;
}

static void
teardown(struct ksim_sim *sim)
{
	ksim_http_free(sim->http);
	ksim_hub_free(sim->hub);
	ksim_operator_free(sim->op);
	ksim_gc_free(sim->gc);
	ksim_store_free(sim->store);
	ksim_faults_free(sim->faults);
	if (sim->compact_ev != NULL)
		event_free(sim->compact_ev);
	ksim_tls_free(&sim->tls);
}

int
main(int argc, char **argv)
{
	struct ksim_sim sim;
	struct event *sigint, *sigterm;
	enum log_level level;
	char err[1024];
	int exit_now;

	memset(&sim, 0, sizeof(sim));
	log_set_role("kubesim");
	signal(SIGPIPE, SIG_IGN);
	sim.conf = ksim_conf_load(argc, argv, &exit_now, err, sizeof(err));
	if (sim.conf == NULL) {
		if (exit_now)
			return 0;
		fprintf(stderr, "dbaasd-kubesim: %s\n", err);
		return 2;
	}
	if (log_level_parse(sim.conf->log_level, &level) < 0) {
		fprintf(stderr, "dbaasd-kubesim: log_level: must be debug, info, warn or error\n");
		ksim_conf_free(sim.conf);
		return 2;
	}
	log_set_level(level);
	if ((sim.base = event_base_new()) == NULL)
		fatalx("event_base_new", "msg=%s", "cannot create the event loop");
	if (setup(&sim, err, sizeof(err)) < 0) {
		fprintf(stderr, "dbaasd-kubesim: %s\n", err);
		teardown(&sim);
		event_base_free(sim.base);
		ksim_conf_free(sim.conf);
		return 1;
	}
	sigint = evsignal_new(sim.base, SIGINT, on_signal, &sim);
	sigterm = evsignal_new(sim.base, SIGTERM, on_signal, &sim);
	evsignal_add(sigint, NULL);
	evsignal_add(sigterm, NULL);
	log_info("listening", "url=%s tls=%d auth=%d", sim.url, sim.conf->tls, sim.conf->ntokens > 0);
	printf("listening url=%s\n", sim.url);
	fflush(stdout);
	event_base_dispatch(sim.base);
	event_free(sigint);
	event_free(sigterm);
	teardown(&sim);
	event_base_free(sim.base);
	ksim_conf_free(sim.conf);
	return 0;
}
