/*
 * auditlog.c - leader-based group commit of audit records.
 *
 * A caller that finds no leader becomes the leader: it takes every pending record, writes them in one transaction,
 * marks each record done with the transaction's result, and repeats while records keep arriving (its own included).
 * Everyone else sleeps on its own record's condition until the record is marked or leadership is free (then the
 * first pending record's owner is woken to lead). A failed transaction fails exactly the records it held. Each
 * caller frees its own record.
 */
#include "server/auditlog.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"
#include "util/log.h"

struct pending {
	struct pending *next;
	pthread_cond_t wake; /* signalled when done, or when this record's owner should lead */
	bool done;
	int rc;
	int64_t time_ms;
	char *fields[9]; /* request_id, account_id, principal_arn, access_key_id, action, resource, source_ip, outcome,
	                  * detail: owned copies */
};

struct auditlog {
	struct db *db;
	pthread_mutex_t mu;
	struct pending *head, **tail; /* waiting to be written */
	bool leader;
};

struct auditlog *auditlog_new(struct db *db)
{
	struct auditlog *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->db = db;
	q->tail = &q->head;
	pthread_mutex_init(&q->mu, NULL);
	return q;
}

void auditlog_free(struct auditlog *q)
{
	if (!q)
		return;
	pthread_mutex_destroy(&q->mu);
	free(q);
}

static void pending_free(struct pending *p)
{
	pthread_cond_destroy(&p->wake);
	for (size_t i = 0; i < ARRAY_LEN(p->fields); i++)
		free(p->fields[i]);
	free(p);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Writes a batch in one transaction. */
static int write_batch(struct auditlog *q, struct pending *batch)
{
	struct db_tx *tx;

	if (db_begin_stats(q->db, &tx) != C_OK)
		return C_ERR;
	for (struct pending *p = batch; p; p = p->next) {
		struct store_audit a = {
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
		};
		if (store_audit_append(tx, &a) != C_OK) {
			db_rollback(tx);
			return C_ERR;
		}
	}
	return db_commit(tx);
}

int auditlog_commit(struct auditlog *q, const struct store_audit *a)
{
	struct pending *p = calloc(1, sizeof(*p));
	const char *src[9] = {a->request_id, a->account_id, a->principal_arn, a->access_key_id, a->action,
	                      a->resource, a->source_ip, a->outcome, a->detail};
	int rc;

	if (!p)
		return C_ERR;
	pthread_cond_init(&p->wake, NULL);
	p->time_ms = a->time_ms;
	for (size_t i = 0; i < ARRAY_LEN(src); i++)
		if (src[i] && !(p->fields[i] = dup_or_null(src[i]))) {
			pending_free(p);
			return C_ERR;
		}

	pthread_mutex_lock(&q->mu);
	*q->tail = p;
	q->tail = &p->next;
	while (!p->done) {
		if (!q->leader) {
			/* Lead: write everything pending in one transaction. */
			struct pending *batch = q->head, *it, *next;
			size_t n = 0;
			q->head = NULL;
			q->tail = &q->head;
			q->leader = true;
			pthread_mutex_unlock(&q->mu);
			rc = write_batch(q, batch);
			pthread_mutex_lock(&q->mu);
			for (it = batch; it; it = next) {
				next = it->next; /* read before marking: the owner may free it once done */
				it->rc = rc;
				it->done = true;
				if (it != p)
					pthread_cond_signal(&it->wake);
				n++;
			}
			if (rc != C_OK)
				log_warnx("audit: a batch of %zu record(s) could not be written", n);
			q->leader = false;
			/* Hand leadership to the owner of the oldest waiting record (p's own, if it arrived meanwhile, is
			 * taken by the loop). */
			if (q->head && q->head != p)
				pthread_cond_signal(&q->head->wake);
		} else {
			pthread_cond_wait(&p->wake, &q->mu);
		}
	}
	pthread_mutex_unlock(&q->mu);
	rc = p->rc;
	pending_free(p);
	return rc;
}
