/*
 * test_generate.c - tests src/generate/generate.c: the prefix rule (two or more resources under one path become
 * PATH*, one stays exact, root-path resources never collapse, deeper paths are their own group), "*" only for calls on
 * no resource, grouping of actions by resources and MFA, stable order, the trust policy's principals and conditions,
 * and the split into IAM's size limit (every part within it, every resource kept).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generate/generate.h"
#include "policy/policy.h"
#include "util/common.h"
#include "util/crypto.h"

static char *dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

static void assert_json(const json_t *j, const char *want)
{
	char *got = dump(j);
	assert_non_null(got);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "got:  %s\nwant: %s\n", got, want);
	assert_string_equal(got, want);
	free(got);
}

/* The document compiles as an IAM policy of that kind. */
static void assert_valid(const json_t *doc, enum policy_kind kind)
{
	char *text = dump(doc), err[POLICY_ERROR_MAX];
	struct policy *p = NULL;

	assert_non_null(text);
	if (policy_compile(text, strlen(text), kind, &p, err) != C_OK)
		fprintf(stderr, "%s\n%s\n", err, text);
	assert_non_null(p);
	policy_release(p);
	free(text);
}

static void test_prefix_rule(void **state)
{
	struct gen *g = gen_new();
	json_t *doc;

	(void)state;
	/* two users under /team/: one pattern */
	assert_int_equal(gen_add_call(g, "iam:TagUser", "arn:aws:iam::111122223333:user/team/bob", false), C_OK);
	assert_int_equal(gen_add_call(g, "iam:TagUser", "arn:aws:iam::111122223333:user/team/alice", false), C_OK);
	assert_int_equal(gen_add_call(g, "iam:TagUser", "arn:aws:iam::111122223333:user/team/alice", false), C_OK);
	/* one under /ops/: exact; two at the root path: exact (the pattern user/ANY would be every user) */
	gen_add_call(g, "iam:TagUser", "arn:aws:iam::111122223333:user/ops/carol", false);
	gen_add_call(g, "iam:TagUser", "arn:aws:iam::111122223333:user/dave", false);
	gen_add_call(g, "iam:TagUser", "arn:aws:iam::111122223333:user/erin", false);
	/* a deeper path is a group of its own: team/sub/ holds one, so it stays exact beside the team pattern */
	gen_add_call(g, "iam:TagUser", "arn:aws:iam::111122223333:user/team/sub/frank", false);
	/* the same path in another account is another prefix */
	gen_add_call(g, "iam:TagUser", "arn:aws:iam::444455556666:user/team/gina", false);
	doc = gen_identity_policy(g);
	assert_json(doc, "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"iam:TagUser\","
	                 "\"Resource\":[\"arn:aws:iam::111122223333:user/dave\",\"arn:aws:iam::111122223333:user/erin\","
	                 "\"arn:aws:iam::111122223333:user/ops/carol\",\"arn:aws:iam::111122223333:user/team/*\","
	                 "\"arn:aws:iam::111122223333:user/team/sub/frank\",\"arn:aws:iam::444455556666:user/team/gina\"]}]}");
	assert_valid(doc, POLICY_IDENTITY);
	json_decref(doc);
	gen_free(g);
}

static void test_grouping_star_and_mfa(void **state)
{
	struct gen *g = gen_new();
	json_t *doc;

	(void)state;
	gen_add_call(g, "iam:DeleteUser", "arn:aws:iam::1:user/x", false);
	gen_add_call(g, "iam:CreateUser", "arn:aws:iam::1:user/x", false);
	gen_add_call(g, "iam:ChangePassword", "", false);           /* no resource: "*" */
	gen_add_call(g, "iam:TagRole", "arn:aws:iam::1:role/r", false);
	gen_add_call(g, "iam:TagRole", "*", false);                  /* "*" wins over the role */
	gen_add_call(g, "sts:AssumeRole", "arn:aws:iam::1:role/x", true); /* MFA every time: the condition */
	gen_add_call(g, "sts:AssumeRole", "arn:aws:iam::1:role/x", true);
	gen_add_call(g, "sts:GetSessionToken", "arn:aws:iam::1:user/x", true);
	gen_add_call(g, "sts:GetSessionToken", "arn:aws:iam::1:user/x", false); /* not every time: none */
	assert_int_equal(gen_count(g, false), 6);
	doc = gen_identity_policy(g);
	assert_json(doc,
	            "{\"Version\":\"2012-10-17\",\"Statement\":["
	            "{\"Effect\":\"Allow\",\"Action\":[\"iam:ChangePassword\",\"iam:TagRole\"],\"Resource\":\"*\"},"
	            "{\"Effect\":\"Allow\",\"Action\":[\"iam:CreateUser\",\"iam:DeleteUser\",\"sts:GetSessionToken\"],"
	            "\"Resource\":\"arn:aws:iam::1:user/x\"},"
	            "{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"arn:aws:iam::1:role/x\","
	            "\"Condition\":{\"Bool\":{\"aws:MultiFactorAuthPresent\":\"true\"}}}]}");
	json_decref(doc);
	gen_free(g);
}

