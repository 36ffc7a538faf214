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

/* A group committer (and its thread) writing to db (the audit database; borrowed, it must outlive the committer).
 * NULL when the thread cannot be started. */
struct auditlog *auditlog_new(struct db *db);
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

#endif
