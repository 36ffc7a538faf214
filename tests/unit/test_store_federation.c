/*
 * test_store_federation.c - tests src/store/federation.c: /federation's sign-in tokens are found by their hash,
 * spent once (a second take finds nothing), not after their expiry, and pruned once expired.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/console.h"
#include "store/db.h"
#include "util/common.h"

struct fixture {
	char dir[64];
	struct db *db;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/rolegate-test-XXXXXX");
	if (!mkdtemp(fx->dir) || !(fx->db = db_open_sqlite(fx->dir)) || store_migrate(fx->db) != C_OK) {
		db_close(fx->db);
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	db_close(fx->db);
	remove_dir(fx->dir);
	free(fx);
	return 0;
}

/* Runs take in a transaction of its own, committed. */
static int take(struct db *db, const char *hash, int64_t now, struct store_fed_token *out)
{
	struct db_tx *tx;
	int rc;

	assert_int_equal(db_begin(db, true, &tx), C_OK);
	rc = store_fed_token_take(tx, hash, now, out);
	assert_int_equal(db_commit(tx), C_OK);
	return rc;
}

static void test_single_use(void **state)
{
	struct fixture *fx = *state;
	struct store_fed_token t;
	struct db_tx *tx;

	assert_int_equal(db_begin(fx->db, true, &tx), C_OK);
	assert_int_equal(store_fed_token_put(tx, "aa", "RGT2.k.one", 3600, 1000), C_OK);
	assert_int_equal(store_fed_token_put(tx, "bb", "RGT2.k.two", 0, 1000), C_OK);
	assert_int_not_equal(store_fed_token_put(tx, "bb", "RGT2.k.other", 0, 1000), C_OK); /* a hash is one token */
	assert_int_equal(db_commit(tx), C_OK);

	assert_int_equal(take(fx->db, "aa", 999, &t), C_OK);
	assert_string_equal(t.token, "RGT2.k.one");
	assert_int_equal(t.session_duration_s, 3600);
	assert_int_equal(t.expires_ms, 1000);
	/* spent */
	assert_int_equal(take(fx->db, "aa", 999, &t), STORE_NOT_FOUND);
	assert_string_equal(t.token, "");
	/* unknown; expired (expires_ms is the first instant it no longer works) */
	assert_int_equal(take(fx->db, "cc", 0, &t), STORE_NOT_FOUND);
	assert_int_equal(take(fx->db, "bb", 1000, &t), STORE_NOT_FOUND);
}

static void test_rolled_back_take_is_not_spent(void **state)
{
	struct fixture *fx = *state;
	struct store_fed_token t;
	struct db_tx *tx;

	assert_int_equal(db_begin(fx->db, true, &tx), C_OK);
	assert_int_equal(store_fed_token_put(tx, "dd", "RGT2.k.d", 0, 5000), C_OK);
	assert_int_equal(db_commit(tx), C_OK);
	assert_int_equal(db_begin(fx->db, true, &tx), C_OK);
	assert_int_equal(store_fed_token_take(tx, "dd", 10, &t), C_OK);
	db_rollback(tx);
	assert_int_equal(take(fx->db, "dd", 10, &t), C_OK);
	assert_int_equal(take(fx->db, "dd", 10, &t), STORE_NOT_FOUND);
}

static void test_prune(void **state)
{
	struct fixture *fx = *state;
	struct store_fed_token t;
	struct db_tx *tx;

	assert_int_equal(db_begin(fx->db, true, &tx), C_OK);
	assert_int_equal(store_fed_token_put(tx, "old", "RGT2.k.old", 0, 100), C_OK);
	assert_int_equal(store_fed_token_put(tx, "new", "RGT2.k.new", 0, 300), C_OK);
	assert_int_equal(store_fed_token_prune(tx, 200), C_OK);
	assert_int_equal(db_commit(tx), C_OK);
	/* the pruned one is gone even for a clock that says it had not expired */
	assert_int_equal(take(fx->db, "old", 50, &t), STORE_NOT_FOUND);
	assert_int_equal(take(fx->db, "new", 250, &t), C_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_single_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rolled_back_take_is_not_spent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
