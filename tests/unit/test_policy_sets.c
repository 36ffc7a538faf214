/*
 * test_policy_sets.c - requests about sets and anonymous requests (src/policy/globset.c, sets.c): the exact
 * intersection and containment of glob patterns (and their bounds), and policy_evaluate with POLICY_REQ_SETS /
 * POLICY_REQ_ANONYMOUS on the brief's examples.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/globset.h"
#include "policy/policy.h"
#include "util/common.h"
#include "util/crypto.h"

/* Tokenises a policy-side pattern ('*' and '?' wildcards). */
static struct gpat pat(const char *s, struct gtok *buf)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++)
		buf[i] = s[i] == '*' ? (struct gtok){GL_STAR, 0}
		         : s[i] == '?' ? (struct gtok){GL_ANY, 0}
		                       : (struct gtok){GL_LIT, (unsigned char)s[i]};
	return (struct gpat){buf, n};
}

static bool meets(const char *a, const char *b)
{
	static struct gtok ba[2048], bb[2048];
	struct gpat p[2] = {pat(a, ba), pat(b, bb)};
	bool out = false;
	assert_int_equal(glob_intersects(p, 2, &out), C_OK);
	return out;
}

static bool inside(const char *inner, const char *outer)
{
	static struct gtok ba[2048], bb[2048];
	struct gpat p = pat(inner, ba), o = pat(outer, bb);
	bool out = false;
	assert_int_equal(glob_covers(&p, 1, &o, &out), C_OK);
	return out;
}

static void test_intersection(void **state)
{
	(void)state;
	assert_true(meets("role/dev-*", "role/*"));
	assert_true(meets("a*b", "*ab"));
	assert_true(meets("*x*", "*y*"));
	assert_true(meets("a?c", "*b*"));
	assert_false(meets("a*", "b*"));
	assert_false(meets("*a", "*b"));
	assert_false(meets("a?", "abc"));
	assert_false(meets("dev-*", "prod-*"));
	assert_true(meets("", "*"));
	assert_false(meets("", "?"));
}

static void test_containment(void **state)
{
	(void)state;
	assert_true(inside("role/dev-*", "role/*"));
	assert_false(inside("role/*", "role/dev-*"));
	assert_true(inside("ab*", "a*"));
	assert_true(inside("a*b*c", "a*c"));
	assert_false(inside("a*", "a?*")); /* "a" is not in a?* */
	assert_true(inside("a?*", "a*"));
	assert_false(inside("a*", "a?")); /* iam-simulate's literal test would say yes: '?' eats the '*' */
	assert_true(inside("*a*a*", "*a*"));
	assert_false(inside("*a*", "*a*a*"));
}

static void test_bounds(void **state)
{
	static struct gtok big[GLOB_MAX_OUTER + 2], small[4];
	struct gpat o, p = pat("a*", small);
	bool out = true;

	(void)state;
	for (size_t i = 0; i < GLOB_MAX_OUTER + 1; i++)
		big[i] = (struct gtok){GL_STAR, 0};
	o = (struct gpat){big, GLOB_MAX_OUTER + 1};
	assert_int_equal(glob_covers(&p, 1, &o, &out), C_ERR);
}

#define ACCT "111111111111"
#define ALLOW_DEV                                                                                                    \
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"iam:GetRole\","                \
	"\"Resource\":\"arn:aws:iam::" ACCT ":role/dev-*\"}]}"
#define DENY(res)                                                                                                    \
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"iam:Get*\",\"Resource\":\"" res  \
	"\"}]}"

static enum policy_decision eval(const char *action, const char *resource, const char *deny, struct policy_explain *ex)
{
	struct policy *p[2] = {NULL, NULL};
	char err[POLICY_ERROR_MAX];
	struct policy_request req = {.action = action,
	                             .resource = resource,
	                             .resource_account = ACCT,
	                             .principal = "arn:aws:iam::" ACCT ":user/a",
	                             .principal_account = ACCT,
	                             .flags = POLICY_REQ_SETS};
	struct policy_set set = {.identity = p, .nidentity = deny ? 2 : 1};
	enum policy_decision d;

	assert_int_equal(policy_compile(ALLOW_DEV, strlen(ALLOW_DEV), POLICY_IDENTITY, &p[0], err), C_OK);
	if (deny)
		assert_int_equal(policy_compile(deny, strlen(deny), POLICY_IDENTITY, &p[1], err), C_OK);
	d = policy_evaluate(&req, &set, ex);
	policy_release(p[0]);
	policy_release(p[1]);
	return d;
}

