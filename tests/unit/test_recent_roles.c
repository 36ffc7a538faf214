/*
 * test_recent_roles.c - tests the console's recent roles (src/store/recent_roles.c) on a fresh SQLite database:
 * most recent first, a switch to a role already listed moves it up and keeps the latest display name and colour
 * (one row per principal, account and role), no limit of five (only the caller's), principals kept apart,
 * deleting one.
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

#include "store/console.h"
#include "store/db.h"
#include "store/store.h"
#include "util/common.h"
#include "util/crypto.h"

#define ANAY "arn:aws:iam::111111111111:user/anay"
#define ABHI "arn:aws:iam::111111111111:user/abhi"

struct fixture {
	char dir[64];
	struct db *db;
};

struct seen {
	struct store_recent_role rows[32];
	int n;
};

static int collect(void *ctx, const struct store_recent_role *r)
{
	struct seen *s = ctx;

	if (s->n < 32)
		s->rows[s->n++] = *r;
	return C_OK;
}

static void use(struct db *db, const char *who, const char *account, const char *role, const char *display,
                const char *color, int64_t when)
{
	struct store_recent_role r = {.used_ms = when};
	struct db_tx *tx;

	snprintf(r.account_id, sizeof(r.account_id), "%s", account);
	snprintf(r.role_name, sizeof(r.role_name), "%s", role);
	snprintf(r.display_name, sizeof(r.display_name), "%s", display);
	snprintf(r.color, sizeof(r.color), "%s", color);
	assert_int_equal(db_begin(db, true, &tx), C_OK);
	assert_int_equal(store_recent_role_upsert(tx, who, &r), C_OK);
	assert_int_equal(db_commit(tx), C_OK);
}

static int list(struct db *db, const char *who, int limit, struct seen *s)
{
	struct db_tx *tx;
	int n;

	memset(s, 0, sizeof(*s));
	assert_int_equal(db_begin(db, false, &tx), C_OK);
	n = store_recent_role_list(tx, who, limit, collect, s);
	db_rollback(tx);
	return n;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/rolegate-recent-XXXXXX");
	if (!mkdtemp(fx->dir) || !(fx->db = db_open_sqlite(fx->dir)) || store_migrate(fx->db) != C_OK)
		return -1;
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

static void test_most_recent_first_and_moved_up(void **state)
{
	struct fixture *fx = *state;
	struct seen s;

	use(fx->db, ANAY, "222222222222", "admin", "Dev admin", "99BCE3", 1000);
	use(fx->db, ANAY, "333333333333", "admin", "Stage admin", "FAD791", 2000);
	use(fx->db, ANAY, "444444444444", "path/admin", "admin @ Prod", "", 3000);
	assert_int_equal(list(fx->db, ANAY, 50, &s), 3);
	assert_string_equal(s.rows[0].account_id, "444444444444");
	assert_string_equal(s.rows[0].role_name, "path/admin");
	assert_string_equal(s.rows[0].color, "");
	assert_string_equal(s.rows[2].display_name, "Dev admin");
	/* switching to Dev again: one row, first now, with the new display name and colour */
	use(fx->db, ANAY, "222222222222", "admin", "DEV", "F2B0A9", 4000);
	assert_int_equal(list(fx->db, ANAY, 50, &s), 3);
	assert_string_equal(s.rows[0].account_id, "222222222222");
	assert_string_equal(s.rows[0].display_name, "DEV");
	assert_string_equal(s.rows[0].color, "F2B0A9");
	assert_int_equal(s.rows[0].used_ms, 4000);
	assert_string_equal(s.rows[1].account_id, "444444444444");
}

static void test_no_limit_of_five_and_principals_apart(void **state)
{
	struct fixture *fx = *state;
	struct seen s;
	char role[16];
	struct db_tx *tx;

	for (int i = 0; i < 12; i++) {
		snprintf(role, sizeof(role), "role%02d", i);
		use(fx->db, ANAY, "222222222222", role, role, "", 1000 + i);
	}
	use(fx->db, ABHI, "222222222222", "admin", "mine", "", 5000);
	assert_int_equal(list(fx->db, ANAY, 50, &s), 12);
	assert_string_equal(s.rows[0].role_name, "role11");
	assert_string_equal(s.rows[11].role_name, "role00");
	assert_int_equal(list(fx->db, ANAY, 7, &s), 7); /* the caller's bound */
	assert_int_equal(list(fx->db, ABHI, 50, &s), 1);
	assert_string_equal(s.rows[0].display_name, "mine");
	/* forgetting one */
	assert_int_equal(db_begin(fx->db, true, &tx), C_OK);
	assert_int_equal(store_recent_role_delete(tx, ANAY, "222222222222", "role05"), C_OK);
	assert_int_equal(db_commit(tx), C_OK);
	assert_int_equal(list(fx->db, ANAY, 50, &s), 11);
	for (int i = 0; i < s.n; i++)
		assert_string_not_equal(s.rows[i].role_name, "role05");
}

static int group_setup(void **state)
{
	(void)state;
	return crypto_init();
}

static int group_teardown(void **state)
{
	(void)state;
	crypto_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_most_recent_first_and_moved_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_limit_of_five_and_principals_apart, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
