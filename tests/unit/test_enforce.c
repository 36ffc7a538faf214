/*
 * test_enforce.c - enforcement modes (src/server/enforce.c) and the records nobody waits for (src/server/auditlog.c):
 *
 *   the mode of an account: its own setting, else its Organizations tag rolegate:enforcement, else the server's
 *   --enforce; a tag that is neither strict nor soft is ignored; enforce_soften lets through only an AccessDenied,
 *   never a dry run, and keeps the first message; records submitted without a callback are written, more of them
 *   than the queue holds (the submitters wait for room: none is dropped), with their enforcement column.
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

#include "server/auditlog.h"
#include "server/enforce.h"
#include "store/db.h"
#include "store/orgs.h"
#include "store/store.h"
#include "util/common.h"
#include "util/log.h"

#define ACCT "123456789012"

struct fixture {
	char dir[64];
	struct db *db;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct db_tx *tx;
	struct store_account a = {.created_ms = 1000};

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/rolegate-test-XXXXXX");
	if (!mkdtemp(fx->dir) || !(fx->db = db_open_sqlite(fx->dir)) || store_migrate(fx->db) != C_OK)
		return -1;
	snprintf(a.account_id, sizeof(a.account_id), ACCT);
	snprintf(a.name, sizeof(a.name), "one");
	snprintf(a.status, sizeof(a.status), "ACTIVE");
	if (db_begin(fx->db, true, &tx) != C_OK || store_account_create(tx, &a) != C_OK || db_commit(tx) != C_OK)
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

/* The mode of ACCT with the server's --enforce flag (and --compat moto when compat). */
static enum enforce_mode mode_compat(struct db *db, const char *flag, bool compat)
{
	struct server_config cfg = {.enforce = (char *)flag, .compat = compat ? "moto" : NULL};
	struct rg_server srv = {.cfg = &cfg};
	struct db_tx *tx;
	enum enforce_mode m;

	assert_int_equal(db_begin(db, false, &tx), C_OK);
	m = enforce_mode_of(&srv, tx, ACCT);
	db_rollback(tx);
	return m;
}

static enum enforce_mode mode_with(struct db *db, const char *flag)
{
	return mode_compat(db, flag, false);
}

static void set_modes(struct db *db, const char *own, const char *tag)
{
	struct db_tx *tx;

	assert_int_equal(db_begin(db, true, &tx), C_OK);
	assert_int_equal(store_enforcement_set(tx, ACCT, own, 5), C_OK);
	if (tag)
		assert_int_equal(store_tag_put(tx, ORG_TAG_PREFIX ACCT, "Rolegate:Enforcement", tag), C_OK);
	else
		assert_int_equal(store_tag_delete(tx, ORG_TAG_PREFIX ACCT, ENFORCE_TAG_KEY), C_OK);
	assert_int_equal(db_commit(tx), C_OK);
}

static void test_order(void **state)
{
	struct fixture *fx = *state;

	/* nothing set: the flag (and strict when the flag says nothing usable) */
	assert_int_equal(mode_with(fx->db, "strict"), ENFORCE_STRICT);
	assert_int_equal(mode_with(fx->db, "soft"), ENFORCE_SOFT);
	assert_int_equal(mode_with(fx->db, NULL), ENFORCE_STRICT);
	/* --compat moto without --enforce: soft; with it: as it says */
	assert_int_equal(mode_compat(fx->db, NULL, true), ENFORCE_SOFT);
	assert_int_equal(mode_compat(fx->db, "strict", true), ENFORCE_STRICT);
	/* the tag (its key without regard to case, its value too) over the flag */
	set_modes(fx->db, NULL, "SOFT");
	assert_int_equal(mode_with(fx->db, "strict"), ENFORCE_SOFT);
	set_modes(fx->db, NULL, "strict");
	assert_int_equal(mode_with(fx->db, "soft"), ENFORCE_STRICT);
	/* a tag that is neither: ignored */
	set_modes(fx->db, NULL, "lenient");
	assert_int_equal(mode_with(fx->db, "soft"), ENFORCE_SOFT);
	assert_int_equal(mode_with(fx->db, "strict"), ENFORCE_STRICT);
	/* the account's own setting over both */
	set_modes(fx->db, "strict", "soft");
	assert_int_equal(mode_with(fx->db, "soft"), ENFORCE_STRICT);
	assert_int_equal(mode_compat(fx->db, NULL, true), ENFORCE_STRICT);
	set_modes(fx->db, "soft", "strict");
	assert_int_equal(mode_with(fx->db, "strict"), ENFORCE_SOFT);
	/* inherit again */
	set_modes(fx->db, NULL, NULL);
	assert_int_equal(mode_with(fx->db, "strict"), ENFORCE_STRICT);
}

