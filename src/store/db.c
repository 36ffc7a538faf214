/*
 * db.c - db.h's functions, each handed to the backend that made its first argument (db_backend.h).
 */
#include "store/db.h"

#include "store/db_backend.h"

#define PG(p) ((p) && db_backend_of(p) == DB_BACKEND_POSTGRES)

bool db_is_postgres(struct db *db) { return PG(db); }

bool db_tx_is_postgres(struct db_tx *tx) { return PG(tx); }

void db_close(struct db *db)
{
	if (PG(db))
		db_close_postgres(db);
	else
		db_close_sqlite(db);
}

int db_begin(struct db *db, bool write, struct db_tx **tx)
{
	return PG(db) ? db_begin_postgres(db, write, tx) : db_begin_sqlite(db, write, tx);
}

int db_begin_stats(struct db *db, struct db_tx **tx)
{
	return PG(db) ? db_begin_stats_postgres(db, tx) : db_begin_stats_sqlite(db, tx);
}

int db_begin_append(struct db *db, struct db_tx **tx)
{
	return PG(db) ? db_begin_append_postgres(db, tx) : db_begin_append_sqlite(db, tx);
}

uint64_t db_generation(struct db *db)
{
	return PG(db) ? db_generation_postgres(db) : db_generation_sqlite(db);
}

int db_commit(struct db_tx *tx)
{
	return PG(tx) ? db_commit_postgres(tx) : db_commit_sqlite(tx);
}

void db_rollback(struct db_tx *tx)
{
	if (PG(tx))
		db_rollback_postgres(tx);
	else
		db_rollback_sqlite(tx);
}

int db_exec(struct db_tx *tx, const char *sql, const struct db_val *args, size_t nargs, int64_t *changes)
{
	return PG(tx) ? db_exec_postgres(tx, sql, args, nargs, changes) : db_exec_sqlite(tx, sql, args, nargs, changes);
}

int db_exec_script(struct db_tx *tx, const char *sql)
{
	return PG(tx) ? db_exec_script_postgres(tx, sql) : db_exec_script_sqlite(tx, sql);
}

struct db_rows *db_query(struct db_tx *tx, const char *sql, const struct db_val *args, size_t nargs)
{
	return PG(tx) ? db_query_postgres(tx, sql, args, nargs) : db_query_sqlite(tx, sql, args, nargs);
}

struct db_rows *db_query_fresh(struct db_tx *tx, const char *sql, const struct db_val *args, size_t nargs)
{
	return PG(tx) ? db_query_fresh_postgres(tx, sql, args, nargs) : db_query_fresh_sqlite(tx, sql, args, nargs);
}

int db_step(struct db_rows *r)
{
	return PG(r) ? db_step_postgres(r) : db_step_sqlite(r);
}

int64_t db_col_int(struct db_rows *r, int col)
{
	return PG(r) ? db_col_int_postgres(r, col) : db_col_int_sqlite(r, col);
}

const char *db_col_text(struct db_rows *r, int col)
{
	return PG(r) ? db_col_text_postgres(r, col) : db_col_text_sqlite(r, col);
}

const void *db_col_blob(struct db_rows *r, int col, size_t *len)
{
	return PG(r) ? db_col_blob_postgres(r, col, len) : db_col_blob_sqlite(r, col, len);
}

bool db_col_is_null(struct db_rows *r, int col)
{
	return PG(r) ? db_col_is_null_postgres(r, col) : db_col_is_null_sqlite(r, col);
}

enum db_type db_col_type(struct db_rows *r, int col)
{
	return PG(r) ? db_col_type_postgres(r, col) : db_col_type_sqlite(r, col);
}

int db_col_copy(struct db_rows *r, int col, char *dst, size_t cap)
{
	return PG(r) ? db_col_copy_postgres(r, col, dst, cap) : db_col_copy_sqlite(r, col, dst, cap);
}

void db_rows_done(struct db_rows *r)
{
	if (PG(r))
		db_rows_done_postgres(r);
	else
		db_rows_done_sqlite(r);
}
