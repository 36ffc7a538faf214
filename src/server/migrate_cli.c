/*
 * migrate_cli.c - `rolegate migrate --from-data DIR --to-postgres CONNINFO`: an SQLite installation (DIR/rolegate.db
 * and DIR/audit.db) moved into an empty PostgreSQL database, audit included, and verified.
 *
 * Steps, each refusing rather than guessing:
 *   1. DIR/lock is taken as the server takes it: a server running on DIR (or a master-key rotation) makes migrate
 *      refuse. The source databases are brought to this binary's schema (store_migrate, store_migrate_audit) and
 *      read in one read transaction each, so the copy is one committed state.
 *   2. The target must hold no installation: no table that is not rolegate's, and no row in any of rolegate's
 *      tables (meta aside: the migrations themselves write a row there). It is then migrated to the current schema
 *      (store_migrate on the PostgreSQL db), and checked again inside the copy's transaction.
 *   3. The tables are derived from the source (sqlite_master, schema_migrations and sqlite_sequence aside), their
 *      columns from PRAGMA table_info, and ordered so that every table comes after the tables its foreign keys
 *      name. A source table or column PostgreSQL lacks is an error. Every row is copied with every column, each
 *      value bound as the type SQLite holds it (db_col_type: integers, text, BLOBs byte for byte, NULLs), in ONE
 *      PostgreSQL write transaction: a failure or a crash (ROLEGATE_CRASH_STAGE=copied, a testing aid) leaves the
 *      target with its schema and no data, and migrate can simply run again.
 *   4. The audit: rolegate.db's audit table (every write) and audit.db's (the group-committed sts:AssumeRole and
 *      sts:GetSessionToken records) become PostgreSQL's one audit table. When audit.db holds no record, every seq
 *      is kept; otherwise the two trails are merged by time (rolegate.db's first within a millisecond, each in its
 *      own seq order) and numbered 1, 2, ... in that order, which is the order LookupEvents and `rolegate audit`
 *      walk. Every sequence or identity column is then set past the highest value copied (and past SQLite's
 *      AUTOINCREMENT high-water mark), so new rows continue after the old ones.
 *   5. Verification: per table, the rows counted in the source and in PostgreSQL, inside the transaction before
 *      COMMIT and again after it from a fresh transaction; they are printed, and any difference is a failure.
 * The secrets stay sealed as they are: the nodes run with the same master key (--master-key-file DIR/master.key or
 * a copy). The conninfo may hold a password: it is never printed or logged.
 */
#include "server/migrate_cli.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/db.h"
#include "store/store.h"
#include "util/common.h"
#include "util/file.h"
#include "util/log.h"

#define MAX_TABLES 128
#define MAX_COLS 64
#define MAX_DEPS 16
#define IDENT_MAX 64
#define MAX_SQL 1024 /* dynamic statements kept until the databases are closed */
#define BATCH_PARAMS 64 /* rows go in multi-row INSERTs of at most this many values (postgres.c's MAX_PARAMS) */

struct table {
	char name[IDENT_MAX];
	char cols[MAX_COLS][IDENT_MAX];
	int ncols;
	char deps[MAX_DEPS][IDENT_MAX]; /* the tables its foreign keys name */
	int ndeps;
	bool placed;
	int64_t src_rows, src_audit_rows, pg_rows, high_water;
	const char *select_sql, *insert_sql, *count_sql;
	const char *batch_sql; /* batch_rows rows in one INSERT (a round trip and a savepoint for several rows) */
	int batch_rows;
};

/*
 * The plan. Both backends cache prepared statements by the address of their SQL text (src/store/sqlite.c), so the
 * statements built here are kept, each at its own address, until every database is closed.
 */
struct plan {
	struct table t[MAX_TABLES];
	size_t n;
	char *sql[MAX_SQL];
	size_t nsql;
	int audit; /* index of the audit table, or -1 */
};

/* The statement text printf builds, kept in p until plan_free. NULL when out of room. */
__attribute__((format(printf, 2, 3))) static const char *keep_sql(struct plan *p, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	if (p->nsql == MAX_SQL)
		return NULL;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p->sql[p->nsql++] = s;
	return s;
}

static void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->nsql; i++)
		free(p->sql[i]);
	free(p);
}

