/*
 * sqlite.c - the SQLite backend of db.h.
 *
 * One connection per thread (SQLite connections are not shared), WAL journal with synchronous=FULL so that every
 * acknowledged commit is on disk before the response leaves, foreign keys on, and a per-connection cache of
 * prepared statements keyed by the address of the SQL text (every SQL string in rolegate is a literal).
 *
 * Read-only transactions are served from the row cache (rowcache.h) where they can be, under the version and pins
 * of cachepin.h: every write transaction advances the version around its COMMIT. A read-only transaction starts
 * SQLite's (BEGIN) only at its first miss, so one answered entirely from the cache touches no file lock. Writes by another process
 * (`rolegate keys rotate`) do not advance the version: the keyring reads with db_query_fresh.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "store/db.h"
#include "store/cachepin.h"
#include "store/db_backend.h"
#include "store/rowcache.h"
#include "util/common.h"
#include "util/log.h"

#define BUSY_TIMEOUT_MS 10000 /* how long a write transaction waits for another to end */
#define STMT_CACHE 256 /* power of two */
#define ROW_CACHE_SLOTS 4096 /* x ROWCACHE_ENTRY_MAX: at most 64 MiB of cached results per database */
#define RECORD_AFTER_DONE 16 /* rows db_rows_done still reads to finish a result for the cache */

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
	enum db_backend backend; /* first: see db_backend.h */
	struct db_conn *c;
	struct db *db;
	bool write;
	bool stats;     /* bookkeeping only: does not advance the generation */
	bool append;    /* db_begin_append: advances nothing (no cached query reads what it writes) */
	bool begun;     /* SQLite's transaction is open (a read-only one opens at its first miss) */
	struct cache_view view; /* read-only: when it may answer from the cache (cachepin.h) */
};

struct db_rows {
	enum db_backend backend; /* first: see db_backend.h */
	struct db_conn *c;
	struct db_tx *tx;
	sqlite3_stmt *st;
	bool failed;
	bool done;                  /* stepped to the end */
	struct rowset *cached;      /* answered from the cache: rows are read from here */
	size_t row;                 /* the cached row db_step last reached, plus one */
	struct rowset_builder *rec; /* recording the result for the cache */
	struct rowcache_key key;
};

struct db {
	enum db_backend backend; /* first: see db_backend.h */
	char *path;
	pthread_key_t key; /* -> this thread's struct db_conn */
	pthread_mutex_t mu;
	/* Held by this process's one write transaction: its writers queue here, in order, instead of in SQLite's busy
	 * handler, which sleeps in growing steps (up to 100 ms) and so gives a writer that loses a few races a wait of
	 * hundreds of milliseconds. Other processes (a snapshot) still meet the busy timeout. */
	pthread_mutex_t write_mu;
	struct db_conn **conns; /* every connection, for db_close */
	size_t nconns;
	atomic_uint_fast64_t generation;
	struct cache_clock clock; /* the version of the cached results (cachepin.h) */
	struct rowcache *cache;
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
	sqlite3_busy_timeout(c->h, BUSY_TIMEOUT_MS);
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

/* Makes path (when create: creating it empty) readable by its owner only. SQLite creates a database file 0644
 * less the umask, and its -wal and -shm files with the database file's mode: a database created here 0600 keeps
 * all three private whatever the data directory's mode or the umask. Files an earlier version left open to others
 * are closed to them. */
static int make_private(const char *path, bool create)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);

	if (fd < 0) {
		if (!create && errno == ENOENT)
			return C_OK;
		log_warn("sqlite: cannot open %s", path);
		return C_ERR;
	}
	if (fstat(fd, &st) != 0 || ((st.st_mode & 077) && fchmod(fd, 0600) != 0)) {
		log_warn("sqlite: cannot make %s private (mode 0600)", path);
		close(fd);
		return C_ERR;
	}
	close(fd);
	return C_OK;
}

