/*
 * db.h - the narrow SQL interface every storage backend implements: SQLite (sqlite.c, the embedded default) and
 * PostgreSQL (postgres.c, for several nodes on one database); db.c hands each call to the backend of its argument.
 *
 * The domain code in src/store/ (accounts.c, users.c, keys.c, audit.c) is written once against this interface, in
 * SQL both backends accept: parameters are ?1, ?2 ... (the PostgreSQL backend rewrites them to $1, $2 ...), times are
 * INTEGER milliseconds, secrets BLOBs. Not portable, so not used: INSERT OR IGNORE / REPLACE (ON CONFLICT is),
 * scalar max() / min() of two values, instr(), IFNULL (coalesce is), pragmas, a comparison read as a number other
 * than through db_col_int (which reads PostgreSQL's booleans as 1 / 0).
 *
 * Threads: each thread that calls db_begin() gets its own connection, opened on first use and kept until
 * db_close(). A transaction belongs to the thread that began it.
 */
#ifndef ROLEGATE_DB_H
#define ROLEGATE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/common.h"

/* Results beyond C_OK / C_ERR. */
#define DB_DONE 0       /* db_step: no more rows */
#define DB_ROW 1        /* db_step: a row is ready */
#define DB_CONSTRAINT -2 /* a UNIQUE / PRIMARY KEY / FOREIGN KEY constraint refused the write */

struct db;
struct db_tx;
struct db_rows;

enum db_type { DB_T_NULL, DB_T_INT, DB_T_TEXT, DB_T_BLOB };

/* One bound parameter. The pointed-to data must live until the statement has run. */
struct db_val {
	enum db_type type;
	int64_t i;
	const void *p;
	size_t len;
};

static inline struct db_val db_int(int64_t i) { return (struct db_val){.type = DB_T_INT, .i = i}; }
static inline struct db_val db_text(const char *s)
{
	return s ? (struct db_val){.type = DB_T_TEXT, .p = s, .len = strlen(s)} : (struct db_val){.type = DB_T_NULL};
}
static inline struct db_val db_blob(const void *p, size_t len)
{
	return (struct db_val){.type = DB_T_BLOB, .p = p, .len = len};
}
static inline struct db_val db_null(void) { return (struct db_val){.type = DB_T_NULL}; }

/* DB_ARGS(a, b, c) expands to the array and count db_exec / db_query take. */
#define DB_ARGS(...) (const struct db_val[]){__VA_ARGS__}, sizeof((const struct db_val[]){__VA_ARGS__}) / sizeof(struct db_val)
#define DB_NOARGS NULL, 0

/* Opens (creating if needed) the database in directory dir. NULL on failure (logged). */
struct db *db_open_sqlite(const char *dir);
/* Opens (creating if needed) the database DIR/FILE (audit.db: see store_migrate_audit). */
struct db *db_open_sqlite_file(const char *dir, const char *file);
/* Connects to PostgreSQL (a libpq conninfo or URI; multi-host allowed) and starts the thread that follows the other
 * nodes' writes (see postgres.c). NULL on failure (logged without the conninfo, which may hold a password). */
struct db *db_open_postgres(const char *conninfo);
/* Whether db is a PostgreSQL database (for the few places that differ: the audit table, the schema's DDL). */
bool db_is_postgres(struct db *db);
/* Whether tx is a transaction of a PostgreSQL database. */
bool db_tx_is_postgres(struct db_tx *tx);
/* Closes every connection. No transaction may be open. */
void db_close(struct db *db);

/* Begins a transaction on the calling thread's connection. write=true takes the write lock up front
 * (BEGIN IMMEDIATE), so a write transaction never fails half-way for lack of it. */
int db_begin(struct db *db, bool write, struct db_tx **tx);
/* Begins a write transaction for bookkeeping that no cache depends on (an access key's last use): its commit
 * does not advance db_generation(). */
int db_begin_stats(struct db *db, struct db_tx **tx);
/*
 * A counter advanced after every committed write transaction (except db_begin_stats ones). In-memory caches of
 * stored data tag entries with the value read *before* they read the store and drop them once it has moved on.
 */
uint64_t db_generation(struct db *db);
/*
 * Begins a write transaction that only appends rows no cached query reads (the audit trail, which is read with
 * db_query_fresh only): its commit advances neither the generation nor the version of the cached results, and
 * tells no other node (PostgreSQL: no NOTIFY). Under load the audit's group commits would otherwise empty every
 * node's caches several hundred times a second.
 */
int db_begin_append(struct db *db, struct db_tx **tx);
/* Commits; C_ERR leaves nothing written (the transaction is rolled back). The tx is gone either way. */
int db_commit(struct db_tx *tx);
/* Rolls back. The tx is gone. */
void db_rollback(struct db_tx *tx);

/* Runs a statement that returns no rows. C_OK, DB_CONSTRAINT or C_ERR. *changes (optional) gets the row count. */
int db_exec(struct db_tx *tx, const char *sql, const struct db_val *args, size_t nargs, int64_t *changes);
/* Runs a script of several statements without parameters (migrations). */
int db_exec_script(struct db_tx *tx, const char *sql);

/* Starts a query. Rows are read with db_step and the column getters; db_rows_done must be called. In a read-only
 * transaction the answer may come from the backend's cache of results, which only writes made through this
 * struct db invalidate. */
struct db_rows *db_query(struct db_tx *tx, const char *sql, const struct db_val *args, size_t nargs);
/* db_query, always from the database itself: for data another process may write (the session-token keys). */
struct db_rows *db_query_fresh(struct db_tx *tx, const char *sql, const struct db_val *args, size_t nargs);
/* DB_ROW, DB_DONE or C_ERR. */
int db_step(struct db_rows *r);
int64_t db_col_int(struct db_rows *r, int col);
/* Valid until the next db_step / db_rows_done; NULL for SQL NULL. */
const char *db_col_text(struct db_rows *r, int col);
const void *db_col_blob(struct db_rows *r, int col, size_t *len);
bool db_col_is_null(struct db_rows *r, int col);
/* The type of the current row's value in column col, as the backend stored it (DB_T_NULL for NULL): what a copy
 * of a value of any column (rolegate migrate) binds again. Integers (SQLite INTEGER, PostgreSQL smallint, integer,
 * bigint and boolean) are DB_T_INT, BLOB / bytea DB_T_BLOB, anything else DB_T_TEXT. */
enum db_type db_col_type(struct db_rows *r, int col);
/* Copies a text column into dst (cap bytes, NUL-terminated; "" for NULL). C_ERR if it does not fit. */
int db_col_copy(struct db_rows *r, int col, char *dst, size_t cap);
void db_rows_done(struct db_rows *r);

/* The integer in the first column of the one row r returns (a count): C_OK, or C_ERR when there is no row or the
 * query failed. Finishes r. */
static inline int db_one_int(struct db_rows *r, int64_t *out)
{
	int rc = db_step(r);

	if (rc == DB_ROW) {
		*out = db_col_int(r, 0);
		rc = C_OK;
	} else {
		rc = C_ERR;
	}
	db_rows_done(r);
	return rc;
}

#endif