/* A testing aid (DEVELOPERS.md), as in masterkey.c: ROLEGATE_CRASH_STAGE=copied kills migrate with SIGKILL once every
 * row is written and before COMMIT, as a power cut would. */
static void crash_point(const char *stage)
{
	const char *want = getenv("ROLEGATE_CRASH_STAGE");

	if (want && strcmp(want, stage) == 0)
		raise(SIGKILL);
}

/* An SQL identifier rolegate's schema could have made: letters, digits, underscores. */
static bool plain_ident(const char *s)
{
	if (!*s || strlen(s) >= IDENT_MAX)
		return false;
	for (; *s; s++)
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static struct table *find_table(struct plan *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->t[i].name, name) == 0)
			return &p->t[i];
	return NULL;
}

/* Reads the source's tables (creation order), their columns and the tables their foreign keys name. */
static int read_source_tables(struct db_tx *tx, struct plan *p)
{
	struct db_rows *r = db_query_fresh(tx,
	                                   "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
	                                   "AND name <> 'schema_migrations' ORDER BY rowid",
	                                   DB_NOARGS);
	int rc;

	while ((rc = db_step(r)) == DB_ROW) {
		const char *name = db_col_text(r, 0);
		if (p->n == MAX_TABLES || !name || !plain_ident(name)) {
			fprintf(stderr, "rolegate migrate: the source has a table rolegate cannot copy (%s)\n", name ? name : "?");
			rc = C_ERR;
			break;
		}
		snprintf(p->t[p->n++].name, IDENT_MAX, "%s", name);
	}
	db_rows_done(r);
	if (rc == C_ERR)
		return C_ERR;
	for (size_t i = 0; i < p->n; i++) {
		struct table *t = &p->t[i];
		r = db_query_fresh(tx, "SELECT name FROM pragma_table_info(?1) ORDER BY cid", DB_ARGS(db_text(t->name)));
		while ((rc = db_step(r)) == DB_ROW) {
			const char *col = db_col_text(r, 0);
			if (t->ncols == MAX_COLS || !col || !plain_ident(col)) {
				rc = C_ERR;
				break;
			}
			snprintf(t->cols[t->ncols++], IDENT_MAX, "%s", col);
		}
		db_rows_done(r);
		if (rc == C_ERR || t->ncols == 0)
			return C_ERR;
		r = db_query_fresh(tx, "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1)", DB_ARGS(db_text(t->name)));
		while ((rc = db_step(r)) == DB_ROW) {
			const char *dep = db_col_text(r, 0);
			if (t->ndeps == MAX_DEPS || !dep || !plain_ident(dep)) {
				rc = C_ERR;
				break;
			}
			if (strcmp(dep, t->name) != 0) /* a reference to itself orders nothing between tables */
				snprintf(t->deps[t->ndeps++], IDENT_MAX, "%s", dep);
		}
		db_rows_done(r);
		if (rc == C_ERR)
			return C_ERR;
	}
	return C_OK;
}

/* Reorders p's tables so each comes after the ones it references (creation order otherwise kept). */
static int order_tables(struct plan *p)
{
	struct table *sorted = calloc(MAX_TABLES, sizeof(*sorted));
	size_t n = 0;

	if (!sorted)
		return C_ERR;
	while (n < p->n) {
		bool progress = false;
		for (size_t i = 0; i < p->n; i++) {
			struct table *t = &p->t[i];
			bool ready = !t->placed;
			for (int d = 0; ready && d < t->ndeps; d++) {
				struct table *dep = find_table(p, t->deps[d]);
				ready = !dep || dep->placed; /* a reference to a table that does not exist: SQLite allows it */
			}
			if (ready) {
				t->placed = true;
				sorted[n++] = *t;
				progress = true;
			}
		}
		if (!progress) {
			fprintf(stderr, "rolegate migrate: the source's foreign keys form a cycle: no order to copy in\n");
			free(sorted);
			return C_ERR;
		}
	}
	memcpy(p->t, sorted, p->n * sizeof(*sorted));
	free(sorted);
	p->audit = -1;
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->t[i].name, "audit") == 0)
			p->audit = (int)i;
	return C_OK;
}

