/*
 * test_policy_lint.c - tests src/policy/lint.c (policy_lint, what the console's policy pages show): the engine's
 * error for a document it refuses, AWS's size quota, and each warning about a valid but questionable statement, and
 * none for a plain one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/lint.h"
#include "util/common.h"
#include "util/crypto.h"

static size_t lint(const char *doc, enum policy_kind kind, struct policy_finding *f)
{
	return policy_lint(doc, strlen(doc), kind, f, POLICY_FINDINGS_MAX);
}

/* Whether a finding with code is among the n. */
static const struct policy_finding *find(const struct policy_finding *f, size_t n, const char *code)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].code, code) == 0)
			return &f[i];
	return NULL;
}

static void test_plain_policy_has_no_findings(void **state)
{
	struct policy_finding f[POLICY_FINDINGS_MAX];
	(void)state;

	assert_int_equal(lint("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"iam:GetUser\","
	                      "\"Resource\":\"arn:aws:iam::*:user/${aws:username}\"}]}",
	                      POLICY_IDENTITY, f),
	                 0);
}

static void test_errors_are_the_engines(void **state)
{
	struct policy_finding f[POLICY_FINDINGS_MAX];
	char big[8000];
	size_t n;
	(void)state;

	n = lint("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\"}]}",
	         POLICY_IDENTITY, f);
	assert_int_equal(n, 1);
	assert_int_equal(f[0].severity, POLICY_FINDING_ERROR);
	assert_string_equal(f[0].code, "MalformedPolicyDocument");
	assert_true(strlen(f[0].message) > 0);
	/* an identity policy with a Principal: the engine's own message */
	n = lint("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\","
	         "\"Resource\":\"*\"}]}",
	         POLICY_IDENTITY, f);
	assert_int_equal(n, 1);
	assert_string_equal(f[0].message, "Policy document should not specify a principal.");
	/* valid, but over AWS's quota for an SCP */
	snprintf(big, sizeof(big), "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"%05200d\",\"Effect\":\"Deny\","
	                           "\"Action\":\"s3:*\",\"Resource\":\"*\"}]}",
	         0);
	n = lint(big, POLICY_SCP, f);
	assert_non_null(find(f, n, "LimitExceeded"));
	assert_string_equal(find(f, n, "LimitExceeded")->message, "Cannot exceed quota for PolicySize: 5120");
}

static void test_warnings(void **state)
{
	struct policy_finding f[POLICY_FINDINGS_MAX];
	const struct policy_finding *w;
	size_t n;
	(void)state;

	n = lint("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"Most\",\"Effect\":\"Allow\",\"NotAction\":\"iam:*\","
	         "\"Resource\":\"*\"},{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"NotResource\":\"arn:aws:s3:::x/*\"},"
	         "{\"Effect\":\"Allow\",\"Action\":[\"iam:Pass*\"],\"Resource\":\"*\"},"
	         "{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":[\"*\"]},"
	         "{\"Effect\":\"Deny\",\"NotAction\":\"iam:*\",\"Resource\":\"*\"}]}",
	         POLICY_IDENTITY, f);
	assert_int_equal(n, 4);
	w = find(f, n, "AllowWithNotAction");
	assert_non_null(w);
	assert_int_equal(w->severity, POLICY_FINDING_WARNING);
	assert_int_equal(w->statement, 0);
	assert_non_null(strstr(w->message, "Statement 1 (Most)"));
	assert_int_equal(find(f, n, "AllowWithNotResource")->statement, 1);
	assert_int_equal(find(f, n, "PassRoleWithStarInResource")->statement, 2);
	assert_int_equal(find(f, n, "FullAccess")->statement, 3);
	/* iam:PassRole named with a Resource: fine; iam:PassRoleX-like patterns that cannot match it: fine */
	assert_int_equal(lint("{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":"
	                      "[\"iam:PassRole\",\"iam:Get*\"],\"Resource\":\"arn:aws:iam::1:role/x\"}}",
	                      POLICY_IDENTITY, f),
	                 0);
	/* in an SCP (a limit, not a grant) Allow * on * is the usual FullAWSAccess: nothing to say */
	assert_int_equal(lint("{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\","
	                      "\"Resource\":\"*\"}}",
	                      POLICY_SCP, f),
	                 0);
	/* a trust policy open to every account, unless a condition narrows it */
	n = lint("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"*\"]},"
	         "\"Action\":\"sts:AssumeRole\"},{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\","
	         "\"Condition\":{\"StringEquals\":{\"aws:PrincipalOrgID\":\"o-abcdefghij\"}}}]}",
	         POLICY_TRUST, f);
	assert_int_equal(n, 1);
	assert_string_equal(f[0].code, "PrincipalEveryone");
	assert_int_equal(f[0].statement, 0);
	/* policy variables in a document without Version (2008-10-17): taken literally */
	n = lint("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"iam:GetUser\","
	         "\"Resource\":\"arn:aws:iam::*:user/${aws:username}\"}}",
	         POLICY_IDENTITY, f);
	assert_int_equal(n, 2);
	assert_non_null(find(f, n, "MissingVersion"));
	assert_int_equal(find(f, n, "PolicyVariableNotReplaced")->statement, 0);
	/* at most max findings */
	assert_int_equal(policy_lint("{\"Statement\":{\"Effect\":\"Allow\",\"NotAction\":\"iam:*\",\"Resource\":\"${x}\"}}",
	                             60, POLICY_IDENTITY, f, 1),
	                 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_policy_has_no_findings),
		cmocka_unit_test(test_errors_are_the_engines),
		cmocka_unit_test(test_warnings),
	};
	int rc;

	if (crypto_init() != C_OK) /* policy_compile hashes documents */
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	policy_cache_clear();
	crypto_cleanup();
	return rc;
}
