/*
 * test_iam_store.c - tests the storage of groups, roles, policies and instance profiles (src/store/groups.c,
 * roles.c, policies.c) and what authorization reads from it: principal_policies_load (src/iam/effective.c) and
 * the AWS-managed policies (src/iam/managed_aws.c).
 *
 * Each test opens a fresh database in its own mkdtemp directory.
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

#include "iam/effective.h"
#include "store/db.h"
#include "store/iam_store.h"
#include "store/login.h"
#include "store/store.h"
#include "util/common.h"
#include "util/crypto.h"

#define ACCT "123456789012"
#define ACCT2 "210987654321"

struct fixture {
	char dir[64];
	struct db *db;
	struct db_tx *tx;
};

static void add_account(struct db_tx *tx, const char *id)
{
	struct store_account a = {.is_management = false, .created_ms = 1000};

	snprintf(a.account_id, sizeof(a.account_id), "%s", id);
	snprintf(a.name, sizeof(a.name), "account %s", id);
	snprintf(a.status, sizeof(a.status), "ACTIVE");
	assert_int_equal(store_account_create(tx, &a), C_OK);
}

/* A fresh database with two accounts and the AWS-managed policies, and an open write transaction. */
static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/rolegate-test-XXXXXX");
	if (!mkdtemp(fx->dir) || !(fx->db = db_open_sqlite(fx->dir)) || store_migrate(fx->db) != C_OK ||
	    db_begin(fx->db, true, &fx->tx) != C_OK) {
		db_close(fx->db);
		remove_dir(fx->dir);
		free(fx);
		return -1;
	}
	add_account(fx->tx, ACCT);
	add_account(fx->tx, ACCT2);
	assert_int_equal(iam_ensure_aws_managed_policies(fx->tx, 5000), C_OK);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	if (fx->tx)
		db_rollback(fx->tx);
	db_close(fx->db);
	policy_cache_clear();
	remove_dir(fx->dir);
	free(fx);
	return 0;
}

static void add_user(struct db_tx *tx, const char *id, const char *name, const char *boundary)
{
	struct store_user u;

	memset(&u, 0, sizeof(u));
	snprintf(u.user_id, sizeof(u.user_id), "%s", id);
	snprintf(u.account_id, sizeof(u.account_id), ACCT);
	snprintf(u.name, sizeof(u.name), "%s", name);
	snprintf(u.path, sizeof(u.path), "/");
	snprintf(u.permissions_boundary, sizeof(u.permissions_boundary), "%s", boundary ? boundary : "");
	u.created_ms = 1000;
	assert_int_equal(store_user_create(tx, &u), C_OK);
}

static void add_group(struct db_tx *tx, const char *id, const char *name)
{
	struct store_group g;

	memset(&g, 0, sizeof(g));
	snprintf(g.group_id, sizeof(g.group_id), "%s", id);
	snprintf(g.account_id, sizeof(g.account_id), ACCT);
	snprintf(g.name, sizeof(g.name), "%s", name);
	snprintf(g.path, sizeof(g.path), "/");
	g.created_ms = 1000;
	assert_int_equal(store_group_create(tx, &g), C_OK);
}

static void add_role(struct db_tx *tx, const char *id, const char *name)
{
	struct store_role r;

	memset(&r, 0, sizeof(r));
	snprintf(r.role_id, sizeof(r.role_id), "%s", id);
	snprintf(r.account_id, sizeof(r.account_id), ACCT);
	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.path, sizeof(r.path), "/");
	r.trust_policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
	                 "\"arn:aws:iam::123456789012:root\"},\"Action\":\"sts:AssumeRole\"}]}";
	r.max_session_s = 3600;
	r.created_ms = 1000;
	assert_int_equal(store_role_create(tx, &r), C_OK);
}

static void add_managed(struct db_tx *tx, const char *id, const char *name, const char *doc)
{
	struct store_managed_policy p;

	memset(&p, 0, sizeof(p));
	snprintf(p.policy_id, sizeof(p.policy_id), "%s", id);
	snprintf(p.account_id, sizeof(p.account_id), ACCT);
	snprintf(p.arn, sizeof(p.arn), "arn:aws:iam::" ACCT ":policy/%s", name);
	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.path, sizeof(p.path), "/");
	p.created_ms = p.updated_ms = 2000;
	assert_int_equal(store_managed_create(tx, &p, doc), C_OK);
}