/* The statements of each table: its SELECT on the source, INSERT and count on the target. */
static int build_statements(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct table *t = &p->t[i];
		char cols[MAX_COLS * (IDENT_MAX + 5)] = "", params[MAX_COLS * 8] = "";
		size_t cl = 0, pl = 0;
		for (int c = 0; c < t->ncols; c++) {
			cl += (size_t)snprintf(cols + cl, sizeof(cols) - cl, "%s\"%s\"", c ? ", " : "", t->cols[c]);
			pl += (size_t)snprintf(params + pl, sizeof(params) - pl, "%s?%d", c ? ", " : "", c + 1);
		}
		/* The audit is read in time order (merged with audit.db's); other tables in their stored order. */
		t->select_sql = (int)i == p->audit ? keep_sql(p, "SELECT %s FROM \"audit\" ORDER BY time_ms, seq", cols)
		                                   : keep_sql(p, "SELECT %s FROM \"%s\"", cols, t->name);
		t->insert_sql = keep_sql(p, "INSERT INTO \"%s\" (%s) OVERRIDING SYSTEM VALUE VALUES (%s)", t->name, cols, params);
		t->count_sql = keep_sql(p, "SELECT count(*) FROM \"%s\"", t->name);
		if (!t->select_sql || !t->insert_sql || !t->count_sql)
			return C_ERR;
		t->batch_rows = BATCH_PARAMS / t->ncols;
		t->batch_sql = t->insert_sql;
		if (t->batch_rows > 1) {
			char rows[BATCH_PARAMS * 8] = "";
			size_t rl = 0;
			for (int n = 0; n < t->batch_rows * t->ncols; n++)
				rl += (size_t)snprintf(rows + rl, sizeof(rows) - rl, "%s?%d%s", n % t->ncols ? ", " : n ? "), (" : "(",
				                       n + 1, n + 1 == t->batch_rows * t->ncols ? ")" : "");
			t->batch_sql = keep_sql(p, "INSERT INTO \"%s\" (%s) OVERRIDING SYSTEM VALUE VALUES %s", t->name, cols, rows);
			if (!t->batch_sql)
				return C_ERR;
		}
	}
	return C_OK;
}

/* Counts each table's rows in the source and its AUTOINCREMENT high-water mark (sqlite_sequence). */
static int count_source(struct db_tx *tx, struct db_tx *atx, struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct table *t = &p->t[i];
		if (db_one_int(db_query_fresh(tx, t->count_sql, DB_NOARGS), &t->src_rows) != C_OK)
			return C_ERR;
		if ((int)i == p->audit && atx &&
		    db_one_int(db_query_fresh(atx, t->count_sql, DB_NOARGS), &t->src_audit_rows) != C_OK)
			return C_ERR;
		if (db_one_int(db_query_fresh(tx, "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = ?1",
		                              DB_ARGS(db_text(t->name))),
		               &t->high_water) != C_OK)
			t->high_water = 0; /* no AUTOINCREMENT table at all: no sqlite_sequence */
	}
	return C_OK;
}

/* Every source table and column exists in PostgreSQL (the target was migrated to this binary's schema). */
static int check_target_columns(struct db_tx *tx, struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct table *t = &p->t[i];
		for (int c = 0; c < t->ncols; c++) {
			int64_t found = 0;
			if (db_one_int(db_query_fresh(tx,
			                              "SELECT count(*) FROM information_schema.columns WHERE table_schema = "
			                              "current_schema() AND table_name = ?1 AND column_name = ?2",
			                              DB_ARGS(db_text(t->name), db_text(t->cols[c]))),
			               &found) != C_OK)
				return C_ERR;
			if (found == 0) {
				fprintf(stderr, "rolegate migrate: the source's %s.%s has no counterpart in PostgreSQL: nothing "
				                "copied\n", t->name, t->cols[c]);
				return C_ERR;
			}
		}
	}
	return C_OK;
}

/*
 * Whether the target holds an installation, in tx: 1 when some table other than rolegate's bookkeeping (meta,
 * schema_migrations) has a row, or when it has tables but not rolegate's (no schema_migrations); 0 when empty;
 * C_ERR on a read error. *what names what was found.
 */
