/*
 * auditlog.c - group commit of audit records by a committer thread.
 *
 * Callers append their record to a queue and return (auditlog_submit) or wait (auditlog_commit). One thread takes
 * everything queued, writes it in one transaction, and reports each record's result to its callback; records that
 * arrive while it writes make up the next batch. A failed transaction fails exactly the records it held. The queue
 * holds at most AUDITLOG_QUEUE_MAX records: a caller that finds it full waits for the committer to take it (the
 * audit never drops a record to keep up; /metrics counts the waits).
 */
#include "server/auditlog.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/common.h"
#include "server/metrics.h"
#include "util/log.h"
#include "util/timeutil.h"

struct pending {
	struct pending *next;
	auditlog_done_fn done; /* called once with the record's result, from the committer thread; NULL: nobody waits */
	void *arg;
	int64_t time_ms;
	char *fields[14]; /* request_id, account_id, principal_arn, access_key_id, action, resource, source_ip, outcome,
	                   * detail, user_agent, region, response, explanation, enforcement: owned copies */
};

struct auditlog {
	struct db *db;
	pthread_mutex_t mu;
	pthread_cond_t work;           /* signalled when a record is queued or the committer should stop */
	pthread_cond_t room;           /* broadcast when the committer takes the queue: it has room again */
	struct pending *head, **tail;  /* waiting to be written */
	size_t queued;                 /* records in head; at most AUDITLOG_QUEUE_MAX */
	bool stop;
	pthread_t thread;
	/* requests that may hand in a record: begun, and handed over or ended (auditlog_call_begin / _end) */
	_Atomic uint64_t calls_begun, calls_ended;
	_Atomic uint64_t linger_for; /* while the committer lingers: the calls_ended it waits for; else 0 */
	long linger_us;              /* the longest wait (auditlog_new) */
	_Atomic uint64_t batches;    /* written or failed (auditlog_batches) */
};

