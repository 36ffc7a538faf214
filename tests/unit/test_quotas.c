/*
 * test_quotas.c - tests src/iam/quotas.c: AWS's defaults and names, raising a quota with NAME=N, and refusing a
 * value below AWS's default, not a number, or an unknown name (the quota in force is left as it was).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "iam/quotas.h"
#include "util/common.h"

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(iam_quota_limit(NULL, IAM_QUOTA_USERS), 5000);
	assert_int_equal(iam_quota_limit(NULL, IAM_QUOTA_GROUPS), 300);
	assert_int_equal(iam_quota_limit(NULL, IAM_QUOTA_ROLES), 1000);
	assert_int_equal(iam_quota_limit(NULL, IAM_QUOTA_POLICIES), 1500);
	assert_int_equal(iam_quota_limit(NULL, IAM_QUOTA_INSTANCE_PROFILES), 1000);
	assert_int_equal(iam_quota_limit(NULL, IAM_QUOTA_POLICIES_PER_ROLE), 10);
	assert_string_equal(iam_quota_error_name(IAM_QUOTA_ROLES), "RolesPerAccount");
	assert_string_equal(iam_quota_error_name(IAM_QUOTA_POLICIES_PER_GROUP), "PoliciesPerGroup");
	assert_string_equal(iam_quota_summary_key(IAM_QUOTA_POLICIES_PER_USER), "AttachedPoliciesPerUserQuota");
}

static void test_raise(void **state)
{
	struct iam_quotas q;
	char err[256];

	(void)state;
	memset(&q, 0, sizeof(q));
	assert_int_equal(iam_quotas_set(&q, "users=10000", err, sizeof(err)), C_OK);
	assert_int_equal(iam_quotas_set(&q, "groups=300", err, sizeof(err)), C_OK); /* the default itself */
	assert_int_equal(iam_quotas_set(&q, "policies-per-role=20", err, sizeof(err)), C_OK);
	assert_int_equal(iam_quota_limit(&q, IAM_QUOTA_USERS), 10000);
	assert_int_equal(iam_quota_limit(&q, IAM_QUOTA_GROUPS), 300);
	assert_int_equal(iam_quota_limit(&q, IAM_QUOTA_POLICIES_PER_ROLE), 20);
	assert_int_equal(iam_quota_limit(&q, IAM_QUOTA_ROLES), 1000);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {"users=4999", "groups=0",   "roles=-1",   "roles=1e4", "roles=",
	                                  "roles",      "=5000",      "Users=5000", "widgets=5", "users=1000001",
	                                  "users=5000 ", "policies-per-role=9"};
	struct iam_quotas q;
	char err[256];

	(void)state;
	memset(&q, 0, sizeof(q));
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		err[0] = '\0';
		assert_int_equal(iam_quotas_set(&q, bad[i], err, sizeof(err)), C_ERR);
		assert_true(err[0] != '\0');
	}
	assert_int_equal(iam_quotas_set(&q, "users=4999", err, sizeof(err)), C_ERR);
	assert_non_null(strstr(err, "below AWS's default (5000)"));
	for (int i = 0; i < IAM_QUOTA_COUNT; i++)
		assert_int_equal(q.limit[i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_raise),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
