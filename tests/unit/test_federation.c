/*
 * test_federation.c - how the policy engine (src/policy, policy_evaluate) decides for a federated user's session
 * (sts:GetFederationToken), as authz.c puts it to the engine: the IAM user's identity policies, the session policy,
 * policy_set.session_required.
 *
 *   - the session's permissions are the intersection of the user's policies and the session policy, both ways;
 *   - without a session policy the session can do nothing (AWS: "if you do not pass a policy, then the resulting
 *     federated user session has no permissions"), and without session_required the same set would allow: the flag
 *     is what decides;
 *   - a same-account resource policy naming the federated user's own ARN grants what it allows beside (and without)
 *     a session policy; one naming another federated user, or only the account, does not;
 *   - an explicit deny in the user's policies holds for the session;
 *   - a permissions boundary of the user limits the session.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "policy/policy.h"
#include "util/common.h"
#include "util/crypto.h"

#define ACCT "111122223333"
#define FED "arn:aws:sts::111122223333:federated-user/bob"

static struct policy *compile(enum policy_kind kind, const char *doc)
{
	struct policy *p = NULL;
	char err[POLICY_ERROR_MAX];

	if (policy_compile(doc, strlen(doc), kind, &p, err) != C_OK)
		fail_msg("does not compile: %s: %s", err, doc);
	return p;
}

static const char user_doc[] = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
                               "\"organizations:Describe*\",\"Resource\":\"*\"}]}";
static const char session_describe_org[] = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                                           "\"Action\":\"organizations:DescribeOrganization\",\"Resource\":\"*\"}]}";
static const char session_all_org[] = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
                                      "\"organizations:*\",\"Resource\":\"*\"}]}";

/* The decision for the federated user bob of account ACCT on action/resource, with the user's policies ids, the
 * session policy sess (or NULL) and the resource policy res (or NULL). */
static enum policy_decision decide(const char *action, const char *resource, struct policy *const *ids, size_t nids,
                                   struct policy *sess, bool required, struct policy *res, struct policy *boundary,
                                   const char **reason)
{
	struct policy_request req = {.action = action, .resource = resource, .resource_account = ACCT,
	                             .principal = FED, .principal_account = ACCT};
	struct policy_set set = {.identity = ids, .nidentity = nids, .session = sess, .session_required = required,
	                         .resource = res};
	struct policy_explain ex;
	enum policy_decision d;

	if (boundary) {
		set.boundaries = &boundary;
		set.nboundaries = 1;
	}
	d = policy_evaluate(&req, &set, &ex);
	if (reason)
		*reason = ex.reason;
	return d;
}

static void test_intersection(void **state)
{
	struct policy *user = compile(POLICY_IDENTITY, user_doc);
	struct policy *narrow = compile(POLICY_SESSION, session_describe_org);
	struct policy *wide = compile(POLICY_SESSION, session_all_org);
	const char *why = NULL;

	(void)state;
	assert_int_equal(decide("organizations:DescribeOrganization", "*", &user, 1, narrow, true, NULL, NULL, NULL),
	                 POLICY_ALLOWED);
	/* the user allows it, the session policy does not */
	assert_int_equal(decide("organizations:DescribeAccount", "*", &user, 1, narrow, true, NULL, NULL, &why),
	                 POLICY_IMPLICIT_DENY);
	assert_string_equal(why, "no session policy");
	/* the session policy allows it, the user does not */
	assert_int_equal(decide("organizations:ListAccounts", "*", &user, 1, wide, true, NULL, NULL, &why),
	                 POLICY_IMPLICIT_DENY);
	assert_string_equal(why, "no identity-based policy");
	assert_int_equal(decide("organizations:DescribeAccount", "*", &user, 1, wide, true, NULL, NULL, NULL),
	                 POLICY_ALLOWED);
	policy_release(user);
	policy_release(narrow);
	policy_release(wide);
}

