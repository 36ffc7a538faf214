/*
 * test_orgs.c - tests the Organizations store (src/store/orgs.c) and orgs_scp_layers() (src/orgs/scp.c) on a fresh
 * SQLite database: the layers of an account (root, each OU from the top down, the account) and the decisions the
 * policy engine makes with them; no layers for the management account, an account outside any organization, or
 * when SCPs are not enabled; visibility of accounts being created; requests listed by their state at a moment;
 * OU ancestors; attaching FullAWSAccess everywhere and detaching a type; deleting an organization leaves nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "orgs/orgs.h"
#include "policy/policy.h"
#include "store/db.h"
#include "store/orgs.h"
#include "store/store.h"
#include "util/common.h"
#include "util/crypto.h"

#define MGMT "111111111111"
#define ALICE "222222222222" /* in ou-root-aaaaaaaa / ou-root-bbbbbbbb */
#define BOB "333333333333"   /* directly under the root */
#define LONER "444444444444" /* in no organization */
#define ROOT "r-root"
#define OU1 "ou-root-aaaaaaaa"
#define OU2 "ou-root-bbbbbbbb"

static const char deny_iam[] = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"iam:*\","
                               "\"Resource\":\"*\"}]}";
static const char allow_s3[] = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\","
                               "\"Resource\":\"*\"}]}";

struct fixture {
	char dir[64];
	struct db *db;
	struct store_org org;
};

static struct db_tx *begin(struct db *db)
{
	struct db_tx *tx = NULL;

	assert_int_equal(db_begin(db, true, &tx), C_OK);
	return tx;
}

static void add_account(struct db_tx *tx, const char *id, const char *email)
{
	struct store_account a = {.created_ms = 1000};

	snprintf(a.account_id, sizeof(a.account_id), "%s", id);
	snprintf(a.name, sizeof(a.name), "account %s", id);
	snprintf(a.email, sizeof(a.email), "%s", email);
	snprintf(a.status, sizeof(a.status), "ACTIVE");
	assert_int_equal(store_account_create(tx, &a), C_OK);
}

static void add_ou(struct db_tx *tx, const char *id, const char *parent)
{
	struct store_ou u = {.created_ms = 1000};

	snprintf(u.ou_id, sizeof(u.ou_id), "%s", id);
	snprintf(u.org_id, sizeof(u.org_id), "o-testtesttest");
	snprintf(u.parent_id, sizeof(u.parent_id), "%s", parent);
	snprintf(u.name, sizeof(u.name), "unit %s", id);
	assert_int_equal(store_ou_create(tx, &u), C_OK);
}

static void add_policy(struct db_tx *tx, const char *id, const char *content)
{
	struct store_org_policy p = {.created_ms = 1000};

	snprintf(p.policy_id, sizeof(p.policy_id), "%s", id);
	snprintf(p.org_id, sizeof(p.org_id), "o-testtesttest");
	snprintf(p.type, sizeof(p.type), ORG_SCP);
	snprintf(p.name, sizeof(p.name), "%s", id);
	p.content = (char *)content;
	assert_int_equal(store_org_policy_create(tx, &p), C_OK);
}

