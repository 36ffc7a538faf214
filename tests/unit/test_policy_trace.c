/*
 * test_policy_trace.c - policy_trace (src/policy/trace.c): the reasoning of a denial, statement by statement, and
 * policy_statement_items (DecodeAuthorizationMessage's matchedStatements); explain_seal / explain_open
 * (src/server/explain.c): an encoded authorization message opens only under its key, whole and untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "server/explain.h"
#include "server/keyring.h"
#include "server/secrets.h"
#include "store/db.h"
#include "store/store.h"
#include "util/common.h"
#include "util/crypto.h"

#define J(...) #__VA_ARGS__
#define BOB "arn:aws:iam::111122223333:user/bob"
#define ROLE "arn:aws:iam::111122223333:role/deploy"

static struct policy *compile(enum policy_kind kind, const char *doc)
{
	char err[POLICY_ERROR_MAX];
	struct policy *p = NULL;

	if (policy_compile(doc, strlen(doc), kind, &p, err) != C_OK)
		fail_msg("policy_compile: %s\n%s", err, doc);
	return p;
}

static struct policy_request request(const char *action, const char *resource, const struct policy_ctx_entry *ctx,
                                     size_t nctx)
{
	return (struct policy_request){.action = action, .resource = resource, .resource_account = "111122223333",
	                               .principal = BOB, .principal_account = "111122223333",
	                               .principal_id = "AIDAEXAMPLEBOB0000001", .ctx = ctx, .nctx = nctx};
}

/* A trust policy that requires MFA: AssumeRole without it is denied; the trace says which key of which statement. */
static void trust_requires_mfa(void **state)
{
	struct policy *id = compile(POLICY_IDENTITY, J({"Version" : "2012-10-17", "Statement" : [
		{"Sid" : "Iam", "Effect" : "Allow", "Action" : "iam:*", "Resource" : "*"},
		{"Sid" : "Assume", "Effect" : "Allow", "Action" : "sts:AssumeRole", "Resource" : "arn:aws:iam::*:role/*"}
	]}));
	struct policy *trust = compile(POLICY_TRUST, J({"Version" : "2012-10-17", "Statement" : [
		{"Effect" : "Allow", "Principal" : {"AWS" : "arn:aws:iam::111122223333:root"}, "Action" : "sts:AssumeRole",
		 "Condition" : {"Bool" : {"aws:MultiFactorAuthPresent" : "true"}}},
		{"Effect" : "Allow", "Principal" : {"AWS" : "arn:aws:iam::444455556666:root"}, "Action" : "sts:AssumeRole"}
	]}));
	const struct policy_ctx_entry ctx[] = {{.key = "aws:username", .values = (const char *const[]){"bob"}, .nvalues = 1}};
	struct policy_request req = request("sts:AssumeRole", ROLE, ctx, 1);
	struct policy_set set = {.identity = (struct policy *const[]){id}, .nidentity = 1, .resource = trust};
	struct policy_trace *t = malloc(sizeof(*t));
	struct policy_explain ex;
	(void)state;

	assert_int_equal(policy_evaluate(&req, &set, &ex), POLICY_IMPLICIT_DENY);
	policy_trace(&req, &set, t);
	assert_int_equal(t->n, 4);
	assert_int_equal(t->total, 4);
	assert_false(t->truncated);
	/* identity: Iam does not name the action; Assume applies */
	assert_int_equal(t->items[0].source, SRC_IDENTITY);
	assert_string_equal(t->items[0].sid, "Iam");
	assert_int_equal(t->items[0].miss, POLICY_MISS_ACTION);
	assert_int_equal(t->items[1].miss, POLICY_MISS_NONE);
	/* trust: the first statement names the account but wants MFA, which the request lacks */
	assert_int_equal(t->items[2].source, SRC_RESOURCE);
	assert_int_equal(t->items[2].miss, POLICY_MISS_CONDITION);
	assert_true(t->items[2].account_only);
	assert_string_equal(t->items[2].cond_key, "aws:MultiFactorAuthPresent");
	assert_string_equal(t->items[2].cond_op, "Bool");
	assert_int_equal(t->items[2].ncond_values, 1);
	assert_string_equal(t->items[2].cond_values[0], "true");
	assert_null(t->items[2].request_value);
	/* the second names another account */
	assert_int_equal(t->items[3].miss, POLICY_MISS_PRINCIPAL);
	free(t);
	policy_release(id);
	policy_release(trust);
}

/* A condition key the request has with another value: the trace points at the request's entry. */
static void condition_value_and_resource(void **state)
{
	struct policy *id = compile(POLICY_IDENTITY, J({"Version" : "2012-10-17", "Statement" : [
		{"Effect" : "Allow", "Action" : "iam:CreateUser", "Resource" : "arn:aws:iam::*:user/dev/*"},
		{"Effect" : "Allow", "Action" : "iam:CreateUser", "Resource" : "*",
		 "Condition" : {"StringEquals" : {"aws:RequestedRegion" : ["eu-west-1", "eu-west-2"]}}}
	]}));
	const struct policy_ctx_entry ctx[] = {
		{.key = "aws:RequestedRegion", .values = (const char *const[]){"us-east-1"}, .nvalues = 1}};
	struct policy_request req = request("iam:CreateUser", "arn:aws:iam::111122223333:user/alice", ctx, 1);
	struct policy_set set = {.identity = (struct policy *const[]){id}, .nidentity = 1};
	struct policy_trace *t = malloc(sizeof(*t));
	(void)state;

	assert_int_equal(policy_evaluate(&req, &set, NULL), POLICY_IMPLICIT_DENY);
	policy_trace(&req, &set, t);
	assert_int_equal(t->n, 2);
	assert_int_equal(t->items[0].miss, POLICY_MISS_RESOURCE);
	assert_int_equal(t->items[1].miss, POLICY_MISS_CONDITION);
	assert_int_equal(t->items[1].ncond_values, 2);
	assert_string_equal(t->items[1].cond_values[1], "eu-west-2");
	assert_non_null(t->items[1].request_value);
	assert_string_equal(t->items[1].request_value->values[0], "us-east-1");
	free(t);
	policy_release(id);
}

