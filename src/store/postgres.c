/*
 * postgres.c - the PostgreSQL backend of db.h, over libpq.
 *
 * One connection per thread, as sqlite.c: opened on the thread's first db_begin, re-opened (PQreset, which follows a
 * multi-host conninfo with target_session_attrs=read-write to a promoted standby) by the next db_begin after it
 * broke. A failure inside a transaction is C_ERR, which callers answer with ServiceFailure: never a guess.
 *
 * Statements are prepared once per connection, named after a slot of a cache keyed by the address of the SQL
 * literal (every SQL string in rolegate is one), with ?N rewritten to $N (pgsql.h). Parameter types: integers
 * int8, text and NULLs text, blobs bytea (binary); a statement PostgreSQL cannot type that way (an integer given
 * to a function of int4, a NULL compared with a number) is prepared again with those types left to the server. Preparing inside a transaction runs under a savepoint, so a refused form does not abort it. Results come
 * as text; db_col_int reads booleans as 1 / 0 and db_col_blob decodes bytea.
 *
 * Write transactions serialize across every node like SQLite's BEGIN IMMEDIATE: BEGIN, then a transaction-level
 * advisory lock (WRITE_LOCK) that each of them takes first, so every read-check-write in the code (MFA counters,
 * lockouts, quotas, name checks) sees the writes of the one before it. They run READ COMMITTED, so each statement
 * after the lock sees everything committed before; read-only transactions run REPEATABLE READ READ ONLY (one
 * snapshot, as SQLite's read transaction). db_begin_stats takes no lock: its writes are blind (an audit INSERT, a
 * last-used UPDATE of one row).
 *
 * db_generation: this node's commits advance it; every other write commits with NOTIFY rolegate_writes, which a
 * listener thread on its own connection receives (delivered at commit) and counts. While the listener is not
 * connected, db_generation returns a new value at every call, so that no cache entry tagged with one is ever found
 * again (fail closed); when it reconnects it advances once more.
 *
 * Results of read-only transactions are cached (rowcache.h) as in sqlite.c, under the version of cachepin.h, which
 * this node's write transactions advance seqlock-style (odd while one commits: it waits for the readers pinned
 * between two cached answers) and the listener advances by two at each other node's commit (db_begin_stats ones
 * too: they NOTIFY with the payload "stats", which leaves the generation alone). A read-only
 * transaction opens PostgreSQL's (REPEATABLE READ: one snapshot) only at its first miss, so one answered from the
 * cache costs no round trip; its first statement fixes the snapshot, which is then checked against the version as
 * sqlite.c does. The cache is off while the listener is down. What a NOTIFY cannot close: another node's commit is
 * seen here once its notification arrives (milliseconds), so for that long a transaction may still be answered
 * with the state before it. db_query_fresh always asks the server.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/db.h"
#include "store/cachepin.h"
#include "store/db_backend.h"
#include "store/pgsql.h"
#include "store/pq_api.h"
#include "store/rowcache.h"
#include "util/common.h"
#include "util/log.h"
#include "util/timeutil.h"

#define STMT_CACHE 512 /* power of two */
#define SQL_MAX 16384  /* the longest statement after ?N -> $N */
#define MAX_PARAMS 256 /* store_audit_append_many: 16 rows x the audit's columns */
#define WRITE_LOCK "7521687310049730305" /* pg_advisory_xact_lock key of write transactions ("rolegate" ASCII-ish) */
#define CHANNEL "rolegate_writes"
#define LISTEN_POLL_MS 200
#define FRESH_US 1000000 /* conn_fresh: a connection that answered this recently */
#define ROW_CACHE_SLOTS 4096 /* x ROWCACHE_ENTRY_MAX: at most 64 MiB of cached results per database */
#define BYTEAOID 17
#define INT8OID 20
#define TEXTOID 25
#define BOOLOID 16
#define INT2OID 21
#define INT4OID 23

struct stmt_slot {
	const char *sql;
	char name[16];
};

struct db_conn {
	PGconn *h;
	struct stmt_slot cache[STMT_CACHE];
	unsigned nstmts;
	struct db_tx *tx;
	int64_t answered_us; /* mono_us() of its last committed transaction (conn_fresh) */
};

struct db_tx {
	enum db_backend backend; /* first: see db_backend.h */
	struct db_conn *c;
	struct db *db;
	bool write;
	bool stats;
	bool append; /* db_begin_append: advances nothing, tells no one */
	bool begun;     /* PostgreSQL's transaction is open (a read-only one opens at its first miss) */
	struct cache_view view; /* read-only: when it may answer from the cache (cachepin.h) */
	bool failed;    /* a statement failed: PostgreSQL aborted the transaction; commit rolls back */
	bool savepoint; /* rg_stmt is set (see savepoint()) */
	bool pipelined; /* an append transaction's statements are queued in libpq's pipeline mode (exec_queued) */
	int queued;     /* queries sent in the pipeline whose results are not read yet */
};

struct db_rows {
	enum db_backend backend; /* first: see db_backend.h */
	struct db_tx *tx;
	PGresult *res;
	int row; /* the current row; -1 before the first */
	bool failed;
	struct rowset *cached; /* answered from the cache: rows are read from here */
	unsigned char *blob; /* the decoded bytea of the last db_col_blob */
};