/* The organization: MGMT manages it; ALICE is in OU2 inside OU1; BOB under the root; LONER is outside. */
static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct db_tx *tx;

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/rolegate-orgs-XXXXXX");
	if (!mkdtemp(fx->dir) || !(fx->db = db_open_sqlite(fx->dir)) || store_migrate(fx->db) != C_OK)
		return -1;
	snprintf(fx->org.org_id, sizeof(fx->org.org_id), "o-testtesttest");
	snprintf(fx->org.management_account_id, sizeof(fx->org.management_account_id), MGMT);
	snprintf(fx->org.root_id, sizeof(fx->org.root_id), ROOT);
	snprintf(fx->org.feature_set, sizeof(fx->org.feature_set), "ALL");
	fx->org.created_ms = 1000;
	tx = begin(fx->db);
	add_account(tx, MGMT, "");
	add_account(tx, ALICE, "alice@example.com");
	add_account(tx, BOB, "bob@example.com");
	add_account(tx, LONER, "");
	assert_int_equal(store_org_create(tx, &fx->org), C_OK);
	assert_int_equal(store_org_account_add(tx, MGMT, fx->org.org_id, ROOT, "INVITED", 1000), C_OK);
	add_ou(tx, OU1, ROOT);
	add_ou(tx, OU2, OU1);
	assert_int_equal(store_org_account_add(tx, ALICE, fx->org.org_id, OU2, "CREATED", 1000), C_OK);
	assert_int_equal(store_org_account_add(tx, BOB, fx->org.org_id, ROOT, "CREATED", 1000), C_OK);
	assert_int_equal(store_org_policy_ensure_managed(tx, 1000), C_OK);
	assert_int_equal(store_org_policy_ensure_managed(tx, 2000), C_OK); /* idempotent */
	add_policy(tx, "p-denyiam0", deny_iam);
	add_policy(tx, "p-allows30", allow_s3);
	assert_int_equal(db_commit(tx), C_OK);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	db_close(fx->db);
	remove_dir(fx->dir);
	free(fx);
	policy_cache_clear();
	return 0;
}

static void enable_scps(struct fixture *fx)
{
	struct db_tx *tx = begin(fx->db);

	assert_int_equal(store_org_policy_type_set(tx, ROOT, ORG_SCP, true), C_OK);
	assert_int_equal(store_org_attach_everywhere(tx, &fx->org, ORG_FULL_ACCESS_ID), C_OK);
	assert_int_equal(db_commit(tx), C_OK);
}

static void layers_of(struct fixture *fx, const char *account, struct scp_layers *l)
{
	struct db_tx *tx;

	assert_int_equal(db_begin(fx->db, false, &tx), C_OK);
	assert_int_equal(orgs_scp_layers(tx, account, l), C_OK);
	db_rollback(tx);
}

static enum policy_decision decide(const struct scp_layers *l, const char *action)
{
	static const char allow_all[] = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
	                                "\"Action\":\"*\",\"Resource\":\"*\"}]}";
	char error[POLICY_ERROR_MAX];
	struct policy *id = NULL;
	struct policy_request req = {.action = action, .resource = "*", .resource_account = ALICE,
	                             .principal = "arn:aws:iam::" ALICE ":role/admin", .principal_account = ALICE};
	struct policy_set set = {.nidentity = 1, .scp = l->layers, .nscp = l->n};
	enum policy_decision d;

	assert_int_equal(policy_compile(allow_all, strlen(allow_all), POLICY_IDENTITY, &id, error), C_OK);
	set.identity = &id;
	d = policy_evaluate(&req, &set, NULL);
	policy_release(id);
	return d;
}

static void test_no_layers(void **state)
{
	struct fixture *fx = *state;
	struct scp_layers l;

	/* SCPs not enabled: nothing governs anyone */
	layers_of(fx, ALICE, &l);
	assert_int_equal(l.n, 0);
	enable_scps(fx);
	layers_of(fx, MGMT, &l); /* the management account is exempt */
	assert_int_equal(l.n, 0);
	layers_of(fx, LONER, &l); /* in no organization */
	assert_int_equal(l.n, 0);
	layers_of(fx, "999999999999", &l); /* no such account */
	assert_int_equal(l.n, 0);
	orgs_scp_layers_release(&l);
}

