/*
 * test_switchable.c - the console's switchable roles (src/console/switchable.c) agree with real switches: for a
 * user with a console session token (claims kind 'C', with and without MFA), every role of its account is listed
 * exactly when sts:AssumeRole with that token succeeds through the API's own path (dispatch_invoke_token), over
 * roles the trust policy admits or not, the identity policy allows or denies explicitly, an MFA condition and a
 * path; the dry run (dispatch_authorize_token) leaves no audit record and issues nothing; a role whose evaluation
 * fails is left out (and counted), and a token that does not open lists nothing.
 *
 * The store is real: a data directory in a temporary folder, bootstrapped as the server does, seeded through
 * dispatch_invoke as the account's root.
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

#include "aws/ids.h"
#include "aws/model.h"
#include "console/switchable.h"
#include "server/auditlog.h"
#include "server/bootstrap.h"
#include "server/dispatch.h"
#include "server/keyring.h"
#include "server/secrets.h"
#include "server/tokens.h"
#include "store/db.h"
#include "util/common.h"
#include "util/crypto.h"
#include "util/timeutil.h"

#define NROLES 6
/* the roles of the account; the user may switch to ok1, ok-mfa (with MFA) and team/ok-path */
static const char *const role_names[NROLES] = {"ok1", "ok-mfa", "ok-path", "ok-untrusted", "ok-denied", "other"};

static struct {
	char dir[64];
	struct server_config cfg;
	struct rg_server srv;
	struct principal root;
	char user_id[IAM_ID_MAX], account[ACCOUNT_ID_LEN + 1];
} w;

static const struct http_request browser = {.method = "POST", .path = "/console/", .source_ip = "192.0.2.7"};

static void invoke(const char *service, const char *op, json_t *in, json_t **outp)
{
	struct aws_err err;
	json_t *out = NULL;

	if (!in)
		fail_msg("%s:%s: bad input", service, op);
	if (dispatch_invoke(&w.srv, &w.root, service, op, in, &out, &err) != C_OK)
		fail_msg("%s:%s: %s", service, op, err.message);
	json_decref(in);
	if (outp)
		*outp = out;
	else
		json_decref(out);
}

static void make_role(const char *name, const char *path, const char *principal, const char *condition)
{
	char trust[1024];

	snprintf(trust, sizeof(trust),
	         "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"%s\"},"
	         "\"Action\":\"sts:AssumeRole\"%s}]}",
	         principal, condition);
	invoke("iam", "CreateRole",
	       json_pack("{s:s, s:s, s:s}", "RoleName", name, "Path", path, "AssumeRolePolicyDocument", trust), NULL);
}