struct db {
	enum db_backend backend; /* first: see db_backend.h */
	char *conninfo;
	pthread_key_t key;
	pthread_mutex_t mu;
	struct db_conn **conns;
	size_t nconns;
	atomic_uint_fast64_t generation;
	struct cache_clock clock; /* the version of the cached results (cachepin.h) */
	struct rowcache *cache;
	atomic_bool listening; /* the listener is connected and LISTENing */
	atomic_bool stop;
	bool listener_started;
	pthread_t listener;
};

static int pipe_end(struct db_tx *tx, bool commit_last);

/* ---- connections --------------------------------------------------------------------------------------------- */

/* The host part of the connection (never the conninfo: it may hold a password). */
static const char *conn_where(PGconn *h)
{
	const char *host = h ? PQhost(h) : NULL;

	return host && *host ? host : "(default)";
}

/* Runs a statement without parameters; C_OK when it succeeded. */
static int simple(PGconn *h, const char *sql, bool quiet)
{
	PGresult *res = PQexec(h, sql);
	ExecStatusType st = PQresultStatus(res);
	int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? C_OK : C_ERR;

	if (rc != C_OK && !quiet)
		log_warnx("postgres: %.60s: %s", sql, PQerrorMessage(h));
	PQclear(res);
	return rc;
}

/* The settings every connection gets: durable commits, no statement left waiting forever on a lock. */
static int conn_setup(PGconn *h)
{
	return simple(h, "SET synchronous_commit TO on; SET lock_timeout TO '10s'; SET client_min_messages TO warning",
	              false);
}

static PGconn *connect_db(const char *conninfo)
{
	PGconn *h = PQconnectdb(conninfo);

	if (!h)
		return NULL;
	if (PQstatus(h) != CONNECTION_OK) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(h));
		msg[strcspn(msg, "\n")] = '\0';
		log_warnx("postgres: cannot connect: %s", msg);
		PQfinish(h);
		return NULL;
	}
	if (conn_setup(h) != C_OK) {
		PQfinish(h);
		return NULL;
	}
	return h;
}

static struct db_conn *conn_open(struct db *db)
{
	struct db_conn *c = calloc(1, sizeof(*c)), **grown;

	if (!c)
		return NULL;
	c->h = connect_db(db->conninfo);
	if (!c->h) {
		free(c);
		return NULL;
	}
	pthread_mutex_lock(&db->mu);
	grown = realloc(db->conns, (db->nconns + 1) * sizeof(*grown));
	if (grown) {
		db->conns = grown;
		db->conns[db->nconns++] = c;
	}
	pthread_mutex_unlock(&db->mu);
	if (!grown) {
		PQfinish(c->h);
		free(c);
		return NULL;
	}
	pthread_setspecific(db->key, c);
	return c;
}

/* Reconnects a broken connection; its prepared statements are gone with it. */
static int conn_reset(struct db_conn *c)
{
	memset(c->cache, 0, sizeof(c->cache));
	PQreset(c->h);
	if (PQstatus(c->h) != CONNECTION_OK) {
		log_warnx("postgres: cannot reconnect to %s", conn_where(c->h));
		return C_ERR;
	}
	if (conn_setup(c->h) != C_OK)
		return C_ERR;
	log_info("postgres: reconnected to %s", conn_where(c->h));
	return C_OK;
}

static struct db_conn *conn_get(struct db *db)
{
	struct db_conn *c = pthread_getspecific(db->key);

	return c ? c : conn_open(db);
}

/* ---- the listener: other nodes' commits ----------------------------------------------------------------------- */

static PGconn *listener_connect(struct db *db)
{
	PGconn *h = connect_db(db->conninfo);

	if (h && simple(h, "LISTEN " CHANNEL, false) != C_OK) {
		PQfinish(h);
		h = NULL;
	}
	return h;
}

static void *listener_main(void *arg)
{
	struct db *db = arg;
	PGconn *h = NULL;

	while (!atomic_load(&db->stop)) {
		struct pollfd pfd;
		PGnotify *n;
		if (!h) {
			h = listener_connect(db);
			if (!h) {
				struct timespec nap = {0, LISTEN_POLL_MS * 1000000L};
				nanosleep(&nap, NULL);
				continue;
			}
			/* whatever was written while it was away: every cached entry is older than this */
			atomic_fetch_add(&db->generation, 1);
			cache_clock_advance(&db->clock);
			atomic_store(&db->listening, true);
		}
		pfd = (struct pollfd){.fd = PQsocket(h), .events = POLLIN};
		if (poll(&pfd, 1, LISTEN_POLL_MS) < 0)
			continue;
		if (!PQconsumeInput(h) || PQstatus(h) != CONNECTION_OK) {
			atomic_store(&db->listening, false);
			log_warnx("postgres: lost the notification connection to %s; caches off until it is back",
			          conn_where(h));
			PQfinish(h);
			h = NULL;
			continue;
		}
		while ((n = PQnotifies(h))) {
			/* a stats commit (payload "stats") changes what queries answer, not what the generation's
			 * caches hold */
			if (strcmp(n->extra, "stats") != 0)
				atomic_fetch_add(&db->generation, 1);
			cache_clock_advance(&db->clock); /* the parity is this node's committer's */
			PQfreemem(n);
		}
	}
	atomic_store(&db->listening, false);
	PQfinish(h);
	return NULL;
}