/* More statements than a trace keeps: truncated, counted, and the decision is the engine's all the same. */
static void truncated_trace(void **state)
{
	char doc[64 * 1024];
	size_t off = 0;
	struct policy *id;
	struct policy_trace *t = malloc(sizeof(*t));
	struct policy_request req = request("iam:GetUser", "*", NULL, 0);
	struct policy_set set;
	(void)state;

	off += (size_t)snprintf(doc + off, sizeof(doc) - off, "{\"Version\":\"2012-10-17\",\"Statement\":[");
	for (int i = 0; i < POLICY_TRACE_MAX + 10; i++)
		off += (size_t)snprintf(doc + off, sizeof(doc) - off,
		                        "%s{\"Effect\":\"Allow\",\"Action\":\"iam:ListUsers%d\",\"Resource\":\"*\"}", i ? "," : "", i);
	off += (size_t)snprintf(doc + off, sizeof(doc) - off, ",{\"Effect\":\"Allow\",\"Action\":\"iam:GetUser\",\"Resource\":\"*\"}]}");
	id = compile(POLICY_IDENTITY, doc);
	set = (struct policy_set){.identity = (struct policy *const[]){id}, .nidentity = 1};
	assert_int_equal(policy_evaluate(&req, &set, NULL), POLICY_ALLOWED);
	policy_trace(&req, &set, t);
	assert_true(t->truncated);
	assert_int_equal(t->n, POLICY_TRACE_MAX);
	assert_int_equal(t->total, POLICY_TRACE_MAX + 11);
	assert_int_equal(policy_evaluate(&req, &set, NULL), POLICY_ALLOWED);
	free(t);
	policy_release(id);
}

/* matchedStatements' items: AWS's shape, as written. */
static void statement_items(void **state)
{
	struct policy *id = compile(POLICY_IDENTITY, J({"Version" : "2012-10-17", "Statement" : [
		{"Sid" : "NoDelete", "Effect" : "Deny", "Action" : ["iam:DeleteUser", "iam:DeleteRole"], "Resource" : "*",
		 "Condition" : {"StringLike" : {"aws:username" : "b*"}}}
	]}));
	json_t *o = policy_statement_items(id, 0);
	char *s;
	(void)state;

	assert_non_null(o);
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"actions\":{\"items\":[{\"value\":\"iam:DeleteUser\"},{\"value\":\"iam:DeleteRole\"}]},"
	                       "\"conditions\":{\"items\":[{\"key\":\"aws:username\",\"values\":{\"items\":[{\"value\":\"b*\"}]}}]},"
	                       "\"effect\":\"DENY\",\"principalGroups\":{\"items\":[]},\"principals\":{\"items\":[]},"
	                       "\"resources\":{\"items\":[{\"value\":\"*\"}]},\"statementId\":\"NoDelete\"}");
	assert_null(policy_statement_items(id, 1));
	free(s);
	json_decref(o);
	policy_release(id);
}

/* An encoded message opens whole under its keyring; a changed byte, a session-token-like string, garbage do not. */
static void seal_and_open(void **state)
{
	char dir[] = "/tmp/rg-trace-XXXXXX";
	struct db *db;
	struct keyring *k;
	struct db_tx *tx;
	char *sealed, *opened, *bad;
	size_t mid;
	(void)state;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(secrets_load_master_key(NULL, dir), C_OK); /* DIR/master.key, made now */
	assert_non_null(db = db_open_sqlite(dir));
	assert_int_equal(store_migrate(db), C_OK);
	assert_non_null(k = keyring_open(db));
	assert_int_equal(db_begin(db, false, &tx), C_OK);
	sealed = explain_seal(k, tx, "{\"allowed\":false}");
	db_rollback(tx);
	assert_non_null(sealed);
	assert_true(strlen(sealed) <= EXPLAIN_ENCODED_MAX);
	assert_non_null(opened = explain_open(k, sealed));
	assert_string_equal(opened, "{\"allowed\":false}");
	free(opened);
	/* one character changed in the sealed part */
	bad = strdup(sealed);
	mid = strlen(bad) - 6;
	bad[mid] = bad[mid] == 'A' ? 'B' : 'A';
	assert_null(explain_open(k, bad));
	free(bad);
	assert_null(explain_open(k, "garbage"));
	assert_null(explain_open(k, ""));
	bad = strdup(sealed);
	memcpy(bad, "RGT2.", 5); /* a session token's prefix */
	assert_null(explain_open(k, bad));
	free(bad);
	free(sealed);
	keyring_free(k);
	db_close(db);
	secrets_wipe();
	{
		char cmd[64];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		assert_int_equal(system(cmd), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(trust_requires_mfa),
		cmocka_unit_test(condition_value_and_resource),
		cmocka_unit_test(truncated_trace),
		cmocka_unit_test(statement_items),
		cmocka_unit_test(seal_and_open),
	};
	int rc;

	if (crypto_init() != C_OK) /* policy_compile hashes documents */
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	policy_cache_clear();
	crypto_cleanup();
	return rc;
}
