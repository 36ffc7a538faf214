/*
 * audit_read.h - reading the audit trail, shared by `rolegate audit` (its listing and --follow) and
 * `rolegate policy generate`: the rows of one audit table, filtered in SQL, handed to a callback one by one.
 *
 * The trail lives in two databases of a data directory (rolegate.db: every write; audit.db: sts:AssumeRole and
 * sts:GetSessionToken, group-committed) or in the one audit table of a PostgreSQL database. struct audit_trail
 * opens whichever the flags name; each table is read on its own (source 0: rolegate.db or PostgreSQL, 1: audit.db).
 */
#ifndef ROLEGATE_AUDIT_READ_H
#define ROLEGATE_AUDIT_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

enum audit_field {
	AUDIT_F_REQUEST_ID, AUDIT_F_ACCOUNT, AUDIT_F_PRINCIPAL, AUDIT_F_KEY, AUDIT_F_ACTION, AUDIT_F_RESOURCE,
	AUDIT_F_IP, AUDIT_F_OUTCOME, AUDIT_F_DETAIL, AUDIT_F_AGENT, AUDIT_F_REGION, AUDIT_F_RESPONSE,
	AUDIT_F_EXPLANATION, /* JSON: the reasoning of a denial (src/server/explain.h), else "" */
	AUDIT_F_ENFORCEMENT, /* 'soft-denied' for a call soft mode let through, else "" (and "" before that column) */
	AUDIT_NFIELDS
};

/* One record as the callback sees it: the strings ("" for NULL) are valid only during the callback. */
struct audit_row {
	int64_t time_ms, seq;
	int source; /* 0: rolegate.db or PostgreSQL, 1: audit.db */
	const char *f[AUDIT_NFIELDS];
};

/* Which rows: every member is a filter, 0 / NULL / false to leave it out. */
struct audit_query {
	int64_t since_ms;             /* time_ms >= since_ms */
	int64_t after_seq;            /* seq > after_seq */
	const char *principal;        /* principal_arn equal to it */
	const char *principal_prefix; /* or principal_arn starting with it (a role's sessions) */
	const char *resource, *action;
	bool granted;                 /* outcome Success, or soft-denied (would have been refused; soft mode) */
	int64_t limit;                /* at most this many rows (0: all) */
	bool newest_first;            /* ORDER BY seq DESC (else ascending) */
};

/* Returns nonzero to stop the walk early (audit_read then returns that value). */
typedef int (*audit_row_fn)(const struct audit_row *row, void *arg);

/*
 * Reads the matching rows of db's audit table (source: 0 or 1, copied into each row) in one read transaction, always
 * from the database (never a cached result). pg: db is PostgreSQL. C_OK, C_ERR, or the callback's nonzero value.
 */
int audit_read(struct db *db, bool pg, int source, const struct audit_query *q, audit_row_fn fn, void *arg);

/* The highest seq of db's audit table (0 when empty) into *out. */
int audit_max_seq(struct db *db, int64_t *out);

/* The trail a verb reads: db[0] (rolegate.db or PostgreSQL) and db[1] (DIR/audit.db, NULL while it does not
 * exist: audit_trail_refresh opens it once it appears). */
struct audit_trail {
	struct db *db[2];
	bool pg;
	char dir[4096];
};

/* Opens the trail of --data DIR / --postgres CONNINFO; on failure says why on stderr as "rolegate VERB: ...". */
int audit_trail_open(struct audit_trail *t, const char *verb, const char *dir, const char *conninfo);

/* Opens DIR/audit.db when it has appeared since (a data directory's trail). */
void audit_trail_refresh(struct audit_trail *t);

void audit_trail_close(struct audit_trail *t);

/* Reads q's rows from every table of the trail (each in its own order; no merge). */
int audit_trail_read(struct audit_trail *t, const struct audit_query *q, audit_row_fn fn, void *arg);

/* Prints one record: a text line, or a JSON object on one line (the shape of `rolegate audit --json`). */
void audit_row_print(const struct audit_row *row, bool json);

/*
 * Sets q's principal filter for ARN: a role's ARN (arn:PART:iam::ACCT:role/PATH/NAME) keeps the calls of its
 * sessions (principal_prefix arn:PART:sts::ACCT:assumed-role/NAME/, written into buf), any other ARN its own
 * calls. C_ERR when buf is too small.
 */
int audit_principal_filter(const char *arn, struct audit_query *q, char *buf, size_t cap);

/* Parses TIME (ISO 8601, a date: its midnight UTC, or a duration back from now: 90s, 15m, 2h, 7d) into
 * milliseconds since the epoch. C_OK or C_ERR. */
int audit_parse_time(const char *s, int64_t *out);

#endif