/* ---- open / close --------------------------------------------------------------------------------------------- */

struct db *db_open_postgres(const char *conninfo)
{
	struct db *db = calloc(1, sizeof(*db));

	if (!db)
		return NULL;
	db->backend = DB_BACKEND_POSTGRES;
	db->conninfo = strdup(conninfo);
	if (!db->conninfo) {
		free(db);
		return NULL;
	}
	pthread_key_create(&db->key, NULL);
	pthread_mutex_init(&db->mu, NULL);
	db->cache = rowcache_new(ROW_CACHE_SLOTS);
	if (!db->cache || !conn_open(db))
		goto fail;
	if (pthread_create(&db->listener, NULL, listener_main, db) != 0)
		goto fail;
	db->listener_started = true;
	return db;
fail:
	db_close(db);
	return NULL;
}

void db_close_postgres(struct db *db)
{
	if (!db)
		return;
	atomic_store(&db->stop, true);
	if (db->listener_started)
		pthread_join(db->listener, NULL);
	for (size_t i = 0; i < db->nconns; i++) {
		PQfinish(db->conns[i]->h);
		free(db->conns[i]);
	}
	free(db->conns);
	rowcache_free(db->cache);
	pthread_key_delete(db->key);
	pthread_mutex_destroy(&db->mu);
	explicit_bzero(db->conninfo, strlen(db->conninfo)); /* may hold a password */
	free(db->conninfo);
	free(db);
}

uint64_t db_generation_postgres(struct db *db)
{
	if (!atomic_load(&db->listening))
		return atomic_fetch_add(&db->generation, 1) + 1; /* never the same twice: no cache entry is used */
	return atomic_load(&db->generation);
}

/* ---- statements ----------------------------------------------------------------------------------------------- */

/* Prepares sql as name with the given parameter types; quiet: a refusal is expected and handled by the caller. */
static int prepare_as(struct db_conn *c, const char *name, const char *text, const Oid *types, int n, bool quiet)
{
	PGresult *res = PQprepare(c->h, name, text, n, types);
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? C_OK : C_ERR;

	if (rc != C_OK && !quiet) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(res));
		msg[strcspn(msg, "\n")] = '\0';
		log_warnx("postgres: prepare: %s: %.300s", msg, text);
	}
	PQclear(res);
	return rc;
}

/*
 * Prepares sql (rewritten) as name: first with int8 / text / bytea parameters, else with the integers' and NULLs'
 * types left to the server, else with every type but bytea left to it. In a transaction each try runs under a
 * savepoint, so a refused try leaves the transaction usable.
 */
static int prepare(struct db_conn *c, const char *name, const char *sql, const struct db_val *args, int n)
{
	char text[SQL_MAX];
	Oid types[MAX_PARAMS];
	bool in_tx = PQtransactionStatus(c->h) == PQTRANS_INTRANS;
	int rc = C_ERR;

	if (pgsql_rewrite_params(sql, text, sizeof(text)) != C_OK) {
		log_warnx("postgres: cannot rewrite the parameters of: %.200s", sql);
		return C_ERR;
	}
	/* the types of an integer, a text and a NULL in each try (a NULL is most often an absent text) */
	static const Oid tries[][3] = {{INT8OID, TEXTOID, TEXTOID}, {0, TEXTOID, TEXTOID}, {INT8OID, TEXTOID, 0}, {0, 0, 0}};
	for (size_t pass = 0; pass < ARRAY_LEN(tries) && rc != C_OK; pass++) {
		for (int i = 0; i < n; i++) {
			switch (args[i].type) {
			case DB_T_BLOB: types[i] = BYTEAOID; break;
			case DB_T_INT: types[i] = tries[pass][0]; break;
			case DB_T_TEXT: types[i] = tries[pass][1]; break;
			default: types[i] = tries[pass][2]; break;
			}
		}
		if (in_tx && simple(c->h, "SAVEPOINT rg_prepare", false) != C_OK)
			return C_ERR;
		rc = prepare_as(c, name, text, types, n, pass + 1 < ARRAY_LEN(tries));
		if (in_tx && simple(c->h, rc == C_OK ? "RELEASE SAVEPOINT rg_prepare" : "ROLLBACK TO SAVEPOINT rg_prepare",
		                    false) != C_OK)
			return C_ERR;
	}
	return rc;
}

/* The name of sql's prepared statement on c, or NULL when c has not prepared it yet. */
static const char *stmt_find(const struct db_conn *c, const char *sql)
{
	size_t h = ((uintptr_t)sql >> 3) & (STMT_CACHE - 1);

	for (size_t i = 0; i < STMT_CACHE; i++) {
		const struct stmt_slot *s = &c->cache[(h + i) & (STMT_CACHE - 1)];
		if (s->sql == sql)
			return s->name;
		if (!s->sql)
			return NULL;
	}
	return NULL;
}