static void test_trust(void **state)
{
	struct gen *g = gen_new();
	json_t *doc;

	(void)state;
	gen_add_assumer(g, "arn:aws:iam::111122223333:user/b", true, NULL, false, false);
	gen_add_assumer(g, "arn:aws:iam::111122223333:user/a", true, NULL, false, false);
	gen_add_assumer(g, "arn:aws:iam::444455556666:root", false, "x-2", false, false);
	gen_add_assumer(g, "arn:aws:iam::444455556666:root", false, "x-1", false, false);
	gen_add_assumer(g, "arn:aws:iam::111122223333:role/ci", false, NULL, true, false);
	gen_add_assumer(g, "arn:aws:iam::111122223333:user/c", false, "once", false, false);
	gen_add_assumer(g, "arn:aws:iam::111122223333:user/c", false, NULL, false, false); /* not every time: no ExternalId */
	doc = gen_trust_policy(g);
	assert_json(doc,
	            "{\"Version\":\"2012-10-17\",\"Statement\":["
	            "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:role/ci\"},"
	            "\"Action\":[\"sts:AssumeRole\",\"sts:TagSession\"]},"
	            "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"arn:aws:iam::111122223333:user/a\",\"arn:aws:iam::111122223333:user/b\"]},"
	            "\"Action\":\"sts:AssumeRole\",\"Condition\":{\"Bool\":{\"aws:MultiFactorAuthPresent\":\"true\"}}},"
	            "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:user/c\"},\"Action\":\"sts:AssumeRole\"},"
	            "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::444455556666:root\"},\"Action\":\"sts:AssumeRole\","
	            "\"Condition\":{\"StringEquals\":{\"sts:ExternalId\":[\"x-1\",\"x-2\"]}}}]}");
	assert_valid(doc, POLICY_TRUST);
	json_decref(doc);
	gen_free(g);
}

static void test_split(void **state)
{
	struct gen *g = gen_new();
	json_t *doc, *docs, *d;
	char arn[128];
	size_t i, total = 0;

	(void)state;
	/* 400 roles at the root path (never collapsed) for one action, and 30 small actions */
	for (int k = 0; k < 400; k++) {
		snprintf(arn, sizeof(arn), "arn:aws:iam::111122223333:role/service-role-number-%03d", k);
		gen_add_call(g, "iam:TagRole", arn, false);
	}
	for (int k = 0; k < 30; k++) {
		char action[64];
		snprintf(action, sizeof(action), "iam:Action%02d", k);
		snprintf(arn, sizeof(arn), "arn:aws:iam::111122223333:user/u%02d", k);
		gen_add_call(g, action, arn, false);
	}
	doc = gen_identity_policy(g);
	assert_true(gen_policy_size(doc) > 6144);
	docs = gen_split(doc, 6144);
	assert_non_null(docs);
	assert_true(json_array_size(docs) >= 3);
	json_array_foreach(docs, i, d) {
		size_t j;
		json_t *st;
		assert_true(gen_policy_size(d) <= 6144);
		assert_valid(d, POLICY_IDENTITY);
		json_array_foreach(json_object_get(d, "Statement"), j, st) {
			json_t *r = json_object_get(st, "Resource");
			if (json_is_string(json_object_get(st, "Action")) &&
			    strcmp(json_string_value(json_object_get(st, "Action")), "iam:TagRole") == 0)
				total += json_is_array(r) ? json_array_size(r) : 1;
		}
	}
	assert_int_equal(total, 400); /* every resource kept */
	/* a document within the limit: itself */
	json_decref(docs);
	docs = gen_split(doc, 1 << 20);
	assert_int_equal(json_array_size(docs), 1);
	assert_true(json_equal(json_array_get(docs, 0), doc));
	json_decref(docs);
	json_decref(doc);
	gen_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_rule),
		cmocka_unit_test(test_grouping_star_and_mfa),
		cmocka_unit_test(test_trust),
		cmocka_unit_test(test_split),
	};
	int rc;

	if (crypto_init() != C_OK) /* policy_compile hashes documents */
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	policy_cache_clear();
	crypto_cleanup();
	return rc;
}