static int target_in_use(struct db_tx *tx, struct plan *p, char *what, size_t cap)
{
	struct db_rows *r;
	char names[MAX_TABLES][IDENT_MAX];
	size_t n = 0;
	bool ours = false;
	int rc;

	r = db_query_fresh(tx,
	                   "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND "
	                   "table_type = 'BASE TABLE' ORDER BY table_name",
	                   DB_NOARGS);
	while ((rc = db_step(r)) == DB_ROW) {
		const char *name = db_col_text(r, 0);
		if (n == MAX_TABLES || !name || !plain_ident(name)) {
			snprintf(what, cap, "table %s", name && plain_ident(name) ? name : "(an unusual name)");
			db_rows_done(r);
			return 1;
		}
		ours |= strcmp(name, "schema_migrations") == 0;
		snprintf(names[n++], IDENT_MAX, "%s", name);
	}
	db_rows_done(r);
	if (rc == C_ERR)
		return C_ERR;
	if (n && !ours) {
		snprintf(what, cap, "tables that are not rolegate's (%s...)", names[0]);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *sql;
		int64_t rows = 0;
		if (strcmp(names[i], "schema_migrations") == 0 || strcmp(names[i], "meta") == 0)
			continue;
		if (!(sql = keep_sql(p, "SELECT count(*) FROM (SELECT 1 FROM \"%s\" LIMIT 1) x", names[i])) ||
		    db_one_int(db_query_fresh(tx, sql, DB_NOARGS), &rows) != C_OK)
			return C_ERR;
		if (rows) {
			snprintf(what, cap, "rows in %s", names[i]);
			return 1;
		}
	}
	return 0;
}

/* Rows on their way into one table: copies of their values (a source row's values live until its next step),
 * written batch_rows at a time. */
struct batch {
	const struct table *t;
	struct db_tx *dst;
	struct db_val v[BATCH_PARAMS];
	void *owned[BATCH_PARAMS];
	size_t owned_len[BATCH_PARAMS];
	int rows;
};

static void batch_release(struct batch *b)
{
	for (int i = 0; i < BATCH_PARAMS; i++)
		if (b->owned[i]) {
			explicit_bzero(b->owned[i], b->owned_len[i]); /* sealed secrets, password hashes: wiped all the same */
			free(b->owned[i]);
			b->owned[i] = NULL;
		}
	b->rows = 0;
}

/* Writes the rows held: one INSERT when the batch is full, else one a row. */
static int batch_flush(struct batch *b)
{
	const struct table *t = b->t;
	int rc = C_OK;

	if (b->rows == t->batch_rows)
		rc = db_exec(b->dst, t->batch_sql, b->v, (size_t)(b->rows * t->ncols), NULL) == C_OK ? C_OK : C_ERR;
	else
		for (int i = 0; rc == C_OK && i < b->rows; i++)
			rc = db_exec(b->dst, t->insert_sql, &b->v[i * t->ncols], (size_t)t->ncols, NULL) == C_OK ? C_OK : C_ERR;
	batch_release(b);
	return rc;
}

/* Adds the current row of r (seq_col >= 0: that column's value replaced by seq), writing a full batch. */
static int batch_add(struct batch *b, struct db_rows *r, int seq_col, int64_t seq)
{
	const struct table *t = b->t;
	int base = b->rows * t->ncols;

	for (int c = 0; c < t->ncols; c++) {
		enum db_type type = c == seq_col ? DB_T_INT : db_col_type(r, c);
		struct db_val *v = &b->v[base + c];
		const void *src = NULL;
		size_t len = 0;
		if (type == DB_T_NULL) {
			*v = db_null();
			continue;
		}
		if (type == DB_T_INT) {
			*v = db_int(c == seq_col ? seq : db_col_int(r, c));
			continue;
		}
		if (type == DB_T_BLOB) {
			src = db_col_blob(r, c, &len);
		} else if ((src = db_col_text(r, c))) {
			len = strlen(src);
		}
		/* a copy with a NUL after it: text stays a C string, an empty BLOB a valid pointer */
		if (!(b->owned[base + c] = malloc(len + 1))) {
			batch_release(b);
			return C_ERR;
		}
		b->owned_len[base + c] = len + 1;
		if (len)
			memcpy(b->owned[base + c], src, len);
		((char *)b->owned[base + c])[len] = '\0';
		*v = (struct db_val){.type = type, .p = b->owned[base + c], .len = len};
	}
	return ++b->rows == t->batch_rows ? batch_flush(b) : C_OK;
}