/* The name of sql's prepared statement on c, preparing it on first use. */
static const char *stmt_get(struct db_conn *c, const char *sql, const struct db_val *args, int n)
{
	size_t h = ((uintptr_t)sql >> 3) & (STMT_CACHE - 1);

	for (size_t i = 0; i < STMT_CACHE; i++) {
		struct stmt_slot *s = &c->cache[(h + i) & (STMT_CACHE - 1)];
		if (s->sql == sql)
			return s->name;
		if (!s->sql) {
			char name[16];
			snprintf(name, sizeof(name), "rg%u", c->nstmts++);
			if (prepare(c, name, sql, args, n) != C_OK)
				return NULL;
			s->sql = sql;
			memcpy(s->name, name, sizeof(name));
			return s->name;
		}
	}
	log_warnx("postgres: statement cache full");
	return NULL;
}

/* A statement's parameters as libpq takes them: integers as text, blobs binary. */
struct params {
	const char *values[MAX_PARAMS];
	int lengths[MAX_PARAMS], formats[MAX_PARAMS];
	char ints[MAX_PARAMS][24];
};

static void params_fill(struct params *p, const struct db_val *args, size_t nargs)
{
	for (size_t i = 0; i < nargs; i++) {
		p->lengths[i] = 0;
		p->formats[i] = 0;
		switch (args[i].type) {
		case DB_T_INT:
			snprintf(p->ints[i], sizeof(p->ints[i]), "%lld", (long long)args[i].i);
			p->values[i] = p->ints[i];
			break;
		case DB_T_TEXT: p->values[i] = args[i].p; break;
		case DB_T_BLOB:
			p->values[i] = args[i].p ? args[i].p : "";
			p->lengths[i] = (int)args[i].len;
			p->formats[i] = 1;
			break;
		default: p->values[i] = NULL; break;
		}
	}
}

/* Whether a statement of the tx may run: none failed before it, and its parameters fit. */
static bool may_run(struct db_tx *tx, size_t nargs)
{
	if (tx->failed) {
		log_warnx("postgres: a statement after a failed one in the same transaction");
		return false;
	}
	if (nargs > MAX_PARAMS) {
		log_warnx("postgres: %zu parameters", nargs);
		return false;
	}
	return true;
}

/* Runs sql with args on the tx's connection. The result (NULL when the connection is gone). */
static PGresult *run(struct db_tx *tx, const char *sql, const struct db_val *args, size_t nargs)
{
	struct params p;
	const char *name;
	PGresult *res;

	if (!may_run(tx, nargs) || (tx->pipelined && pipe_end(tx, false) != C_OK))
		return NULL;
	name = stmt_get(tx->c, sql, args, (int)nargs);
	if (!name) {
		tx->failed = true;
		return NULL;
	}
	params_fill(&p, args, nargs);
	res = PQexecPrepared(tx->c->h, name, (int)nargs, p.values, p.lengths, p.formats, 0);
	if (!res)
		tx->failed = true;
	return res;
}

/* The SQLSTATE of a failed result ("" when there is none: the connection failed). */
static const char *sqlstate(const PGresult *res)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return s ? s : "";
}

/* Logs a failed statement (the first line of the message; the SQL text up to a bound). */
static void log_failure(struct db_tx *tx, const PGresult *res, const char *what, const char *sql)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s", res ? PQresultErrorMessage(res) : PQerrorMessage(tx->c->h));
	msg[strcspn(msg, "\n")] = '\0';
	log_warnx("postgres: %s: %s [%s]: %.160s", what, msg, sqlstate(res), sql);
}

/* ---- transactions --------------------------------------------------------------------------------------------- */

static const char *begin_sql(bool write, bool stats)
{
	if (write && !stats)
		return "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(" WRITE_LOCK ")";
	if (write)
		return "BEGIN ISOLATION LEVEL READ COMMITTED";
	return "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
}

/* Opens PostgreSQL's transaction on c with sql (begin_sql); a connection that broke since it was last used shows
 * it here, and is tried once more, fresh. */
static int open_tx(struct db_conn *c, const char *sql)
{
	if (PQstatus(c->h) != CONNECTION_OK && conn_reset(c) != C_OK)
		return C_ERR;
	if (PQtransactionStatus(c->h) != PQTRANS_IDLE)
		simple(c->h, "ROLLBACK", true); /* left over from a failure: start clean */
	if (simple(c->h, sql, true) == C_OK)
		return C_OK;
	if (PQstatus(c->h) == CONNECTION_OK || conn_reset(c) != C_OK || simple(c->h, sql, false) != C_OK) {
		if (PQstatus(c->h) == CONNECTION_OK && PQtransactionStatus(c->h) != PQTRANS_IDLE)
			simple(c->h, "ROLLBACK", true);
		return C_ERR;
	}
	return C_OK;
}

/* Whether the server has said nothing on idle c: a server that shuts down sends its FATAL and closes, which waits
 * unread on the socket until the connection is next used. One poll, no wait. */
static bool conn_quiet(const struct db_conn *c)
{
	struct pollfd p = {.fd = PQsocket(c->h), .events = POLLIN};

	return p.fd >= 0 && poll(&p, 1, 0) == 0;
}

