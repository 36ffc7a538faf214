/*
 * test_store.c - tests the SQLite store (src/store/) through db.h and store.h, and the two server modules that keep
 * secrets: src/server/secrets.c (master key, sealing) and src/server/keycache.c (derived signing keys).
 *
 * Each store test opens a fresh database in its own mkdtemp directory: migrations (idempotent; a database newer
 * than the binary refused), accounts, users (case-insensitive names, renames, listing by path prefix with
 * after/limit paging), tags (replace without regard to case, order kept), access keys, the audit trail,
 * transactions (rollback leaves nothing; the write generation) and reopening.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/keycache.h"
#include "server/secrets.h"
#include "store/db.h"
#include "store/store.h"
#include "util/common.h"
#include "util/crypto.h"
#include "util/log.h"

#define ACCT "123456789012"
#define ACCT2 "210987654321"

struct fixture {
	char dir[64];
	struct db *db;
};

/* ---- helpers ------------------------------------------------------------------------------------------------- */

static void make_dir(char dir[64])
{
	snprintf(dir, 64, "/tmp/rolegate-test-XXXXXX");
	if (!mkdtemp(dir)) {
		print_error("mkdtemp failed\n");
		fail();
	}
}

/* Removes dir and the files in it (the database, its WAL and SHM, the master key). */
static int setup_db(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	make_dir(fx->dir);
	fx->db = db_open_sqlite(fx->dir);
	if (!fx->db || store_migrate(fx->db) != C_OK) {
		db_close(fx->db);
		remove_dir(fx->dir);
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown_db(void **state)
{
	struct fixture *fx = *state;

	db_close(fx->db);
	remove_dir(fx->dir);
	free(fx);
	return 0;
}

static struct db_tx *begin(struct db *db, bool write)
{
	struct db_tx *tx = NULL;

	assert_int_equal(db_begin(db, write, &tx), C_OK);
	assert_non_null(tx);
	return tx;
}

static void commit(struct db_tx *tx)
{
	assert_int_equal(db_commit(tx), C_OK);
}

static void add_account(struct db_tx *tx, const char *id)
{
	struct store_account a = {.is_management = false, .created_ms = 1000};

	snprintf(a.account_id, sizeof(a.account_id), "%s", id);
	snprintf(a.name, sizeof(a.name), "account %s", id);
	snprintf(a.status, sizeof(a.status), "ACTIVE");
	assert_int_equal(store_account_create(tx, &a), C_OK);
}

static struct store_user user(const char *id, const char *account, const char *name, const char *path)
{
	struct store_user u;

	memset(&u, 0, sizeof(u));
	snprintf(u.user_id, sizeof(u.user_id), "%s", id);
	snprintf(u.account_id, sizeof(u.account_id), "%s", account);
	snprintf(u.name, sizeof(u.name), "%s", name);
	snprintf(u.path, sizeof(u.path), "%s", path);
	u.created_ms = 1767323045000;
	return u;
}

static void add_user(struct db_tx *tx, const char *id, const char *account, const char *name, const char *path)
{
	struct store_user u = user(id, account, name, path);

	assert_int_equal(store_user_create(tx, &u), C_OK);
}

/* Names seen by a listing, joined with ','. */
struct names {
	char s[1024];
	int calls, stop_after;
};

static int collect_user(void *ctx, const struct store_user *u)
{
	struct names *n = ctx;

	n->calls++;
	if (n->stop_after && n->calls > n->stop_after)
		return C_ERR;
	snprintf(n->s + strlen(n->s), sizeof(n->s) - strlen(n->s), "%s%s", n->s[0] ? "," : "", u->name);
	return C_OK;
}

static int collect_tag(void *ctx, const struct store_tag *t)
{
	struct names *n = ctx;

	n->calls++;
	snprintf(n->s + strlen(n->s), sizeof(n->s) - strlen(n->s), "%s%s=%s", n->s[0] ? "," : "", t->key, t->value);
	return C_OK;
}

static int collect_key(void *ctx, const struct store_access_key *k)
{
	struct names *n = ctx;

	n->calls++;
	snprintf(n->s + strlen(n->s), sizeof(n->s) - strlen(n->s), "%s%s", n->s[0] ? "," : "", k->access_key_id);
	return C_OK;
}

static void list_users(struct db_tx *tx, const char *account, const char *prefix, const char *after, int limit,
                       const char *want)
{
	struct names n = {.s = ""};
	int rc = store_user_list(tx, account, prefix, after, limit, collect_user, &n);

	if (strcmp(n.s, want) != 0)
		print_error("list(%s, %s, %s, %d) = '%s', expected '%s'\n", account, prefix ? prefix : "NULL",
		            after ? after : "NULL", limit, n.s, want);
	assert_string_equal(n.s, want);
	assert_int_equal(rc, n.calls);
}

static void list_tags(struct db_tx *tx, const char *rid, int skip, int limit, const char *want)
{
	struct names n = {.s = ""};
	int rc = store_tag_list(tx, rid, skip, limit, collect_tag, &n);

	assert_string_equal(n.s, want);
	assert_int_equal(rc, n.calls);
}

static int64_t count_rows(struct db_tx *tx, const char *which)
{
	struct db_rows *r;
	int64_t n = -1;

	if (strcmp(which, "audit") == 0)
		r = db_query_fresh(tx, "SELECT count(*) FROM audit", DB_NOARGS);
	else if (strcmp(which, "migrations") == 0)
		r = db_query(tx, "SELECT count(*) FROM schema_migrations", DB_NOARGS);
	else
		r = db_query(tx, "SELECT count(*) FROM users", DB_NOARGS);
	if (db_step(r) == DB_ROW)
		n = db_col_int(r, 0);
	db_rows_done(r);
	return n;
}

/* ---- migrations and transactions ----------------------------------------------------------------------------- */

static void test_migrate_idempotent(void **state)
{
	struct fixture *fx = *state;
	struct db_tx *tx;

	/* setup_db migrated once; again changes nothing. */
	assert_int_equal(store_migrate(fx->db), C_OK);
	assert_int_equal(store_migrate(fx->db), C_OK);
	tx = begin(fx->db, false);
	assert_int_equal(count_rows(tx, "migrations"), 9); /* 1: users, keys, audit; 2: issue 4; 3: boundary indexes;
	                                                      * 4: the audit's user_agent, region, response;
	                                                      * 5: the web console's tables;
	                                                      * 6: the audit's explanation;
	                                                      * 7: the audit's enforcement, account_enforcement;
	                                                      * 8: oidc_providers;
	                                                      * 9: saml_providers */
	commit(tx);
	/* The file is where it was asked to be. */
	{
		char path[128];
		struct stat st;
		snprintf(path, sizeof(path), "%s/rolegate.db", fx->dir);
		assert_int_equal(stat(path, &st), 0);
	}
}

static void test_open_missing_dir(void **state)
{
	(void)state;
	assert_null(db_open_sqlite("/nonexistent/rolegate-test-dir"));
}

static void test_newer_schema_refused(void **state)
{
	struct fixture *fx = *state;
	struct db_tx *tx = begin(fx->db, true);

	assert_int_equal(db_exec(tx, "INSERT INTO schema_migrations(version, applied_ms) VALUES (?1, ?2)",
	                         DB_ARGS(db_int(99), db_int(0)), NULL),
	                 C_OK);
	commit(tx);
	assert_int_equal(store_migrate(fx->db), C_ERR);
	/* Refusing left no transaction open. */
	tx = begin(fx->db, false);
	commit(tx);
}

static void test_rollback(void **state)
{
	struct fixture *fx = *state;
	struct db_tx *tx = begin(fx->db, true);
	struct store_user u;

	add_account(tx, ACCT);
	add_user(tx, "AIDA1", ACCT, "temp", "/");
	assert_int_equal(store_user_get(tx, ACCT, "temp", &u), C_OK); /* visible inside */
	db_rollback(tx);

	tx = begin(fx->db, false);
	assert_int_equal(store_user_get(tx, ACCT, "temp", &u), STORE_NOT_FOUND);
	assert_int_equal(count_rows(tx, "users"), 0);
	assert_int_equal(store_account_get(tx, ACCT, &(struct store_account){0}), STORE_NOT_FOUND);
	commit(tx);
}

static void test_nested_begin_refused(void **state)
{
	struct fixture *fx = *state;
	struct db_tx *tx = begin(fx->db, false), *tx2 = NULL;

	assert_int_equal(db_begin(fx->db, false, &tx2), C_ERR);
	commit(tx);
	tx2 = begin(fx->db, true);
	commit(tx2);
}

static void test_generation(void **state)
{
	struct fixture *fx = *state;
	uint64_t g = db_generation(fx->db);
	struct db_tx *tx;

	/* A committed write advances it; reads, rollbacks and bookkeeping writes do not. */
	tx = begin(fx->db, true);
	add_account(tx, ACCT);
	commit(tx);
	assert_true(db_generation(fx->db) == g + 1);
	tx = begin(fx->db, false);
	commit(tx);
	assert_true(db_generation(fx->db) == g + 1);
	tx = begin(fx->db, true);
	add_account(tx, ACCT2);
	db_rollback(tx);
	assert_true(db_generation(fx->db) == g + 1);
	assert_int_equal(db_begin_stats(fx->db, &tx), C_OK);
	assert_int_equal(store_meta_set(tx, "k", "v"), C_OK);
	commit(tx);
	assert_true(db_generation(fx->db) == g + 1);
}

static void test_reopen(void **state)
{
	struct fixture *fx = *state;
	struct db_tx *tx = begin(fx->db, true);
	struct store_user u;

	add_account(tx, ACCT);
	add_user(tx, "AIDA1", ACCT, "kept", "/");
	commit(tx);
	db_close(fx->db);
	fx->db = db_open_sqlite(fx->dir);
	assert_non_null(fx->db);
	assert_int_equal(store_migrate(fx->db), C_OK);
	tx = begin(fx->db, false);
	assert_int_equal(store_user_get(tx, ACCT, "kept", &u), C_OK);
	assert_string_equal(u.user_id, "AIDA1");
	commit(tx);
}

/* ---- meta and accounts --------------------------------------------------------------------------------------- */

static void test_meta(void **state)
{
	struct fixture *fx = *state;
	struct db_tx *tx = begin(fx->db, true);
	char out[32];

	assert_int_equal(store_meta_get(tx, "bootstrap", out, sizeof(out)), STORE_NOT_FOUND);
	assert_int_equal(store_meta_set(tx, "bootstrap", "one"), C_OK);
	assert_int_equal(store_meta_get(tx, "bootstrap", out, sizeof(out)), C_OK);
	assert_string_equal(out, "one");
	assert_int_equal(store_meta_set(tx, "bootstrap", "two"), C_OK);
	assert_int_equal(store_meta_get(tx, "bootstrap", out, sizeof(out)), C_OK);
	assert_string_equal(out, "two");
	/* Too long for the caller's buffer: an error, not a truncation. */
	assert_int_equal(store_meta_get(tx, "bootstrap", out, 3), C_ERR);
	commit(tx);
}

static void test_accounts(void **state)
{
	struct fixture *fx = *state;
	struct db_tx *tx = begin(fx->db, true);
	struct store_account a = {.is_management = true, .created_ms = 42}, got;

	snprintf(a.account_id, sizeof(a.account_id), ACCT);
	snprintf(a.name, sizeof(a.name), "Management");
	snprintf(a.email, sizeof(a.email), "root@example.com");
	snprintf(a.status, sizeof(a.status), "ACTIVE");
	assert_int_equal(store_account_create(tx, &a), C_OK);
	assert_int_equal(store_account_create(tx, &a), STORE_EXISTS);
	assert_int_equal(store_account_get(tx, ACCT, &got), C_OK);
	assert_string_equal(got.account_id, ACCT);
	assert_string_equal(got.name, "Management");
	assert_string_equal(got.email, "root@example.com");
	assert_true(got.is_management);
	assert_string_equal(got.status, "ACTIVE");
	assert_int_equal(got.created_ms, 42);
	assert_int_equal(store_account_get(tx, ACCT2, &got), STORE_NOT_FOUND);
	/* No email is stored as NULL and read back as "". */
	add_account(tx, ACCT2);
	assert_int_equal(store_account_get(tx, ACCT2, &got), C_OK);
	assert_string_equal(got.email, "");
	assert_false(got.is_management);
	/* The schema insists on 12-character ids. */
	snprintf(a.account_id, sizeof(a.account_id), "12345");
	assert_int_not_equal(store_account_create(tx, &a), C_OK);
	commit(tx);
}

/* ---- users --------------------------------------------------------------------------------------------------- */

static void test_users_create_get(void **state)
{
	struct fixture *fx = *state;
	struct db_tx *tx = begin(fx->db, true);
	struct store_user u = user("AIDABOB", ACCT, "Bob", "/eng/"), got;

	add_account(tx, ACCT);
	add_account(tx, ACCT2);
	snprintf(u.permissions_boundary, sizeof(u.permissions_boundary), "arn:aws:iam::aws:policy/PowerUserAccess");
	assert_int_equal(store_user_create(tx, &u), C_OK);
	/* Names are unique without regard to case, within an account. */
	u = user("AIDABOB2", ACCT, "bob", "/");
	assert_int_equal(store_user_create(tx, &u), STORE_EXISTS);
	u = user("AIDABOB3", ACCT, "BOB", "/");
	assert_int_equal(store_user_create(tx, &u), STORE_EXISTS);
	u = user("AIDABOB4", ACCT2, "bob", "/");
	assert_int_equal(store_user_create(tx, &u), C_OK);
	/* The same user id twice. */
	u = user("AIDABOB", ACCT, "other", "/");
	assert_int_equal(store_user_create(tx, &u), STORE_EXISTS);

	memset(&got, 0, sizeof(got));
	assert_int_equal(store_user_get(tx, ACCT, "bOB", &got), C_OK);
	assert_string_equal(got.user_id, "AIDABOB");
	assert_string_equal(got.account_id, ACCT);
	assert_string_equal(got.name, "Bob"); /* the case it was created with */
	assert_string_equal(got.path, "/eng/");
	assert_string_equal(got.permissions_boundary, "arn:aws:iam::aws:policy/PowerUserAccess");
	assert_int_equal(got.created_ms, 1767323045000);
	assert_int_equal(store_user_get(tx, ACCT2, "BOB", &got), C_OK);
	assert_string_equal(got.user_id, "AIDABOB4");
	assert_string_equal(got.permissions_boundary, "");
	assert_int_equal(store_user_get(tx, ACCT, "alice", &got), STORE_NOT_FOUND);
	assert_int_equal(store_user_get(tx, "999999999999", "bob", &got), STORE_NOT_FOUND);

	assert_int_equal(store_user_get_by_id(tx, "AIDABOB", &got), C_OK);
	assert_string_equal(got.name, "Bob");
	assert_int_equal(store_user_get_by_id(tx, "aidabob", &got), STORE_NOT_FOUND); /* ids are exact */
	/* A longer-than-allowed name just is not found. */
	assert_int_equal(store_user_get(tx, ACCT,
	                                "bobbobbobbobbobbobbobbobbobbobbobbobbobbobbobbobbobbobbobbobbobbobbobbobbob",
	                                &got),
	                 STORE_NOT_FOUND);
	commit(tx);
}

static void test_users_update_delete(void **state)
{
	struct fixture *fx = *state;
	struct db_tx *tx = begin(fx->db, true);
	struct store_user got;

	add_account(tx, ACCT);
	add_user(tx, "AIDA1", ACCT, "alice", "/");
	add_user(tx, "AIDA2", ACCT, "bob", "/");
	/* Rename onto an existing name (any case) is refused and changes nothing. */
	assert_int_equal(store_user_update(tx, "AIDA2", "ALICE", NULL), STORE_EXISTS);
	assert_int_equal(store_user_get_by_id(tx, "AIDA2", &got), C_OK);
	assert_string_equal(got.name, "bob");
	/* Renaming a user to another case of its own name is fine. */
	assert_int_equal(store_user_update(tx, "AIDA1", "Alice", NULL), C_OK);
	assert_int_equal(store_user_get(tx, ACCT, "alice", &got), C_OK);
	assert_string_equal(got.name, "Alice");
	assert_string_equal(got.path, "/");
	/* Rename and move. */
	assert_int_equal(store_user_update(tx, "AIDA2", "Robert", "/sales/"), C_OK);
	assert_int_equal(store_user_get(tx, ACCT, "bob", &got), STORE_NOT_FOUND);
	assert_int_equal(store_user_get(tx, ACCT, "ROBERT", &got), C_OK);
	assert_string_equal(got.user_id, "AIDA2");
	assert_string_equal(got.path, "/sales/");
	/* Move only. */
	assert_int_equal(store_user_update(tx, "AIDA2", NULL, "/x/"), C_OK);
	assert_int_equal(store_user_get_by_id(tx, "AIDA2", &got), C_OK);
	assert_string_equal(got.name, "Robert");
	assert_string_equal(got.path, "/x/");
	/* The old name is free again. */
	add_user(tx, "AIDA3", ACCT, "BOB", "/");
	assert_int_equal(store_user_update(tx, "AIDA9", "zed", NULL), STORE_NOT_FOUND);
	assert_int_equal(store_user_delete(tx, "AIDA3"), C_OK);
	assert_int_equal(store_user_delete(tx, "AIDA3"), STORE_NOT_FOUND);
	assert_int_equal(store_user_get(tx, ACCT, "bob", &got), STORE_NOT_FOUND);
	commit(tx);
}

static void test_users_list(void **state)
{
	struct fixture *fx = *state;
	struct db_tx *tx = begin(fx->db, true);
	struct names n = {.s = "", .stop_after = 2};

	add_account(tx, ACCT);
	add_account(tx, ACCT2);
	add_user(tx, "AIDA5", ACCT, "Eve", "/eng/");
	add_user(tx, "AIDA1", ACCT, "alice", "/");
	add_user(tx, "AIDA3", ACCT, "carol", "/eng/team/");
	add_user(tx, "AIDA2", ACCT, "Bob", "/eng/");
	add_user(tx, "AIDA4", ACCT, "dave", "/ops/");
	add_user(tx, "AIDA6", ACCT, "frank", "/a_b/");
	add_user(tx, "AIDA7", ACCT, "gina", "/axb/");
	add_user(tx, "AIDA9", ACCT2, "zed", "/eng/");

	/* Ordered by lowercased name, one account only. */
	list_users(tx, ACCT, NULL, NULL, 100, "alice,Bob,carol,dave,Eve,frank,gina");
	list_users(tx, ACCT2, NULL, NULL, 100, "zed");
	list_users(tx, "000000000000", NULL, NULL, 100, "");
	/* Path prefixes. */
	list_users(tx, ACCT, "/", NULL, 100, "alice,Bob,carol,dave,Eve,frank,gina");
	list_users(tx, ACCT, "/eng/", NULL, 100, "Bob,carol,Eve");
	list_users(tx, ACCT, "/eng/team/", NULL, 100, "carol");
	list_users(tx, ACCT, "/e", NULL, 100, "Bob,carol,Eve");
	list_users(tx, ACCT, "/nothing/", NULL, 100, "");
	/* A prefix is literal: '_' and '%' are no wildcards. */
	list_users(tx, ACCT, "/a_", NULL, 100, "frank");
	list_users(tx, ACCT, "/a%", NULL, 100, "");
	/* Paging: after (exclusive, lowercased) and limit. */
	list_users(tx, ACCT, NULL, NULL, 2, "alice,Bob");
	list_users(tx, ACCT, NULL, "bob", 2, "carol,dave");
	list_users(tx, ACCT, NULL, "dave", 2, "Eve,frank");
	list_users(tx, ACCT, NULL, "frank", 2, "gina");
	list_users(tx, ACCT, NULL, "gina", 2, "");
	list_users(tx, ACCT, NULL, "b", 100, "Bob,carol,dave,Eve,frank,gina");
	list_users(tx, ACCT, "/eng/", "bob", 1, "carol");
	list_users(tx, ACCT, "/eng/", "carol", 1, "Eve");
	list_users(tx, ACCT, "/eng/", "eve", 1, "");
	/* The callback can stop the walk. */
	assert_int_equal(store_user_list(tx, ACCT, NULL, NULL, 100, collect_user, &n), C_ERR);
	assert_int_equal(n.calls, 3);
	commit(tx);
}

/* ---- tags ---------------------------------------------------------------------------------------------------- */

static void test_tags(void **state)
{
	struct fixture *fx = *state;
	struct db_tx *tx = begin(fx->db, true);
	int64_t count = -1;

	assert_int_equal(store_tag_count(tx, "AIDA1", &count), C_OK);
	assert_int_equal(count, 0);
	list_tags(tx, "AIDA1", 0, 100, "");
	assert_int_equal(store_tag_put(tx, "AIDA1", "Team", "a"), C_OK);
	assert_int_equal(store_tag_put(tx, "AIDA1", "env", "prod"), C_OK);
	assert_int_equal(store_tag_put(tx, "AIDA1", "cost", ""), C_OK);
	assert_int_equal(store_tag_put(tx, "AIDA2", "team", "other"), C_OK);
	list_tags(tx, "AIDA1", 0, 100, "Team=a,env=prod,cost=");
	/* Replacing without regard to case keeps the place, takes the new case and value. */
	assert_int_equal(store_tag_put(tx, "AIDA1", "TEAM", "b"), C_OK);
	list_tags(tx, "AIDA1", 0, 100, "TEAM=b,env=prod,cost=");
	assert_int_equal(store_tag_count(tx, "AIDA1", &count), C_OK);
	assert_int_equal(count, 3);
	/* Skip and limit. */
	list_tags(tx, "AIDA1", 1, 1, "env=prod");
	list_tags(tx, "AIDA1", 2, 100, "cost=");
	list_tags(tx, "AIDA1", 3, 100, "");
	/* Delete by key without regard to case; absent keys are no error. */
	assert_int_equal(store_tag_delete(tx, "AIDA1", "ENV"), C_OK);
	assert_int_equal(store_tag_delete(tx, "AIDA1", "nope"), C_OK);
	list_tags(tx, "AIDA1", 0, 100, "TEAM=b,cost=");
	/* A new tag goes last, after the ones still there. */
	assert_int_equal(store_tag_put(tx, "AIDA1", "new", "n"), C_OK);
	list_tags(tx, "AIDA1", 0, 100, "TEAM=b,cost=,new=n");
	/* Other resources are untouched. */
	list_tags(tx, "AIDA2", 0, 100, "team=other");
	/* Only ASCII is folded. */
	assert_int_equal(store_tag_put(tx, "AIDA3", "\xc3\x89t\xc3\xa9", "1"), C_OK);
	assert_int_equal(store_tag_put(tx, "AIDA3", "\xc3\xa9t\xc3\xa9", "2"), C_OK);
	assert_int_equal(store_tag_count(tx, "AIDA3", &count), C_OK);
	assert_int_equal(count, 2);
	assert_int_equal(store_tag_delete_all(tx, "AIDA1"), C_OK);
	assert_int_equal(store_tag_count(tx, "AIDA1", &count), C_OK);
	assert_int_equal(count, 0);
	assert_int_equal(store_tag_count(tx, "AIDA2", &count), C_OK);
	assert_int_equal(count, 1);
	commit(tx);
}

/* ---- access keys --------------------------------------------------------------------------------------------- */

static struct store_access_key key(const char *id, const char *user_id, int64_t created_ms, const char *secret)
{
	struct store_access_key k;

	memset(&k, 0, sizeof(k));
	snprintf(k.access_key_id, sizeof(k.access_key_id), "%s", id);
	snprintf(k.account_id, sizeof(k.account_id), ACCT);
	snprintf(k.user_id, sizeof(k.user_id), "%s", user_id);
	snprintf(k.status, sizeof(k.status), "Active");
	k.created_ms = created_ms;
	k.secret_sealed_len = strlen(secret);
	memcpy(k.secret_sealed, secret, k.secret_sealed_len);
	return k;
}

static void test_keys(void **state)
{
	struct fixture *fx = *state;
	struct db_tx *tx = begin(fx->db, true);
	struct store_access_key k, got;
	struct names n = {.s = ""};
	int64_t count = -1;
	const uint8_t blob[] = {0, 1, 2, 0xff, 0, 7};

	add_account(tx, ACCT);
	add_user(tx, "AIDA1", ACCT, "alice", "/");
	k = key("AKIAROOT000000000001", "", 100, "sealed-root");
	assert_int_equal(store_key_create(tx, &k), C_OK);
	k = key("AKIAUSER000000000002", "AIDA1", 300, "sealed-2");
	assert_int_equal(store_key_create(tx, &k), C_OK);
	k = key("AKIAUSER000000000001", "AIDA1", 200, "sealed-1");
	assert_int_equal(store_key_create(tx, &k), C_OK);
	assert_int_equal(store_key_create(tx, &k), STORE_EXISTS);
	/* A key for a user that does not exist is refused by the foreign key. */
	k = key("AKIAUSER000000000009", "AIDA9", 300, "x");
	assert_int_not_equal(store_key_create(tx, &k), C_OK);

	memset(&got, 0, sizeof(got));
	assert_int_equal(store_key_get(tx, "AKIAUSER000000000001", &got), C_OK);
	assert_string_equal(got.access_key_id, "AKIAUSER000000000001");
	assert_string_equal(got.account_id, ACCT);
	assert_string_equal(got.user_id, "AIDA1");
	assert_string_equal(got.status, "Active");
	assert_int_equal(got.created_ms, 200);
	assert_int_equal(got.secret_sealed_len, 8);
	assert_memory_equal(got.secret_sealed, "sealed-1", 8);
	assert_int_equal(got.last_used_ms, 0);
	assert_string_equal(got.last_used_service, "");
	assert_int_equal(store_key_get(tx, "AKIAROOT000000000001", &got), C_OK);
	assert_string_equal(got.user_id, ""); /* the root's */
	assert_int_equal(store_key_get(tx, "AKIANOPE000000000000", &got), STORE_NOT_FOUND);

	/* Lists: a user's keys oldest first; the root's (user NULL) apart. */
	assert_int_equal(store_key_list(tx, ACCT, "AIDA1", collect_key, &n), 2);
	assert_string_equal(n.s, "AKIAUSER000000000001,AKIAUSER000000000002");
	memset(&n, 0, sizeof(n));
	assert_int_equal(store_key_list(tx, ACCT, NULL, collect_key, &n), 1);
	assert_string_equal(n.s, "AKIAROOT000000000001");
	memset(&n, 0, sizeof(n));
	assert_int_equal(store_key_list(tx, ACCT2, NULL, collect_key, &n), 0);
	assert_int_equal(store_key_count(tx, ACCT, "AIDA1", &count), C_OK);
	assert_int_equal(count, 2);
	assert_int_equal(store_key_count(tx, ACCT, NULL, &count), C_OK);
	assert_int_equal(count, 1);
	assert_int_equal(store_key_count(tx, ACCT, "AIDA7", &count), C_OK);
	assert_int_equal(count, 0);

	/* Status. */
	assert_int_equal(store_key_set_status(tx, "AKIAUSER000000000001", "Inactive"), C_OK);
	assert_int_equal(store_key_get(tx, "AKIAUSER000000000001", &got), C_OK);
	assert_string_equal(got.status, "Inactive");
	assert_int_equal(store_key_set_status(tx, "AKIAUSER000000000001", "Bogus"), DB_CONSTRAINT);
	assert_int_equal(store_key_set_status(tx, "AKIANOPE000000000000", "Active"), STORE_NOT_FOUND);
	/* Secret (binary, with NULs). */
	assert_int_equal(store_key_set_secret(tx, "AKIAROOT000000000001", blob, sizeof(blob)), C_OK);
	assert_int_equal(store_key_get(tx, "AKIAROOT000000000001", &got), C_OK);
	assert_int_equal(got.secret_sealed_len, sizeof(blob));
	assert_memory_equal(got.secret_sealed, blob, sizeof(blob));
	assert_int_equal(store_key_set_secret(tx, "AKIANOPE000000000000", blob, sizeof(blob)), STORE_NOT_FOUND);
	/* Last use. */
	assert_int_equal(store_key_touch(tx, "AKIAUSER000000000002", 1767323045000, "iam", "us-east-1"), C_OK);
	assert_int_equal(store_key_get(tx, "AKIAUSER000000000002", &got), C_OK);
	assert_int_equal(got.last_used_ms, 1767323045000);
	assert_string_equal(got.last_used_service, "iam");
	assert_string_equal(got.last_used_region, "us-east-1");
	/* A user with keys cannot be deleted from under them. */
	assert_int_not_equal(store_user_delete(tx, "AIDA1"), C_OK);
	/* Delete. */
	assert_int_equal(store_key_delete(tx, "AKIAUSER000000000001"), C_OK);
	assert_int_equal(store_key_delete(tx, "AKIAUSER000000000001"), STORE_NOT_FOUND);
	assert_int_equal(store_key_get(tx, "AKIAUSER000000000001", &got), STORE_NOT_FOUND);
	assert_int_equal(store_key_count(tx, ACCT, "AIDA1", &count), C_OK);
	assert_int_equal(count, 1);
	commit(tx);
}

/* ---- audit --------------------------------------------------------------------------------------------------- */

static void test_audit(void **state)
{
	struct fixture *fx = *state;
	struct db_tx *tx = begin(fx->db, true);
	struct store_audit a = {
		.time_ms = 1767323045000,
		.request_id = "8d6c2a4e-1111-4222-8333-944455556666",
		.account_id = ACCT,
		.principal_arn = "arn:aws:iam::" ACCT ":root",
		.access_key_id = NULL,
		.action = "iam:CreateUser",
		.resource = "arn:aws:iam::" ACCT ":user/bob",
		.source_ip = "127.0.0.1",
		.outcome = "Success",
		.detail = "{\"userName\":\"bob\"}",
	};
	struct db_rows *r;

	assert_int_equal(store_audit_append(tx, &a), C_OK);
	a.outcome = "EntityAlreadyExists";
	a.access_key_id = "AKIAIOSFODNN7EXAMPLE";
	a.detail = NULL;
	assert_int_equal(store_audit_append(tx, &a), C_OK);
	assert_int_equal(count_rows(tx, "audit"), 2);
	r = db_query_fresh(tx, "SELECT action, outcome, access_key_id, detail FROM audit ORDER BY seq", DB_NOARGS);
	assert_int_equal(db_step(r), DB_ROW);
	assert_string_equal(db_col_text(r, 0), "iam:CreateUser");
	assert_string_equal(db_col_text(r, 1), "Success");
	assert_true(db_col_is_null(r, 2));
	assert_string_equal(db_col_text(r, 3), "{\"userName\":\"bob\"}");
	assert_int_equal(db_step(r), DB_ROW);
	assert_string_equal(db_col_text(r, 1), "EntityAlreadyExists");
	assert_string_equal(db_col_text(r, 2), "AKIAIOSFODNN7EXAMPLE");
	assert_true(db_col_is_null(r, 3));
	assert_int_equal(db_step(r), DB_DONE);
	db_rows_done(r);
	/* Required fields are required. */
	a.outcome = NULL;
	assert_int_not_equal(store_audit_append(tx, &a), C_OK);
	commit(tx);
	/* An audit record written in a rolled-back transaction is gone with it. */
	tx = begin(fx->db, true);
	a.outcome = "Success";
	assert_int_equal(store_audit_append(tx, &a), C_OK);
	db_rollback(tx);
	tx = begin(fx->db, false);
	assert_int_equal(count_rows(tx, "audit"), 2);
	commit(tx);
}

/* A group commit's batch: 37 records are 16 + 16 + 4 + 1 rows in four statements; every one is written, in order,
 * with its own values (a row's NULLs stay NULL), and a bad record fails the call. */
static void test_audit_many(void **state)
{
	struct fixture *fx = *state;
	struct db_tx *tx = begin(fx->db, true);
	struct store_audit a[37];
	char ids[37][40], res[37][64];
	struct db_rows *r;
	int i = 0;

	for (size_t k = 0; k < ARRAY_LEN(a); k++) {
		snprintf(ids[k], sizeof(ids[k]), "req-%02zu", k);
		snprintf(res[k], sizeof(res[k]), "arn:aws:iam::" ACCT ":user/u%02zu", k);
		a[k] = (struct store_audit){
			.time_ms = 1767323045000 + (int64_t)k,
			.request_id = ids[k],
			.account_id = ACCT,
			.principal_arn = "arn:aws:iam::" ACCT ":root",
			.access_key_id = k % 2 ? "AKIAIOSFODNN7EXAMPLE" : NULL,
			.action = "sts:AssumeRole",
			.resource = res[k],
			.source_ip = "127.0.0.1",
			.outcome = "Success",
			.region = "us-east-1",
		};
	}
	assert_int_equal(store_audit_append_many(tx, a, ARRAY_LEN(a)), C_OK);
	assert_int_equal(store_audit_append_many(tx, a, 0), C_OK);
	assert_int_equal(count_rows(tx, "audit"), 37);
	r = db_query_fresh(tx, "SELECT time_ms, request_id, access_key_id, resource, region FROM audit ORDER BY seq",
	                   DB_NOARGS);
	while (db_step(r) == DB_ROW) {
		assert_int_equal(db_col_int(r, 0), 1767323045000 + i);
		assert_string_equal(db_col_text(r, 1), ids[i]);
		assert_int_equal(db_col_is_null(r, 2), i % 2 == 0);
		assert_string_equal(db_col_text(r, 3), res[i]);
		assert_string_equal(db_col_text(r, 4), "us-east-1");
		i++;
	}
	db_rows_done(r);
	assert_int_equal(i, 37);
	a[20].outcome = NULL; /* required */
	assert_int_not_equal(store_audit_append_many(tx, a, ARRAY_LEN(a)), C_OK);
	db_rollback(tx);
}

/* ---- secrets ------------------------------------------------------------------------------------------------- */

static void test_secrets(void **state)
{
	char dir[64], dir2[64], path[128];
	const char *secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
	uint8_t sealed[128], sealed2[128];
	size_t n = 0, n2 = 0;
	char out[64];
	struct stat st;
	int fd;

	(void)state;
	make_dir(dir);
	make_dir(dir2);
	/* Nothing loaded: nothing sealed. */
	secrets_wipe();
	assert_int_equal(secrets_seal("AKIA1", secret, 40, sealed, sizeof(sealed), &n), C_ERR);

	/* First load creates DATA/master.key, 32 bytes, mode 0600. */
	assert_int_equal(secrets_load_master_key(NULL, dir), C_OK);
	snprintf(path, sizeof(path), "%s/master.key", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 32);

	assert_int_equal(secrets_seal("AKIA1", secret, 40, sealed, sizeof(sealed), &n), C_OK);
	assert_int_equal(n, 40 + AEAD_OVERHEAD);
	assert_null(memmem(sealed, n, "EXAMPLEKEY", 10)); /* not in the clear */
	assert_int_equal(secrets_open("AKIA1", sealed, n, out, sizeof(out)), C_OK);
	assert_string_equal(out, secret);
	/* Sealing twice gives different blobs (fresh nonces). */
	assert_int_equal(secrets_seal("AKIA1", secret, 40, sealed2, sizeof(sealed2), &n2), C_OK);
	assert_int_equal(n2, n);
	assert_memory_not_equal(sealed, sealed2, n);

	/* Bound to the id. */
	assert_int_equal(secrets_open("AKIA2", sealed, n, out, sizeof(out)), C_ERR);
	assert_int_equal(secrets_open("AKIA", sealed, n, out, sizeof(out)), C_ERR);
	/* Any change to the blob is detected. */
	for (size_t i = 0; i < n; i++) {
		sealed[i] ^= 0x01;
		assert_int_equal(secrets_open("AKIA1", sealed, n, out, sizeof(out)), C_ERR);
		sealed[i] ^= 0x01;
	}
	assert_int_equal(secrets_open("AKIA1", sealed, n - 1, out, sizeof(out)), C_ERR);
	assert_int_equal(secrets_open("AKIA1", sealed, AEAD_OVERHEAD - 1, out, sizeof(out)), C_ERR);
	/* The output must have room for the secret and its NUL. */
	assert_int_equal(secrets_open("AKIA1", sealed, n, out, 40), C_ERR);
	assert_int_equal(secrets_open("AKIA1", sealed, n, out, 41), C_OK);
	assert_int_equal(secrets_seal("AKIA1", secret, 40, sealed2, 40 + AEAD_OVERHEAD - 1, &n2), C_ERR);

	/* Loading again reads the same key: old blobs still open. */
	assert_int_equal(secrets_load_master_key(NULL, dir), C_OK);
	assert_int_equal(secrets_open("AKIA1", sealed, n, out, sizeof(out)), C_OK);
	assert_int_equal(secrets_load_master_key(path, NULL), C_OK);
	assert_int_equal(secrets_open("AKIA1", sealed, n, out, sizeof(out)), C_OK);
	/* Another directory, another (random) key. */
	assert_int_equal(secrets_load_master_key(NULL, dir2), C_OK);
	assert_int_equal(secrets_open("AKIA1", sealed, n, out, sizeof(out)), C_ERR);

	/* A key file of the wrong size is refused, and leaves nothing loaded. */
	snprintf(path, sizeof(path), "%s/short.key", dir2);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);
	assert_int_equal(secrets_load_master_key(path, NULL), C_ERR);
	assert_int_equal(secrets_seal("AKIA1", secret, 40, sealed2, sizeof(sealed2), &n2), C_ERR);
	snprintf(path, sizeof(path), "%s/missing.key", dir2);
	assert_int_equal(secrets_load_master_key(path, NULL), C_ERR);

	/* Wiped: nothing opens. */
	assert_int_equal(secrets_load_master_key(NULL, dir), C_OK);
	assert_int_equal(secrets_open("AKIA1", sealed, n, out, sizeof(out)), C_OK);
	secrets_wipe();
	assert_int_equal(secrets_open("AKIA1", sealed, n, out, sizeof(out)), C_ERR);
	remove_dir(dir);
	remove_dir(dir2);
}

/* A directory with a database and no master key is refused, and no key is made; a new one gets a key. Key ids are
 * stable per key and differ between keys; secrets_reseal moves a secret to another key, bound to the same id. */
static void test_secrets_master_key_rules(void **state)
{
	char dir[64], dir2[64], path[128], id1[MASTER_KEY_ID_LEN + 1], id2[MASTER_KEY_ID_LEN + 1];
	char again[MASTER_KEY_ID_LEN + 1], out[64];
	const char *secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
	uint8_t sealed[128], resealed[128], newkey[AEAD_KEY_LEN], plain[64];
	size_t n = 0, n2 = 0;
	struct stat st;
	int fd;

	(void)state;
	make_dir(dir);
	make_dir(dir2);
	snprintf(path, sizeof(path), "%s/rolegate.db", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);
	secrets_wipe();
	assert_int_equal(secrets_load_master_key(NULL, dir), C_ERR);
	snprintf(path, sizeof(path), "%s/master.key", dir);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(secrets_key_id(id1), C_ERR);

	assert_int_equal(secrets_load_master_key(NULL, dir2), C_OK);
	assert_int_equal(secrets_key_id(id1), C_OK);
	assert_int_equal(strlen(id1), MASTER_KEY_ID_LEN);
	assert_int_equal(secrets_load_master_key(NULL, dir2), C_OK);
	assert_int_equal(secrets_key_id(again), C_OK);
	assert_string_equal(id1, again);

	assert_int_equal(secrets_seal("AKIA1", secret, 40, sealed, sizeof(sealed), &n), C_OK);
	assert_int_equal(crypto_random(newkey, sizeof(newkey)), C_OK);
	secrets_key_id_of(newkey, id2);
	assert_string_not_equal(id1, id2);
	assert_int_equal(secrets_reseal(newkey, "AKIA1", sealed, n, resealed, sizeof(resealed), &n2), C_OK);
	assert_int_equal(n2, n);
	assert_memory_not_equal(sealed, resealed, n);
	/* the new blob opens under the new key, bound to the same id; not under the loaded (old) one */
	assert_int_equal(aead_open(newkey, "AKIA1", 5, resealed, n2, plain), C_OK);
	assert_memory_equal(plain, secret, 40);
	assert_int_equal(aead_open(newkey, "AKIA2", 5, resealed, n2, plain), C_ERR);
	assert_int_equal(secrets_open("AKIA1", resealed, n2, out, sizeof(out)), C_ERR);
	/* what does not open under the loaded key is not carried across */
	assert_int_equal(secrets_reseal(newkey, "AKIA2", sealed, n, resealed, sizeof(resealed), &n2), C_ERR);
	assert_int_equal(secrets_reseal(newkey, "AKIA1", resealed, n, sealed, sizeof(sealed), &n2), C_ERR);
	secrets_wipe();
	remove_dir(dir);
	remove_dir(dir2);
}

/* ---- signing-key cache --------------------------------------------------------------------------------------- */

static void test_keycache(void **state)
{
	struct sigkey_cache *c = sigkey_cache_new();
	uint8_t tag[16], tag2[16], key[SHA256_LEN], key2[SHA256_LEN], got[SHA256_LEN];
	char long_id[200];

	(void)state;
	assert_non_null(c);
	memset(tag, 1, sizeof(tag));
	memset(tag2, 2, sizeof(tag2));
	memset(key, 0xAA, sizeof(key));
	memset(key2, 0xBB, sizeof(key2));

	assert_false(sigkey_cache_get(c, "AKIA1", "20260102", "us-east-1", "iam", tag, got));
	sigkey_cache_put(c, "AKIA1", "20260102", "us-east-1", "iam", tag, key);
	memset(got, 0, sizeof(got));
	assert_true(sigkey_cache_get(c, "AKIA1", "20260102", "us-east-1", "iam", tag, got));
	assert_memory_equal(got, key, SHA256_LEN);
	/* Every part of the tuple, and the secret's tag, must match. */
	assert_false(sigkey_cache_get(c, "AKIA1", "20260102", "us-east-1", "iam", tag2, got));
	assert_false(sigkey_cache_get(c, "AKIA1", "20260103", "us-east-1", "iam", tag, got));
	assert_false(sigkey_cache_get(c, "AKIA1", "20260102", "us-west-2", "iam", tag, got));
	assert_false(sigkey_cache_get(c, "AKIA1", "20260102", "us-east-1", "sts", tag, got));
	assert_false(sigkey_cache_get(c, "AKIA2", "20260102", "us-east-1", "iam", tag, got));
	/* A new secret (tag) replaces the entry. */
	sigkey_cache_put(c, "AKIA1", "20260102", "us-east-1", "iam", tag2, key2);
	assert_true(sigkey_cache_get(c, "AKIA1", "20260102", "us-east-1", "iam", tag2, got));
	assert_memory_equal(got, key2, SHA256_LEN);
	assert_false(sigkey_cache_get(c, "AKIA1", "20260102", "us-east-1", "iam", tag, got));
	/* Many entries: each one put is found (or, on a slot collision, missed), never confused with another. */
	for (int i = 0; i < 2000; i++) {
		char akid[32];
		uint8_t k[SHA256_LEN];
		snprintf(akid, sizeof(akid), "AKIA%016d", i);
		memset(k, i & 0xff, sizeof(k));
		sigkey_cache_put(c, akid, "20260102", "us-east-1", "iam", tag, k);
	}
	for (int i = 0, hits = 0; i < 2000; i++) {
		char akid[32];
		uint8_t k[SHA256_LEN];
		snprintf(akid, sizeof(akid), "AKIA%016d", i);
		memset(k, i & 0xff, sizeof(k));
		if (sigkey_cache_get(c, akid, "20260102", "us-east-1", "iam", tag, got)) {
			assert_memory_equal(got, k, SHA256_LEN);
			hits++;
		}
		if (i == 1999)
			assert_true(hits > 1000);
	}
	/* An id too long for a slot is never cached. */
	memset(long_id, 'A', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	sigkey_cache_put(c, long_id, "20260102", "us-east-1", "iam", tag, key);
	assert_false(sigkey_cache_get(c, long_id, "20260102", "us-east-1", "iam", tag, got));
	sigkey_cache_free(c);
	sigkey_cache_free(NULL);
}

static int group_setup(void **state)
{
	(void)state;
	log_set_level(LOG_LEVEL_ERROR); /* the refusals tested here log warnings */
	return crypto_init() == C_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	secrets_wipe();
	crypto_cleanup();
	return 0;
}

#define DB_TEST(f) cmocka_unit_test_setup_teardown(f, setup_db, teardown_db)

int main(void)
{
	const struct CMUnitTest tests[] = {
		DB_TEST(test_migrate_idempotent),
		cmocka_unit_test(test_open_missing_dir),
		DB_TEST(test_newer_schema_refused),
		DB_TEST(test_rollback),
		DB_TEST(test_nested_begin_refused),
		DB_TEST(test_generation),
		DB_TEST(test_reopen),
		DB_TEST(test_meta),
		DB_TEST(test_accounts),
		DB_TEST(test_users_create_get),
		DB_TEST(test_users_update_delete),
		DB_TEST(test_users_list),
		DB_TEST(test_tags),
		DB_TEST(test_keys),
		DB_TEST(test_audit),
		DB_TEST(test_audit_many),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_secrets_master_key_rules),
		cmocka_unit_test(test_keycache),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