static void test_layers_and_decisions(void **state)
{
	struct fixture *fx = *state;
	struct scp_layers l;
	struct db_tx *tx;

	enable_scps(fx);
	layers_of(fx, ALICE, &l);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.layers[0].id, ROOT);
	assert_string_equal(l.layers[1].id, OU1);
	assert_string_equal(l.layers[2].id, OU2);
	assert_string_equal(l.layers[3].id, ALICE);
	for (size_t i = 0; i < l.n; i++)
		assert_int_equal(l.layers[i].n, 1); /* FullAWSAccess */
	assert_int_equal(decide(&l, "iam:CreateUser"), POLICY_ALLOWED);
	orgs_scp_layers_release(&l);
	assert_int_equal(l.n, 0);

	/* a deny on OU1 reaches ALICE below it, not BOB beside it */
	tx = begin(fx->db);
	assert_int_equal(store_org_attach(tx, "p-denyiam0", OU1), C_OK);
	assert_int_equal(store_org_attach(tx, "p-denyiam0", OU1), STORE_EXISTS);
	assert_int_equal(db_commit(tx), C_OK);
	layers_of(fx, ALICE, &l);
	assert_int_equal(l.layers[1].n, 2);
	assert_int_equal(decide(&l, "iam:CreateUser"), POLICY_EXPLICIT_DENY);
	assert_int_equal(decide(&l, "s3:GetObject"), POLICY_ALLOWED);
	orgs_scp_layers_release(&l);
	layers_of(fx, BOB, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.layers[0].id, ROOT);
	assert_string_equal(l.layers[1].id, BOB);
	assert_int_equal(decide(&l, "iam:CreateUser"), POLICY_ALLOWED);
	orgs_scp_layers_release(&l);

	/* an allow list on the account: FullAWSAccess replaced by s3 only */
	tx = begin(fx->db);
	assert_int_equal(store_org_attach(tx, "p-allows30", ALICE), C_OK);
	assert_int_equal(store_org_detach(tx, ORG_FULL_ACCESS_ID, ALICE), C_OK);
	assert_int_equal(store_org_detach(tx, ORG_FULL_ACCESS_ID, ALICE), STORE_NOT_FOUND);
	assert_int_equal(db_commit(tx), C_OK);
	layers_of(fx, ALICE, &l);
	assert_int_equal(decide(&l, "s3:GetObject"), POLICY_ALLOWED);
	assert_int_equal(decide(&l, "ec2:RunInstances"), POLICY_IMPLICIT_DENY);
	orgs_scp_layers_release(&l);

	/* disabling the type detaches every SCP and the layers are gone */
	tx = begin(fx->db);
	assert_int_equal(store_org_detach_type(tx, &fx->org, ORG_SCP), C_OK);
	assert_int_equal(store_org_policy_type_set(tx, ROOT, ORG_SCP, false), C_OK);
	assert_int_equal(db_commit(tx), C_OK);
	layers_of(fx, ALICE, &l);
	assert_int_equal(l.n, 0);
}

static void test_enabled_with_nothing_attached_denies(void **state)
{
	struct fixture *fx = *state;
	struct scp_layers l;
	struct db_tx *tx = begin(fx->db);

	/* A layer without any SCP allows nothing (AWS never lets it happen; the engine fails closed). */
	assert_int_equal(store_org_policy_type_set(tx, ROOT, ORG_SCP, true), C_OK);
	assert_int_equal(db_commit(tx), C_OK);
	layers_of(fx, BOB, &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.layers[0].n, 0);
	assert_int_equal(decide(&l, "s3:GetObject"), POLICY_IMPLICIT_DENY);
	orgs_scp_layers_release(&l);
}

/* More SCPs on one target than the layers hold, or one that no longer compiles: no layers, no decision (they used
 * to be left out, and with them any Deny they held). */
static void test_scps_that_do_not_fit_refuse(void **state)
{
	struct fixture *fx = *state;
	struct scp_layers l;
	struct db_tx *tx;
	char id[32];

	enable_scps(fx);
	tx = begin(fx->db);
	for (int i = 0; i < 16; i++) {
		snprintf(id, sizeof(id), "p-many%04d", i);
		add_policy(tx, id, allow_s3);
		assert_int_equal(store_org_attach(tx, id, BOB), C_OK);
	}
	assert_int_equal(db_commit(tx), C_OK);
	assert_int_equal(db_begin(fx->db, false, &tx), C_OK);
	assert_int_equal(orgs_scp_layers(tx, BOB, &l), C_ERR); /* FullAWSAccess + 16 */
	assert_int_equal(l.n, 0);
	assert_int_equal(orgs_scp_layers(tx, ALICE, &l), C_OK); /* others are not affected */
	orgs_scp_layers_release(&l);
	db_rollback(tx);

	tx = begin(fx->db);
	add_policy(tx, "p-broken00", "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\"}]}");
	assert_int_equal(store_org_attach(tx, "p-broken00", ALICE), C_OK);
	assert_int_equal(db_commit(tx), C_OK);
	assert_int_equal(db_begin(fx->db, false, &tx), C_OK);
	assert_int_equal(orgs_scp_layers(tx, ALICE, &l), C_ERR);
	db_rollback(tx);
}

