/*
 * auditlog.h - durable audit records with group commit.
 *
 * Calls that write nothing but must leave a durable trace before they answer (sts:AssumeRole and
 * sts:GetSessionToken: the credentials go out only once the record is on disk) hand their record to the group
 * committer: the first caller to arrive writes every record waiting at that moment in one transaction (one fsync);
 * the others wait for it. Under load one fsync serves many calls. The records go to their own database
 * (DATA/audit.db), so that these commits do not empty the page caches of rolegate.db's readers.
 */
#ifndef ROLEGATE_AUDITLOG_H
#define ROLEGATE_AUDITLOG_H

#include "store/store.h"

struct auditlog;

/* A group committer writing to db (the audit database; borrowed, it must outlive the committer). */
struct auditlog *auditlog_new(struct db *db);
void auditlog_free(struct auditlog *q);
/* Writes a and returns once it is committed (C_OK), or C_ERR when the write failed. Thread-safe. */
int auditlog_commit(struct auditlog *q, const struct store_audit *a);

#endif
