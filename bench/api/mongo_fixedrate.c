/*
 * mongo_fixedrate — the floor under the API's fixed-rate latency: the same
 * find by _id that GET /api/v1/databases/{id} makes, issued straight from
 * libmongoc on a fixed schedule (RATE per second in total) by CLIENTS
 * threads, each with its own client, as the API's handler threads have.
 * Latency counts from the moment a find was due, as in fixedrate.c, so a
 * client stuck behind a slow find shows it.
 *
 *   mongo_fixedrate URI DATABASE DB_ID RATE SECONDS CLIENTS
 *
 * Prints "sent N errors N p50_ms X p99_ms X p999_ms X max_ms X".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mongoc/mongoc.h>

#include "common/clock.h"

struct client {
	pthread_t tid;
	const char *uri, *db, *id;
	int64_t start_us, end_us, step_us, offset_us;
	double *lat;
	long n, cap, errors;
};

static void
sleep_until_us(int64_t t)
{
	struct timespec ts = { (time_t)(t / 1000000), (long)(t % 1000000) * 1000 };

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static int
find_one(mongoc_collection_t *coll, const char *id)
{
	bson_t *f = BCON_NEW("_id", BCON_UTF8(id));
	bson_t *o = BCON_NEW("limit", BCON_INT64(1), "maxTimeMS", BCON_INT64(3000));
	mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, f, o, NULL);
	const bson_t *doc;
	int n = 0;

	while (mongoc_cursor_next(cur, &doc))
		n++;
	n = mongoc_cursor_error(cur, NULL) ? -1 : n;
	mongoc_cursor_destroy(cur);
	bson_destroy(f);
	bson_destroy(o);
	return n;
}

static void *
run(void *arg)
{
	struct client *c = arg;
	mongoc_client_t *cl = mongoc_client_new(c->uri);
	mongoc_collection_t *coll = mongoc_client_get_collection(cl, c->db, "databases");

	find_one(coll, c->id);	/* connect before the clock starts */
	for (int64_t due = c->start_us + c->offset_us; due < c->end_us; due += c->step_us) {
		sleep_until_us(due);
		if (find_one(coll, c->id) != 1)
			c->errors++;
		if (c->n < c->cap)
			c->lat[c->n++] = (double)(clk_mono_us() - due) / 1000.0;
	}
	mongoc_collection_destroy(coll);
	mongoc_client_destroy(cl);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct client *c;
	double *all, rate;
	long total = 0, errors = 0;
	int secs, n;

	if (argc != 7) {
		fprintf(stderr, "usage: mongo_fixedrate URI DATABASE DB_ID RATE SECONDS CLIENTS\n");
		return 2;
	}
	rate = atof(argv[4]);
	secs = atoi(argv[5]);
	n = atoi(argv[6]);
	if (rate <= 0 || secs <= 0 || n <= 0)
		return 2;
	mongoc_init();
	c = calloc((size_t)n, sizeof(*c));
	for (int i = 0; i < n; i++) {
		c[i].uri = argv[1];
		c[i].db = argv[2];
		c[i].id = argv[3];
		c[i].start_us = clk_mono_us() + 500000;
		c[i].end_us = c[i].start_us + (int64_t)secs * 1000000;
		c[i].step_us = (int64_t)(1e6 * n / rate);
		c[i].offset_us = (int64_t)(1e6 * i / rate);
		c[i].cap = (long)(rate * secs / n) + 16;
		c[i].lat = calloc((size_t)c[i].cap, sizeof(double));
		pthread_create(&c[i].tid, NULL, run, &c[i]);
	}
	all = calloc((size_t)(rate * secs) + 16 * (size_t)n, sizeof(double));
	for (int i = 0; i < n; i++) {
		pthread_join(c[i].tid, NULL);
		memcpy(all + total, c[i].lat, (size_t)c[i].n * sizeof(double));
		total += c[i].n;
		errors += c[i].errors;
		free(c[i].lat);
	}
	if (total > 0)
		qsort(all, (size_t)total, sizeof(double), cmp_double);
#define PCT(p) (total > 0 ? all[(long)((double)(total - 1) * (p))] : 0.0)
	printf("sent %ld errors %ld p50_ms %.3f p99_ms %.3f p999_ms %.3f max_ms %.3f\n", total,
	    errors, PCT(0.5), PCT(0.99), PCT(0.999), PCT(1.0));
	free(all);
	free(c);
	mongoc_cleanup();
	return 0;
}
