/*
 * mongo_ceiling — the MongoDB work behind the API's benchmarked requests,
 * issued directly with libmongoc in a tight loop (no HTTP, no JSON), so the
 * API's own cost shows as the ratio between the two.
 *
 *   mongo_ceiling URI DATABASE DB_ID TENANT SECONDS CLIENTS
 *
 * For each of get (find by _id), list (find by tenant, newest 51 by _id)
 * and patch (find by _id, findAndModify on _id + generation, insert an
 * event: what PATCH does) it runs CLIENTS processes for SECONDS and prints
 * one line "name ops_per_s".  Clients are processes, each with its own
 * client, as the API's processes are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mongoc/mongoc.h>

#include "common/clock.h"
#include "common/id.h"

struct ctx {
	mongoc_collection_t *dbs, *events;
	const char *id, *tenant;
	int64_t gen;
};

static int
find_one(struct ctx *c, const bson_t *filter, const bson_t *opts)
{
	mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c->dbs, filter, opts, NULL);
	const bson_t *doc;
	bson_iter_t it;
	int n = 0;

	while (mongoc_cursor_next(cur, &doc)) {
		if (n == 0 && bson_iter_init_find(&it, doc, "generation"))
			c->gen = bson_iter_as_int64(&it);
		n++;
	}
	mongoc_cursor_destroy(cur);
	return n;
}

static void
op_get(struct ctx *c)
{
	bson_t *f = BCON_NEW("_id", BCON_UTF8(c->id));
	bson_t *o = BCON_NEW("limit", BCON_INT64(1), "maxTimeMS", BCON_INT64(3000));

	find_one(c, f, o);
	bson_destroy(f);
	bson_destroy(o);
}

static void
op_list(struct ctx *c)
{
	bson_t *f = BCON_NEW("tenant", BCON_UTF8(c->tenant));
	bson_t *o = BCON_NEW("sort", "{", "_id", BCON_INT32(-1), "}", "limit", BCON_INT64(51),
	    "maxTimeMS", BCON_INT64(3000));

	find_one(c, f, o);
	bson_destroy(f);
	bson_destroy(o);
}

static void
op_patch(struct ctx *c)
{
	static int flip;
	bson_t *f, *u, reply, *ev;
	char evid[ID_MAX];

	op_get(c);
	f = BCON_NEW("_id", BCON_UTF8(c->id), "generation", BCON_INT64(c->gen));
	u = BCON_NEW("$set", "{", "size", BCON_UTF8((flip ^= 1) ? "db.t3.large" : "db.t3.medium"),
	    "updated_at", BCON_DATE_TIME(clk_wall_ms()), "}", "$inc", "{", "generation",
	    BCON_INT64(1), "}");
	mongoc_collection_find_and_modify(c->dbs, f, NULL, u, NULL, false, false, true, &reply, NULL);
	bson_destroy(&reply);
	id_new("ev-", evid, sizeof(evid));
	ev = BCON_NEW("_id", BCON_UTF8(evid), "database_id", BCON_UTF8(c->id), "action",
	    BCON_UTF8("update"), "at", BCON_DATE_TIME(clk_wall_ms()));
	mongoc_collection_insert_one(c->events, ev, NULL, NULL, NULL);
	bson_destroy(ev);
	bson_destroy(f);
	bson_destroy(u);
}

/* One client process: run OP for SECONDS, write the count to FD. */
static void
client(const char *uri, const char *dbname, struct ctx *c, void (*op)(struct ctx *), int secs,
    int fd)
{
	mongoc_client_t *cl;
	int64_t end, n = 0;

	mongoc_init();
	cl = mongoc_client_new(uri);
	c->dbs = mongoc_client_get_collection(cl, dbname, "databases");
	c->events = mongoc_client_get_collection(cl, dbname, "events");
	op_get(c);
	end = clk_mono_ms() + (int64_t)secs * 1000;
	while (clk_mono_ms() < end) {
		op(c);
		n++;
	}
	(void)!write(fd, &n, sizeof(n));
	mongoc_collection_destroy(c->dbs);
	mongoc_collection_destroy(c->events);
	mongoc_client_destroy(cl);
	mongoc_cleanup();
	_exit(0);
}

static double
measure(char **argv, void (*op)(struct ctx *), int secs, int clients)
{
	struct ctx c = { NULL, NULL, argv[3], argv[4], 0 };
	int p[2];
	int64_t total = 0, n;

	if (pipe(p) != 0)
		return -1;
	for (int i = 0; i < clients; i++)
		if (fork() == 0)
			client(argv[1], argv[2], &c, op, secs, p[1]);
	close(p[1]);
	while (read(p[0], &n, sizeof(n)) == (ssize_t)sizeof(n))
		total += n;
	close(p[0]);
	while (wait(NULL) > 0)
		;
	return (double)total / secs;
}

int
main(int argc, char **argv)
{
	static const struct { const char *name; void (*op)(struct ctx *); } ops[] = {
		{ "get", op_get }, { "list", op_list }, { "patch", op_patch },
	};
	int secs, clients;

	if (argc != 7) {
		fprintf(stderr, "usage: mongo_ceiling URI DATABASE DB_ID TENANT SECONDS CLIENTS\n");
		return 2;
	}
	secs = atoi(argv[5]);
	clients = atoi(argv[6]);
	if (secs < 1 || clients < 1)
		return 2;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		printf("%s %.0f\n", ops[i].name, measure(argv, ops[i].op, secs, clients));
		fflush(stdout);
	}
	return 0;
}
