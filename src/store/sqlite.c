/*
 * sqlite.c - the SQLite backend of db.h.
 *
 * One connection per thread (SQLite connections are not shared), WAL journal with synchronous=FULL so that every
 * acknowledged commit is on disk before the response leaves, foreign keys on, and a per-connection cache of
 * prepared statements keyed by the address of the SQL text (every SQL string in rolegate is a literal).
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "util/common.h"
#include "util/log.h"

#define STMT_CACHE 256 /* power of two */

struct stmt_slot {
	const char *sql;
	sqlite3_stmt *st;
};

struct db_conn {
	sqlite3 *h;
	struct stmt_slot cache[STMT_CACHE];
	struct db_tx *tx; /* the open transaction, if any */
};

struct db_tx {
	struct db_conn *c;
	struct db *db;
	bool write;
	bool stats; /* bookkeeping only: does not advance the generation */
};

struct db_rows {
	struct db_conn *c;
	sqlite3_stmt *st;
	bool failed;
};

struct db {
	char *path;
	pthread_key_t key; /* -> this thread's struct db_conn */
	pthread_mutex_t mu;
	struct db_conn **conns; /* every connection, for db_close */
	size_t nconns;
	atomic_uint_fast64_t generation;
};

static int conn_pragma(sqlite3 *h, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_warnx("sqlite: %s: %s", sql, msg ? msg : "error");
		sqlite3_free(msg);
		return C_ERR;
	}
	return C_OK;
}

static struct db_conn *conn_open(struct db *db)
{
	struct db_conn *c = calloc(1, sizeof(*c)), **grown;

