/*
 * pool — the handler threads of one API process.
 *
 * libmongoc and hiredis only block, so an API process that ran its handlers
 * on the event loop answered one request at a time: one slow MongoDB call
 * stalled every request of the process, /health included, and a process
 * never had more than one find in flight.  Here the loop keeps all of
 * libevent (accepting, parsing, sending) and hands each request to a fixed
 * set of api.threads threads as a self-contained job (http.c).  Each thread
 * opens its own MongoDB client and Redis connection after fork(), as
 * libmongoc requires of a non-pooled client, and never shares them.
 *
 * Jobs wait in one bounded FIFO (mutex + condition variable).  When
 * API_QUEUE_PER_THREAD jobs per thread are already waiting, submitting
 * fails and the loop answers 503 at once: backpressure instead of a queue
 * that grows with the overload.
 *
 * A finished job goes on a completion list, and the thread wakes the loop
 * through an eventfd watched by a libevent read event; the loop runs each
 * job's DONE (for a request: send the reply).  Threads never call libevent
 * on shared objects, so libevent needs no locking (no evthread_use_pthreads).
 * The eventfd is written only when the list goes from empty to non-empty,
 * and the loop reads it before taking the list, so no wake-up is lost.
 *
 * Stopping lets each thread finish the job it is running (MongoDB and
 * Redis timeouts bound it), joins them, and drops what was still queued or
 * not yet handed back: the API only stops after its drain, when nothing is
 * left unless the drain timed out.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>

#include "api/api_int.h"
#include "common/log.h"

struct api_thread {
	struct api_pool *pool;
	pthread_t tid;
	int started;			/* pthread_create succeeded: join it */
	struct api_clients clients;
};

struct api_pool {
	struct api *api;
	pthread_mutex_t mu;
	pthread_cond_t work;		/* a job was queued, or stopping */
	pthread_cond_t opened;		/* a thread finished opening its clients */
	struct api_job *head, *tail;	/* waiting for a thread */
	size_t queued, qmax;
	struct api_job *done_head, *done_tail;	/* finished, for the loop */
	int stopping;
	int nopened, nfailed;
	int efd;			/* eventfd: completions are waiting */
	struct event *ev_done;
	size_t inflight;		/* loop thread only */
	int nthreads;
	struct api_thread *threads;
};