/* Whether c answered a transaction within FRESH_US, is idle and quiet: then an append transaction's BEGIN is queued
 * with its statements (pipe_begin). One idle longer may have broken unseen (a restarted server), and one the server
 * has hung up on says so on its socket: open_tx's synchronous BEGIN finds that out and reconnects before anything
 * is written. */
static bool conn_fresh(const struct db_conn *c)
{
	return PQstatus(c->h) == CONNECTION_OK && PQtransactionStatus(c->h) == PQTRANS_IDLE &&
	       mono_us() - c->answered_us < FRESH_US && conn_quiet(c);
}

/* An append transaction's BEGIN, queued in the pipeline: its result is read with the statements' at the commit, a
 * round trip less per transaction. Should it fail, so does the transaction (its records are reported failed). */
static int pipe_begin(struct db_tx *tx)
{
	if (PQenterPipelineMode(tx->c->h) != 1)
		return C_ERR;
	tx->pipelined = true;
	if (PQsendQueryParams(tx->c->h, begin_sql(true, true), 0, NULL, NULL, NULL, NULL, 0) != 1) {
		log_warnx("postgres: cannot queue BEGIN: %s", PQerrorMessage(tx->c->h));
		pipe_end(tx, false);
		return C_ERR;
	}
	tx->queued++;
	return C_OK;
}

static int begin(struct db *db, bool write, bool stats, bool append, struct db_tx **txp)
{
	struct db_conn *c = conn_get(db);
	struct db_tx *tx;

	if (!c)
		return C_ERR;
	if (c->tx) {
		log_warnx("postgres: nested transaction");
		return C_ERR;
	}
	tx = calloc(1, sizeof(*tx));
	if (!tx)
		return C_ERR;
	tx->backend = DB_BACKEND_POSTGRES;
	tx->c = c;
	tx->db = db;
	tx->write = write;
	tx->stats = stats;
	tx->append = append;
	if (write) {
		if ((append && conn_fresh(c) ? pipe_begin(tx) : open_tx(c, begin_sql(write, stats))) != C_OK) {
			free(tx);
			return C_ERR;
		}
		tx->begun = true;
	} else {
		/* odd: this node is committing; not listening: other nodes' writes would go unseen. Read the server. */
		cache_view_begin(&tx->view, &db->clock, atomic_load(&db->listening));
	}
	c->tx = tx;
	*txp = tx;
	return C_OK;
}

/* Opens PostgreSQL's transaction of a read-only tx at its first miss. */
static int tx_open(struct db_tx *tx)
{
	if (tx->begun)
		return C_OK;
	if (open_tx(tx->c, begin_sql(false, false)) != C_OK) {
		tx->failed = true;
		return C_ERR;
	}
	tx->begun = true;
	return C_OK;
}

int db_begin_postgres(struct db *db, bool write, struct db_tx **txp)
{
	return begin(db, write, false, false, txp);
}

int db_begin_stats_postgres(struct db *db, struct db_tx **txp)
{
	return begin(db, true, true, false, txp);
}

int db_begin_append_postgres(struct db *db, struct db_tx **txp)
{
	return begin(db, true, true, true, txp);
}

int db_commit_postgres(struct db_tx *tx)
{
	struct db_conn *c = tx->c;
	bool advances = tx->write && !tx->append;
	int rc = C_ERR;

	if (advances) {
		cache_clock_commit_begin(&tx->db->clock, "postgres");
	}
	if (tx->pipelined && !tx->failed) {
		/* an append transaction's queued statements: COMMIT joins them, one round trip for all */
		if (PQsendQueryParams(c->h, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) == 1) {
			tx->queued++;
			rc = pipe_end(tx, true);
		} else {
			log_warnx("postgres: cannot send COMMIT: %s", PQerrorMessage(c->h));
			tx->failed = true;
		}
	}
	if (tx->pipelined)
		pipe_end(tx, false); /* a failed statement's pipeline: read, so the connection is usable again */
	if (tx->failed) {
		log_warnx("postgres: commit of a transaction with a failed statement: rolled back");
		if (PQstatus(c->h) == CONNECTION_OK && PQtransactionStatus(c->h) != PQTRANS_IDLE)
			simple(c->h, "ROLLBACK", true);
	} else if (!tx->begun || rc == C_OK) {
		rc = C_OK; /* read-only, answered from the cache; or an append transaction's pipeline, committed */
	} else {
		/* NOTIFY is delivered to the listeners at commit, with it; a read-only tx has nothing to say */
		PGresult *res = PQexec(c->h, !tx->write || tx->append ? "COMMIT"
		                             : tx->stats ? "NOTIFY " CHANNEL ", 'stats'; COMMIT"
		                                         : "NOTIFY " CHANNEL "; COMMIT");
		/* COMMIT of an aborted transaction answers ROLLBACK, without an error */
		if (PQresultStatus(res) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(res), "COMMIT") == 0)
			rc = C_OK;
		else
			log_failure(tx, res, "commit", "COMMIT");
		PQclear(res);
		if (rc != C_OK && PQstatus(c->h) == CONNECTION_OK && PQtransactionStatus(c->h) != PQTRANS_IDLE)
			simple(c->h, "ROLLBACK", true);
	}
	if (rc == C_OK && tx->begun)
		c->answered_us = mono_us();
	if (advances) {
		/* even again, and on even if the commit failed: its outcome may be unknown (a lost connection) */
		cache_clock_commit_end(&tx->db->clock);
		if (!tx->stats)
			atomic_fetch_add(&tx->db->generation, 1);
	}
	cache_view_unpin(&tx->view, &tx->db->clock);
	c->tx = NULL;
	free(tx);
	return rc;
}

