/*
 * role — runtime shared by all role processes (see role.h).
 *
 * Everything happens on one libevent loop: signals arrive as libevent signal
 * events, the supervisor socket is a read event, heartbeats are a timer.
 * The supervisor protocol is text datagrams on a SOCK_SEQPACKET pair:
 *   role -> supervisor: "READY", "HB"
 *   supervisor -> role: "LOG <level> <file>" (after a reload)
 * End of file on the socket means the supervisor died: stop gracefully.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/heartbeat.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/role.h"

static void
role_send(struct role *r, const char *msg)
{
	if (r->sup_fd < 0)
		return;
	if (send(r->sup_fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
	    errno != EAGAIN && errno != EWOULDBLOCK) {
		log_warn("supervisor_send_failed", "msg=%s", msg);
		role_stop(r);
	}
}

/* The field under which this process heartbeats: "<role>:<host>:<pid>". */
static void
role_hb_field(const struct role *r, char *out, size_t n)
{
	snprintf(out, n, "%s:%s:%ld", r->name, r->host, (long)getpid());
}

static void
hb_redis_done(struct rds_async *ra, redisReply *reply, void *arg)
{
	(void)ra;
	(void)arg;
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
		log_warnx("heartbeat_write_failed", "reply=%s", reply->str);
}

static void
role_heartbeat_redis(struct role *r)
{
	char key[160], field[320];
	cJSON *hb = cJSON_CreateObject();
	char *json;

	cJSON_AddStringToObject(hb, "role", r->name);
	cJSON_AddNumberToObject(hb, "instance", r->instance);
	cJSON_AddNumberToObject(hb, "pid", (double)getpid());
	cJSON_AddStringToObject(hb, "host", r->host);
	cJSON_AddNumberToObject(hb, "generation", r->generation);
	cJSON_AddNumberToObject(hb, "started_ms", (double)r->started_ms);
	cJSON_AddNumberToObject(hb, "at_ms", (double)clk_wall_ms());
	cJSON_AddBoolToObject(hb, "stopping", r->stopping);
	if (r->on_heartbeat != NULL)
		r->on_heartbeat(r, hb);
	json = cJSON_PrintUnformatted(hb);
	cJSON_Delete(hb);
	if (json == NULL)
		return;
	hb_key(&r->redis.p, key, sizeof(key));
	role_hb_field(r, field, sizeof(field));
	rds_async_command(&r->redis, 0, hb_redis_done, NULL, "HSET %s %s %s", key, field, json);
	free(json);
}

/*
 * A fresh connection beats at once: /health should see a new process without
 * a delay.  It may reach a Redis that lost metrics:meta (restarted without
 * persistence), so the metric metadata goes again too.
 */
static void
on_redis_state(struct rds_async *ra, int connected, void *arg)
{
	(void)ra;
	if (connected) {
		met_meta_resend();
		role_heartbeat_redis(arg);
	}
}

static void
on_hb_timer(evutil_socket_t fd, short what, void *arg)
{
	struct role *r = arg;

	(void)fd;
	(void)what;
	role_send(r, "HB");
	role_heartbeat_redis(r);
	met_flush(&r->redis);	/* metric increments ride on the heartbeat (metrics.h) */
}

/* "LOG <level> <file>": follow the supervisor's reloaded logging settings. */
static void
apply_log_message(const char *msg)
{
	char level[16] = "", file[4200] = "";
	enum log_level lv;

	if (sscanf(msg, "LOG %15s %4199[^\n]", level, file) < 1)
		return;
	if (log_level_parse(level, &lv) == 0)
		log_set_level(lv);
	if (log_open(strcmp(file, "-") == 0 ? NULL : file) != 0)
		log_warn("log_reopen_failed", "file=%s", file);
}

static void
on_sup_readable(evutil_socket_t fd, short what, void *arg)
{
	struct role *r = arg;
	char msg[4400];
	ssize_t n;

	(void)what;
	n = recv(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (!r->stopping)
			log_warnx("supervisor_gone", "action=%s", "stopping");
		event_del(r->ev_sup);
		role_stop(r);
		return;
	}
	msg[n] = '\0';
	if (strncmp(msg, "LOG ", 4) == 0)
		apply_log_message(msg);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct role *r = arg;

	(void)what;
	if (sig == SIGHUP)
		return;	/* reloads are the supervisor's business */
	log_info("signal", "sig=%d action=%s", (int)sig, r->stopping ? "already_stopping" : "stop");
	role_stop(r);
}