static int setup(void **state)
{
	char root_arn[64], policy[1024], kid[KEY_ID_LEN + 1];
	json_t *o;

	UNUSED(state);
	memset(&w, 0, sizeof(w));
	snprintf(w.dir, sizeof(w.dir), "/tmp/rg-switchable-XXXXXX");
	assert_non_null(mkdtemp(w.dir));
	setenv("ROLEGATE_ROOT_ACCESS_KEY_ID", "AKIASWITCHSWITCHSWIT", 1);
	setenv("ROLEGATE_ROOT_SECRET_ACCESS_KEY", "switchswitchswitchswitchswitchswitchswit", 1);
	w.cfg.data_dir = w.dir;
	w.cfg.account_id = "123456789012";
	w.srv.cfg = &w.cfg;
	assert_int_equal(crypto_init(), C_OK);
	assert_int_equal(model_init(), C_OK);
	assert_int_equal(secrets_load_master_key(NULL, w.dir), C_OK);
	assert_non_null(w.srv.db = db_open_sqlite(w.dir));
	assert_int_equal(store_migrate(w.srv.db), C_OK);
	assert_int_equal(bootstrap(&w.srv, now_ms()), C_OK);
	assert_int_equal(keyring_add(w.srv.db, now_ms(), kid), C_OK);
	assert_non_null(w.srv.keyring = keyring_open(w.srv.db));
	assert_non_null(w.srv.audit_db = db_open_sqlite_file(w.dir, "audit.db"));
	assert_int_equal(store_migrate_audit(w.srv.audit_db), C_OK);
	assert_non_null(w.srv.audit = auditlog_new(w.srv.audit_db, AUDITLOG_LINGER_US));
	snprintf(w.account, sizeof(w.account), "%s", w.srv.management_account);
	w.root.kind = PRINCIPAL_ROOT;
	snprintf(w.root.account_id, sizeof(w.root.account_id), "%s", w.account);
	snprintf(w.root.id, sizeof(w.root.id), "%s", w.account);
	snprintf(w.root.arn, sizeof(w.root.arn), "arn:aws:iam::%s:root", w.account);

	invoke("iam", "CreateUser", json_pack("{s:s}", "UserName", "u"), &o);
	snprintf(w.user_id, sizeof(w.user_id), "%s", json_string_value(json_object_get(json_object_get(o, "User"), "UserId")));
	json_decref(o);
	/* u may assume ok*, but not ok-denied (explicit deny); "other" is not allowed at all */
	snprintf(policy, sizeof(policy),
	         "{\"Version\":\"2012-10-17\",\"Statement\":["
	         "{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"arn:aws:iam::%s:role/*ok*\"},"
	         "{\"Effect\":\"Deny\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"arn:aws:iam::%s:role/ok-denied\"}]}",
	         w.account, w.account);
	invoke("iam", "PutUserPolicy",
	       json_pack("{s:s, s:s, s:s}", "UserName", "u", "PolicyName", "switch", "PolicyDocument", policy), NULL);
	snprintf(root_arn, sizeof(root_arn), "arn:aws:iam::%s:root", w.account);
	make_role("ok1", "/", root_arn, "");
	make_role("ok-mfa", "/", root_arn, ",\"Condition\":{\"Bool\":{\"aws:MultiFactorAuthPresent\":\"true\"}}");
	make_role("ok-path", "/team/", root_arn, "");
	invoke("iam", "CreateUser", json_pack("{s:s}", "UserName", "v"), NULL);
	snprintf(root_arn, sizeof(root_arn), "arn:aws:iam::%s:user/v", w.account);
	make_role("ok-untrusted", "/", root_arn, ""); /* trusts v only */
	snprintf(root_arn, sizeof(root_arn), "arn:aws:iam::%s:root", w.account);
	make_role("ok-denied", "/", root_arn, "");
	make_role("other", "/", root_arn, "");
	return 0;
}

static int teardown(void **state)
{
	UNUSED(state);
	auditlog_free(w.srv.audit);
	db_close(w.srv.audit_db);
	keyring_free(w.srv.keyring);
	db_close(w.srv.db);
	remove_dir(w.dir);
	return 0;
}

/* A console session token of u (kind 'C'), with MFA at sign-in or not. */
static void console_token(bool mfa, char *out, size_t cap)
{
	struct session_claims cl;
	struct db_tx *tx;

	memset(&cl, 0, sizeof(cl));
	cl.kind = 'C';
	id_access_key("ASIA", w.account, cl.access_key_id);
	id_secret_key(cl.secret);
	snprintf(cl.account_id, sizeof(cl.account_id), "%s", w.account);
	snprintf(cl.user_id, sizeof(cl.user_id), "%s", w.user_id);
	snprintf(cl.source_arn, sizeof(cl.source_arn), "arn:aws:iam::%s:user/u", w.account);
	cl.issued_s = now_ms() / 1000;
	cl.expires_s = cl.issued_s + 3600;
	cl.mfa_s = mfa ? cl.issued_s : 0;
	assert_int_equal(db_begin(w.srv.db, false, &tx), C_OK);
	assert_int_equal(token_issue(w.srv.keyring, tx, &cl, out, cap), C_OK);
	db_rollback(tx);
	claims_clear(&cl);
}

static int64_t audit_count(void)
{
	struct db_tx *tx;
	struct db_rows *r;
	int64_t n = -1;

	assert_int_equal(db_begin(w.srv.audit_db, false, &tx), C_OK);
	r = db_query_fresh(tx, "SELECT count(*) FROM audit", NULL, 0); /* as LookupEvents reads it */
	if (db_step(r) == DB_ROW)
		n = db_col_int(r, 0);
	db_rows_done(r);
	db_rollback(tx);
	return n;
}

static bool listed(const struct switchable_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->roles[i].role_name, name) == 0)
			return true;
	return false;
}