/* make_private for the database file and the -wal and -shm files SQLite keeps beside it. */
static int make_files_private(const char *path)
{
	static const char *const suffixes[] = {"-wal", "-shm"};
	char side[4096];

	if (make_private(path, true) != C_OK)
		return C_ERR;
	for (size_t i = 0; i < ARRAY_LEN(suffixes); i++) {
		if ((size_t)snprintf(side, sizeof(side), "%s%s", path, suffixes[i]) >= sizeof(side) ||
		    make_private(side, false) != C_OK)
			return C_ERR;
	}
	return C_OK;
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
	db->backend = DB_BACKEND_SQLITE;
	n = strlen(dir) + 1 + strlen(file) + 1;
	db->path = malloc(n);
	if (!db->path) {
		free(db);
		return NULL;
	}
	snprintf(db->path, n, "%s/%s", dir, file);
	pthread_key_create(&db->key, NULL);
	pthread_mutex_init(&db->mu, NULL);
	pthread_mutex_init(&db->write_mu, NULL);
	db->cache = rowcache_new(ROW_CACHE_SLOTS);
	if (!db->cache || make_files_private(db->path) != C_OK || !conn_open(db)) {
		db_close_sqlite(db);
		return NULL;
	}
	return db;
}

void db_close_sqlite(struct db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->nconns; i++)
		conn_close(db->conns[i]);
	free(db->conns);
	rowcache_free(db->cache);
	pthread_key_delete(db->key);
	pthread_mutex_destroy(&db->mu);
	pthread_mutex_destroy(&db->write_mu);
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

uint64_t db_generation_sqlite(struct db *db) { return atomic_load(&db->generation); }

int db_begin_stats_sqlite(struct db *db, struct db_tx **txp)
{
	int rc = db_begin_sqlite(db, true, txp);

	if (rc == C_OK)
		(*txp)->stats = true;
	return rc;
}

int db_begin_append_sqlite(struct db *db, struct db_tx **txp)
{
	int rc = db_begin_sqlite(db, true, txp);

	if (rc == C_OK)
		(*txp)->stats = (*txp)->append = true;
	return rc;
}

/* Takes db->write_mu, waiting at most as long as SQLite's busy timeout would (a writer that never ends is a bug to
 * report, not to wait for forever). */
static int lock_writer(struct db *db)
{
	struct timespec until;
	int rc;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += BUSY_TIMEOUT_MS / 1000;
	rc = pthread_mutex_timedlock(&db->write_mu, &until);
	if (rc != 0) {
		log_warnx("sqlite: %s: no write transaction within %d s (%s)", db->path, BUSY_TIMEOUT_MS / 1000, strerror(rc));
		return C_ERR;
	}
	return C_OK;
}

int db_begin_sqlite(struct db *db, bool write, struct db_tx **txp)
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
	tx->backend = DB_BACKEND_SQLITE;
	tx->c = c;
	tx->db = db;
	tx->write = write;
	if (write) {
		if (lock_writer(db) != C_OK) {
			free(tx);
			return C_ERR;
		}
		if (control(c, sql_begin_immediate) != C_OK) {
			pthread_mutex_unlock(&db->write_mu);
			free(tx);
			return C_ERR;
		}
		tx->begun = true;
	} else {
		cache_view_begin(&tx->view, &db->clock, true);
	}
	c->tx = tx;
	*txp = tx;
	return C_OK;
}

/* Opens SQLite's transaction of a read-only tx at its first miss. */
static int tx_begin_sqlite(struct db_tx *tx)
{
	if (tx->begun)
		return C_OK;
	if (control(tx->c, sql_begin) != C_OK)
		return C_ERR;
	tx->begun = true;
	return C_OK;
}

int db_commit_sqlite(struct db_tx *tx)
{
	struct db_conn *c = tx->c;
	bool advances = tx->write && !tx->append;
	int rc = C_OK;

	if (advances) {
		cache_clock_commit_begin(&tx->db->clock, "sqlite");
	}
	if (tx->begun) {
		rc = control(c, sql_commit);
		if (rc != C_OK)
			control(c, sql_rollback);
	}
	if (advances) {
		cache_clock_commit_end(&tx->db->clock);
		if (rc == C_OK && !tx->stats)
			atomic_fetch_add(&tx->db->generation, 1);
	}
	cache_view_unpin(&tx->view, &tx->db->clock);
	c->tx = NULL;
	if (tx->write)
		pthread_mutex_unlock(&tx->db->write_mu);
	free(tx);
	return rc;
}