static void test_no_session_policy_allows_nothing(void **state)
{
	struct policy *user = compile(POLICY_IDENTITY, user_doc);
	struct policy *all = compile(POLICY_IDENTITY, "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
	                                              "\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}");
	const char *why = NULL;

	(void)state;
	assert_int_equal(decide("organizations:DescribeOrganization", "*", &user, 1, NULL, true, NULL, NULL, &why),
	                 POLICY_IMPLICIT_DENY);
	assert_string_equal(why, "no session policy");
	/* the root's implicit allow-all, too */
	assert_int_equal(decide("organizations:ListAccounts", "*", &all, 1, NULL, true, NULL, NULL, NULL),
	                 POLICY_IMPLICIT_DENY);
	/* the control: the same set without session_required allows (the flag is what refuses) */
	assert_int_equal(decide("organizations:DescribeOrganization", "*", &user, 1, NULL, false, NULL, NULL, NULL),
	                 POLICY_ALLOWED);
	policy_release(user);
	policy_release(all);
}

static void test_resource_policy_naming_the_session(void **state)
{
	static const char res_fmt[] = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
	                              "{\"AWS\":\"%s\"},\"Action\":\"s3:GetObject\",\"Resource\":"
	                              "\"arn:aws:s3:::bucket/*\"}]}";
	char doc[512];
	struct policy *user = compile(POLICY_IDENTITY, user_doc), *narrow = compile(POLICY_SESSION, session_describe_org);
	struct policy *named, *other, *account;
	const char *obj = "arn:aws:s3:::bucket/report.csv";

	(void)state;
	snprintf(doc, sizeof(doc), res_fmt, FED);
	named = compile(POLICY_RESOURCE, doc);
	snprintf(doc, sizeof(doc), res_fmt, "arn:aws:sts::" ACCT ":federated-user/alice");
	other = compile(POLICY_RESOURCE, doc);
	snprintf(doc, sizeof(doc), res_fmt, "arn:aws:iam::" ACCT ":root");
	account = compile(POLICY_RESOURCE, doc);
	/* the federated user's own ARN: granted beside the session policy, and without one */
	assert_int_equal(decide("s3:GetObject", obj, &user, 1, narrow, true, named, NULL, NULL), POLICY_ALLOWED);
	assert_int_equal(decide("s3:GetObject", obj, &user, 1, NULL, true, named, NULL, NULL), POLICY_ALLOWED);
	/* another federated user's ARN, or the account: nothing for bob */
	assert_int_equal(decide("s3:GetObject", obj, &user, 1, narrow, true, other, NULL, NULL), POLICY_IMPLICIT_DENY);
	assert_int_equal(decide("s3:GetObject", obj, &user, 1, NULL, true, account, NULL, NULL), POLICY_IMPLICIT_DENY);
	policy_release(user);
	policy_release(narrow);
	policy_release(named);
	policy_release(other);
	policy_release(account);
}

static void test_deny_and_boundary_hold(void **state)
{
	struct policy *ids[2] = {
		compile(POLICY_IDENTITY, user_doc),
		compile(POLICY_IDENTITY, "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":"
		                         "\"organizations:DescribeOrganization\",\"Resource\":\"*\"}]}"),
	};
	struct policy *wide = compile(POLICY_SESSION, session_all_org);
	struct policy *boundary = compile(POLICY_BOUNDARY, "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
	                                                   "\"Allow\",\"Action\":\"organizations:DescribePolicy\","
	                                                   "\"Resource\":\"*\"}]}");

	(void)state;
	assert_int_equal(decide("organizations:DescribeOrganization", "*", ids, 2, wide, true, NULL, NULL, NULL),
	                 POLICY_EXPLICIT_DENY);
	assert_int_equal(decide("organizations:DescribeAccount", "*", ids, 2, wide, true, NULL, NULL, NULL),
	                 POLICY_ALLOWED);
	assert_int_equal(decide("organizations:DescribeAccount", "*", ids, 2, wide, true, NULL, boundary, NULL),
	                 POLICY_IMPLICIT_DENY);
	assert_int_equal(decide("organizations:DescribePolicy", "*", ids, 2, wide, true, NULL, boundary, NULL),
	                 POLICY_ALLOWED);
	policy_release(ids[0]);
	policy_release(ids[1]);
	policy_release(wide);
	policy_release(boundary);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intersection),
		cmocka_unit_test(test_no_session_policy_allows_nothing),
		cmocka_unit_test(test_resource_policy_naming_the_session),
		cmocka_unit_test(test_deny_and_boundary_hold),
	};
	int rc;

	if (crypto_init() != C_OK) /* policy_compile hashes documents */
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	policy_cache_clear();
	crypto_cleanup();
	return rc;
}