void db_rollback_postgres(struct db_tx *tx)
{
	struct db_conn *c = tx->c;

	if (tx->pipelined)
		pipe_end(tx, false);
	if (tx->begun && PQstatus(c->h) == CONNECTION_OK && PQtransactionStatus(c->h) != PQTRANS_IDLE)
		simple(c->h, "ROLLBACK", true);
	cache_view_unpin(&tx->view, &tx->db->clock);
	c->tx = NULL;
	free(tx);
}

/* ---- statements in a transaction ------------------------------------------------------------------------------ */

/*
 * Before a statement of a write transaction: a savepoint, so that a constraint it breaks undoes that statement
 * only and the transaction goes on, as in SQLite (callers take DB_CONSTRAINT as an answer: attaching what is
 * attached already). The previous statement's savepoint is released in the same round trip.
 */
static int savepoint(struct db_tx *tx)
{
	if (!tx->write || tx->stats || tx->failed)
		return C_OK;
	if (simple(tx->c->h, tx->savepoint ? "RELEASE SAVEPOINT rg_stmt; SAVEPOINT rg_stmt" : "SAVEPOINT rg_stmt",
	           false) != C_OK) {
		tx->failed = true;
		return C_ERR;
	}
	tx->savepoint = true;
	return C_OK;
}

/* ---- append transactions: their statements and COMMIT in one round trip ------------------------------------- */

/*
 * An append transaction (db_begin_append: the audit's group commit) writes rows and reads nothing back. Its BEGIN
 * (pipe_begin, on a connection that answered within FRESH_US; otherwise open_tx's synchronous one, which replaces a
 * connection found broken before anything is written), its statements and then its COMMIT are queued in libpq's
 * pipeline mode and their results read at the commit: one round trip for all of them, where each took its own. A statement this connection has not prepared yet is prepared first,
 * outside the pipeline (what was queued is read then): once per statement and connection. A failure anywhere fails
 * the transaction, which is rolled back, as before: the batch's records are reported failed, none is half-written.
 */

/* Ends the tx's pipeline: sends its sync, reads every queued result, leaves pipeline mode. C_OK when each queued
 * statement succeeded and, with commit_last, the last one (the COMMIT) committed. */
static int pipe_end(struct db_tx *tx, bool commit_last)
{
	PGconn *h = tx->c->h;
	bool synced = PQpipelineSync(h) == 1;
	int rc = synced ? C_OK : C_ERR;
	PGresult *res;

	while (synced && tx->queued > 0) {
		res = PQgetResult(h);
		if (!res) { /* the end of one query's results (on a lost connection: of each, at once) */
			tx->queued--;
			continue;
		}
		switch (PQresultStatus(res)) {
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
			/* COMMIT of an aborted transaction answers ROLLBACK, without an error */
			if (commit_last && tx->queued == 1 && strcmp(PQcmdStatus(res), "COMMIT") != 0)
				rc = C_ERR;
			break;
		case PGRES_PIPELINE_ABORTED: /* skipped after a failed statement, which was logged */
			rc = C_ERR;
			break;
		default:
			log_failure(tx, res, "pipelined statement", commit_last && tx->queued == 1 ? "COMMIT" : "(append)");
			rc = C_ERR;
			break;
		}
		PQclear(res);
	}
	if (synced) {
		res = PQgetResult(h); /* the sync's own */
		if (PQresultStatus(res) != PGRES_PIPELINE_SYNC)
			rc = C_ERR;
		PQclear(res);
	}
	tx->queued = 0;
	tx->pipelined = false;
	if (PQexitPipelineMode(h) != 1) {
		log_warnx("postgres: cannot leave pipeline mode (%s): reconnecting", PQerrorMessage(h));
		conn_reset(tx->c);
		rc = C_ERR;
	}
	if (rc != C_OK)
		tx->failed = true;
	return rc;
}

/* An append transaction's statement: queued in the pipeline; its result is read at the commit. */
static int exec_queued(struct db_tx *tx, const char *sql, const struct db_val *args, size_t nargs)
{
	struct params p;
	const char *name;

	if (!may_run(tx, nargs)) {
		tx->failed = true;
		return C_ERR;
	}
	name = stmt_find(tx->c, sql);
	if (!name) {
		if (tx->pipelined && pipe_end(tx, false) != C_OK)
			return C_ERR;
		if (!(name = stmt_get(tx->c, sql, args, (int)nargs))) {
			tx->failed = true;
			return C_ERR;
		}
	}
	if (!tx->pipelined) {
		if (PQenterPipelineMode(tx->c->h) != 1) {
			tx->failed = true;
			return C_ERR;
		}
		tx->pipelined = true;
	}
	params_fill(&p, args, nargs); /* libpq copies them into its output buffer now */
	if (PQsendQueryPrepared(tx->c->h, name, (int)nargs, p.values, p.lengths, p.formats, 0) != 1) {
		log_warnx("postgres: cannot queue a statement: %s", PQerrorMessage(tx->c->h));
		tx->failed = true;
		return C_ERR;
	}
	tx->queued++;
	return C_OK;
}

