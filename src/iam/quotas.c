/*
 * quotas.c - the table of the IAM quotas an operator may raise, with AWS's defaults (IAM and AWS STS quotas page).
 */
#include "iam/quotas.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"

static const struct {
	const char *option;      /* --quota NAME=N */
	const char *error_name;  /* "Cannot exceed quota for NAME: N" */
	const char *summary_key; /* GetAccountSummary */
	int64_t aws_default;
} table[IAM_QUOTA_COUNT] = {
	[IAM_QUOTA_USERS] = {"users", "UsersPerAccount", "UsersQuota", 5000},
	[IAM_QUOTA_GROUPS] = {"groups", "GroupsPerAccount", "GroupsQuota", 300},
	[IAM_QUOTA_ROLES] = {"roles", "RolesPerAccount", "RolesQuota", 1000},
	[IAM_QUOTA_POLICIES] = {"policies", "PoliciesPerAccount", "PoliciesQuota", 1500},
	[IAM_QUOTA_INSTANCE_PROFILES] = {"instance-profiles", "InstanceProfilesPerAccount", "InstanceProfilesQuota", 1000},
	[IAM_QUOTA_POLICIES_PER_USER] = {"policies-per-user", "PoliciesPerUser", "AttachedPoliciesPerUserQuota", 10},
	[IAM_QUOTA_POLICIES_PER_GROUP] = {"policies-per-group", "PoliciesPerGroup", "AttachedPoliciesPerGroupQuota", 10},
	[IAM_QUOTA_POLICIES_PER_ROLE] = {"policies-per-role", "PoliciesPerRole", "AttachedPoliciesPerRoleQuota", 10},
};

#define QUOTA_CEILING 1000000 /* far above any AWS quota: a typo is not taken for a limit */

int iam_quotas_set(struct iam_quotas *q, const char *spec, char *err, size_t cap)
{
	const char *eq = strchr(spec, '=');
	size_t nlen = eq ? (size_t)(eq - spec) : 0;
	unsigned long long v;
	char *end;

	for (size_t i = 0; eq && i < IAM_QUOTA_COUNT; i++) {
		if (strlen(table[i].option) != nlen || strncmp(table[i].option, spec, nlen) != 0)
			continue;
		errno = 0;
		v = strtoull(eq + 1, &end, 10);
		if (errno || end == eq + 1 || *end || eq[1] == '-' || v > QUOTA_CEILING) {
			snprintf(err, cap, "quota %s: '%s' is not a number up to %d", table[i].option, eq + 1, QUOTA_CEILING);
			return C_ERR;
		}
		if ((int64_t)v < table[i].aws_default) {
			snprintf(err, cap, "quota %s: %llu is below AWS's default (%lld); quotas can only be raised",
			         table[i].option, v, (long long)table[i].aws_default);
			return C_ERR;
		}
		q->limit[i] = (int64_t)v;
		return C_OK;
	}
	{
		size_t n = (size_t)snprintf(err, cap, "'%s' is not NAME=N with a NAME of:", spec);
		for (size_t i = 0; i < IAM_QUOTA_COUNT && n < cap; i++)
			n += (size_t)snprintf(err + n, cap - n, " %s", table[i].option);
	}
	return C_ERR;
}

int64_t iam_quota_limit(const struct iam_quotas *q, enum iam_quota which)
{
	if ((size_t)which >= IAM_QUOTA_COUNT)
		return 0;
	return q && q->limit[which] > 0 ? q->limit[which] : table[which].aws_default;
}

const char *iam_quota_error_name(enum iam_quota which)
{
	return (size_t)which < IAM_QUOTA_COUNT ? table[which].error_name : "";
}

const char *iam_quota_summary_key(enum iam_quota which)
{
	return (size_t)which < IAM_QUOTA_COUNT ? table[which].summary_key : NULL;
}

void iam_quotas_usage(FILE *out)
{
	for (size_t i = 0; i < IAM_QUOTA_COUNT; i++)
		fprintf(out, "%s%s=%lld", i ? ", " : "", table[i].option, (long long)table[i].aws_default);
}