static const char *allow(const char *action)
{
	static char buf[4][256];
	static int n;
	char *b = buf[n++ % 4];

	snprintf(b, 256, "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"%s\",\"Resource\":\"*\"}]}",
	         action);
	return b;
}

static enum policy_decision decide(const struct principal_policies *pp, const char *action)
{
	struct policy_request req = {.action = action, .resource = "*", .resource_account = ACCT,
	                             .principal = "arn:aws:iam::" ACCT ":user/u", .principal_account = ACCT};
	struct policy_set set = {.identity = pp->identity, .nidentity = pp->nidentity};
	struct policy *const b[1] = {pp->boundary};

	if (pp->boundary) {
		set.boundaries = b;
		set.nboundaries = 1;
	}
	return policy_evaluate(&req, &set, NULL);
}

/* ---- tests --------------------------------------------------------------------------------------------------- */

static void test_aws_managed_once(void **state)
{
	struct fixture *fx = *state;
	struct store_managed_policy p;
	char *doc = NULL;

	assert_int_equal(iam_ensure_aws_managed_policies(fx->tx, 6000), C_OK); /* a second start changes nothing */
	assert_int_equal(store_managed_get(fx->tx, "arn:aws:iam::aws:policy/AdministratorAccess", &p), C_OK);
	assert_string_equal(p.account_id, "aws");
	assert_int_equal(p.default_version, 1);
	assert_int_equal(p.next_version, 2);
	assert_int_equal(strncmp(p.policy_id, "ANPA", 4), 0);
	assert_int_equal(store_managed_default_document(fx->tx, p.arn, &doc), C_OK);
	assert_non_null(strstr(doc, "\"Action\": \"*\""));
	free(doc);
	for (const char *const *n = (const char *const[]){"PowerUserAccess", "ReadOnlyAccess", "IAMFullAccess",
	                                                   "IAMReadOnlyAccess", NULL};
	     *n; n++) {
		char arn[128];
		snprintf(arn, sizeof(arn), "arn:aws:iam::aws:policy/%s", *n);
		assert_int_equal(store_managed_get(fx->tx, arn, &p), C_OK);
	}
}

static void test_user_policies_with_groups(void **state)
{
	struct fixture *fx = *state;
	struct principal_policies pp;

	add_user(fx->tx, "AIDAUSER1", "anay", NULL);
	add_group(fx->tx, "AGPAGROUP1", "ops");
	add_group(fx->tx, "AGPAGROUP2", "other");
	assert_int_equal(store_group_add_user(fx->tx, "AGPAGROUP1", "AIDAUSER1", 1), C_OK);
	assert_int_equal(store_group_add_user(fx->tx, "AGPAGROUP1", "AIDAUSER1", 1), C_OK); /* idempotent */
	assert_int_equal(store_inline_put(fx->tx, "AIDAUSER1", "p1", allow("iam:ListUsers")), C_OK);
	assert_int_equal(store_inline_put(fx->tx, "AGPAGROUP1", "g1", allow("iam:GetUser")), C_OK);
	assert_int_equal(store_inline_put(fx->tx, "AGPAGROUP2", "g2", allow("iam:DeleteUser")), C_OK);
	add_managed(fx->tx, "ANPAPOL1", "roles", allow("iam:ListRoles"));
	assert_int_equal(store_attach(fx->tx, ACCT, "group", "AGPAGROUP1", "arn:aws:iam::" ACCT ":policy/roles", 1), C_OK);
	assert_int_equal(store_attach(fx->tx, ACCT, "group", "AGPAGROUP1", "arn:aws:iam::" ACCT ":policy/roles", 1),
	                 STORE_EXISTS);

	assert_int_equal(principal_policies_load(fx->tx, "user", "AIDAUSER1", &pp), C_OK);
	assert_int_equal(pp.nidentity, 3);
	assert_null(pp.boundary);
	assert_int_equal(decide(&pp, "iam:ListUsers"), POLICY_ALLOWED);
	assert_int_equal(decide(&pp, "iam:GetUser"), POLICY_ALLOWED);
	assert_int_equal(decide(&pp, "iam:ListRoles"), POLICY_ALLOWED);
	assert_int_equal(decide(&pp, "iam:DeleteUser"), POLICY_IMPLICIT_DENY); /* not a member of "other" */
	principal_policies_release(&pp);
	assert_int_equal(pp.nidentity, 0);

	/* leaving the group takes its policies away */
	assert_int_equal(store_group_remove_user(fx->tx, "AGPAGROUP1", "AIDAUSER1"), C_OK);
	assert_int_equal(store_group_remove_user(fx->tx, "AGPAGROUP1", "AIDAUSER1"), STORE_NOT_FOUND);
	assert_int_equal(principal_policies_load(fx->tx, "user", "AIDAUSER1", &pp), C_OK);
	assert_int_equal(pp.nidentity, 1);
	assert_int_equal(decide(&pp, "iam:GetUser"), POLICY_IMPLICIT_DENY);
	principal_policies_release(&pp);

	assert_int_equal(principal_policies_load(fx->tx, "user", "AIDANOBODY", &pp), STORE_NOT_FOUND);
	assert_int_equal(principal_policies_load(fx->tx, "role", "AIDAUSER1", &pp), STORE_NOT_FOUND);
}

