/*
 * db_backend.h - how db.c hands each db.h call to its backend (sqlite.c, postgres.c). Private to src/store/.
 *
 * Every backend's struct db, struct db_tx and struct db_rows begin with an enum db_backend member naming the
 * backend that made it; db.c reads it through the first member and calls the matching function below.
 */
#ifndef ROLEGATE_DB_BACKEND_H
#define ROLEGATE_DB_BACKEND_H

#include "store/db.h"

enum db_backend { DB_BACKEND_SQLITE = 0, DB_BACKEND_POSTGRES = 1 };

/* The backend of a struct db, db_tx or db_rows (each begins with its enum db_backend). */
static inline enum db_backend db_backend_of(const void *p)
{
	return *(const enum db_backend *)p;
}

#define DB_BACKEND_DECLARE(suffix)                                                                                 \
	void db_close_##suffix(struct db *db);                                                                      \
	int db_begin_##suffix(struct db *db, bool write, struct db_tx **tx);                                        \
	int db_begin_stats_##suffix(struct db *db, struct db_tx **tx);                                              \
	int db_begin_append_##suffix(struct db *db, struct db_tx **tx);                                             \
	uint64_t db_generation_##suffix(struct db *db);                                                             \
	int db_commit_##suffix(struct db_tx *tx);                                                                   \
	void db_rollback_##suffix(struct db_tx *tx);                                                                \
	int db_exec_##suffix(struct db_tx *tx, const char *sql, const struct db_val *args, size_t nargs,            \
	                     int64_t *changes);                                                                     \
	int db_exec_script_##suffix(struct db_tx *tx, const char *sql);                                            \
	struct db_rows *db_query_##suffix(struct db_tx *tx, const char *sql, const struct db_val *args,            \
	                                  size_t nargs);                                                            \
	struct db_rows *db_query_fresh_##suffix(struct db_tx *tx, const char *sql, const struct db_val *args,      \
	                                        size_t nargs);                                                      \
	int db_step_##suffix(struct db_rows *r);                                                                    \
	int64_t db_col_int_##suffix(struct db_rows *r, int col);                                                    \
	const char *db_col_text_##suffix(struct db_rows *r, int col);                                               \
	const void *db_col_blob_##suffix(struct db_rows *r, int col, size_t *len);                                  \
	bool db_col_is_null_##suffix(struct db_rows *r, int col);                                                   \
	enum db_type db_col_type_##suffix(struct db_rows *r, int col);                                              \
	int db_col_copy_##suffix(struct db_rows *r, int col, char *dst, size_t cap);                                \
	void db_rows_done_##suffix(struct db_rows *r);

DB_BACKEND_DECLARE(sqlite)
DB_BACKEND_DECLARE(postgres)

#endif