static void
push(struct api_job **head, struct api_job **tail, struct api_job *j)
{
	j->next = NULL;
	if (*tail != NULL)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

/* Open T's clients; records the outcome for api_pool_start(). */
static int
open_clients(struct api_thread *t)
{
	struct api_pool *p = t->pool;
	struct rds_params rp;
	int ok = api_store_open(&t->clients.mdb, p->api->cfg) == 0;

	pthread_mutex_lock(&p->mu);
	if (ok)
		p->nopened++;
	else
		p->nfailed++;
	pthread_cond_signal(&p->opened);
	pthread_mutex_unlock(&p->mu);
	if (!ok)
		return -1;
	/* After reporting: a Redis that does not answer must not hold up the start. */
	rds_params_from_cfg(&rp, p->api->cfg);
	rds_open(&t->clients.redis, &rp);
	return 0;
}

/* The next job, or NULL once stopping; called and returns with P->mu held. */
static struct api_job *
take(struct api_pool *p)
{
	struct api_job *j;

	while (!p->stopping && p->head == NULL)
		pthread_cond_wait(&p->work, &p->mu);
	if (p->stopping)
		return NULL;
	j = p->head;
	p->head = j->next;
	if (p->head == NULL)
		p->tail = NULL;
	p->queued--;
	return j;
}

/* Hand J back to the loop. */
static void
complete(struct api_pool *p, struct api_job *j)
{
	uint64_t one = 1;
	int wake;

	pthread_mutex_lock(&p->mu);
	wake = p->done_head == NULL;
	push(&p->done_head, &p->done_tail, j);
	pthread_mutex_unlock(&p->mu);
	if (wake && write(p->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("pool_wake_failed", "fd=%d", p->efd);
}

static void *
thread_main(void *arg)
{
	struct api_thread *t = arg;
	struct api_pool *p = t->pool;
	struct api_job *j;

	if (open_clients(t) != 0)
		return NULL;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		j = take(p);
		pthread_mutex_unlock(&p->mu);
		if (j == NULL)
			break;
		j->run(j, &t->clients);
		complete(p, j);
	}
	rds_close(&t->clients.redis);
	mdb_close(&t->clients.mdb);
	return NULL;
}

/* Loop thread: run DONE of every finished job. */
static void
on_done(evutil_socket_t fd, short what, void *arg)
{
	struct api_pool *p = arg;
	struct api_job *j, *next;
	uint64_t n;

	(void)what;
	/* Read first: a thread that finds the list empty after this wakes us again. */
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("pool_wake_read_failed", "fd=%d", (int)fd);
	pthread_mutex_lock(&p->mu);
	j = p->done_head;
	p->done_head = p->done_tail = NULL;
	pthread_mutex_unlock(&p->mu);
	for (; j != NULL; j = next) {
		next = j->next;
		p->inflight--;
		j->done(j);
	}
}

int
api_pool_submit(struct api_pool *p, struct api_job *j)
{
	pthread_mutex_lock(&p->mu);
	if (p->stopping || p->queued >= p->qmax) {
		pthread_mutex_unlock(&p->mu);
		return -1;
	}
	push(&p->head, &p->tail, j);
	p->queued++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	p->inflight++;
	return 0;
}

size_t
api_pool_inflight(const struct api_pool *p)
{
	return p->inflight;
}

/* Start the threads with every signal blocked: signals belong to the loop. */
static int
spawn_threads(struct api_pool *p)
{
	sigset_t all, old;
	int rc = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int i = 0; i < p->nthreads && rc == 0; i++) {
		p->threads[i].pool = p;
		rc = pthread_create(&p->threads[i].tid, NULL, thread_main, &p->threads[i]);
		if (rc == 0) {
			p->threads[i].started = 1;
		} else {
			errno = rc;	/* log_warn's strerror_r: threads 0..i-1 already run */
			log_warn("pthread_create_failed", "thread=%d", i);
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc == 0 ? 0 : -1;
}

/* Wait until every started thread has opened its clients; 0 if all did. */
static int
wait_opened(struct api_pool *p)
{
	int started = 0, ok;

	for (int i = 0; i < p->nthreads; i++)
		started += p->threads[i].started;
	pthread_mutex_lock(&p->mu);
	while (p->nopened + p->nfailed < started)
		pthread_cond_wait(&p->opened, &p->mu);
	ok = p->nfailed == 0 && started == p->nthreads;
	pthread_mutex_unlock(&p->mu);
	return ok ? 0 : -1;
}

static struct api_pool *
pool_new(struct api *a)
{
	struct api_pool *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->api = a;
	p->nthreads = a->cfg->api.threads;
	p->qmax = (size_t)p->nthreads * API_QUEUE_PER_THREAD;
	p->efd = -1;
	p->threads = calloc((size_t)p->nthreads, sizeof(*p->threads));
	if (p->threads == NULL) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->opened, NULL);
	return p;
}

int
api_pool_start(struct api *a)
{
	struct api_pool *p = pool_new(a);

	if (p == NULL)
		return -1;
	a->pool = p;
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->efd < 0) {
		log_warn("eventfd_failed", "threads=%d", p->nthreads);
		goto fail;
	}
	p->ev_done = event_new(a->role->base, p->efd, EV_READ | EV_PERSIST, on_done, p);
	if (p->ev_done == NULL || event_add(p->ev_done, NULL) != 0)
		goto fail;
	if (spawn_threads(p) != 0 || wait_opened(p) != 0)
		goto fail;
	log_info("handler_threads_started", "threads=%d queue=%zu", p->nthreads, p->qmax);
	return 0;
fail:
	log_warnx("handler_threads_failed", "threads=%d", p->nthreads);
	api_pool_stop(p);
	a->pool = NULL;
	return -1;
}

/* Drop every job of the list at HEAD. */
static void
drop_all(struct api_pool *p, struct api_job *j)
{
	struct api_job *next;

	for (; j != NULL; j = next) {
		next = j->next;
		p->inflight--;
		j->drop(j);
	}
}

void
api_pool_stop(struct api_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		if (p->threads[i].started)
			pthread_join(p->threads[i].tid, NULL);
	if (p->inflight > 0)
		log_warnx("handler_jobs_dropped", "jobs=%zu", p->inflight);
	drop_all(p, p->head);
	drop_all(p, p->done_head);
	if (p->ev_done != NULL)
		event_free(p->ev_done);
	if (p->efd >= 0)
		close(p->efd);
	pthread_cond_destroy(&p->opened);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->mu);
	free(p->threads);
	free(p);
}