static void test_soften(void **state)
{
	struct fixture *fx = *state;
	struct server_config cfg = {.enforce = "soft"};
	struct rg_server srv = {.cfg = &cfg};
	struct call *c = malloc(sizeof(*c));

	assert_non_null(c);
	call_init(c);
	c->srv = &srv;
	snprintf(c->caller.account_id, sizeof(c->caller.account_id), ACCT);
	assert_int_equal(db_begin(fx->db, false, &c->tx), C_OK);

	/* not a policy's denial: never */
	aws_err_set(&c->err, ERR_INVALID_CLIENT_TOKEN_ID, "The security token included in the request is invalid.");
	assert_false(enforce_soften(c));
	assert_int_equal(c->err.code, ERR_INVALID_CLIENT_TOKEN_ID);
	/* a dry run: never */
	c->dry_run = true;
	aws_err_set(&c->err, ERR_ACCESS_DENIED, "first");
	assert_false(enforce_soften(c));
	assert_false(c->soft_denied);
	/* a denial: let through, the first message kept */
	c->dry_run = false;
	assert_true(enforce_soften(c));
	assert_int_equal(c->err.code, ERR_NONE);
	assert_true(c->soft_denied);
	aws_err_set(&c->err, ERR_ACCESS_DENIED, "second");
	assert_true(enforce_soften(c));
	assert_string_equal(c->soft_message, "first");
	db_rollback(c->tx);

	/* strict: refused */
	call_init(c);
	cfg.enforce = "strict";
	c->srv = &srv;
	snprintf(c->caller.account_id, sizeof(c->caller.account_id), ACCT);
	assert_int_equal(db_begin(fx->db, false, &c->tx), C_OK);
	aws_err_set(&c->err, ERR_ACCESS_DENIED, "denied");
	assert_false(enforce_soften(c));
	assert_int_equal(c->err.code, ERR_ACCESS_DENIED);
	assert_false(c->soft_denied);
	db_rollback(c->tx);
	free(c);
}

static void test_fire_and_forget(void **state)
{
	struct fixture *fx = *state;
	struct db *adb = db_open_sqlite_file(fx->dir, "audit.db");
	struct auditlog *q;
	struct db_tx *tx;
	int64_t n = 0, soft = 0;
	const int total = AUDITLOG_QUEUE_MAX * 2 + 7;

	assert_non_null(adb);
	assert_int_equal(store_migrate_audit(adb), C_OK);
	q = auditlog_new(adb, AUDITLOG_LINGER_US);
	assert_non_null(q);
	for (int i = 0; i < total; i++) {
		char rid[32];
		snprintf(rid, sizeof(rid), "r%d", i);
		struct store_audit a = {.time_ms = 1000 + i, .request_id = rid, .account_id = ACCT,
		                        .principal_arn = "arn:aws:iam::" ACCT ":root", .action = "iam:GetUser",
		                        .outcome = "Success", .enforcement = i % 2 ? ENFORCE_SOFT_DENIED : NULL};
		assert_int_equal(auditlog_submit(q, &a, NULL, NULL), C_OK); /* waits when the queue is full */
	}
	auditlog_free(q); /* writes what is queued */
	assert_int_equal(db_begin(adb, false, &tx), C_OK);
	assert_int_equal(db_one_int(db_query_fresh(tx, "SELECT count(*) FROM audit", DB_NOARGS), &n), C_OK);
	assert_int_equal(db_one_int(db_query_fresh(tx, "SELECT count(*) FROM audit WHERE enforcement = 'soft-denied'",
	                                           DB_NOARGS),
	                            &soft),
	                 C_OK);
	db_rollback(tx);
	db_close(adb);
	assert_int_equal(n, total);
	assert_int_equal(soft, total / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_soften, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fire_and_forget, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