int db_exec_postgres(struct db_tx *tx, const char *sql, const struct db_val *args, size_t nargs, int64_t *changes)
{
	PGresult *res;
	ExecStatusType st;
	int rc = C_OK;

	if (tx->append && tx->begun && !changes) /* nobody waits for its count: queued */
		return exec_queued(tx, sql, args, nargs);
	if (tx_open(tx) != C_OK || savepoint(tx) != C_OK)
		return C_ERR;
	res = run(tx, sql, args, nargs);
	cache_view_fixed(&tx->view, &tx->db->clock);
	st = PQresultStatus(res);

	if (res && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)) {
		if (changes) {
			const char *n = PQcmdTuples(res);
			*changes = n && *n ? strtoll(n, NULL, 10) : 0;
		}
	} else {
		tx->failed = true;
		if (strncmp(sqlstate(res), "23", 2) == 0) {
			rc = DB_CONSTRAINT;
			/* the statement is undone, the transaction goes on (a stats transaction has no savepoint) */
			if (tx->savepoint && simple(tx->c->h, "ROLLBACK TO SAVEPOINT rg_stmt", false) == C_OK)
				tx->failed = false;
		} else {
			log_failure(tx, res, "exec", sql);
			rc = C_ERR;
		}
	}
	PQclear(res);
	return rc;
}

int db_exec_script_postgres(struct db_tx *tx, const char *sql)
{
	PGresult *res;
	int rc;

	if (tx_open(tx) != C_OK || (tx->pipelined && pipe_end(tx, false) != C_OK))
		return C_ERR;
	res = PQexec(tx->c->h, sql);
	rc = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK ? C_OK : C_ERR;

	if (rc != C_OK) {
		tx->failed = true;
		log_failure(tx, res, "script", sql);
	}
	PQclear(res);
	return rc;
}

/* ---- results: from the server or the cache ------------------------------------------------------------------- */

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decodes a bytea in text form (\x and two hex digits a byte: bytea_output = hex, the default) into a malloc'd
 * buffer of *len bytes. NULL when it is not in that form or memory ran out. */
static unsigned char *bytea_decode(const char *v, size_t n, size_t *len)
{
	unsigned char *out;

	if (n < 2 || v[0] != '\\' || v[1] != 'x' || n % 2) {
		log_warnx("postgres: a bytea value not in hex form");
		return NULL;
	}
	out = malloc(n / 2);
	if (!out)
		return NULL;
	for (size_t i = 2; i < n; i += 2) {
		int hi = hexval(v[i]), lo = hexval(v[i + 1]);
		if (hi < 0 || lo < 0) {
			free(out);
			return NULL;
		}
		out[(i - 2) / 2] = (unsigned char)(hi << 4 | lo);
	}
	*len = (n - 2) / 2;
	return out;
}

/* The integer form of a text cell: booleans as 1 / 0 (SQLite's comparisons give those), numbers as they read. */
static int64_t text_int(const char *v)
{
	if (v[0] == 't' && !v[1])
		return 1;
	if (v[0] == 'f' && !v[1])
		return 0;
	return strtoll(v, NULL, 10);
}

/* Records res as the result of key, at the tx's version, when the tx still may (its snapshot is that version's). */
static void record(struct db_tx *tx, const PGresult *res, const struct rowcache_key *key)
{
	int rows = PQntuples(res), cols = PQnfields(res);
	struct rowset_builder *b = rowset_builder_new(cols);
	struct rowset *rs;

	for (int row = 0; row < rows && b; row++) {
		for (int col = 0; col < cols && b; col++) {
			const char *v = PQgetvalue(res, row, col);
			size_t n = (size_t)PQgetlength(res, row, col), blen = 0;
			unsigned char *blob = NULL;
			int rc;
			if (PQgetisnull(res, row, col)) {
				rc = rowset_builder_cell(b, DB_T_NULL, 0, NULL, 0);
			} else if (PQftype(res, col) == BYTEAOID) {
				blob = bytea_decode(v, n, &blen);
				rc = blob ? rowset_builder_cell(b, DB_T_BLOB, 0, blob, blen) : C_ERR;
				if (blob)
					explicit_bzero(blob, blen); /* sealed secrets, but secrets */
				free(blob);
			} else {
				rc = rowset_builder_cell(b, DB_T_TEXT, text_int(v), v, n);
			}
			if (rc != C_OK) {
				rowset_builder_free(b);
				b = NULL;
			}
		}
	}
	if (!b)
		return;
	if (!tx->view.use_cache) {
		rowset_builder_free(b);
		return;
	}
	rs = rowset_builder_finish(b, key);
	if (rs)
		rowcache_put(tx->db->cache, key->hash, tx->view.version, rs);
}

