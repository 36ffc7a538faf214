/*
 * pgsql.h - the text transformations the PostgreSQL backend (postgres.c) applies to rolegate's SQL: parameters
 * ?N become $N, and the SQLite DDL of the migrations (src/store/schema.c) becomes PostgreSQL DDL. Pure functions,
 * so tests/unit/test_postgres_sql.c checks them without a server.
 */
#ifndef ROLEGATE_PGSQL_H
#define ROLEGATE_PGSQL_H

#include <stddef.h>

/*
 * Copies sql into out (cap bytes, NUL-terminated) with every parameter ?N written $N. Text inside '...' string
 * literals and "..." identifiers is copied as it is. LIMIT ?N becomes LIMIT CASE WHEN $N < 0 THEN NULL ELSE $N END:
 * a negative limit is none, as in SQLite. C_ERR when out is too small, a ? has no number, or a literal is not
 * closed.
 */
int pgsql_rewrite_params(const char *sql, char *out, size_t cap);

/*
 * The PostgreSQL form of a SQLite DDL script: INTEGER PRIMARY KEY AUTOINCREMENT becomes a BIGINT identity key,
 * INTEGER BIGINT, BLOB BYTEA, TEXT TEXT COLLATE "C" (byte order, as SQLite compares and sorts), and the STRICT
 * table option goes. Only upper-case words outside string literals are changed. A malloc'd string, NULL on
 * out-of-memory.
 */
char *pgsql_translate_ddl(const char *ddl);

#endif