static int copy_table(struct db_tx *src, struct db_tx *dst, const struct table *t)
{
	struct db_rows *r = db_query_fresh(src, t->select_sql, DB_NOARGS);
	struct batch *b = calloc(1, sizeof(*b));
	int rc = C_ERR;

	if (b) {
		b->t = t;
		b->dst = dst;
		while ((rc = db_step(r)) == DB_ROW)
			if (batch_add(b, r, -1, 0) != C_OK) {
				rc = C_ERR;
				break;
			}
		if (rc == DB_DONE)
			rc = batch_flush(b);
		batch_release(b);
		free(b);
	}
	db_rows_done(r);
	return rc == C_OK ? C_OK : C_ERR;
}

static int col_index(const struct table *t, const char *name)
{
	for (int c = 0; c < t->ncols; c++)
		if (strcmp(t->cols[c], name) == 0)
			return c;
	return -1;
}

/* The two audit trails merged by time into PostgreSQL's one audit table, numbered 1, 2, ... (see the top). */
static int copy_audit_merged(struct db_tx *src, struct db_tx *asrc, struct db_tx *dst, const struct table *t)
{
	int tcol = col_index(t, "time_ms"), scol = col_index(t, "seq"), ra, rb, rc = C_OK;
	struct batch *bt = calloc(1, sizeof(*bt));
	struct db_rows *a, *b;
	int64_t seq = 0;

	if (tcol < 0 || scol < 0 || !bt) {
		free(bt);
		return C_ERR;
	}
	bt->t = t;
	bt->dst = dst;
	a = db_query_fresh(src, t->select_sql, DB_NOARGS);
	b = db_query_fresh(asrc, t->select_sql, DB_NOARGS);
	ra = db_step(a);
	rb = db_step(b);
	while (rc == C_OK && (ra == DB_ROW || rb == DB_ROW)) {
		bool take_a = ra == DB_ROW && (rb != DB_ROW || db_col_int(a, tcol) <= db_col_int(b, tcol));
		rc = batch_add(bt, take_a ? a : b, scol, ++seq);
		if (take_a)
			ra = db_step(a);
		else
			rb = db_step(b);
	}
	if (ra == C_ERR || rb == C_ERR)
		rc = C_ERR;
	if (rc == C_OK)
		rc = batch_flush(bt);
	batch_release(bt);
	free(bt);
	db_rows_done(a);
	db_rows_done(b);
	return rc;
}

/* Sets every sequence / identity column of the copied tables past the highest value now in it (and past SQLite's
 * AUTOINCREMENT high-water mark when the audit kept its numbers). */
static int fix_sequences(struct db_tx *tx, struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct table *t = &p->t[i];
		int64_t floor = (int)i == p->audit && t->src_audit_rows ? 0 : t->high_water;
		for (int c = 0; c < t->ncols; c++) {
			const char *sql;
			int64_t has = 0, v = 0;
			if (db_one_int(db_query_fresh(tx, "SELECT count(pg_get_serial_sequence(quote_ident(?1), ?2))",
			                              DB_ARGS(db_text(t->name), db_text(t->cols[c]))),
			               &has) != C_OK)
				return C_ERR;
			if (!has)
				continue;
			sql = keep_sql(p,
			               "SELECT setval(pg_get_serial_sequence(quote_ident(?1), ?2), greatest(v, 1), v > 0) FROM "
			               "(SELECT greatest(coalesce((SELECT max(\"%s\") FROM \"%s\"), 0), ?3) AS v) x",
			               t->cols[c], t->name);
			if (!sql || db_one_int(db_query_fresh(tx, sql, DB_ARGS(db_text(t->name), db_text(t->cols[c]),
			                                                       db_int(floor))),
			                       &v) != C_OK)
				return C_ERR;
		}
	}
	return C_OK;
}

/* Counts every table in PostgreSQL, in tx, into pg_rows. */
static int count_target(struct db_tx *tx, struct plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (db_one_int(db_query_fresh(tx, p->t[i].count_sql, DB_NOARGS), &p->t[i].pg_rows) != C_OK)
			return C_ERR;
	return C_OK;
}

