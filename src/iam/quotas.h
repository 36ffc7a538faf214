/*
 * quotas.h - the IAM quotas an operator may raise (`rolegate server --quota NAME=N`): AWS's default for each, the
 * name AWS's LimitExceeded message gives it and its GetAccountSummary key. The quotas AWS never adjusts (access keys,
 * MFA devices and groups per user, versions per policy, tags, policy sizes) stay fixed beside their actions.
 */
#ifndef ROLEGATE_QUOTAS_H
#define ROLEGATE_QUOTAS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum iam_quota {
	IAM_QUOTA_USERS,             /* users per account (also the virtual MFA devices per account, as on AWS) */
	IAM_QUOTA_GROUPS,            /* groups per account */
	IAM_QUOTA_ROLES,             /* roles per account */
	IAM_QUOTA_POLICIES,          /* customer managed policies per account */
	IAM_QUOTA_INSTANCE_PROFILES, /* instance profiles per account */
	IAM_QUOTA_POLICIES_PER_USER, /* managed policies attached to a user */
	IAM_QUOTA_POLICIES_PER_GROUP,
	IAM_QUOTA_POLICIES_PER_ROLE,
	IAM_QUOTA_COUNT
};

/* The limits in force (the server's configuration; zero: AWS's default). */
struct iam_quotas {
	int64_t limit[IAM_QUOTA_COUNT];
};

/* Sets one quota from "NAME=N" (NAME as in `iam_quotas_usage`). N below AWS's default or not a number is refused:
 * C_ERR with a one-line reason in err. */
int iam_quotas_set(struct iam_quotas *q, const char *spec, char *err, size_t cap);
/* The limit of quota `which` under q (NULL: AWS's defaults). */
int64_t iam_quota_limit(const struct iam_quotas *q, enum iam_quota which);
/* The name AWS's "Cannot exceed quota for NAME: N" message uses, and the GetAccountSummary key (NULL: none). */
const char *iam_quota_error_name(enum iam_quota which);
const char *iam_quota_summary_key(enum iam_quota which);
/* Lists the quota names and defaults (for --help). */
void iam_quotas_usage(FILE *out);

#endif