static int count_account(void *ctx, const struct store_org_account *a)
{
	(void)a;
	(*(int *)ctx)++;
	return C_OK;
}

static int count_car(void *ctx, const struct store_car *s)
{
	(void)s;
	(*(int *)ctx)++;
	return C_OK;
}

static void test_store(void **state)
{
	struct fixture *fx = *state;
	char ids[8][ORG_OU_ID_MAX];
	struct store_org_account a;
	struct store_car s = {0}, got;
	struct store_org o;
	size_t n = 0;
	int count = 0;
	int64_t k = 0;
	bool flag = false;
	struct db_tx *tx = begin(fx->db);

	/* organizations of members and of the management account */
	assert_int_equal(store_org_of_account(tx, ALICE, &o), C_OK);
	assert_string_equal(o.root_id, ROOT);
	assert_int_equal(store_org_of_account(tx, MGMT, &o), C_OK);
	assert_int_equal(store_org_of_account(tx, LONER, &o), STORE_NOT_FOUND);

	/* ancestors, bottom-up */
	assert_int_equal(store_ou_ancestors(tx, OU2, ids, 8, &n), C_OK);
	assert_int_equal(n, 2);
	assert_string_equal(ids[0], OU2);
	assert_string_equal(ids[1], OU1);
	assert_int_equal(store_ou_ancestors(tx, OU2, ids, 1, &n), C_ERR);

	/* an account whose creation completes at 5000 is invisible before */
	add_account(tx, "555555555555", "Late@Example.com");
	assert_int_equal(store_org_account_add(tx, "555555555555", o.org_id, ROOT, "CREATED", 5000), C_OK);
	assert_int_equal(store_org_account_get(tx, o.org_id, "555555555555", 4999, &a), STORE_NOT_FOUND);
	assert_int_equal(store_org_account_get(tx, o.org_id, "555555555555", 5000, &a), C_OK);
	assert_int_equal(store_org_account_list(tx, o.org_id, NULL, 4999, NULL, 100, count_account, &count), 3);
	assert_int_equal(store_org_account_list(tx, o.org_id, ROOT, 5000, NULL, 100, count_account, &count), 3);
	assert_int_equal(store_org_account_list(tx, o.org_id, NULL, 5000, ALICE, 100, count_account, &count), 2);
	assert_int_equal(store_org_member_count(tx, &o, &k), C_OK);
	assert_int_equal(k, 3);
	assert_int_equal(store_account_email_taken(tx, "late@example.COM", &flag), C_OK);
	assert_true(flag);
	assert_int_equal(store_ou_child_count(tx, ROOT, &k), C_OK);
	assert_int_equal(k, 4); /* OU1, MGMT, BOB, the late one */

	/* closure */
	assert_int_equal(store_account_set_status(tx, BOB, "PENDING_CLOSURE", 7000), C_OK);
	assert_int_equal(store_org_account_get(tx, o.org_id, BOB, 6000, &a), C_OK);
	assert_string_equal(a.status, "PENDING_CLOSURE");
	assert_int_equal(a.closure_ms, 7000);
	assert_int_equal(store_account_set_status(tx, "000000000000", "PENDING_CLOSURE", 7000), STORE_NOT_FOUND);

	/* CreateAccount requests by their state at a moment */
	snprintf(s.request_id, sizeof(s.request_id), "car-aaaaaaaa");
	snprintf(s.org_id, sizeof(s.org_id), "%s", o.org_id);
	snprintf(s.account_name, sizeof(s.account_name), "Late");
	snprintf(s.email, sizeof(s.email), "late@example.com");
	snprintf(s.role_name, sizeof(s.role_name), "OrganizationAccountAccessRole");
	snprintf(s.account_id, sizeof(s.account_id), "555555555555");
	snprintf(s.state, sizeof(s.state), "SUCCEEDED");
	s.requested_ms = 4000;
	s.completed_ms = 5000;
	assert_int_equal(store_car_create(tx, &s), C_OK);
	assert_int_equal(store_car_get(tx, o.org_id, "car-aaaaaaaa", &got), C_OK);
	assert_string_equal(got.account_id, "555555555555");
	assert_int_equal(store_car_get(tx, "o-other000000", "car-aaaaaaaa", &got), STORE_NOT_FOUND);
	count = 0;
	assert_int_equal(store_car_list(tx, o.org_id, STORE_CAR_IN_PROGRESS, 4500, NULL, 10, count_car, &count), 1);
	assert_int_equal(store_car_list(tx, o.org_id, STORE_CAR_SUCCEEDED, 4500, NULL, 10, count_car, &count), 0);
	assert_int_equal(store_car_list(tx, o.org_id, STORE_CAR_SUCCEEDED, 5000, NULL, 10, count_car, &count), 1);
	assert_int_equal(store_car_list(tx, o.org_id, STORE_CAR_FAILED, 5000, NULL, 10, count_car, &count), 0);
	{
		char key[96];
		store_car_key(&s, key, sizeof(key));
		assert_int_equal(store_car_list(tx, o.org_id, STORE_CAR_SUCCEEDED, 5000, key, 10, count_car, &count), 0);
	}

	/* names */
	assert_int_equal(store_ou_name_taken(tx, OU1, "unit " OU2, NULL, &flag), C_OK);
	assert_true(flag);
	assert_int_equal(store_ou_name_taken(tx, OU1, "unit " OU2, OU2, &flag), C_OK);
	assert_false(flag);
	assert_int_equal(store_org_policy_name_taken(tx, o.org_id, ORG_SCP, "FullAWSAccess", NULL, &flag), C_OK);
	assert_true(flag);
	assert_int_equal(db_commit(tx), C_OK);
}