/* Prints the counts; C_OK when every table has as many rows in PostgreSQL as in the source. */
static int report_counts(const struct plan *p, bool print)
{
	int rc = C_OK;

	if (print)
		printf("%-28s %12s %12s\n", "table", "sqlite", "postgresql");
	for (size_t i = 0; i < p->n; i++) {
		const struct table *t = &p->t[i];
		int64_t want = t->src_rows + t->src_audit_rows;
		if (print && (int)i == p->audit)
			printf("%-28s %12lld %12lld   (rolegate.db %lld + audit.db %lld)\n", t->name, (long long)want,
			       (long long)t->pg_rows, (long long)t->src_rows, (long long)t->src_audit_rows);
		else if (print)
			printf("%-28s %12lld %12lld%s\n", t->name, (long long)want, (long long)t->pg_rows,
			       want == t->pg_rows ? "" : "   DIFFERENT");
		if (want != t->pg_rows)
			rc = C_ERR;
	}
	return rc;
}

/* Step 3-5 in one PostgreSQL write transaction: the copy, the sequences, the counts. */
static int copy_all(struct db *pg, struct db_tx *src, struct db_tx *asrc, struct plan *p, int64_t *total)
{
	struct db_tx *tx;
	char what[160];
	int used;

	if (db_begin(pg, true, &tx) != C_OK)
		return C_ERR;
	if ((used = target_in_use(tx, p, what, sizeof(what))) != 0) {
		if (used == 1)
			fprintf(stderr, "rolegate migrate: the PostgreSQL database is not empty (%s): migrate moves one "
			                "installation into an empty database, it does not merge two\n", what);
		goto fail;
	}
	/* The rows the migrations wrote (meta) make way for the source's own. */
	if (check_target_columns(tx, p) != C_OK || db_exec(tx, "DELETE FROM meta", DB_NOARGS, NULL) != C_OK)
		goto fail;
	for (size_t i = 0; i < p->n; i++) {
		struct table *t = &p->t[i];
		int rc = (int)i == p->audit && asrc && t->src_audit_rows ? copy_audit_merged(src, asrc, tx, t)
		                                                         : copy_table(src, tx, t);
		if (rc != C_OK) {
			fprintf(stderr, "rolegate migrate: cannot copy %s: nothing copied\n", t->name);
			goto fail;
		}
	}
	if (fix_sequences(tx, p) != C_OK || count_target(tx, p) != C_OK) {
		fprintf(stderr, "rolegate migrate: cannot set the sequences or count the copy: nothing copied\n");
		goto fail;
	}
	if (report_counts(p, false) != C_OK) {
		report_counts(p, true);
		fprintf(stderr, "rolegate migrate: the counts differ: nothing copied\n");
		goto fail;
	}
	*total = 0;
	for (size_t i = 0; i < p->n; i++)
		*total += p->t[i].pg_rows;
	crash_point("copied");
	if (db_commit(tx) != C_OK) {
		fprintf(stderr, "rolegate migrate: PostgreSQL refused the COMMIT: nothing copied\n");
		return C_ERR;
	}
	return C_OK;
fail:
	db_rollback(tx);
	return C_ERR;
}

/* The counts again after COMMIT, from a fresh transaction: what a node will read. */
static int recount(struct db *pg, struct plan *p)
{
	struct db_tx *tx;
	int rc;

	if (db_begin(pg, false, &tx) != C_OK)
		return C_ERR;
	rc = count_target(tx, p);
	db_rollback(tx);
	return rc;
}

static int usage(int status)
{
	fprintf(status ? stderr : stdout,
	        "usage: rolegate migrate --from-data DIR --to-postgres CONNINFO\n"
	        "Moves the installation in DIR (rolegate.db and audit.db, the audit included) into an empty PostgreSQL\n"
	        "database, in one transaction, and verifies the row count of every table. DIR must not be in use (stop\n"
	        "its server first). The secrets stay sealed under DIR's master key; start every node with it:\n"
	        "  rolegate server --postgres CONNINFO --master-key-file DIR/master.key --data NODEDIR\n");
	return status;
}

/* Takes DIR/lock as the server does; says why not. */
static int lock_source(const char *dir, int *fd)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/lock", dir);
	*fd = file_lock_exclusive(path);
	if (*fd >= 0)
		return C_OK;
	if (errno == EWOULDBLOCK)
		fprintf(stderr, "rolegate migrate: %s is in use (a rolegate server runs on it): stop the server first\n", dir);
	else
		fprintf(stderr, "rolegate migrate: cannot lock %s: %s\n", path, strerror(errno));
	return C_ERR;
}

