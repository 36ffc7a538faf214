/*
 * test_rowcache.c - tests the cache of read results (src/store/rowcache.c) and how the SQLite backend uses it
 * (src/store/sqlite.c): a read-only transaction is answered from the cache only at the version it was recorded at;
 * any write through the db makes the next read go to SQLite; write transactions and db_query_fresh always read
 * SQLite; a lookup that stops after its first row is still recorded; cached cells convert as SQLite's getters do;
 * and a read that was told something by the cache holds a committing writer back until its own snapshot is
 * fixed, so it never mixes two states.
 *
 * A hit is made observable by changing the table behind the db's back (a second SQLite handle, which does not
 * advance the version): a cached answer still shows the old row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/db.h"
#include "store/rowcache.h"
#include "util/common.h"

static const char sql_get[] = "SELECT v, n, b FROM t WHERE k = ?1";
static const char sql_all[] = "SELECT k FROM t ORDER BY k";
static const char sql_count[] = "SELECT count(*) FROM t";

struct fixture {
	char dir[64];
	char path[96];
	struct db *db;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct db_tx *tx;

	snprintf(f->dir, sizeof(f->dir), "/tmp/rolegate-rowcache-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/rolegate.db", f->dir);
	f->db = db_open_sqlite(f->dir);
	assert_non_null(f->db);
	assert_int_equal(db_begin(f->db, true, &tx), C_OK);
	assert_int_equal(db_exec_script(tx, "CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT, n INTEGER, b BLOB);"), C_OK);
	assert_int_equal(db_exec(tx, "INSERT INTO t VALUES ('a', 'one', 1, x'00ff00'), ('b', '17', 2, NULL)", DB_NOARGS,
	                         NULL),
	                 C_OK);
	assert_int_equal(db_commit(tx), C_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];

	db_close(f->db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Changes the table through a second SQLite handle: the db does not see it as a write of its own. */