/* Whether a real AssumeRole of role name (its path found from the list of all) with token succeeds. */
static bool switches(const char *token, const char *name)
{
	char arn[ARN_MAX + 1];
	struct aws_err err;
	json_t *in, *out = NULL;
	int rc;

	snprintf(arn, sizeof(arn), "arn:aws:iam::%s:role%s%s", w.account, strcmp(name, "ok-path") == 0 ? "/team/" : "/",
	         name);
	in = json_pack("{s:s, s:s}", "RoleArn", arn, "RoleSessionName", "u-");
	rc = dispatch_invoke_token(&w.srv, &browser, token, "sts", "AssumeRole", in, &out, &err);
	json_decref(in);
	json_decref(out);
	return rc == C_OK;
}

static void check(bool mfa, const char *const *expected, size_t nexpected)
{
	char *token = malloc(TOKEN_MAX);
	struct switchable_list l;
	int64_t before;

	assert_non_null(token);
	console_token(mfa, token, TOKEN_MAX);
	before = audit_count();
	assert_int_equal(switchable_roles(&w.srv, &browser, token, w.account, "u-", &l), C_OK);
	assert_int_equal(audit_count(), before); /* a dry run: nothing audited */
	assert_int_equal(l.weighed, NROLES);
	assert_int_equal(l.failed, 0);
	assert_false(l.truncated);
	assert_int_equal(l.n, nexpected);
	for (size_t i = 0; i < nexpected; i++)
		assert_true(listed(&l, expected[i]));
	for (size_t i = 0; i < l.n; i++)
		if (strcmp(l.roles[i].role_name, "ok-path") == 0) {
			assert_string_equal(l.roles[i].link_name, "team/ok-path");
			assert_string_equal(l.roles[i].account_id, w.account);
		}
	/* the list and real switches agree on every role */
	for (size_t i = 0; i < NROLES; i++)
		assert_int_equal(listed(&l, role_names[i]), switches(token, role_names[i]));
	assert_int_equal(audit_count(), before + NROLES); /* the real ones are audited, granted or refused */
	switchable_free(&l);
	explicit_bzero(token, TOKEN_MAX);
	free(token);
}

static void test_with_mfa(void **state)
{
	static const char *const expected[] = {"ok1", "ok-mfa", "ok-path"};

	UNUSED(state);
	check(true, expected, ARRAY_LEN(expected));
}

static void test_without_mfa(void **state)
{
	static const char *const expected[] = {"ok1", "ok-path"};

	UNUSED(state);
	check(false, expected, ARRAY_LEN(expected));
}

/* Fail closed: a role whose AssumeRole cannot be evaluated (here: every one, the session name being invalid) is left
 * out, counted and logged, never listed. */
static void test_errors_list_nothing(void **state)
{
	char *token = malloc(TOKEN_MAX);
	struct switchable_list l;

	UNUSED(state);
	assert_non_null(token);
	console_token(true, token, TOKEN_MAX);
	assert_int_equal(switchable_roles(&w.srv, &browser, token, w.account, "x", &l), C_OK);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.weighed, NROLES);
	assert_int_equal(l.failed, NROLES);
	switchable_free(&l);
	explicit_bzero(token, TOKEN_MAX);
	free(token);
}

static void test_bad_token_lists_nothing(void **state)
{
	struct switchable_list l;

	UNUSED(state);
	assert_int_equal(switchable_roles(&w.srv, &browser, "not-a-token", w.account, "u", &l), C_ERR);
	assert_int_equal(l.n, 0);
	assert_null(l.roles);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_with_mfa),
		cmocka_unit_test(test_without_mfa),
		cmocka_unit_test(test_errors_list_nothing),
		cmocka_unit_test(test_bad_token_lists_nothing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