/* Opens DIR's databases at this binary's schema, with a read transaction each (audit.db may be absent). */
static int open_source(const char *dir, struct db **db, struct db **adb, struct db_tx **tx, struct db_tx **atx)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/rolegate.db", dir);
	if (access(path, F_OK) != 0) {
		fprintf(stderr, "rolegate migrate: %s has no database (%s)\n", dir, path);
		return C_ERR;
	}
	if (!(*db = db_open_sqlite(dir)) || store_migrate(*db) != C_OK || db_begin(*db, false, tx) != C_OK) {
		fprintf(stderr, "rolegate migrate: cannot open %s\n", path);
		return C_ERR;
	}
	snprintf(path, sizeof(path), "%s/audit.db", dir);
	if (access(path, F_OK) != 0)
		return C_OK;
	if (!(*adb = db_open_sqlite_file(dir, "audit.db")) || store_migrate_audit(*adb) != C_OK ||
	    db_begin(*adb, false, atx) != C_OK) {
		fprintf(stderr, "rolegate migrate: cannot open %s\n", path);
		return C_ERR;
	}
	return C_OK;
}

/* The target's state before it is migrated: 0 empty (or only rolegate's empty schema), else refused. */
static int precheck_target(struct db *pg, struct plan *p)
{
	struct db_tx *tx;
	char what[160];
	int used;

	if (db_begin(pg, false, &tx) != C_OK)
		return C_ERR;
	used = target_in_use(tx, p, what, sizeof(what));
	db_rollback(tx);
	if (used == 1)
		fprintf(stderr, "rolegate migrate: the PostgreSQL database is not empty (%s): migrate moves one "
		                "installation into an empty database, it does not merge two\n", what);
	return used == 0 ? C_OK : C_ERR;
}

int migrate_main(int argc, char **argv)
{
	const char *dir = NULL, *conninfo = NULL;
	struct db *src = NULL, *asrc = NULL, *pg = NULL;
	struct db_tx *tx = NULL, *atx = NULL;
	struct plan *p = calloc(1, sizeof(*p)); /* about 1 MB: not on the stack */
	int64_t total = 0;
	int lock = -1, status = 1;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			free(p);
			return usage(0);
		}
		if (strcmp(argv[i], "--from-data") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--to-postgres") == 0 && i + 1 < argc)
			conninfo = argv[++i];
		else {
			free(p);
			return usage(2);
		}
	}
	if (!dir || !conninfo) {
		free(p);
		return usage(2);
	}
	if (!p)
		return 1;
	if (lock_source(dir, &lock) != C_OK || open_source(dir, &src, &asrc, &tx, &atx) != C_OK)
		goto out;
	if (read_source_tables(tx, p) != C_OK || order_tables(p) != C_OK || build_statements(p) != C_OK ||
	    count_source(tx, atx, p) != C_OK) {
		fprintf(stderr, "rolegate migrate: cannot read the tables of %s\n", dir);
		goto out;
	}
	if (!(pg = db_open_postgres(conninfo))) {
		fprintf(stderr, "rolegate migrate: cannot connect to the PostgreSQL database (the message above says why)\n");
		goto out;
	}
	if (precheck_target(pg, p) != C_OK)
		goto out;
	if (store_migrate(pg) != C_OK) {
		fprintf(stderr, "rolegate migrate: cannot create rolegate's schema in the PostgreSQL database\n");
		goto out;
	}
	if (copy_all(pg, tx, atx, p, &total) != C_OK)
		goto out;
	if (recount(pg, p) != C_OK) {
		fprintf(stderr, "rolegate migrate: copied, but cannot count the rows again\n");
		goto out;
	}
	if (report_counts(p, true) != C_OK) {
		fprintf(stderr, "rolegate migrate: the counts differ after the commit: do not use this database\n");
		goto out;
	}
	printf("migrated %lld rows of %zu tables from %s into PostgreSQL; start every node with rolegate server --postgres "
	       "CONNINFO --master-key-file %s/master.key (or a copy of it)\n",
	       (long long)total, p->n, dir, dir);
	status = 0;
out:
	if (tx)
		db_rollback(tx);
	if (atx)
		db_rollback(atx);
	db_close(pg);
	db_close(asrc);
	db_close(src);
	plan_free(p);
	if (lock >= 0)
		close(lock);
	return status;
}