static void test_delete_organization(void **state)
{
	struct fixture *fx = *state;
	struct store_org o;
	struct db_tx *tx;
	struct db_rows *r;

	enable_scps(fx);
	tx = begin(fx->db);
	assert_int_equal(store_tag_put(tx, ORG_TAG_PREFIX OU1, "k", "v"), C_OK);
	assert_int_equal(store_tag_put(tx, ORG_TAG_PREFIX "p-denyiam0", "k", "v"), C_OK);
	assert_int_equal(store_org_attach(tx, "p-denyiam0", OU1), C_OK);
	assert_int_equal(store_org_delete(tx, &fx->org), C_OK);
	assert_int_equal(store_org_of_account(tx, ALICE, &o), STORE_NOT_FOUND);
	assert_int_equal(store_org_of_account(tx, MGMT, &o), STORE_NOT_FOUND);
	r = db_query(tx,
	             "SELECT (SELECT count(*) FROM org_units) + (SELECT count(*) FROM org_accounts) + "
	             "(SELECT count(*) FROM org_policy_targets) + (SELECT count(*) FROM org_policy_types) + "
	             "(SELECT count(*) FROM tags) + (SELECT count(*) FROM org_policies WHERE aws_managed = 0)",
	             NULL, 0);
	assert_int_equal(db_step(r), DB_ROW);
	assert_int_equal(db_col_int(r, 0), 0);
	db_rows_done(r);
	/* the AWS-managed policy stays for other organizations */
	r = db_query(tx, "SELECT count(*) FROM org_policies WHERE policy_id = 'p-FullAWSAccess'", NULL, 0);
	assert_int_equal(db_step(r), DB_ROW);
	assert_int_equal(db_col_int(r, 0), 1);
	db_rows_done(r);
	assert_int_equal(db_commit(tx), C_OK);
}

static int group_setup(void **state)
{
	(void)state;
	return crypto_init();
}

static int group_teardown(void **state)
{
	(void)state;
	policy_cache_clear();
	crypto_cleanup();
	return 0;
}

#define ORG_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		ORG_TEST(test_no_layers),
		ORG_TEST(test_layers_and_decisions),
		ORG_TEST(test_enabled_with_nothing_attached_denies),
		ORG_TEST(test_scps_that_do_not_fit_refuse),
		ORG_TEST(test_store),
		ORG_TEST(test_delete_organization),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
