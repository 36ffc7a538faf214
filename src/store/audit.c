/*
 * audit.c - the audit trail: one row per audited call (a write in the caller's transaction; reads and STS calls
 * through the group committer, src/server/auditlog.c).
 *
 * The group committer writes many records in one transaction: store_audit_append_many puts up
 * to AUDIT_ROWS_PER_INSERT of them in one multi-row INSERT, so that a batch costs PostgreSQL (and SQLite) a few
 * statements instead of one per record. The statements' texts are built once; the backends cache a prepared
 * statement per text (by its address), so there are exactly as many of them as there are chunk sizes.
 */
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/common.h"

#define AUDIT_NCOLS 15
#define AUDIT_COLS                                                                                                  \
	"INSERT INTO audit(time_ms, request_id, account_id, principal_arn, access_key_id, action, resource, "       \
	"source_ip, outcome, detail, user_agent, region, response, explanation, enforcement) VALUES "

/* The chunk sizes, largest first: a batch of n rows is written as n / 16 sixteens, then fours, then ones. */
static const size_t chunk_rows[] = {AUDIT_ROWS_PER_INSERT, 4, 1};
static char *chunk_sql[ARRAY_LEN(chunk_rows)];
static pthread_once_t chunk_once = PTHREAD_ONCE_INIT;

/* "INSERT ... VALUES (?1, ..., ?15), (?16, ...)" for rows rows; NULL when out of memory. */
static char *insert_sql(size_t rows)
{
	size_t cap = sizeof(AUDIT_COLS) + rows * AUDIT_NCOLS * 8 + rows * 4, len;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	len = (size_t)snprintf(s, cap, "%s", AUDIT_COLS);
	for (size_t r = 0; r < rows; r++)
		for (size_t c = 0; c < AUDIT_NCOLS; c++)
			len += (size_t)snprintf(s + len, cap - len, "%s?%zu%s", c ? ", " : r ? ", (" : "(",
			                        r * AUDIT_NCOLS + c + 1, c == AUDIT_NCOLS - 1 ? ")" : "");
	return s;
}

static void chunk_sql_build(void)
{
	for (size_t i = 0; i < ARRAY_LEN(chunk_rows); i++)
		chunk_sql[i] = insert_sql(chunk_rows[i]); /* kept for the process's life: the statement caches key on it */
}

/* The 15 values of one record, in AUDIT_COLS's order. */
static void record_args(const struct store_audit *a, struct db_val *v)
{
	v[0] = db_int(a->time_ms);
	v[1] = db_text(a->request_id);
	v[2] = db_text(a->account_id);
	v[3] = db_text(a->principal_arn);
	v[4] = db_text(a->access_key_id);
	v[5] = db_text(a->action);
	v[6] = db_text(a->resource);
	v[7] = db_text(a->source_ip);
	v[8] = db_text(a->outcome);
	v[9] = db_text(a->detail);
	v[10] = db_text(a->user_agent);
	v[11] = db_text(a->region);
	v[12] = db_text(a->response);
	v[13] = db_text(a->explanation);
	v[14] = db_text(a->enforcement);
}

int store_audit_append_many(struct db_tx *tx, const struct store_audit *a, size_t n)
{
	struct db_val args[AUDIT_ROWS_PER_INSERT * AUDIT_NCOLS];
	size_t done = 0;

	pthread_once(&chunk_once, chunk_sql_build);
	for (size_t i = 0; i < ARRAY_LEN(chunk_rows); i++) {
		if (!chunk_sql[i])
			return C_ERR;
		while (n - done >= chunk_rows[i]) {
			for (size_t r = 0; r < chunk_rows[i]; r++)
				record_args(&a[done + r], &args[r * AUDIT_NCOLS]);
			if (db_exec(tx, chunk_sql[i], args, chunk_rows[i] * AUDIT_NCOLS, NULL) != C_OK)
				return C_ERR;
			done += chunk_rows[i];
		}
	}
	return C_OK;
}

int store_audit_append(struct db_tx *tx, const struct store_audit *a)
{
	return store_audit_append_many(tx, a, 1);
}