static void pending_free(struct pending *p)
{
	for (size_t i = 0; i < ARRAY_LEN(p->fields); i++)
		free(p->fields[i]);
	free(p);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Writes a batch in one transaction: its records AUDIT_ROWS_PER_INSERT to a statement. */
static int write_batch(struct auditlog *q, struct pending *batch)
{
	struct store_audit rows[AUDIT_ROWS_PER_INSERT];
	struct db_tx *tx;
	size_t n = 0;

	if (db_begin_append(q->db, &tx) != C_OK) /* what it writes is read fresh (cloudtrail/lookup.c) */
		return C_ERR;
	for (struct pending *p = batch; p; p = p->next) {
		rows[n++] = (struct store_audit){
			.time_ms = p->time_ms,
			.request_id = p->fields[0],
			.account_id = p->fields[1],
			.principal_arn = p->fields[2],
			.access_key_id = p->fields[3],
			.action = p->fields[4],
			.resource = p->fields[5],
			.source_ip = p->fields[6],
			.outcome = p->fields[7],
			.detail = p->fields[8],
			.user_agent = p->fields[9],
			.region = p->fields[10],
			.response = p->fields[11],
			.explanation = p->fields[12],
			.enforcement = p->fields[13],
		};
		if ((n == ARRAY_LEN(rows) || !p->next) && store_audit_append_many(tx, rows, n) != C_OK) {
			db_rollback(tx);
			return C_ERR;
		}
		if (n == ARRAY_LEN(rows))
			n = 0;
	}
	return db_commit(tx);
}

/* Waits (q->mu held) for the requests under way now to hand in their records: until calls_ended reaches what
 * calls_begun is now, q->linger_us at most (auditlog.h). */
static void linger(struct auditlog *q)
{
	uint64_t target = atomic_load(&q->calls_begun);
	struct timespec until;

	if (q->linger_us <= 0 || atomic_load(&q->calls_ended) >= target)
		return;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += q->linger_us / 1000000L;
	until.tv_nsec += q->linger_us % 1000000L * 1000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	/* set before calls_ended is read again: an auditlog_call_end that reaches target either sees it, and signals,
	 * or counted before that read, which then ends the wait */
	atomic_store(&q->linger_for, target);
	while (!q->stop && q->queued < AUDITLOG_QUEUE_MAX && atomic_load(&q->calls_ended) < target)
		if (pthread_cond_timedwait(&q->work, &q->mu, &until) == ETIMEDOUT)
			break;
	atomic_store(&q->linger_for, 0);
}

static void *committer(void *arg)
{
	struct auditlog *q = arg;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		struct pending *batch, *next;
		size_t n = 0;
		int rc;
		int64_t t0;

		while (!q->head && !q->stop)
			pthread_cond_wait(&q->work, &q->mu);
		if (!q->head)
			break; /* stopping, and nothing is left */
		linger(q);
		batch = q->head;
		q->head = NULL;
		q->tail = &q->head;
		q->queued = 0;
		pthread_cond_broadcast(&q->room);
		pthread_mutex_unlock(&q->mu);
		t0 = mono_us();
		rc = write_batch(q, batch);
		t0 = mono_us() - t0;
		for (struct pending *p = batch; p; p = next) {
			next = p->next;
			if (p->done)
				p->done(p->arg, rc);
			pending_free(p);
			n++;
		}
		metrics_audit_batch(n, t0, rc == C_OK);
		atomic_fetch_add(&q->batches, 1);
		if (rc != C_OK) /* the waiting calls were answered ServiceFailure; reads' records are lost, and said so */
			log_warnx("audit: a batch of %zu record(s) could not be written (rolegate_audit_failed_records_total)",
			          n);
		pthread_mutex_lock(&q->mu);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

struct auditlog *auditlog_new(struct db *db, long linger_us)
{
	struct auditlog *q = calloc(1, sizeof(*q));
	pthread_condattr_t attr;

	if (!q)
		return NULL;
	q->db = db;
	q->linger_us = linger_us;
	q->tail = &q->head;
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* linger's deadline */
	pthread_cond_init(&q->work, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&q->room, NULL);
	if (pthread_create(&q->thread, NULL, committer, q) != 0) {
		pthread_cond_destroy(&q->room);
		pthread_cond_destroy(&q->work);
		pthread_mutex_destroy(&q->mu);
		free(q);
		return NULL;
	}
	return q;
}

void auditlog_free(struct auditlog *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = true; /* the committer writes what is queued, then ends */
	pthread_cond_signal(&q->work);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	pthread_cond_destroy(&q->room);
	pthread_cond_destroy(&q->work);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

int auditlog_submit(struct auditlog *q, const struct store_audit *a, auditlog_done_fn done, void *arg)
{
	struct pending *p = calloc(1, sizeof(*p));
	const char *src[14] = {a->request_id, a->account_id, a->principal_arn, a->access_key_id, a->action,
	                       a->resource, a->source_ip, a->outcome, a->detail, a->user_agent, a->region, a->response,
	                       a->explanation, a->enforcement};
	bool idle, waited = false;

	if (!q || !p) { /* no committer (a unit test's server): nothing can be queued */
		free(p);
		return C_ERR;
	}
	p->done = done;
	p->arg = arg;
	p->time_ms = a->time_ms;
	for (size_t i = 0; i < ARRAY_LEN(src); i++)
		if (src[i] && !(p->fields[i] = dup_or_null(src[i]))) {
			pending_free(p);
			return C_ERR;
		}
	pthread_mutex_lock(&q->mu);
	/* Full: wait for the committer to take the queue (it does so before each batch) rather than drop a record. */
	while (q->queued >= AUDITLOG_QUEUE_MAX && !q->stop) {
		waited = true;
		pthread_cond_wait(&q->room, &q->mu);
	}
	idle = !q->head; /* a committer with records queued is busy writing and will look again */
	*q->tail = p;
	q->tail = &p->next;
	q->queued++;
	if (idle)
		pthread_cond_signal(&q->work);
	pthread_mutex_unlock(&q->mu);
	if (waited)
		metrics_audit_queue_full();
	return C_OK;
}

void auditlog_call_begin(struct auditlog *q)
{
	if (q)
		atomic_fetch_add(&q->calls_begun, 1);
}

void auditlog_call_end(struct auditlog *q)
{
	uint64_t ended, waiting;

	if (!q)
		return;
	ended = atomic_fetch_add(&q->calls_ended, 1) + 1;
	waiting = atomic_load(&q->linger_for);
	if (waiting && ended >= waiting) {
		pthread_mutex_lock(&q->mu);
		pthread_cond_signal(&q->work);
		pthread_mutex_unlock(&q->mu);
	}
}

uint64_t auditlog_batches(struct auditlog *q)
{
	return q ? atomic_load(&q->batches) : 0;
}

/* auditlog_commit's wait for its record. */
struct sync_wait {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool done;
	int rc;
};

static void sync_done(void *arg, int rc)
{
	struct sync_wait *w = arg;

	pthread_mutex_lock(&w->mu);
	w->rc = rc;
	w->done = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mu);
}

int auditlog_commit(struct auditlog *q, const struct store_audit *a)
{
	struct sync_wait w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	int rc;

	if (auditlog_submit(q, a, sync_done, &w) != C_OK)
		return C_ERR;
	pthread_mutex_lock(&w.mu);
	while (!w.done)
		pthread_cond_wait(&w.cond, &w.mu);
	rc = w.rc;
	pthread_mutex_unlock(&w.mu);
	pthread_cond_destroy(&w.cond);
	pthread_mutex_destroy(&w.mu);
	return rc;
}
