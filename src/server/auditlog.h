/*
 * auditlog.h - durable audit records with group commit.
 *
 * The records of reads go here too, without anyone waiting for them (auditlog_submit with no callback). Calls that
 * write nothing but must leave a durable trace before they answer (sts:AssumeRole and
 * sts:GetSessionToken: the credentials go out only once the record is on disk) hand their record to the group
 * committer, a thread that writes every record queued at that moment in one transaction (one fsync) and then tells
 * each record's owner. Under load one fsync serves many calls, and (auditlog_submit) the request threads serve other
 * connections meanwhile instead of sleeping. The records go to their own database
 * (DATA/audit.db), so that these commits do not empty the page caches of rolegate.db's readers.
 */
#ifndef ROLEGATE_AUDITLOG_H
#define ROLEGATE_AUDITLOG_H

#include "store/store.h"

struct auditlog;

/* Called once per record, from the committer thread, with C_OK when it is committed or C_ERR when the write failed. */
typedef void (*auditlog_done_fn)(void *arg, int rc);

/* A group committer (and its thread) writing to db (the audit database; borrowed, it must outlive the committer),
 * lingering linger_us at most (AUDITLOG_LINGER_US; 0: never). NULL when the thread cannot be started. */
struct auditlog *auditlog_new(struct db *db, long linger_us);
/* Writes what is still queued (each record's callback is called), stops the thread, frees q. */
void auditlog_free(struct auditlog *q);
/* Records queued at most: beyond, auditlog_submit waits for the committer to take the queue (backpressure: the
 * audit is never thinned out to keep up). At ~1 KiB a record, a few MiB. */
#define AUDITLOG_QUEUE_MAX 8192

/* Queues a copy of a; done(arg, rc) follows once it is written (done NULL: nobody waits for it, as for the records
 * of reads; a failed write is logged and counted). Waits while the queue is full. C_ERR (and no callback) when it
 * cannot be queued (out of memory, or q NULL). Thread-safe. */
int auditlog_submit(struct auditlog *q, const struct store_audit *a, auditlog_done_fn done, void *arg);
/* Writes a and returns once it is committed (C_OK), or C_ERR when the write failed. Thread-safe. */
int auditlog_commit(struct auditlog *q, const struct store_audit *a);

/*
 * The committer's short wait. A request under way will hand in its record within its own running time (a few
 * hundred microseconds). When the committer takes up a batch while requests that began before are still under way,
 * it waits for them, AUDITLOG_LINGER_US at most, so that one commit holds their records too instead of each later
 * batch paying a commit (on PostgreSQL each costs a WAL flush: several nodes sharing one database each commit
 * smaller groups than one node would). Requests begun since are not waited for, so a steady stream holds no batch
 * back longer than that; an idle server (nothing under way) commits at once.
 */
#define AUDITLOG_LINGER_US 2000
/* A request that may hand a record to q has begun (auditlog_call_end follows exactly once). Thread-safe, lock-free. */
void auditlog_call_begin(struct auditlog *q);
/* ... has handed it over (call this after auditlog_submit, before auditlog_commit, which would wait for the
 * committer that waits for it), or has ended without one. Thread-safe. */
void auditlog_call_end(struct auditlog *q);
/* The batches q has written (or failed to) so far. */
uint64_t auditlog_batches(struct auditlog *q);

#endif