/* AWS's maxima reach far past the 128 identity policies that once fit: all of them load, and the last Deny decides. */
static void test_user_policies_past_128(void **state)
{
	struct fixture *fx = *state;
	struct principal_policies pp;
	char id[32], name[32], doc[256];

	add_user(fx->tx, "AIDAMANY", "many", NULL);
	for (int g = 0; g < 10; g++) {
		snprintf(id, sizeof(id), "AGPAMANY%d", g);
		snprintf(name, sizeof(name), "many%d", g);
		add_group(fx->tx, id, name);
		assert_int_equal(store_group_add_user(fx->tx, id, "AIDAMANY", 1), C_OK);
		for (int i = 0; i < 30; i++) {
			snprintf(name, sizeof(name), "p%d", i);
			/* the very last one denies */
			snprintf(doc, sizeof(doc), "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"%s\",\"Action\":"
			         "\"%s\",\"Resource\":\"*\"}]}", g == 9 && i == 29 ? "Deny" : "Allow",
			         g == 9 && i == 29 ? "iam:ListUsers" : "iam:GetUser");
			assert_int_equal(store_inline_put(fx->tx, id, name, doc), C_OK);
		}
	}
	assert_int_equal(store_inline_put(fx->tx, "AIDAMANY", "own", allow("iam:ListUsers")), C_OK);
	assert_int_equal(principal_policies_load(fx->tx, "user", "AIDAMANY", &pp), C_OK);
	assert_int_equal(pp.nidentity, 301);
	assert_int_equal(decide(&pp, "iam:GetUser"), POLICY_ALLOWED);
	assert_int_equal(decide(&pp, "iam:ListUsers"), POLICY_EXPLICIT_DENY);
	principal_policies_release(&pp);
}

/* A stored policy that no longer compiles could hold a Deny: the principal's policies do not load (it used to be
 * skipped, and an Allow beside it still allowed). */
static void test_policy_that_no_longer_compiles_refuses(void **state)
{
	struct fixture *fx = *state;
	struct principal_policies pp;

	add_user(fx->tx, "AIDABROKEN", "broken", NULL);
	assert_int_equal(store_inline_put(fx->tx, "AIDABROKEN", "ok", allow("iam:ListUsers")), C_OK);
	assert_int_equal(store_inline_put(fx->tx, "AIDABROKEN", "zz", "{\"Version\":\"2012-10-17\",\"Statement\":"
	                                                                "[{\"Effect\":\"Deny\"}]}"),
	                 C_OK);
	assert_int_equal(principal_policies_load(fx->tx, "user", "AIDABROKEN", &pp), C_ERR);
	assert_int_equal(pp.nidentity, 0);
}