	if (!c)
		return NULL;
	if (sqlite3_open_v2(db->path, &c->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		log_warnx("sqlite: cannot open %s: %s", db->path, c->h ? sqlite3_errmsg(c->h) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(c->h, 1);
	sqlite3_busy_timeout(c->h, 10000);
	if (conn_pragma(c->h, "PRAGMA journal_mode=WAL") || conn_pragma(c->h, "PRAGMA synchronous=FULL") ||
	    conn_pragma(c->h, "PRAGMA foreign_keys=ON") || conn_pragma(c->h, "PRAGMA trusted_schema=OFF"))
		goto fail;
	pthread_mutex_lock(&db->mu);
	grown = realloc(db->conns, (db->nconns + 1) * sizeof(*grown));
	if (grown) {
		db->conns = grown;
		db->conns[db->nconns++] = c;
	}
	pthread_mutex_unlock(&db->mu);
	if (!grown)
		goto fail;
	pthread_setspecific(db->key, c);
	return c;
fail:
	sqlite3_close(c->h);
	free(c);
	return NULL;
}

static void conn_close(struct db_conn *c)
{
	for (size_t i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize(c->cache[i].st);
	if (sqlite3_close(c->h) != SQLITE_OK)
		log_warnx("sqlite: close: %s", sqlite3_errmsg(c->h));
	free(c);
}

struct db *db_open_sqlite(const char *dir)
{
	return db_open_sqlite_file(dir, "rolegate.db");
}

/* Once, before SQLite starts: no global memory statistics (they take a process-wide mutex on every allocation of
 * every connection). */
static void sqlite_configure(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

struct db *db_open_sqlite_file(const char *dir, const char *file)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct db *db;
	size_t n;

	pthread_once(&once, sqlite_configure);
	db = calloc(1, sizeof(*db));
	if (!db)
		return NULL;
	n = strlen(dir) + 1 + strlen(file) + 1;
	db->path = malloc(n);
	if (!db->path) {
		free(db);
		return NULL;
	}
	snprintf(db->path, n, "%s/%s", dir, file);
	pthread_key_create(&db->key, NULL);
	pthread_mutex_init(&db->mu, NULL);
	if (!conn_open(db)) {
		db_close(db);
		return NULL;
	}
	return db;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->nconns; i++)
		conn_close(db->conns[i]);
	free(db->conns);
	pthread_key_delete(db->key);
	pthread_mutex_destroy(&db->mu);
	free(db->path);
	free(db);
}

static struct db_conn *conn_get(struct db *db)
{
	struct db_conn *c = pthread_getspecific(db->key);

	return c ? c : conn_open(db);
}

/* The cached prepared statement for sql (reset, bindings cleared). */
static sqlite3_stmt *stmt_get(struct db_conn *c, const char *sql)
{
	size_t h = ((uintptr_t)sql >> 3) & (STMT_CACHE - 1);
	sqlite3_stmt *st = NULL;

	for (size_t i = 0; i < STMT_CACHE; i++) {
		struct stmt_slot *s = &c->cache[(h + i) & (STMT_CACHE - 1)];
		if (s->sql == sql)
			return s->st;
		if (!s->sql) {
			if (sqlite3_prepare_v3(c->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
				log_warnx("sqlite: prepare: %s: %s", sqlite3_errmsg(c->h), sql);
				return NULL;
			}
			s->sql = sql;
			s->st = st;
			return st;
		}
	}
	/* Cache full: should not happen with a fixed set of statements; prepare without caching is not offered
	 * because callers do not finalize. */
	log_warnx("sqlite: statement cache full");
	return NULL;
}

static int bind_all(struct db_conn *c, sqlite3_stmt *st, const struct db_val *args, size_t nargs)
{
	for (size_t i = 0; i < nargs; i++) {
		int rc, idx = (int)i + 1;
		switch (args[i].type) {
		case DB_T_NULL: rc = sqlite3_bind_null(st, idx); break;
		case DB_T_INT: rc = sqlite3_bind_int64(st, idx, args[i].i); break;
		case DB_T_TEXT: rc = sqlite3_bind_text(st, idx, args[i].p, (int)args[i].len, SQLITE_STATIC); break;
		case DB_T_BLOB: rc = sqlite3_bind_blob(st, idx, args[i].p, (int)args[i].len, SQLITE_STATIC); break;
		default: rc = SQLITE_MISUSE; break;
		}
		if (rc != SQLITE_OK) {
			log_warnx("sqlite: bind %d: %s", idx, sqlite3_errmsg(c->h));
			return C_ERR;
		}
	}
	return C_OK;
}

static void stmt_release(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Runs one of the fixed control statements (BEGIN, COMMIT, ROLLBACK) through the statement cache. */
static int control(struct db_conn *c, const char *sql)
{
	sqlite3_stmt *st = stmt_get(c, sql);
	int rc;

	if (!st)
		return C_ERR;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_warnx("sqlite: %s: %s", sql, sqlite3_errmsg(c->h));
		return C_ERR;
	}
	return C_OK;
}

static const char sql_begin[] = "BEGIN";
static const char sql_begin_immediate[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";

uint64_t db_generation(struct db *db) { return atomic_load(&db->generation); }

int db_begin_stats(struct db *db, struct db_tx **txp)
{
	int rc = db_begin(db, true, txp);

	if (rc == C_OK)
		(*txp)->stats = true;
	return rc;
}

int db_begin(struct db *db, bool write, struct db_tx **txp)
{
	struct db_conn *c = conn_get(db);
	struct db_tx *tx;

	if (!c)
		return C_ERR;
	if (c->tx) {
		log_warnx("sqlite: nested transaction");
		return C_ERR;
	}
	tx = calloc(1, sizeof(*tx));
	if (!tx)
		return C_ERR;
	tx->c = c;
	tx->db = db;
	tx->write = write;
	if (control(c, write ? sql_begin_immediate : sql_begin) != C_OK) {
		free(tx);
		return C_ERR;
	}
	c->tx = tx;
	*txp = tx;
	return C_OK;
}

int db_commit(struct db_tx *tx)
{
	struct db_conn *c = tx->c;
	int rc = control(c, sql_commit);

	if (rc != C_OK)
		control(c, sql_rollback);
	else if (tx->write && !tx->stats)
		atomic_fetch_add(&tx->db->generation, 1);
	c->tx = NULL;
	free(tx);
	return rc;
}

void db_rollback(struct db_tx *tx)
{
	struct db_conn *c = tx->c;

	if (!sqlite3_get_autocommit(c->h))
		control(c, sql_rollback);
	c->tx = NULL;
	free(tx);
}

int db_exec(struct db_tx *tx, const char *sql, const struct db_val *args, size_t nargs, int64_t *changes)
{
	sqlite3_stmt *st = stmt_get(tx->c, sql);
	int rc;

	if (!st || bind_all(tx->c, st, args, nargs) != C_OK) {
		if (st)
			stmt_release(st);
		return C_ERR;
	}
	do
		rc = sqlite3_step(st);
	while (rc == SQLITE_ROW);
	stmt_release(st);
	if (rc == SQLITE_DONE) {
		if (changes)
			*changes = sqlite3_changes64(tx->c->h);
		return C_OK;
	}
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return DB_CONSTRAINT;
	log_warnx("sqlite: exec: %s", sqlite3_errmsg(tx->c->h));
	return C_ERR;
}

int db_exec_script(struct db_tx *tx, const char *sql)
{
	return conn_pragma(tx->c->h, sql);
}

struct db_rows *db_query(struct db_tx *tx, const char *sql, const struct db_val *args, size_t nargs)
{
	struct db_rows *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->c = tx->c;
	r->st = stmt_get(tx->c, sql);
	if (!r->st || bind_all(tx->c, r->st, args, nargs) != C_OK)
		r->failed = true;
	return r;
}

int db_step(struct db_rows *r)
{
	int rc;

	if (!r || r->failed)
		return C_ERR;
	rc = sqlite3_step(r->st);
	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE)
		return DB_DONE;
	log_warnx("sqlite: step: %s", sqlite3_errmsg(r->c->h));
	r->failed = true;
	return C_ERR;
}

int64_t db_col_int(struct db_rows *r, int col) { return sqlite3_column_int64(r->st, col); }

const char *db_col_text(struct db_rows *r, int col)
{
	return (const char *)sqlite3_column_text(r->st, col);
}

const void *db_col_blob(struct db_rows *r, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(r->st, col);

	*len = (size_t)sqlite3_column_bytes(r->st, col);
	return p;
}

bool db_col_is_null(struct db_rows *r, int col) { return sqlite3_column_type(r->st, col) == SQLITE_NULL; }

int db_col_copy(struct db_rows *r, int col, char *dst, size_t cap)
{
	const char *s = db_col_text(r, col);
	size_t n = s ? (size_t)sqlite3_column_bytes(r->st, col) : 0;

	if (n >= cap) {
		dst[0] = '\0';
		return C_ERR;
	}
	if (n)
		memcpy(dst, s, n);
	dst[n] = '\0';
	return C_OK;
}

void db_rows_done(struct db_rows *r)
{
	if (!r)
		return;
	if (r->st)
		stmt_release(r->st);
	free(r);
}