static void test_wildcard_requests(void **state)
{
	struct policy_explain ex;
	(void)state;

	/* an allow on role/dev-STAR meets a request for role/STAR */
	assert_int_equal(eval("iam:GetRole", "arn:aws:iam::" ACCT ":role/*", NULL, &ex), POLICY_ALLOWED);
	assert_non_null(ex.via_resource);
	assert_string_equal(ex.via_resource, "arn:aws:iam::" ACCT ":role/dev-*");
	/* nor a request for role/prod-STAR */
	assert_int_equal(eval("iam:GetRole", "arn:aws:iam::" ACCT ":role/prod-*", NULL, &ex), POLICY_IMPLICIT_DENY);
	/* a deny on role/STAR covers the whole set */
	assert_int_equal(eval("iam:GetRole", "arn:aws:iam::" ACCT ":role/*", DENY("arn:aws:iam::" ACCT ":role/*"), &ex),
	                 POLICY_EXPLICIT_DENY);
	/* a deny on a part does not deny "some" */
	assert_int_equal(
	    eval("iam:GetRole", "arn:aws:iam::" ACCT ":role/*", DENY("arn:aws:iam::" ACCT ":role/dev-x*"), &ex),
	    POLICY_ALLOWED);
	/* ... unless it covers every part the allow leaves */
	assert_int_equal(
	    eval("iam:GetRole", "arn:aws:iam::" ACCT ":role/*", DENY("arn:aws:iam::" ACCT ":role/dev*"), &ex),
	    POLICY_EXPLICIT_DENY);
	/* wildcard actions */
	assert_int_equal(eval("iam:Get*", "arn:aws:iam::" ACCT ":role/dev-1", NULL, &ex), POLICY_ALLOWED);
	assert_string_equal(ex.via_action, "iam:GetRole");
	assert_int_equal(eval("iam:List*", "arn:aws:iam::" ACCT ":role/dev-1", NULL, &ex), POLICY_IMPLICIT_DENY);
	/* without the flag, '*' is a literal character of the request */
	{
		struct policy *p;
		char err[POLICY_ERROR_MAX];
		struct policy_request req = {.action = "iam:GetRole",
		                             .resource = "arn:aws:iam::" ACCT ":role/*",
		                             .resource_account = ACCT,
		                             .principal = "arn:aws:iam::" ACCT ":user/a",
		                             .principal_account = ACCT};
		struct policy_set set = {.identity = &p, .nidentity = 1};
		assert_int_equal(policy_compile(ALLOW_DEV, strlen(ALLOW_DEV), POLICY_IDENTITY, &p, err), C_OK);
		assert_int_equal(policy_evaluate(&req, &set, NULL), POLICY_IMPLICIT_DENY);
		policy_release(p);
	}
}

static enum policy_decision anon(const char *principal_json, const char *identity)
{
	char doc[512], err[POLICY_ERROR_MAX];
	struct policy *res = NULL, *id = NULL;
	struct policy_request req = {.action = "s3:GetObject",
	                             .resource = "arn:aws:s3:::b/k",
	                             .resource_account = ACCT,
	                             .flags = POLICY_REQ_ANONYMOUS};
	struct policy_set set = {0};
	enum policy_decision d;

	snprintf(doc, sizeof(doc),
	         "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":%s,"
	         "\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"}]}",
	         principal_json);
	assert_int_equal(policy_compile(doc, strlen(doc), POLICY_RESOURCE, &res, err), C_OK);
	set.resource = res;
	if (identity) {
		assert_int_equal(policy_compile(identity, strlen(identity), POLICY_IDENTITY, &id, err), C_OK);
		set.identity = &id;
		set.nidentity = 1;
	}
	d = policy_evaluate(&req, &set, NULL);
	policy_release(res);
	policy_release(id);
	return d;
}

static void test_anonymous(void **state)
{
	(void)state;
	assert_int_equal(anon("\"*\"", NULL), POLICY_ALLOWED);
	assert_int_equal(anon("{\"AWS\":\"*\"}", NULL), POLICY_ALLOWED);
	assert_int_equal(anon("{\"AWS\":\"" ACCT "\"}", NULL), POLICY_IMPLICIT_DENY);
	assert_int_equal(anon("{\"AWS\":\"arn:aws:iam::" ACCT ":user/a\"}", NULL), POLICY_IMPLICIT_DENY);
	/* identity policies do not apply to an anonymous caller */
	assert_int_equal(anon("{\"AWS\":\"" ACCT "\"}", "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
	                                                "\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"),
	                 POLICY_IMPLICIT_DENY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_intersection), cmocka_unit_test(test_containment),
	    cmocka_unit_test(test_bounds),       cmocka_unit_test(test_wildcard_requests),
	    cmocka_unit_test(test_anonymous),
	};
	int rc;

	if (crypto_init() != C_OK) /* policy_compile hashes documents */
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	policy_cache_clear();
	crypto_cleanup();
	return rc;
}