void db_rollback_sqlite(struct db_tx *tx)
{
	struct db_conn *c = tx->c;

	if (tx->begun && !sqlite3_get_autocommit(c->h))
		control(c, sql_rollback);
	cache_view_unpin(&tx->view, &tx->db->clock);
	c->tx = NULL;
	if (tx->write)
		pthread_mutex_unlock(&tx->db->write_mu);
	free(tx);
}

int db_exec_sqlite(struct db_tx *tx, const char *sql, const struct db_val *args, size_t nargs, int64_t *changes)
{
	sqlite3_stmt *st;
	int rc;

	if (tx_begin_sqlite(tx) != C_OK)
		return C_ERR;
	st = stmt_get(tx->c, sql);
	if (!st || bind_all(tx->c, st, args, nargs) != C_OK) {
		if (st)
			stmt_release(st);
		return C_ERR;
	}
	rc = sqlite3_step(st);
	cache_view_fixed(&tx->view, &tx->db->clock);
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(st);
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

int db_exec_script_sqlite(struct db_tx *tx, const char *sql)
{
	return conn_pragma(tx->c->h, sql);
}

/* Starts a query: from the cache when the tx may use it and the result is there, else from SQLite (recording the
 * result when it may be cached). */
static struct db_rows *query(struct db_tx *tx, const char *sql, const struct db_val *args, size_t nargs, bool cache)
{
	struct db_rows *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->backend = DB_BACKEND_SQLITE;
	r->c = tx->c;
	r->tx = tx;
	cache = cache && tx->view.use_cache && rowcache_key(sql, args, nargs, &r->key) == C_OK;
	if (cache && (r->cached = rowcache_get(tx->db->cache, &r->key, tx->view.version))) {
		if (cache_view_pin(&tx->view, &tx->db->clock))
			return r;
		rowset_release(r->cached); /* the version moved on before the tx was pinned: read SQLite */
		r->cached = NULL;
		cache = false;
	}
	if (tx_begin_sqlite(tx) != C_OK) {
		r->failed = true;
		return r;
	}
	r->st = stmt_get(tx->c, sql);
	if (!r->st || bind_all(tx->c, r->st, args, nargs) != C_OK)
		r->failed = true;
	else if (cache)
		r->rec = rowset_builder_new(sqlite3_column_count(r->st)); /* NULL (no memory): just not recorded */
	return r;
}

struct db_rows *db_query_sqlite(struct db_tx *tx, const char *sql, const struct db_val *args, size_t nargs)
{
	return query(tx, sql, args, nargs, true);
}

struct db_rows *db_query_fresh_sqlite(struct db_tx *tx, const char *sql, const struct db_val *args, size_t nargs)
{
	return query(tx, sql, args, nargs, false);
}

/* Adds the current row to the recording; drops the recording if it outgrows the cache's limit. */
static void record_row(struct db_rows *r)
{
	int n = sqlite3_column_count(r->st);

	for (int col = 0; col < n && r->rec; col++) {
		int type = sqlite3_column_type(r->st, col);
		const void *p = NULL;
		size_t len = 0;
		enum db_type t;
		if (type == SQLITE_NULL) {
			t = DB_T_NULL;
		} else if (type == SQLITE_INTEGER) {
			t = DB_T_INT;
		} else {
			/* text (and anything else, as its text); blobs as their bytes. The bytes first: asking for the
			 * integer form does not convert the stored text, but asking for text after a blob would. */
			t = type == SQLITE_BLOB ? DB_T_BLOB : DB_T_TEXT;
			p = t == DB_T_BLOB ? sqlite3_column_blob(r->st, col) : (const void *)sqlite3_column_text(r->st, col);
			len = (size_t)sqlite3_column_bytes(r->st, col);
		}
		if (rowset_builder_cell(r->rec, t, t == DB_T_NULL ? 0 : sqlite3_column_int64(r->st, col), p, len) != C_OK) {
			rowset_builder_free(r->rec);
			r->rec = NULL;
		}
	}
}

/* The query reached its end: its recording, if any, goes into the cache at the tx's (checked) version. */
static void record_done(struct db_rows *r)
{
	struct rowset *rs;

	if (!r->rec)
		return;
	rs = r->tx->view.use_cache ? rowset_builder_finish(r->rec, &r->key) : NULL;
	if (!r->tx->view.use_cache)
		rowset_builder_free(r->rec);
	r->rec = NULL;
	if (rs)
		rowcache_put(r->tx->db->cache, r->key.hash, r->tx->view.version, rs);
}

int db_step_sqlite(struct db_rows *r)
{
	int rc;

	if (!r || r->failed)
		return C_ERR;
	if (r->cached) {
		if (r->row >= rowset_rows(r->cached))
			return DB_DONE;
		r->row++;
		return DB_ROW;
	}
	rc = sqlite3_step(r->st);
	cache_view_fixed(&r->tx->view, &r->tx->db->clock);
	if (rc == SQLITE_ROW) {
		if (r->rec)
			record_row(r);
		return DB_ROW;
	}
	if (rc == SQLITE_DONE) {
		r->done = true;
		record_done(r);
		return DB_DONE;
	}
	log_warnx("sqlite: step: %s", sqlite3_errmsg(r->c->h));
	r->failed = true;
	return C_ERR;
}

int64_t db_col_int_sqlite(struct db_rows *r, int col)
{
	return r->cached ? rowset_int(r->cached, r->row - 1, col) : sqlite3_column_int64(r->st, col);
}

const char *db_col_text_sqlite(struct db_rows *r, int col)
{
	if (r->cached)
		return rowset_text(r->cached, r->row - 1, col, NULL);
	return (const char *)sqlite3_column_text(r->st, col);
}

const void *db_col_blob_sqlite(struct db_rows *r, int col, size_t *len)
{
	const void *p;

	if (r->cached)
		return rowset_text(r->cached, r->row - 1, col, len);
	p = sqlite3_column_blob(r->st, col);
	*len = (size_t)sqlite3_column_bytes(r->st, col);
	return p;
}

bool db_col_is_null_sqlite(struct db_rows *r, int col)
{
	if (r->cached)
		return rowset_is_null(r->cached, r->row - 1, col);
	return sqlite3_column_type(r->st, col) == SQLITE_NULL;
}

enum db_type db_col_type_sqlite(struct db_rows *r, int col)
{
	if (r->cached)
		return rowset_type(r->cached, r->row - 1, col);
	switch (sqlite3_column_type(r->st, col)) {
	case SQLITE_NULL: return DB_T_NULL;
	case SQLITE_INTEGER: return DB_T_INT;
	case SQLITE_BLOB: return DB_T_BLOB;
	default: return DB_T_TEXT; /* text (STRICT tables hold no REAL here; one would be copied as its text) */
	}
}

int db_col_copy_sqlite(struct db_rows *r, int col, char *dst, size_t cap)
{
	size_t n = 0;
	const char *s;

	if (r->cached) {
		s = rowset_text(r->cached, r->row - 1, col, &n);
	} else {
		s = db_col_text_sqlite(r, col);
		n = s ? (size_t)sqlite3_column_bytes(r->st, col) : 0;
	}
	if (n >= cap) {
		dst[0] = '\0';
		return C_ERR;
	}
	if (n)
		memcpy(dst, s, n);
	dst[n] = '\0';
	return C_OK;
}

void db_rows_done_sqlite(struct db_rows *r)
{
	if (!r)
		return;
	/* A caller that stopped early (a lookup by key reads one row): a few more steps finish the recording. */
	for (int i = 0; r->rec && !r->done && !r->failed && i <= RECORD_AFTER_DONE; i++)
		db_step_sqlite(r);
	rowset_builder_free(r->rec);
	rowset_release(r->cached);
	if (r->st)
		stmt_release(r->st);
	free(r);
}
