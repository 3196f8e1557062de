/*
 * common_probe — drives src/common's MongoDB and Redis helpers against real
 * servers for the integration tests.  Each mode prints JSON lines the test
 * parses; the exit status is 0 when the mode's work succeeded.
 *
 *   common_probe mongo CONFIG          indexes, insert, find, delete
 *   common_probe mongo-ping CONFIG     one ping; prints how long it took
 *   common_probe redis CONFIG          sync SET/GET/DEL under the key prefix
 *   common_probe redis-sync CONFIG S   an INCR every 50 ms for S seconds
 *   common_probe redis-async CONFIG S  an async PING every 50 ms for S seconds
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/id.h"
#include "common/log.h"
#include "common/mdb.h"
#include "common/rds.h"

static struct cfg *
load(const char *path)
{
	char err[4096];
	struct cfg *c = cfg_load(path, err, sizeof(err));

	if (c == NULL) {
		fprintf(stderr, "%s\n", err);
		exit(2);
	}
	return c;
}

static int
mode_mongo(const struct cfg *c)
{
	struct mdb m;
	char err[512], id[ID_MAX];
	bson_error_t berr;
	bson_t *doc, *q, *opts;
	const bson_t *found;
	mongoc_cursor_t *cur;
	int n = 0;

	if (mdb_open(&m, c, "dbaasd-probe", MDB_WAIT, err, sizeof(err)) != 0 ||
	    mdb_ensure_indexes(&m, err, sizeof(err)) != 0 ||
	    mdb_ensure_indexes(&m, err, sizeof(err)) != 0) {
		printf("{\"ok\": false, \"error\": \"%s\"}\n", err);
		return 1;
	}
	id_new("ev-", id, sizeof(id));
	doc = BCON_NEW("_id", BCON_UTF8(id), "database_id", BCON_UTF8("db-probe"),
	    "msg", BCON_UTF8("probe"));
	opts = mdb_opts(&m);
	if (!mongoc_collection_insert_one(m.coll[MDB_EVENTS], doc, NULL, NULL, &berr)) {
		printf("{\"ok\": false, \"error\": \"insert: %s\"}\n", berr.message);
		return 1;
	}
	q = BCON_NEW("_id", BCON_UTF8(id));
	cur = mongoc_collection_find_with_opts(m.coll[MDB_EVENTS], q, opts, NULL);
	while (mongoc_cursor_next(cur, &found))
		n++;
	mongoc_cursor_destroy(cur);
	printf("{\"ok\": true, \"id\": \"%s\", \"found\": %d}\n", id, n);
	bson_destroy(q);
	bson_destroy(doc);
	bson_destroy(opts);
	mdb_close(&m);
	return n == 1 ? 0 : 1;
}

static int
mode_mongo_ping(const struct cfg *c)
{
	struct mdb m;
	char err[512] = "";
	int64_t t0 = clk_mono_ms();
	int rc = mdb_open(&m, c, "dbaasd-probe", MDB_WAIT, err, sizeof(err));

	if (rc == 0)
		rc = mdb_ping(&m, err, sizeof(err));
	printf("{\"ok\": %s, \"ms\": %lld}\n", rc == 0 ? "true" : "false",
	    (long long)(clk_mono_ms() - t0));
	if (rc == 0)
		mdb_close(&m);
	return rc == 0 ? 0 : 1;
}

static int
mode_redis(const struct cfg *c)
{
	struct rds_params p;
	struct rds r;
	redisReply *rep;
	char key[128];
	int ok;

	rds_params_from_cfg(&p, c);
	rds_open(&r, &p);
	rds_key(&p, key, sizeof(key), "probe:%s", "k");
	rep = rds_command(&r, "SET %s %s", key, "v1");
	freeReplyObject(rep);
	rep = rds_command(&r, "GET %s", key);
	ok = rep != NULL && rep->type == REDIS_REPLY_STRING && strcmp(rep->str, "v1") == 0;
	printf("{\"ok\": %s, \"key\": \"%s\", \"error\": \"%s\"}\n", ok ? "true" : "false",
	    key, r.err);
	freeReplyObject(rep);
	rds_close(&r);
	return ok ? 0 : 1;
}

static int
mode_redis_sync(const struct cfg *c, int seconds)
{
	struct rds_params p;
	struct rds r;
	int64_t end = clk_mono_ms() + seconds * 1000LL;
	int last = -1;

	rds_params_from_cfg(&p, c);
	rds_open(&r, &p);
	while (clk_mono_ms() < end) {
		redisReply *rep = rds_command(&r, "INCR %s", "probe:sync");
		int ok = rep != NULL && rep->type == REDIS_REPLY_INTEGER;
		if (ok != last) {
			printf("{\"t\": %lld, \"ok\": %s}\n", (long long)clk_mono_ms(),
			    ok ? "true" : "false");
			fflush(stdout);
			last = ok;
		}
		freeReplyObject(rep);
		struct timespec ts = { 0, 50 * 1000000 };
		nanosleep(&ts, NULL);
	}
	rds_close(&r);
	return 0;
}

struct async_state {
	struct rds_async ra;
	struct event_base *base;
	int64_t end;
};

static void
on_state(struct rds_async *ra, int connected, void *arg)
{
	(void)ra;
	(void)arg;
	printf("{\"t\": %lld, \"connected\": %s}\n", (long long)clk_mono_ms(),
	    connected ? "true" : "false");
	fflush(stdout);
}

static void
on_pong(struct rds_async *ra, redisReply *reply, void *arg)
{
	(void)ra;
	(void)arg;
	if (reply == NULL) {
		printf("{\"t\": %lld, \"pong\": false}\n", (long long)clk_mono_ms());
		fflush(stdout);
	}
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	struct async_state *st = arg;

	(void)fd;
	(void)what;
	if (clk_mono_ms() >= st->end) {
		event_base_loopbreak(st->base);
		return;
	}
	rds_async_command(&st->ra, 0, on_pong, NULL, "PING");
}

static int
mode_redis_async(const struct cfg *c, int seconds)
{
	struct async_state st;
	struct rds_params p;
	struct timeval tv = { 0, 50000 };
	struct event *ev;

	memset(&st, 0, sizeof(st));
	st.base = event_base_new();
	st.end = clk_mono_ms() + seconds * 1000LL;
	rds_params_from_cfg(&p, c);
	rds_async_start(&st.ra, st.base, &p, on_state, NULL);
	ev = event_new(st.base, -1, EV_PERSIST, tick, &st);
	event_add(ev, &tv);
	event_base_dispatch(st.base);
	rds_async_stop(&st.ra);
	event_free(ev);
	event_base_free(st.base);
	return 0;
}

int
main(int argc, char **argv)
{
	struct cfg *c;
	int rc;

	if (argc < 3) {
		fprintf(stderr, "usage: common_probe MODE CONFIG [SECONDS]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_set_role("probe");
	mdb_global_init();
	c = load(argv[2]);
	if (strcmp(argv[1], "mongo") == 0)
		rc = mode_mongo(c);
	else if (strcmp(argv[1], "mongo-ping") == 0)
		rc = mode_mongo_ping(c);
	else if (strcmp(argv[1], "redis") == 0)
		rc = mode_redis(c);
	else if (strcmp(argv[1], "redis-sync") == 0 && argc > 3)
		rc = mode_redis_sync(c, atoi(argv[3]));
	else if (strcmp(argv[1], "redis-async") == 0 && argc > 3)
		rc = mode_redis_async(c, atoi(argv[3]));
	else
		rc = 2;
	cfg_free(c);
	mdb_global_cleanup();
	return rc;
}