static void test_role_policies_versions_and_boundary(void **state)
{
	struct fixture *fx = *state;
	struct principal_policies pp;
	struct store_role r;
	int64_t v = 0;

	add_role(fx->tx, "AROAROLE1", "admin");
	add_managed(fx->tx, "ANPAPOL2", "versions", allow("iam:ListUsers"));
	assert_int_equal(store_attach(fx->tx, ACCT, "role", "AROAROLE1", "arn:aws:iam::" ACCT ":policy/versions", 1), C_OK);
	assert_int_equal(principal_policies_load(fx->tx, "role", "AROAROLE1", &pp), C_OK);
	assert_int_equal(decide(&pp, "iam:ListUsers"), POLICY_ALLOWED);
	principal_policies_release(&pp);

	/* a new default version replaces what the attachment grants */
	assert_int_equal(store_managed_add_version(fx->tx, "ANPAPOL2", allow("iam:ListGroups"), true, 3000, &v), C_OK);
	assert_int_equal(v, 2);
	assert_int_equal(principal_policies_load(fx->tx, "role", "AROAROLE1", &pp), C_OK);
	assert_int_equal(pp.nidentity, 1);
	assert_int_equal(decide(&pp, "iam:ListUsers"), POLICY_IMPLICIT_DENY);
	assert_int_equal(decide(&pp, "iam:ListGroups"), POLICY_ALLOWED);
	principal_policies_release(&pp);
	/* a non-default version grants nothing */
	assert_int_equal(store_managed_add_version(fx->tx, "ANPAPOL2", allow("*"), false, 3000, &v), C_OK);
	assert_int_equal(v, 3);
	assert_int_equal(principal_policies_load(fx->tx, "role", "AROAROLE1", &pp), C_OK);
	assert_int_equal(decide(&pp, "iam:DeleteRole"), POLICY_IMPLICIT_DENY);
	principal_policies_release(&pp);

	/* the AWS-managed AdministratorAccess, limited by a boundary */
	assert_int_equal(store_attach(fx->tx, ACCT, "role", "AROAROLE1", "arn:aws:iam::aws:policy/AdministratorAccess", 1),
	                 C_OK);
	assert_int_equal(store_role_get(fx->tx, ACCT, "ADMIN", &r), C_OK);
	snprintf(r.permissions_boundary, sizeof(r.permissions_boundary), "arn:aws:iam::aws:policy/IAMReadOnlyAccess");
	assert_int_equal(store_role_update(fx->tx, &r), C_OK);
	store_role_clear(&r);
	assert_int_equal(principal_policies_load(fx->tx, "role", "AROAROLE1", &pp), C_OK);
	assert_non_null(pp.boundary);
	assert_int_equal(decide(&pp, "iam:ListRoles"), POLICY_ALLOWED);
	assert_int_equal(decide(&pp, "iam:DeleteRole"), POLICY_IMPLICIT_DENY);
	assert_int_equal(decide(&pp, "s3:ListBucket"), POLICY_IMPLICIT_DENY);
	principal_policies_release(&pp);
	assert_null(pp.boundary);
}

static void test_user_boundary_and_deny(void **state)
{
	struct fixture *fx = *state;
	struct principal_policies pp;

	add_user(fx->tx, "AIDAUSER2", "abhi", "arn:aws:iam::aws:policy/ReadOnlyAccess");
	add_group(fx->tx, "AGPAGROUP3", "deny");
	assert_int_equal(store_group_add_user(fx->tx, "AGPAGROUP3", "AIDAUSER2", 1), C_OK);
	assert_int_equal(store_attach(fx->tx, ACCT, "user", "AIDAUSER2", "arn:aws:iam::aws:policy/AdministratorAccess", 1),
	                 C_OK);
	assert_int_equal(store_inline_put(fx->tx, "AGPAGROUP3", "no-roles",
	                                  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":"
	                                  "\"iam:ListRoles\",\"Resource\":\"*\"}]}"),
	                 C_OK);
	assert_int_equal(principal_policies_load(fx->tx, "user", "AIDAUSER2", &pp), C_OK);
	assert_int_equal(decide(&pp, "iam:ListUsers"), POLICY_ALLOWED);
	assert_int_equal(decide(&pp, "iam:ListRoles"), POLICY_EXPLICIT_DENY);
	assert_int_equal(decide(&pp, "iam:CreateUser"), POLICY_IMPLICIT_DENY); /* outside the boundary */
	principal_policies_release(&pp);
}

static int count_cb(void *ctx, const void *unused)
{
	(void)unused;
	(*(int *)ctx)++;
	return C_OK;
}

static int count_managed(void *ctx, const struct store_managed_policy *p)
{
	return count_cb(ctx, p);
}

static int count_version(void *ctx, const struct store_policy_version *v)
{
	return count_cb(ctx, v);
}