void
role_stop(struct role *r)
{
	if (r->stopping)
		return;
	r->stopping = 1;
	if (r->on_stop != NULL)
		r->on_stop(r);
	else
		role_exit_loop(r, ROLE_EXIT_OK);
}

void
role_exit_loop(struct role *r, int code)
{
	r->exit_code = code;
	event_base_loopexit(r->base, NULL);
}

static int
add_signal(struct role *r, struct event **ev, int sig)
{
	*ev = evsignal_new(r->base, sig, on_signal, r);
	return *ev != NULL && evsignal_add(*ev, NULL) == 0 ? 0 : -1;
}

int
role_init(struct role *r, const char *name, int instance, unsigned generation,
    const struct cfg *cfg, int sup_fd, int listen_fd)
{
	struct rds_params p;
	struct timeval hb = { cfg->supervisor.heartbeat_interval_ms / 1000,
		(cfg->supervisor.heartbeat_interval_ms % 1000) * 1000 };

	memset(r, 0, sizeof(*r));
	r->name = name;
	r->instance = instance;
	r->generation = generation;
	r->cfg = cfg;
	r->sup_fd = sup_fd;
	r->listen_fd = listen_fd;
	r->started_ms = clk_wall_ms();
	if (gethostname(r->host, sizeof(r->host)) != 0)
		snprintf(r->host, sizeof(r->host), "unknown");
	signal(SIGPIPE, SIG_IGN);
	r->base = event_base_new();
	if (r->base == NULL)
		goto fail;
	if (add_signal(r, &r->ev_term, SIGTERM) != 0 || add_signal(r, &r->ev_int, SIGINT) != 0 ||
	    add_signal(r, &r->ev_hup, SIGHUP) != 0)
		goto fail;
	if (sup_fd >= 0) {
		r->ev_sup = event_new(r->base, sup_fd, EV_READ | EV_PERSIST, on_sup_readable, r);
		if (r->ev_sup == NULL || event_add(r->ev_sup, NULL) != 0)
			goto fail;
	}
	r->ev_hb = event_new(r->base, -1, EV_PERSIST, on_hb_timer, r);
	if (r->ev_hb == NULL || event_add(r->ev_hb, &hb) != 0)
		goto fail;
	rds_params_from_cfg(&p, cfg);
	if (rds_async_start(&r->redis, r->base, &p, on_redis_state, r) != 0)
		goto fail;
	log_info("role_started", "role=%s instance=%d generation=%u", name, instance, generation);
	return 0;
fail:
	log_warnx("role_init_failed", "role=%s", name);
	role_cleanup(r);
	return -1;
}

void
role_ready(struct role *r)
{
	role_send(r, "READY");
	on_hb_timer(-1, 0, r);
}

int
role_dispatch(struct role *r)
{
	event_base_dispatch(r->base);
	return r->exit_code;
}

/* Remove our heartbeat so /health stops counting us at once (best effort, short). */
static void
hb_remove(struct role *r)
{
	struct rds rs;
	redisReply *rep;
	char key[160], field[320];

	rds_open(&rs, &r->redis.p);
	hb_key(&r->redis.p, key, sizeof(key));
	role_hb_field(r, field, sizeof(field));
	rep = rds_command(&rs, "HDEL %s %s", key, field);
	freeReplyObject(rep);
	rds_close(&rs);
}

void
role_quiesce(struct role *r)
{
	if (r->redis.timer != NULL)
		rds_async_stop(&r->redis);
}

void
role_cleanup(struct role *r)
{
	struct event **evs[] = { &r->ev_sup, &r->ev_hb, &r->ev_term, &r->ev_int, &r->ev_hup };

	if (r->base == NULL)
		return;
	role_quiesce(r);
	if (r->redis.p.host[0] != '\0')
		hb_remove(r);
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
		if (*evs[i] != NULL)
			event_free(*evs[i]);
		*evs[i] = NULL;
	}
	event_base_free(r->base);
	r->base = NULL;
}