/* Starts a query: from the cache when the tx may use it and the result is there, else from the server (recording
 * the result when it may be cached). */
static struct db_rows *query(struct db_tx *tx, const char *sql, const struct db_val *args, size_t nargs, bool cache)
{
	struct db_rows *r = calloc(1, sizeof(*r));
	struct rowcache_key key;

	if (!r)
		return NULL;
	r->backend = DB_BACKEND_POSTGRES;
	r->tx = tx;
	r->row = -1;
	cache = cache && tx->view.use_cache && rowcache_key(sql, args, nargs, &key) == C_OK;
	if (cache && (r->cached = rowcache_get(tx->db->cache, &key, tx->view.version))) {
		if (cache_view_pin(&tx->view, &tx->db->clock))
			return r;
		rowset_release(r->cached); /* the version moved on before the tx was pinned: read the server */
		r->cached = NULL;
		cache = false;
	}
	if (tx_open(tx) != C_OK) {
		r->failed = true;
		return r;
	}
	r->res = run(tx, sql, args, nargs);
	cache_view_fixed(&tx->view, &tx->db->clock);
	if (PQresultStatus(r->res) != PGRES_TUPLES_OK) {
		log_failure(tx, r->res, "query", sql);
		tx->failed = true;
		r->failed = true;
	} else if (cache) {
		record(tx, r->res, &key);
	}
	return r;
}

struct db_rows *db_query_postgres(struct db_tx *tx, const char *sql, const struct db_val *args, size_t nargs)
{
	return query(tx, sql, args, nargs, true);
}

struct db_rows *db_query_fresh_postgres(struct db_tx *tx, const char *sql, const struct db_val *args, size_t nargs)
{
	return query(tx, sql, args, nargs, false);
}

/* The number of rows of r. */
static int nrows(const struct db_rows *r)
{
	return r->cached ? (int)rowset_rows(r->cached) : PQntuples(r->res);
}

int db_step_postgres(struct db_rows *r)
{
	if (!r || r->failed)
		return C_ERR;
	free(r->blob);
	r->blob = NULL;
	if (r->row + 1 >= nrows(r)) {
		r->row = nrows(r);
		return DB_DONE;
	}
	r->row++;
	return DB_ROW;
}

/* Whether (row, col) is a cell of the server's result (not a cached one). */
static bool cell_ok(struct db_rows *r, int col)
{
	return r && !r->failed && !r->cached && r->row >= 0 && r->row < PQntuples(r->res) && col >= 0 &&
	       col < PQnfields(r->res);
}

int64_t db_col_int_postgres(struct db_rows *r, int col)
{
	if (r->cached)
		return rowset_int(r->cached, (size_t)r->row, col);
	if (!cell_ok(r, col) || PQgetisnull(r->res, r->row, col))
		return 0;
	return text_int(PQgetvalue(r->res, r->row, col));
}

const char *db_col_text_postgres(struct db_rows *r, int col)
{
	if (r->cached)
		return rowset_text(r->cached, (size_t)r->row, col, NULL);
	if (!cell_ok(r, col) || PQgetisnull(r->res, r->row, col))
		return NULL;
	return PQgetvalue(r->res, r->row, col);
}

const void *db_col_blob_postgres(struct db_rows *r, int col, size_t *len)
{
	const char *v;

	*len = 0;
	if (r->cached)
		return rowset_text(r->cached, (size_t)r->row, col, len);
	if (!cell_ok(r, col) || PQgetisnull(r->res, r->row, col))
		return NULL;
	v = PQgetvalue(r->res, r->row, col);
	if (PQftype(r->res, col) != BYTEAOID) {
		*len = (size_t)PQgetlength(r->res, r->row, col);
		return v;
	}
	free(r->blob);
	r->blob = bytea_decode(v, (size_t)PQgetlength(r->res, r->row, col), len);
	return r->blob;
}

bool db_col_is_null_postgres(struct db_rows *r, int col)
{
	if (r->cached)
		return rowset_is_null(r->cached, (size_t)r->row, col);
	return !cell_ok(r, col) || PQgetisnull(r->res, r->row, col);
}

enum db_type db_col_type_postgres(struct db_rows *r, int col)
{
	if (!cell_ok(r, col) || PQgetisnull(r->res, r->row, col))
		return DB_T_NULL;
	switch (PQftype(r->res, col)) {
	case INT8OID:
	case INT4OID:
	case INT2OID:
	case BOOLOID: return DB_T_INT;
	case BYTEAOID: return DB_T_BLOB;
	default: return DB_T_TEXT;
	}
}

int db_col_copy_postgres(struct db_rows *r, int col, char *dst, size_t cap)
{
	size_t n = 0;
	const char *s;

	if (r->cached) {
		s = rowset_text(r->cached, (size_t)r->row, col, &n);
	} else {
		s = db_col_text_postgres(r, col);
		n = s ? (size_t)PQgetlength(r->res, r->row, col) : 0;
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

void db_rows_done_postgres(struct db_rows *r)
{
	if (!r)
		return;
	if (r->blob)
		free(r->blob);
	rowset_release(r->cached);
	PQclear(r->res);
	free(r);
}