static void test_managed_list_and_versions(void **state)
{
	struct fixture *fx = *state;
	struct store_managed_policy p;
	struct store_policy_version v;
	int n = 0;

	add_managed(fx->tx, "ANPALOCAL1", "ReadOnlyAccess", allow("s3:GetObject")); /* same name as an AWS one */
	assert_int_equal(store_managed_list(fx->tx, ACCT, "All", false, NULL, NULL, 100, count_managed, &n), 6);
	n = 0;
	assert_int_equal(store_managed_list(fx->tx, ACCT, "Local", false, NULL, NULL, 100, count_managed, &n), 1);
	assert_int_equal(store_managed_list(fx->tx, ACCT2, "Local", false, NULL, NULL, 100, count_managed, &n), 0);
	assert_int_equal(store_managed_list(fx->tx, ACCT, "AWS", false, NULL, NULL, 100, count_managed, &n), 5);
	assert_int_equal(store_managed_list(fx->tx, ACCT, "All", true, NULL, NULL, 100, count_managed, &n), 0);
	/* paging after "name POLICY_ID" keys keeps both policies named ReadOnlyAccess (ids are random: "ANPA" sorts
	 * before every one) */
	assert_int_equal(store_managed_list_ex(fx->tx, ACCT, "All", false, NULL, NULL, "readonlyaccess ANPA", 100,
	                                       count_managed, &n),
	                 2);
	assert_int_equal(store_managed_list_ex(fx->tx, ACCT, "All", false, NULL, NULL, "readonlyaccess ANPAZZZZZZZZZZZZZZZZZZZZ", 100,
	                                       count_managed, &n),
	                 0);
	assert_int_equal(store_managed_list(fx->tx, ACCT, "All", false, NULL, "readonlyaccess", 100, count_managed, &n), 0);

	/* attachment counts are per account for AWS-managed policies */
	add_user(fx->tx, "AIDAUSER3", "x", NULL);
	assert_int_equal(store_attach(fx->tx, ACCT, "user", "AIDAUSER3", "arn:aws:iam::aws:policy/ReadOnlyAccess", 1),
	                 C_OK);
	assert_int_equal(store_managed_get_in(fx->tx, ACCT, "arn:aws:iam::aws:policy/ReadOnlyAccess", &p), C_OK);
	assert_int_equal(p.attachment_count, 1);
	assert_int_equal(store_managed_get_in(fx->tx, ACCT2, "arn:aws:iam::aws:policy/ReadOnlyAccess", &p), C_OK);
	assert_int_equal(p.attachment_count, 0);
	assert_int_equal(store_managed_list(fx->tx, ACCT, "All", true, NULL, NULL, 100, count_managed, &n), 1);
	assert_int_equal(store_managed_list(fx->tx, ACCT2, "All", true, NULL, NULL, 100, count_managed, &n), 0);

	/* versions: newest first, default flagged, deleting and setting the default */
	assert_int_equal(store_managed_add_version(fx->tx, "ANPALOCAL1", allow("s3:PutObject"), false, 7000, NULL), C_OK);
	n = 0;
	assert_int_equal(store_managed_list_versions(fx->tx, "ANPALOCAL1", count_version, &n), 2);
	assert_int_equal(store_managed_get_version(fx->tx, "ANPALOCAL1", 1, &v), C_OK);
	assert_true(v.is_default);
	store_policy_version_clear(&v);
	assert_int_equal(store_managed_get_version(fx->tx, "ANPALOCAL1", 2, &v), C_OK);
	assert_false(v.is_default);
	assert_non_null(strstr(v.document, "s3:PutObject"));
	store_policy_version_clear(&v);
	assert_int_equal(store_managed_set_default(fx->tx, "ANPALOCAL1", 2, 8000), C_OK);
	assert_int_equal(store_managed_set_default(fx->tx, "ANPALOCAL1", 9, 8000), STORE_NOT_FOUND);
	assert_int_equal(store_managed_delete_version(fx->tx, "ANPALOCAL1", 1), C_OK);
	assert_int_equal(store_managed_get_version(fx->tx, "ANPALOCAL1", 1, &v), STORE_NOT_FOUND);
	assert_int_equal(store_managed_delete(fx->tx, "ANPALOCAL1"), C_OK);
	assert_int_equal(store_managed_get_version(fx->tx, "ANPALOCAL1", 2, &v), STORE_NOT_FOUND);
}