static void behind_the_back(struct fixture *f, const char *sql)
{
	sqlite3 *h;

	assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/* v of key k in a read-only transaction (or write=true), through db_query or db_query_fresh; "" when absent. */
static void read_v(struct fixture *f, bool write, bool fresh, const char *k, char out[32])
{
	struct db_tx *tx;
	struct db_rows *r;

	assert_int_equal(db_begin(f->db, write, &tx), C_OK);
	r = (fresh ? db_query_fresh : db_query)(tx, sql_get, DB_ARGS(db_text(k)));
	out[0] = '\0';
	if (db_step(r) == DB_ROW) /* a lookup: stops after its row, as the store's getters do */
		assert_int_equal(db_col_copy(r, 0, out, 32), C_OK);
	db_rows_done(r);
	if (write)
		assert_int_equal(db_commit(tx), C_OK);
	else
		db_rollback(tx);
}

static void test_read_answered_until_a_write(void **state)
{
	struct fixture *f = *state;
	struct db_tx *tx;
	char v[32];

	read_v(f, false, false, "a", v);
	assert_string_equal(v, "one");
	behind_the_back(f, "UPDATE t SET v = 'changed' WHERE k = 'a'");
	read_v(f, false, false, "a", v);
	assert_string_equal(v, "one"); /* the recorded answer: the lookup that stopped early was still recorded */
	read_v(f, false, true, "a", v);
	assert_string_equal(v, "changed"); /* db_query_fresh reads SQLite */
	read_v(f, true, false, "a", v);
	assert_string_equal(v, "changed"); /* a write transaction reads SQLite */

	/* a write through the db (even one that changed nothing) retires every recorded answer */
	assert_int_equal(db_begin(f->db, true, &tx), C_OK);
	assert_int_equal(db_exec(tx, "UPDATE t SET n = n WHERE k = 'zz'", DB_NOARGS, NULL), C_OK);
	assert_int_equal(db_commit(tx), C_OK);
	read_v(f, false, false, "a", v);
	assert_string_equal(v, "changed");
	/* so does a bookkeeping write */
	behind_the_back(f, "UPDATE t SET v = 'again' WHERE k = 'a'");
	assert_int_equal(db_begin_stats(f->db, &tx), C_OK);
	assert_int_equal(db_commit(tx), C_OK);
	read_v(f, false, false, "a", v);
	assert_string_equal(v, "again");
	/* an append (the audit's commits) retires nothing: the cached answer and the generation stay */
	{
		uint64_t gen = db_generation(f->db);
		behind_the_back(f, "UPDATE t SET v = 'not-through-the-cache' WHERE k = 'a'");
		assert_int_equal(db_begin_append(f->db, &tx), C_OK);
		assert_int_equal(db_commit(tx), C_OK);
		read_v(f, false, false, "a", v);
		assert_string_equal(v, "again");
		assert_true(db_generation(f->db) == gen);
	}
	/* a rolled-back write changes nothing and retires nothing */
	behind_the_back(f, "UPDATE t SET v = 'unseen' WHERE k = 'a'");
	assert_int_equal(db_begin(f->db, true, &tx), C_OK);
	db_rollback(tx);
	read_v(f, false, false, "a", v);
	assert_string_equal(v, "again");
}

static void test_keys_tell_parameters_apart(void **state)
{
	struct fixture *f = *state;
	struct rowcache_key k1, k2;
	char v[32];

	read_v(f, false, false, "a", v);
	read_v(f, false, false, "b", v);
	assert_string_equal(v, "17");
	read_v(f, false, false, "c", v);
	assert_string_equal(v, ""); /* an empty answer is an answer too */
	behind_the_back(f, "INSERT INTO t VALUES ('c', 'new', 3, NULL)");
	read_v(f, false, false, "c", v);
	assert_string_equal(v, "");

	/* text '1' and integer 1 are different parameters; so are two SQL texts with the same words */
	assert_int_equal(rowcache_key(sql_get, DB_ARGS(db_text("1")), &k1), C_OK);
	assert_int_equal(rowcache_key(sql_get, DB_ARGS(db_int(1)), &k2), C_OK);
	assert_false(k1.len == k2.len && memcmp(k1.buf, k2.buf, k1.len) == 0);
	assert_int_equal(rowcache_key(sql_get, DB_ARGS(db_text("ab"), db_text("c")), &k1), C_OK);
	assert_int_equal(rowcache_key(sql_get, DB_ARGS(db_text("a"), db_text("bc")), &k2), C_OK);
	assert_false(k1.len == k2.len && memcmp(k1.buf, k2.buf, k1.len) == 0);
	{
		char big[ROWCACHE_KEY_MAX + 1];
		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(rowcache_key(sql_get, DB_ARGS(db_text(big)), &k1), C_ERR);
	}
}

static void test_cells_convert_as_sqlite_does(void **state)
{
	struct fixture *f = *state;
	struct db_tx *tx;
	struct db_rows *r;
	const uint8_t *p;
	size_t len;

	for (int pass = 0; pass < 2; pass++) { /* from SQLite, then from the cache */
		assert_int_equal(db_begin(f->db, false, &tx), C_OK);
		r = db_query(tx, sql_get, DB_ARGS(db_text("a")));
		assert_int_equal(db_step(r), DB_ROW);
		assert_string_equal(db_col_text(r, 0), "one");
		assert_string_equal(db_col_text(r, 1), "1"); /* an integer's text */
		assert_int_equal(db_col_int(r, 1), 1);
		p = db_col_blob(r, 2, &len);
		assert_int_equal(len, 3);
		assert_true(p[0] == 0 && p[1] == 0xff && p[2] == 0);
		assert_false(db_col_is_null(r, 2));
		/* the stored types, as rolegate migrate copies them */
		assert_int_equal(db_col_type(r, 0), DB_T_TEXT);
		assert_int_equal(db_col_type(r, 1), DB_T_INT);
		assert_int_equal(db_col_type(r, 2), DB_T_BLOB);
		assert_int_equal(db_step(r), DB_DONE);
		db_rows_done(r);
		r = db_query(tx, sql_get, DB_ARGS(db_text("b")));
		assert_int_equal(db_step(r), DB_ROW);
		assert_int_equal(db_col_int(r, 0), 17); /* a text's integer */
		assert_true(db_col_is_null(r, 2));
		assert_null(db_col_text(r, 2));
		assert_int_equal(db_col_type(r, 0), DB_T_TEXT); /* '17' stays text */
		assert_int_equal(db_col_type(r, 2), DB_T_NULL);
		db_rows_done(r);
		r = db_query(tx, sql_all, DB_NOARGS);
		assert_int_equal(db_step(r), DB_ROW);
		assert_string_equal(db_col_text(r, 0), "a");
		assert_int_equal(db_step(r), DB_ROW);
		assert_string_equal(db_col_text(r, 0), "b");
		assert_int_equal(db_step(r), DB_DONE);
		db_rows_done(r);
		db_rollback(tx);
		if (pass == 0)
			behind_the_back(f, "UPDATE t SET v = 'gone', n = 9 WHERE k = 'a'"); /* pass 1 must not see it */
	}
}

struct writer {
	struct db *db;
	const char *sql;
	atomic_bool committed;
};

static void *write_once(void *arg)
{
	struct writer *w = arg;
	struct db_tx *tx;

	if (db_begin(w->db, true, &tx) != C_OK)
		return (void *)1;
	if (db_exec(tx, w->sql, DB_NOARGS, NULL) != C_OK) {
		db_rollback(tx);
		return (void *)1;
	}
	if (db_commit(tx) != C_OK)
		return (void *)1;
	atomic_store(&w->committed, true);
	return NULL;
}

/* Begins a read transaction whose first answer ("a") comes from the cache. */
static struct db_tx *begin_served(struct fixture *f)
{
	struct db_tx *tx;
	struct db_rows *r;
	char v[32];

	read_v(f, false, false, "a", v); /* recorded */
	assert_int_equal(db_begin(f->db, false, &tx), C_OK);
	r = db_query(tx, sql_get, DB_ARGS(db_text("a")));
	assert_int_equal(db_step(r), DB_ROW);
	db_rows_done(r);
	return tx;
}

static int64_t count_rows(struct db_tx *tx)
{
	struct db_rows *r = db_query(tx, sql_count, DB_NOARGS);
	int64_t n = db_step(r) == DB_ROW ? db_col_int(r, 0) : -1;

	db_rows_done(r);
	return n;
}

static void test_write_during_a_half_served_read(void **state)
{
	struct fixture *f = *state;
	struct writer w = {.db = f->db, .sql = "INSERT INTO t VALUES ('w1', 'written', 4, NULL)"};
	struct timespec pause = {0, 50 * 1000 * 1000};
	struct db_tx *tx;
	pthread_t t;
	void *rc;

	/* A read already told something by the cache holds writers' commits back until SQLite has fixed its
	 * snapshot, which is then the state it was told about: it never sees two states. */
	tx = begin_served(f);
	assert_int_equal(pthread_create(&t, NULL, write_once, &w), 0);
	nanosleep(&pause, NULL);
	assert_false(atomic_load(&w.committed)); /* waiting for the read */
	assert_int_equal(count_rows(tx), 2);       /* the state the cache answered from */
	assert_int_equal(pthread_join(t, &rc), 0); /* released by the read's first miss */
	assert_null(rc);
	assert_true(atomic_load(&w.committed));
	assert_int_equal(count_rows(tx), 2);
	db_rollback(tx);

	/* A read that reached SQLite before any cached answer does not hold writers back; a write that commits
	 * before its snapshot is fixed is seen, and the read uses the cache no more. */
	assert_int_equal(db_begin(f->db, false, &tx), C_OK);
	w.sql = "INSERT INTO t VALUES ('w2', 'written', 4, NULL)";
	assert_int_equal(pthread_create(&t, NULL, write_once, &w), 0);
	assert_int_equal(pthread_join(t, &rc), 0);
	assert_null(rc);
	assert_int_equal(count_rows(tx), 4);
	behind_the_back(f, "UPDATE t SET v = 'behind' WHERE k = 'a'");
	{
		struct db_rows *r = db_query(tx, sql_get, DB_ARGS(db_text("a")));
		assert_int_equal(db_step(r), DB_ROW);
		assert_string_equal(db_col_text(r, 0), "one"); /* SQLite's snapshot, not the newer table or a cache */
		db_rows_done(r);
	}
	db_rollback(tx);
}

/* ---- many readers and a writer ------------------------------------------------------------------------------
 * The writer sets rows 'x' and 'y' of table p to the same new number in each transaction; readers read x and y
 * in one read transaction (two different queries, so each may be a hit or a miss on its own) and must always see
 * them equal. A read that mixed a cached answer from one state with SQLite's answer from a later one would not. */

#define RACE_READERS 3
#define RACE_ROUNDS 3000

static const char sql_x[] = "SELECT v FROM p WHERE k = 'x'";
static const char sql_y[] = "SELECT v FROM p WHERE k = ?1";

struct race {
	struct db *db;
	atomic_bool stop;
	atomic_long mismatches, reads, failures;
};

static int64_t read_one(struct db_tx *tx, const char *sql, bool arg)
{
	struct db_rows *r = arg ? db_query(tx, sql, DB_ARGS(db_text("y"))) : db_query(tx, sql, DB_NOARGS);
	int64_t v = db_step(r) == DB_ROW ? db_col_int(r, 0) : -1;

	db_rows_done(r);
	return v;
}

static void *race_reader(void *arg)
{
	struct race *rc = arg;

	while (!atomic_load(&rc->stop)) {
		struct db_tx *tx;
		int64_t x, y;
		if (db_begin(rc->db, false, &tx) != C_OK) {
			atomic_fetch_add(&rc->failures, 1);
			continue;
		}
		x = read_one(tx, sql_x, false);
		y = read_one(tx, sql_y, true);
		db_rollback(tx);
		if (x < 0 || y < 0)
			atomic_fetch_add(&rc->failures, 1);
		else if (x != y)
			atomic_fetch_add(&rc->mismatches, 1);
		atomic_fetch_add(&rc->reads, 1);
	}
	return NULL;
}

static void test_readers_never_see_two_states(void **state)
{
	struct fixture *f = *state;
	struct race rc = {.db = f->db};
	pthread_t readers[RACE_READERS];
	struct db_tx *tx;

	assert_int_equal(db_begin(f->db, true, &tx), C_OK);
	assert_int_equal(db_exec_script(tx, "CREATE TABLE p (k TEXT PRIMARY KEY, v INTEGER);"
	                                    "INSERT INTO p VALUES ('x', 0), ('y', 0);"),
	                 C_OK);
	assert_int_equal(db_commit(tx), C_OK);
	for (int i = 0; i < RACE_READERS; i++)
		assert_int_equal(pthread_create(&readers[i], NULL, race_reader, &rc), 0);
	for (int n = 1; n <= RACE_ROUNDS; n++) {
		assert_int_equal(db_begin(f->db, true, &tx), C_OK);
		assert_int_equal(db_exec(tx, "UPDATE p SET v = ?1", DB_ARGS(db_int(n)), NULL), C_OK);
		assert_int_equal(db_commit(tx), C_OK);
	}
	atomic_store(&rc.stop, true);
	for (int i = 0; i < RACE_READERS; i++)
		assert_int_equal(pthread_join(readers[i], NULL), 0);
	print_message("readers: %ld reads during %d writes\n", atomic_load(&rc.reads), RACE_ROUNDS);
	assert_true(atomic_load(&rc.reads) > 0);
	assert_int_equal(atomic_load(&rc.failures), 0);
	assert_int_equal(atomic_load(&rc.mismatches), 0);
}

static void test_rowset_limits(void **state)
{
	struct rowset_builder *b = rowset_builder_new(1);
	struct rowcache *rc = rowcache_new(2);
	struct rowcache_key k;
	struct rowset *rs;
	static char chunk[1024];
	int rc_cell = C_OK;

	(void)state;
	memset(chunk, 'y', sizeof(chunk));
	for (int i = 0; i < 64 && rc_cell == C_OK; i++)
		rc_cell = rowset_builder_cell(b, DB_T_TEXT, 0, chunk, sizeof(chunk));
	assert_int_equal(rc_cell, C_ERR); /* past ROWCACHE_ENTRY_MAX */
	assert_int_equal(rowcache_key(sql_all, DB_NOARGS, &k), C_OK);
	assert_null(rowset_builder_finish(b, &k));

	/* one slot per key hash: a second key in the same slot replaces the first; versions must match */
	b = rowset_builder_new(1);
	assert_int_equal(rowset_builder_cell(b, DB_T_INT, 42, NULL, 0), C_OK);
	rs = rowset_builder_finish(b, &k);
	assert_non_null(rs);
	rowcache_put(rc, k.hash, 8, rs);
	assert_null(rowcache_get(rc, &k, 7));
	rs = rowcache_get(rc, &k, 8);
	assert_non_null(rs);
	assert_int_equal(rowset_rows(rs), 1);
	assert_string_equal(rowset_text(rs, 0, 0, NULL), "42");
	assert_null(rowset_text(rs, 1, 0, NULL)); /* out of range reads as NULL */
	rowcache_put(rc, k.hash, 9, rowset_builder_finish(rowset_builder_new(1), &k)); /* replaces, rs still held */
	assert_int_equal(rowset_int(rs, 0, 0), 42);
	rowset_release(rs);
	rs = rowcache_get(rc, &k, 9);
	assert_non_null(rs);
	assert_int_equal(rowset_rows(rs), 0);
	rowset_release(rs);
	rowcache_free(rc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_answered_until_a_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_tell_parameters_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cells_convert_as_sqlite_does, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_during_a_half_served_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readers_never_see_two_states, setup, teardown),
		cmocka_unit_test(test_rowset_limits),
	};

	return cmocka_run_group_tests_name("test_rowcache", tests, NULL, NULL);
}