static void test_names_case_insensitive(void **state)
{
	struct fixture *fx = *state;
	struct store_group g;
	struct store_role r;
	struct store_instance_profile ip;
	int64_t n = -1;

	add_group(fx->tx, "AGPAG1", "Devs");
	assert_int_equal(store_group_get(fx->tx, ACCT, "DEVS", &g), C_OK);
	assert_string_equal(g.name, "Devs");
	memset(&g, 0, sizeof(g));
	snprintf(g.group_id, sizeof(g.group_id), "AGPAG2");
	snprintf(g.account_id, sizeof(g.account_id), ACCT);
	snprintf(g.name, sizeof(g.name), "devs");
	snprintf(g.path, sizeof(g.path), "/");
	assert_int_equal(store_group_create(fx->tx, &g), STORE_EXISTS);
	snprintf(g.account_id, sizeof(g.account_id), ACCT2);
	assert_int_equal(store_group_create(fx->tx, &g), C_OK); /* another account */

	add_role(fx->tx, "AROAR1", "Admin");
	assert_int_equal(store_role_get(fx->tx, ACCT, "admin", &r), C_OK);
	assert_non_null(strstr(r.trust_policy, "sts:AssumeRole"));
	store_role_clear(&r);
	assert_int_equal(store_role_get(fx->tx, ACCT2, "admin", &r), STORE_NOT_FOUND);

	memset(&ip, 0, sizeof(ip));
	snprintf(ip.profile_id, sizeof(ip.profile_id), "AIPAP1");
	snprintf(ip.account_id, sizeof(ip.account_id), ACCT);
	snprintf(ip.name, sizeof(ip.name), "Web");
	snprintf(ip.path, sizeof(ip.path), "/");
	assert_int_equal(store_profile_create(fx->tx, &ip), C_OK);
	assert_int_equal(store_profile_add_role(fx->tx, "AIPAP1", "AROAR1"), C_OK);
	assert_int_equal(store_profile_add_role(fx->tx, "AIPAP1", "AROAR1"), STORE_EXISTS);
	assert_int_equal(store_role_profile_count(fx->tx, "AROAR1", &n), C_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_profile_get(fx->tx, ACCT, "WEB", &ip), C_OK);
	assert_int_equal(store_profile_remove_role(fx->tx, "AIPAP1", "AROAR1"), C_OK);
	assert_int_equal(store_profile_delete(fx->tx, "AIPAP1"), C_OK);
	assert_int_equal(store_role_delete(fx->tx, "AROAR1"), C_OK);
}

/* What the account-wide quotas count: one account's rows only (not another account's, not the AWS-managed
 * policies). */
static void test_account_count(void **state)
{
	struct fixture *fx = *state;
	struct store_group g;
	int64_t n = -1;

	add_user(fx->tx, "AIDAU1", "u1", NULL);
	add_user(fx->tx, "AIDAU2", "u2", NULL);
	add_group(fx->tx, "AGPAG1", "g1");
	memset(&g, 0, sizeof(g));
	snprintf(g.group_id, sizeof(g.group_id), "AGPAG2");
	snprintf(g.account_id, sizeof(g.account_id), ACCT2);
	snprintf(g.name, sizeof(g.name), "g1");
	snprintf(g.path, sizeof(g.path), "/");
	assert_int_equal(store_group_create(fx->tx, &g), C_OK);
	add_role(fx->tx, "AROAR1", "r1");
	assert_int_equal(store_account_count(fx->tx, ACCT, STORE_COUNT_USERS, &n), C_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_account_count(fx->tx, ACCT2, STORE_COUNT_USERS, &n), C_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_account_count(fx->tx, ACCT, STORE_COUNT_GROUPS, &n), C_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_account_count(fx->tx, ACCT2, STORE_COUNT_GROUPS, &n), C_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_account_count(fx->tx, ACCT, STORE_COUNT_ROLES, &n), C_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_account_count(fx->tx, ACCT, STORE_COUNT_POLICIES, &n), C_OK);
	assert_int_equal(n, 0); /* the AWS-managed policies are account "aws"'s */
	assert_int_equal(store_account_count(fx->tx, ACCT, STORE_COUNT_INSTANCE_PROFILES, &n), C_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_account_count(fx->tx, ACCT, STORE_COUNT_MFA_DEVICES, &n), C_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_account_count(fx->tx, ACCT, (enum store_counted)99, &n), C_ERR);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_aws_managed_once),
		T(test_user_policies_with_groups),
		T(test_user_policies_past_128),
		T(test_policy_that_no_longer_compiles_refuses),
		T(test_role_policies_versions_and_boundary),
		T(test_user_boundary_and_deny),
		T(test_managed_list_and_versions),
		T(test_names_case_insensitive),
		T(test_account_count),
	};

	int rc;

	if (crypto_init() != C_OK) /* policy_compile hashes documents */
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	crypto_cleanup();
	return rc;
}
